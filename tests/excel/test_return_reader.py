"""Reading a return back: manifest by sheet name, header, rows, formulas flagged, text as text."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime

import openpyxl
import pytest
import xlsxwriter
from golden.regenerate import CREATED, KEY, issued_for, small_plan
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.workbook.workbook import Workbook

from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.manifest import locked_text_hash, sign, verify
from ipt_excel.core.rounds import HEADER_ROW, RETURN_SHEET, locked_values, return_layout
from ipt_excel.errors import IptError, ReturnReadError
from ipt_excel.excel.return_reader import display_text, read_return
from ipt_excel.excel.return_writer import MANIFEST_SHEET, write_return

RETURN_LAYOUT = return_layout(DEFAULT_COLUMNS)


FIRST = HEADER_ROW + 1


def _letter(key: str) -> str:
    return get_column_letter(1 + [c.key for c in RETURN_LAYOUT.columns].index(key))


@pytest.fixture(scope="module")
def data() -> bytes:
    plan = small_plan()
    issued = issued_for(plan)
    return write_return(plan, issued, sign(issued.manifest, KEY), created=CREATED)


def _edit(data: bytes, change: Callable[[Workbook], None]) -> bytes:
    """Change a return with openpyxl, as another program might, and give the new bytes."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- round trip -----------------------------------------------------------------------------------
def test_round_trip_texts_and_hashes(data: bytes) -> None:
    plan = small_plan()
    issued = issued_for(plan)
    got = read_return(data, "a.xlsx")
    assert got.manifest == issued.manifest
    assert verify(got.manifest, got.signature, KEY)
    assert [r.excel_row for r in got.rows] == [FIRST, FIRST + 1, FIRST + 2]
    for row, area, m_row in zip(got.rows, issued.areas, issued.manifest.rows, strict=True):
        locked = [row.text(c.key) for c in RETURN_LAYOUT.locked]
        assert locked == locked_values(plan, area, "A", RETURN_LAYOUT)
        assert locked_text_hash(locked) == m_row.locked_sha256
        assert {c.key: row.text(c.key) for c in DEFAULT_COLUMNS.updates} == m_row.issued
        assert not any(cell.is_formula for cell in row.cells.values())


def test_header_and_columns(data: bytes) -> None:
    got = read_return(data, "a.xlsx")
    assert got.sheet == RETURN_SHEET and got.header_row == HEADER_ROW
    assert got.headers == tuple(c.header for c in RETURN_LAYOUT.columns)
    assert got.columns == {c.key: i for i, c in enumerate(RETURN_LAYOUT.columns)}


def test_cells_carry_their_address(data: bytes) -> None:
    row = read_return(data, "a.xlsx").rows[1]
    assert row.cells["rag"].address == f"{_letter('rag')}{FIRST + 1}"
    assert row.cells["id"].address == f"A{FIRST + 1}"


def test_ids_are_read_as_strings(data: bytes) -> None:
    cell = read_return(data, "a.xlsx").rows[1].cells["id"]
    assert (cell.raw, cell.text) == ("1.10", "1.10")


def test_sheet_names_states_and_epoch(data: bytes) -> None:
    got = read_return(data, "a.xlsx")
    assert got.sheet_names == ("Return", "Lists", "_manifest")
    assert got.sheet_states == {"Return": "visible", "Lists": "hidden", "_manifest": "veryHidden"}
    assert got.epoch == 1900
    assert got.ignored_rows == ()


# -- the manifest --------------------------------------------------------------------------------
def test_manifest_found_by_name_when_merely_hidden(data: bytes) -> None:
    # LibreOffice re-saves a very hidden sheet as hidden.
    def unhide(wb: Workbook) -> None:
        wb[MANIFEST_SHEET].sheet_state = "hidden"

    got = read_return(_edit(data, unhide), "a.xlsx")
    assert got.sheet_states[MANIFEST_SHEET] == "hidden"
    assert got.manifest == issued_for(small_plan()).manifest


def test_manifest_found_when_visible_and_moved(data: bytes) -> None:
    def move(wb: Workbook) -> None:
        wb[MANIFEST_SHEET].sheet_state = "visible"
        wb.move_sheet(MANIFEST_SHEET, offset=-2)

    got = read_return(_edit(data, move), "a.xlsx")
    assert got.sheet_names[0] == MANIFEST_SHEET
    assert got.manifest is not None and got.manifest_problem == ""


def test_no_manifest_sheet() -> None:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Return")
    for c, col in enumerate(RETURN_LAYOUT.columns):
        ws.write_string(2, c, col.header)
    ws.write_string(3, 0, "1.1")
    wb.close()
    got = read_return(buf.getvalue(), "blank.xlsx")
    assert got.manifest is None and not got.has_manifest_sheet and got.manifest_problem == ""
    assert got.header_row == 3  # found by searching for the ID header
    assert [r.text("id") for r in got.rows] == ["1.1"]


def test_damaged_manifest_json_is_a_problem_not_a_crash(data: bytes) -> None:
    def damage(wb: Workbook) -> None:
        wb[MANIFEST_SHEET]["A3"] = '{"version": 1, "rows": ['

    got = read_return(_edit(data, damage), "agency.xlsx")
    assert got.manifest is None and got.has_manifest_sheet
    assert got.manifest_problem.startswith(
        "agency.xlsx: A hidden part of the return has been changed, so it cannot be checked"
    )
    assert got.rows  # the rows are still read


def test_changed_marker_is_a_problem(data: bytes) -> None:
    def damage(wb: Workbook) -> None:
        wb[MANIFEST_SHEET]["A1"] = "something else"

    got = read_return(_edit(data, damage), "agency.xlsx")
    assert got.manifest is None
    assert "agency.xlsx" in got.manifest_problem and "_manifest" in got.manifest_problem


def test_edited_manifest_reads_but_does_not_verify(data: bytes) -> None:
    def tamper(wb: Workbook) -> None:
        ws = wb[MANIFEST_SHEET]
        ws["A3"] = ws["A3"].value.replace('"agency":"A"', '"agency":"B"')

    got = read_return(_edit(data, tamper), "a.xlsx")
    assert got.manifest is not None and got.manifest.agency == "B"
    assert not verify(got.manifest, got.signature, KEY)


# -- the Return sheet ----------------------------------------------------------------------------
def test_missing_return_sheet_names_the_file_and_sheet(data: bytes) -> None:
    def rename(wb: Workbook) -> None:
        wb[RETURN_SHEET].title = "Sheet1"

    with pytest.raises(ReturnReadError, match=r"^agency\.xlsx has no sheet called 'Return'") as err:
        read_return(_edit(data, rename), "agency.xlsx")
    assert "Sheet1" in str(err.value)
    assert isinstance(err.value, IptError)


def test_header_found_when_moved(data: bytes) -> None:
    def move(wb: Workbook) -> None:
        wb[RETURN_SHEET].protection.sheet = False
        wb[RETURN_SHEET].delete_rows(1, 3)

    got = read_return(_edit(data, move), "a.xlsx")
    assert got.header_row == HEADER_ROW - 3
    assert [r.text("id") for r in got.rows] == ["1.2", "1.10", "2.1"]


def test_no_header_row_is_an_error(data: bytes) -> None:
    def clear(wb: Workbook) -> None:
        wb[RETURN_SHEET].cell(row=HEADER_ROW, column=1).value = "Number"

    with pytest.raises(ReturnReadError, match=r"agency\.xlsx, sheet 'Return': there is no header"):
        read_return(_edit(data, clear), "agency.xlsx")


def test_not_a_workbook_is_an_error() -> None:
    with pytest.raises(ReturnReadError, match=r"^notes\.xlsx could not be opened"):
        read_return(b"PK\x03\x04 not really a zip", "notes.xlsx")


# -- cell values ----------------------------------------------------------------------------------
def _set(data: bytes, key: str, row: int, value: object) -> bytes:
    def change(wb: Workbook) -> None:
        wb[RETURN_SHEET][f"{_letter(key)}{row}"] = value

    return _edit(data, change)


def test_formula_is_flagged(data: bytes) -> None:
    got = read_return(_set(data, "progress", FIRST, "=1+1"), "a.xlsx")
    cell = got.rows[0].cells["progress"]
    assert cell.is_formula and cell.raw == "=1+1" and cell.text == "=1+1"


def test_text_starting_with_equals_is_text(data: bytes) -> None:
    def as_text(wb: Workbook) -> None:
        cell = wb[RETURN_SHEET][f"{_letter('progress')}{FIRST}"]
        cell.value = "=1+1"
        cell.data_type = "s"  # a string cell, as a person typing '=1+1 in Excel makes

    row = read_return(_edit(data, as_text), "a.xlsx").rows[0]
    assert not row.cells["progress"].is_formula and row.text("progress") == "=1+1"
    title = read_return(data, "a.xlsx").rows[1].cells["title"]  # written by the writer
    assert not title.is_formula and title.text.startswith("=SUM(")


def test_typed_date_is_kept_raw_with_a_uk_text(data: bytes) -> None:
    got = read_return(_set(data, "next_review", FIRST, datetime(2012, 9, 26)), "a.xlsx")
    cell = got.rows[0].cells["next_review"]
    assert cell.raw == datetime(2012, 9, 26) and cell.text == "26/09/2012"


def test_number_is_kept_raw(data: bytes) -> None:
    got = read_return(_set(data, "evidence", FIRST, 3.0), "a.xlsx")
    cell = got.rows[0].cells["evidence"]
    assert cell.raw == 3 and cell.text == "3"


def test_cleared_cell_reads_as_empty(data: bytes) -> None:
    got = read_return(_set(data, "progress", FIRST, None), "a.xlsx")
    cell = got.rows[0].cells["progress"]
    assert (cell.raw, cell.text) == (None, "")


def test_rows_stop_at_the_first_empty_row(data: bytes) -> None:
    def add_below(wb: Workbook) -> None:
        wb[RETURN_SHEET][f"C{FIRST + 5}"] = "an extra line typed below the table"

    got = read_return(_edit(data, add_below), "a.xlsx")
    assert len(got.rows) == 3
    assert got.ignored_rows == (FIRST + 5,)


def test_1904_epoch_is_reported(data: bytes) -> None:
    def mac(wb: Workbook) -> None:
        wb.epoch = CALENDAR_MAC_1904

    assert read_return(_edit(data, mac), "a.xlsx").epoch == 1904


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("x", "x"),
        (True, "TRUE"),
        (datetime(2012, 6, 26), "26/06/2012"),
        (datetime(2012, 6, 26, 14, 30), "26/06/2012 14:30"),
        (datetime(2012, 6, 26, 14, 30, 5), "26/06/2012 14:30:05"),
        (datetime(2012, 6, 26).date(), "26/06/2012"),
        (42, "42"),
        (1.5, "1.5"),
        (2.0, "2"),
    ],
)
def test_display_text(value: object, text: str) -> None:
    assert display_text(value) == text


# -- the sign-off ---------------------------------------------------------------------------------
def test_the_sign_off_cells_the_manifest_names_are_read_and_not_outside(data: bytes) -> None:
    def sign_it(wb: Workbook) -> None:
        ws = wb[RETURN_SHEET]
        ws["L4"] = "Sam Jones"
        ws["L5"] = "=A1"  # a formula: flagged, and reported with the others outside the table
        ws["L6"] = datetime(2012, 7, 2)
        ws["L7"] = "Yes"
        ws["M5"] = "acting"  # beside the block: outside

    got = read_return(_edit(data, sign_it), "a.xlsx")
    assert {f: (c.address, c.raw) for f, c in got.sign_off.items()} == {
        "name": ("L4", "Sam Jones"),
        "role": ("L5", "=A1"),
        "date": ("L6", datetime(2012, 7, 2)),
        "confirmed": ("L7", "Yes"),
    }
    assert got.sign_off["role"].is_formula and not got.sign_off["name"].is_formula
    assert got.sign_off["date"].text == "02/07/2012"
    assert {a: c.text for a, c in got.sign_off_labels.items()} == {
        "L3": "Sign-off: fill in before you send this return",
        "K4": "Completed by",
        "K5": "Role",
        "K6": "Date",
        "K7": "I confirm this update is accurate",
    }
    return_sheet = {(c.address, c.text, c.is_formula) for c in got.outside if c.sheet == "Return"}
    assert return_sheet == {("L5", "=A1", True), ("M5", "acting", False)}


def test_an_empty_sign_off_reads_as_empty_cells(data: bytes) -> None:
    got = read_return(data, "a.xlsx")
    assert set(got.sign_off) == {"name", "role", "date", "confirmed"}
    assert all(c.raw in (None, "") for c in got.sign_off.values())
    assert not [c for c in got.outside if c.sheet == "Return"]


def test_a_return_without_a_sign_off_reads_none_and_its_cells_are_outside() -> None:
    from dataclasses import replace

    plan = replace(small_plan(), return_sign_off=False)
    issued = issued_for(plan)
    data = write_return(plan, issued, sign(issued.manifest, KEY), created=CREATED)
    got = read_return(_edit(data, lambda wb: wb[RETURN_SHEET].__setitem__("L4", "Sam")), "a.xlsx")
    assert got.sign_off == {} and got.sign_off_labels == {}
    assert [c.address for c in got.outside if c.sheet == RETURN_SHEET] == ["L4"]
