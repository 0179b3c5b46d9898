"""What the terminal shows: readable at 80 columns and when piped, placeholders in words,
counts in proper English. Checked on the demo's workspace, one round run end to end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner, Result

from ipt_excel.cli import NARROW, app

GROUP = get_command(app)
COMMANDS = sorted(GROUP.commands)  # type: ignore[attr-defined]
BOX = re.compile("[│┃━─┏┓┗┛]")


def ipt(*args: str | Path, columns: int = 80) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": str(columns)})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("demo")
    done = ipt("demo", "-w", root)
    assert done.exit_code == 0, done.output
    return root / "workspace", done.stdout


@pytest.mark.parametrize("name", ["", *COMMANDS])
def test_help_names_each_value_in_words_and_fits_80_columns(name: str) -> None:
    result = ipt(*([name] if name else []), "--help")
    assert result.exit_code == 0
    out = result.stdout
    assert not re.search(r"<(bool|str|int|path|file|list\[\w+\])>", out), out
    assert all(len(line) <= 80 for line in out.splitlines()), out
    if name in ("check", "merge"):
        assert "FILE" in out and "list[Path]" not in out


def test_status_at_80_columns_prints_one_block_per_agency(demo: tuple[Path, str]) -> None:
    ws, _ = demo
    out = ipt("status", "-w", ws).stdout
    returns = out.split("Returns\n", 1)[1].split("To chase", 1)[0]
    assert not BOX.search(returns)
    assert "Royal United Hospital\n  State: rejected\n  Detail: The sign-off says No" in returns
    assert all(len(line) <= 80 and line == line.rstrip() for line in returns.splitlines())


def test_status_in_a_wide_terminal_is_a_table(demo: tuple[Path, str]) -> None:
    ws, _ = demo
    out = ipt("status", "-w", ws, columns=NARROW + 20).stdout
    assert re.search(r"│ Royal United Hospital\s+│ rejected\s+│", out)


def test_lint_at_80_columns_prints_one_block_per_finding(demo: tuple[Path, str]) -> None:
    ws, _ = demo
    result = ipt("lint", "-w", ws)
    assert result.exit_code == 1
    out = result.stdout
    assert not BOX.search(out)
    first = out.splitlines()[:3]
    assert first[0] == "1.1 · Date of next review"
    assert first[1].startswith("  Problem: The next review, July 2012, is not after this review")
    assert re.search(r"^\d+ problems found in .*master\.xlsx\.$", out, re.M)
    assert all(len(line) <= 80 for line in out.splitlines() if " " in line.strip())


def test_counts_are_in_proper_english(demo: tuple[Path, str]) -> None:
    ws, demo_out = demo
    outputs = [demo_out, ipt("status", "-w", ws).stdout, ipt("lint", "-w", ws).stdout]
    for out in outputs:
        assert "(s)" not in out
        assert not re.search(r"\b1 (returns|changes|errors|warnings|problems|rows)\b", out)
    assert "1 conflict not applied" in demo_out


def test_check_names_the_agency_before_the_file(demo: tuple[Path, str]) -> None:
    ws, _ = demo
    out = ipt("check", ws.parent / "inbox" / "cs-return.xlsx", "-w", ws).stdout
    assert "Children's Service: cs-return.xlsx: valid, 0 errors" in out


def test_check_problems_wrap_at_80_columns_indented(demo: tuple[Path, str], tmp_path: Path) -> None:
    ws, _ = demo
    out = ipt(
        "check", ws.parent / "inbox" / "ruh-return.xlsx", "-w", ws, "--feedback", tmp_path
    ).stdout
    lines = out.splitlines()
    # Every line fits but a path, which is printed whole so it can be copied.
    assert all(line == line.rstrip() for line in lines), out
    assert all(len(line) <= 80 for line in lines if str(tmp_path) not in line), out
    first = next(i for i, line in enumerate(lines) if "'Purple' is not a RAG rating" in line)
    assert lines[first].startswith("  error Return!M10 RAG:")
    assert lines[first + 1].startswith("    ")  # the rest of the message, indented under it
