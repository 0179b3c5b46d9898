"""Output paths that would land in the workspace (issue 10, item 4).

A report, a feedback folder, a rebuilt master or a circulation copy given a path inside the
workspace (its master, ledger, key, archive, history or issued returns; through '..' or a link
to the workspace) must be refused with exit 2 and a one-line message, leaving every byte of the
workspace as it was. The circulation copy's own folder (circulation/, the default) is allowed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import WS, Run, fill, good_update, ipt, judge, tree, tree_diff

Target = Callable[[WS], Path]


def _received(ws: WS) -> Path:
    return next(ws.received.iterdir())


def _history(ws: WS) -> Path:
    return sorted(ws.history.iterdir())[0]


def _link(ws: WS, name: str) -> Path:
    link = ws.outside / "link-to-workspace"
    if not link.exists():
        os.symlink(ws.root, link)
    return link / name


TARGETS: dict[str, Target] = {
    "master": lambda ws: ws.master,
    "ledger-folder": lambda ws: ws.root / ".ipt" / "x.csv",
    "ledger-folder-xlsx": lambda ws: ws.root / ".ipt" / "x.xlsx",
    "archive": _received,
    "history": _history,
    "issued-return": lambda ws: ws.issued("csc"),
    "workspace-root": lambda ws: ws.root / "report.xlsx",
    "dot-dot": lambda ws: ws.outside / ".." / ws.root.name / "master.xlsx",
    "link-to-the-workspace": lambda ws: _link(ws, "master.xlsx"),
}


@pytest.fixture
def merged_ws(ws: WS) -> WS:
    """The workspace after one merge, so received/ and history/ hold files to aim at."""
    ret = fill(ws.issued("health"), ws.inbox / "health.xlsx", {"1.11": good_update("Merged.")})
    assert ws.merge(ret).code == 0
    return ws


def refused_cleanly(ws: WS, args: list[str | Path]) -> None:
    """Run `ipt ARGS`; assert exit 2, one line on stderr, workspace byte-identical."""
    before = tree(ws.root)
    run = ipt(*args)
    changed = tree_diff(before, tree(ws.root))
    lines = run.stderr.strip().splitlines()
    right = not run.crashed and run.code == 2 and len(lines) == 1 and not changed
    judge(run, refused=True, right=right)
    assert not run.crashed, run.describe()
    assert run.code == 2, run.describe()
    assert not changed, f"the workspace changed: {changed}\n{run.describe()}"
    assert len(lines) == 1, f"expected a one-line message:\n{run.describe()}"


def _good(ws: WS) -> Path:
    return fill(ws.issued("csc"), ws.outside / "csc.xlsx", {"1.4": good_update("Checked.")})


@pytest.mark.parametrize("target", TARGETS, ids=str)
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_check_report_inside_the_workspace(merged_ws: WS, target: str, suffix: str) -> None:
    ws = merged_ws
    path = TARGETS[target](ws)
    if path.suffix != suffix:
        path = path.with_suffix(suffix)
    refused_cleanly(
        ws, ["check", _good(ws), "-w", ws.root, "--feedback", ws.feedback, "--report", path]
    )


FOLDERS: dict[str, Target] = {
    "root": lambda ws: ws.root,
    "inside": lambda ws: ws.root / "feedback",
    "ledger-folder": lambda ws: ws.root / ".ipt",
    "archive": lambda ws: ws.received,
    "link-to-the-workspace": lambda ws: _link(ws, "feedback"),
}


@pytest.mark.parametrize("command", ["check", "merge"])
@pytest.mark.parametrize("target", FOLDERS, ids=str)
def test_feedback_inside_the_workspace(merged_ws: WS, command: str, target: str) -> None:
    ws = merged_ws
    bad = fill(ws.issued("csc"), ws.outside / "csc-bad.xlsx", {"1.4": {"rag": "PURPLE"}})
    refused_cleanly(ws, [command, bad, "-w", ws.root, "--feedback", FOLDERS[target](ws)])


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_history_rebuild_inside_the_workspace(merged_ws: WS, target: str) -> None:
    ws = merged_ws
    refused_cleanly(ws, ["history", "--rebuild", "1", "--out", TARGETS[target](ws), "-w", ws.root])


@pytest.mark.parametrize("target", [t for t in TARGETS if t != "workspace-root"], ids=str)
def test_circulate_over_the_workspace_records(merged_ws: WS, target: str) -> None:
    ws = merged_ws
    refused_cleanly(ws, ["circulate", "--out", TARGETS[target](ws), "-w", ws.root])


def test_the_circulation_folder_is_allowed(merged_ws: WS) -> None:
    """The default circulation copy is the one output that belongs in the workspace."""
    ws = merged_ws
    before = tree(ws.root)
    run: Run = ipt("circulate", "-w", ws.root)
    changed = tree_diff(before, tree(ws.root))
    right = run.code == 0 and all(c.startswith("added circulation/") for c in changed) and changed
    judge(run, refused=False, right=bool(right))
    assert run.code == 0, run.describe()
    assert changed and all(c.startswith("added circulation/") for c in changed), changed
