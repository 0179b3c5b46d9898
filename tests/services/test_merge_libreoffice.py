"""A return filled in and saved by a real LibreOffice is merged beside one saved as Excel would.

Health providers' return is typed into, open cells only, in an en-GB LibreOffice (a RAG typed
in lower case, a month typed as text, text that starts with '=' entered as a literal string);
Children's Social Care's return is filled with openpyxl. Both are merged, and the master must
hold exactly what was entered, highlight exactly those cells, and list them on Changes.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import warnings
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from filling import fill_return
from libreoffice import (
    LIBREOFFICE_MARKS,
    fill_with_libreoffice,
    lo,  # noqa: F401 - fixture that LIBREOFFICE_MARKS uses
)
from openpyxl.worksheet.worksheet import Worksheet
from signing import sign_off_typed

from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.model import Plan
from ipt_excel.excel.master_reader import read_master
from ipt_excel.excel.return_reader import read_return
from ipt_excel.excel.styles import CHANGED
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.services.receive import MERGED, ReceiveResult, receive_returns
from ipt_excel.workspace import Workspace
from ipt_excel.workspace.ledger import Ledger

UPDATE_KEYS = tuple(c.key for c in DEFAULT_COLUMNS.updates)


pytestmark = LIBREOFFICE_MARKS

ROUND = "Third review of progress"
ISSUED_AT = datetime(2012, 8, 29, 9, 0)
MERGED_AT = datetime(2012, 9, 14, 10, 30)
ROUND_DATE = date(2012, 9, 26)
CHANGED_RGB = "FF" + CHANGED[0].lstrip("#").upper()

# area -> field -> (what is typed, what the master must hold); "=" text goes in as a string.
NURSE = "Designated nurse in post; training plan agreed."
AUDIT = "Audit in August: 9 of 10 referrals on time."
FORMULA_LIKE = "=SUM(A1) was the old tracker's formula"
TYPED: dict[str, dict[str, tuple[str, str]]] = {
    "2.9": {
        "progress": (NURSE, NURSE),
        "rag": ("red", "RED"),
        "next_review": ("December 2012", "December 2012"),
    },
    "2.13": {"evidence": (AUDIT, AUDIT), "rag": ("GREEN", "GREEN")},
    "2.14": {"progress": (FORMULA_LIKE, FORMULA_LIKE)},
}
BY_EXCEL = {"1.4": {"progress": "Audit of 30 cases: 26 compliant.", "next_review": "March 2013"}}


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Plan, ReceiveResult]:
    root = tmp_path_factory.mktemp("lo-merge")
    ws = Workspace(root / "ws")
    init_workspace(ws.root, load_plan(EXAMPLE_PLAN), force=False, now=ISSUED_AT)
    issued = issue_round(
        ws,
        round_name=ROUND,
        round_date=ROUND_DATE,
        due=None,
        agencies=None,
        password=None,
        now=ISSUED_AT,
    )
    paths = {f.agency: f.path for f in issued.files}
    before = read_master(ws.master)

    data = read_return(paths["HP"].read_bytes(), paths["HP"].name)
    rows = {r.text("id"): r for r in data.rows}
    key_of = {c.key: c.key for c in DEFAULT_COLUMNS.updates}
    edits: list[dict[str, str]] = []
    for area_id, fields in TYPED.items():
        for f, (typed, _) in fields.items():
            address = rows[area_id].cells[key_of[f]].address
            kind = "string" if typed.startswith("=") else "text"
            edits.append({"cell": address, kind: typed})
    hp = root / "inbox" / "hp-from-libreoffice.xlsx"
    hp.parent.mkdir()
    result = fill_with_libreoffice(paths["HP"], hp, [*edits, *sign_off_typed(paths["HP"])])
    assert all("refused" not in e for e in result["edits"]), result["edits"]

    csc = fill_return(paths["CSC"], root / "inbox" / "csc.xlsx", BY_EXCEL)
    out = receive_returns(
        ws, [hp, csc], now=MERGED_AT, feedback_dir=root / "feedback", today=ROUND_DATE
    )
    return ws, before, out


def expected() -> dict[tuple[str, str], str]:
    want = {(a, f): v[1] for a, fields in TYPED.items() for f, v in fields.items()}
    want.update({(a, f): v for a, fields in BY_EXCEL.items() for f, v in fields.items()})
    return want


def test_both_returns_merge(merged: tuple[Workspace, Plan, ReceiveResult]) -> None:
    _, _, result = merged
    assert [(o.file_name, o.outcome, o.conflicts) for o in result.outcomes] == [
        ("hp-from-libreoffice.xlsx", MERGED, 0),
        ("csc.xlsx", MERGED, 0),
    ], [o.problems for o in result.outcomes]
    assert [o.changes for o in result.outcomes] == [6, 2]


def test_the_master_holds_exactly_what_was_entered(
    merged: tuple[Workspace, Plan, ReceiveResult],
) -> None:
    ws, before, _ = merged
    plan = read_master(ws.master)
    want = expected()
    for a in before.areas:
        for f in UPDATE_KEYS:
            assert plan.area(a.id).value(f) == want.get((a.id, f), a.value(f)), (a.id, f)


def test_changed_cells_are_highlighted_and_listed_and_no_others(
    merged: tuple[Workspace, Plan, ReceiveResult],
) -> None:
    ws, before, _ = merged
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(ws.master.read_bytes()))
    sheet = wb["Plan"]
    assert isinstance(sheet, Worksheet)
    headers = [c.value for c in sheet[1]]
    field_of = {h: f for f, h in ((c.key, c.header) for c in DEFAULT_COLUMNS.updates)}
    want = expected()
    seen = set()
    for row in sheet.iter_rows(min_row=2):
        area_id = str(row[0].value)
        for header, cell in zip(headers, row, strict=False):
            f = field_of.get(str(header))
            if f is not None and (area_id, f) in want:
                seen.add((area_id, f))
                assert cell.value == want[(area_id, f)] and cell.data_type == "s"
                assert cell.fill.fgColor.rgb == CHANGED_RGB
                assert cell.comment is not None
                old = before.area(area_id).value(f)
                assert f"Was: {old[:300] or '(empty)'}" in cell.comment.text
                assert "14 September 2012" in cell.comment.text
            else:
                assert cell.comment is None, (area_id, header)
    assert seen == set(want)
    with Ledger(ws.ledger_path) as ledger:
        changes = ledger.changes()
    assert {(c.area_id, c.column): c.new for c in changes} == want
    names = {"HP": "Health providers", "CSC": "Children's Social Care Service"}
    changes_sheet = wb["Changes"]
    assert isinstance(changes_sheet, Worksheet)
    listed = [r for r in changes_sheet.iter_rows(min_row=2, values_only=True) if r[0]]
    assert [(r[2], r[3], r[6]) for r in listed] == [
        (names[c.agency], c.area_id, c.new) for c in changes
    ]
    assert {c.agency for c in changes} == set(names)


def test_the_libreoffice_file_is_archived_unchanged_and_merges_once(
    merged: tuple[Workspace, Plan, ReceiveResult], tmp_path: Path
) -> None:

    ws, _, _ = merged
    hp = ws.root.parent / "inbox" / "hp-from-libreoffice.xlsx"
    digest = hashlib.sha256(hp.read_bytes()).hexdigest()
    assert (ws.received / f"{digest}.xlsx").read_bytes() == hp.read_bytes()
    copy = Workspace(shutil.copytree(ws.root, tmp_path / "ws"))
    again = receive_returns(
        copy, [hp], now=MERGED_AT, feedback_dir=tmp_path / "fb", today=ROUND_DATE
    )
    assert again.outcomes[0].outcome == "unchanged"
    assert copy.master.read_bytes() == ws.master.read_bytes()
