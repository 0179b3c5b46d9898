"""E-mails made in the tests: .eml files built with the standard library's EmailMessage, mbox
files written with its mailbox module, and Outlook .msg files built by hand as Compound
Files (olefile only reads them), with the streams an .msg keeps its attachments in.

    eml("RE: Return", [("health.xlsx", data)])            # one return attached
    msg_bytes("RE: Return", [("health.xlsx", data)])      # the same, as Outlook saves it
    mbox_file(path, [eml(...), eml(...)])                 # several messages in one file
"""

from __future__ import annotations

import mailbox
import struct
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Union

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
Attachment = tuple[str, bytes]


def message(
    subject: str = "RE: Return",
    attachments: list[Attachment] = (),  # type: ignore[assignment]
    *,
    html: bool = False,
    sender: str = "Health <health@example.org>",
    text: str = "Please find our return attached.",
) -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "coordinator@example.gov.uk"
    m["Subject"] = subject
    m.set_content(text)
    if html:
        m.add_alternative(f"<p>{text}</p>", subtype="html")
    for name, data in attachments:
        maintype, subtype = XLSX_TYPE if name.endswith(".xlsx") else ("application", "octet-stream")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m


def eml(subject: str = "RE: Return", attachments: list[Attachment] = (), **kw: object) -> bytes:  # type: ignore[assignment]
    return bytes(message(subject, attachments, **kw))  # type: ignore[arg-type]


def forwarded(outer_subject: str, inner: EmailMessage) -> bytes:
    """An e-mail forwarded as an attachment: the original inside a message/rfc822 part."""
    m = message(outer_subject, [], text="Forwarding Health's return, below.")
    m.add_attachment(inner)  # a message/rfc822 part
    return bytes(m)


def mbox_file(path: Path, messages: list[bytes]) -> Path:
    """An mbox file written by the standard library's mailbox module."""
    box = mailbox.mbox(path, create=True)
    try:
        for raw in messages:
            box.add(raw)
        box.flush()
    finally:
        box.close()
    return path


# -- Outlook .msg: a Compound File built by hand -------------------------------------------------

CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR, _MINI, _CUTOFF = 512, 64, 4096
Tree = dict[str, Union[bytes, "Tree"]]


def cfb(tree: Tree) -> bytes:
    """A Compound File (version 3) holding `tree`: a name maps to a stream's bytes or to a
    storage's own tree. Streams under 4,096 bytes live in the mini stream, as the format
    says; larger ones in sectors of their own. Each storage's children hang off it as one
    chain of right siblings, all black: a valid tree, if not a balanced one."""
    entries: list[dict[str, object]] = [{"name": "Root Entry", "kind": 5, "data": b""}]

    def add(children: Tree) -> int:
        first = _NOSTREAM
        previous: dict[str, object] | None = None
        for name, value in children.items():
            index = len(entries)
            entry: dict[str, object] = {"name": name, "right": _NOSTREAM, "child": _NOSTREAM}
            entries.append(entry)
            if isinstance(value, dict):
                entry.update(kind=1, data=b"")
                entry["child"] = add(value)
            else:
                entry.update(kind=2, data=value)
            if previous is None:
                first = index
            else:
                previous["right"] = index
            previous = entry
        return first

    entries[0]["child"] = add(tree)
    entries[0]["right"] = _NOSTREAM

    # The mini stream: every small stream, in 64-byte mini sectors.
    mini = b""
    mini_fat: list[int] = []
    for e in entries[1:]:
        data = e["data"]
        assert isinstance(data, bytes)
        if e["kind"] == 2 and len(data) < _CUTOFF:
            n = -(-len(data) // _MINI)
            start = len(mini_fat)
            e["start"] = start if n else _END
            mini_fat += [start + i + 1 for i in range(n - 1)] + ([_END] if n else [])
            mini += data.ljust(n * _MINI, b"\x00")

    def sectors(data: bytes) -> int:
        return -(-len(data) // _SECTOR)

    n_dir = -(-len(entries) // 4)
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat) if mini_fat else b""
    big = [e for e in entries[1:] if e["kind"] == 2 and len(e["data"]) >= _CUTOFF]  # type: ignore[arg-type]
    body = n_dir + sectors(mini_fat_bytes) + sectors(mini) + sum(sectors(e["data"]) for e in big)  # type: ignore[arg-type]
    n_fat = 1
    while n_fat * (_SECTOR // 4) < n_fat + body:
        n_fat += 1
    assert n_fat <= 109, "keep test files under about 7 MB"

    fat = [_FATSECT] * n_fat
    blobs: list[bytes] = []

    def place(data: bytes) -> int:
        n = sectors(data)
        if not n:
            return _END
        start = len(fat)
        fat.extend([start + i + 1 for i in range(n - 1)] + [_END])
        blobs.append(data.ljust(n * _SECTOR, b"\x00"))
        return start

    dir_start = len(fat)
    fat.extend([dir_start + i + 1 for i in range(n_dir - 1)] + [_END])
    mini_fat_start = place(mini_fat_bytes.ljust(sectors(mini_fat_bytes) * _SECTOR, b"\xff"))
    entries[0]["start"] = place(mini)
    entries[0]["data"] = mini
    for e in big:
        e["start"] = place(e["data"])  # type: ignore[arg-type]

    directory = b""
    for i in range(n_dir * 4):
        if i >= len(entries):
            directory += struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, *([_NOSTREAM] * 3),
                                     bytes(16), 0, 0, 0, 0, 0)  # fmt: skip
            continue
        e = entries[i]
        encoded = str(e["name"]).encode("utf-16-le") + b"\x00\x00"
        data = e["data"]
        assert isinstance(data, bytes)
        size = len(data) if e["kind"] in (2, 5) else 0
        start = e.get("start", _END) if e["kind"] in (2, 5) else 0
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded),
            e["kind"],
            1,  # black
            _NOSTREAM,  # left
            e.get("right", _NOSTREAM),
            e.get("child", _NOSTREAM),
            bytes(16),
            0,
            0,
            0,
            start,
            size,
        )
    fat += [_FREE] * (n_fat * (_SECTOR // 4) - len(fat))
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        CFB_SIGNATURE,
        bytes(16),
        0x003E,
        3,
        0xFFFE,
        9,
        6,
        bytes(6),
        0,
        n_fat,
        dir_start,
        0,
        _CUTOFF,
        mini_fat_start if mini_fat else _END,
        sectors(mini_fat_bytes),
        _END,
        0,
    )
    header += struct.pack("<109I", *range(n_fat), *([_FREE] * (109 - n_fat)))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    dir_blob = directory
    # Sectors in order: the FAT, the directory, then what `place` laid out.
    return header + fat_bytes + dir_blob + b"".join(blobs)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le") + b"\x00\x00"


def msg_tree(
    subject: str,
    attachments: list[Attachment] = (),  # type: ignore[assignment]
    *,
    embedded: Tree | None = None,
    ansi_names: bool = False,
) -> Tree:
    """The storages and streams of an Outlook message with these attachments (and a
    forwarded message as an embedded one)."""
    tree: Tree = {
        "__properties_version1.0": bytes(32),
        "__substg1.0_0037001F": _utf16(subject),
        "__substg1.0_1000001F": _utf16("Please find our return attached."),
    }
    items: list[Tree] = []
    for name, data in attachments:
        storage: Tree = {"__properties_version1.0": bytes(8)}
        if ansi_names:
            storage["__substg1.0_3707001E"] = name.encode("cp1252") + b"\x00"
        else:
            storage["__substg1.0_3707001F"] = _utf16(name)
            storage["__substg1.0_3704001F"] = _utf16(name[:8])
        storage["__substg1.0_37010102"] = data
        items.append(storage)
    if embedded is not None:
        items.append({"__properties_version1.0": bytes(8), "__substg1.0_3701000D": embedded})
    for i, storage in enumerate(items):
        tree[f"__attach_version1.0_#{i:08X}"] = storage
    return tree


def msg_bytes(subject: str, attachments: list[Attachment] = (), **kw: object) -> bytes:  # type: ignore[assignment]
    return cfb(msg_tree(subject, attachments, **kw))  # type: ignore[arg-type]


def email_policy() -> policy.EmailPolicy:
    return policy.default
