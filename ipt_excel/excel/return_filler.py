"""Play an agency filling in its return, as Excel would save it (used by `ipt demo` and tests).

Update cells are addressed by area ID and column key ("progress", "rag", ...), and the
sign-off's by field ("name", "role", "date", "confirmed"); the cells are found through the
return reader and the manifest, so nothing about the layout is written twice.
Editing locked plan text first removes the sheet protection, as a user would.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Mapping
from datetime import date, datetime

import openpyxl
from openpyxl.cell.cell import Cell

from ipt_excel.core.sign_off import CONFIRMED, DATE, NAME, ROLE, YES
from ipt_excel.excel.return_reader import read_return

CellInput = str | date | datetime | int | float | None
# What a test or the demo signs with when it does not say: a sign-off that is valid on any
# day from the one the return was issued.
SIGNED_BY = "Sam Jones"
SIGNED_AS = "Head of Service"


def _set(cell: Cell, value: CellInput) -> None:
    cell.value = value
    if isinstance(value, str):
        # Typed with a leading apostrophe in Excel: text, even if it starts with '='.
        cell.data_type = "s"


def fill_return_bytes(
    data: bytes,
    name: str,
    updates: Mapping[str, Mapping[str, CellInput]],
    *,
    locked_edits: Mapping[str, Mapping[str, str]] | None = None,
    formulas: Mapping[str, Mapping[str, str]] | None = None,
    saved_at: datetime | None = None,
    sign_off: Mapping[str, CellInput] | bool = True,
) -> bytes:
    """The return `data` (file `name`, for messages) with the given cells filled in.

    `updates`: area ID -> {field: value} for the open update cells.
    `locked_edits`: area ID -> {column key: text} for plan text (protection removed first).
    `formulas`: area ID -> {field: formula} typed as real formulas.
    `saved_at`: a fixed save time, for byte-for-byte reproducible files (the demo).
    `sign_off`: field -> value for the sign-off's cells; True (the default) signs it as
    SIGNED_BY on the day it was issued, False leaves it as it is. A return with no sign-off
    ignores it.
    """
    found = read_return(data, name)
    rows = {row.text("id"): row.excel_row for row in found.rows}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl notes parts it does not keep
        wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[found.sheet]

    def cell(area_id: str, key: str) -> Cell:
        if area_id not in rows:
            raise KeyError(f"{name} has no row for area {area_id}")
        c = ws.cell(row=rows[area_id], column=found.columns[key] + 1)
        assert isinstance(c, Cell)
        return c

    for area_id, fields in updates.items():
        for f, value in fields.items():
            _set(cell(area_id, f), value)
    block = found.manifest.sign_off if found.manifest is not None else None
    if block is not None and sign_off is not False:
        assert found.manifest is not None
        signed: Mapping[str, CellInput] = (
            {
                NAME: SIGNED_BY,
                ROLE: SIGNED_AS,
                DATE: datetime.fromisoformat(found.manifest.issued_at).replace(
                    hour=0, minute=0, second=0, microsecond=0
                ),
                CONFIRMED: YES,
            }
            if sign_off is True
            else sign_off
        )
        for f, value in signed.items():
            target = ws[block.cell(f)]
            assert isinstance(target, Cell)
            _set(target, value)
    for area_id, fields in (formulas or {}).items():
        for f, formula in fields.items():
            cell(area_id, f).value = formula
    if locked_edits:
        ws.protection.sheet = False
        for area_id, cols in locked_edits.items():
            for key, text in cols.items():
                _set(cell(area_id, key), text)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue() if saved_at is None else _stamped(buf.getvalue(), saved_at)


def _stamped(data: bytes, saved_at: datetime) -> bytes:
    """Give every zip entry and the 'modified' property one fixed time, so the same edits
    make the same bytes (openpyxl stamps the current time on both)."""
    stamp = saved_at.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    body,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=saved_at.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, body)
    return out.getvalue()
