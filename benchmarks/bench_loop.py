"""Benchmark the whole loop at the bundled size and at a large plan's size. Prints figures.

    python benchmarks/bench_loop.py [--areas N]

Timings on a shared machine are noisy, so what matters are the ratios printed beside them
(measured in the same run): how the loop scales from the example (32 areas) to N areas, and
how python-calamine compares with openpyxl for reading the master back.
"""

from __future__ import annotations

import argparse
import io
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import openpyxl
from python_calamine import CalamineWorkbook

from ipt_excel.core.model import Plan
from ipt_excel.excel.master_reader import read_master, read_master_bytes
from ipt_excel.excel.return_filler import fill_return_bytes
from ipt_excel.services.check import check_files
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.services.receive import receive_returns
from ipt_excel.workspace import Workspace

T = TypeVar("T")
NOW = datetime(2012, 9, 1, 9, 0)


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[T, float]:
    best = float("inf")
    result: T | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return result, best


def _calamine_cells(data: bytes) -> int:
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return len(wb.get_sheet_by_name("Plan").to_python())


def _openpyxl_cells(data: bytes) -> int:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return sum(1 for _ in wb["Plan"].iter_rows(values_only=True))


def scaled(plan: Plan, n: int) -> Plan:
    """The example's areas repeated with new IDs until there are `n`."""
    areas = []
    for i in range(n):
        src = plan.areas[i % len(plan.areas)]
        areas.append(replace(src, id=f"{src.theme}.{i + 1}"))
    return replace(plan, areas=tuple(areas))


def run(plan: Plan, root: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    _, figures["init (write master)"] = timed(
        lambda: init_workspace(root, plan, force=True, now=NOW)
    )
    ws = Workspace(root)
    data = ws.master.read_bytes()
    _, figures["read_master (all sheets, pandera)"] = timed(lambda: read_master_bytes(data, "m"), 3)
    _, figures["cells of Plan: calamine"] = timed(lambda: _calamine_cells(data), 3)
    _, figures["cells of Plan: openpyxl"] = timed(lambda: _openpyxl_cells(data), 3)
    issued, figures["issue all returns"] = timed(
        lambda: issue_round(
            ws,
            round_name="Third review of progress",
            round_date=NOW.date(),
            due=None,
            agencies=None,
            password=None,
            now=NOW,
        )
    )
    inbox = root.parent / f"{root.name}-inbox"
    sent = []
    for f in issued.files:
        first = read_master(ws.master).areas_for(f.agency)[0].id
        filled = fill_return_bytes(
            f.path.read_bytes(), f.path.name, {first: {"progress": "Updated.", "rag": "AMBER"}}
        )
        inbox.mkdir(parents=True, exist_ok=True)
        (inbox / f.path.name).write_bytes(filled)
        sent.append(inbox / f.path.name)
    _, figures["check all returns"] = timed(lambda: check_files(ws, sent))
    _, figures["merge all returns"] = timed(
        lambda: receive_returns(ws, sent, now=NOW, feedback_dir=root.parent / "feedback")
    )
    figures["returns"] = len(sent)
    figures["master size (KiB)"] = ws.master.stat().st_size / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--areas", type=int, default=1000, help="size of the large plan")
    args = parser.parse_args()
    example = load_plan(EXAMPLE_PLAN)
    with tempfile.TemporaryDirectory() as tmp:
        small = run(example, Path(tmp) / "small")
        large = run(scaled(example, args.areas), Path(tmp) / "large")
    width = max(len(k) for k in small)
    print(f"{'':{width}}  {'32 areas':>12}  {f'{args.areas} areas':>12}  {'ratio':>7}")
    for key in small:
        a, b = small[key], large[key]
        unit = "" if key in ("returns", "master size (KiB)") else " s"
        ratio = b / a if a else float("nan")
        print(f"{key:{width}}  {a:>10.3f}{unit:2}  {b:>10.3f}{unit:2}  {ratio:>6.1f}x")
    for label, figs in (("32 areas", small), (f"{args.areas} areas", large)):
        speedup = figs["cells of Plan: openpyxl"] / figs["cells of Plan: calamine"]
        print(f"calamine reads the Plan sheet {speedup:.1f}x as fast as openpyxl ({label})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (whole run): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
