"""Errors as data: every problem found in a file is one row, never a lone exception."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class Severity(StrEnum):
    ERROR = "error"  # the file cannot be accepted until it is fixed
    WARNING = "warning"  # worth a look; does not block the file


@dataclass(frozen=True)
class Problem:
    file: str
    sheet: str
    cell: str  # like "N12"; "" when the problem is with the whole file or sheet
    column: str  # the column's header, "" when not about one column
    rule: str  # a short stable code, e.g. "rag-in-scale"
    value: str  # what was found, as text
    message: str  # plain English: what is wrong and what to do
    severity: Severity = Severity.ERROR
    agency: str = ""
    area_id: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


PROBLEM_HEADERS: dict[str, str] = {
    "file": "File",
    "agency": "Agency",
    "sheet": "Sheet",
    "cell": "Cell",
    "area_id": "ID",
    "column": "Column",
    "severity": "Severity",
    "rule": "Rule",
    "value": "Value found",
    "message": "What to do",
}


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """One row per problem, with human headings, ready for a report."""
    import pandas as pd

    names = [f.name for f in fields(Problem)]
    rows = [{k: str(v) for k, v in asdict(p).items()} for p in problems]
    frame = pd.DataFrame(rows, columns=names)
    return frame[list(PROBLEM_HEADERS)].rename(columns=PROBLEM_HEADERS)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """Zero-based column, one-based Excel row -> "N12"."""
    return f"{column_letter(col)}{row}"
