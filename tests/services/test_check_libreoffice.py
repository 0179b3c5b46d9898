"""A return filled in and saved by a real LibreOffice, as an agency in the UK would, is checked.

Only the open cells are typed into (the sheet stays protected), with dates typed as text in
an en-GB locale. The same return with a locked cell changed after removing the protection is
refused with that cell named.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from libreoffice import (
    LIBREOFFICE_MARKS,
    fill_with_libreoffice,
    lo,  # noqa: F401 - fixture that LIBREOFFICE_MARKS uses
)
from signing import sign_off_typed

from ipt_excel.services.check import check_files
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.workspace import Workspace

pytestmark = LIBREOFFICE_MARKS

NOW = datetime(2012, 9, 1, 9, 0)
TODAY = date(2012, 9, 27)

# Health providers' four areas, rows 10 to 13: progress, RAG, evidence, date of next review.
TYPED = [
    {"cell": "L10", "text": "Designated nurse in post; training plan agreed."},
    {"cell": "M10", "text": "amber"},
    {"cell": "O10", "text": "26/10/2012"},
    {"cell": "L11", "text": "All providers report monthly."},
    {"cell": "M11", "text": "GREEN"},
    {"cell": "N11", "text": "Audit in August: 9 of 10 referrals on time."},
    {"cell": "O11", "text": "December 2012"},
    {"cell": "L12", "text": "Waiting for the new contract."},
    {"cell": "M12", "text": "RED"},
    {"cell": "O12", "text": "Not required"},
    {"cell": "L13", "text": "Reviewed at the LSCB in September."},
    {"cell": "M13", "text": "Amber"},
    {"cell": "O13", "text": "Jan 2013"},
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("lo-check") / "ws"
    init_workspace(root, load_plan(EXAMPLE_PLAN), force=False, now=NOW)
    ws = Workspace(root)
    issue_round(
        ws,
        round_name="Third review of progress",
        round_date=date(2012, 9, 26),
        due=None,
        agencies=["HP"],
        password=None,
        now=NOW,
    )
    return ws


def issued(ws: Workspace) -> Path:
    return ws.returns_dir("third-review-of-progress") / "hp.xlsx"


def test_a_return_filled_in_libreoffice_passes(ws: Workspace, tmp_path: Path) -> None:
    dst = tmp_path / "hp-from-libreoffice.xlsx"
    done = fill_with_libreoffice(issued(ws), dst, [*TYPED, *sign_off_typed(issued(ws))])
    assert done["protected"] is True
    assert all(e.get("ok") for e in done["edits"]), done["edits"]

    (result,) = check_files(ws, [dst], today=TODAY)
    assert result.problems == ()
    assert result.valid and result.accepted is not None
    values = {r.area_id: dict(r.values) for r in result.accepted.rows}
    assert [(v["rag"], v["next_review"]) for v in values.values()] == [
        ("AMBER", "26/10/2012"),
        ("GREEN", "December 2012"),
        ("RED", "Not required"),
        ("AMBER", "January 2013"),
    ]
    assert values["2.13"]["evidence"] == "Audit in August: 9 of 10 referrals on time."


def test_a_locked_cell_changed_after_unprotecting_is_named(ws: Workspace, tmp_path: Path) -> None:
    dst = tmp_path / "hp-unprotected.xlsx"
    edits = [*TYPED, *sign_off_typed(issued(ws)), {"cell": "E11", "text": "Somebody else"}]
    done = fill_with_libreoffice(issued(ws), dst, edits, unprotect=True)
    assert all(e.get("ok") for e in done["edits"]), done["edits"]

    (result,) = check_files(ws, [dst], today=TODAY)
    assert not result.valid and result.accepted is None
    assert [(p.rule, p.cell, p.area_id, p.column, p.value) for p in result.problems] == [
        ("locked-text-changed", "E11", "2.13", "Lead", "Somebody else")
    ]
    assert result.problems[0].message == (
        "The Lead text for area 2.13 has been changed. It is plan text, for reference only: "
        "put back the text that was sent, or send back the return you were sent."
    )
