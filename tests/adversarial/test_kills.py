"""A merge killed at each stage and run again exactly once; merges at once.

Each kill is a real `ipt merge` process that SIGKILLs itself at one stage (killer.py: before or
after the archive is written, after a feedback workbook, before or after the ledger's commit,
before or after master.xlsx is renamed into place). Then the same merge is run once more, and
the workspace must be exactly where an uninterrupted merge of the same files leaves it (a twin
workspace, merged without a kill): the same master, every change in the ledger exactly once,
each valid file merged once, nothing left half-written.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .conftest import GOOD_HEALTH, copy_workspace
from .helpers import (
    REPO,
    WS,
    agency_updates,
    fill,
    good_update,
    ipt_env,
    ipt_popen,
    judge,
    live_changes,
    plan_rows,
    receipts,
    sha256,
    table,
)
from .killer import STAGES

KILLER = Path(__file__).with_name("killer.py")
UPDATE_HEADINGS = ("Progress", "RAG", "Evidence of impact", "Date of next review")


def _returns(ws: WS) -> tuple[list[Path], list[Path]]:
    """Two valid returns and one that is rejected (so feedback is written)."""
    valid = [
        fill(ws.issued("csc"), ws.inbox / "csc.xlsx", {"1.4": good_update("CSC audit done.")}),
        fill(ws.issued("health"), ws.inbox / "health.xlsx", {"1.11": GOOD_HEALTH}),
    ]
    bad = [fill(ws.issued("lscb"), ws.inbox / "lscb-bad.xlsx", {"2.13": {"rag": "PURPLE"}})]
    return valid, bad


def _state(ws: WS) -> dict[str, Any]:
    """What a merge must leave, free of timestamps and ids."""
    plan = {
        rid: tuple(r.get(h) for h in UPDATE_HEADINGS) for rid, r in plan_rows(ws.master).items()
    }
    updates = Counter(
        (str(u["ID"]), u["Agency"], *(u.get(h) for h in UPDATE_HEADINGS))
        for u in agency_updates(ws.master)
    )
    changes = Counter(
        (c["agency"], c["area_id"], c["field"], c["old"], c["new"]) for c in live_changes(ws)
    )
    sheet = Counter(
        (r.get("Agency"), str(r.get("ID")), r.get("Field"), r.get("Old value"), r.get("New value"))
        for r in table(ws.master, "Changes")
    )
    return {
        "plan": plan,
        "agency updates": updates,
        "ledger changes": changes,
        "Changes sheet": sheet,
    }


def _leftovers(ws: WS) -> list[str]:
    return sorted(str(p.relative_to(ws.root)) for p in ws.root.rglob("*.tmp"))


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_a_merge_killed_at_a_stage_then_run_once_more(ws: WS, tmp_path: Path, stage: str) -> None:
    valid, bad = _returns(ws)
    files = valid + bad
    twin = copy_workspace(ws.root, tmp_path / "twin")
    assert twin.merge(*files).code == 1
    expected = _state(twin)

    killed = subprocess.run(
        [sys.executable, str(KILLER), stage, "--", *map(str, ws.merge_args(*files))],
        cwd=REPO,
        env=ipt_env(),
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -9, (
        f"the merge was not killed at {stage} (exit {killed.returncode}): "
        f"{killed.stderr.decode(errors='replace')[-2000:]}"
    )

    run = ws.merge(*files)
    state = _state(ws)
    merged = Counter(r["sha256"] for r in receipts(ws) if r["outcome"] == "merged")
    once = all(merged[sha256(f)] == 1 for f in valid)
    leftovers = _leftovers(ws)
    lost = state["ledger changes"] != expected["ledger changes"]
    right = run.code == 1 and state == expected and once and not leftovers
    judge(run, refused=False, right=right, lost=lost)
    assert not run.crashed, run.describe()
    assert run.code == 1, run.describe()
    for key in expected:
        assert state[key] == expected[key], f"after a kill at {stage}, the {key} differ"
    assert once, f"valid files merged {dict(merged)} times"
    assert not leftovers, f"half-written files left in the workspace: {leftovers}"


def _agency_returns(ws: WS) -> dict[str, Path]:
    return {
        "CSC": fill(ws.issued("csc"), ws.inbox / "csc.xlsx", {"1.4": good_update("CSC at once.")}),
        "HEALTH": fill(ws.issued("health"), ws.inbox / "health.xlsx", {"1.11": GOOD_HEALTH}),
        "LSCB": fill(
            ws.issued("lscb"), ws.inbox / "lscb.xlsx", {"2.13": good_update("LSCB at once.")}
        ),
        "SIRONA": fill(
            ws.issued("sirona"), ws.inbox / "sirona.xlsx", {"2.7": good_update("Sirona at once.")}
        ),
    }


@pytest.mark.slow
def test_four_merges_at_once_each_with_another_agency(ws: WS) -> None:
    """Each waits for the workspace lock in turn; all merge; nothing is lost or doubled."""
    returns = _agency_returns(ws)
    procs = {a: ipt_popen(*ws.merge_args(f)) for a, f in returns.items()}
    results = {a: p.communicate(timeout=180) for a, p in procs.items()}
    codes = {a: p.returncode for a, p in procs.items()}
    changes = live_changes(ws)
    outcomes = Counter((r["file_name"], r["outcome"]) for r in receipts(ws))
    keys = [(c["agency"], c["area_id"], c["field"]) for c in changes]
    plan = plan_rows(ws.master)
    shown = {
        "CSC": plan["1.4"]["Progress"] == "CSC at once.",
        "HEALTH": GOOD_HEALTH["progress"] in str(plan["1.11"]["Progress"]),
        "LSCB": "LSCB at once." in str(plan["2.13"]["Progress"]),
        "SIRONA": "Sirona at once." in str(plan["2.7"]["Progress"]),
    }
    right = (
        all(c == 0 for c in codes.values())
        and {a for a, _, _ in keys} == set(returns)
        and len(keys) == len(set(keys))
        and all(shown.values())
    )
    for a in returns:
        judge(_proc_run(codes[a], results[a]), refused=False, right=right, lost=not shown[a])
    assert all(c == 0 for c in codes.values()), {a: (codes[a], results[a][1][-500:]) for a in codes}
    assert outcomes == Counter({(f.name, "merged"): 1 for f in returns.values()}), outcomes
    assert len(keys) == len(set(keys)), keys
    assert {a for a, _, _ in keys} == set(returns)
    assert all(shown.values()), shown


def _proc_run(code: int, out: tuple[bytes, bytes]) -> Any:
    from .helpers import Run

    return Run(("merge",), code, out[0].decode(errors="replace"), out[1].decode(errors="replace"))


@pytest.mark.slow
def test_the_same_files_merged_by_two_processes_at_once(ws: WS) -> None:
    returns = list(_agency_returns(ws).values())[:2]
    procs = [ipt_popen(*ws.merge_args(*returns)), ipt_popen(*ws.merge_args(*reversed(returns)))]
    outs = [p.communicate(timeout=180) for p in procs]
    codes = [p.returncode for p in procs]
    merged = Counter(r["file_name"] for r in receipts(ws) if r["outcome"] == "merged")
    changes = [(c["agency"], c["area_id"], c["field"]) for c in live_changes(ws)]
    right = (
        codes == [0, 0]
        and all(merged[f.name] == 1 for f in returns)
        and len(changes) == len(set(changes))
    )
    for code, out in zip(codes, outs, strict=True):
        judge(_proc_run(code, out), refused=False, right=right)
    assert codes == [0, 0], [o[1][-500:] for o in outs]
    assert all(merged[f.name] == 1 for f in returns), merged
    assert len(changes) == len(set(changes)), changes


@pytest.mark.slow
def test_check_while_a_merge_runs_gives_the_same_verdict(ws: WS) -> None:
    """`ipt check` takes no lock: run beside a merge, it reads a whole master and a consistent
    ledger, and says the same thing every time."""
    returns = _agency_returns(ws)
    other = fill(ws.issued("police"), ws.inbox / "police.xlsx", {"2.3": good_update("Police.")})
    proc = ipt_popen(*ws.merge_args(*returns.values()))
    verdicts = []
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        run = ws.check(other)
        verdicts.append((run.code, run.crashed))
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert verdicts and all(v == (0, False) for v in verdicts), verdicts
