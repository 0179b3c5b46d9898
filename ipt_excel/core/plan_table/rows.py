"""The rows under the header read: merged cells filled down, rows grouped under their IDs, and
the rows that are not areas (section headings, notes, repeated headers) set aside.

Decisions, written down once:

- **IDs.** In an ID column, or at the start of the area text when there is none ("1.4 Ensure
  that…", "R1a. Theme…", "Recommendation 3: …"). Kept as text exactly: a number cell 1.1 is
  "1.1" and 2 is "2"; the text "1.10" stays "1.10". A date in the ID column is an error
  (Excel turns a typed 1.4 into 1 April). An "Action no" column is the ID when there is no other
  ID column, and otherwise gives each action its ID.
- **Rows.** A merged cell's value applies to every row it spans. A row with no ID of its own
  belongs to the ID above it. Blank rows are skipped; a row with one cell of text (or text in
  recommendation-level columns only) and no ID is a section heading when rows with IDs follow
  it, and a note otherwise: both are reported in `notes`, never imported as areas. So is a row
  after a blank row with text in one cell only and no ID (a key or note typed under the table
  in any column), rather than being added to the area above. Rows that repeat the header row
  are skipped and reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from ipt_excel.core.plan_table.headings import _Column
from ipt_excel.core.plan_table.problems import _cell_problem
from ipt_excel.core.plan_table.result import NoteKind, NoteRow
from ipt_excel.core.plan_table.source import (
    CellValue,
    SourceCell,
    SourceFile,
    SourceSheet,
    value_text,
)
from ipt_excel.core.plan_table.targets import TARGETS_BY_KEY, Level, heading_key
from ipt_excel.core.problems import Problem, Severity


@dataclass
class _Row:
    number: int
    cells: dict[str, SourceCell]  # column key -> the (origin) cell, non-blank only
    own: set[str]  # keys typed in this row (not from a merged range above)
    spans: set[str]  # keys whose cell is merged across columns in this row


@dataclass
class _Group:
    id: str
    id_cell: str
    rows: list[_Row] = field(default_factory=list)
    section: str = ""


def _origins(sheet: SourceSheet, first_row: int) -> dict[tuple[int, int], SourceCell]:
    """Each cell covered by a merged range that starts below the header -> the range's
    top-left cell. A heading merged down into the rows below it fills nothing."""
    out: dict[tuple[int, int], SourceCell] = {}
    height, width = sheet.height, sheet.width
    for rng in sheet.merged:
        if rng.first_row < first_row:
            continue
        top_left = sheet.cell(rng.first_row, rng.first_col)
        for r in range(rng.first_row, min(rng.last_row, height) + 1):
            for c in range(rng.first_col, min(rng.last_col, width) + 1):
                if (r, c) != (rng.first_row, rng.first_col):
                    out[(r, c)] = top_left
    return out


def _read_rows(sheet: SourceSheet, header_row: int, columns: list[_Column]) -> Iterator[_Row]:
    origins = _origins(sheet, header_row + 1)
    # The top-left cells of ranges merged across columns (a row's cells are top-left cells).
    wide = {(rng.first_row, rng.first_col) for rng in sheet.merged if rng.last_col > rng.first_col}
    for number in range(header_row + 1, sheet.height + 1):
        row = _Row(number, {}, set(), set())
        seen: set[tuple[int, int]] = set()
        for column in columns:
            cell = origins.get((number, column.col), sheet.cell(number, column.col))
            if cell.is_blank or (cell.row, cell.col) in seen:
                continue  # a cell merged across columns counts once, in its first column
            seen.add((cell.row, cell.col))
            row.cells[column.key] = cell
            if cell.row == number:
                row.own.add(column.key)
            if (cell.row, cell.col) in wide:
                row.spans.add(column.key)
        if row.cells:
            yield row


_ID_IN_TEXT = re.compile(
    r"^\s*(?:(?i:recommendation|rec\.?|area\s+for\s+improvement|area\s+of\s+improvement"
    r"|area|finding|requirement|priority)\s*(?i:no\.?|number)?\s*)?"
    r"(?P<id>[A-Z]{0,3}\d+(?:\.\d+)*[a-z]?)"
    r"(?:\s*[.):\u2013\u2014-]\s*|\s+)(?P<rest>[^\d\s].*)$",
    re.S,
)


def id_in_text(text: str) -> tuple[str, str] | None:
    """The ID at the start of an area's text and the rest: "1.4 Ensure…" -> ("1.4", "Ensure…")."""
    m = _ID_IN_TEXT.match(text)
    return (m["id"], m["rest"].strip()) if m else None


def _id_text(value: CellValue) -> str:
    """An ID as text, exactly: a number cell as Excel shows it, text without outer spaces."""
    return value_text(value).strip()


def _looks_like_id(value: CellValue) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | date):
        return True
    text = value_text(value).strip()
    if len(text) > 20 or len(text.split()) > 2:
        return False
    return any(ch.isdigit() for ch in text) or bool(re.fullmatch(r"[A-Z]{1,4}", text))


def _typed_text(row: _Row) -> bool:
    """Only text in the row, all of it typed there (none reaching in from a merged cell)."""
    return row.own == set(row.cells) and all(isinstance(c.value, str) for c in row.cells.values())


@dataclass
class _Reader:
    """The row-by-row pass: groups rows under IDs, collects notes and problems."""

    source: SourceFile
    columns: list[_Column]
    id_key: str  # "id", or "title" when IDs lead the area text
    problems: list[Problem]
    groups: list[_Group] = field(default_factory=list)
    notes: list[NoteRow] = field(default_factory=list)
    pending_notes: list[NoteRow] = field(default_factory=list)
    section: str = ""
    last_row: int = 0  # the row read before this one (blank rows are never read)

    def __post_init__(self) -> None:
        self.by_key = {c.key: c for c in self.columns}
        # Columns whose text alone does not make a row of the plan: recommendation-level ones,
        # and columns with no heading (a note typed beside the table).
        self.noteable = {
            c.key
            for c in self.columns
            if (c.target and TARGETS_BY_KEY[c.target].level is Level.AREA) or not c.heading
        }

    def heading(self, key: str) -> str:
        return self.by_key[key].heading if key in self.by_key else ""

    def run(self, rows: Iterable[_Row]) -> None:
        for row in rows:
            if self._repeats_header(row):
                self._note(row, "repeated-header")
            else:
                self._take(row)
        for note in self.pending_notes:  # nothing with an ID after them: notes below the table
            self.notes.append(NoteRow(note.row, note.cell, note.text, "note"))
        self.pending_notes.clear()

    def _repeats_header(self, row: _Row) -> bool:
        same = [
            k
            for k, cell in row.cells.items()
            if self.heading(k)
            and heading_key(value_text(cell.value)) == heading_key(self.heading(k))
        ]
        return len(same) >= 2

    def _note(self, row: _Row, kind: NoteKind) -> None:
        cell = next(iter(row.cells.values()))
        text = " ".join(value_text(c.value).strip() for c in row.cells.values())
        note = NoteRow(row.number, cell.address, text, kind)
        if kind == "section":  # a section heading if rows with IDs follow, else a note
            self.pending_notes.append(note)
        else:
            self.notes.append(note)

    def _is_text_only(self, row: _Row) -> bool:
        """Text typed in this row only, in one cell or in recommendation-level columns only:
        a heading or a note. A row a merged cell reaches into is inside a recommendation."""
        if not _typed_text(row):
            return False
        if len(row.cells) == 1 and row.spans:
            return True
        return set(row.cells) <= self.noteable

    def _take(self, row: _Row) -> None:
        after_gap = self.last_row and row.number > self.last_row + 1
        self.last_row = row.number
        own_id = self._own_id(row)
        text_only = self._is_text_only(row)
        if text_only and row.spans and len(row.cells) == 1:
            self._note(row, "section")  # one cell merged across the table: never an ID
        elif own_id:
            self._start(row, own_id)
        elif text_only or (
            own_id is None and after_gap and len(row.cells) == 1 and _typed_text(row)
        ):
            self._note(row, "section")
        elif own_id == "":
            self._no_id(row) if self.id_key == "title" else self._not_an_id(row)
        elif not self.groups or self.pending_notes:
            self._no_id(row)
        else:
            self.groups[-1].rows.append(row)

    def _own_id(self, row: _Row) -> str | None:
        """This row's own ID; None when it has none, "" when its ID cell holds no ID."""
        cell = row.cells.get(self.id_key)
        if cell is None or self.id_key not in row.own:
            return None
        if self.id_key == "title":
            found = id_in_text(value_text(cell.value))
            return found[0] if found else ""
        return _id_text(cell.value) if _looks_like_id(cell.value) else ""

    def _start(self, row: _Row, area_id: str) -> None:
        self._flush_sections()
        cell = row.cells[self.id_key]
        if isinstance(cell.value, date):
            self.problems.append(
                self._problem(
                    cell,
                    self.id_key,
                    "id-is-date",
                    value_text(cell.value),
                    f"the ID is a date ({value_text(cell.value)}): Excel may have turned an ID "
                    "such as 1.4 into a date. Format the ID column as Text and type the IDs "
                    "again.",
                    area_id,
                )
            )
        current = self.groups[-1] if self.groups else None
        if current is not None and current.id == area_id:
            current.rows.append(row)
            return
        earlier = next((g for g in self.groups if g.id == area_id), None)
        if earlier is not None:
            self.problems.append(
                self._problem(
                    cell,
                    self.id_key,
                    "id-repeated",
                    area_id,
                    f"the ID {area_id} is used again here, after other IDs (first at "
                    f"{earlier.id_cell.split('!')[-1]}). Give this row its own ID, or move it "
                    f"up beside the other rows of {area_id}. If Excel turned 1.10 into 1.1, "
                    "format the ID column as Text and type the IDs again.",
                    area_id,
                )
            )
            earlier.rows.append(row)
            return
        self.groups.append(_Group(area_id, cell.address, [row], self.section))

    def _flush_sections(self) -> None:
        for note in self.pending_notes:
            self.notes.append(note)
            self.section = note.text
        self.pending_notes.clear()

    def _no_id(self, row: _Row) -> None:
        cell = next(iter(row.cells.values()))
        if self.id_key == "title":
            title = self.heading("title") or "Area for improvement"
            do = (
                f"Start the '{title}' text with the area's ID, like '1.4 Ensure that…', or add "
                "an 'ID' column."
            )
            cell = row.cells.get("title", cell)
        else:
            do = f"Give it an ID in the '{self.heading('id')}' column, or delete the row."
        text = value_text(cell.value).strip()
        self.problems.append(
            self._problem(
                cell, self.id_key, "id-missing", text, f"row {row.number} has no ID. {do}"
            )
        )

    def _not_an_id(self, row: _Row) -> None:
        cell = row.cells[self.id_key]
        text = value_text(cell.value).strip()
        self.problems.append(
            self._problem(
                cell,
                self.id_key,
                "id-not-an-id",
                text,
                f"'{text}' is where an ID is expected. Give the row an ID, or if it is a "
                "heading, put it alone on its row.",
            )
        )

    def _problem(
        self,
        cell: SourceCell,
        key: str,
        rule: str,
        value: str,
        message: str,
        area_id: str = "",
        severity: Severity = Severity.ERROR,
    ) -> Problem:
        return _cell_problem(
            self.source, cell, self.heading(key), rule, value, message, severity, area_id
        )
