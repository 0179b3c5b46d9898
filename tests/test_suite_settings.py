"""The suite runs the same on any machine: the settings tests/conftest.py pins."""

from __future__ import annotations

import os

from typer.testing import CliRunner

from ipt_excel.cli import app


def test_every_test_sees_an_80_column_terminal_whatever_it_runs_in() -> None:
    from rich.console import Console

    assert os.environ["COLUMNS"] == "80"
    assert Console().width == 80


def test_the_cli_lays_out_its_help_at_that_width() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert max(len(line) for line in result.output.splitlines()) <= 80
