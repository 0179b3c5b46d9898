"""From the paths on the command line to the files to check: each read once, in order.

A path may be a workbook, an e-mail (.eml, Outlook's .msg, an mbox file) or a folder of any
of these. A folder is expanded in name order, its subfolders too, skipping hidden files and
folders (a name starting with ".") and Office's "~$" lock files. What a file is, is decided
from its bytes first (a zip is a workbook, a Compound File with Outlook's streams an .msg, a
"From " line an mbox) and its name second, so a return saved under the wrong name is still
checked as what it is. Each file is read once; a file given twice is two items, as before
(the merge merges it once and says so for the second).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from ipt_excel.core.rule_codes import Rule
from ipt_excel.errors import UnsafeWorkbookError
from ipt_excel.excel.safe_open import read_file
from ipt_excel.intake.items import (
    MAIL_SUFFIXES,
    WORKBOOK_SUFFIXES,
    IntakeLimits,
    Received,
    Refusal,
    size_text,
)
from ipt_excel.intake.mail import eml_items, mbox_items
from ipt_excel.intake.msg import is_msg, msg_items, nested_msg

_CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_HEADER_LINE = re.compile(rb"[!-9;-~]+:[^\r\n]*\r?\n")
_MAIL_HEADERS = (
    b"from:",
    b"to:",
    b"subject:",
    b"date:",
    b"received:",
    b"return-path:",
    b"message-id:",
    b"mime-version:",
    b"delivered-to:",
)


def gather(paths: Sequence[Path], limits: IntakeLimits | None = None) -> Iterator[Received]:
    """Every returned file in `paths`, in order: workbooks as they are, each e-mail's
    workbook attachments, and one refused item for anything with nothing to check.

    Never raises for a file: whatever is wrong with one is its item's `refusal`.
    """
    limits = limits or IntakeLimits()
    total = 0
    for path in _expand(paths, limits):
        if isinstance(path, Received):
            yield path
            continue
        if total > limits.max_total_bytes:
            yield Received(
                path,
                path.name or str(path),
                refusal=Refusal(
                    Rule.TOO_LARGE,
                    f"{path} was not checked: the files given come to more than "
                    f"{size_text(limits.max_total_bytes)} together. Check the rest in "
                    f"another run.",
                ),
            )
            continue
        items = _read(path, limits)
        for item in items:
            total += len(item.data) + (len(item.mail.data) if item.mail else 0)
            yield item


def _expand(paths: Sequence[Path], limits: IntakeLimits) -> Iterator[Path | Received]:
    count = 0
    seen: set[Path] = set()  # a file named twice (or also in a folder given) is read once

    def first_time(path: Path) -> bool:
        key = path.resolve() if path.exists() else path.absolute()
        if key in seen:
            return False
        seen.add(key)
        return True

    for given in paths:
        path = Path(given)
        if not path.is_dir():
            if first_time(path):
                yield path
            continue
        empty = True
        for found in _walk(path):
            empty = False
            if not first_time(found):
                continue
            count += 1
            if count > limits.max_files:
                yield Received(
                    path,
                    str(path),
                    refusal=Refusal(
                        Rule.MAIL_TOO_LARGE,
                        f"{path} holds more than {limits.max_files:,} files; only the first "
                        f"{limits.max_files:,} were checked. Give a folder that holds only "
                        f"the returns.",
                    ),
                )
                return
            yield found
        if empty:
            name = path.name or str(path)
            yield Received(
                path,
                name,
                refusal=Refusal(
                    Rule.NOT_A_FILE,
                    f"{name} is a folder with no files in it to check (hidden files are "
                    f"skipped). Give the folder the returns were saved in, or the files.",
                ),
            )


def _walk(folder: Path) -> Iterator[Path]:
    """Every file under `folder`: a folder's files in name order (whatever the case), then
    its subfolders'; hidden ones and "~$" lock files skipped."""
    for top, dirs, files in os.walk(folder, onerror=None, followlinks=False):
        dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=_by_name)
        for name in sorted(files, key=_by_name):
            if not name.startswith((".", "~$")):
                yield Path(top) / name


def _by_name(name: str) -> tuple[str, str]:
    """Name order as a person reads it: "RE Return.msg" after "health.eml"."""
    return name.casefold(), name


def _read(path: Path, limits: IntakeLimits) -> list[Received]:
    suffix = path.suffix.lower()
    name = path.name or str(path)
    if suffix in WORKBOOK_SUFFIXES:
        cap = limits.max_attachment_bytes
    elif suffix in (".eml", ".msg"):
        cap = limits.max_email_bytes
    else:
        cap = max(limits.max_mbox_bytes, limits.max_attachment_bytes)
    try:
        data = read_file(path, cap)
    except UnsafeWorkbookError as exc:
        return [Received(path, name, refusal=Refusal(exc.reason, exc.message))]
    kind = _kind(data, suffix)
    if kind == "eml":
        return eml_items(data, path, limits, nested_msg=nested_msg)
    if kind == "msg":
        return msg_items(data, path, limits)
    if kind == "mbox":
        return mbox_items(data, path, limits, nested_msg=nested_msg)
    return [Received(path, name, data)]


def _kind(data: bytes, suffix: str) -> str:
    """What the bytes are: "workbook" (anything for the gate to judge), "eml", "msg" or
    "mbox". An empty file goes to the gate, which says it is empty."""
    if not data or data.startswith(b"PK"):
        return "workbook"
    if data.startswith(_CFB_SIGNATURE):
        return "msg" if is_msg(data) else "workbook"
    if data.startswith(b"From "):
        return "mbox"
    if suffix in (".eml", ".mbox", ".mbx") or _looks_like_mail(data):
        return "mbox" if suffix in (".mbox", ".mbx") else "eml"
    if suffix in MAIL_SUFFIXES:  # an .msg that is not a Compound File
        return "msg"
    return "workbook"


def _looks_like_mail(data: bytes) -> bool:
    """Header lines first, at least two, one of them a header every e-mail has."""
    head = data[:8192]
    lines: list[bytes] = []
    pos = 0
    while (m := _HEADER_LINE.match(head, pos)) and len(lines) < 50:
        lines.append(m.group(0).split(b":", 1)[0].lower() + b":")
        pos = m.end()
        while pos < len(head) and head[pos : pos + 1] in (b" ", b"\t"):  # a folded line
            end = head.find(b"\n", pos)
            pos = len(head) if end < 0 else end + 1
    return len(lines) >= 2 and any(h in _MAIL_HEADERS for h in lines)
