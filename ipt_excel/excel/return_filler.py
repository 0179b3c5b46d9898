"""Play an agency filling in its return, as Excel would save it (used by `ipt demo` and tests).

Update cells are addressed by area ID and field (progress, rag, evidence, next_review); the
cells are found through the return reader, so nothing about the layout is written twice.
Editing locked plan text first removes the sheet protection, as a user would.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import Cell

from ipt_excel.columns import COLUMNS_BY_KEY
from ipt_excel.excel.return_reader import read_return
from ipt_excel.workspace import atomic_write

CellInput = str | date | datetime | int | float | None


def _set(cell: Cell, value: CellInput) -> None:
    cell.value = value
    if isinstance(value, str):
        # Typed with a leading apostrophe in Excel: text, even if it starts with '='.
        cell.data_type = "s"


def fill_return(
    src: Path,
    dst: Path,
    updates: Mapping[str, Mapping[str, CellInput]],
    *,
    locked_edits: Mapping[str, Mapping[str, str]] | None = None,
    formulas: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """Copy `src` to `dst` with the given cells filled in.

    `updates`: area ID -> {field: value} for the open update cells.
    `locked_edits`: area ID -> {column key: text} for plan text (protection removed first).
    `formulas`: area ID -> {field: formula} typed as real formulas.
    """
    data = src.read_bytes()
    found = read_return(data, src.name)
    rows = {row.text("id"): row.excel_row for row in found.rows}
    by_field = {c.field: c.key for c in COLUMNS_BY_KEY.values() if c.is_update}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl notes parts it does not keep
        wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[found.sheet]

    def cell(area_id: str, key: str) -> Cell:
        if area_id not in rows:
            raise KeyError(f"{src.name} has no row for area {area_id}")
        c = ws.cell(row=rows[area_id], column=found.columns[key] + 1)
        assert isinstance(c, Cell)
        return c

    for area_id, fields in updates.items():
        for f, value in fields.items():
            _set(cell(area_id, by_field.get(f, f)), value)
    for area_id, fields in (formulas or {}).items():
        for f, formula in fields.items():
            cell(area_id, by_field.get(f, f)).value = formula
    if locked_edits:
        ws.protection.sheet = False
        for area_id, cols in locked_edits.items():
            for key, text in cols.items():
                _set(cell(area_id, key), text)
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write(dst, buf.getvalue())
    return dst
