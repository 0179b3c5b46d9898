"""E-mails saved as .eml (RFC 5322) and mbox files: their workbook attachments, bounded.

Parsed with the standard library (`email`, policy.default, which decodes RFC 2231 and
encoded-word file names). Every MIME part is visited, forwarded e-mails included (a
`message/rfc822` part, or an attached .eml or .msg), up to the limits in `IntakeLimits`:
parts, nesting, workbooks attached. Decoding is bounded by the e-mail's own size (base64
and quoted-printable only shrink), and a part whose base64 is broken or cut short is one row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path

from ipt_excel.core.rule_codes import Rule
from ipt_excel.intake.items import (
    IntakeLimits,
    Mail,
    Received,
    Refusal,
    is_workbook_like,
    one_line,
    safe_name,
    size_text,
)

_BROKEN_BASE64 = (
    email_errors.InvalidBase64PaddingDefect,
    email_errors.InvalidBase64LengthDefect,
    email_errors.InvalidBase64CharactersDefect,
)
_SEND_AGAIN = "Ask the sender to send the return again."


class _Stop(Exception):
    """A limit passed: the e-mail is refused as a whole, with this row."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass
class _Found:
    name: str
    data: bytes
    damaged: bool = False
    too_large: int = 0  # the size of an attachment not read because it is too large


@dataclass
class Collector:
    """The workbooks attached to one e-mail, counted against the limits as they are found.

    Shared by the .eml and the .msg readers, so forwarded messages of either kind count
    towards the same limits as the e-mail they are in.
    """

    mail: Mail
    limits: IntakeLimits
    found: list[_Found] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # other attachments, by name
    parts: int = 0

    def count_part(self) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise _Stop(
                Refusal(
                    Rule.MAIL_TOO_LARGE,
                    f"{self.mail.named} has more than {self.limits.max_parts:,} parts, far more "
                    f"than an e-mail with a return. Ask the sender to send the return on its "
                    f"own in a new e-mail.",
                )
            )

    def enter(self, depth: int) -> int:
        """One level deeper into a forwarded e-mail; refused past the limit."""
        if depth + 1 > self.limits.max_depth:
            raise _Stop(
                Refusal(
                    Rule.MAIL_TOO_LARGE,
                    f"{self.mail.named} holds e-mails forwarded inside one another more than "
                    f"{self.limits.max_depth} deep. Ask the sender to send the return on its "
                    f"own in a new e-mail.",
                )
            )
        return depth + 1

    def add(self, name: str, data: bytes, *, damaged: bool = False, size: int = 0) -> None:
        if len(self.found) >= self.limits.max_attachments:
            raise _Stop(
                Refusal(
                    Rule.MAIL_TOO_LARGE,
                    f"{self.mail.named} has more than {self.limits.max_attachments} workbooks "
                    f"attached. Ask the sender to send at most "
                    f"{self.limits.max_attachments} in one e-mail.",
                )
            )
        too_large = size if size > self.limits.max_attachment_bytes else 0
        self.found.append(_Found(name, b"" if too_large else data, damaged, too_large))

    def fallback_name(self, suffix: str = ".xlsx") -> str:
        return f"attachment-{len(self.found) + 1}{suffix}"

    def items(self) -> list[Received]:
        """One item per workbook found, or one row for the e-mail when it has none."""
        mail = self.mail
        if not self.found:
            also = f" (attached: {', '.join(self.others[:3])})" if self.others else ""
            if len(self.others) > 3:
                also = also[:-1] + ", …)"
            return [
                Received(
                    mail.path,
                    mail.label,
                    mail=mail,
                    refusal=Refusal(
                        Rule.NO_ATTACHMENT,
                        f"{mail.named} has no Excel workbook attached{also}. Ask the sender "
                        f"to attach the return they were sent.",
                    ),
                )
            ]
        out = []
        for f in self.found:
            label = mail.attachment_label(f.name)
            refusal = None
            if f.damaged:
                refusal = Refusal(
                    Rule.ATTACHMENT_DAMAGED,
                    f"{label} was damaged on the way: its encoding in the e-mail is broken or "
                    f"cut short. {_SEND_AGAIN}",
                )
            elif f.too_large:
                refusal = Refusal(
                    Rule.TOO_LARGE,
                    f"{label} is larger than the {size_text(self.limits.max_attachment_bytes)} "
                    f"limit for a return workbook. Check it is the return workbook you were "
                    f"sent, remove any pictures or sheets that were added to it, then send it "
                    f"again.",
                )
            out.append(Received(Path(f.name), label, f.data, mail, refusal))
        return out


def refused_mail(mail: Mail, refusal: Refusal) -> list[Received]:
    return [Received(mail.path, mail.label, mail=mail, refusal=refusal)]


def unreadable(mail: Mail, what: str = "an e-mail") -> Refusal:
    return Refusal(
        Rule.MAIL_UNREADABLE,
        f"{mail.label} could not be read as {what}: it may be damaged or not an e-mail at all. "
        f"Save the e-mail again from your e-mail program, or save its attachment and check "
        f"that instead.",
    )


# -- .eml ------------------------------------------------------------------------------------


def parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)  # policy.default makes EmailMessage objects
    return message


def subject_of(message: Message) -> str:
    try:
        return one_line(str(message.get("subject", "") or ""))
    except Exception:  # a header the parser cannot make sense of is no subject
        return ""


def eml_items(
    data: bytes,
    path: Path,
    limits: IntakeLimits,
    *,
    index: int = 0,
    nested_msg: Callable[[bytes, Collector, int], None] | None = None,
) -> list[Received]:
    """The workbooks attached to one e-mail (`index`: its place in an mbox, from 1)."""
    if len(data) > limits.max_email_bytes:  # before parsing: the parser's work grows with it
        # Only its start was read: on record by its name, not kept as if it were all of it.
        refused = Mail(path, "", b"", ".eml", index)
        return refused_mail(refused, too_large(refused, limits.max_email_bytes))
    mail = Mail(path, "", data, ".eml", index)
    try:
        message = parse(data)
    except Exception:
        return refused_mail(mail, unreadable(mail))
    mail = Mail(path, subject_of(message), data, ".eml", index)
    collector = Collector(mail, limits)
    try:
        walk(message, collector, 0, nested_msg)
    except _Stop as stop:
        return refused_mail(mail, stop.refusal)
    except Exception:  # a part the library cannot take apart: the e-mail is damaged
        return refused_mail(mail, unreadable(mail))
    return collector.items()


def too_large(mail: Mail, limit: int, what: str = "an e-mail") -> Refusal:
    return Refusal(
        Rule.MAIL_TOO_LARGE,
        f"{mail.label} is larger than the {size_text(limit)} limit for {what}. Ask the sender "
        f"to send the return on its own, or save its attachment and check that instead.",
    )


def walk(
    part: Message,
    collector: Collector,
    depth: int,
    nested_msg: Callable[[bytes, Collector, int], None] | None = None,
) -> None:
    """Visit `part` and everything inside it, in order, adding each workbook attached."""
    collector.count_part()
    ctype = part.get_content_type()
    if part.is_multipart():
        inner = depth if ctype.startswith("multipart/") else collector.enter(depth)
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else [payload]:
            if isinstance(sub, Message):
                walk(sub, collector, inner, nested_msg)
        return
    raw_name = part.get_filename()
    attached = raw_name is not None or part.get_content_disposition() == "attachment"
    if not attached and not is_workbook_like("", ctype):
        return  # the body: text, HTML, an inline picture
    name = safe_name(raw_name, collector.fallback_name(_suffix_for(ctype)))
    suffix = Path(name).suffix.lower()
    if suffix in (".eml", ".msg"):  # an e-mail forwarded as a file of its own
        content = part.get_payload(decode=True)
        if isinstance(content, bytes) and content:
            inner = collector.enter(depth)
            if suffix == ".eml":
                walk(parse(content), collector, inner, nested_msg)
            elif nested_msg is not None:
                nested_msg(content, collector, inner)
            return
    if not is_workbook_like(name, ctype):
        collector.others.append(name)
        return
    content = part.get_payload(decode=True)
    data = content if isinstance(content, bytes) else b""
    damaged = any(isinstance(d, _BROKEN_BASE64) for d in part.defects)
    collector.add(name, data, damaged=damaged, size=len(data))


def _suffix_for(ctype: str) -> str:
    if ctype == "text/csv":
        return ".csv"
    if ctype == "application/vnd.ms-excel":
        return ".xls"
    if ctype == "application/vnd.oasis.opendocument.spreadsheet":
        return ".ods"
    return ".xlsx"


# -- mbox ------------------------------------------------------------------------------------


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox, by the rule the standard library's `mailbox.mbox` reads
    them: each starts at a line beginning "From " (that line is not part of it), and the
    blank line before the next one is the separator."""
    messages: list[list[bytes]] = []
    for line in data.splitlines(keepends=True):
        if line.startswith(b"From "):
            messages.append([])
        elif messages:
            messages[-1].append(line)
    out = []
    for lines in messages:
        if lines and lines[-1] in (b"\n", b"\r\n"):
            lines = lines[:-1]
        out.append(b"".join(lines))
    return out


def mbox_items(
    data: bytes,
    path: Path,
    limits: IntakeLimits,
    nested_msg: Callable[[bytes, Collector, int], None] | None = None,
) -> list[Received]:
    """The workbooks attached to every message of an mbox file, message by message."""
    whole = Mail(path, "", data, ".mbox")
    if len(data) > limits.max_mbox_bytes:
        cut = Mail(path, "", b"", ".mbox")
        return refused_mail(cut, too_large(cut, limits.max_mbox_bytes, "a mailbox file"))
    if data.count(b"From ") > limits.max_messages and (
        len(messages := split_mbox(data)) > limits.max_messages
    ):
        return refused_mail(
            whole,
            Refusal(
                Rule.MAIL_TOO_LARGE,
                f"{path} holds {len(messages):,} messages, more than the "
                f"{limits.max_messages:,} allowed in one mailbox file. Save only the messages "
                f"with returns in it, or save their attachments and check those instead.",
            ),
        )
    messages = split_mbox(data)
    if not messages:
        return refused_mail(whole, unreadable(whole, "a mailbox (mbox) file"))
    items: list[Received] = []
    for i, message in enumerate(messages, start=1):
        items.extend(eml_items(message, path, limits, index=i, nested_msg=nested_msg))
    return items
