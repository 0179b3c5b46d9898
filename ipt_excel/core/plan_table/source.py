"""The source grid: what a table reader gives, as plain data.

`excel.table_reader.read_table` reads a file into a `SourceFile`: its sheets (`SourceSheet`) of
typed cells (`SourceCell`), each with its address, and their merged ranges (`MergedRange`).
`make_sheet` builds a sheet from rows of values; `value_text` shows a cell's value as the plan
shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property

from ipt_excel.core.dates import format_plan_date
from ipt_excel.core.problems import column_letter

# What a cell holds, typed as the reader found it. datetime is a date too; check it first.
CellValue = str | int | float | bool | datetime | date | time | None

_SIMPLE_SHEET = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}\d+|[RrCc]\d*")


def _sheet_ref(sheet: str) -> str:
    """The sheet part of an address, quoted as Excel quotes it: 'Action plan'!B4."""
    if _SIMPLE_SHEET.fullmatch(sheet) and not _CELL_LIKE.fullmatch(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def cell_address(sheet: str, row: int, col: int) -> str:
    """ "Sheet1!G10" for a 1-based row and column."""
    return f"{_sheet_ref(sheet)}!{column_letter(col - 1)}{row}"


@dataclass(frozen=True, slots=True)
class SourceCell:
    """One cell of a source sheet: its typed value and where it is (1-based row and column)."""

    sheet: str
    row: int
    col: int
    value: CellValue

    @property
    def ref(self) -> str:
        """ "G10"."""
        return f"{column_letter(self.col - 1)}{self.row}"

    @property
    def address(self) -> str:
        """ "Sheet1!G10"."""
        return cell_address(self.sheet, self.row, self.col)

    @property
    def is_blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass(frozen=True)
class MergedRange:
    """A merged range, 1-based and inclusive: B4:B5 is rows 4 to 5 of column 2."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def ref(self) -> str:
        start = f"{column_letter(self.first_col - 1)}{self.first_row}"
        return f"{start}:{column_letter(self.last_col - 1)}{self.last_row}"

    def contains(self, row: int, col: int) -> bool:
        return self.first_row <= row <= self.last_row and self.first_col <= col <= self.last_col


@dataclass(frozen=True)
class SourceSheet:
    """A sheet's cells from A1, as a rectangle of rows, and its merged ranges."""

    name: str
    rows: tuple[tuple[SourceCell, ...], ...]
    merged: tuple[MergedRange, ...] = ()
    visible: bool = True

    @property
    def height(self) -> int:
        return len(self.rows)

    @cached_property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def cell(self, row: int, col: int) -> SourceCell:
        """The cell at a 1-based row and column; a blank one outside the data."""
        if 1 <= row <= len(self.rows) and 1 <= col <= len(self.rows[row - 1]):
            return self.rows[row - 1][col - 1]
        return SourceCell(self.name, row, col, None)


@dataclass(frozen=True)
class SourceFile:
    """Everything read from one table file. `name` is the file name used in messages."""

    name: str
    format: str  # "xlsx", "xlsm", "xls", "ods" or "csv"
    sheets: tuple[SourceSheet, ...]
    encoding: str = ""  # CSV only: the encoding the text was read in
    delimiter: str = ""  # CSV only: the delimiter found

    def sheet(self, name: str) -> SourceSheet | None:
        """A sheet by name: exactly, else ignoring case and surrounding spaces."""
        exact = next((s for s in self.sheets if s.name == name), None)
        if exact is not None:
            return exact
        wanted = name.strip().casefold()
        return next((s for s in self.sheets if s.name.strip().casefold() == wanted), None)


_RANGE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?")


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def parse_range(ref: str) -> MergedRange:
    """ "B4:B5" (or "B4") as a MergedRange. Raises ValueError for anything else."""
    m = _RANGE.fullmatch(ref.strip())
    if m is None:
        raise ValueError(f"not a cell range: {ref!r}")
    first_col, first_row = _column_number(m[1]), int(m[2])
    last_col = _column_number(m[3]) if m[3] else first_col
    last_row = int(m[4]) if m[4] else first_row
    return MergedRange(
        min(first_row, last_row), min(first_col, last_col), max(first_row, last_row),
        max(first_col, last_col),
    )  # fmt: skip


def make_sheet(
    name: str,
    values: Sequence[Sequence[CellValue]],
    merged: Iterable[MergedRange | str] = (),
    *,
    visible: bool = True,
) -> SourceSheet:
    """A SourceSheet from rows of values starting at A1 (padded to a rectangle)."""
    width = max((len(r) for r in values), default=0)
    rows = tuple(
        tuple(
            SourceCell(name, r, c, row[c - 1] if c <= len(row) else None)
            for c in range(1, width + 1)
        )
        for r, row in enumerate(values, start=1)
    )
    ranges = tuple(parse_range(m) if isinstance(m, str) else m for m in merged)
    return SourceSheet(name, rows, ranges, visible)


def value_text(value: CellValue) -> str:
    """A cell value as the plan shows it: dates as "30 June 2024", numbers as Excel shows them
    (15 significant digits, no ".0"), TRUE/FALSE, "" for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, datetime):
        day = format_plan_date(value)
        return day if value.time() == time() else f"{day} {_clock(value.time())}"
    if isinstance(value, date):
        return format_plan_date(value)
    return _clock(value)


def _clock(t: time) -> str:
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")
