"""`ipt merge` and `ipt status` from the command line: exit codes, the printed tables, and the
master's safety when the process is killed mid-write or two merges run at once.

In-process runs use typer's CliRunner; the kill and the concurrent runs start real
`python -m ipt_excel merge` processes, since only a real process can be killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import pytest
from filling import CellInput, fill_return
from plans import with_values
from typer.testing import CliRunner, Result

from ipt_excel.cli import app
from ipt_excel.core.model import Area, slugify
from ipt_excel.excel.master_reader import read_master
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import init_workspace, save_master
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.services.receive import receive_returns
from ipt_excel.workspace import Workspace
from ipt_excel.workspace.ledger import Ledger

ROUND = "Third review of progress"
ISSUED_AT = datetime(2012, 8, 29, 9, 0)
WIDE = {"COLUMNS": "250"}  # so Rich does not fold table cells in the middle of a name

CSC = {
    "1.4": {"progress": "Audit of 30 cases: 26 compliant.", "rag": "GREEN", "evidence": "Audit."},
    "1.8": {"next_review": "November 2012"},
}
HEALTH = {"1.11": {"evidence": "Health staff attended 9 of 11 reviews."}}
RUH_BAD = {"1.16": {"rag": "Purple", "progress": "IT alert live."}}
LSCB = {"2.10": {"evidence": "AWP audit completed in August."}}


@pytest.fixture(scope="module")
def issued_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-merge") / "ws"
    init_workspace(root, load_plan(EXAMPLE_PLAN), force=False, now=ISSUED_AT)
    issue_round(
        Workspace(root),
        round_name=ROUND,
        round_date=date(2012, 9, 26),
        due=date(2012, 9, 12),
        agencies=None,
        password=None,
        now=ISSUED_AT,
    )
    return root


@pytest.fixture
def ws(issued_ws: Path, tmp_path: Path) -> Workspace:
    shutil.copytree(issued_ws, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def fill(ws: Workspace, agency: str, updates: Mapping[str, Mapping[str, CellInput]]) -> Path:
    src = ws.returns_dir(slugify(ROUND)) / f"{slugify(agency)}.xlsx"
    return fill_return(src, ws.root.parent / "inbox" / f"{agency.lower()}-return.xlsx", updates)


def ipt(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=WIDE)


def merge_cmd(ws: Workspace, *files: Path) -> Result:
    return ipt("merge", *files, "-w", ws.root, "--feedback", ws.root.parent / "feedback")


def table_row(out: str, file_name: str) -> list[str]:
    """The cells of the printed table's row for `file_name` (Rich draws │ between cells)."""
    line = next(ln for ln in out.splitlines() if ln.startswith("│") and file_name in ln)
    return [c.strip() for c in line.strip().strip("│┃").split("│")]


def hand_edit(ws: Workspace, area_id: str, evidence: str) -> None:
    from dataclasses import replace

    plan = read_master(ws.master)
    areas: tuple[Area, ...] = tuple(
        with_values(a, evidence=evidence) if a.id == area_id else a for a in plan.areas
    )
    with ws.locked(), Ledger(ws.ledger_path) as ledger:
        save_master(ws, replace(plan, areas=areas), ledger, reason="hand-edit", now=ISSUED_AT)


# -- ipt merge: exit codes and the table ------------------------------------------------------
def test_merge_all_good_exits_0_and_prints_a_row_per_file(ws: Workspace) -> None:
    files = [fill(ws, "CSC", CSC), fill(ws, "HEALTH", HEALTH)]
    result = merge_cmd(ws, *files)
    assert result.exit_code == 0, result.output
    for heading in ("File", "Agency", "Outcome", "Changes", "Conflicts"):
        assert heading in result.stdout
    assert table_row(result.stdout, "csc-return.xlsx")[:5] == [
        "csc-return.xlsx",
        "Children's Social Care Service",
        "merged",
        "4",
        "0",
    ]
    assert table_row(result.stdout, "health-return.xlsx")[:5] == [
        "health-return.xlsx",
        "Health Services",
        "merged",
        "1",
        "0",
    ]
    assert f"Master updated: {ws.master}" in result.stdout
    assert read_master(ws.master).area("1.4").value("rag") == "GREEN"


def test_merge_with_a_rejected_file_exits_1_and_points_to_its_feedback(ws: Workspace) -> None:
    result = merge_cmd(ws, fill(ws, "CSC", CSC), fill(ws, "RUH", RUH_BAD))
    assert result.exit_code == 1, result.output
    row = table_row(result.stdout, "ruh-return.xlsx")
    assert row[1:5] == ["Royal United Hospital", "rejected", "0", "0"]
    assert "'Purple' is not a RAG rating" in result.stdout
    assert "Feedback to send back to Royal United Hospital:" in result.stdout
    assert table_row(result.stdout, "csc-return.xlsx")[2] == "merged"
    assert any((ws.root.parent / "feedback").iterdir())


def test_merge_with_a_conflict_exits_1_and_says_so(ws: Workspace) -> None:
    hand_edit(ws, "2.10", "Corrected by hand.")
    result = merge_cmd(ws, fill(ws, "LSCB", LSCB))
    assert result.exit_code == 1, result.output
    row = table_row(result.stdout, "lscb-return.xlsx")
    assert row[2:5] == ["merged", "0", "1"]
    assert "Conflicts sheet" in result.stdout
    assert read_master(ws.master).area("2.10").value("evidence") == "Corrected by hand."


def test_merging_the_same_file_again_exits_0_and_says_nothing_changed(ws: Workspace) -> None:
    path = fill(ws, "CSC", CSC)
    assert merge_cmd(ws, path).exit_code == 0
    master = ws.master.read_bytes()
    result = merge_cmd(ws, path)
    assert result.exit_code == 0, result.output
    assert table_row(result.stdout, "csc-return.xlsx")[2:5] == ["unchanged", "0", "0"]
    assert "merged before" in result.stdout
    assert "The master is unchanged." in result.stdout
    assert ws.master.read_bytes() == master


def test_merge_with_no_files_is_a_usage_error(ws: Workspace) -> None:
    result = ipt("merge", "-w", ws.root)
    assert result.exit_code == 2


def test_merge_without_a_workspace_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    result = ipt("merge", tmp_path / "x.xlsx", "-w", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "There is no workspace at" in result.stderr


def test_merge_with_feedback_inside_the_workspace_exits_2_and_changes_nothing(
    ws: Workspace,
) -> None:
    master = ws.master.read_bytes()
    result = ipt("merge", fill(ws, "CSC", CSC), "-w", ws.root, "--feedback", ws.root / "fb")
    assert result.exit_code == 2
    assert "inside the workspace" in result.stderr
    assert ws.master.read_bytes() == master


# -- ipt status ---------------------------------------------------------------------------------
def test_status_prints_each_agencys_state_and_the_rag_tables(ws: Workspace) -> None:
    hand_edit(ws, "2.10", "Corrected by hand.")
    merge_cmd(ws, fill(ws, "CSC", CSC), fill(ws, "RUH", RUH_BAD), fill(ws, "LSCB", LSCB))
    result = ipt("status", "-w", ws.root)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"{ROUND} (26 September 2012, returns due 12 September 2012)" in out
    assert table_row(out, "Children's Social Care Service")[1] == "received"
    ruh = table_row(out, "Royal United Hospital")
    assert ruh[1] == "rejected" and "'Purple' is not a RAG rating" in ruh[2]
    assert table_row(out, "Local Safeguarding Children Board")[1] == "conflicts"
    assert table_row(out, "Health Services")[1:3] == [  # due in 2012: overdue today
        "overdue",
        "No return received; it was due on 12 September 2012.",
    ]
    for title in ("RAG by theme", "RAG by agency", "All areas"):
        assert title in out
    assert "Open conflicts: 1" in out


def test_status_without_a_workspace_exits_2(tmp_path: Path) -> None:
    result = ipt("status", "-w", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "There is no workspace at" in result.stderr


# -- real processes: killed mid-write, and two at once -------------------------------------------
def _merge_process(ws: Workspace, files: list[Path]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ipt_excel", "merge", *map(str, files), "-w", str(ws.root)]
        + ["--feedback", str(ws.root.parent / "feedback")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **WIDE},
        start_new_session=True,
    )


def _temp_masters(ws: Workspace) -> list[Path]:
    return [p for p in ws.root.iterdir() if p.name.startswith(".master.xlsx.")]


def _expected_after_merge(ws: Workspace, files: list[Path], tmp: Path) -> tuple[Area, ...]:
    """The areas the merge gives, worked out in a copy of the workspace."""
    twin = Workspace(shutil.copytree(ws.root, tmp / "twin"))
    receive_returns(twin, files, now=datetime.now(), feedback_dir=tmp / "twin-feedback")
    return read_master(twin.master).areas


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["temp-file", 0.3, 0.6, 0.9, 1.2, "finished"])
def test_killing_a_merge_at_any_moment_leaves_a_readable_master(
    ws: Workspace, tmp_path: Path, moment: str | float
) -> None:
    files = [fill(ws, "CSC", CSC), fill(ws, "HEALTH", HEALTH)]
    old_bytes, old_areas = ws.master.read_bytes(), read_master(ws.master).areas
    new_areas = _expected_after_merge(ws, files, tmp_path)
    assert new_areas != old_areas

    proc = _merge_process(ws, files)
    start = time.monotonic()
    try:
        while proc.poll() is None and time.monotonic() - start < 60:
            if moment == "temp-file" and _temp_masters(ws):
                break
            if isinstance(moment, float) and time.monotonic() - start >= moment:
                break
        if moment == "finished":
            proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)

    # Whatever the moment, master.xlsx is a whole workbook: the old one or the new one.
    areas = read_master(ws.master).areas
    assert ws.master.read_bytes() == old_bytes or areas == new_areas
    assert areas in (old_areas, new_areas)
    # The workspace is usable again: the lock died with the process and the merge completes.
    receive_returns(ws, files, now=datetime.now(), feedback_dir=tmp_path / "fb")
    assert read_master(ws.master).areas == new_areas
    with Ledger(ws.ledger_path) as ledger:
        merged = [r.sha256 for r in ledger.receipts() if r.outcome == "merged"]
    assert len(merged) == len(set(merged)) <= len(files)


@pytest.mark.slow
def test_two_merge_processes_at_once(ws: Workspace) -> None:
    """The second waits for the lock (or fails clearly); each file is merged once."""
    csc, health = fill(ws, "CSC", CSC), fill(ws, "HEALTH", HEALTH)
    procs = [_merge_process(ws, [csc, health]), _merge_process(ws, [health, csc])]
    outputs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    for code, (_, err) in zip(codes, outputs, strict=True):
        assert code == 0 or (
            code == 2 and b"Another ipt command is changing the workspace" in err
        ), err.decode()
    assert 0 in codes
    plan = read_master(ws.master)
    assert plan.area("1.4").value("progress") == CSC["1.4"]["progress"]
    assert plan.area("1.11").value("evidence") == HEALTH["1.11"]["evidence"]
    with Ledger(ws.ledger_path) as ledger:
        merged = sorted(r.file_name for r in ledger.receipts() if r.outcome == "merged")
        changes = ledger.changes()
    assert merged == ["csc-return.xlsx", "health-return.xlsx"]
    assert len(changes) == len({(c.agency, c.area_id, c.column) for c in changes}) == 5
