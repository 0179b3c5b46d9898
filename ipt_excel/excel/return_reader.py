"""Read a returned workbook: its manifest, its header, and every cell of every row, as found.

The reader judges nothing: it reports what the file holds (raw values, display text, which
cells are formulas or Excel errors, which sheets exist and how hidden they are) and leaves
the verdict to the validator. It reads a workbook that has passed excel.safe_open: values
with python-calamine, and what calamine does not say (formulas, errors, each value's type as
written, the used range, the sheets' states) from the gate's one scan of every sheet, so the
file is parsed once by the gate and once by calamine, never loaded whole into Python objects.
excel/cell_values.py gives every cell the value openpyxl gave it (the reader used openpyxl
until the values were found to cost most of `ipt check`; tests/openpyxl_return_reader.py is
that reader, kept as the reference the tests hold this one to).

Formulas are flagged, never trusted: a formula is seen as its text, not as whatever value it
last calculated. Text that merely starts with '=' but is stored as text is text.
"""

from __future__ import annotations

import io
from datetime import date, time, timedelta
from typing import Any

from python_calamine import CalamineWorkbook

from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.kinds import display_text as plain_text
from ipt_excel.core.manifest import Manifest, from_json
from ipt_excel.core.returned import CellValue, OutsideCell, ReturnData, ReturnRow
from ipt_excel.core.rounds import MANIFEST_MARKER, MANIFEST_SHEET, RETURN_SHEET, return_layout
from ipt_excel.core.rows import header_index
from ipt_excel.errors import ManifestError, ReturnReadError, UnsafeWorkbookError
from ipt_excel.excel.cell_values import (
    MAC_EPOCH,
    WINDOWS_EPOCH,
    DateStyles,
    SheetValues,
    date_styles,
    shared_strings,
)
from ipt_excel.excel.safe_open import SafeWorkbook, check_bytes
from ipt_excel.excel.sheet_scan import column_letter, parse_cell_ref

HEADER_SEARCH_ROWS = 30
_SEND_BACK = "Send back the return workbook you were sent, with only the white cells filled in."
_STATES = ("visible", "hidden", "veryHidden")  # what openpyxl accepts


def display_text(value: object) -> str:
    """A cell's value as text, the way a UK reader would see it (formulas as written)."""
    if value is None or isinstance(value, str | bool | int | float | date | time):
        return plain_text(value)
    if isinstance(value, timedelta):
        return str(value)
    text = getattr(value, "text", None)  # an openpyxl ArrayFormula
    if isinstance(text, str):
        return text
    return "a value that cannot be shown"


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Workbook:
    """The sheets of a checked workbook, as the reader sees them: names in order (a sheet
    whose part is missing is skipped, as openpyxl skips it) and each worksheet's cells."""

    def __init__(self, safe: SafeWorkbook, file_name: str) -> None:
        self.scans = {n: s for n, s in safe.sheets.items() if s.kind != "missing"}
        self.names = list(self.scans)
        if any(s.state not in _STATES for s in self.scans.values()):
            raise ReturnReadError(
                f"{file_name} could not be opened as an Excel workbook. {_SEND_BACK}"
            )
        self._data = safe.data
        self._epoch = MAC_EPOCH if safe.date1904 else WINDOWS_EPOCH
        self._styles: DateStyles | None = None
        self._calamine: CalamineWorkbook | None = None
        self._sheets: dict[str, SheetValues] = {}
        self._shared: list[str] | None = None
        self.epoch = 1904 if safe.date1904 else 1900

    def find(self, name: str) -> str | None:
        if name in self.scans:
            return name
        # Excel treats sheet names case-insensitively.
        return next((n for n in self.names if n.casefold() == name.casefold()), None)

    def is_worksheet(self, name: str) -> bool:
        return self.scans[name].kind == "worksheet"

    def sheet(self, name: str) -> SheetValues:
        """A worksheet's cells. Its values are read with calamine on first use, and only
        for a sheet that holds any."""
        found = self._sheets.get(name)
        if found is None:
            scan = self.scans[name]
            grid: list[list[Any]] | None = []
            strings: list[str] = []
            if scan.strings:
                try:
                    grid = self._calamine_grid(name)
                except BaseException as exc:  # calamine panics (a BaseException) on some
                    if isinstance(exc, KeyboardInterrupt | SystemExit):  # values
                        raise
                    grid, strings = None, self._strings()
            if self._styles is None and any(t[0] == "n" for t in scan.typed.values()):
                self._styles = date_styles(self._data)
            found = SheetValues(scan, grid, self._epoch, self._styles or DateStyles(), strings)
            self._sheets[name] = found
        return found

    def _calamine_grid(self, name: str) -> list[list[Any]]:
        if self._calamine is None:
            self._calamine = CalamineWorkbook.from_filelike(io.BytesIO(self._data))
        return list(self._calamine.get_sheet_by_name(name).to_python(skip_empty_area=False))

    def _strings(self) -> list[str]:
        if self._shared is None:
            self._shared = shared_strings(self._data)
        return self._shared


def _read_manifest(wb: _Workbook, file_name: str) -> tuple[Manifest | None, str, bool, str, int]:
    """(manifest, signature, has sheet, problem, rows it used). Found by name whatever its
    visibility."""
    name = wb.find(MANIFEST_SHEET)
    if name is None:
        return None, "", False, "", 0
    damaged = f"{file_name}: the hidden sheet '{name}' has been changed, so the return cannot "
    if not wb.is_worksheet(name) or wb.sheet(name).cell(1, 1).value != MANIFEST_MARKER:
        return None, "", True, damaged + f"be matched to what was issued. {_SEND_BACK}", 0
    ws = wb.sheet(name)
    signature = ws.cell(2, 1).value
    chunks: list[str] = []
    for row in range(3, ws.scan.max_row + 1):
        value = ws.cell(row, 1).value
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


def _first_cell_is(ws: SheetValues, row: int, header: str) -> bool:
    value = ws.cell(row, 1).value
    return isinstance(value, str) and value.strip().casefold() == header.casefold()


def _header_row(ws: SheetValues, manifest: Manifest | None, id_header: str) -> int | None:
    if (
        manifest is not None
        and manifest.header_row >= 1
        and _first_cell_is(ws, manifest.header_row, id_header)
    ):
        return manifest.header_row
    # openpyxl counts an empty sheet as one row
    last = min(HEADER_SEARCH_ROWS, max(ws.scan.max_row, 1))
    return next((r for r in range(1, last + 1) if _first_cell_is(ws, r, id_header)), None)


def _safe(data: bytes | SafeWorkbook, file_name: str) -> SafeWorkbook:
    if isinstance(data, SafeWorkbook):
        return data
    try:
        return check_bytes(data, file_name)
    except UnsafeWorkbookError as exc:
        raise ReturnReadError(
            f"{file_name} could not be opened as an Excel workbook. {_SEND_BACK}"
        ) from exc


def read_return(data: bytes | SafeWorkbook, file_name: str) -> ReturnData:
    """Read a return: a workbook that passed the safe-open gate, or bytes (put through the
    gate here). `file_name` is used in messages."""
    safe = _safe(data, file_name)
    try:
        wb = _Workbook(safe, file_name)
        for name in wb.names:  # every sheet with content, read once, here
            if wb.is_worksheet(name) and wb.scans[name].values:
                wb.sheet(name)
        manifest, signature, has_sheet, problem, manifest_rows = _read_manifest(wb, file_name)
    except ReturnReadError:
        raise
    except Exception as exc:  # a cell openpyxl could not have read either
        raise ReturnReadError(
            f"{file_name} could not be opened as an Excel workbook. {_SEND_BACK}"
        ) from exc
    wanted = manifest.sheet if manifest is not None else RETURN_SHEET
    sheet = wb.find(wanted) or wb.find(RETURN_SHEET)
    if sheet is None or not wb.is_worksheet(sheet):
        raise ReturnReadError(
            f"{file_name} has no sheet called '{wanted}' (it has: "
            f"{', '.join(wb.names)}). {_SEND_BACK}"
        )
    ws = wb.sheet(sheet)
    layout = return_layout(manifest.columns if manifest is not None else DEFAULT_COLUMNS)
    id_header = layout.columns[0].header
    header_row = _header_row(ws, manifest, id_header)
    if header_row is None:
        raise ReturnReadError(
            f"{file_name}, sheet '{sheet}': there is no header row (a row whose first "
            f"cell is '{id_header}') in the first {HEADER_SEARCH_ROWS} rows. {_SEND_BACK}"
        )
    # openpyxl's row runs to the sheet's last column (at least column A)
    headers = [
        display_text(ws.cell(header_row, c).value).strip()
        for c in range(1, max(ws.scan.max_column, 1) + 1)
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
    outside = _outside(wb, sheet, table, wb.find(MANIFEST_SHEET), manifest_rows, expected)
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
        sheet_names=tuple(wb.names),
        sheet_states={n: wb.scans[n].state for n in wb.names},
        epoch=wb.epoch,
        sign_off={f: _cell(ws, a) for f, a in block.cells} if block is not None else {},
        sign_off_labels={a: _cell(ws, a) for a, _ in block.labels} if block else {},
    )


def _cell(ws: SheetValues, address: str) -> CellValue:
    cell = ws.cell(*parse_cell_ref(address))
    return CellValue(
        address=address,
        raw=cell.value,
        is_formula=cell.is_formula,
        text=display_text(cell.value),
        is_error=cell.is_error,
    )


def _title(ws: SheetValues, header_row: int) -> tuple[str, ...]:
    """Column B of the rows above the header: the title block as the agency sent it."""
    lines = [
        "" if _is_empty(value := ws.cell(r, 2).value) else display_text(value)
        for r in range(1, header_row)
    ]
    while lines and not lines[-1]:
        lines.pop()
    return tuple(lines)


def _outside(
    wb: _Workbook,
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
    for name in wb.names:
        if not wb.is_worksheet(name):
            continue  # a chart sheet holds no cells
        scan = wb.scans[name]
        if not scan.values:
            continue
        ws = wb.sheet(name)
        for r, c in sorted(scan.values):  # every other cell is empty
            cell = ws.cell(r, c)
            # The table's data cells and the title's text are read and checked as such;
            # a formula in the header row or the title is reported here as a formula.
            in_data = first < r <= last and c <= width
            in_frame = (r == first and c <= width) or (r < first and c == 2)
            if r < first and not in_frame and sign_off:
                in_frame = f"{column_letter(c)}{r}" in sign_off
            if name == return_sheet and (in_data or (in_frame and not cell.is_formula)):
                continue
            if name == manifest_sheet and c == 1 and r <= manifest_rows:
                continue
            if _is_empty(cell.value) and not cell.is_formula:
                continue
            found.append(
                OutsideCell(
                    sheet=name,
                    address=f"{column_letter(c)}{r}",
                    text=display_text(cell.value),
                    is_formula=cell.is_formula,
                )
            )
    return found


def _rows(
    ws: SheetValues, header_row: int, width: int, columns: dict[str, int]
) -> tuple[list[ReturnRow], list[int]]:
    rows: list[ReturnRow] = []
    ignored: list[int] = []
    ended = False
    max_row = ws.scan.max_row
    if max_row <= header_row or width == 0:
        return rows, ignored
    letters = {i: column_letter(i + 1) for i in columns.values()}
    for r in range(header_row + 1, max_row + 1):
        cells = ws.row(r, width)
        empty = all(_is_empty(c.value) for c in cells)
        if ended or empty:
            ended = True
            if not empty:
                ignored.append(r)
            continue
        found: dict[str, CellValue] = {}
        for key, i in columns.items():
            cell = cells[i]
            value = cell.value
            found[key] = CellValue(
                address=f"{letters[i]}{r}",
                raw=value,
                is_formula=cell.is_formula,
                text=value if type(value) is str else display_text(value),
                is_error=cell.is_error,
            )
        rows.append(ReturnRow(excel_row=r, cells=found))
    return rows, ignored
