"""One issued workspace per session, copied for each test; and the suite's tally.

The workspace is made exactly as a coordinator makes it:

    ipt init --example
    ipt issue --round "Third review of progress" --date 2012-09-26 --due 2012-09-12

At the end of the run the tally is printed: how many hostile cases were tried and how each
ended ("crashed": a traceback, an exception or an exit code other than 0, 1 and 2; "lost": an
update accepted but not in the master or the ledger afterwards).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .helpers import DUE, ROUND, ROUND_DATE, TALLY, WS, fill, good_update, ipt


@pytest.fixture(scope="session")
def issued_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("adversarial-issued") / "ws"
    for args in (
        ("init", "--example", "-w", root),
        ("issue", "--round", ROUND, "--date", ROUND_DATE, "--due", DUE, "-w", root),
    ):
        run = ipt(*args)
        assert run.code == 0, run.describe()
    return root


@pytest.fixture(scope="session")
def other_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another workspace for the same plan and round: same returns, another signing key."""
    root = tmp_path_factory.mktemp("adversarial-other") / "ws"
    for args in (
        ("init", "--example", "-w", root),
        ("issue", "--round", ROUND, "--date", ROUND_DATE, "--due", DUE, "-w", root),
    ):
        run = ipt(*args)
        assert run.code == 0, run.describe()
    return root


def copy_workspace(issued_root: Path, into: Path) -> WS:
    into.mkdir(parents=True, exist_ok=True)
    return WS(Path(shutil.copytree(issued_root, into / "ws")))


@pytest.fixture
def ws(issued_root: Path, tmp_path: Path) -> WS:
    return copy_workspace(issued_root, tmp_path)


@pytest.fixture
def good(ws: WS) -> Path:
    """A valid return from Health, to send beside hostile files: it must always merge."""
    return fill(ws.issued("health"), ws.inbox / "good-health.xlsx", {"1.11": GOOD_HEALTH})


GOOD_HEALTH = good_update("Health staff attended 9 of 11 reviews in August.")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.tried:
        terminalreporter.write_sep("-", "adversarial suite")
        terminalreporter.write_line(TALLY.line())
