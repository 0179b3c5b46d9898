"""`ipt --help` and each command's --help: every command listed, examples that run, and fast.

Fast is checked by what is imported, not by timing: the CLI must not import the heavy
libraries (pandas, pandera, openpyxl, xlsxwriter, python-calamine) until a command runs.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from ipt_excel.cli import app

RUNNER = CliRunner()
WIDE = {"COLUMNS": "200"}
HEAVY = ("pandas", "pandera", "openpyxl", "xlsxwriter", "python_calamine")
GROUP = get_command(app)
assert isinstance(GROUP, typer.core.TyperGroup)
COMMANDS = dict(GROUP.commands)


def examples(name: str) -> list[str]:
    """The `ipt ...` lines of the Examples: block of a command's help text."""
    help_text = COMMANDS[name].help or ""
    assert "Examples:" in help_text, f"ipt {name}: no Examples: block in its docstring"
    block = help_text.split("Examples:", 1)[1]
    return [line.strip() for line in block.splitlines() if line.strip().startswith("ipt ")]


def test_root_help_lists_every_command() -> None:
    result = RUNNER.invoke(app, ["--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    listed = set(re.findall(r"^│ (\w+)\s", result.stdout, re.MULTILINE))
    assert listed == set(COMMANDS)
    assert len(COMMANDS) == 10  # init issue check merge status chase history circulate lint demo


def test_version() -> None:
    from ipt_excel import __version__

    result = RUNNER.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"ipt_excel {__version__}\n"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_help_has_examples_and_exits_0(name: str) -> None:
    result = RUNNER.invoke(app, [name, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Examples:" in out
    shown = out.split("Examples:", 1)[1]
    assert re.search(rf"^\W*ipt {name}\b", shown, re.MULTILINE), f"no example of ipt {name}"
    for p in COMMANDS[name].params:
        for opt in p.opts:
            if opt.startswith("--"):
                assert opt in out, f"ipt {name} --help does not show {opt}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_examples_use_real_options_and_give_what_is_required(name: str) -> None:
    lines = examples(name)
    assert lines, f"ipt {name}: the Examples: block has no `ipt {name}` line"
    cmd = COMMANDS[name]
    known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
    for line in lines:
        words = shlex.split(line)
        assert words[:2] == ["ipt", name], line
        flags = [w.split("=")[0] for w in words[2:] if w.startswith("-")]
        assert set(flags) <= known, f"{line}: unknown {set(flags) - known}"
        for p in cmd.params:
            if not p.required:
                continue
            if p.param_type_name == "option":
                assert set(p.opts) & set(flags), f"{line}: {p.opts[0]} is required"
            else:
                assert any(not w.startswith("-") for w in words[2:]), f"{line}: needs {p.name}"


PROBE = """
import json, sys
from ipt_excel import cli
heavy = {heavy!r}
def loaded():
    return sorted(m for m in sys.modules if m.split('.')[0] in heavy)
after_import = loaded()
for args in {argv!r}:
    try:
        cli.app(args, prog_name="ipt")
    except SystemExit:
        pass
print(json.dumps({{"import": after_import, "help": loaded()}}))
"""


def test_help_does_not_import_heavy_libraries() -> None:
    argv = [["--help"], *([name, "--help"] for name in sorted(COMMANDS))]
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=set(HEAVY), argv=argv)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == {"import": [], "help": []}


def test_the_probe_would_see_a_heavy_import() -> None:
    """The check above can fail: importing the library proper does load openpyxl."""
    code = (
        "import sys, ipt_excel.excel.master_reader; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "openpyxl" in done.stdout
