"""What the safe-open gate learns about each sheet while it checks a workbook, and the limits
on the work a file may cause.

The facts are checked against openpyxl's own view of the same bytes (loaded in full, as the
return reader loads a return), so "the gate says" and "openpyxl would see" cannot drift.
"""

from __future__ import annotations

import io
import random
import re
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import broken_files as bf
import openpyxl
import pytest
import xlsxwriter
from golden.regenerate import CREATED, KEY, issued_for, small_plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import MergedCell
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from ipt_excel.core.manifest import sign
from ipt_excel.errors import UnsafeWorkbookError
from ipt_excel.excel.return_writer import write_return
from ipt_excel.excel.safe_open import Limits, SafeWorkbook, open_workbook_safely
from ipt_excel.excel.sheet_scan import (
    Formula,
    MarkupCounter,
    SheetScan,
    cell_ref,
    parse_cell_ref,
)

CORPUS = Path("/work/shared/corpus/excel-made")
LISTS = "Lists"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scan")


@pytest.fixture(scope="module")
def good(files: Path) -> Path:
    return bf.make_good_xlsx(files)


def refused(path: Path, limits: Limits | None = None) -> UnsafeWorkbookError:
    with pytest.raises(UnsafeWorkbookError) as caught:
        open_workbook_safely(path, limits or Limits())
    error = caught.value
    assert error.message.startswith(path.name + " ")
    assert "\n" not in error.message
    return error


def lists_sheet(
    files: Path, good: Path, name: str, rows: str, *, before: str = "", after: str = ""
) -> Path:
    """The good workbook with its hidden Lists sheet replaced by these rows."""
    sheet = bf.worksheet_xml(rows, before=before, after=after)
    return bf.with_lists_sheet(files, good, name, sheet)


# --- openpyxl's view ----------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """One sheet as openpyxl loads it, in the terms of a SheetScan."""

    values: frozenset[tuple[int, int]]
    formulas: dict[str, str]
    max_row: int
    max_column: int
    protected: bool


def _formula_text(value: object) -> str:
    if isinstance(value, ArrayFormula):
        return str(value.text)
    if isinstance(value, DataTableFormula):
        return "="  # a data table's <f> holds no text, only attributes
    return str(value)


def openpyxl_view(data: bytes) -> dict[str, View]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about parts it drops
        wb = openpyxl.load_workbook(io.BytesIO(data))
    views: dict[str, View] = {}
    for ws in wb.worksheets:
        cells = [c for c in ws._cells.values() if not isinstance(c, MergedCell)]
        views[ws.title] = View(
            values=frozenset((c.row, c.column) for c in cells if c.value is not None),
            formulas={c.coordinate: _formula_text(c.value) for c in cells if c.data_type == "f"},
            max_row=ws.max_row if ws._cells else 0,
            max_column=ws.max_column if ws._cells else 0,
            protected=bool(ws.protection.sheet),
        )
    return views


def scan_view(scan: SheetScan) -> View:
    return View(
        values=scan.values,
        formulas=scan.formula_texts(),
        max_row=scan.max_row,
        max_column=scan.max_column,
        protected=scan.protected,
    )


def assert_facts_match_openpyxl(workbook: SafeWorkbook) -> None:
    expected = openpyxl_view(workbook.data)
    for name, view in expected.items():
        assert scan_view(workbook.sheets[name]) == view, (workbook.path.name, name)
        assert workbook.sheets[name].cells == len(view.values)


# --- real workbooks -----------------------------------------------------------------------


def rich_workbook(path: Path) -> Path:
    """An xlsxwriter workbook with most kinds of content a return or a spreadsheet has."""
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True, "locked": False})
    ws = wb.add_worksheet("Return")
    ws.write_row(0, 0, ["ID", "Status", "Note"], bold)
    ws.write_row(1, 0, ["1.1", "On track", 3.5])
    ws.write_boolean(2, 0, True)
    ws.write_blank(3, 3, None, bold)  # formatted but empty: no value, still a cell
    ws.write_formula("B3", "=SUM(C2:C3)", None, 3.5)
    ws.write_formula("C4", '="a&b"&"""q"""&CHAR(34)', None, 'a&b"q"')
    ws.write_array_formula("E2:E3", "{=TRANSPOSE(B2:C2)}")
    ws.write_dynamic_array_formula("F2:F3", "=LEN(A1:A2)")
    ws.merge_range("A8:C9", "merged", bold)
    ws.write_url("A11", "https://example.gov.uk", string="link")
    ws.write_comment("H20", "a comment far from the rest")
    ws.protect()
    lists = wb.add_worksheet(LISTS)
    lists.write_column(0, 0, ["GREEN", "AMBER", "RED"])
    lists.write_formula("B1", "=COUNTA(A1:A3)", None, 3)
    lists.hide()
    wb.add_worksheet("Empty")
    wb.close()
    return path


def test_facts_of_an_xlsxwriter_workbook_match_openpyxl(files: Path) -> None:
    workbook = open_workbook_safely(rich_workbook(files / "rich.xlsx"))

    assert_facts_match_openpyxl(workbook)
    ret = workbook.sheets["Return"]
    assert ret.part == "xl/worksheets/sheet1.xml"
    assert ret.state == "visible"
    assert ret.protected
    assert ret.used_range == "A1:H20"  # the comment's cell counts: openpyxl creates it
    assert {f.ref: f.kind for f in ret.formulas} == {
        "B3": "normal",
        "C4": "normal",
        "E2": "array",
        "F2": "array",
    }
    note = next(f for f in ret.formulas if f.ref == "C4")
    assert note.text == '"a&b"&"""q"""&CHAR(34)'  # entities unescaped, quotes kept
    assert next(f for f in ret.formulas if f.ref == "E2").range == "E2:E3"
    lists = workbook.sheets[LISTS]
    assert lists.state == "hidden"
    assert [(f.ref, f.text) for f in lists.formulas] == [("B1", "COUNTA(A1:A3)")]
    assert workbook.sheets["Empty"] == SheetScan(
        name="Empty", part="xl/worksheets/sheet3.xml", state="visible", dimension="A1"
    )
    assert list(workbook.sheets) == workbook.sheet_names


def test_facts_of_a_workbook_resaved_by_openpyxl_match_openpyxl(files: Path) -> None:
    path = rich_workbook(files / "rich-for-resave.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
    resaved = files / "resaved.xlsx"
    wb.save(resaved)

    workbook = open_workbook_safely(resaved)

    assert_facts_match_openpyxl(workbook)
    assert {f.ref for f in workbook.sheets["Return"].formulas} >= {"B3", "C4", "E2"}


def test_facts_of_an_issued_return_match_openpyxl(files: Path) -> None:
    plan = small_plan()
    issued = issued_for(plan)
    path = files / "issued.xlsx"
    path.write_bytes(write_return(plan, issued, sign(issued.manifest, KEY), created=CREATED))

    workbook = open_workbook_safely(path)

    assert_facts_match_openpyxl(workbook)
    ret = workbook.sheet("return")  # found whatever its case, as Excel finds it
    assert ret is not None and ret.protected and not ret.formulas
    assert workbook.exceeds(ret.name, ret.max_row, ret.max_column) is None


# --- formulas, as written -----------------------------------------------------------------

FORMULA_ROWS = (
    '<row r="1"><c r="A1"><v>1</v></c>'
    '<c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f><v>2</v></c></row>'
    '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
    '<row r="3"><c r="A3"><v>3</v></c><c r="B3"><f t="shared" si="0"/><v>6</v></c></row>'
    '<row r="4"><c r="C4"><f t="array" ref="C4:C5">TRANSPOSE(A1:A2)</f><v>1</v></c></row>'
    '<row r="5"><c r="C5"><v>2</v></c></row>'
    '<row r="7"><c r="D7"><f t="dataTable" ref="D7:D9" dt2D="0" dtr="0" r1="A1"/>'
    "<v>0</v></c></row>"
    '<row r="10"><c r="E10" t="str"><f>"a&amp;b"&amp;"""q"""&amp;\'Other sheet\'!A1</f>'
    "<v>x</v></c>"
    '<c r="F10" t="str"><f><![CDATA[LEN("<c>")]]></f><v>3</v></c></row>'
)


def test_every_kind_of_formula_on_a_hidden_sheet(files: Path, good: Path) -> None:
    workbook = open_workbook_safely(lists_sheet(files, good, "formulas.xlsx", FORMULA_ROWS))

    lists = workbook.sheets[LISTS]
    assert lists.state == "hidden"
    assert lists.formulas == (
        Formula("B1", "A1*2", "shared", "B1:B3", "0"),
        Formula("B2", "", "shared", "", "0"),
        Formula("B3", "", "shared", "", "0"),
        Formula("C4", "TRANSPOSE(A1:A2)", "array", "C4:C5"),
        Formula("D7", "", "dataTable", "D7:D9"),
        Formula("E10", '"a&b"&"""q"""&\'Other sheet\'!A1', "normal"),
        Formula("F10", 'LEN("<c>")', "normal"),
    )
    texts = lists.formula_texts()
    assert texts["B2"] == "=A2*2"  # a shared formula's followers, worked out as openpyxl does
    assert texts["B3"] == "=A3*2"
    assert_facts_match_openpyxl(workbook)


def chunk_split_workbook(files: Path, good: Path, boundary: int, split_at: int) -> Path:
    """A stored Lists sheet whose formula's `split_at`-th byte is the first of a new chunk
    of `boundary` bytes. The formula has an entity, a quote and a two-byte character."""
    formula = '"é&amp;"&amp;A1'
    row = f'<row r="2"><c r="B2" t="str"><f>{formula}</f><v>x</v></c></row>'
    head = bf.worksheet_xml("").split(b"<sheetData>")[0] + b"<sheetData>"
    start = len(head) + len(b'<row r="2"><c r="B2" t="str"><f>')
    padding = boundary - start - split_at
    sheet = bf.worksheet_xml(row, before=" " * padding)
    at = start + padding
    assert sheet[at : at + len(formula.encode())] == formula.encode()
    assert at + split_at == boundary
    name = f"split-{split_at}.xlsx"
    return bf.with_lists_sheet(files, good, name, sheet, compression=zipfile.ZIP_STORED)


@pytest.mark.parametrize("split_at", range(-6, 22))
def test_formula_split_across_a_chunk_boundary(files: Path, good: Path, split_at: int) -> None:
    path = chunk_split_workbook(files, good, 1024, split_at)

    workbook = open_workbook_safely(path, Limits(chunk_bytes=1024))

    lists = workbook.sheets[LISTS]
    assert lists.formulas == (Formula("B2", '"é&"&A1', "normal"),)
    assert lists.values == {(2, 2)}


def test_cells_without_references_are_placed_as_openpyxl_places_them(
    files: Path, good: Path
) -> None:
    rows = (
        "<row><c><v>1</v></c><c><v>2</v></c></row>"  # row 1: A1, B1
        '<row><c r="C5"><v>3</v></c><c><v>4</v></c></row>'  # row 2: C5, then D2
        '<row r="9"><c t="inlineStr"><is><t>text</t></is></c><c t="inlineStr"/><c s="0"/>'
        '<c><f>A1+1</f></c><c t="s"><v></v></c></row>'
    )
    workbook = open_workbook_safely(lists_sheet(files, good, "no-refs.xlsx", rows))

    lists = workbook.sheets[LISTS]
    assert lists.values == {(1, 1), (1, 2), (5, 3), (2, 4), (9, 1), (9, 4)}
    assert lists.value_refs() == ["A1", "B1", "D2", "C5", "A9", "D9"]
    assert [f.ref for f in lists.formulas] == ["D9"]
    assert (lists.max_row, lists.max_column) == (9, 5)  # the empty cells count too
    assert_facts_match_openpyxl(workbook)


def test_a_sheet_in_another_encoding_is_read_as_openpyxl_reads_it(files: Path, good: Path) -> None:
    text = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        f'<worksheet xmlns="{bf.MAIN_NS}"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>café</t></is></c><c r="B1"><f>"é"</f></c>'
        "</row></sheetData></worksheet>"
    )
    path = bf.with_lists_sheet(files, good, "latin-1.xlsx", text.encode("latin-1"))

    workbook = open_workbook_safely(path)

    assert workbook.sheets[LISTS].formulas == (Formula("B1", '"é"', "normal"),)
    assert_facts_match_openpyxl(workbook)


def test_a_utf16_sheet_is_read(files: Path, good: Path) -> None:
    sheet = bf.worksheet_xml('<row r="3"><c r="B3"><f>1+1</f></c></row>')
    sheet = sheet.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode().encode("utf-16")
    path = bf.with_lists_sheet(files, good, "utf-16.xlsx", sheet)

    workbook = open_workbook_safely(path)

    assert workbook.sheets[LISTS].formulas == (Formula("B3", "1+1", "normal"),)


@pytest.mark.parametrize(
    ("name", "sheet"),
    [
        ("unclosed.xlsx", bf.worksheet_xml("<row><c><v>1</v></c>")),
        ("row-zero.xlsx", bf.worksheet_xml('<row r="0"><c r="A0"><v>1</v></c></row>')),
        ("bad-ref.xlsx", bf.worksheet_xml('<row r="1"><c r="1A"><v>1</v></c></row>')),
        ("bad-row.xlsx", bf.worksheet_xml('<row r="two"><c><v>1</v></c></row>')),
        ("bad-utf8.xlsx", bf.worksheet_xml("<row><c><v>1</v></c></row>") + b"\xff"),
        (
            "ebcdic.xlsx",
            b'<?xml version="1.0" encoding="cp500"?>' + bf.worksheet_xml("").split(b"?>", 1)[1],
        ),
        ("no-such-encoding.xlsx", b'<?xml version="1.0" encoding="x-made-up"?><worksheet/>'),
    ],
)
def test_a_damaged_sheet_is_refused_as_damaged(
    files: Path, good: Path, name: str, sheet: bytes
) -> None:
    error = refused(bf.with_lists_sheet(files, good, name, sheet))
    assert error.reason == "corrupt-zip"


_SMALL_SHEET = bf.worksheet_xml(
    '<row r="1"><c r="A1" t="inlineStr"><is><t>a&amp;b</t></is></c><c r="B1"><f>A1&amp;1</f>'
    '<v>1</v></c></row><row><c><f t="shared" ref="C2:C3" si="0">B1</f></c></row>',
    before='<dimension ref="A1:C3"/>',
    after='<mergeCells count="1"><mergeCell ref="A5:B5"/></mergeCells>'
    '<hyperlinks><hyperlink ref="A1" display="x"/></hyperlinks><sheetProtection sheet="1"/>',
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_damage_to_a_sheet_is_passed_or_refused_cleanly(
    data: st.DataObject, files: Path, good: Path
) -> None:
    """Damage inside a sheet's XML (with the zip's checksums right, so the scanner sees
    it): the gate passes the file or refuses it with one line, never anything else."""
    sheet = bytearray(_SMALL_SHEET)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(sheet) - 1))
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        if action == "delete":
            del sheet[at : at + data.draw(st.integers(1, 8))]
        else:
            piece = data.draw(
                st.sampled_from(
                    [b"<", b">", b"/", b'"', b"&", b"0", b"9" * 5000, b"\xff", "é".encode()]
                )
                | st.binary(min_size=1, max_size=3)
            )
            sheet[at : at + (len(piece) if action == "replace" else 0)] = piece
    path = bf.with_lists_sheet(files, good, "damaged-sheet.xlsx", bytes(sheet))
    try:
        open_workbook_safely(path)
    except UnsafeWorkbookError as error:
        assert error.message.startswith("damaged-sheet.xlsx ") and "\n" not in error.message


@pytest.mark.parametrize(
    "rows",
    [
        f'<row r="1"><c r="A{"9" * 5000}"><v>1</v></c></row>',
        f'<row r="{"9" * 5000}"><c><v>1</v></c></row>',
        '<row r="1"><c r="A1"><v>1</v></c></row></sheetData><mergeCells>'
        f'<mergeCell ref="A1:B{"9" * 5000}"/></mergeCells><sheetData>',
    ],
)
def test_a_row_number_thousands_of_digits_long_is_too_big(
    files: Path, good: Path, rows: str
) -> None:
    # Python refuses to read a number that long: the gate must still give its one line.
    assert refused(lists_sheet(files, good, "long-row.xlsx", rows)).reason == "too-many-cells"


# --- the work limits: the adversarial files -----------------------------------------------


def test_a_million_and_a_half_cells_on_a_hidden_sheet_are_refused_quickly(
    files: Path, good: Path
) -> None:
    path = bf.make_many_cells(files, good)
    assert path.stat().st_size < Limits().max_file_bytes
    with zipfile.ZipFile(path) as archive:
        assert archive.read(bf.LISTS_PART).count(b"<c ") == 1_500_000

    start = time.perf_counter()
    error = refused(path)
    elapsed = time.perf_counter() - start

    assert error.reason == "too-many-cells"
    assert error.message == (
        "many-cells.xlsx is too big to be a return workbook: sheet 'Lists' has more than "
        "80,000 cells. Check it is the return workbook you were sent, remove any sheets, "
        "rows or columns that were added to it, then send it again."
    )
    assert elapsed < 3.0  # about 0.3 s: it stops once the limit is passed


def test_huge_shared_strings_are_refused(files: Path, good: Path) -> None:
    path = bf.make_huge_shared_strings(files, good)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
        assert info.file_size > 20 * 1024 * 1024 and info.file_size < 5 * info.compress_size

    error = refused(path)

    assert error.reason == "too-much-text"
    assert "more than 10 MB of text" in error.message


def test_one_far_cell_is_refused(files: Path, good: Path) -> None:
    error = refused(bf.make_far_cell(files, good))
    assert error.reason == "too-many-cells"
    assert "sheet 'Lists' reaches row 1,048,576 (the limit is row 50,000)" in error.message


def test_a_dimension_that_claims_the_whole_sheet_is_refused(files: Path, good: Path) -> None:
    path = lists_sheet(
        files,
        good,
        "dimension.xlsx",
        '<row r="1"><c r="A1"><v>1</v></c></row>',
        before='<dimension ref="A1:XFD1048576"/>',
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read_only = openpyxl.load_workbook(path, read_only=True)
        assert read_only[LISTS].max_row == 1_048_576  # what a read-only reader would walk
        read_only.close()

    assert refused(path).reason == "too-many-cells"


@pytest.mark.parametrize(
    ("name", "after", "detail"),
    [
        (
            "merged.xlsx",
            '<mergeCells count="1"><mergeCell ref="A1:T6000"/></mergeCells>',
            "sheet 'Lists' has more than 80,000 cells",
        ),
        (
            "hyperlink.xlsx",
            '<hyperlinks><hyperlink ref="A1:T6000" display="x"/></hyperlinks>',
            "sheet 'Lists' has more than 80,000 cells",
        ),
        (
            "whole-column-link.xlsx",
            '<hyperlinks><hyperlink ref="A:ALL" display="x"/></hyperlinks>',
            "sheet 'Lists' spreads over 1,000 rows by 1,000 columns",
        ),
    ],
)
def test_ranges_openpyxl_fills_with_cells_count_as_cells(
    files: Path, good: Path, name: str, after: str, detail: str
) -> None:
    rows = '<row r="1000"><c r="A1000"><v>1</v></c></row>'
    error = refused(lists_sheet(files, good, name, rows, after=after))
    assert error.reason == "too-many-cells"
    assert detail in error.message


def test_a_comment_far_away_is_refused(files: Path) -> None:
    written = files / "far-comment-written.xlsx"
    wb = xlsxwriter.Workbook(str(written))
    ws = wb.add_worksheet("Return")
    ws.write("A1", "ID")
    ws.write_comment("ZZ90000", "openpyxl creates this cell, and the reader walks to it")
    wb.close()
    path = files / "far-comment.xlsx"
    bf.rewrite_zip(  # leave the far cell in the comments part only
        written,
        path,
        transform={"xl/worksheets/sheet1.xml": lambda xml: xml.replace(b":ZZ90000", b"")},
    )
    with zipfile.ZipFile(path) as archive:
        assert b"ZZ90000" not in archive.read("xl/worksheets/sheet1.xml")
        assert b"ZZ90000" in archive.read("xl/comments1.xml")

    error = refused(path)

    assert error.reason == "too-many-cells"
    assert "sheet 'Return' reaches row 90,000" in error.message


def test_a_sheet_listed_many_times_counts_each_time(files: Path, good: Path) -> None:
    """openpyxl loads a worksheet part once for each sheet that names it."""
    path = files / "repeated.xlsx"

    def more_sheets(xml: bytes) -> bytes:
        extra = "".join(
            f'<sheet name="Copy {i}" sheetId="{10 + i}" r:id="rId2"/>' for i in range(5)
        )
        return xml.replace(b"</sheets>", extra.encode() + b"</sheets>")

    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 101))
    bf.rewrite_zip(
        good,
        path,
        transform={"xl/workbook.xml": more_sheets, bf.LISTS_PART: lambda _: bf.worksheet_xml(rows)},
    )
    workbook = open_workbook_safely(path)
    assert workbook.sheets["Copy 4"].cells == 100

    error = refused(path, Limits(max_cells=500))
    assert "its sheets have more than 500 cells" in error.message


# --- the work limits, one by one ----------------------------------------------------------


@pytest.fixture(scope="module")
def rich(files: Path) -> Path:
    return rich_workbook(files / "rich-limits.xlsx")


def test_the_rich_workbook_passes_the_default_limits(rich: Path) -> None:
    workbook = open_workbook_safely(rich)
    assert workbook.shared_strings > 0


@pytest.mark.parametrize(
    ("limits", "reason", "detail"),
    [
        (Limits(max_sheets=2), "too-complex", "it has 3 sheets (the limit is 2)"),
        (Limits(max_sheet_cells=10), "too-many-cells", "sheet 'Return' has more than 10 cells"),
        (Limits(max_cells=24), "too-many-cells", "its sheets have more than 24 cells"),
        (Limits(max_rows=19), "too-many-cells", "sheet 'Return' reaches row 20"),
        (Limits(max_columns=7), "too-many-cells", "reaches column H (the limit is column G)"),
        (Limits(max_sheet_area=100), "too-many-cells", "spreads over 20 rows by 8 columns"),
        (Limits(max_formulas=4), "too-many-cells", "it has more than 4 formulas"),
        (Limits(max_merged_ranges=0), "too-many-cells", "more than 0 sets of merged cells"),
        (Limits(max_shared_strings=3), "too-much-text", "more than 3 different pieces"),
        (Limits(max_shared_string_bytes=100), "too-much-text", "more than 100 bytes of text"),
        (Limits(max_sheet_bytes=2000), "too-much-text", "its sheets take up more than 2 KB"),
        (Limits(max_markup=100), "too-complex", "more than 100 styles, drawings, charts"),
        (Limits(max_other_xml_bytes=5000), "too-complex", "other parts take up more than 5 KB"),
        (Limits(max_work=30), "too-complex", "together would take too long to read"),
    ],
)
def test_each_limit(rich: Path, limits: Limits, reason: str, detail: str) -> None:
    error = refused(rich, limits)
    assert error.reason == reason
    assert detail in error.message


def test_rows_are_counted_even_when_empty(files: Path, good: Path) -> None:
    rows = "".join(f'<row r="{r}" ht="20" customHeight="1"/>' for r in range(1, 61))
    path = lists_sheet(files, good, "empty-rows.xlsx", rows)
    open_workbook_safely(path)
    error = refused(path, Limits(max_rows=50))
    assert "sheet 'Lists' has more than 50 rows" in error.message


def test_a_worksheet_no_sheet_names_is_still_counted(files: Path, good: Path) -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 51))
    path = files / "stray-sheet.xlsx"
    bf.rewrite_zip(good, path, add={"xl/worksheets/sheet9.xml": bf.worksheet_xml(rows)})
    open_workbook_safely(path)
    error = refused(path, Limits(max_sheet_cells=40))
    assert "'xl/worksheets/sheet9.xml' has more than 40 cells" in error.message


def test_a_sheet_name_in_a_message_is_one_short_line(files: Path, good: Path) -> None:
    def rename(xml: bytes) -> bytes:
        return xml.replace(b'name="Return"', b'name="Line one&#10;' + b"x" * 100 + b'"')

    path = files / "odd-name.xlsx"
    bf.rewrite_zip(good, path, transform={"xl/workbook.xml": rename})
    error = refused(path, Limits(max_sheet_cells=0))
    assert "sheet 'Line one xxxxxxxx" in error.message and "…'" in error.message


def test_nearing_several_limits_at_once_is_refused(files: Path, good: Path) -> None:
    """60,000 cells and 45,000 strings each pass their own limit; together they are more
    reading than the work limit allows."""
    cells = bf.make_many_cells(files, good, cells=60_000, name="cells-60k.xlsx")
    both = bf.make_many_strings(files, cells, count=45_000, name="cells-and-strings.xlsx")
    open_workbook_safely(cells)
    open_workbook_safely(bf.make_many_strings(files, good, count=45_000, name="strings.xlsx"))

    error = refused(both)

    assert error.reason == "too-complex"
    assert error.message.startswith(
        "cells-and-strings.xlsx has too much in it to be a return workbook: 60,"
    )
    assert "pieces of text and" in error.message
    assert "together would take too long to read" in error.message


def test_a_huge_title_is_refused(files: Path, good: Path) -> None:
    """Text in any other part costs memory too: openpyxl reads the document properties."""
    title = random.Random(6).randbytes(6 * 1024 * 1024).hex()  # hex: no ratio check stops it

    def retitle(xml: bytes) -> bytes:
        return re.sub(rb"<dc:title>.*?</dc:title>|(?=</cp:coreProperties>)", b"", xml).replace(
            b"</cp:coreProperties>", f"<dc:title>{title}</dc:title></cp:coreProperties>".encode()
        )

    path = files / "huge-title.xlsx"
    bf.rewrite_zip(good, path, transform={"docProps/core.xml": retitle})
    with zipfile.ZipFile(path) as archive:
        assert len(archive.read("docProps/core.xml")) > 12 * 1024 * 1024

    error = refused(path)

    assert error.reason == "too-complex"
    assert "other parts take up more than 10 MB (in 'docProps/core.xml')" in error.message


def test_markup_limit_stops_a_big_styles_part(files: Path, good: Path) -> None:
    error = refused(bf.make_much_markup(files, good))
    assert error.reason == "too-complex"
    assert "(in 'xl/styles.xml')" in error.message


# --- far larger than issued ---------------------------------------------------------------


def test_exceeds_says_when_a_sheet_has_grown_far_beyond_what_was_issued(
    files: Path, good: Path
) -> None:
    rows = '<row r="1"><c r="A1"><v>1</v></c></row><row r="900"><c r="C900"><v>1</v></c></row>'
    workbook = open_workbook_safely(lists_sheet(files, good, "grown.xlsx", rows))

    assert workbook.exceeds("lists", 900, 3) is None
    assert workbook.exceeds("Lists", 500, 3) is None  # a few hundred rows more: not far
    message = workbook.exceeds("Lists", 19, 2)
    assert message == (
        "grown.xlsx is much larger than the return you were sent: sheet 'Lists' reaches row "
        "900 and column C, but it was sent with 19 rows and 2 columns. Check it is the return "
        "workbook you were sent, delete any rows or columns that were added to it, then send "
        "it again."
    )
    assert workbook.exceeds("Lists", 899, 3, spare_rows=0) is not None
    assert workbook.exceeds("Lists", 900, 1, spare_columns=1) is not None
    assert workbook.exceeds("No such sheet", 1, 1) is None


def test_outside_lists_the_cells_with_content_beyond_the_issued_range(
    files: Path, good: Path
) -> None:
    rows = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="B1" s="0"/><c r="D1"><v>2</v></c></row>'
        '<row r="30"><c r="A30"><f>1</f></c></row>'
    )
    workbook = open_workbook_safely(lists_sheet(files, good, "outside.xlsx", rows))
    assert workbook.sheets[LISTS].outside(rows=20, columns=3) == ["D1", "A30"]


# --- pieces -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [("A1", (1, 1)), ("$B$3", (3, 2)), ("xfd1048576", (1_048_576, 16_384)), ("ZZZ1", (1, 18278))],
)
def test_parse_cell_ref(ref: str, expected: tuple[int, int]) -> None:
    assert parse_cell_ref(ref) == expected
    assert cell_ref(*expected) == ref.replace("$", "").upper()


@settings(max_examples=100, deadline=None)
@given(cuts=st.lists(st.integers(0, 400), max_size=12))
def test_markup_counts_do_not_depend_on_where_chunks_end(cuts: list[int]) -> None:
    xml = bf.worksheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><r><rPr><b/></rPr><t>x</t></r></is></c>'
        '<x:c r="B1"><x:v>2</x:v></x:c></row><row r="2"/>',
        after='<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells><!-- <c> -->',
    )
    whole = MarkupCounter("sheet")
    whole.feed(xml)
    whole.close()
    pieces = MarkupCounter("sheet")
    start = 0
    for cut in sorted(cuts):
        pieces.feed(xml[start:cut])
        start = max(start, cut)
    pieces.feed(xml[start:])
    pieces.close()
    assert (pieces.cells, pieces.rows, pieces.markup) == (whole.cells, whole.rows, whole.markup)
    assert (whole.cells, whole.rows) == (3, 2)  # the one in the comment is counted too
    assert whole.markup == 7  # worksheet, sheetData, r, rPr, b, mergeCells, mergeCell


# --- any workbook: facts always match openpyxl ---------------------------------------------

_CELL = st.one_of(
    st.none(),
    st.integers(-1000, 1000),
    st.text(alphabet="ab &<>\"'é", min_size=1, max_size=8),
    st.booleans(),
    st.sampled_from(["=1+1", '="a"&"b"', "=SUM(A1:A2)", '=A1&"<&>"']),
    st.just("blank"),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    grid=st.dictionaries(
        st.tuples(st.integers(0, 30), st.integers(0, 8)), _CELL, min_size=1, max_size=30
    ),
    constant_memory=st.booleans(),
)
def test_any_xlsxwriter_sheet_gives_the_facts_openpyxl_sees(
    files: Path, grid: dict[tuple[int, int], object], constant_memory: bool
) -> None:
    path = files / "generated.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    fmt = wb.add_format({"bold": True})
    ws = wb.add_worksheet("Return")
    for (row, col), value in sorted(grid.items()):
        if value == "blank":
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, str) and value.startswith("="):
            ws.write_formula(row, col, value)
        elif value is not None:
            ws.write(row, col, value)
    wb.close()

    assert_facts_match_openpyxl(open_workbook_safely(path))


# --- real Excel-made workbooks ------------------------------------------------------------

CORPUS_FILES = sorted(CORPUS.iterdir()) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_FILES, reason=f"no corpus at {CORPUS}")
def test_corpus_facts_match_openpyxl() -> None:
    formulas = 0
    for path in CORPUS_FILES:
        try:
            workbook = open_workbook_safely(path)
        except UnsafeWorkbookError as error:
            assert error.reason == "macro" and path.suffix == ".xlsm", (path, error.message)
            continue
        assert path.suffix == ".xlsx", path
        assert_facts_match_openpyxl(workbook)
        formulas += sum(len(s.formulas) for s in workbook.sheets.values())
    assert formulas > 0  # the corpus has formulas, so the comparison means something


def test_totals_add_every_count() -> None:
    """`_Totals.add` is written out field by field for speed: it must miss none."""
    from dataclasses import astuple, fields

    from ipt_excel.excel.safe_open import _Totals

    one = _Totals(*range(1, len(fields(_Totals)) + 1))
    assert astuple(one.add(one)) == tuple(2 * n for n in astuple(one))


def test_typed_cells_are_the_values_that_are_not_shared_strings(files: Path, good: Path) -> None:
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="3"><v>2.5</v></c>'
        '<c r="C1" t="b"><v>1</v></c><c r="D1" t="e"><v>#N/A</v></c>'
        '<c r="E1" t="inlineStr"><is><t>x</t></is></c><c r="F1" t="str"><v>a&amp;b</v></c>'
        '<c r="G1" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="H1" s="1"/></row>'
    )
    workbook = open_workbook_safely(lists_sheet(files, good, "typed.xlsx", rows))
    assert workbook.sheets[LISTS].typed == {
        (1, 2): ("n", "3", "2.5"),
        (1, 3): ("b", "", "1"),
        (1, 4): ("e", "", "#N/A"),
        (1, 5): ("inlineStr", "", "x"),
        (1, 6): ("str", "", "a&b"),
    }
