"""Read a returned workbook: its manifest, its header, and every cell of every row, as found.

The reader judges nothing: it reports what the file holds (raw values, display text, which
cells are formulas, which sheets exist and how hidden they are) and leaves the verdict to
the validator. The bytes should already have passed excel.safe_open.

Formulas are flagged, never trusted: the file is opened with data_only=False so a formula is
seen as a formula, not as whatever value it last calculated. Text that merely starts with
'=' but is stored as text is text.
"""

from __future__ import annotations

import io
import warnings
from datetime import date, time, timedelta

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.kinds import display_text as plain_text
from ipt_excel.core.manifest import Manifest, from_json
from ipt_excel.core.returned import CellValue, OutsideCell, ReturnData, ReturnRow
from ipt_excel.core.rounds import MANIFEST_MARKER, MANIFEST_SHEET, RETURN_SHEET, return_layout
from ipt_excel.core.rows import header_index
from ipt_excel.errors import ManifestError, ReturnReadError

HEADER_SEARCH_ROWS = 30
_SEND_BACK = "Send back the return workbook you were sent, with only the white cells filled in."


def display_text(value: object) -> str:
    """A cell's value as text, the way a UK reader would see it (formulas as written)."""
    if value is None or isinstance(value, str | bool | int | float | date | time):
        return plain_text(value)
    if isinstance(value, timedelta):
        return str(value)
    text = getattr(value, "text", None)  # ArrayFormula
    if isinstance(text, str):
        return text
    if type(value).__name__ == "DataTableFormula":  # a what-if data table: =TABLE(row, column)
        r1, r2 = getattr(value, "r1", None) or "", getattr(value, "r2", None) or ""
        return f"=TABLE({r1},{r2})"
    return "a value that cannot be shown"


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _open(data: bytes, file_name: str) -> Workbook:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about parts it drops (extensions LibreOffice writes); the reader
            # reports only what it needs, so those warnings carry nothing for the user.
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), data_only=False, keep_vba=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ReturnReadError(
            f"{file_name} could not be opened as an Excel workbook. {_SEND_BACK}"
        ) from exc


def _find_sheet(wb: Workbook, name: str) -> str | None:
    if name in wb.sheetnames:
        return name
    # Excel treats sheet names case-insensitively.
    return next((n for n in wb.sheetnames if n.casefold() == name.casefold()), None)


def _read_manifest(wb: Workbook, file_name: str) -> tuple[Manifest | None, str, bool, str, int]:
    """(manifest, signature, has sheet, problem, rows it used). Found by name whatever its
    visibility."""
    name = _find_sheet(wb, MANIFEST_SHEET)
    if name is None:
        return None, "", False, "", 0
    ws = wb[name]
    damaged = f"{file_name}: the hidden sheet '{name}' has been changed, so the return cannot "
    if not isinstance(ws, Worksheet) or ws["A1"].value != MANIFEST_MARKER:
        return None, "", True, damaged + f"be matched to what was issued. {_SEND_BACK}", 0
    signature = ws["A2"].value
    chunks: list[str] = []
    for (value,) in ws.iter_rows(min_row=3, max_col=1, values_only=True):
        if not isinstance(value, str) or not value:
            break
        chunks.append(value)
    used = 2 + len(chunks)
    if not isinstance(signature, str) or not chunks:
        return None, "", True, damaged + f"be matched to what was issued. {_SEND_BACK}", used
    try:
        manifest = from_json("".join(chunks))
    except ManifestError as exc:
        return None, signature, True, f"{file_name}: {exc}", used
    return manifest, signature, True, "", used


def _first_cell_is(ws: Worksheet, row: int, header: str) -> bool:
    value = ws.cell(row=row, column=1).value
    return isinstance(value, str) and value.strip().casefold() == header.casefold()


def _header_row(ws: Worksheet, manifest: Manifest | None, id_header: str) -> int | None:
    if (
        manifest is not None
        and manifest.header_row >= 1
        and _first_cell_is(ws, manifest.header_row, id_header)
    ):
        return manifest.header_row
    last = min(HEADER_SEARCH_ROWS, ws.max_row)
    return next((r for r in range(1, last + 1) if _first_cell_is(ws, r, id_header)), None)


def read_return(data: bytes, file_name: str) -> ReturnData:
    """Read a return's bytes. `file_name` is used in messages."""
    wb = _open(data, file_name)
    try:
        manifest, signature, has_sheet, problem, manifest_rows = _read_manifest(wb, file_name)
        wanted = manifest.sheet if manifest is not None else RETURN_SHEET
        sheet = _find_sheet(wb, wanted) or _find_sheet(wb, RETURN_SHEET)
        if sheet is None or not isinstance(wb[sheet], Worksheet):
            raise ReturnReadError(
                f"{file_name} has no sheet called '{wanted}' (it has: "
                f"{', '.join(wb.sheetnames)}). {_SEND_BACK}"
            )
        ws = wb[sheet]
        assert isinstance(ws, Worksheet)
        layout = return_layout(manifest.columns if manifest is not None else DEFAULT_COLUMNS)
        id_header = layout.columns[0].header
        header_row = _header_row(ws, manifest, id_header)
        if header_row is None:
            raise ReturnReadError(
                f"{file_name}, sheet '{sheet}': there is no header row (a row whose first "
                f"cell is '{id_header}') in the first {HEADER_SEARCH_ROWS} rows. {_SEND_BACK}"
            )
        headers = [
            display_text(v).strip()
            for v in next(ws.iter_rows(min_row=header_row, max_row=header_row, values_only=True))
        ]
        while headers and not headers[-1]:
            headers.pop()
        columns = header_index(headers, layout.columns)
        rows, ignored = _rows(ws, header_row, len(headers), columns)
        # The table: the header row and its data rows, as wide as the return was issued (or
        # as its headings, without a manifest): a heading typed to its right is outside it.
        width = len(layout.columns) if manifest is not None else len(headers)
        table = (header_row, header_row + len(rows), min(width, len(headers)) or width)
        block = manifest.sign_off if manifest is not None else None
        expected = block.addresses if block is not None else frozenset()
        outside = _outside(
            wb, sheet, table, _find_sheet(wb, MANIFEST_SHEET), manifest_rows, expected
        )
        return ReturnData(
            file_name=file_name,
            manifest=manifest,
            signature=signature,
            has_manifest_sheet=has_sheet,
            manifest_problem=problem,
            sheet=sheet,
            header_row=header_row,
            headers=tuple(headers),
            columns=columns,
            rows=tuple(rows),
            ignored_rows=tuple(ignored),
            outside=tuple(outside),
            title=_title(ws, header_row),
            sheet_names=tuple(wb.sheetnames),
            sheet_states={n: wb[n].sheet_state for n in wb.sheetnames},
            epoch=1904 if wb.epoch == CALENDAR_MAC_1904 else 1900,
            sign_off={f: _cell(ws, a) for f, a in block.cells} if block is not None else {},
            sign_off_labels={a: _cell(ws, a) for a, _ in block.labels} if block else {},
        )
    finally:
        wb.close()


def _cell(ws: Worksheet, address: str) -> CellValue:
    cell = ws[address]
    return CellValue(
        address=address,
        raw=cell.value,
        is_formula=cell.data_type == "f",
        text=display_text(cell.value),
        is_error=cell.data_type == "e",
    )


def _title(ws: Worksheet, header_row: int) -> tuple[str, ...]:
    """Column B of the rows above the header: the title block as the agency sent it."""
    lines = [
        display_text(row[0]) if row and not _is_empty(row[0]) else ""
        for row in ws.iter_rows(
            min_row=1, max_row=header_row - 1, min_col=2, max_col=2, values_only=True
        )
    ] if header_row > 1 else []  # fmt: skip
    while lines and not lines[-1]:
        lines.pop()
    return tuple(lines)


def _outside(
    wb: Workbook,
    return_sheet: str,
    table: tuple[int, int, int],
    manifest_sheet: str | None,
    manifest_rows: int,
    sign_off: frozenset[str] = frozenset(),
) -> list[OutsideCell]:
    """Every cell with content that is not read as part of the return: off the Return
    sheet's table, title block (its column B above the header) and sign-off block (the
    cells its manifest names, `sign_off`), and on every other sheet except the manifest's
    own cells. The validator decides what each one means."""
    first, last, width = table
    found: list[OutsideCell] = []
    for name in wb.sheetnames:
        ws = wb[name]
        if not isinstance(ws, Worksheet):
            continue  # a chart sheet holds no cells
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if _is_empty(value) and cell.data_type != "f":
                    continue
                r, c = cell.row, cell.column
                assert isinstance(r, int) and isinstance(c, int)
                # The table's data cells and the title's text are read and checked as such;
                # a formula in the header row or the title is reported here as a formula.
                in_data = first < r <= last and c <= width
                in_frame = (r == first and c <= width) or (r < first and c == 2)
                if r < first and not in_frame and sign_off:
                    in_frame = cell.coordinate in sign_off
                if name == return_sheet and (in_data or (in_frame and cell.data_type != "f")):
                    continue
                if name == manifest_sheet and c == 1 and r <= manifest_rows:
                    continue
                found.append(
                    OutsideCell(
                        sheet=name,
                        address=f"{get_column_letter(c)}{r}",
                        text=display_text(value),
                        is_formula=cell.data_type == "f",
                    )
                )
    return found


def _rows(
    ws: Worksheet, header_row: int, width: int, columns: dict[str, int]
) -> tuple[list[ReturnRow], list[int]]:
    rows: list[ReturnRow] = []
    ignored: list[int] = []
    ended = False
    if ws.max_row <= header_row or width == 0:
        return rows, ignored
    for r, cells in enumerate(
        ws.iter_rows(min_row=header_row + 1, max_row=ws.max_row, max_col=width),
        start=header_row + 1,
    ):
        empty = all(_is_empty(c.value) for c in cells)
        if ended or empty:
            ended = True
            if not empty:
                ignored.append(r)
            continue
        found: dict[str, CellValue] = {}
        for key, i in columns.items():
            cell = cells[i]
            found[key] = CellValue(
                address=f"{get_column_letter(i + 1)}{r}",
                raw=cell.value,
                is_formula=cell.data_type == "f",
                text=display_text(cell.value),
                is_error=cell.data_type == "e",
            )
        rows.append(ReturnRow(excel_row=r, cells=found))
    return rows, ignored
