"""Exceptions the library raises; the CLI maps them to exit codes and plain-English messages."""

from __future__ import annotations


class IptError(Exception):
    """Base of every error the library raises on purpose."""


class UsageError(IptError):
    """The caller asked for something that cannot be done (unknown agency, bad option)."""


class WorkspaceError(IptError):
    """The workspace is missing, incomplete, locked or otherwise unusable."""


class PlanFileError(IptError):
    """A plan source (YAML, CSV, xlsx, or the master workbook) cannot be read as a plan."""


class CellTooLongError(PlanFileError):
    """A text longer than an Excel cell holds: writing it would silently cut it."""


class PlanInvalidError(PlanFileError):
    """The plan was read but breaks a rule; `problems` holds one row per problem."""

    def __init__(self, message: str, problems: list[object]) -> None:
        super().__init__(message)
        self.problems = problems
