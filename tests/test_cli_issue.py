"""`ipt issue` from the command line: partial issues, dates that need --force, the output."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ipt_excel.cli import app

R3 = "Third review of progress"


def ipt(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "80"})


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    assert ipt("init", "--example", "-w", root).exit_code == 0
    done = ipt("issue", "--round", R3, "--date", "2012-09-26", "--due", "2012-09-12", "-w", root)
    assert done.exit_code == 0, done.output
    return root


def test_a_new_round_for_one_agency_is_refused_then_forced(ws: Path) -> None:
    args = ["issue", "--round", "Fourth review", "--date", "2012-12-05", "--agency", "Health"]
    refused = ipt(*args, "-w", ws)
    assert refused.exit_code == 2
    err = " ".join(refused.stderr.split())
    assert "'Fourth review' is a new round, and it would go only to the agencies named" in err
    assert f"--round '{R3}'" in err and "Nothing was issued." in err
    status = ipt("status", "-w", ws)
    assert R3 in status.stdout  # still the current round
    forced = ipt(*args, "--force", "-w", ws)
    assert forced.exit_code == 0, forced.output
    assert "Issued “Fourth review” (1 return)" in forced.stdout
    listed = " ".join(ipt("status", "-w", ws).stdout.split())
    assert "not issued" in listed  # every other agency is still listed


def test_one_agency_again_in_the_current_round_keeps_the_others(ws: Path) -> None:
    again = ipt("issue", "--round", R3, "--date", "2012-09-26", "--due", "2012-09-12",
                "--agency", "Health", "-w", ws)  # fmt: skip
    assert again.exit_code == 0, again.output
    out = " ".join(again.stdout.split())
    assert "(1 return)" in out and "which will now be refused as out of date" in out
    status = " ".join(ipt("status", "-w", ws).stdout.split())
    assert "not issued" not in status


def test_returns_due_after_the_review_need_force(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert ipt("init", "--example", "-w", root).exit_code == 0
    args = ["issue", "--round", R3, "--date", "2012-09-26", "--due", "2012-10-01", "-w", root]
    refused = ipt(*args)
    assert refused.exit_code == 2
    assert "after the review on 26 September 2012" in " ".join(refused.stderr.split())
    assert not (root / "returns").exists()
    assert ipt(*args, "--force").exit_code == 0
