"""Exceptions the library raises; the CLI maps them to exit codes and plain-English messages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class IptError(Exception):
    """Base of every error the library raises on purpose."""


class UsageError(IptError):
    """The caller asked for something that cannot be done (unknown agency, bad option)."""


class IssueNeedsForceError(UsageError):
    """Issuing as asked would strand returns already out, or the dates look like a slip;
    the message says what would happen. `ipt issue --force` goes ahead."""


class WorkspaceError(IptError):
    """The workspace is missing, incomplete, locked or otherwise unusable."""


class PlanFileError(IptError):
    """A plan source (YAML, CSV, xlsx, or the master workbook) cannot be read as a plan."""


class CellTooLongError(PlanFileError):
    """A text longer than an Excel cell holds: writing it would silently cut it."""


class PlanInvalidError(PlanFileError):
    """The plan was read but breaks a rule; `problems` holds one row per problem."""

    def __init__(self, message: str, problems: Sequence[object]) -> None:
        super().__init__(message)
        self.problems = list(problems)


class ColumnSetError(IptError, ValueError):
    """A column set that cannot work: the message says what to change, in plain English."""


class ManifestError(IptError):
    """A manifest that cannot be read: damaged, edited by hand, or from another tool."""


class UnsafeWorkbookError(IptError):
    """A file that must not be parsed as a workbook; `message` is one line that starts with
    the file name and says what to do. `reason` is a file rule code (core/rule_codes.py)."""

    def __init__(self, path: Path, reason: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason
        self.message = message
        self.data = b""  # the bytes that were read and refused, when they were read


class ScanError(ValueError):
    """A sheet part is not well-formed XML, or names a cell that cannot exist: a damaged file.
    Raised inside the safe-open gate, which turns it into an UnsafeWorkbookError."""


class ReturnReadError(IptError):
    """The file cannot be read as a return at all (no Return sheet, no header row)."""


class ReturnWriteError(IptError):
    """The return cannot be written as asked (text too long for Excel, a bad override)."""


class RenderError(IptError):
    """LibreOffice is missing, or did not produce the PDF."""


class TableFileError(PlanFileError):
    """A plan table file that cannot be read; `message` names the file and says what to do."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
