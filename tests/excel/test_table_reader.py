"""Reading a coordinator's plan table file, once, into typed cells with their addresses."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import broken_files as bf
import pytest
import table_files as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from ipt_excel.core.plan_table import MergedRange, SourceFile
from ipt_excel.errors import PlanFileError
from ipt_excel.excel.safe_open import Limits
from ipt_excel.excel.table_reader import (
    MAX_CELLS,
    TableFileError,
    decode_text,
    detect_delimiter,
    parse_csv,
    read_agency_registry,
    read_table,
)

D = dt.date(2024, 6, 30)

# One sheet with every type of cell, a merged ID over two rows and a merged heading row.
TYPED_ROWS: list[list[object]] = [
    ["Improvement plan", None, None, None, None, None],
    ["Ref", "Action", "Target date", "Done", "Score", "Note"],
    ["1.10", "Recruit", D, True, 0.25, "=not a formula"],
    [None, "Review", dt.datetime(2024, 9, 1, 14, 30), False, 2, "line one\nline two"],
    [1.1, "Audit", "31/05/2024", None, 1e-7, None],
]
TYPED_MERGES = {"Action plan": ["A3:A4", "A1:F1"]}


def typed_values(source: SourceFile) -> list[list[object]]:
    return [[c.value for c in row] for row in source.sheets[0].rows]


EXPECTED_VALUES: list[list[object]] = [
    ["Improvement plan", None, None, None, None, None],
    ["Ref", "Action", "Target date", "Done", "Score", "Note"],
    ["1.10", "Recruit", D, True, 0.25, "=not a formula"],
    [None, "Review", dt.datetime(2024, 9, 1, 14, 30), False, 2, "line one\nline two"],
    [1.1, "Audit", "31/05/2024", None, 1e-7, None],
]


@pytest.mark.parametrize("writer", ["xlsxwriter", "openpyxl", "ods"])
def test_workbook_cells_keep_their_type_and_address(tmp_path: Path, writer: str) -> None:
    sheets = {"Action plan": TYPED_ROWS, "Key": [["RAG", "Meaning"]]}
    if writer == "xlsxwriter":
        path = tf.write_xlsx(tmp_path / "plan.xlsx", sheets, TYPED_MERGES)
    elif writer == "openpyxl":
        path = tf.write_xlsx_openpyxl(tmp_path / "plan.xlsx", sheets, TYPED_MERGES)
    else:
        path = tf.write_ods(tmp_path / "plan.ods", sheets, TYPED_MERGES)
    source = read_table(path)
    assert source.name == path.name
    assert source.format == ("ods" if writer == "ods" else "xlsx")
    assert [s.name for s in source.sheets] == ["Action plan", "Key"]
    assert typed_values(source) == EXPECTED_VALUES
    sheet = source.sheets[0]
    assert sorted(m.ref for m in sheet.merged) == ["A1:F1", "A3:A4"]
    date_cell = sheet.cell(3, 3)
    assert (date_cell.ref, date_cell.address, date_cell.value) == ("C3", "'Action plan'!C3", D)
    assert type(sheet.cell(5, 1).value) is float and type(sheet.cell(4, 5).value) is int
    assert sheet.cell(99, 99).value is None  # outside the data: blank


def test_cells_start_at_a1_even_when_the_table_does_not(tmp_path: Path) -> None:
    rows: list[list[object]] = [[], [], [None, None, "Ref", "Action"], [None, None, "1", "Do"]]
    source = read_table(tf.write_xlsx(tmp_path / "plan.xlsx", {"Sheet1": rows}))
    sheet = source.sheets[0]
    assert sheet.cell(3, 3).address == "Sheet1!C3"
    assert sheet.cell(4, 4).value == "Do"
    assert sheet.height == 4 and sheet.width == 4


def test_hidden_sheets_are_read_and_marked(tmp_path: Path) -> None:
    sheets = {"Plan": [["Ref"]], "Lists": [["Red"]]}
    for path in (
        tf.write_xlsx(tmp_path / "plan.xlsx", sheets, hidden=["Lists"]),
        tf.write_ods(tmp_path / "plan.ods", sheets, hidden=["Lists"]),
    ):
        assert [(s.name, s.visible) for s in read_table(path).sheets] == [
            ("Plan", True),
            ("Lists", False),
        ]


def test_macro_enabled_workbook_is_read_and_its_macros_left_alone(tmp_path: Path) -> None:
    path = tf.write_xlsx(
        tmp_path / "plan.xlsm", {"Plan": [["Ref", "Action"], ["1", "Do"]]}, vba=True
    )
    with zipfile.ZipFile(path) as archive:
        assert "xl/vbaProject.bin" in archive.namelist()
    source = read_table(path)
    assert source.format == "xlsm"
    assert typed_values(source) == [["Ref", "Action"], ["1", "Do"]]


def test_ods_booleans_and_merges_come_from_content_xml(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Ref", "Done"], ["1", True], [None, False], ["Theme 2", None]]
    merges = {"Plan": ["A2:A3", "A4:B4"]}
    source = read_table(tf.write_ods(tmp_path / "plan.ods", {"Plan": rows}, merges))
    assert typed_values(source) == [["Ref", "Done"], ["1", True], [None, False], ["Theme 2", None]]
    assert source.sheets[0].merged == (MergedRange(2, 1, 3, 1), MergedRange(4, 1, 4, 2))


def test_ods_repeated_rows_and_cells_are_counted_not_looped(tmp_path: Path) -> None:
    # LibreOffice writes an empty formatted sheet end as one row repeated a million times.
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
        '<office:spreadsheet><table:table table:name="Plan">'
        '<table:table-row table:number-rows-repeated="2">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="2"/>'
        '<table:table-cell office:value-type="string" table:number-rows-spanned="2">'
        "<text:p>1</text:p></table:table-cell></table:table-row>"
        '<table:table-row><table:table-cell table:number-columns-repeated="2"/>'
        "<table:covered-table-cell/></table:table-row>"
        '<table:table-row table:number-rows-repeated="1048571">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    path = tf.write_ods(tmp_path / "plan.ods", {}, content_xml=content)
    sheet = read_table(path).sheets[0]
    assert sheet.merged == (MergedRange(3, 3, 4, 3),)
    assert sheet.cell(3, 3).value == "1" and sheet.height == 3


def test_a_huge_sheet_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ipt_excel.excel.table_reader.MAX_CELLS", 10)
    path = tf.write_xlsx(tmp_path / "plan.xlsx", {"Plan": [["a"] * 4] * 4})
    with pytest.raises(TableFileError, match=r"plan.xlsx has a sheet \('Plan'\) with more than"):
        read_table(path)
    assert MAX_CELLS == 2_000_000


# --- CSV -----------------------------------------------------------------------------------

PLAN_ROWS = [
    ["Ref", "Area for improvement", "Agency", "Target date"],
    ["1.10", "Café staff – training", "Adult Social Care, Northshire ICB", "31.05.2024"],
    ["2", "Two lines", "Police", "Q3 2024/25"],
]


@pytest.mark.parametrize(
    ("delimiter", "encoding", "bom", "expect_encoding"),
    [
        (",", "utf-8", False, "utf-8"),
        (",", "utf-8", True, "utf-8-sig"),
        (";", "cp1252", False, "cp1252"),  # a European-locale Excel's "CSV (semicolon)"
        ("\t", "utf-16", False, "utf-16"),  # Excel's "Unicode Text": UTF-16 with a BOM, tabs
        ("|", "utf-8", False, "utf-8"),
    ],
)
def test_csv_encoding_and_delimiter_are_found(
    tmp_path: Path, delimiter: str, encoding: str, bom: bool, expect_encoding: str
) -> None:
    path = tf.write_csv(
        tmp_path / "cqc-plan.csv", PLAN_ROWS, delimiter=delimiter, encoding=encoding, bom=bom
    )
    source = read_table(path)
    assert (source.format, source.encoding, source.delimiter) == ("csv", expect_encoding, delimiter)
    assert [s.name for s in source.sheets] == ["cqc-plan"]  # as Excel names a CSV's sheet
    assert typed_values(source) == PLAN_ROWS
    assert source.sheets[0].cell(2, 3).address == "'cqc-plan'!C2"


def test_semicolon_csv_with_commas_in_cells_is_not_read_as_comma_separated(tmp_path: Path) -> None:
    rows = [
        ["Northshire Council – improvement plan", "", "", ""],
        ["Ref", "Owner", "Organisation", "RAG"],
        ["1", "Smith, Jo", "Adult Social Care, Northshire ICB", "Amber"],
        ["2", "Lee, Ann", "Police", "G"],
        ["3", "Roe, Bob", "ICB, Police, Council", "Red"],
    ]
    path = tf.write_csv(tmp_path / "plan.csv", rows, delimiter=";", encoding="cp1252")
    source = read_table(path)
    assert source.delimiter == ";"
    assert typed_values(source)[2] == [
        "1",
        "Smith, Jo",
        "Adult Social Care, Northshire ICB",
        "Amber",
    ]
    assert typed_values(source)[0] == ["Northshire Council – improvement plan", None, None, None]


def test_excel_sep_line_says_the_delimiter(tmp_path: Path) -> None:
    path = tf.write_csv(tmp_path / "plan.csv", PLAN_ROWS, delimiter=";", sep_line=True)
    source = read_table(path)
    assert source.delimiter == ";"
    assert typed_values(source) == PLAN_ROWS  # the sep= line is not a row


def test_csv_cells_with_line_breaks_keep_them_and_rows_count_records(tmp_path: Path) -> None:
    rows = [["Ref", "Agency"], ["1", "Police\r\nHealth"], ["2", "Council"]]
    source = read_table(tf.write_csv(tmp_path / "plan.csv", rows))
    assert typed_values(source) == [["Ref", "Agency"], ["1", "Police\nHealth"], ["2", "Council"]]
    assert source.sheets[0].cell(3, 1).ref == "A3"  # Excel's row 3, although line 4 of the file


def test_tsv_prefers_tabs_for_a_one_column_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.tsv"
    path.write_text("Ref\n1\n", encoding="utf-8")
    assert read_table(path).delimiter == "\t"


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,5;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b|c\n1|2|3\n", "|"),
        ('"x, y";b\n"1, 2";3\n', ";"),
        ("only one column\nsecond\n", ","),
        ("Title\n\nRef;Action;Lead\n1;Do it, now;Jo\n2;Plan;Sam\n", ";"),
        # Read with ";", the quotes would swallow the line ends and make one "row" of 4.
        ('"1","1",";"\r\n"1","1",";;"\r\n"1","1","1"\r\n', ","),
    ],
)
def test_detect_delimiter(text: str, delimiter: str) -> None:
    assert detect_delimiter(text) == delimiter


@settings(max_examples=200)
@given(
    st.sampled_from([",", ";", "\t", "|"]),
    st.lists(
        st.lists(
            st.text(alphabet="abc ,;|\t.1'\n", min_size=1, max_size=8), min_size=3, max_size=3
        ),
        min_size=3,
        max_size=6,
    ),
    st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL]),
)
def test_any_table_excel_could_write_is_read_back(
    delimiter: str, rows: list[list[str]], quoting: int
) -> None:
    # Cells full of the other delimiters and of line breaks: the delimiter is still found.
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator="\r\n").writerows(rows)
    got = parse_csv(buf.getvalue().encode("utf-8"), "plan.csv")
    assert got.delimiter == delimiter
    assert [[c.value or "" for c in r] for r in got.sheets[0].rows] == rows


def test_decode_text() -> None:
    assert decode_text("Café".encode()) == ("Café", "utf-8")
    assert decode_text(codecs.BOM_UTF8 + "Café".encode()) == ("Café", "utf-8-sig")
    assert decode_text("Café".encode("utf-16")) == ("Café", "utf-16")
    assert decode_text("Café – £5".encode("cp1252")) == ("Café – £5", "cp1252")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"Ref,Action\n1,\x81\x8d", "is not in a text encoding that can be read"),
        (codecs.BOM_UTF8 + b"\xff\xfe\xfa", "is not in the encoding it says it is"),
        (codecs.BOM_UTF32_LE + "Ref".encode("utf-32-le"), "is saved in UTF-32"),
        (b"Ref\x00\x01\x02", "is not a text file"),
        (b"  \r\n ", "has no rows"),
    ],
)
def test_unreadable_csv(tmp_path: Path, data: bytes, says: str) -> None:
    path = tmp_path / "plan.csv"
    path.write_bytes(data)
    with pytest.raises(TableFileError) as caught:
        read_table(path)
    message = caught.value.message
    assert message.startswith("plan.csv ") and says in message and "\n" not in message
    assert message.rstrip().endswith(".")


# --- files that are not plan tables ----------------------------------------------------------


def refused(path: Path, *, limits: Limits | None = None) -> str:
    with pytest.raises(TableFileError) as caught:
        read_table(path, limits=limits)
    error = caught.value
    assert isinstance(error, PlanFileError)
    assert error.path == path and str(error) == error.message
    assert error.message.startswith(f"{path.name} ") and "\n" not in error.message
    # Import messages, not the gate's words for agencies' returns.
    assert "return" not in error.message.removeprefix(path.name)
    return error.message


def test_missing_file(tmp_path: Path) -> None:
    for name in ("nope.xlsx", "nope.csv"):
        message = refused(tmp_path / name)
        assert f"could not be found in {tmp_path}" in message
        assert "Check the file name and folder" in message


def test_folder(tmp_path: Path) -> None:
    folder = tmp_path / "plan.csv"
    folder.mkdir()
    assert "is a folder" in refused(folder)


@pytest.mark.parametrize("suffix", [".docx", ".pdf", ""])
def test_other_file_types(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"plan{suffix}"
    path.write_bytes(b"x")
    message = refused(path)
    assert "Import a plan from an Excel workbook (.xlsx, .xlsm or .xls)" in message
    assert "OpenDocument spreadsheet (.ods) or a CSV file" in message


def test_workbook_named_csv(tmp_path: Path) -> None:
    source = tf.write_xlsx(tmp_path / "plan.xlsx", {"Plan": [["Ref"]]})
    path = tmp_path / "plan.csv"
    path.write_bytes(source.read_bytes())
    assert "is a workbook with a CSV file's name. Rename it to .xlsx" in refused(path)


def test_csv_named_xlsx(tmp_path: Path) -> None:
    path = tf.write_csv(tmp_path / "plan.xlsx", PLAN_ROWS)
    assert "is a CSV or text file with a workbook's name. Rename it to .csv" in refused(path)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (bf.make_empty, "is empty (0 bytes)"),
        (bf.make_encrypted, "is protected with a password"),
        (bf.make_rights_managed, "is protected with a password or a sensitivity label"),
        (bf.make_word97, "is not a spreadsheet"),
        (bf.make_docx_like, "is not a spreadsheet"),
        (bf.make_plain_zip, "is not a spreadsheet"),
        (bf.make_pdf, "is not a spreadsheet"),
    ],
)
def test_unsafe_or_unreadable_workbooks(
    tmp_path: Path, make: Callable[[Path], Path], says: str
) -> None:
    path = make(tmp_path)
    assert says in refused(path.rename(path.with_suffix(".xlsx")))


def test_an_xls_with_no_sheets(tmp_path: Path) -> None:
    # A CFB whose directory has an empty "Workbook" stream: the gate lets an .xls through,
    # calamine finds no sheet in it, and that is said plainly.
    message = refused(bf.make_xls(tmp_path))
    assert message == "legacy.xls has no worksheets. Check it is the plan table, then try again."


def test_a_damaged_xls(tmp_path: Path) -> None:
    path = tmp_path / "plan.xls"
    path.write_bytes(bf.CFB_SIGNATURE + bytes(range(256)) * 8)
    message = refused(path)
    assert "plan.xls " in message and "Excel Workbook (.xlsx)" in message


def test_zip_and_xml_bombs_are_refused(tmp_path: Path) -> None:
    good = bf.make_good_xlsx(tmp_path)
    bomb = bf.make_zip_bomb(tmp_path, good, megabytes=30)
    assert "is not a normal spreadsheet" in refused(
        bomb, limits=Limits(max_total_uncompressed=20 * 2**20)
    )
    xml_bomb = bf.make_xml_bomb(tmp_path, good)
    assert "is not a normal spreadsheet" in refused(xml_bomb)


def test_ods_bombs_and_password_are_refused(tmp_path: Path) -> None:
    doctype = (
        '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>'
    )
    assert "is not a normal spreadsheet" in refused(
        tf.write_ods(tmp_path / "bomb.ods", {}, content_xml=doctype)
    )
    locked = tf.write_ods(tmp_path / "locked.ods", {"Plan": [["Ref"]]}, encrypted=True)
    assert "is protected with a password" in refused(locked)


def test_file_too_large(tmp_path: Path) -> None:
    path = tf.write_csv(tmp_path / "plan.csv", PLAN_ROWS)
    assert "is too large to be a plan table" in refused(path, limits=Limits(max_file_bytes=10))
    book = tf.write_xlsx(tmp_path / "plan.xlsx", {"Plan": [["Ref"]]})
    assert "is too large to be a plan table" in refused(book, limits=Limits(max_file_bytes=10))


def test_the_file_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Path] = []
    real_open = Path.open

    def counting_open(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        opened.append(self)
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", counting_open)
    for path in (
        tf.write_xlsx(tmp_path / "plan.xlsx", {"Plan": [["Ref"]]}),
        tf.write_ods(tmp_path / "plan.ods", {"Plan": [["Ref"]]}),
        tf.write_csv(tmp_path / "plan.csv", PLAN_ROWS),
    ):
        opened.clear()
        read_table(path)
        assert opened == [path]


# --- the agency registry ---------------------------------------------------------------------


def test_agency_registry_from_csv(tmp_path: Path) -> None:
    rows = [
        ["Agency name", "Short name", "E-mail address", "Also known as"],
        ["Adult Social Care", "ASC", "asc@northshire.gov.uk", "Adults; Social care"],
        ["Northshire ICB", "ICB", "", ""],
        ["Northshire Police", "", "police at northshire", ""],
        ["", "X", "", ""],
        ["Adult Social Care", "", "", ""],
    ]
    registry = read_agency_registry(tf.write_csv(tmp_path / "agencies.csv", rows))
    assert [(a.name, a.short_name, a.email, a.aliases) for a in registry.agencies] == [
        ("Adult Social Care", "ASC", "asc@northshire.gov.uk", ("Adults", "Social care")),
        ("Northshire ICB", "ICB", "", ()),
        ("Northshire Police", "", "police at northshire", ()),
        ("Adult Social Care", "", "", ()),
    ]
    assert [(p.rule, p.cell, p.severity.value) for p in registry.problems] == [
        ("registry-email", "C4", "warning"),
        ("registry-no-name", "A5", "error"),
        ("registry-duplicate", "A6", "error"),
    ]
    assert registry.problems[1].message == (
        "agencies.csv, A5: row 5 has no agency name. Add the name, or delete the row."
    )


def test_agency_registry_needs_a_name_heading(tmp_path: Path) -> None:
    registry = read_agency_registry(tf.write_csv(tmp_path / "agencies.csv", [["Police", "POL"]]))
    assert registry.agencies == ()
    assert [p.rule for p in registry.problems] == ["registry-no-header"]
    assert registry.problems[0].message.startswith("agencies.csv: no heading row found.")
