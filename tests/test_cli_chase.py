"""`ipt chase` from the command line, on the demo's round: what it prints, its exit codes
and its refusals. The demo's plan has no coordinator e-mail and no agency addresses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ipt_excel.cli import app

WIDE = {"COLUMNS": "250"}


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-chase") / "demo"
    assert ipt("demo", "-w", root).exit_code == 0
    return root


@pytest.fixture
def ws(demo_root: Path, tmp_path: Path) -> Path:
    shutil.copytree(demo_root, tmp_path / "demo")
    return tmp_path / "demo" / "workspace"


def ipt(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=WIDE)


def test_no_from_address_exits_2_saying_where_to_set_it(ws: Path, tmp_path: Path) -> None:
    result = ipt("chase", "-w", ws, "--out", tmp_path / "chase")
    assert result.exit_code == 2
    assert "Coordinator e-mail" in result.stderr and "--from ADDRESS" in result.stderr
    assert not (tmp_path / "chase").exists()


def test_chase_prints_each_draft_and_exits_0(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "chase"
    result = ipt(
        "chase", "-w", ws, "--out", out, "--from", "plan@bathnes.gov.uk",
        "--feedback", tmp_path / "fb", "--agency", "RUH", "--agency", "Police",
        "--agency", "Health",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Drafts for Third review of progress, one e-mail per agency:"
    # Who owes nothing comes after the drafts, under its own heading.
    i = lines.index("Nothing to chase:")
    assert lines[i + 1] == "  Health Services: its return is received; nothing to chase."
    assert i > lines.index(
        f"  Police (overdue), to no address: {out}/police-third-review-of-progress.eml"
    )
    assert (
        f"  Royal United Hospital (rejected), to no address: {out}/ruh-third-review-of-progress.eml"
        in lines
    )
    assert f"  Police (overdue), to no address: {out}/police-third-review-of-progress.eml" in lines
    assert f"Mail-merge list: {out}/chase-third-review-of-progress.csv" in lines
    assert lines[-1].startswith("Nothing has been sent.")
    assert sorted(p.name for p in out.iterdir()) == [
        "chase-third-review-of-progress.csv",
        "police-third-review-of-progress.eml",
        "ruh-third-review-of-progress.eml",
    ]


def test_nobody_to_chase_exits_0_and_says_so(ws: Path, tmp_path: Path) -> None:
    result = ipt("chase", "-w", ws, "--from", "p@x.org", "--out", tmp_path / "c", "--agency", "CSC")
    assert result.exit_code == 0
    assert "nothing to chase" in result.stdout


def test_out_inside_the_workspace_exits_2(ws: Path) -> None:
    result = ipt("chase", "-w", ws, "--from", "p@x.org", "--out", ws / "chase")
    assert result.exit_code == 2 and "inside the workspace" in result.stderr
