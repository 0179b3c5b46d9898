"""Write plan table files for tests: .xlsx (xlsxwriter or openpyxl), .xlsm, .ods and CSV.

Each writer takes sheets as {name: rows}, rows as lists of typed values (str, int, float,
bool, date, datetime, None), and merged ranges as {sheet name: ["A5:A6", ...]}; the value of
a merged range is the one in its top-left cell. The .ods writer builds the OpenDocument by
hand (no LibreOffice needed), the way LibreOffice writes one: covered cells and row spans.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import openpyxl
import xlsxwriter

from ipt_excel.core.plan_table import parse_range

Rows = Sequence[Sequence[object]]
Sheets = Mapping[str, Rows]
Merges = Mapping[str, Sequence[str]]

CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


def _covered(merges: Sequence[str]) -> tuple[dict[tuple[int, int], tuple[int, int]], set]:
    """Top-left (0-based) -> (rows, cols) spanned, and every other covered position."""
    tops: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for ref in merges:
        rng = parse_range(ref)
        top = (rng.first_row - 1, rng.first_col - 1)
        tops[top] = (rng.last_row - rng.first_row + 1, rng.last_col - rng.first_col + 1)
        covered |= {
            (r - 1, c - 1)
            for r in range(rng.first_row, rng.last_row + 1)
            for c in range(rng.first_col, rng.last_col + 1)
        } - {top}
    return tops, covered


def write_xlsx(
    path: Path,
    sheets: Sheets,
    merges: Merges | None = None,
    *,
    hidden: Sequence[str] = (),
    vba: bool = False,
) -> Path:
    """An .xlsx (or, with `vba`, a macro-enabled workbook) written by xlsxwriter."""
    merges = merges or {}
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    wb.set_properties({"created": dt.datetime(2024, 3, 12, 9, 0)})
    day = wb.add_format({"num_format": "dd/mm/yyyy"})
    day_time = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        if name in hidden:
            ws.hide()
        tops, covered = _covered(merges.get(name, ()))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if (r, c) in covered:
                    continue
                fmt = day_time if isinstance(value, dt.datetime) else day
                if (r, c) in tops:
                    rows_n, cols_n = tops[(r, c)]
                    ws.merge_range(r, c, r + rows_n - 1, c + cols_n - 1, "", wrap)
                _write_xlsxwriter(ws, r, c, value, fmt if _is_date(value) else wrap)
    if vba:
        # A fake VBA project (a CFB signature and padding): nothing ever runs it.
        project: Any = io.BytesIO(CFB_SIGNATURE + bytes(504))
        wb.add_vba_project(project, is_stream=True)
    wb.close()
    return path


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date)


def _write_xlsxwriter(ws: Any, r: int, c: int, value: object, fmt: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value, fmt)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, value, fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def write_xlsx_openpyxl(
    path: Path, sheets: Sheets, merges: Merges | None = None, *, percent_columns: Sequence[int] = ()
) -> Path:
    """An .xlsx written by openpyxl, as another program would save it."""
    merges = merges or {}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(r, c, value)
                if isinstance(value, dt.datetime):
                    cell.number_format = "dd/mm/yyyy hh:mm"
                elif isinstance(value, dt.date):
                    cell.number_format = "dd/mm/yyyy"
                elif c - 1 in percent_columns and isinstance(value, float):
                    cell.number_format = "0%"
                elif isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text
        for ref in merges.get(name, ()):
            ws.merge_cells(ref)
    wb.save(path)
    return path


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"'
)
_ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


def write_ods(
    path: Path,
    sheets: Sheets,
    merges: Merges | None = None,
    *,
    hidden: Sequence[str] = (),
    content_xml: str | None = None,
    encrypted: bool = False,
) -> Path:
    """An OpenDocument spreadsheet, as LibreOffice writes one (or with `content_xml` as given)."""
    merges = merges or {}
    tables = "".join(
        _ods_table(name, rows, merges.get(name, ()), name in hidden)
        for name, rows in sheets.items()
    )
    styles = (
        '<office:automatic-styles><style:style style:name="hid" style:family="table">'
        '<style:table-properties table:display="false"/></style:style></office:automatic-styles>'
    )
    content = content_xml or (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} '
        f'office:version="1.3">{styles}<office:body><office:spreadsheet>{tables}'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    encryption = (
        '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/>'
        if encrypted
        else ""
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODS_MIME}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        f"{encryption}</manifest:file-entry></manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", _ODS_MIME, zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def _ods_table(name: str, rows: Rows, merges: Sequence[str], hidden: bool) -> str:
    tops, covered = _covered(merges)
    width = max((len(r) for r in rows), default=0)
    style = ' table:style-name="hid"' if hidden else ""
    out = [f"<table:table table:name={quoteattr(name)}{style}>"]
    out.append(f'<table:table-column table:number-columns-repeated="{max(width, 1)}"/>')
    for r, row in enumerate(rows):
        out.append("<table:table-row>")
        for c in range(width):
            value = row[c] if c < len(row) else None
            if (r, c) in covered:
                out.append("<table:covered-table-cell/>")
                continue
            span = ""
            if (r, c) in tops:
                rows_n, cols_n = tops[(r, c)]
                span = (
                    f' table:number-columns-spanned="{cols_n}" table:number-rows-spanned="{rows_n}"'
                )
            out.append(_ods_cell(value, span))
        out.append("</table:table-row>")
    out.append("</table:table>")
    return "".join(out)


def _ods_cell(value: object, span: str) -> str:
    if value is None:
        return f"<table:table-cell{span}/>"
    if isinstance(value, bool):
        attrs = f'office:value-type="boolean" office:boolean-value="{str(value).lower()}"'
        shown = "TRUE" if value else "FALSE"
    elif isinstance(value, int | float):
        attrs, shown = f'office:value-type="float" office:value="{value}"', str(value)
    elif isinstance(value, dt.datetime):
        attrs = f'office:value-type="date" office:date-value="{value.isoformat()}"'
        shown = value.strftime("%d/%m/%Y %H:%M")
    elif isinstance(value, dt.date):
        attrs = f'office:value-type="date" office:date-value="{value.isoformat()}"'
        shown = value.strftime("%d/%m/%Y")
    else:
        attrs, shown = 'office:value-type="string"', str(value)
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in shown.split("\n"))
    return f"<table:table-cell {attrs}{span}>{paragraphs}</table:table-cell>"


def write_csv(
    path: Path,
    rows: Rows,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
    sep_line: bool = False,
    quoting: int = csv.QUOTE_MINIMAL,
) -> Path:
    """A CSV as Excel saves one: CRLF line ends, fields quoted only when they must be."""
    buf = io.StringIO()
    if sep_line:
        buf.write(f"sep={delimiter}\r\n")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n", quoting=quoting)
    writer.writerows([["" if v is None else str(v) for v in row] for row in rows])
    data = buf.getvalue().encode(encoding)
    if bom:
        data = {"utf-8": b"\xef\xbb\xbf"}.get(encoding, b"") + data
    path.write_bytes(data)
    return path
