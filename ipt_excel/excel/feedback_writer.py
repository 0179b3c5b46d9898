"""Feedback for an invalid return: the agency's own return, re-issued with its faults marked.

The feedback workbook is the return as issued (same signed manifest, same locked plan text,
same protection), with the values the agency entered kept in the white cells and each faulty
cell highlighted, with a note saying what is wrong and what to do. The coordinator sends it
straight back; the agency fixes the marked cells and returns it, and it is checked like any
return, because its manifest still verifies.

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

from ipt_excel.core.columns import Column, Kind
from ipt_excel.core.kinds import cell_text
from ipt_excel.core.manifest import Manifest, locked_text_hash
from ipt_excel.core.model import Agency, Area, Plan, Round
from ipt_excel.core.problems import Problem
from ipt_excel.core.returned import ReturnData, ReturnRow
from ipt_excel.core.rounds import IssuedReturn, ReturnLayout, locked_values, return_layout
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
    raw = cell.raw
    if cell.is_formula or cell.is_error or raw is None:
        return ""
    if column.kind is Kind.REVIEW:
        return cell_text(column, raw, epoch_1904=epoch == 1904)
    if isinstance(raw, str):
        return excel_cut(raw)  # too long is reported; this keeps what a cell can hold
    if isinstance(raw, datetime | date) or (
        isinstance(raw, numbers.Real) and not isinstance(raw, bool)
    ):
        return raw
    return cell.text


def _marks(
    problems: tuple[Problem, ...],
    rows: dict[str, ReturnRow],
    ids: tuple[str, ...],
    layout: ReturnLayout,
) -> dict[tuple[str, str], tuple[str, str]]:
    key_by_header = {c.header: c.key for c in layout.open}
    first_open = layout.open[0].key
    notes: dict[tuple[str, str], list[tuple[bool, str]]] = {}

    def add(where: tuple[str, str], is_error: bool, text: str) -> None:
        found = notes.setdefault(where, [])
        if (is_error, text) not in found:
            found.append((is_error, text))

    for p in problems:
        if p.area_id not in ids:
            continue
        row = rows.get(p.area_id)
        key = key_by_header.get(p.column)
        if key is not None and row is not None and row.cells[key].address == p.cell:
            add((p.area_id, key), p.is_error, p.message)
        elif p.rule in _REPAIRED or (p.rule == Rule.FORMULA and key is None):
            text = _REPAIRED.get(p.rule, "A formula in the plan text has been removed.")
            add((p.area_id, first_open), False, text)
    marks: dict[tuple[str, str], tuple[str, str]] = {}
    for where, found in notes.items():
        found.sort(key=lambda item: not item[0])  # errors first
        severity = "error" if found[0][0] else "warning"
        marks[where] = (severity, " ".join(text for _, text in found))
    return marks


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
    content = write_return(
        replace(plan, round=rnd),
        IssuedReturn(agency=agency, areas=areas, manifest=m),
        data.signature,
        created=created,
        password=password,
        values=values,
        marks=_marks(problems, rows, m.row_ids, layout),
    )
    return agency, content
