"""Sign off a return in a test as an agency would: the sign-off's cells filled in.

The cells are found from the return's own manifest, so a plan with other columns (and the
sign-off elsewhere) is signed the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.workbook.workbook import Workbook

from ipt_excel.core.manifest import Manifest, from_json
from ipt_excel.core.sign_off import SignOffBlock

SIGNED: dict[str, Any] = {"name": "Sam Jones", "role": "Head of Service", "confirmed": "Yes"}


def manifest_of(wb: Workbook) -> Manifest:
    sheet = wb["_manifest"]
    text = "".join(v for (v,) in sheet.iter_rows(min_row=3, max_col=1, values_only=True) if v)
    return from_json(text)


def block_of(wb: Workbook) -> SignOffBlock:
    block = manifest_of(wb).sign_off
    assert block is not None, "this return asks for no sign-off"
    return block


def sign(wb: Workbook, **values: Any) -> Workbook:
    """Fill in the sign-off of the openpyxl workbook `wb` (a return): a good sign-off dated
    the day the return was issued, with `values` (by field) in place of its own; a value of
    None leaves that cell empty."""
    m = manifest_of(wb)
    if m.sign_off is None:
        return wb
    issued_on = datetime.fromisoformat(m.issued_at).replace(hour=0, minute=0, second=0)
    given = {**SIGNED, "date": issued_on, **values}
    ws = wb[m.sheet]
    for field, value in given.items():
        ws[m.sign_off.cell(field)] = value
        if isinstance(value, str):
            ws[m.sign_off.cell(field)].data_type = "s"
    return wb


def sign_off_edits(block: SignOffBlock, *, day: date, **values: str) -> list[dict[str, str]]:
    """The sign-off typed in through LibreOffice, as fill_with_libreoffice's edits."""
    typed = {
        "name": SIGNED["name"],
        "role": SIGNED["role"],
        "date": f"{day:%d/%m/%Y}",
        "confirmed": "Yes",
        **values,
    }
    return [{"cell": block.cell(f), "text": text} for f, text in typed.items()]


def sign_off_typed(path: Path, **values: str) -> list[dict[str, str]]:
    """The sign-off of the return at `path`, typed through LibreOffice on the day it was
    issued (no edits for a return that asks for none)."""
    wb = openpyxl.load_workbook(path)
    m = manifest_of(wb)
    if m.sign_off is None:
        return []
    return sign_off_edits(m.sign_off, day=datetime.fromisoformat(m.issued_at).date(), **values)
