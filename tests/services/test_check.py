"""check_files and write_report end to end, through real files.

A workspace is made from the example plan and a round issued; returns are filled in with
openpyxl, which ignores sheet protection, like a person who unprotects the sheet in Excel.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from broken_files import all_broken, make_good_xlsx
from openpyxl.worksheet.worksheet import Worksheet
from signing import sign
from typer.testing import CliRunner

from ipt_excel.cli import app
from ipt_excel.core.model import slugify
from ipt_excel.core.problems import PROBLEM_HEADERS, Severity
from ipt_excel.errors import UsageError, WorkspaceError
from ipt_excel.excel.master_reader import read_master
from ipt_excel.excel.return_writer import MANIFEST_SHEET
from ipt_excel.services.check import CheckResult, check_files, write_report
from ipt_excel.services.feedback import write_feedback
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.workspace import Workspace

ROUND = "Third review of progress"
ROUND_DATE = date(2012, 9, 26)
NOW = datetime(2012, 9, 1, 9, 0)
TODAY = date(2012, 9, 27)
HP_ROWS = {"2.9": 10, "2.13": 11, "2.14": 12, "2.15": 13}  # Health providers' return
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "excel-made"


def make_workspace(root: Path) -> Workspace:
    init_workspace(root, load_plan(EXAMPLE_PLAN), force=False, now=NOW)
    ws = Workspace(root)
    issue(ws, ROUND, ROUND_DATE, NOW)
    return ws


def issue(
    ws: Workspace, name: str, on: date, at: datetime, agencies: list[str] | None = None
) -> None:
    issue_round(
        ws,
        round_name=name,
        round_date=on,
        due=None,
        agencies=agencies,
        password=None,
        now=at,
    )


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return make_workspace(tmp_path_factory.mktemp("check") / "ws")


def issued(ws: Workspace, agency: str = "hp", round_name: str = ROUND) -> Path:
    return ws.returns_dir(slugify(round_name)) / f"{agency}.xlsx"


def edit(src: Path, dst: Path, change: Callable[[Worksheet], None]) -> Path:
    """`src` signed off as an agency would, then `change`d."""
    wb = sign(openpyxl.load_workbook(src))
    sheet = wb["Return"]
    assert isinstance(sheet, Worksheet)
    change(sheet)
    wb.save(dst)
    return dst


def fill_all(sheet: Worksheet) -> None:
    """A good update on every row: progress, AMBER typed in lower case, a month; the evidence
    left as issued."""
    for area_id, r in HP_ROWS.items():
        sheet[f"L{r}"] = f"Update for {area_id}."
        sheet[f"M{r}"] = "amber"
        sheet[f"O{r}"] = "October 2012"


def filled(ws: Workspace, dst: Path, *more: Callable[[Worksheet], None]) -> Path:
    def change(sheet: Worksheet) -> None:
        fill_all(sheet)
        for step in more:
            step(sheet)

    return edit(issued(ws), dst, change)


def check_one(ws: Workspace, path: Path) -> CheckResult:
    (result,) = check_files(ws, [path], today=TODAY)
    return result


def rules(result: CheckResult) -> list[tuple[str, str]]:
    return [(p.rule, p.cell) for p in result.problems]


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# -- good returns ----------------------------------------------------------------------------------
def test_a_return_filled_in_passes_with_its_values_normalised(
    ws: Workspace, tmp_path: Path
) -> None:
    path = filled(ws, tmp_path / "hp.xlsx")
    result = check_one(ws, path)
    assert result.problems == ()
    assert result.valid
    assert (result.file_name, result.agency, result.agency_name, result.round) == (
        "hp.xlsx",
        "HP",
        "Health providers",
        ROUND,
    )
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.accepted is not None
    assert result.accepted.sha256 == result.sha256
    assert [r.area_id for r in result.accepted.rows] == list(HP_ROWS)
    assert dict(result.accepted.rows[0].values) == {
        "progress": "Update for 2.9.",
        "rag": "AMBER",
        "evidence": result.accepted.rows[0].issued["evidence"],
        "next_review": "October 2012",
    }


def test_values_as_excel_saves_them(ws: Workspace, tmp_path: Path) -> None:
    def change(sheet: Worksheet) -> None:
        sheet["O10"] = datetime(2012, 10, 1)  # Excel's reading of a typed "Oct 2012"
        sheet["O11"] = datetime(2012, 10, 15)
        sheet["O12"] = 41197  # a serial number: 15 October 2012
        sheet["O13"] = "Sept 2013"
        sheet["M11"] = " Green "
        sheet["N11"] = "Audit shows all plans on time."
        sheet["L12"] = "=== not a formula"
        sheet["L12"].data_type = "s"  # stored as text, as Excel stores '=== typed as text

    result = check_one(ws, filled(ws, tmp_path / "hp.xlsx", change))
    assert result.problems == ()
    assert result.accepted is not None
    values = {r.area_id: dict(r.values) for r in result.accepted.rows}
    assert [values[i]["next_review"] for i in HP_ROWS] == [
        "October 2012",
        "15/10/2012",
        "15/10/2012",
        "September 2013",
    ]
    assert values["2.13"]["rag"] == "GREEN"
    assert values["2.14"]["progress"] == "=== not a formula"


def signed_only(ws: Workspace, dst: Path) -> Path:
    return edit(issued(ws), dst, lambda sheet: None)


def test_a_return_sent_back_untouched_but_signed_off_is_valid_with_a_warning_per_row(
    ws: Workspace, tmp_path: Path
) -> None:
    result = check_one(ws, signed_only(ws, tmp_path / "hp.xlsx"))
    assert result.valid
    assert {p.severity for p in result.problems} == {Severity.WARNING}
    assert [(p.rule, p.area_id) for p in result.problems if p.rule == "no-update"] == [
        ("no-update", i) for i in HP_ROWS
    ]
    # The pre-filled "September 2012" is the month of this review (26 September 2012), so it
    # has passed; "June 2012 Dec 2012" (2.15) reads as December 2012: not yet passed.
    assert [p.area_id for p in result.problems if p.rule == "review-date-stale"] == [
        "2.9",
        "2.13",
        "2.14",
    ]
    assert result.accepted is not None and result.accepted.sign_off is not None
    assert result.accepted.sign_off.text == "Sam Jones (Head of Service), 1 September 2012"


def test_a_return_without_its_sign_off_is_refused_with_the_cells_named(ws: Workspace) -> None:
    result = check_one(ws, issued(ws))
    assert not result.valid and result.accepted is None
    assert [(p.rule, p.cell, p.column) for p in result.errors] == [
        ("sign-off-missing", "L4", "Completed by"),
        ("sign-off-missing", "L5", "Role"),
        ("sign-off-missing", "L6", "Date"),
        ("sign-off-missing", "L7", "I confirm this update is accurate"),
    ]
    assert [p.message for p in result.errors] == [
        "The sign-off's 'Completed by' (L4) is empty. Type the name of the person who "
        "completed this return.",
        "The sign-off's 'Role' (L5) is empty. Type the job title of the person who completed "
        "this return.",
        "The sign-off's 'Date' (L6) is empty. Type the date the return was completed, like "
        "27/09/2012.",
        "The sign-off's 'I confirm this update is accurate' (L7) is empty. Choose Yes from the "
        "list to confirm this update is accurate.",
    ]


def test_a_sign_off_pasted_past_its_dropdown_and_date_rules_is_refused(
    ws: Workspace, tmp_path: Path
) -> None:
    def paste(sheet: Worksheet) -> None:
        sheet["L6"] = "01/10/2012"  # pasted as text, after today (27/09/2012)
        sheet["L7"] = "Probably"

    result = check_one(ws, filled(ws, tmp_path / "hp.xlsx", paste))
    assert [(p.rule, p.cell, p.value) for p in result.errors] == [
        ("sign-off-date", "L6", "01/10/2012"),
        ("sign-off-not-confirmed", "L7", "Probably"),
    ]
    assert result.errors[0].message == (
        "The sign-off's date in L6, 1 October 2012, is after today. Type the date the return was "
        "completed, like 27/09/2012."
    )


# -- returns with problems -------------------------------------------------------------------------
def test_a_formula_is_reported_never_trusted(ws: Workspace, tmp_path: Path) -> None:
    def change(sheet: Worksheet) -> None:
        sheet["L10"] = '="Update "&"for 2.9"'

    result = check_one(ws, filled(ws, tmp_path / "hp.xlsx", change))
    assert not result.valid and result.accepted is None
    assert rules(result) == [("formula", "L10")]
    assert result.problems[0].message == (
        'L10 holds a formula (="Update "&"for 2.9"). Type the value instead of a formula.'
    )


def test_a_changed_locked_cell_is_named(ws: Workspace, tmp_path: Path) -> None:
    def change(sheet: Worksheet) -> None:
        sheet["E11"] = "Someone else"

    result = check_one(ws, filled(ws, tmp_path / "hp.xlsx", change))
    assert rules(result) == [("locked-text-changed", "E11")]
    p = result.problems[0]
    assert (p.file, p.agency, p.sheet, p.area_id, p.column, p.value) == (
        "hp.xlsx",
        "Health providers",
        "Return",
        "2.13",
        "Lead",
        "Someone else",
    )


def test_a_deleted_row(ws: Workspace, tmp_path: Path) -> None:
    def change(sheet: Worksheet) -> None:
        sheet.delete_rows(11)

    result = check_one(ws, filled(ws, tmp_path / "hp.xlsx", change))
    assert [(p.rule, p.area_id) for p in result.problems] == [("row-missing", "2.13")]


def test_value_problems_name_their_cells(ws: Workspace, tmp_path: Path) -> None:
    def change(sheet: Worksheet) -> None:
        sheet["M10"] = "Purple"
        sheet["M11"] = "GREEN"
        sheet["N11"] = None  # with no evidence
        sheet["O12"] = "Soon"
        sheet["O13"] = "August 2012"
        sheet["L13"] = None

    result = check_one(ws, filled(ws, tmp_path / "hp.xlsx", change))
    assert rules(result) == [
        ("rag-in-scale", "M10"),
        ("evidence-required", "N11"),
        ("review-date-format", "O12"),
        ("progress-required", "L13"),
        ("review-date-past", "O13"),
    ]


def test_a_removed_manifest_sheet(ws: Workspace, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(issued(ws))
    del wb[MANIFEST_SHEET]
    wb.save(tmp_path / "hp.xlsx")
    result = check_one(ws, tmp_path / "hp.xlsx")
    assert [(p.rule, p.sheet, p.cell) for p in result.problems] == [("no-manifest", "", "")]
    assert result.data is None


@pytest.mark.parametrize(
    ("cell", "new", "rule"),
    [
        ("A2", "0" * 64, "signature"),
        ("A1", "something else", "manifest-damaged"),
        ("A3", "not json", "manifest-damaged"),
    ],
)
def test_an_edited_manifest(ws: Workspace, tmp_path: Path, cell: str, new: str, rule: str) -> None:
    wb = openpyxl.load_workbook(issued(ws))
    wb[MANIFEST_SHEET][cell] = new
    wb.save(tmp_path / "hp.xlsx")
    result = check_one(ws, tmp_path / "hp.xlsx")
    assert [(p.rule, p.cell) for p in result.problems] == [(rule, "")]
    assert result.problems[0].message.startswith("hp.xlsx")


def test_a_return_issued_by_another_workspace(ws: Workspace, tmp_path: Path) -> None:
    other = make_workspace(tmp_path / "other")
    result = check_one(ws, issued(other))
    assert rules(result) == [("signature", "")]
    # Nothing an unsigned manifest says is reported as fact.
    assert (result.agency, result.agency_name, result.round) == ("", "", "")
    assert not result.trusted


def test_stale_and_superseded_returns(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    first = shutil.copy(issued(ws), tmp_path / "first.xlsx")
    # Re-issued a day later: the first copy is superseded.
    issue(ws, ROUND, ROUND_DATE, datetime(2012, 9, 2, 10, 0), agencies=["HP"])
    second = signed_only(ws, tmp_path / "second.xlsx")
    (superseded,) = check_files(ws, [Path(first)], today=TODAY)
    assert rules(superseded) == [("superseded", "")]
    assert "a newer one was issued on 2 September 2012 at 10:00" in superseded.problems[0].message
    assert check_files(ws, [Path(second)], today=TODAY)[0].valid

    issue(ws, "Fourth review of progress", date(2012, 12, 12), datetime(2012, 12, 1, 9, 0))
    (stale,) = check_files(ws, [Path(second)], today=TODAY)
    assert rules(stale) == [("stale-round", "")]
    assert "'Third review of progress'" in stale.problems[0].message


# -- files refused as a whole ---------------------------------------------------------------------
def test_every_bad_file_gives_one_clear_row(ws: Workspace, tmp_path: Path) -> None:
    good = make_good_xlsx(tmp_path)
    broken = all_broken(tmp_path, good)
    results = check_files(ws, [*broken.values(), good], today=TODAY)
    expected = [*broken, "no-manifest"]
    assert [r.problems[0].rule for r in results] == expected
    for result, path in zip(results, [*broken.values(), good], strict=True):
        assert len(result.problems) == 1
        p = result.problems[0]
        assert (p.file, p.sheet, p.cell, p.severity) == (path.name, "", "", Severity.ERROR)
        assert p.message.startswith(path.name) and "\n" not in p.message
        assert not result.valid and result.data is None and result.accepted is None
        expected_hash = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        assert result.sha256 == expected_hash


def test_a_workbook_with_a_manifest_but_no_return_sheet(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "odd.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Notes").write_string(0, 0, "hello")
    wb.add_worksheet(MANIFEST_SHEET).write_string(0, 0, "ipt_excel manifest")
    wb.close()
    result = check_one(ws, path)
    assert rules(result) == [("not-a-return", "")]
    assert result.problems[0].message.startswith("odd.xlsx has no sheet called 'Return'")


def test_an_unexpected_reader_failure_is_a_row_not_a_traceback(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipt_excel.excel.return_reader as reader

    def explode(data: bytes, file_name: str) -> None:
        raise KeyError("xl/styles.xml")

    monkeypatch.setattr(reader, "read_return", explode)
    result = check_one(ws, issued(ws))
    assert [(p.rule, p.file, p.cell) for p in result.problems] == [
        ("unreadable-workbook", "hp.xlsx", "")
    ]


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
def test_every_corpus_workbook_is_refused_with_one_clear_row(ws: Workspace) -> None:
    paths = sorted(p for p in CORPUS.iterdir() if p.is_file())
    assert len(paths) > 100
    before = tree_hashes(ws.root)
    results = check_files(ws, paths, today=TODAY)
    assert tree_hashes(ws.root) == before
    for path, result in zip(paths, results, strict=True):
        assert len(result.problems) == 1, (path.name, result.problems)
        p = result.problems[0]
        assert (p.file, p.sheet, p.cell) == (path.name, "", ""), path.name
        assert p.rule in {"no-manifest", "macro"}, (path.name, p.rule)
        assert p.message.startswith(path.name), p.message
        assert not result.valid
    assert {r.problems[0].rule for r in results if r.path.suffix == ".xlsm"} == {"macro"}


# -- the workspace --------------------------------------------------------------------------------
def test_check_changes_nothing_in_the_workspace(ws: Workspace, tmp_path: Path) -> None:
    files = [
        filled(ws, tmp_path / "good.xlsx"),
        filled(ws, tmp_path / "bad.xlsx", lambda s: s.__setitem__("E11", "x")),
        issued(ws),
        issued(ws, "csc"),
        *all_broken(tmp_path, make_good_xlsx(tmp_path)).values(),
    ]
    before = tree_hashes(ws.root)
    results = check_files(ws, files, today=TODAY)
    assert len(results) == len(files)
    assert tree_hashes(ws.root) == before


def test_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no workspace"):
        check_files(Workspace(tmp_path / "nowhere"), [tmp_path / "x.xlsx"])


def test_a_workspace_without_its_ledger_is_not_given_one(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    ws.ledger_path.unlink()
    with pytest.raises(WorkspaceError, match="ledger"):
        check_files(ws, [issued(ws)])
    assert not ws.ledger_path.exists()


# -- the report -----------------------------------------------------------------------------------
@pytest.fixture
def results(ws: Workspace, tmp_path: Path) -> list[CheckResult]:
    def formula_text(sheet: Worksheet) -> None:
        sheet["M10"] = '=HYPERLINK("http://example.com","Click")'
        sheet["M10"].data_type = "s"  # typed as text: a value, never a formula

    paths = [
        filled(ws, tmp_path / "good.xlsx"),
        filled(ws, tmp_path / "bad.xlsx", formula_text),
        make_good_xlsx(tmp_path, "other.xlsx"),
    ]
    return check_files(ws, paths, today=TODAY)


def test_the_csv_report_has_a_row_for_every_problem_and_every_valid_file(
    results: list[CheckResult], tmp_path: Path
) -> None:
    path = write_report(results, tmp_path / "report.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so Excel reads UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert list(rows[0]) == list(PROBLEM_HEADERS.values())
    assert [(r["File"], r["Rule"], r["Severity"], r["Cell"]) for r in rows] == [
        ("good.xlsx", "ok", "", ""),
        ("bad.xlsx", "rag-in-scale", "error", "M10"),
        ("other.xlsx", "no-manifest", "error", ""),
    ]
    assert rows[0]["What to do"] == "No problems found."
    assert rows[0]["Agency"] == "Health providers"
    # Agency text is never a formula when the CSV is opened in Excel.
    assert rows[1]["Value found"] == '\'=HYPERLINK("http://example.com","Click")'


def test_the_xlsx_report_keeps_every_value_as_text(
    results: list[CheckResult], tmp_path: Path
) -> None:
    path = write_report(results, tmp_path / "report.xlsx")
    sheet = openpyxl.load_workbook(path).active
    assert isinstance(sheet, Worksheet)
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0] == list(PROBLEM_HEADERS.values())
    value = sheet.cell(row=3, column=list(PROBLEM_HEADERS).index("value") + 1)
    assert value.data_type == "s"
    assert value.value == '=HYPERLINK("http://example.com","Click")'
    assert [(r[0], r[7]) for r in table[1:]] == [
        ("good.xlsx", "ok"),
        ("bad.xlsx", "rag-in-scale"),
        ("other.xlsx", "no-manifest"),
    ]


def test_a_valid_file_with_warnings_says_so_in_the_report(ws: Workspace, tmp_path: Path) -> None:
    results = check_files(ws, [signed_only(ws, tmp_path / "hp.xlsx")], today=TODAY)
    path = write_report(results, tmp_path / "report.csv")
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["Rule"] for r in rows] == [
        "no-update",
        "review-date-stale",
        "no-update",
        "review-date-stale",
        "no-update",
        "review-date-stale",
        "no-update",
        "ok",
    ]
    assert rows[-1]["What to do"] == (
        "No errors found. 7 warnings to look at: they do not stop it being merged."
    )


def test_a_report_of_another_kind_is_refused(results: list[CheckResult], tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"\.xlsx or \.csv"):
        write_report(results, tmp_path / "report.txt")
    assert not (tmp_path / "report.txt").exists()


# -- an update column deleted or renamed: rows, feedback, never a traceback ----------------------
@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda sheet: sheet.delete_cols(14), id="evidence-column-deleted"),
        pytest.param(lambda sheet: sheet.__setitem__("L9", "Update"), id="progress-renamed"),
    ],
)
def test_a_removed_or_renamed_update_column_is_a_row_with_feedback(
    ws: Workspace, tmp_path: Path, change: Callable[[Worksheet], None]
) -> None:
    path = filled(ws, tmp_path / "hp.xlsx", change)
    result = check_one(ws, path)
    assert not result.valid
    assert "header-changed" in {p.rule for p in result.problems}
    feedback = write_feedback(result, read_master(ws.master), tmp_path / "fb", created=NOW)
    assert feedback is not None and feedback.exists()
    # The re-issued return has every column back, so it can be filled in and sent again.
    sheet = openpyxl.load_workbook(feedback)["Return"]
    assert [sheet.cell(9, c).value for c in (12, 14)] == ["Progress", "Evidence of impact"]
    outcome = CliRunner().invoke(
        app,
        ["merge", str(path), "-w", str(ws.root), "--feedback", str(tmp_path / "fb2")],
    )
    assert outcome.exit_code == 1, outcome.output
    assert "Traceback" not in outcome.output and "rejected" in outcome.output


def test_check_password_protects_the_feedback(ws: Workspace, tmp_path: Path) -> None:
    path = filled(ws, tmp_path / "hp.xlsx", lambda sheet: sheet.__setitem__("M10", "Purple"))
    out = tmp_path / "fb"
    args = ["check", str(path), "-w", str(ws.root), "--feedback", str(out)]
    result = CliRunner().invoke(app, [*args, "--password", "s3cret"])
    assert result.exit_code == 1, result.output
    (feedback,) = out.iterdir()
    protection = openpyxl.load_workbook(feedback)["Return"].protection
    assert protection.sheet and protection.password  # a hash of the password is set


@pytest.mark.parametrize("where", ["master.xlsx", "received/{sha}.xlsx", ".ipt/x.csv", "ws-x.csv"])
def test_a_report_inside_the_workspace_is_refused_and_nothing_changes(
    tmp_path: Path, where: str
) -> None:
    ws = make_workspace(tmp_path / "ws")
    path = filled(ws, tmp_path / "hp.xlsx")
    assert (
        CliRunner()
        .invoke(app, ["merge", str(path), "-w", str(ws.root), "--feedback", str(tmp_path / "fb")])
        .exit_code
        == 0
    )
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    before = tree_hashes(ws.root)
    report = ws.root / where.format(sha=sha)
    result = CliRunner().invoke(
        app,
        [
            "check",
            str(path),
            "-w",
            str(ws.root),
            "--report",
            str(report),
            "--feedback",
            str(tmp_path / "fb"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "inside the workspace" in result.stderr
    assert tree_hashes(ws.root) == before


def test_a_report_over_a_returned_file_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = filled(ws, tmp_path / "hp.xlsx")
    before = path.read_bytes()
    result = CliRunner().invoke(
        app,
        [
            "check",
            str(path),
            "-w",
            str(ws.root),
            "--report",
            str(path),
            "--feedback",
            str(tmp_path / "fb"),
        ],
    )
    assert result.exit_code == 2
    assert "also one of the files being read" in result.stderr
    assert path.read_bytes() == before


def test_a_folder_among_the_files_is_one_row(ws: Workspace, tmp_path: Path) -> None:
    good = filled(ws, tmp_path / "hp.xlsx")
    (tmp_path / "a-folder").mkdir()
    result = CliRunner().invoke(
        app,
        [
            "check",
            str(tmp_path / "a-folder"),
            str(good),
            "-w",
            str(ws.root),
            "--feedback",
            str(tmp_path / "fb"),
            "--report",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 1, result.output
    with (tmp_path / "r.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["File"], r["Rule"]) for r in rows] == [("a-folder", "not-a-file"), ("hp.xlsx", "ok")]


# -- every cell of every sheet ------------------------------------------------------------------
def edit_book(src: Path, dst: Path, change: Callable[[openpyxl.Workbook], None]) -> Path:
    wb = openpyxl.load_workbook(src)
    change(wb)
    wb.save(dst)
    return dst


def _ws(wb: openpyxl.Workbook, name: str) -> Worksheet:
    sheet = wb[name]
    assert isinstance(sheet, Worksheet)
    return sheet


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # A formula in a column with no heading, beside the table.
        (
            lambda wb: _ws(wb, "Return").__setitem__("Z10", '=WEBSERVICE("http://x")'),
            [("formula", "Return", "Z10")],
        ),
        (
            lambda wb: _ws(wb, "Return").__setitem__("Z10", "a note"),
            [("content-outside-table", "Return", "Z10")],
        ),
        (
            lambda wb: _ws(wb, "Return").__setitem__("D3", "typed in the title block"),
            [("content-outside-table", "Return", "D3")],
        ),
        (
            lambda wb: _ws(wb, "Lists").__setitem__("C1", "extra"),
            [("lists-changed", "Lists", "C1")],
        ),
        (
            lambda wb: _ws(wb, "Lists").__setitem__("A2", "PURPLE"),
            [("lists-changed", "Lists", "A2")],
        ),
        (lambda wb: _ws(wb, "Lists").__setitem__("D40", "=1+1"), [("formula", "Lists", "D40")]),
        (
            lambda wb: wb.create_sheet("Notes").__setitem__("A1", "our notes"),
            [("sheet-added", "Notes", "A1")],
        ),
        (
            lambda wb: _ws(wb, MANIFEST_SHEET).__setitem__("B1", "x"),
            [("manifest-damaged", MANIFEST_SHEET, "B1")],
        ),
    ],
    ids=[
        "formula-no-heading",
        "text-beside",
        "title-block",
        "lists-extra",
        "lists-changed",
        "lists-formula",
        "sheet-added",
        "manifest-extra",
    ],
)
def test_content_where_the_return_never_had_any_is_refused(
    ws: Workspace,
    tmp_path: Path,
    change: Callable[[openpyxl.Workbook], None],
    expected: list[tuple[str, str, str]],
) -> None:
    good = filled(ws, tmp_path / "good.xlsx")
    path = edit_book(good, tmp_path / "hp.xlsx", change)
    result = check_one(ws, path)
    assert [(p.rule, p.sheet, p.cell) for p in result.errors] == expected
    assert not result.valid
    assert expected[0][2] in result.errors[0].message


def test_an_empty_added_sheet_and_a_cleared_lists_cell_do_no_harm(
    ws: Workspace, tmp_path: Path
) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb.create_sheet("Sheet1")
        _ws(wb, "Lists")["B18"] = None

    path = edit_book(filled(ws, tmp_path / "good.xlsx"), tmp_path / "hp.xlsx", change)
    assert check_one(ws, path).valid


def test_an_excel_error_in_an_update_cell_is_refused(ws: Workspace, tmp_path: Path) -> None:
    def change(sheet: Worksheet) -> None:
        sheet["L10"] = "#N/A"
        sheet["L10"].data_type = "e"

    result = check_one(ws, filled(ws, tmp_path / "hp.xlsx", change))
    assert [(p.rule, p.cell, p.value) for p in result.errors] == [("excel-error", "L10", "#N/A")]
    assert "shows an Excel error (#N/A)" in result.errors[0].message


def test_the_text_hash_n_a_is_text_and_merges(ws: Workspace, tmp_path: Path) -> None:
    def change(sheet: Worksheet) -> None:
        sheet["L10"] = "#N/A"
        sheet["L10"].data_type = "s"  # typed as '#N/A in Excel: text, not an error

    result = check_one(ws, filled(ws, tmp_path / "hp.xlsx", change))
    assert result.valid


@pytest.mark.parametrize(
    ("typed", "ok"),
    [
        (datetime(9999, 12, 31), False),
        ("01/01/2999", False),
        ("September 2017", True),
        ("October 2017", False),
    ],
)
def test_a_review_date_years_away_is_refused(
    ws: Workspace, tmp_path: Path, typed: object, ok: bool
) -> None:
    def change(sheet: Worksheet) -> None:
        sheet["O10"] = typed

    result = check_one(ws, filled(ws, tmp_path / "hp.xlsx", change))
    assert [p.rule for p in result.errors] == ([] if ok else ["review-date-too-far"])
    if not ok:
        assert "more than 5 years after this review" in result.errors[0].message
        assert "on or before 30 September 2017" in result.errors[0].message


def test_a_data_table_formula_is_shown_as_excel_shows_it(ws: Workspace, tmp_path: Path) -> None:
    from openpyxl.worksheet.formula import DataTableFormula

    def change(sheet: Worksheet) -> None:
        sheet["L10"] = DataTableFormula(ref="L10", r1="A1", r2="B1", dt2D=True)

    result = check_one(ws, filled(ws, tmp_path / "hp.xlsx", change))
    (p,) = [p for p in result.errors if p.rule == "formula"]
    assert p.cell == "L10"
    assert "=TABLE(A1,B1)" in p.message and "object" not in p.message


# -- returns straight from e-mail ---------------------------------------------------------------
def test_an_emailed_return_is_checked_as_the_file_itself_and_named_by_where_it_came_from(
    ws: Workspace, tmp_path: Path
) -> None:
    from mails import eml

    good = issued(ws).read_bytes()
    path = tmp_path / "inbox" / "hp.eml"
    path.parent.mkdir()
    path.write_bytes(eml("RE: Return", [("hp.xlsx", good)]))
    (result,) = check_files(ws, [path], today=TODAY)
    (plain,) = check_files(ws, [issued(ws)], today=TODAY)
    label = f'hp.xlsx (from "RE: Return" in {path})'
    assert result.file_name == label
    assert {p.file for p in result.problems} == {label}
    assert [(p.rule, p.cell) for p in result.problems] == [(p.rule, p.cell) for p in plain.problems]
    assert result.valid == plain.valid and result.agency == plain.agency
    assert result.content == good and result.sha256 == hashlib.sha256(good).hexdigest()
    assert result.mail is not None and result.mail.data == path.read_bytes()


def test_a_workbook_like_attachment_gets_the_gates_message_naming_the_email(
    ws: Workspace, tmp_path: Path
) -> None:
    from broken_files import make_xls, make_zip_bomb
    from mails import eml

    xls = make_xls(tmp_path).read_bytes()
    bomb = make_zip_bomb(tmp_path).read_bytes()
    path = tmp_path / "mixed.eml"
    path.write_bytes(eml("Returns", [("old.xls", xls), ("r.csv", b"a,b\n1,2\n"), ("b.xlsx", bomb)]))
    results = check_files(ws, [path], today=TODAY)
    assert [r.problems[0].rule for r in results] == ["xls", "not-zip", "zip-bomb"]
    where = f'(from "Returns" in {path})'
    assert results[0].problems[0].message == (
        f"old.xls {where} is an Excel 97-2003 workbook (.xls). Open it in Excel and save it "
        f"as an Excel Workbook (.xlsx), then send it again."
    )
    assert results[1].problems[0].message.startswith(f"r.csv {where} is not an Excel workbook")
    assert all(len(r.problems) == 1 and not r.valid for r in results)


def test_an_email_with_no_return_is_one_row_in_the_report(ws: Workspace, tmp_path: Path) -> None:
    from mails import eml

    path = tmp_path / "thanks.eml"
    path.write_bytes(eml("Thanks for the reminder"))
    (result,) = check_files(ws, [path], today=TODAY)
    (problem,) = result.problems
    assert (problem.file, problem.rule) == (str(path), "no-attachment")
    assert problem.message == (
        f'{path} ("Thanks for the reminder") has no Excel workbook attached. Ask the sender '
        f"to attach the return they were sent."
    )
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # of the e-mail
    assert result.content == b""  # nothing to keep as a workbook; the e-mail is kept instead


def test_a_return_issued_before_sign_offs_existed_checks_and_merges_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A manifest version 3 return, as the version before this one issued it: no block."""
    import ipt_excel.core.rounds as rounds
    from ipt_excel.services.receive import receive_returns

    monkeypatch.setattr(rounds, "MANIFEST_VERSION", 3)
    monkeypatch.setattr(rounds, "sign_off_block", lambda layout: None)
    ws = make_workspace(tmp_path / "ws")
    monkeypatch.undo()
    wb = openpyxl.load_workbook(issued(ws))
    assert '"version":3' in "".join(
        v for (v,) in wb[MANIFEST_SHEET].iter_rows(min_row=3, max_col=1, values_only=True) if v
    )
    assert wb["Return"]["L4"].value is None and wb["Return"]["K4"].value is None
    fill_all(wb["Return"])  # type: ignore[arg-type]
    wb.save(tmp_path / "hp.xlsx")
    result = check_one(ws, tmp_path / "hp.xlsx")
    assert result.valid, result.problems
    assert result.accepted is not None and result.accepted.sign_off is None
    out = receive_returns(
        ws, [tmp_path / "hp.xlsx"], now=NOW, feedback_dir=tmp_path / "fb", today=TODAY
    )
    assert [o.outcome for o in out.outcomes] == ["merged"]
