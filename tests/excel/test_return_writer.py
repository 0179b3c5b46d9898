"""The return workbook, read back with openpyxl: one test per rule, and a golden file."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import openpyxl
import pytest
from golden.regenerate import CREATED, GOLDEN, KEY, golden_bytes, issued_for, small_plan
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from plans import with_values

from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.dates import first_review_month, month_choices
from ipt_excel.core.kinds import Kind, KindContext, cell_spec
from ipt_excel.core.manifest import from_json, sign, verify
from ipt_excel.core.model import Plan
from ipt_excel.core.rounds import HEADER_ROW, RETURN_SHEET, IssuedReturn, return_layout
from ipt_excel.errors import ReturnWriteError
from ipt_excel.excel.return_writer import (
    LISTS_SHEET,
    MANIFEST_MARKER,
    MANIFEST_SHEET,
    area_row,
    manifest_chunks,
    write_return,
)
from ipt_excel.excel.styles import LOCKED, OPEN, PROBLEM, WARNING

RETURN_LAYOUT = return_layout(DEFAULT_COLUMNS)


FIRST = HEADER_ROW + 1  # the first data row
UPDATE_HEADERS = {c.header for c in DEFAULT_COLUMNS.updates}
# The sign-off's open cells in a return of the default columns, and its labels.
SIGN_OFF = {"name": "L4", "role": "L5", "date": "L6", "confirmed": "L7"}
SIGN_OFF_LABELS = {
    "L3": "Sign-off: fill in before you send this return",
    "K4": "Completed by",
    "K5": "Role",
    "K6": "Date",
    "K7": "I confirm this update is accurate",
}


def _write(plan: Plan | None = None, agency: str = "A", **kwargs: object) -> bytes:
    plan = plan or small_plan()
    issued = issued_for(plan, agency)
    return write_return(plan, issued, sign(issued.manifest, KEY), created=CREATED, **kwargs)  # type: ignore[arg-type]


def _book(data: bytes) -> Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _sheet(data: bytes) -> Worksheet:
    ws = _book(data)[RETURN_SHEET]
    assert isinstance(ws, Worksheet)
    return ws


def _letter(key: str) -> str:
    return get_column_letter(1 + [c.key for c in RETURN_LAYOUT.columns].index(key))


def _rgb(cell: object) -> str:
    return str(cell.fill.fgColor.rgb)[-6:].upper()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def data() -> bytes:
    return _write()


@pytest.fixture(scope="module")
def ws(data: bytes) -> Worksheet:
    return _sheet(data)


def _data_rows(issued: IssuedReturn) -> range:
    return range(FIRST, FIRST + len(issued.areas))


# -- sheets ------------------------------------------------------------------------------------
def test_lists_sheet_holds_yes_and_no_for_the_sign_off_after_the_columns_lists(
    data: bytes,
) -> None:
    lists = _book(data)[LISTS_SHEET]
    assert (lists["C1"].value, lists["C2"].value, lists["C3"].value) == ("Yes", "No", None)


def test_sheets_in_order_with_the_return_first_and_active(data: bytes) -> None:
    wb = _book(data)
    assert wb.sheetnames == [RETURN_SHEET, LISTS_SHEET, MANIFEST_SHEET]
    assert wb.active is not None and wb.active.title == RETURN_SHEET
    assert wb[RETURN_SHEET].sheet_state == "visible"


def test_lists_sheet_is_hidden(data: bytes) -> None:
    assert _book(data)[LISTS_SHEET].sheet_state == "hidden"


def test_manifest_sheet_is_very_hidden(data: bytes) -> None:
    assert _book(data)[MANIFEST_SHEET].sheet_state == "veryHidden"


# -- protection -----------------------------------------------------------------------------------
def test_protection_on_with_resizing_and_selection_allowed(ws: Worksheet) -> None:
    p = ws.protection
    assert p.sheet is True
    # In the file format True means "protected", i.e. not allowed.
    assert (p.formatColumns, p.formatRows) == (False, False)
    assert (p.selectLockedCells, p.selectUnlockedCells) == (False, False)
    assert p.formatCells and p.insertRows and p.deleteRows and p.insertColumns and p.sort
    assert not p.password


def test_password_is_set_when_given() -> None:
    wb = _book(_write(password="s3cret"))
    for name in (RETURN_SHEET, LISTS_SHEET, MANIFEST_SHEET):
        assert wb[name].protection.sheet is True
        assert wb[name].protection.password  # stored as Excel's hash, never as given
    assert b"s3cret" not in b"".join(_parts(_write(password="s3cret")).values())


def test_every_plan_text_cell_is_locked_and_grey(ws: Worksheet) -> None:
    issued = issued_for(small_plan())
    for r in _data_rows(issued):
        for c, col in enumerate(RETURN_LAYOUT.columns, start=1):
            if col.is_update:
                continue
            cell = ws.cell(row=r, column=c)
            assert cell.protection.locked is True, cell.coordinate
            assert _rgb(cell) == LOCKED[0].lstrip("#"), cell.coordinate


def test_exactly_the_four_update_columns_are_open(ws: Worksheet) -> None:
    issued = issued_for(small_plan())
    assert len(UPDATE_HEADERS) == 4
    for r in _data_rows(issued):
        open_headers = {
            ws.cell(row=HEADER_ROW, column=c).value
            for c in range(1, ws.max_column + 5)
            if ws.cell(row=r, column=c).protection.locked is False
        }
        assert open_headers == UPDATE_HEADERS, r
    for r in (*range(1, FIRST), FIRST + len(issued.areas)):  # title block, header, row below
        for c in range(1, ws.max_column + 1):
            cell = ws.cell(row=r, column=c)
            assert cell.protection.locked is (cell.coordinate not in SIGN_OFF.values()), r


def test_open_cells_are_white_text_cells(ws: Worksheet) -> None:
    for col in DEFAULT_COLUMNS.updates:
        cell = ws[f"{_letter(col.key)}{FIRST}"]
        assert _rgb(cell) == OPEN[0].lstrip("#")
        assert cell.number_format == "@"  # typed dates and IDs stay as typed


# -- content ---------------------------------------------------------------------------------------
def test_title_block(ws: Worksheet) -> None:
    plan = small_plan()
    lines = [ws.cell(row=r, column=2).value for r in range(1, HEADER_ROW)]
    text = "\n".join(v for v in lines if v)
    assert lines[0] == "Children's Social Care: Second review of progress, 26 June 2012"
    assert plan.title in lines
    assert "Send this return to plan@example.gov.uk by Friday 13 July 2012." in lines
    assert "white cells: Progress, RAG, Evidence of impact and Date of next review." in text
    assert "grey cells" in text and "26/09/2012" in text and ".xlsx" in text
    assert all(ws.cell(row=r, column=1).value is None for r in range(1, HEADER_ROW))


def test_title_block_without_email_or_due_date() -> None:
    plan = small_plan(email="")
    from dataclasses import replace

    plan = replace(plan, round=replace(plan.round, due=None))
    ws = _sheet(_write(plan))
    lines = [ws.cell(row=r, column=2).value for r in range(1, HEADER_ROW)]
    assert "Send this return to the person who sent it to you as soon as you can." in lines


def test_header_row_is_the_return_columns(ws: Worksheet) -> None:
    headers = [
        ws.cell(row=HEADER_ROW, column=c).value for c in range(1, len(RETURN_LAYOUT.columns) + 1)
    ]
    assert headers == [c.header for c in RETURN_LAYOUT.columns]
    assert headers[0] == "ID"
    assert ws.cell(row=HEADER_ROW, column=len(RETURN_LAYOUT.columns) + 1).value is None


def test_column_widths_come_from_the_column_spec(ws: Worksheet) -> None:
    for col in RETURN_LAYOUT.columns:
        # xlsxwriter stores the width plus Excel's cell padding.
        assert ws.column_dimensions[_letter(col.key)].width == pytest.approx(col.width, abs=1)


def test_one_row_per_area_in_order_then_nothing(data: bytes) -> None:
    ws = _sheet(data)  # a fresh copy: reading a cell with openpyxl creates it
    assert ws.max_row == FIRST + 2
    assert [ws[f"A{r}"].value for r in range(FIRST, FIRST + 3)] == ["1.2", "1.10", "2.1"]


def test_area_row_is_where_the_area_was_written(ws: Worksheet) -> None:
    issued = issued_for(small_plan())
    for area in issued.areas:
        assert ws[f"A{area_row(issued, area)}"].value == area.id


def test_ids_are_strings(ws: Worksheet) -> None:
    cell = ws[f"A{FIRST + 1}"]
    assert cell.value == "1.10" and cell.data_type == "s"


def test_formula_like_text_is_written_as_text(data: bytes, ws: Worksheet) -> None:
    row = FIRST + 1
    for key, text in (
        ("title", "=SUM(A1:A2) is how the old tracker started this cell"),
        ("actions", "+44 helpline number on all letters"),
        ("leads", "@duty team"),
        ("assurance", "-1 complaints a month"),
    ):
        cell = ws[f"{_letter(key)}{row}"]
        assert (cell.value, cell.data_type) == (text, "s")
    sheet_xml = _parts(data)["xl/worksheets/sheet1.xml"]
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def test_open_cells_hold_the_current_values_as_text(ws: Worksheet) -> None:
    plan = small_plan()
    for r, area in enumerate(issued_for(plan).areas, start=FIRST):
        for col in DEFAULT_COLUMNS.updates:
            cell = ws[f"{_letter(col.key)}{r}"]
            assert (cell.value or "") == area.value(col.key)
            assert cell.value is None or cell.data_type == "s"
    assert ws[f"{_letter('progress')}{FIRST}"].value == "Audit started.\nTwo teams done."


def test_last_review_columns_show_the_issued_values(ws: Worksheet) -> None:
    assert ws[f"{_letter('issued_progress')}{FIRST}"].value == "Audit started.\nTwo teams done."
    assert ws[f"{_letter('issued_rag')}{FIRST}"].value == "AMBER"


def test_shared_area_says_so_next_to_its_id(ws: Worksheet) -> None:
    assert _letter("shared_with") == "B"
    assert ws[f"B{FIRST}"].value == "Health Services"  # 1.2 is shared with B
    assert ws[f"B{FIRST + 1}"].value in (None, "")  # 1.10 is A's alone


def test_shared_area_in_the_other_agencys_return() -> None:
    ws = _sheet(_write(agency="B"))
    assert (ws[f"A{FIRST}"].value, ws[f"B{FIRST}"].value) == ("1.2", "Children's Social Care")


# -- validation ------------------------------------------------------------------------------------
def _validation(ws: Worksheet, key: str) -> object:
    letter = _letter(key)
    found = [
        dv
        for dv in ws.data_validations.dataValidation
        if letter in str(dv.sqref) and str(dv.sqref) not in SIGN_OFF.values()
    ]
    assert len(found) == 1, [str(dv.sqref) for dv in found]
    return found[0]


def _list_values(data: bytes, formula: str) -> list[str]:
    m = re.fullmatch(r"Lists!\$([A-Z])\$(\d+):\$\1\$(\d+)", formula)
    assert m, formula
    lists = _book(data)[LISTS_SHEET]
    return [lists[f"{m[1]}{r}"].value for r in range(int(m[2]), int(m[3]) + 1)]


def test_rag_dropdown_lists_the_scale_from_the_lists_sheet(data: bytes, ws: Worksheet) -> None:
    dv = _validation(ws, "rag")
    letter = _letter("rag")
    assert str(dv.sqref) == f"{letter}{FIRST}:{letter}{FIRST + 2}"  # type: ignore[attr-defined]
    assert dv.type == "list"  # type: ignore[attr-defined]
    assert dv.errorStyle in (None, "stop")  # type: ignore[attr-defined]
    assert dv.showErrorMessage and dv.showDropDown is False  # type: ignore[attr-defined]  # False shows it
    assert _list_values(data, dv.formula1) == ["RED", "AMBER", "GREEN"]  # type: ignore[attr-defined]
    assert dv.error == "Choose RED, AMBER or GREEN from the list, or leave the cell empty."  # type: ignore[attr-defined]


def test_review_dropdown_lists_18_months_and_not_required(data: bytes, ws: Worksheet) -> None:
    dv = _validation(ws, "next_review")
    letter = _letter("next_review")
    assert str(dv.sqref) == f"{letter}{FIRST}:{letter}{FIRST + 2}"  # type: ignore[attr-defined]
    assert dv.type == "list"  # type: ignore[attr-defined]
    values = _list_values(data, dv.formula1)  # type: ignore[attr-defined]
    # The next review cannot be this one: the list starts the month after the round.
    assert values[0] == "July 2012" and values[17] == "December 2013"
    first = first_review_month(small_plan().round.date).first_day
    assert values == [*month_choices(first, 18), "Not required"]
    # A warning, not a stop, so a typed date can be kept; the message says how.
    assert dv.errorStyle == "warning"  # type: ignore[attr-defined]
    assert "26/09/2012" in dv.error and "choose Yes" in dv.error  # type: ignore[attr-defined]
    assert len(dv.error) <= 255  # type: ignore[attr-defined]


def test_no_list_is_inline(ws: Worksheet) -> None:
    for dv in ws.data_validations.dataValidation:
        if dv.type == "list":
            assert dv.formula1.startswith("Lists!"), dv.formula1


def _table_validations(ws: Worksheet) -> list[object]:
    return [
        dv
        for dv in ws.data_validations.dataValidation
        if int(re.sub(r"[A-Z]", "", str(dv.sqref).split(":")[0])) >= FIRST
    ]


def test_validations_cover_exactly_the_open_rows(ws: Worksheet) -> None:
    table = _table_validations(ws)
    by_column = {str(dv.sqref)[0] for dv in table}  # type: ignore[attr-defined]
    assert by_column == {_letter(c.key) for c in DEFAULT_COLUMNS.updates}
    for dv in table:
        rows = {int(re.sub(r"[A-Z]", "", part)) for part in str(dv.sqref).split(":")}  # type: ignore[attr-defined]
        assert rows == {FIRST, FIRST + 2}
    others = {str(dv.sqref) for dv in ws.data_validations.dataValidation} - {
        str(dv.sqref)  # type: ignore[attr-defined]
        for dv in table
    }
    assert others == set(SIGN_OFF.values())  # and the sign-off's four cells


def test_input_messages_are_the_column_help_or_the_kinds(ws: Worksheet) -> None:
    ctx = KindContext(small_plan().rag_scale, small_plan().round.date)
    for col in DEFAULT_COLUMNS.updates:
        dv = _validation(ws, col.key)
        message = col.help or cell_spec(col, ctx).input_message
        assert (dv.promptTitle, dv.prompt) == (col.header, message)  # type: ignore[attr-defined]
        assert dv.showInputMessage  # type: ignore[attr-defined]
    rag = _validation(ws, "rag")
    assert rag.prompt == "Pick RED, AMBER or GREEN from the list."  # type: ignore[attr-defined]


def test_rag_cells_are_coloured_by_rating(ws: Worksheet) -> None:
    ranges = {str(cf.sqref) for cf in ws.conditional_formatting}
    for key in ("rag", "issued_rag"):
        letter = _letter(key)
        assert f"{letter}{FIRST}:{letter}{FIRST + 2}" in ranges
    assert all(c.kind is Kind.RAG for c in RETURN_LAYOUT.columns if c.key in ("rag", "issued_rag"))


# -- layout and print ------------------------------------------------------------------------------
def test_frozen_below_the_header_and_right_of_the_id(ws: Worksheet) -> None:
    assert ws.freeze_panes == f"B{FIRST}"


def test_print_setup_like_the_master_but_two_pages_wide(ws: Worksheet) -> None:
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (2, 0)
    assert ws.page_setup.pageOrder == "overThenDown"
    assert ws.print_title_rows.replace("$", "") == f"{HEADER_ROW}:{HEADER_ROW}"
    assert ws.print_title_cols.replace("$", "") == "A:A"


def test_rows_are_tall_enough_for_their_text(ws: Worksheet) -> None:
    heights = {r: ws.row_dimensions[r].height for r in range(HEADER_ROW, FIRST + 3)}
    assert all(h is not None and 25 <= h <= 409 for h in heights.values()), heights
    # 1.2's Actions cell has four lines (action, a heading, two bullets): at least that tall.
    assert heights[FIRST] >= 4 * 12.75


def test_marking_in_header_and_footer(ws: Worksheet) -> None:
    assert "OFFICIAL-SENSITIVE" in (ws.oddHeader.center.text or "")
    assert "OFFICIAL-SENSITIVE" in (ws.oddFooter.center.text or "")


def test_no_marking_when_the_plan_has_none() -> None:
    ws = _sheet(_write(small_plan(marking="")))
    assert not ws.oddHeader.center.text
    assert "OFFICIAL" not in (ws.oddFooter.center.text or "")


# -- manifest --------------------------------------------------------------------------------------
def test_manifest_sheet_holds_a_verifiable_manifest(data: bytes) -> None:
    sheet = _book(data)[MANIFEST_SHEET]
    assert sheet["A1"].value == MANIFEST_MARKER
    json_text = "".join(v for (v,) in sheet.iter_rows(min_row=3, max_col=1, values_only=True) if v)
    manifest = from_json(json_text)
    assert manifest == issued_for(small_plan()).manifest
    assert verify(manifest, sheet["A2"].value, KEY)
    assert not verify(manifest, sheet["A2"].value, b"another key" * 3)


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_the_key_is_never_written(data: bytes) -> None:
    everything = b"".join(_parts(data).values())
    assert KEY not in everything
    assert KEY.hex().encode() not in everything
    assert KEY.hex().upper().encode() not in everything


def test_manifest_chunks_fit_excel_cells() -> None:
    text = "x" * 65_000 + "😀" * 20_000
    chunks = manifest_chunks(text)
    assert "".join(chunks) == text
    assert all(len(c.encode("utf-16-le")) // 2 <= 30_000 for c in chunks)
    assert manifest_chunks("") == [""]


def test_a_long_manifest_spans_several_cells() -> None:
    plan = small_plan()
    from dataclasses import replace

    areas = tuple(
        replace(with_values(plan.areas[2], progress="p" * 300), id=f"9.{i}") for i in range(200)
    )
    plan = replace(plan, areas=plan.areas + areas)
    sheet = _book(_write(plan))[MANIFEST_SHEET]
    cells = [v for (v,) in sheet.iter_rows(min_row=3, max_col=1, values_only=True) if v]
    assert len(cells) >= 3
    assert len(from_json("".join(cells)).rows) == 203


# -- feedback: kept values and marks --------------------------------------------------------------
def test_values_replace_the_open_cells() -> None:
    kept: dict[tuple[str, str], object] = {
        ("1.2", "progress"): "=1+1 typed by the agency",
        ("2.1", "next_review"): datetime(2012, 9, 26),
    }
    ws = _sheet(_write(values=kept))
    progress = ws[f"{_letter('progress')}{FIRST}"]
    assert (progress.value, progress.data_type) == ("=1+1 typed by the agency", "s")
    review = ws[f"{_letter('next_review')}{FIRST + 2}"]
    assert review.value == datetime(2012, 9, 26) and review.number_format == "dd/mm/yyyy"
    assert review.protection.locked is False
    # The plan text and the last-review columns are untouched.
    assert ws[f"{_letter('issued_progress')}{FIRST}"].value == "Audit started.\nTwo teams done."


def test_marks_highlight_the_cell_and_say_what_to_do() -> None:
    marks = {
        ("1.2", "rag"): ("error", "BLUE is not a RAG rating. Choose RED, AMBER or GREEN."),
        ("2.1", "evidence"): ("warning", "GREEN usually needs evidence of impact."),
    }
    ws = _sheet(_write(marks=marks))
    rag = ws[f"{_letter('rag')}{FIRST}"]
    assert _rgb(rag) == PROBLEM[0].lstrip("#") and rag.protection.locked is False
    assert rag.comment is not None
    assert rag.comment.text == "Fix this: BLUE is not a RAG rating. Choose RED, AMBER or GREEN."
    evidence = ws[f"{_letter('evidence')}{FIRST + 2}"]
    assert _rgb(evidence) == WARNING[0].lstrip("#") and evidence.protection.locked is False
    assert evidence.comment is not None and evidence.comment.text.startswith("Check this: ")
    assert ws[f"{_letter('rag')}{FIRST + 1}"].comment is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"values": {("9.9", "progress"): "x"}},
        {"values": {("1.2", "title"): "x"}},
        {"marks": {("1.2", "id"): ("error", "x")}},
        {"marks": {("1.2", "rag"): ("fatal", "x")}},
    ],
)
def test_values_and_marks_only_for_open_cells_of_this_return(kwargs: dict[str, object]) -> None:
    with pytest.raises(ReturnWriteError):
        _write(**kwargs)


def test_text_too_long_for_a_cell_is_a_clear_error() -> None:
    plan = small_plan()

    area = with_values(plan.areas[0], outcome="x" * 32_768)
    with pytest.raises(ReturnWriteError, match=r"Area 1\.2, Desired outcome is longer than Excel"):
        _write(plan.with_areas((area, *plan.areas[1:])))


# -- the sign-off ----------------------------------------------------------------------------------
def test_the_sign_off_is_where_the_manifest_says_above_the_update_columns(ws: Worksheet) -> None:
    block = issued_for(small_plan()).manifest.sign_off
    assert block is not None
    assert dict(block.cells) == SIGN_OFF and dict(block.labels) == SIGN_OFF_LABELS
    assert _letter("progress") == "L"  # beside the first update column, clear of the table
    for address, text in SIGN_OFF_LABELS.items():
        cell = ws[address]
        assert (cell.value, cell.protection.locked) == (text, True), address
    for address in ("K4", "K5", "K6", "K7"):
        assert ws[address].alignment.horizontal == "right"
    for address in SIGN_OFF.values():
        cell = ws[address]
        assert cell.value is None and cell.protection.locked is False, address
        assert _rgb(cell) == OPEN[0].lstrip("#")
    assert ws["L4"].number_format == "@" and ws["L5"].number_format == "@"
    assert ws["L6"].number_format == "dd/mm/yyyy"  # a typed date stays a date


def _at(ws: Worksheet, address: str) -> object:
    (dv,) = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref) == address]
    return dv


def test_the_sign_off_cells_say_what_to_type_and_keep_to_the_rules(
    data: bytes, ws: Worksheet
) -> None:
    name, role, day, confirm = (_at(ws, a) for a in SIGN_OFF.values())
    assert (name.promptTitle, name.prompt) == (  # type: ignore[attr-defined]
        "Completed by",
        "Type the name of the person who completed this return.",
    )
    assert role.prompt == "Type their job title, like Head of Service."  # type: ignore[attr-defined]
    assert day.type == "date" and day.errorStyle in (None, "stop")  # type: ignore[attr-defined]
    issued_on = datetime.fromisoformat(issued_for(small_plan()).manifest.issued_at)
    assert day.prompt == (  # type: ignore[attr-defined]
        f"Type the date the return was completed, like {issued_on:%d/%m/%Y}."
    )
    assert confirm.type == "list" and confirm.errorStyle in (None, "stop")  # type: ignore[attr-defined]
    assert _list_values(data, confirm.formula1) == ["Yes", "No"]  # type: ignore[attr-defined]
    assert confirm.error == "Choose Yes or No from the list."  # type: ignore[attr-defined]


def test_a_plan_that_asks_for_no_sign_off_has_none() -> None:
    from dataclasses import replace

    plan = replace(small_plan(), return_sign_off=False)
    assert issued_for(plan).manifest.sign_off is None
    data = _write(plan)
    ws = _sheet(data)
    for address in (*SIGN_OFF.values(), *SIGN_OFF_LABELS):
        assert ws[address].value is None
    assert {str(dv.sqref)[0] for dv in ws.data_validations.dataValidation} == {"L", "M", "N", "O"}
    assert _book(data)[LISTS_SHEET]["C1"].value is None


def test_sign_off_values_and_marks_are_written_back() -> None:
    ws = _sheet(
        _write(
            sign_off={
                "name": "Sam Jones",
                "role": "",
                "date": datetime(2012, 7, 2),
                "confirmed": "No",
            },
            sign_off_marks={"role": ("error", "The sign-off's 'Role' (L5) is empty.")},
        )
    )
    assert (ws["L4"].value, ws["L4"].data_type, ws["L4"].number_format) == ("Sam Jones", "s", "@")
    assert ws["L6"].value == datetime(2012, 7, 2) and ws["L6"].number_format == "dd/mm/yyyy"
    assert ws["L7"].value == "No"
    role = ws["L5"]
    assert _rgb(role) == PROBLEM[0].lstrip("#") and role.protection.locked is False
    assert role.number_format == "@"
    assert role.comment is not None and role.comment.text == (
        "Fix this: The sign-off's 'Role' (L5) is empty."
    )


def test_sign_off_values_only_for_its_fields_and_a_return_that_has_one() -> None:
    from dataclasses import replace

    with pytest.raises(ReturnWriteError, match="use name, role, date, confirmed"):
        _write(sign_off={"signature": "x"})
    with pytest.raises(ReturnWriteError, match="has none"):
        _write(replace(small_plan(), return_sign_off=False), sign_off={"name": "x"})


# -- feedback: flagged cells keep their format and dropdown ----------------------------------------
def test_a_flagged_cell_keeps_its_number_format_and_its_dropdown() -> None:
    marks = {
        ("1.2", "next_review"): ("error", "June 2012 is not after this review."),
        ("2.1", "rag"): ("warning", "Check this."),
    }
    values: dict[tuple[str, str], object] = {("1.2", "next_review"): "June 2012"}
    ws = _sheet(_write(values=values, marks=marks))
    review = ws[f"{_letter('next_review')}{FIRST}"]
    assert (review.value, review.data_type, review.number_format) == ("June 2012", "s", "@")
    assert _rgb(review) == PROBLEM[0].lstrip("#") and review.protection.locked is False
    rag = ws[f"{_letter('rag')}{FIRST + 2}"]
    assert rag.number_format == "@" and _rgb(rag) == WARNING[0].lstrip("#")
    for key, cell in (("next_review", review), ("rag", rag)):
        dv = _validation(ws, key)
        assert cell.coordinate in dv.sqref  # type: ignore[attr-defined]
        assert dv.type == "list"  # type: ignore[attr-defined]


# -- reproducible output ---------------------------------------------------------------------------
def test_same_input_same_bytes() -> None:
    assert _write() == _write()


def test_golden_file_part_by_part() -> None:
    """Compare with the reviewed reference; rewrite it with tests/golden/regenerate.py."""
    fresh, golden = _parts(golden_bytes()), _parts(GOLDEN.read_bytes())
    assert sorted(fresh) == sorted(golden)
    for name in sorted(golden):
        assert fresh[name].decode("utf-8") == golden[name].decode("utf-8"), name
