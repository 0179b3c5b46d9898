"""The benchmark still runs end to end: quick mode at a tiny scale. No timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


@pytest.mark.slow
def test_quick_benchmark_prints_the_table_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "latest.md"
    # --quick runs 1/100 and 1/10 of --areas: 30 and 300 areas among 6 agencies.
    args = ["--quick", "--areas", "3000", "--agencies", "6", "--pairs", "1"]
    done = subprocess.run(
        [sys.executable, str(BENCH), *args, "--keep", str(tmp_path / "work"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| command | areas | agencies |" in done.stdout
    for command in ("issue", "check (all returns)", "merge (all returns)", "--help"):
        assert f"| {command} |" in done.stdout
    text = out.read_text(encoding="utf-8")
    assert "| 300 | 6 |" in text
    assert "## Machine" in text and "python-calamine" in text
    # The filled returns were all valid, or `ipt check` would have stopped the run.
    assert len(list((tmp_path / "work" / "areas-300" / "filled").glob("*.xlsx"))) == 6
