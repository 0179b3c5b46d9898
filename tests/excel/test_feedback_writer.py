"""The feedback workbook: the agency's own return, re-issued with its faults marked."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from broken_files import make_good_xlsx
from openpyxl.worksheet.worksheet import Worksheet
from plans import with_values
from signing import sign

from ipt_excel.core.model import Plan
from ipt_excel.core.problems import Problem
from ipt_excel.errors import UsageError
from ipt_excel.excel.master_reader import read_master
from ipt_excel.excel.return_writer import MANIFEST_SHEET
from ipt_excel.excel.styles import PROBLEM, WARNING
from ipt_excel.services.check import CheckResult, check_files
from ipt_excel.services.feedback import check_feedback_dir, write_feedback
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.workspace import Workspace

ROUND = "Third review of progress"
NOW = datetime(2012, 9, 1, 9, 0)
CREATED = datetime(2012, 9, 28, 10, 0)
TODAY = NOW.date().replace(day=27)
ROWS = {"2.9": 10, "2.13": 11, "2.14": 12, "2.15": 13}  # Health providers' return


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("feedback") / "ws"
    init_workspace(root, load_plan(EXAMPLE_PLAN), force=False, now=NOW)
    ws = Workspace(root)
    issue_round(
        ws,
        round_name=ROUND,
        round_date=NOW.date().replace(day=26),
        due=None,
        agencies=None,
        password=None,
        now=NOW,
    )
    return ws


@pytest.fixture(scope="module")
def plan(ws: Workspace) -> Plan:
    return read_master(ws.master)


def issued(ws: Workspace) -> Path:
    return ws.returns_dir("third-review-of-progress") / "hp.xlsx"


def fill(ws: Workspace, dst: Path, change: Callable[[Worksheet], None]) -> Path:
    """Good updates on rows 2.9 to 2.14 (2.15 is left as issued), then `change`."""
    wb = sign(openpyxl.load_workbook(issued(ws)))
    sheet = wb["Return"]
    assert isinstance(sheet, Worksheet)
    for area_id, r in list(ROWS.items())[:3]:
        sheet[f"L{r}"] = f"Update for {area_id}."
        sheet[f"M{r}"] = "AMBER"
        sheet[f"O{r}"] = "October 2012"
    change(sheet)
    wb.save(dst)
    return dst


def check(ws: Workspace, path: Path) -> CheckResult:
    (result,) = check_files(ws, [path], today=TODAY)
    return result


def feedback(ws: Workspace, plan: Plan, result: CheckResult, out: Path) -> Path | None:
    return write_feedback(result, plan, out, created=CREATED)


def sheet_of(path: Path) -> Worksheet:
    sheet = openpyxl.load_workbook(path)["Return"]
    assert isinstance(sheet, Worksheet)
    return sheet


def fill_colour(sheet: Worksheet, ref: str) -> str:
    return str(sheet[ref].fill.fgColor.rgb)[-6:].upper()


def note(sheet: Worksheet, ref: str) -> str | None:
    comment = sheet[ref].comment
    return None if comment is None else str(comment.text)


def without_file(problems: tuple[Problem, ...]) -> list[Problem]:
    return [dataclasses.replace(p, file="") for p in problems]


def value_problems(sheet: Worksheet) -> None:
    sheet["M10"] = "Purple"
    sheet["M11"] = "GREEN"
    sheet["N11"] = None  # GREEN needs evidence
    sheet["O12"] = "Soon"


def test_value_problems_are_marked_with_the_agency_s_values_kept(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    result = check(ws, fill(ws, tmp_path / "hp.xlsx", value_problems))
    assert [(p.rule, p.cell) for p in result.problems] == [
        ("rag-in-scale", "M10"),
        ("evidence-required", "N11"),
        ("review-date-format", "O12"),
        ("no-update", "L13"),
    ]
    path = feedback(ws, plan, result, tmp_path / "feedback")
    assert path == tmp_path / "feedback" / "hp-third-review-of-progress-feedback.xlsx"

    sheet = sheet_of(path)
    assert [sheet[f"L{r}"].value for r in ROWS.values()][:3] == [
        "Update for 2.9.",
        "Update for 2.13.",
        "Update for 2.14.",
    ]
    assert (sheet["M10"].value, sheet["O12"].value) == ("Purple", "Soon")
    assert note(sheet, "M10") == "Fix this: " + result.problems[0].message
    assert note(sheet, "N11") == "Fix this: " + result.problems[1].message
    assert note(sheet, "L13") == "Check this: " + result.problems[3].message
    assert note(sheet, "L10") is None
    assert fill_colour(sheet, "M10") == PROBLEM[0].lstrip("#")
    assert fill_colour(sheet, "L13") == WARNING[0].lstrip("#")
    assert sheet.protection.sheet is True
    assert openpyxl.load_workbook(path)[MANIFEST_SHEET].sheet_state == "veryHidden"


def test_a_feedback_file_checked_unchanged_gives_the_same_problems(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    result = check(ws, fill(ws, tmp_path / "hp.xlsx", value_problems))
    path = feedback(ws, plan, result, tmp_path / "feedback")
    assert path is not None
    again = check(ws, path)
    assert without_file(again.problems) == without_file(result.problems)
    assert again.trusted  # the same manifest and signature, still the latest issued


def test_fixing_the_marked_cells_makes_the_feedback_valid(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    result = check(ws, fill(ws, tmp_path / "hp.xlsx", value_problems))
    path = feedback(ws, plan, result, tmp_path / "feedback")
    assert path is not None
    wb = openpyxl.load_workbook(path)
    wb["Return"]["M10"] = "RED"
    wb["Return"]["N11"] = "All plans on time."
    wb["Return"]["O12"] = "Not required"
    wb.save(tmp_path / "fixed.xlsx")
    fixed = check(ws, tmp_path / "fixed.xlsx")
    assert fixed.valid
    assert [p.rule for p in fixed.problems] == ["no-update"]


def test_broken_structure_is_put_back_and_noted(ws: Workspace, plan: Plan, tmp_path: Path) -> None:
    def change(sheet: Worksheet) -> None:
        sheet["E12"] = "Someone else"  # plan text of 2.14
        sheet.delete_rows(11)  # area 2.13

    result = check(ws, fill(ws, tmp_path / "hp.xlsx", change))
    assert sorted(p.rule for p in result.problems) == [
        "locked-text-changed",
        "no-update",
        "row-missing",
    ]
    path = feedback(ws, plan, result, tmp_path / "feedback")
    assert path is not None
    sheet = sheet_of(path)
    assert [sheet[f"A{r}"].value for r in ROWS.values()] == list(ROWS)
    assert sheet["E12"].value != "Someone else"
    assert note(sheet, "L11") == (
        "Check this: This row had been deleted. It has been put back: fill in its white cells."
    )
    # The note is on the plan-text cell put back, locked as ever and outlined, not on the
    # agency's update beside it.
    assert note(sheet, "E12") == (
        "Check this: The plan text in this cell had been changed. It has been put back as it "
        "was sent: only the white cells can be changed."
    )
    assert sheet["E12"].protection.locked and sheet["E12"].border.left.style == "medium"
    assert note(sheet, "L12") is None
    assert sheet["L12"].value == "Update for 2.14."  # moved up by the deletion, kept
    again = check(ws, path)
    assert again.valid
    # 2.13 was sent back untouched; its pre-filled September 2012 review is the month of this
    # review, so it has passed too.
    assert [(p.rule, p.area_id) for p in again.problems] == [
        ("no-update", "2.13"),
        ("review-date-stale", "2.13"),
        ("no-update", "2.15"),
    ]


def test_a_formula_is_emptied_and_marked(ws: Workspace, plan: Plan, tmp_path: Path) -> None:
    def change(sheet: Worksheet) -> None:
        sheet["L10"] = "=1+1"

    result = check(ws, fill(ws, tmp_path / "hp.xlsx", change))
    path = feedback(ws, plan, result, tmp_path / "feedback")
    assert path is not None
    sheet = sheet_of(path)
    assert sheet["L10"].value in (None, "")
    assert note(sheet, "L10") == (
        "Fix this: L10 holds a formula (=1+1). Type the value instead of a formula."
    )


def test_the_same_password_protects_the_feedback(ws: Workspace, plan: Plan, tmp_path: Path) -> None:
    result = check(ws, fill(ws, tmp_path / "hp.xlsx", value_problems))
    path = write_feedback(result, plan, tmp_path / "feedback", created=CREATED, password="s3cret")
    assert path is not None
    assert sheet_of(path).protection.password


def test_no_feedback_for_a_valid_return(ws: Workspace, plan: Plan, tmp_path: Path) -> None:
    result = check(ws, fill(ws, tmp_path / "hp.xlsx", lambda sheet: None))
    assert result.valid
    assert feedback(ws, plan, result, tmp_path / "feedback") is None
    assert not (tmp_path / "feedback").exists()


def test_no_feedback_for_a_file_that_is_not_a_return(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    result = check(ws, make_good_xlsx(tmp_path))
    assert feedback(ws, plan, result, tmp_path / "feedback") is None


def test_no_feedback_for_an_altered_manifest(ws: Workspace, plan: Plan, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(issued(ws))
    wb[MANIFEST_SHEET]["A2"] = "0" * 64
    wb.save(tmp_path / "hp.xlsx")
    result = check(ws, tmp_path / "hp.xlsx")
    assert [p.rule for p in result.problems] == ["signature"]
    assert feedback(ws, plan, result, tmp_path / "feedback") is None


def test_no_feedback_when_the_master_s_plan_text_changed_since_issue(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    result = check(ws, fill(ws, tmp_path / "hp.xlsx", value_problems))
    areas = tuple(with_values(a, title="A new title") if a.id == "2.13" else a for a in plan.areas)
    assert feedback(ws, plan.with_areas(areas), result, tmp_path / "feedback") is None


@pytest.mark.parametrize("inside", ["", "feedback", "returns/feedback"])
def test_a_feedback_folder_inside_the_workspace_is_refused(
    ws: Workspace, plan: Plan, tmp_path: Path, inside: str
) -> None:
    result = check(ws, fill(ws, tmp_path / "hp.xlsx", value_problems))
    out = ws.root / inside if inside else ws.root
    # The result knows the workspace it was checked against; a caller may also name it.
    with pytest.raises(UsageError, match="inside the workspace"):
        feedback(ws, plan, result, out)
    with pytest.raises(UsageError, match="inside the workspace"):
        write_feedback(result, plan, out, created=CREATED, workspace=ws)
    with pytest.raises(UsageError, match="inside the workspace"):
        check_feedback_dir(out, ws)
    assert not (ws.root / "feedback").exists()


def test_a_feedback_folder_beside_the_workspace_is_fine(ws: Workspace, tmp_path: Path) -> None:
    check_feedback_dir(ws.root.parent / "feedback", ws)
    check_feedback_dir(tmp_path / "ws-feedback", ws.root)


def test_the_feedback_says_it_was_sent_back_and_what_to_do(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    result = check(ws, fill(ws, tmp_path / "hp.xlsx", value_problems))
    path = feedback(ws, plan, result, tmp_path / "feedback")
    assert path is not None
    sheet = sheet_of(path)
    assert sheet["B2"].value == (
        "This return has been sent back to you. The sheet 'What to fix' lists what to change: "
        "fix the cells marked red and check those marked yellow, then send it back."
    )


# -- the "What to fix" sheet -----------------------------------------------------------------------
def fix_rows(path: Path) -> list[tuple[str, ...]]:
    sheet = openpyxl.load_workbook(path)["What to fix"]
    assert isinstance(sheet, Worksheet)
    assert [c.value for c in sheet[4]] == [
        "Must fix or check",
        "Cell",
        "Column",
        "Area",
        "What is wrong",
        "What to do",
    ]
    return [
        tuple("" if v is None else str(v) for v in row)
        for row in sheet.iter_rows(min_row=5, values_only=True)
    ]


def test_the_feedback_opens_on_what_to_fix_listing_every_problem_errors_first(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    def change(sheet: Worksheet) -> None:
        value_problems(sheet)
        sheet["L5"] = None  # the sign-off's role, left empty

    result = check(ws, fill(ws, tmp_path / "hp.xlsx", change))
    path = feedback(ws, plan, result, tmp_path / "feedback")
    assert path is not None
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["What to fix", "Return", "Lists", "_manifest"]
    assert wb.active is not None and wb.active.title == "What to fix"
    assert [bool(s.sheet_view.tabSelected) for s in wb.worksheets] == [True, False, False, False]
    sheet = wb["What to fix"]
    assert sheet["A1"].value == "What to fix"
    assert sheet["A2"].value == (
        "Health providers: Third review of progress. 4 things to fix and 1 to check. Make each "
        "change on the Return sheet, then save the file and send it back."
    )
    role = next(p for p in result.problems if p.cell == "L5")
    rag = next(p for p in result.problems if p.cell == "M10")
    assert fix_rows(path) == [
        (
            "Must fix",
            "L5",
            "Role",
            "",
            "The sign-off's 'Role' (L5) is empty.",
            "Type the job title of the person who completed this return.",
        ),
        (
            "Must fix",
            "M10",
            "RAG",
            "2.9",
            "'Purple' is not a RAG rating.",
            "Choose RED, AMBER or GREEN from the list, or leave the cell empty.",
        ),
        ("Must fix", "N11", "Evidence of impact", "2.13", *split(result, "N11")),
        ("Must fix", "O12", "Date of next review", "2.14", *split(result, "O12")),
        ("Check", "L13", "Progress", "2.15", *split(result, "L13")),
    ]
    assert role.message == " ".join(fix_rows(path)[0][4:])
    assert rag.message == " ".join(fix_rows(path)[1][4:])


def split(result: CheckResult, cell: str) -> tuple[str, str]:
    from ipt_excel.core.fix_list import split_message

    return split_message(next(p for p in result.problems if p.cell == cell).message)


def test_what_to_fix_prints_on_a4_landscape_one_page_wide_with_its_headings_repeated(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    result = check(ws, fill(ws, tmp_path / "hp.xlsx", value_problems))
    path = feedback(ws, plan, result, tmp_path / "feedback")
    assert path is not None
    sheet = openpyxl.load_workbook(path)["What to fix"]
    assert isinstance(sheet, Worksheet)
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1)  # 1 is the file format's default
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows.replace("$", "") == "4:4"
    assert sheet.protection.sheet is True
    # Must fix and Check in words, on the colours of the marked cells.
    assert fill_colour(sheet, "A5") == PROBLEM[0].lstrip("#")
    assert fill_colour(sheet, "A8") == WARNING[0].lstrip("#")
    # Each cell links to itself on the Return sheet.
    assert sheet["B5"].hyperlink is not None and sheet["B5"].hyperlink.location == "'Return'!M10"


def test_put_right_structure_is_listed_to_check_where_it_now_is(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    def change(sheet: Worksheet) -> None:
        sheet["E12"] = "Someone else"  # plan text of 2.14
        sheet.delete_rows(11)  # area 2.13
        sheet["P3"] = "See the attached note"  # outside the table

    result = check(ws, fill(ws, tmp_path / "hp.xlsx", change))
    path = feedback(ws, plan, result, tmp_path / "feedback")
    assert path is not None
    rows = fix_rows(path)
    assert [r[:4] for r in rows] == [
        ("Check", "P3", "", ""),
        ("Check", "L11", "ID", "2.13"),
        ("Check", "E12", "Lead", "2.14"),
        ("Check", "L13", "Progress", "2.15"),
    ]
    assert rows[0][5] == (
        "It is not in this workbook. If it is part of your update, type it in a white cell of "
        "the table."
    )
    assert rows[1][4:] == (
        "This row had been deleted.",
        "It has been put back: fill in its white cells.",
    )
    # Nothing left to fix: the notice says so.
    assert sheet_of(path)["B2"].value == (
        "This return has been sent back to you. Nothing needs fixing: the sheet 'What to fix' "
        "lists what to check. Then send it back."
    )


def test_a_feedback_workbook_sent_back_with_its_what_to_fix_sheet_is_valid_once_fixed(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    result = check(ws, fill(ws, tmp_path / "hp.xlsx", value_problems))
    path = feedback(ws, plan, result, tmp_path / "feedback")
    assert path is not None
    wb = openpyxl.load_workbook(path)
    wb["Return"]["M10"] = "RED"
    wb["Return"]["N11"] = "All plans on time."
    wb["Return"]["O12"] = "Not required"
    wb["What to fix"].protection.sheet = False
    wb["What to fix"]["G5"] = "Done"  # an agency's tick beside a row: not read
    wb.save(tmp_path / "fixed.xlsx")
    fixed = check(ws, tmp_path / "fixed.xlsx")
    assert fixed.valid, fixed.problems
    assert [p.rule for p in fixed.problems] == ["no-update"]


def test_a_what_to_fix_sheet_added_to_a_return_never_sent_back_is_a_sheet_added(
    ws: Workspace, tmp_path: Path
) -> None:
    def change(sheet: Worksheet) -> None:
        assert sheet.parent is not None
        sheet.parent.create_sheet("What to fix")["A1"] = "Our own notes"

    result = check(ws, fill(ws, tmp_path / "hp.xlsx", change))
    assert [(p.rule, p.sheet, p.cell) for p in result.errors] == [
        ("sheet-added", "What to fix", "A1")
    ]


# -- the sign-off in feedback ---------------------------------------------------------------------
def test_the_sign_off_the_agency_entered_is_kept_and_its_faults_marked(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    def change(sheet: Worksheet) -> None:
        sheet["L4"] = "Pat Lee"
        sheet["L5"] = "Named Nurse"
        sheet["L6"] = datetime(2012, 9, 20)
        sheet["L7"] = "No"

    result = check(ws, fill(ws, tmp_path / "hp.xlsx", change))
    assert [(p.rule, p.cell) for p in result.errors] == [("sign-off-not-confirmed", "L7")]
    path = feedback(ws, plan, result, tmp_path / "feedback")
    assert path is not None
    sheet = sheet_of(path)
    assert (sheet["L4"].value, sheet["L5"].value, sheet["L6"].value, sheet["L7"].value) == (
        "Pat Lee",
        "Named Nurse",
        datetime(2012, 9, 20),
        "No",
    )
    assert sheet["L6"].number_format == "dd/mm/yyyy"
    assert fill_colour(sheet, "L7") == PROBLEM[0].lstrip("#")
    assert sheet["L7"].protection.locked is False
    assert note(sheet, "L7") == "Fix this: " + result.errors[0].message
    assert note(sheet, "L4") is None
    # The dropdown still covers the marked cell.
    (confirm,) = [dv for dv in sheet.data_validations.dataValidation if str(dv.sqref) == "L7"]
    assert confirm.type == "list" and confirm.formula1 == "Lists!$C$1:$C$2"
    # Choosing Yes makes it valid.
    wb = openpyxl.load_workbook(path)
    wb["Return"]["L7"] = "Yes"
    wb.save(tmp_path / "fixed.xlsx")
    assert check(ws, tmp_path / "fixed.xlsx").valid


def test_must_fix_counts_what_the_agency_is_asked_to_fix_not_what_was_put_right(
    ws: Workspace, plan: Plan, tmp_path: Path
) -> None:
    from ipt_excel.excel.feedback_writer import must_fix

    def changed_plan_text(sheet: Worksheet) -> None:
        sheet["E12"] = "Someone else"  # plan text of 2.14: put back in the feedback

    repaired = check(ws, fill(ws, tmp_path / "a.xlsx", changed_plan_text))
    assert not repaired.valid and repaired.data is not None
    assert must_fix(repaired.data, repaired.problems) == 0
    wrong = check(ws, fill(ws, tmp_path / "b.xlsx", value_problems))
    assert wrong.data is not None
    path = feedback(ws, plan, wrong, tmp_path / "feedback")
    assert path is not None
    listed = sum(1 for r in fix_rows(path) if r[0] == "Must fix")
    assert must_fix(wrong.data, wrong.problems) == listed > 0
