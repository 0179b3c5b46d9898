"""`ipt history`: list the masters written, rebuild a past one from the ledger alone."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ipt_excel.cli import app
from ipt_excel.excel.master_reader import read_master
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.workspace import Workspace

WIDE = {"COLUMNS": "200"}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    init_workspace(root, load_plan(EXAMPLE_PLAN), force=False, now=datetime(2012, 8, 1, 9, 0))
    issue_round(
        Workspace(root),
        round_name="Third review of progress",
        round_date=date(2012, 9, 26),
        due=None,
        agencies=["Police"],
        password=None,
        now=datetime(2012, 8, 29, 9, 0),
    )
    return Workspace(root)


def test_lists_every_master_written(ws: Workspace) -> None:
    result = CliRunner().invoke(app, ["history", "-w", str(ws.root)], env=WIDE)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert [r.split("│")[1].strip() for r in rows] == ["1", "2"]
    assert "init" in rows[0] and "Second review of progress" in rows[0]
    assert "issue" in rows[1] and "Third review of progress" in rows[1]


def test_rebuilds_a_past_master_from_the_ledger(ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "before.xlsx"
    result = CliRunner().invoke(
        app, ["history", "-w", str(ws.root), "--rebuild", "1", "--out", str(out)], env=WIDE
    )
    assert result.exit_code == 0, result.output
    rebuilt = read_master(out)
    assert rebuilt.round.name == "Second review of progress"
    assert rebuilt.areas == read_master(ws.master).areas  # nothing merged in between


def test_an_unknown_snapshot_is_a_usage_error(ws: Workspace) -> None:
    result = CliRunner().invoke(app, ["history", "-w", str(ws.root), "--rebuild", "9"], env=WIDE)
    assert result.exit_code == 2
    assert "There is no snapshot 9" in result.output


def test_refuses_to_write_over_the_master(ws: Workspace) -> None:
    before = ws.master.read_bytes()
    result = CliRunner().invoke(
        app,
        ["history", "-w", str(ws.root), "--rebuild", "1", "--out", str(ws.master)],
        env=WIDE,
    )
    assert result.exit_code == 2
    assert "inside the workspace" in result.output
    assert ws.master.read_bytes() == before


@pytest.mark.parametrize("name", ["before.pdf", "before", "before.xls"])
def test_a_rebuilt_master_must_be_named_xlsx(ws: Workspace, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    result = CliRunner().invoke(
        app, ["history", "-w", str(ws.root), "--rebuild", "1", "--out", str(out)], env=WIDE
    )
    assert result.exit_code == 2
    assert f"The rebuilt master {out} must end in .xlsx, for example before.xlsx." in (
        " ".join(result.output.split())
    )
    assert not out.exists()


def test_a_circulation_copy_must_be_named_xlsx(ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "board.pdf"
    result = CliRunner().invoke(app, ["circulate", "-w", str(ws.root), "--out", str(out)], env=WIDE)
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "must end in .xlsx, for example board.xlsx. For a PDF as well, add --pdf" in said
    assert not out.exists() and not (ws.root / "circulation").exists()
