"""The master against the ledger: long shared updates (item 2), a master left behind the ledger
by a crash (item 3), and a hand edit equal to one agency's value (item 8).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .cases import check
from .conftest import GOOD_HEALTH
from .helpers import (
    EXCEL_CELL_LIMIT,
    WS,
    agency_updates,
    fill,
    good_update,
    ipt,
    judge,
    layout,
    ledger_rows,
    load,
    longest_cell,
    plan_rows,
    put,
    receipts,
)

SHARED = "1.1"  # CSC and CS
LONG = ("Long progress " * 2_400)[: EXCEL_CELL_LIMIT - 4] + " end"
assert len(LONG) == EXCEL_CELL_LIMIT


# -- item 2: a long update to a shared area --------------------------------------------------------
def _long_then_short(ws: WS, *, one_batch: bool) -> tuple[Path, Path, Path]:
    a = fill(ws.issued("csc"), ws.inbox / "csc-long.xlsx", {SHARED: {"progress": LONG}})
    b = fill(
        ws.issued("cs"), ws.inbox / "cs-short.xlsx", {SHARED: {"progress": "CS: short update."}}
    )
    other = fill(ws.issued("health"), ws.inbox / "health.xlsx", {"1.11": GOOD_HEALTH})
    if not one_batch:
        run = ws.merge(a)
        assert run.code == 0, run.describe()
    return a, b, other


@pytest.mark.parametrize("one_batch", [False, True], ids=["long-merged-first", "one-batch"])
def test_a_long_update_to_a_shared_area_does_not_block_the_next(ws: WS, one_batch: bool) -> None:
    """Item 2: A's valid 32,767-character progress for a shared area merges; B's short valid
    update for the same area then merges too, and so does an unrelated return. check and merge
    agree; no cell of the master holds more than Excel allows; the Agency updates sheet keeps
    both agencies' full text."""
    a, b, other = _long_then_short(ws, one_batch=one_batch)
    batch = [a, b, other] if one_batch else [b, other]
    checked = check(ws, batch)
    assert checked.run.code == 0 and not checked.errors, checked.run.describe()
    run = ws.merge(*batch)
    outcomes = {r["file_name"]: r["outcome"] for r in receipts(ws)}
    length, where = longest_cell(ws.master)
    updates = {(str(u["ID"]), u["Agency"]): u for u in agency_updates(ws.master)}
    right = (
        run.code == 0
        and all(outcomes.get(f.name) == "merged" for f in (a, b, other))
        and length <= EXCEL_CELL_LIMIT
    )
    judge(run, refused=False, right=right, lost=not right and not run.crashed)
    assert run.code == 0, run.describe()
    assert all(outcomes.get(f.name) == "merged" for f in (a, b, other)), outcomes
    assert length <= EXCEL_CELL_LIMIT, f"{where} holds {length:,} characters"
    assert updates[(SHARED, "CSC")]["Progress"] == LONG
    assert updates[(SHARED, "CS")]["Progress"] == "CS: short update."
    circulation = ws.outside / "circulation.xlsx"
    run = ipt("circulate", "--out", circulation, "-w", ws.root)
    assert run.code == 0, run.describe()
    assert longest_cell(circulation)[0] <= EXCEL_CELL_LIMIT


# -- item 3: a master behind the ledger ------------------------------------------------------------
def _merge_then_lose_the_master(ws: WS) -> str:
    """Merge a return, then put back the master from before the merge: what a crash after the
    ledger's commit and before the master's replacement leaves. Returns the merged progress."""
    ret = fill(ws.issued("health"), ws.inbox / "health.xlsx", {"1.11": GOOD_HEALTH})
    assert ws.merge(ret).code == 0
    before_merge = sorted(ws.history.glob("*before-merge*"))
    assert before_merge, sorted(p.name for p in ws.history.iterdir())
    shutil.copy2(before_merge[-1], ws.master)
    progress = str(GOOD_HEALTH["progress"])
    assert plan_rows(ws.master)["1.11"]["Progress"] != progress
    return progress


def _master_caught_up(ws: WS, progress: str) -> bool:
    return plan_rows(ws.master)["1.11"]["Progress"] == progress


@pytest.mark.parametrize("command", ["status", "circulate", "lint"])
def test_a_command_that_reads_a_master_behind_the_ledger_notices(ws: WS, command: str) -> None:
    """Item 3: the command brings the master up to date, or refuses (exit 2) saying what to
    run. It never shows or publishes the old master as if it were current."""
    progress = _merge_then_lose_the_master(ws)
    out = ws.outside / "circulation.xlsx"
    args = {"status": ["status"], "circulate": ["circulate", "--out", out], "lint": ["lint"]}[
        command
    ]
    run = ipt(*args, "-w", ws.root)
    caught_up = _master_caught_up(ws, progress)
    refused = run.code == 2 and "ipt " in run.stderr
    published_old = out.exists() and plan_rows(out)["1.11"]["Progress"] != progress
    right = not run.crashed and (caught_up or refused) and not published_old
    judge(run, refused=refused, right=right)
    assert not run.crashed, run.describe()
    assert not published_old, "the circulation copy was made from the old master"
    assert caught_up or refused, (
        "the master is still behind the ledger and the command did not say so:\n" + run.describe()
    )


@pytest.mark.parametrize("command", ["merge", "issue"])
def test_merge_and_issue_catch_up_a_master_behind_the_ledger(ws: WS, command: str) -> None:
    """What already holds for item 3: merge and issue rebuild the master from the ledger first."""
    progress = _merge_then_lose_the_master(ws)
    if command == "merge":
        run = ws.merge(
            fill(ws.issued("csc"), ws.inbox / "csc.xlsx", {"1.4": good_update("Later.")})
        )
    else:
        run = ipt(
            "issue", "--round", "Fourth review of progress", "--date", "2012-12-12", "-w", ws.root
        )
    right = run.code == 0 and _master_caught_up(ws, progress)
    judge(run, refused=False, right=right)
    assert run.code == 0, run.describe()
    assert _master_caught_up(ws, progress)
    if command == "merge":
        assert plan_rows(ws.master)["1.4"]["Progress"] == "Later."
    else:
        fourth = ws.root / "returns" / "fourth-review-of-progress" / "health.xlsx"
        wb = load(fourth)
        sheet = wb["Return"]
        where = layout(sheet)
        assert where.cell(sheet, "1.11", "Progress at last review").value == progress


# -- item 8: a hand edit equal to one agency's value -----------------------------------------------
HAND = "Corrected by the coordinator after the board."


def _hand_edit(ws: WS, area: str, text: str) -> None:
    """The coordinator types into the master's Plan sheet (openpyxl stands in for Excel)."""
    wb = load(ws.master)
    sheet = wb["Plan"]
    put(layout(sheet).cell(sheet, area, "progress"), text)
    wb.save(ws.master)


@pytest.mark.parametrize("order", ["same-value-first", "other-value-first"])
def test_a_hand_edit_is_never_overwritten_silently(ws: WS, order: str) -> None:
    """Item 8: the coordinator edits the progress of shared area 1.1 between merges; CSC sends
    exactly that text, CS sends another. Whatever the order, CS's change is a conflict and the
    hand edit stays on the master."""
    _hand_edit(ws, SHARED, HAND)
    same = fill(ws.issued("csc"), ws.inbox / "csc.xlsx", {SHARED: {"progress": HAND}})
    other = fill(
        ws.issued("cs"), ws.inbox / "cs.xlsx", {SHARED: {"progress": "CS wants this instead."}}
    )
    files = [same, other] if order == "same-value-first" else [other, same]
    run = ws.merge(*files)
    conflicts = [
        (c["agency"], c["area_id"], c["field"])
        for c in ledger_rows(ws, "conflicts")
        if not c["resolved"]
    ]
    shown = str(plan_rows(ws.master)[SHARED]["Progress"])
    right = (
        run.code == 1
        and conflicts == [("CS", SHARED, "progress")]
        and HAND in shown
        and "CS wants this instead." not in shown
    )
    judge(run, refused=False, right=right)
    assert not run.crashed, run.describe()
    assert conflicts == [("CS", SHARED, "progress")], (conflicts, shown)
    assert HAND in shown and "CS wants this instead." not in shown, shown
    assert run.code == 1, run.describe()
