"""Outlook's saved e-mails (.msg): a Compound File read with olefile (BSD licence).

An .msg keeps each attachment in a storage `__attach_version1.0_#XXXXXXXX` holding its
bytes in the stream `__substg1.0_37010102` and its file name in `__substg1.0_3707001F`
(long) or `__substg1.0_3704001F` (short), or `...001E` in an 8-bit code page; a forwarded
message is a storage `__substg1.0_3701000D` laid out like the message itself. The subject is
`__substg1.0_0037001F`. Only those streams are read, each after its size is checked.
"""

from __future__ import annotations

import io
from pathlib import Path

import olefile

from ipt_excel.intake.items import (
    IntakeLimits,
    Mail,
    Received,
    is_workbook_like,
    one_line,
    safe_name,
)
from ipt_excel.intake.mail import Collector, _Stop, refused_mail, too_large, unreadable

_ATTACH_PREFIX = "__attach_version1.0_#"
_PROPERTIES = "__properties_version1.0"
_DATA = "__substg1.0_37010102"
_EMBEDDED = "__substg1.0_3701000D"
_NAMES = ("3707", "3704", "3001")  # long file name, short file name, display name
_MIME = "370E"
_SUBJECT = "0037"
_TEXT_LIMIT = 4096  # bytes of a name or subject stream read


def is_msg(data: bytes) -> bool:
    """Whether these bytes are an Outlook message (not an .xls or another Office file)."""
    if not data.startswith(olefile.MAGIC) or len(data) < olefile.MINIMAL_OLEFILE_SIZE:
        return False
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return bool(ole.exists(_PROPERTIES)) and any(
                len(entry) == 1 and entry[0].startswith("__substg1.0_")
                for entry in ole.listdir(streams=True, storages=False)
            )
    except Exception:  # not a Compound File that can be followed: the gate will say so
        return False


def msg_items(data: bytes, path: Path, limits: IntakeLimits) -> list[Received]:
    """The workbooks attached to an Outlook .msg (forwarded messages in it included)."""
    if len(data) > limits.max_email_bytes:
        cut = Mail(path, "", b"", ".msg")  # only its start was read
        return refused_mail(cut, too_large(cut, limits.max_email_bytes))
    mail = Mail(path, "", data, ".msg")
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:
        return refused_mail(mail, unreadable(mail, "an Outlook message (.msg)"))
    with ole:
        try:
            mail = Mail(path, one_line(_text(ole, [], _SUBJECT)), data, ".msg")
            collector = Collector(mail, limits)
            _walk(ole, [], collector, 0)
        except _Stop as stop:
            return refused_mail(mail, stop.refusal)
        except Exception:  # a storage olefile cannot follow: the message is damaged
            return refused_mail(mail, unreadable(mail, "an Outlook message (.msg)"))
        # olefile reads past what it can mend (a sector out of range, a bad entry) and
        # notes it: a message cut short or damaged is refused, not read in part.
        if getattr(ole, "parsing_issues", None):  # not in the type stubs
            return refused_mail(mail, unreadable(mail, "an Outlook message (.msg)"))
    return collector.items()


def nested_msg(data: bytes, collector: Collector, depth: int) -> None:
    """An .msg attached to an .eml: its workbooks count as the outer e-mail's."""
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        _walk(ole, [], collector, depth)


def _walk(ole: olefile.OleFileIO, prefix: list[str], collector: Collector, depth: int) -> None:
    names = sorted(
        {
            entry[len(prefix)]
            for entry in ole.listdir(streams=True, storages=True)
            if len(entry) > len(prefix)
            and entry[: len(prefix)] == prefix
            and entry[len(prefix)].startswith(_ATTACH_PREFIX)
        }
    )
    for storage in names:
        collector.count_part()
        here = [*prefix, storage]
        if ole.get_type([*here, _EMBEDDED]) == olefile.STGTY_STORAGE:
            _walk(ole, [*here, _EMBEDDED], collector, collector.enter(depth))
            continue
        raw_name = next((n for code in _NAMES if (n := _text(ole, here, code))), "")
        ctype = _text(ole, here, _MIME).lower()
        name = safe_name(raw_name, collector.fallback_name())
        if not is_workbook_like(name, ctype):
            collector.others.append(name)
            continue
        stream = [*here, _DATA]
        if ole.get_type(stream) != olefile.STGTY_STREAM:
            collector.others.append(name)
            continue
        size = int(ole.get_size(stream))
        if size > collector.limits.max_attachment_bytes:
            collector.add(name, b"", size=size)
            continue
        collector.add(name, ole.openstream(stream).read(size), size=size)


def _text(ole: olefile.OleFileIO, prefix: list[str], code: str) -> str:
    """A string property: Unicode (001F, UTF-16) or 8-bit (001E); "" when absent."""
    for kind, encoding in (("001F", "utf-16-le"), ("001E", "cp1252")):
        stream = [*prefix, f"__substg1.0_{code}{kind}"]
        if ole.get_type(stream) == olefile.STGTY_STREAM:
            raw = ole.openstream(stream).read(_TEXT_LIMIT)
            return str(raw.decode(encoding, errors="replace").rstrip("\x00"))
    return ""
