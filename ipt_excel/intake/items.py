"""What arrives: each returned file with the bytes received and where it came from.

A `Received` is one file to check: a workbook given as is, or an attachment of an e-mail
(`Mail`). Its `label` is what every problem row, report and ledger receipt calls it, so the
record always says where a file came from:

    health.xlsx                                           a file given as is
    health.xlsx (from "RE: Return" in inbox/health.eml)   an e-mail's attachment
    health.xlsx (from "RE: Return", message 3 in inbox/returns.mbox)
    inbox/health.eml                                      an e-mail refused as a whole
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

_MB = 1024 * 1024
SUBJECT_LIMIT = 40  # characters of a subject shown in a label
NAME_LIMIT = 80  # characters of an attachment's file name

# Files that are, or are meant to be, workbooks: an attachment with one of these names goes
# to the safe-open gate (which refuses all but .xlsx with its usual clear message).
WORKBOOK_SUFFIXES = frozenset(
    {".xlsx", ".xlsm", ".xltx", ".xltm", ".xlsb", ".xls", ".xlt", ".ods", ".csv"}
)
WORKBOOK_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
        "application/vnd.ms-excel",
        "application/vnd.ms-excel.sheet.macroenabled.12",
        "application/vnd.ms-excel.sheet.binary.macroenabled.12",
        "application/vnd.oasis.opendocument.spreadsheet",
        "text/csv",
    }
)
MAIL_SUFFIXES = frozenset({".eml", ".msg", ".mbox", ".mbx"})


@dataclass(frozen=True)
class IntakeLimits:
    """How much an e-mail may hold. Everything that arrives is untrusted: each limit passed is
    one clear row, never a long wait. A return is tens of kilobytes; these are far above it.

    `max_attachment_bytes` and `max_total_bytes` are the gate's own limits (a workbook's size,
    and what one batch may expand to): services/check.py passes them in.
    """

    max_attachment_bytes: int = 50 * _MB  # one workbook: the gate's max_file_bytes
    max_email_bytes: int = 75 * _MB  # one .eml or .msg (base64 makes 50 MB about 68 MB)
    max_mbox_bytes: int = 200 * _MB  # one mbox file
    max_messages: int = 1_000  # in one mbox
    max_parts: int = 500  # MIME parts, or .msg attachments, in one e-mail (forwards included)
    max_depth: int = 5  # e-mails forwarded inside e-mails
    max_attachments: int = 20  # workbooks attached to one e-mail
    max_files: int = 10_000  # files found in the folders given
    max_total_bytes: int = 500 * _MB  # every file of one command together


@dataclass(frozen=True)
class Refusal:
    """Why there is nothing to check, as one row: a file rule code and one line."""

    rule: str
    message: str


@dataclass(frozen=True)
class Mail:
    """An e-mail that returns came in; the archive keeps it, so the record shows how they
    arrived."""

    path: Path  # the file it was saved in: an .eml, an .msg, or an mbox
    subject: str  # one line, as it reads (may be "")
    data: bytes = field(repr=False)  # the e-mail's bytes as saved (one message of an mbox)
    suffix: str = ".eml"  # ".eml" or ".msg": what the archive names it
    index: int = 0  # its place in an mbox, from 1; 0 for an e-mail saved on its own

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def label(self) -> str:
        """What a row about the e-mail itself calls it: its file, and its place in an mbox."""
        return f"{self.path}, message {self.index}" if self.index else str(self.path)

    @property
    def named(self) -> str:
        """The e-mail in a sentence: 'inbox/health.eml ("RE: Return")'."""
        subject = f'"{short_subject(self.subject)}"' if self.subject.strip() else "no subject"
        return f"{self.label} ({subject})"

    def attachment_label(self, name: str) -> str:
        subject = (
            f'"{short_subject(self.subject)}"'
            if self.subject.strip()
            else "an e-mail with no subject"
        )
        place = f", message {self.index}" if self.index else ""
        return f"{name} (from {subject}{place} in {self.path})"


@dataclass(frozen=True)
class Received:
    """One returned file, read once: the bytes received and where they came from."""

    path: Path  # the file given or found; for an attachment, its own (cleaned) file name
    label: str  # what every row, report and receipt calls it
    data: bytes = field(default=b"", repr=False)  # exactly as received; b"" if none was read
    mail: Mail | None = None  # the e-mail it came in, or that was refused as a whole
    refusal: Refusal | None = None  # set when there is nothing to check: why, as one row


def one_line(text: str) -> str:
    """Text from outside on one line: no line break or control character, spaces collapsed."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def short_subject(subject: str) -> str:
    clean = one_line(subject).replace('"', "'")
    return clean if len(clean) <= SUBJECT_LIMIT else clean[: SUBJECT_LIMIT - 1].rstrip() + "…"


def safe_name(name: str | None, fallback: str) -> str:
    """An attachment's file name fit to show and to take a suffix from: no folders, no
    control characters, not too long. `fallback` when it has none."""
    clean = one_line((name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    if not clean:
        return fallback
    if len(clean) > NAME_LIMIT:
        stem, dot, suffix = clean.rpartition(".")
        if dot and len(suffix) <= 6:
            clean = stem[: NAME_LIMIT - len(suffix) - 2] + "…." + suffix
        else:
            clean = clean[: NAME_LIMIT - 1] + "…"
    return clean


def is_workbook_like(name: str, content_type: str = "") -> bool:
    return Path(name).suffix.lower() in WORKBOOK_SUFFIXES or content_type.lower() in WORKBOOK_TYPES


def size_text(n_bytes: int) -> str:
    return f"{n_bytes / _MB:,.0f} MB" if n_bytes >= _MB else f"{n_bytes / 1024:,.0f} KB"
