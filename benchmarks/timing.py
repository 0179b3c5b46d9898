"""Time whole processes: CPU (user + sys), wall time and peak memory of each finished child.

The figures are the operating system's own accounting of the child, read with os.wait4 when
it is reaped, so nothing inside the command being timed is touched. A tool command and its
floor run in turn (tool, floor, tool, floor ...): a machine whose speed drifts slows both
alike, and the ratio is taken pair by pair.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Run:
    cpu: float  # seconds, user + sys
    wall: float  # seconds
    peak_mib: float  # max resident set size
    code: int  # exit code


class CommandFailed(RuntimeError):
    """A timed command exited with a code it should not have: the figures would mean nothing."""


def run_once(cmd: Sequence[str], *, cwd: Path, log: Path, expect: int | None = 0) -> Run:
    """Run `cmd` to the end, its output appended to `log`; fail when the exit code is wrong."""
    with log.open("ab") as out:
        out.write(f"$ {' '.join(cmd)}\n".encode())
        out.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped here: Popen must not wait again
    if expect is not None and code != expect:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise CommandFailed(f"{' '.join(cmd)} exited with {code}, not {expect}:\n{tail}")
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / scale, code)


@dataclass
class Paired:
    """Tool and floor runs of one command, in pairs."""

    tool: list[Run] = field(default_factory=list)
    floor: list[Run] = field(default_factory=list)

    def median(self, side: str, what: str) -> float:
        runs = self.tool if side == "tool" else self.floor
        return float(statistics.median(float(getattr(r, what)) for r in runs))

    def ratio(self, what: str = "cpu") -> float:
        """Median of the pair-by-pair ratios tool / floor."""
        return float(
            statistics.median(
                float(getattr(t, what)) / max(float(getattr(f, what)), 1e-9)
                for t, f in zip(self.tool, self.floor, strict=True)
            )
        )


def pair(
    tool: Sequence[str],
    floor: Sequence[str],
    *,
    pairs: int,
    cwd: Path,
    log: Path,
    before_tool: Callable[[], None] | None = None,
    before_floor: Callable[[], None] | None = None,
    after_tool: Callable[[], None] | None = None,
) -> Paired:
    """`pairs` runs of each, alternating; the hooks (not timed) reset state between runs."""
    result = Paired()
    for _ in range(pairs):
        if before_tool:
            before_tool()
        result.tool.append(run_once(tool, cwd=cwd, log=log))
        if after_tool:
            after_tool()
        if before_floor:
            before_floor()
        result.floor.append(run_once(floor, cwd=cwd, log=log))
    return result
