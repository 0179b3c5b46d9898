"""What mapping a table gives, as plain data: a `PlanTable` of areas (`TableArea`) and their
actions (`TableAction`), each value with the cell it came from (`Value`); the headings as
mapped (`HeadingMap`); the plan's columns (`TableColumn`); the rows that are not areas
(`NoteRow`); and every rule a problem can name (`TABLE_RULES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

from ipt_excel.core.plan_table.agencies import AgencySplit
from ipt_excel.core.plan_table.source import CellValue, value_text
from ipt_excel.core.plan_table.targets import TARGETS_BY_KEY, Level, Role
from ipt_excel.core.problems import Problem

RowsMode = Literal["areas", "actions"]


@dataclass(frozen=True)
class Value:
    """One non-blank value as the plan has it, with the address of the cell it came from."""

    value: str | int | float | bool | datetime | date | time
    cell: str  # "Sheet1!G10"


Fields = Mapping[str, tuple[Value, ...]]


def _text(fields: Fields, key: str) -> str:
    return "\n".join(value_text(v.value) for v in fields.get(key, ()))


def _one(fields: Fields, key: str) -> CellValue:
    values = fields.get(key, ())
    if not values:
        return None
    if len(values) == 1:
        return values[0].value
    return _text(fields, key)


@dataclass(frozen=True)
class TableAction:
    """One action row under its recommendation ("actions" mode)."""

    id: str
    row: int
    cell: str  # where its ID was read, or its row's first own cell when the ID was made
    fields: Fields
    rag: str = ""
    agencies: tuple[str, ...] = ()

    def text(self, key: str) -> str:
        """The column's value as text ("" when blank)."""
        return _text(self.fields, key)

    def value(self, key: str) -> CellValue:
        """The column's typed value (a date stays a date); None when blank."""
        return _one(self.fields, key)


@dataclass(frozen=True)
class TableArea:
    """One area (recommendation) and, in "actions" mode, its actions.

    In "areas" mode `fields` holds every column, one value per source cell in row order (a
    merged cell once); in "actions" mode only the recommendation-level columns, the others
    being on each action.
    """

    id: str
    id_cell: str  # where the ID was read
    rows: tuple[int, ...]  # its rows in the sheet, 1-based
    fields: Fields
    rag: str = ""  # on the scale, or "" unrated; in "actions" mode the worst of its actions'
    agencies: tuple[str, ...] = ()  # in "actions" mode, every agency of its actions
    actions: tuple[TableAction, ...] = ()
    section: str = ""  # the section heading row above it, when the table has them

    def text(self, key: str) -> str:
        """The column's values joined line by line ("" when blank)."""
        return _text(self.fields, key)

    def value(self, key: str) -> CellValue:
        """The column's one typed value, the joined text when several, None when blank."""
        return _one(self.fields, key)


MapHow = Literal["recognised", "mapped", "kept", "ignored", "duplicate", "no heading"]


@dataclass(frozen=True)
class HeadingMap:
    """One heading of the source table and what it was taken to mean."""

    column: int  # 1-based
    cell: str  # the heading's address
    heading: str  # as written
    key: str  # the column key it became ("" when ignored)
    target: str  # the plan column it means ("" when kept as plan text or ignored)
    how: MapHow

    @property
    def meaning(self) -> str:
        """ "Actions", "kept as plan text" or "ignored", for the printed mapping."""
        if self.how == "ignored":
            return "ignored"
        if self.target:
            return TARGETS_BY_KEY[self.target].heading
        return "kept as plan text"


@dataclass(frozen=True)
class TableColumn:
    """A column of the mapped table, for building the plan's column set."""

    key: str
    heading: str  # the source's heading ("" when it had none)
    target: str  # the plan column ("" for a plan-text column of its own)
    column: int  # 1-based source column
    level: Level
    role: Role
    kind: str


NoteKind = Literal["title", "section", "note", "repeated-header"]


@dataclass(frozen=True)
class NoteRow:
    """A row that is not an area: a title line above the table, a section heading, a note."""

    row: int
    cell: str
    text: str
    kind: NoteKind


@dataclass(frozen=True)
class PlanTable:
    file: str
    sheet: str
    header_row: int  # 0 when no table was found
    mode: RowsMode
    detected_mode: RowsMode
    id_source: Literal["column", "text", ""]
    mapping: tuple[HeadingMap, ...]
    columns: tuple[TableColumn, ...]
    areas: tuple[TableArea, ...]
    notes: tuple[NoteRow, ...] = ()
    agencies: tuple[str, ...] = ()  # every agency named, in first-seen order
    agency_splits: tuple[AgencySplit, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def ok(self) -> bool:
        """Areas were read and no problem must be fixed first."""
        return bool(self.areas) and not self.errors

    @property
    def title_lines(self) -> tuple[str, ...]:
        """The text above the header row: the plan's title, version and so on."""
        return tuple(n.text for n in self.notes if n.kind == "title")


TABLE_RULES: tuple[str, ...] = (
    "sheet-not-found",
    "no-header",
    "no-ids",
    "no-rows",
    "map-heading-not-found",
    "heading-duplicate",
    "heading-missing",
    "id-missing",
    "id-not-an-id",
    "id-is-date",
    "id-repeated",
    "action-id-clash",
    "rag-unknown",
    "rag-two-ratings",
    "rag-read-as",
    "rag-differs",
    "agency-unknown",
    "date-unreadable",
    # in the plan the table makes (core/table_plan.py)
    "agency-file-name",
    "no-agencies",
    # in an agency registry
    "registry-no-header",
    "registry-no-name",
    "registry-duplicate",
    "registry-email",
)
