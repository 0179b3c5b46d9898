"""Feedback for an invalid return: the agency's own return, re-issued with its faults marked.

The feedback workbook is the return as issued (same signed manifest, same locked plan text,
same protection), with the values the agency entered kept in the white cells (the sign-off's
too) and each faulty cell highlighted, with a note saying what is wrong and what to do. It
opens on a sheet "What to fix" that lists every problem in words, errors first, so the
reasons print (core/fix_list.py). The coordinator sends it straight back; the agency fixes
the marked cells and returns it, and it is checked like any return, because its manifest
still verifies (and the "What to fix" sheet of a return sent back is not read).

Structure the agency broke (a moved, deleted or copied row, changed plan text) is put back as
it was issued, and a note on the row's Progress cell says so. Two things cannot be kept: a
formula (the cell is emptied: only a typed value is accepted) and text longer than an Excel
cell (cut to the limit). Apart from those, checking a feedback file unchanged gives the same
problems with the update cells as the return it was made from.

No feedback is written (None) for a valid return, or for one that cannot be re-issued as it
was sent: no manifest, a damaged or unsigned manifest, a stale or superseded return, an agency
no longer in the plan, or plan text in the master changed since the return was issued (issue a
new return instead).
"""

from __future__ import annotations

import numbers
from dataclasses import replace
from datetime import date, datetime
from typing import TypeVar

from ipt_excel.core.columns import Column, Kind
from ipt_excel.core.fix_list import Fix, ordered, split_message
from ipt_excel.core.kinds import cell_text
from ipt_excel.core.manifest import Manifest, locked_text_hash
from ipt_excel.core.model import Agency, Area, Plan, Round
from ipt_excel.core.problems import Problem, cell_ref
from ipt_excel.core.returned import CellValue, ReturnData, ReturnRow
from ipt_excel.core.rounds import (
    RETURN_SHEET,
    IssuedReturn,
    ReturnLayout,
    locked_values,
    return_layout,
)
from ipt_excel.core.rule_codes import Rule
from ipt_excel.core.text import excel_cut
from ipt_excel.core.validate import with_issued
from ipt_excel.excel.return_writer import write_return

# Problems fixed by re-issuing: what the note on the row's first open cell says about each.
_REPAIRED: dict[str, str] = {
    Rule.LOCKED_TEXT_CHANGED: "The plan text in this row had been changed. It has been put "
    "back as it was sent: only the white cells can be changed.",
    Rule.ROW_ORDER: "This row had been moved. It has been put back where it was sent.",
    Rule.ROW_MISSING: "This row had been deleted. It has been put back: fill in its white cells.",
    Rule.ROW_DUPLICATED: "This area appeared more than once. The copy has been removed: check "
    "the white cells hold the update you want to send.",
}
_FORMULA_REMOVED = "A formula in the plan text has been removed."
# Problems the rebuilt workbook no longer has: what the "What to fix" sheet says to do.
_PUT_RIGHT: dict[str, str] = {
    Rule.CONTENT_OUTSIDE_TABLE: "It is not in this workbook. If it is part of your update, "
    "type it in a white cell of the table.",
    Rule.SHEET_ADDED: "The sheet is not in this workbook. Type anything on it that is part of "
    "your update in the white cells of the Return sheet.",
    Rule.FORMULA: "It is not in this workbook: a return holds only typed values.",
    Rule.TITLE_CHANGED: "It has been put back as it was sent.",
    Rule.LISTS_CHANGED: "The Lists sheet has been put back as it was sent.",
    Rule.HEADER_CHANGED: "The headings have been put back as they were sent.",
    Rule.ROW_ADDED: "The row is not in this workbook: only the areas you were sent can be updated.",
    Rule.AGENCY_MISMATCH: "The row is not in this workbook: only the areas you were sent can "
    "be updated.",
}
_PUT_RIGHT_ANYWAY = "It has been put right in this workbook."


def _rows_by_id(data: ReturnData, manifest: Manifest) -> dict[str, ReturnRow]:
    wanted = set(manifest.row_ids)
    found: dict[str, ReturnRow] = {}
    for row in data.rows:
        rid = row.text("id").strip()
        if rid in wanted and rid not in found:
            found[rid] = row
    return found


def _areas_as_issued(
    plan: Plan, manifest: Manifest, agency: Agency, layout: ReturnLayout
) -> tuple[Area, ...] | None:
    """The manifest's areas with the plan text and values as issued, or None when the master's
    plan text has changed since (the locked cells would no longer match the manifest)."""
    areas: list[Area] = []
    for mrow in manifest.rows:
        area = plan.find_area(mrow.id)
        if area is None:
            return None
        area = with_issued(area, mrow.issued)
        if locked_text_hash(locked_values(plan, area, agency.key, layout)) != mrow.locked_sha256:
            return None
        areas.append(area)
    return tuple(areas)


def _kept_value(row: ReturnRow, column: Column, epoch: int) -> object:
    """What the agency entered in an open cell, in a form the return writer writes back."""
    cell = row.cells.get(column.key)
    if cell is None:  # the column was deleted or renamed: the re-issued return restores it
        return ""
    if column.kind is Kind.REVIEW and not (cell.is_formula or cell.is_error or cell.raw is None):
        return cell_text(column, cell.raw, epoch_1904=epoch == 1904)
    return _entered(cell)


def _entered(cell: CellValue) -> object:
    """A cell's value as the agency entered it, to write back as it was: a formula or an
    Excel error is emptied (the agency fills it in again)."""
    raw = cell.raw
    if cell.is_formula or cell.is_error or raw is None:
        return ""
    if isinstance(raw, str):
        return excel_cut(raw)  # too long is reported; this keeps what a cell can hold
    if isinstance(raw, datetime | date) or (
        isinstance(raw, numbers.Real) and not isinstance(raw, bool)
    ):
        return raw
    return cell.text


_K = TypeVar("_K")


def _kept_sign_off(data: ReturnData) -> dict[str, object]:
    """What the agency entered in the sign-off's cells, to write back as it was."""
    return {field: _entered(cell) for field, cell in data.sign_off.items()}


def _joined(notes: dict[_K, list[tuple[bool, str]]]) -> dict[_K, tuple[str, str]]:
    """Each cell's notes as one mark: its severity (an error if any is) and its texts."""
    marks: dict[_K, tuple[str, str]] = {}
    for where, found in notes.items():
        found.sort(key=lambda item: not item[0])  # errors first
        severity = "error" if found[0][0] else "warning"
        marks[where] = (severity, " ".join(text for _, text in found))
    return marks


def _marks(
    problems: tuple[Problem, ...],
    rows: dict[str, ReturnRow],
    m: Manifest,
    layout: ReturnLayout,
    sheet: str,
) -> tuple[dict[tuple[str, str], tuple[str, str]], dict[str, tuple[str, str]], tuple[Fix, ...]]:
    """The cells to mark (by area and column, and the sign-off's by field) and the rows of
    the "What to fix" sheet, each at its cell in the rebuilt workbook."""
    ids = m.row_ids
    key_by_header = {c.header: c.key for c in layout.open}
    locked_by_header = {c.header: c.key for c in layout.locked if c.kind is not Kind.ID}
    first_open = layout.open[0].key
    column_of = {c.key: i for i, c in enumerate(layout.columns)}
    block = m.sign_off
    notes: dict[tuple[str, str], list[tuple[bool, str]]] = {}
    sign_notes: dict[str, list[tuple[bool, str]]] = {}
    fixes: list[Fix] = []

    def at(area_id: str, key: str) -> str:
        """The cell an area's column is written in, in the rebuilt workbook."""
        return cell_ref(m.header_row + 1 + ids.index(area_id), column_of[key])

    def add(where: tuple[str, str], is_error: bool, text: str) -> None:
        found = notes.setdefault(where, [])
        if (is_error, text) not in found:
            found.append((is_error, text))

    for p in problems:
        wrong, to_do = split_message(p.message)
        row = rows.get(p.area_id) if p.area_id in ids else None
        key = key_by_header.get(p.column) if p.area_id in ids else None
        field = block.field_at(p.cell) if block is not None and p.sheet == sheet else None
        if key is not None and row is not None and row.cells[key].address == p.cell:
            add((p.area_id, key), p.is_error, p.message)
            fixes.append(
                Fix(p.is_error, RETURN_SHEET, at(p.area_id, key), p.column, p.area_id, wrong, to_do)
            )
        elif p.area_id in ids and (p.rule in _REPAIRED or (p.rule == Rule.FORMULA and key is None)):
            text = _REPAIRED.get(p.rule, _FORMULA_REMOVED)
            # On the plan-text cell that was put back, when the problem names one; else on
            # the row's first open cell.
            target = locked_by_header.get(p.column, first_open)
            if target != first_open:
                text = text.replace("in this row", "in this cell")
            add((p.area_id, target), False, text)
            done_wrong, done = split_message(text)
            cell = at(p.area_id, target)
            fixes.append(Fix(False, RETURN_SHEET, cell, p.column, p.area_id, done_wrong, done))
        elif field is not None:  # a formula there is emptied: the cell must be filled again
            found = sign_notes.setdefault(field, [])
            if (p.is_error, p.message) not in found:
                found.append((p.is_error, p.message))
            fixes.append(Fix(p.is_error, RETURN_SHEET, p.cell, p.column, "", wrong, to_do))
        else:  # the rebuilt workbook has put it right: worth a look, nothing to fix
            where = RETURN_SHEET if p.sheet == sheet else p.sheet
            to_do = _PUT_RIGHT.get(p.rule, _PUT_RIGHT_ANYWAY)
            fixes.append(Fix(False, where, p.cell, p.column, p.area_id, wrong, to_do))
    return _joined(notes), _joined(sign_notes), ordered(fixes)


def must_fix(data: ReturnData, problems: tuple[Problem, ...]) -> int:
    """How many things the feedback workbook for `data` asks the agency to fix: its What to
    fix sheet's "Must fix" rows. What the workbook puts right itself (plan text put back, a
    row returned) is not counted."""
    m = data.manifest
    if m is None:
        return sum(p.is_error for p in problems)
    _, _, fixes = _marks(problems, _rows_by_id(data, m), m, return_layout(m.columns), data.sheet)
    return sum(f.must for f in fixes)


def feedback_workbook(
    data: ReturnData,
    problems: tuple[Problem, ...],
    plan: Plan,
    *,
    created: datetime,
    password: str | None = None,
) -> tuple[Agency, bytes] | None:
    """The feedback workbook's bytes for a return read as `data` with `problems`, and the
    agency it goes back to; None when it cannot be re-issued as it was sent (see the module
    docstring). `plan` is the workspace's current master; `password`, if the returns were
    issued with one, protects the feedback the same way."""
    if data.manifest is None:
        return None
    m = data.manifest
    agency = next((a for a in plan.agencies if a.key == m.agency), None)
    if agency is None:
        return None
    layout = return_layout(m.columns)
    areas = _areas_as_issued(plan, m, agency, layout)
    if areas is None:
        return None
    same_round = plan.round.name == m.round_name
    rnd = Round(
        name=m.round_name,
        date=date.fromisoformat(m.round_date),
        due=plan.round.due if same_round else None,
    )
    rows = _rows_by_id(data, m)
    values: dict[tuple[str, str], object] = {
        (rid, c.key): _kept_value(row, c, data.epoch)
        for rid, row in rows.items()
        for c in layout.open
    }
    marks, sign_off_marks, fixes = _marks(problems, rows, m, layout, data.sheet)
    content = write_return(
        replace(plan, round=rnd),
        IssuedReturn(agency=agency, areas=areas, manifest=m),
        data.signature,
        created=created,
        password=password,
        values=values,
        marks=marks,
        sign_off=_kept_sign_off(data) if m.sign_off is not None else None,
        sign_off_marks=sign_off_marks,
        fixes=fixes,
    )
    return agency, content
