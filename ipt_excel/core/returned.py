"""What a returned workbook holds, as read: plain data for the validator and the feedback.

The reader (excel/return_reader.py) fills these in and judges nothing; the validator
(core/validate.py) decides what each value means.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ipt_excel.core.cell_value import CellValue
from ipt_excel.core.manifest import Manifest

__all__ = ["CellValue", "OutsideCell", "ReturnData", "ReturnRow"]


@dataclass(frozen=True, slots=True)
class OutsideCell:
    """A cell with something in it outside the places a return holds values: off the table
    of the Return sheet, on the hidden sheets, or on a sheet that was added."""

    sheet: str
    address: str
    text: str
    is_formula: bool


@dataclass(frozen=True, slots=True)
class ReturnRow:
    excel_row: int  # 1-based
    cells: dict[str, CellValue]  # column key -> cell, for each column found in the header

    def text(self, key: str) -> str:
        cell = self.cells.get(key)
        return cell.text if cell else ""


@dataclass(frozen=True)
class ReturnData:
    file_name: str
    manifest: Manifest | None  # None: no manifest sheet, or one that could not be read
    signature: str
    has_manifest_sheet: bool
    manifest_problem: str  # why a manifest sheet could not be read; "" otherwise
    sheet: str
    header_row: int  # 1-based
    headers: tuple[str, ...]  # the header row's texts, as found
    columns: dict[str, int]  # column key -> 0-based position in `headers`
    rows: tuple[ReturnRow, ...]  # from below the header to the first empty row
    ignored_rows: tuple[int, ...]  # rows with something in them below that empty row
    sheet_names: tuple[str, ...]
    sheet_states: dict[str, str]  # name -> "visible" / "hidden" / "veryHidden"
    epoch: int  # 1900, or 1904 for a workbook using the Mac date system
    outside: tuple[OutsideCell, ...] = ()  # every other cell with content, on every sheet
    # The title block: column B of each row above the header, trailing empty rows left out.
    title: tuple[str, ...] = ()
    # The sign-off block's cells the manifest names: its open cells by field ("name", ...),
    # and its labels by address, as found (empty when the return has no sign-off).
    sign_off: dict[str, CellValue] = field(default_factory=dict)
    sign_off_labels: dict[str, CellValue] = field(default_factory=dict)
