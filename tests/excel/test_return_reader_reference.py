"""The return reader (python-calamine and the gate's scan) gives the validator exactly what the
openpyxl reader it replaced gave, for every kind of return: issued, filled by openpyxl,
filled through LibreOffice, with dates, numbers, booleans, formulas of every kind, Excel
errors, content outside the table, added sheets, the 1904 date system, and any sheet
hypothesis writes with xlsxwriter.

tests/openpyxl_return_reader.py is the old reader, kept here as the reference.
"""

from __future__ import annotations

import dataclasses
import io
import warnings
import zipfile
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path

import openpyxl
import openpyxl_return_reader as reference
import pytest
import xlsxwriter
from golden.regenerate import CREATED, KEY, issued_for, small_plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libreoffice import LIBREOFFICE_MARKS, fill_with_libreoffice
from libreoffice import lo as lo  # noqa: F401 - the fixture LIBREOFFICE_MARKS uses
from openpyxl.cell.cell import MergedCell
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.workbook.workbook import Workbook

from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.manifest import sign
from ipt_excel.core.returned import CellValue, ReturnData
from ipt_excel.core.rounds import HEADER_ROW, RETURN_SHEET, return_layout
from ipt_excel.errors import ReturnReadError, UnsafeWorkbookError
from ipt_excel.excel.cell_values import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from ipt_excel.excel.return_reader import _Workbook, read_return
from ipt_excel.excel.return_writer import MANIFEST_SHEET, write_return
from ipt_excel.excel.safe_open import check_bytes

LAYOUT = return_layout(DEFAULT_COLUMNS)
FIRST = HEADER_ROW + 1
CORPUS = Path("/work/shared/corpus/excel-made")


def _libreoffice(test: Callable[..., None]) -> Callable[..., None]:
    """The marks of tests/libreoffice.py, for the one test here that needs LibreOffice."""
    for mark in LIBREOFFICE_MARKS:
        test = mark(test)
    return test


def _letter(key: str) -> str:
    return openpyxl.utils.get_column_letter(1 + [c.key for c in LAYOUT.columns].index(key))


@pytest.fixture(scope="module")
def issued() -> bytes:
    plan = small_plan()
    ret = issued_for(plan)
    return write_return(plan, ret, sign(ret.manifest, KEY), created=CREATED)


def _edit(data: bytes, change: Callable[[Workbook], None]) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _comparable(value: object) -> object:
    """openpyxl gives an array or data-table formula as an object; the reader, as the text
    openpyxl shows for it (what the validator reads of a formula)."""
    if isinstance(value, CellValue) and value.is_formula:
        return dataclasses.replace(value, raw=value.text)
    return value


def _normalised(data: ReturnData) -> ReturnData:
    rows = tuple(
        dataclasses.replace(r, cells={k: _comparable(c) for k, c in r.cells.items()})  # type: ignore[misc]
        for r in data.rows
    )
    return dataclasses.replace(data, rows=rows)


def assert_same(data: bytes, name: str = "a.xlsx") -> ReturnData | None:
    """Both readers give the same ReturnData, or both refuse the file with the same words."""
    try:
        expected: ReturnData | str = _normalised(reference.read_return(data, name))
    except ReturnReadError as exc:
        expected = str(exc)
    try:
        got: ReturnData | str = _normalised(read_return(check_bytes(data, name), name))
    except ReturnReadError as exc:
        got = str(exc)
    except UnsafeWorkbookError:
        return None  # refused by the gate first: the reader never sees it
    assert got == expected
    return got if isinstance(got, ReturnData) else None


# -- returns ------------------------------------------------------------------------------
def test_an_issued_return(issued: bytes) -> None:
    got = assert_same(issued)
    assert got is not None and got.manifest is not None and len(got.rows) == 3


def _set_cells(cells: dict[str, object], *, number_formats: dict[str, str] | None = None):
    def change(wb: Workbook) -> None:
        ws = wb[RETURN_SHEET]
        for ref, value in cells.items():
            ws[ref] = value
        for ref, fmt in (number_formats or {}).items():
            ws[ref].number_format = fmt

    return change


@pytest.mark.parametrize(
    ("cells", "formats"),
    [
        ({f"{_letter('next_review')}{FIRST}": datetime(2012, 10, 26)}, None),
        ({f"{_letter('next_review')}{FIRST}": datetime(2012, 10, 26, 14, 30)}, None),
        (
            {f"{_letter('next_review')}{FIRST}": 41208},
            {f"{_letter('next_review')}{FIRST}": "General"},
        ),
        (
            {f"{_letter('next_review')}{FIRST}": 41208.5},
            {f"{_letter('next_review')}{FIRST}": "dd mmmm yyyy"},
        ),
        (
            {f"{_letter('next_review')}{FIRST}": 41208},
            {f"{_letter('next_review')}{FIRST}": "[$-809]mmmm yyyy;@"},
        ),
        ({f"{_letter('evidence')}{FIRST}": 3}, None),
        ({f"{_letter('evidence')}{FIRST}": 3.0}, None),
        ({f"{_letter('evidence')}{FIRST}": 2.5e-7}, None),
        ({f"{_letter('evidence')}{FIRST}": 0.45}, {f"{_letter('evidence')}{FIRST}": "0%"}),
        ({f"{_letter('evidence')}{FIRST}": time(9, 30)}, None),
        ({f"{_letter('evidence')}{FIRST}": timedelta(hours=30)}, None),
        ({f"{_letter('evidence')}{FIRST}": 1.25}, {f"{_letter('evidence')}{FIRST}": "[h]:mm:ss"}),
        ({f"{_letter('evidence')}{FIRST}": 1e300}, {f"{_letter('evidence')}{FIRST}": "yyyy-mm-dd"}),
        ({f"{_letter('rag')}{FIRST}": True, f"{_letter('rag')}{FIRST + 1}": False}, None),
        (
            {f"{_letter('progress')}{FIRST}": "=1+1", f"{_letter('rag')}{FIRST}": '="GR"&"EEN"'},
            None,
        ),
        ({f"{_letter('progress')}{FIRST}": None}, None),
        ({f"{_letter('progress')}{FIRST}": "   "}, None),
        ({f"{_letter('progress')}{FIRST}": "Line one\nline two"}, None),
        ({"C3": "typed in the title block", "Q2": 7, "A20": "below"}, None),
        ({"Z40": "=NOW()"}, None),
    ],
)
def test_values_set_by_openpyxl(
    issued: bytes, cells: dict[str, object], formats: dict[str, str] | None
) -> None:
    assert assert_same(_edit(issued, _set_cells(cells, number_formats=formats))) is not None


def _with_rows(data: bytes, rows: str, *, in_table: dict[str, str] | None = None) -> bytes:
    """The return with these rows added to its Return sheet's XML, as another program might
    write them, and cells of the table replaced (reference -> the whole <c> element)."""
    sheet = "xl/worksheets/sheet1.xml"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == sheet:
                text = content.decode()
                for ref, cell in (in_table or {}).items():
                    start = text.index(f'<c r="{ref}"')
                    end = text.index("</c>", start) + len("</c>")
                    text = text[:start] + cell + text[end:]
                content = text.replace("</sheetData>", rows + "</sheetData>").encode()
            target.writestr(info, content)
    return out.getvalue()


def test_every_kind_of_formula_error_and_typed_value(issued: bytes) -> None:
    progress, rag = _letter("progress"), _letter("rag")
    far = FIRST + 20
    rows = (
        f'<row r="{far}"><c r="B{far}"><f t="shared" ref="B{far}:B{far + 2}" si="0">A1*2</f>'
        f'<v>2</v></c><c r="C{far}"><f t="array" ref="C{far}:C{far + 1}">TRANSPOSE(A1:B1)</f>'
        f'<v>1</v></c><c r="D{far}"><f t="dataTable" ref="D{far}:D{far + 1}" dt2D="0" '
        f'dtr="0" r1="A1" r2="B1"/><v>0</v></c><c r="E{far}" t="e"><v>#DIV/0!</v></c>'
        f'<c r="F{far}" t="b"><v>1</v></c><c r="G{far}" t="str"><v>a&amp;b</v></c>'
        f'<c r="H{far}" t="inlineStr"><is><r><t>rich </t></r><r><t>text</t></r></is></c>'
        f'<c r="I{far}" t="d"><v>2012-10-26T10:00:00</v></c><c r="J{far}"><v>1.0</v></c></row>'
        f'<row r="{far + 1}"><c r="B{far + 1}"><f t="shared" si="0"/><v>4</v></c></row>'
        f'<row r="{far + 2}"><c r="B{far + 2}"><f t="shared" si="0"/><v>6</v></c></row>'
    )
    table = {
        f"{progress}{FIRST}": f'<c r="{progress}{FIRST}" t="e"><v>#N/A</v></c>',
        f"{rag}{FIRST}": f'<c r="{rag}{FIRST}" t="str"><f>"GREEN"</f><v>GREEN</v></c>',
        f"{progress}{FIRST + 1}": f'<c r="{progress}{FIRST + 1}"><v>7</v></c>',
    }
    got = assert_same(_with_rows(issued, rows, in_table=table))
    assert got is not None
    assert got.rows[0].cells["progress"].is_error and got.rows[0].cells["rag"].is_formula
    assert {c.address: c.text for c in got.outside}[f"B{far + 2}"] == f"=A{3}*2"


def test_the_1904_date_system(issued: bytes) -> None:
    def change(wb: Workbook) -> None:
        wb.epoch = CALENDAR_MAC_1904
        wb[RETURN_SHEET][f"{_letter('next_review')}{FIRST}"] = datetime(2012, 10, 26)

    got = assert_same(_edit(issued, change))
    assert got is not None and got.epoch == 1904


def test_sheets_added_hidden_moved_and_the_manifest_damaged(issued: bytes) -> None:
    def change(wb: Workbook) -> None:
        wb[MANIFEST_SHEET].sheet_state = "visible"
        wb.move_sheet(MANIFEST_SHEET, offset=-2)
        wb.create_sheet("Extra")["C4"] = "something typed"
        wb["Lists"]["A1"] = "PURPLE"
        wb[MANIFEST_SHEET]["B1"] = "added"

    assert_same(_edit(issued, change))

    def damage(wb: Workbook) -> None:
        wb[MANIFEST_SHEET]["A3"] = '{"version": 1, "rows": ['

    assert_same(_edit(issued, damage))

    def marker(wb: Workbook) -> None:
        wb[MANIFEST_SHEET]["A1"] = 3

    assert_same(_edit(issued, marker))


def test_rows_and_headers_moved_and_missing(issued: bytes) -> None:
    def move(wb: Workbook) -> None:
        ws = wb[RETURN_SHEET]
        ws.protection.sheet = False
        ws.delete_rows(1, 3)
        ws.insert_cols(4)
        ws["D6"] = "New column"

    assert_same(_edit(issued, move))

    def clear(wb: Workbook) -> None:
        wb[RETURN_SHEET].cell(row=HEADER_ROW, column=1).value = "Number"

    assert_same(_edit(issued, clear))

    def rename(wb: Workbook) -> None:
        wb[RETURN_SHEET].title = "Sheet1"

    assert_same(_edit(issued, rename))

    def gap(wb: Workbook) -> None:
        ws = wb[RETURN_SHEET]
        ws.protection.sheet = False
        ws.insert_rows(FIRST + 1)
        ws[f"C{FIRST + 8}"] = "far below"

    assert_same(_edit(issued, gap))


def test_a_workbook_with_no_manifest_and_a_header_lower_down() -> None:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Return")
    for c, col in enumerate(LAYOUT.columns):
        ws.write_string(4, c, col.header)
    ws.write_string(5, 0, "1.1")
    ws.write_number(5, 3, 12)
    wb.close()
    got = assert_same(buf.getvalue(), "blank.xlsx")
    assert got is not None and got.header_row == 5


def test_text_with_a_carriage_return_reads_as_it_was_written(issued: bytes) -> None:
    """The one deliberate difference: Excel stores a carriage return in text as _x000D_.
    openpyxl left the escape in the text; calamine decodes it, as the standard says."""
    plan = small_plan()
    ret = issued_for(plan)
    values = {(ret.areas[0].id, "progress"): "one\r\ntwo"}  # xlsxwriter escapes the \r
    data = write_return(plan, ret, sign(ret.manifest, KEY), created=CREATED, values=values)
    old = reference.read_return(data, "a.xlsx").rows[0].cells["progress"].raw
    new = read_return(data, "a.xlsx").rows[0].cells["progress"].raw
    assert (old, new) == ("one_x000D_\ntwo", "one\r\ntwo")


# -- any sheet ---------------------------------------------------------------------------
_VALUE = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet="ab &<>\"'é=\n", min_size=0, max_size=8),
    st.booleans(),
    st.sampled_from(["=1+1", '="a"&"b"', "=SUM(A1:A2)", "=NA()", "=1/0"]),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    st.just("blank"),
)
_FORMATS = st.sampled_from([None, "dd/mm/yyyy", "0.00", "mmmm yyyy", "h:mm", "[h]:mm", "@", "0%"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    grid=st.dictionaries(
        st.tuples(st.integers(HEADER_ROW, HEADER_ROW + 8), st.integers(0, 18)),
        st.tuples(_VALUE, _FORMATS),
        max_size=30,
    ),
    epoch_1904=st.booleans(),
)
def test_any_return_sheet_reads_as_openpyxl_read_it(
    grid: dict[tuple[int, int], tuple[object, str | None]], epoch_1904: bool
) -> None:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_numbers": False, "date_1904": epoch_1904}
    )
    ws = wb.add_worksheet("Return")
    formats: dict[str | None, object] = {None: None}
    for c, col in enumerate(LAYOUT.columns):
        ws.write_string(HEADER_ROW - 1, c, col.header)
    ws.write_string(HEADER_ROW, 0, "1.1")
    for (row, col), (value, fmt) in sorted(grid.items()):
        if fmt not in formats:
            formats[fmt] = wb.add_format({"num_format": fmt})
        cell_format = formats[fmt]
        if value == "blank":
            ws.write_blank(row, col, None, cell_format)
        elif isinstance(value, datetime):
            ws.write_datetime(
                row,
                col,
                value,
                cell_format
                or formats.setdefault("d", wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})),
            )
        elif isinstance(value, str) and value.startswith("="):
            ws.write_formula(row, col, value, cell_format)
        elif isinstance(value, str):
            ws.write_string(row, col, value, cell_format)
        elif value is not None:
            ws.write(row, col, value, cell_format)
    wb.close()
    assert_same(buf.getvalue())


# -- real Excel-made workbooks -------------------------------------------------------------
CORPUS_FILES = sorted(p for p in CORPUS.iterdir() if p.suffix == ".xlsx") if CORPUS.is_dir() else []


ESCAPED = "(text with an _xHHHH_ escape)"


def _openpyxl_cells(data: bytes) -> dict[str, dict[tuple[int, int], tuple[object, bool, bool]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(data))
    out: dict[str, dict[tuple[int, int], tuple[object, bool, bool]]] = {}
    for ws in wb.worksheets:
        cells = {}
        for (row, column), cell in ws._cells.items():
            if isinstance(cell, MergedCell) or cell.value is None:
                continue
            value = reference.display_text(cell.value) if cell.data_type == "f" else cell.value
            if isinstance(value, str) and cell.data_type == "s" and "_x" in value:
                value = ESCAPED  # Excel's _xHHHH_ escapes: the deliberate difference (above)
            cells[row, column] = (value, cell.data_type == "f", cell.data_type == "e")
        out[ws.title] = cells
    return out


def _reader_cells(
    data: bytes, name: str
) -> dict[str, dict[tuple[int, int], tuple[object, bool, bool]]]:
    wb = _Workbook(check_bytes(data, name), name)
    out = {}
    for sheet in wb.names:
        if not wb.is_worksheet(sheet):
            continue
        values = wb.sheet(sheet)
        cells = {}
        for at in wb.scans[sheet].values:
            cell = values.cell(*at)
            cells[at] = (cell.value, cell.is_formula, cell.is_error)
        out[sheet] = cells
    return out


@pytest.mark.skipif(not CORPUS_FILES, reason=f"no corpus at {CORPUS}")
def test_corpus_cells_read_as_openpyxl_read_them() -> None:
    """Every cell of every sheet of the Excel-made corpus: the value (formulas as their
    text), and whether it is a formula or an error, as openpyxl loaded it."""
    compared = 0
    for path in CORPUS_FILES:
        data = path.read_bytes()
        try:
            got = _reader_cells(data, path.name)
        except UnsafeWorkbookError:
            continue
        expected = _openpyxl_cells(data)
        for sheet, cells in expected.items():
            escaped = {at for at, (value, _, _) in cells.items() if value == ESCAPED} | {
                at
                for at, (value, _, _) in got[sheet].items()
                if isinstance(value, str) and "_x" in value
            }
            found = {
                at: (ESCAPED, False, False) if at in escaped else v for at, v in got[sheet].items()
            }
            cells = {at: (ESCAPED, False, False) if at in escaped else v for at, v in cells.items()}
            assert found == cells, (path.name, sheet)
            compared += len(cells)
    assert compared > 1000


# -- openpyxl's rules, copied ---------------------------------------------------------------
@pytest.mark.parametrize("number", sorted(BUILTIN_FORMATS))
def test_builtin_formats_are_openpyxls(number: int) -> None:
    from openpyxl.styles import numbers

    fmt = numbers.BUILTIN_FORMATS[number]
    assert BUILTIN_FORMATS[number] == fmt
    assert is_date_format(fmt) == numbers.is_date_format(fmt)
    assert is_timedelta_format(fmt) == numbers.is_timedelta_format(fmt)


@pytest.mark.parametrize(
    "fmt",
    [
        "dd/mm/yyyy",
        "[$-809]dd mmmm yyyy;@",
        '"Day" d',
        "[Red]0.00",
        "[h]:mm",
        "mm:ss.0",
        r"0\d",
        "_d0",
        "General",
        "@",
        "yyyy-mm-dd hh:mm:ss",
        "[mm]:ss",
        '"m"0',
        None,
    ],
)
def test_date_formats_as_openpyxl_sees_them(fmt: str | None) -> None:
    from openpyxl.styles import numbers

    assert is_date_format(fmt) == numbers.is_date_format(fmt)
    assert is_timedelta_format(fmt) == numbers.is_timedelta_format(fmt)


# -- through LibreOffice ----------------------------------------------------------------------
@_libreoffice
def test_a_return_filled_in_libreoffice(issued: bytes, tmp_path: Path) -> None:
    """Typed dates, numbers, a percentage, a formula, text with a line break, a value
    below the table and the manifest's sheet as LibreOffice re-saves them (merely hidden)."""
    src = tmp_path / "a.xlsx"
    src.write_bytes(issued)
    dst = tmp_path / "saved.xlsx"
    fill_with_libreoffice(
        src,
        dst,
        [
            {"cell": f"{_letter('progress')}{FIRST}", "text": "Audit finished."},
            {"cell": f"{_letter('rag')}{FIRST}", "text": "GREEN"},
            {"cell": f"{_letter('evidence')}{FIRST}", "text": "45%"},
            {"cell": f"{_letter('next_review')}{FIRST}", "text": "26/10/2012"},
            {"cell": f"{_letter('next_review')}{FIRST + 1}", "text": "41208"},
            {"cell": f"{_letter('progress')}{FIRST + 1}", "formula": "=1+1"},
            {"cell": f"{_letter('progress')}{FIRST + 2}", "string": "line one\nline two"},
            {"cell": f"{_letter('evidence')}{FIRST + 2}", "text": "=NA()"},
        ],
    )
    got = assert_same(dst.read_bytes())
    assert got is not None and got.rows[1].cells["progress"].is_formula
