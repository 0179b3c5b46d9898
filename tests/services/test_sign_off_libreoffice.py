"""The sign-off, end to end through a real LibreOffice, as an agency in the UK would fill it.

A return is issued; Health providers type their updates and the sign-off (name, role, the
date as text, Yes from the dropdown) into the open cells of the protected sheet; `ipt check`
accepts it and `ipt merge` merges it; `ipt status`, the master's Summary and its Agency
updates sheet say who signed it off. The same return typed in without its sign-off is refused
with the four cells named. And a feedback workbook's flagged "Date of next review" cell,
retyped as "October 2012", stays text: the return reads "October 2012" and is valid.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from libreoffice import (
    LIBREOFFICE_MARKS,
    fill_with_libreoffice,
    lo,  # noqa: F401 - fixture that LIBREOFFICE_MARKS uses
)
from signing import sign_off_typed
from typer.testing import CliRunner

from ipt_excel.cli import app
from ipt_excel.excel.master_reader import read_master
from ipt_excel.excel.return_reader import read_return
from ipt_excel.services.check import check_files
from ipt_excel.services.feedback import write_feedback
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.services.receive import receive_returns
from ipt_excel.workspace import Workspace

pytestmark = LIBREOFFICE_MARKS

NOW = datetime(2012, 9, 1, 9, 0)
MERGED_AT = datetime(2012, 9, 20, 10, 0)
TODAY = date(2012, 9, 20)
WIDE = {"COLUMNS": "200"}
SIGNED = "Pat Lee (Named Nurse for Safeguarding), 18 September 2012"

# Health providers' four areas, rows 10 to 13, and the sign-off above the update columns.
UPDATES = [
    {"cell": "L10", "text": "Designated nurse in post; training plan agreed."},
    {"cell": "M10", "text": "AMBER"},
    {"cell": "O10", "text": "October 2012"},
    {"cell": "L11", "text": "All providers report monthly."},
    {"cell": "M11", "text": "AMBER"},
]
SIGN_OFF = [
    {"cell": "L4", "text": "Pat Lee"},
    {"cell": "L5", "text": "Named Nurse for Safeguarding"},
    {"cell": "L6", "text": "18/09/2012"},  # typed as a person types a date, en-GB
    {"cell": "L7", "text": "Yes"},
]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    init_workspace(root, load_plan(EXAMPLE_PLAN), force=False, now=NOW)
    ws = Workspace(root)
    issue_round(
        ws,
        round_name="Third review of progress",
        round_date=date(2012, 9, 26),
        due=date(2012, 9, 21),
        agencies=["HP"],
        password=None,
        now=NOW,
    )
    return ws


def issued(ws: Workspace) -> Path:
    return ws.returns_dir("third-review-of-progress") / "hp.xlsx"


def typed(ws: Workspace, dst: Path, edits: list[dict[str, str]], **kw: object) -> Path:
    done = fill_with_libreoffice(issued(ws), dst, edits, **kw)  # type: ignore[arg-type]
    assert done["protected"] is True  # typed into the open cells of the protected sheet
    assert all(e.get("ok") for e in done["edits"]), done["edits"]
    return dst


def test_a_return_signed_off_in_libreoffice_merges_and_says_who_vouched_for_it(
    ws: Workspace, tmp_path: Path
) -> None:
    back = typed(ws, tmp_path / "inbox" / "hp.xlsx", [*UPDATES, *SIGN_OFF])
    data = read_return(back.read_bytes(), back.name)
    assert data.sign_off["date"].raw == datetime(2012, 9, 18)  # LibreOffice made it a date
    assert data.sign_off["confirmed"].raw == "Yes"

    (result,) = check_files(ws, [back], today=TODAY)
    assert result.valid, result.problems
    assert result.accepted is not None and result.accepted.sign_off is not None
    assert result.accepted.sign_off.text == SIGNED

    out = receive_returns(ws, [back], now=MERGED_AT, feedback_dir=tmp_path / "fb", today=TODAY)
    assert [o.outcome for o in out.outcomes] == ["merged"]
    assert read_master(ws.master).area("2.9").value("progress").startswith("Designated nurse")

    status = CliRunner().invoke(app, ["status", "-w", str(ws.root)], env=WIDE)
    assert status.exit_code == 0, status.output
    lines = status.stdout.splitlines()
    returns = lines[lines.index("Returns") : lines.index("RAG by theme")]
    (line,) = [row for row in returns if "Health providers" in row]
    assert SIGNED in line

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        master = openpyxl.load_workbook(ws.master)
    summary = [r for r in master["Summary"].iter_rows(values_only=True) if "Health providers" in r]
    assert any(SIGNED in r for r in summary)
    updates = list(master["Agency updates"].iter_rows(values_only=True))
    col = updates[0].index("Signed off by")
    assert {r[col] for r in updates[1:] if r[1] == "HP"} == {SIGNED}


def test_a_return_typed_in_without_its_sign_off_is_refused_with_the_cells_named(
    ws: Workspace, tmp_path: Path
) -> None:
    back = typed(ws, tmp_path / "hp.xlsx", [*UPDATES, {"cell": "L7", "text": "No"}])
    done = CliRunner().invoke(
        app, ["check", str(back), "-w", str(ws.root), "--feedback", str(tmp_path / "fb")], env=WIDE
    )
    assert done.exit_code == 1, done.output
    for cell in ("L4", "L5", "L6", "L7"):
        assert cell in done.stdout
    (result,) = check_files(ws, [back], today=TODAY)
    assert [(p.rule, p.cell) for p in result.errors] == [
        ("sign-off-missing", "L4"),
        ("sign-off-missing", "L5"),
        ("sign-off-missing", "L6"),
        ("sign-off-not-confirmed", "L7"),
    ]
    feedback = tmp_path / "fb" / "hp-third-review-of-progress-feedback.xlsx"
    fix = openpyxl.load_workbook(feedback)["What to fix"]
    assert [r[:2] for r in fix.iter_rows(min_row=5, max_row=8, values_only=True)] == [
        ("Must fix", "L4"),
        ("Must fix", "L5"),
        ("Must fix", "L6"),
        ("Must fix", "L7"),
    ]


def test_a_flagged_cell_of_a_feedback_workbook_keeps_its_text_format_in_libreoffice(
    ws: Workspace, tmp_path: Path
) -> None:
    """The cell a feedback workbook marks keeps its text format: "October 2012" typed again
    is text, not the date 01/10/12, and the return is valid."""
    wrong = [*UPDATES[:2], {"cell": "O10", "text": "June 2012"}, *sign_off_typed(issued(ws))]
    back = typed(ws, tmp_path / "hp.xlsx", wrong)
    (result,) = check_files(ws, [back], today=TODAY)
    assert [(p.rule, p.cell) for p in result.errors] == [("review-date-past", "O10")]
    feedback = write_feedback(result, read_master(ws.master), tmp_path / "fb", created=MERGED_AT)
    assert feedback is not None
    flagged = openpyxl.load_workbook(feedback)["Return"]["O10"]
    assert (flagged.value, flagged.number_format, flagged.protection.locked) == (
        "June 2012",
        "@",
        False,
    )

    fixed = tmp_path / "hp-fixed.xlsx"
    done = fill_with_libreoffice(feedback, fixed, [{"cell": "O10", "text": "October 2012"}])
    assert all(e.get("ok") for e in done["edits"]), done["edits"]
    data = read_return(fixed.read_bytes(), fixed.name)
    (row,) = [r for r in data.rows if r.text("id") == "2.9"]
    assert row.cells["next_review"].raw == "October 2012"  # text, not a date
    (again,) = check_files(ws, [fixed], today=TODAY)
    assert again.valid, again.problems
    assert again.accepted is not None
    (area,) = [r for r in again.accepted.rows if r.area_id == "2.9"]
    assert area.values["next_review"] == "October 2012"
