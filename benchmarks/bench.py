"""`make bench`: time the whole update loop through the command line, each step against a floor.

    python benchmarks/bench.py [--areas 10000] [--agencies 200] [--pairs 3]
                               [--quick | --sizes 1000,3200] [--keep DIR] [--out FILE]

For each size (by default 1/100, 1/10 and all of --areas) it writes a synthetic plan, runs
`ipt init --from plan.yaml`, then times `ipt issue`, `ipt check` of every return and
`ipt merge` of every return as whole processes, each in turn with its floor (a script doing
the same essential work with bare library calls; see the floor_*.py files). Once per run it
also times `ipt --help` and `ipt check` of one return of the bundled example plan. Prints one
table and writes it, with the machine and library versions, to benchmarks/results/latest.md.

Only the command line and the files are used: nothing is imported from ipt_excel.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import metadata
from pathlib import Path

import yaml
from fill_returns import RETURN_SHEET, fill_all
from floor_common import slug
from python_calamine import CalamineWorkbook
from synth_plan import SEED_PLAN, load_corpus, write_plan
from timing import Paired, pair, run_once

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = HERE / "results" / "latest.md"
ROUND = "Third review of progress"
ROUND_DATE = date(2012, 9, 26)
DUE = date(2012, 9, 12)
DEFAULT_AREAS = 10_000
QUICK_AREAS = 3_000
DEFAULT_PAIRS = 3
FRACTIONS = (0.01, 0.1, 1.0)
QUICK_FRACTIONS = (0.01, 0.1)
MIN_AREAS = 10
AREAS_PER_AGENCY = 5  # a size's agencies: min(--agencies, areas / 5), so small plans stay real
SEED = 2012
LIBRARIES = (
    "ipt-excel",
    "openpyxl",
    "xlsxwriter",
    "pandas",
    "pandera",
    "python-calamine",
    "numpy",
    "pyyaml",
)


@dataclass(frozen=True)
class Size:
    areas: int
    agencies: int


@dataclass(frozen=True)
class Row:
    """One line of the table: a command at a size (None for the size-free commands)."""

    command: str
    size: Size | None
    returns: int
    paired: Paired


def agencies_for(areas: int, cap: int) -> int:
    return max(1, min(cap, areas // AREAS_PER_AGENCY))


def sizes_for(args: argparse.Namespace) -> list[Size]:
    if args.sizes:
        counts = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    else:
        fractions = QUICK_FRACTIONS if args.quick else FRACTIONS
        counts = sorted({max(MIN_AREAS, round(args.areas * f)) for f in fractions})
    return [Size(n, agencies_for(n, args.agencies)) for n in counts]


def _ipt() -> str:
    """The `ipt` beside this interpreter (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "ipt"
    found = str(beside) if beside.exists() else shutil.which("ipt")
    if not found:
        sys.exit("No `ipt` command found: run `make .venv/.installed` first.")
    return found


def restore(snapshot: Path, target: Path) -> None:
    """Put a workspace back exactly as it was copied: every timed run starts the same."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(snapshot, target, symlinks=True)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, work: Path, pairs: int) -> None:
        self.work = work
        self.pairs = pairs
        self.ipt = _ipt()
        self.python = sys.executable
        self.log = work / "commands.log"  # every command's output, for when one fails
        self.corpus = load_corpus()
        self.fill_seconds: dict[int, float] = {}

    def tool(self, *args: str) -> list[str]:
        return [self.ipt, *args]

    def floor(self, name: str, *args: str) -> list[str]:
        return [self.python, str(HERE / f"floor_{name}.py"), *args]

    def setup(self, cmd: list[str], cwd: Path) -> None:
        run_once(cmd, cwd=cwd, log=self.log)

    def timed(
        self, label: str, tool: list[str], floor: list[str], cwd: Path, **hooks: Callable[[], None]
    ) -> Paired:
        say(f"  {label}: {self.pairs} pair(s)")
        result = pair(tool, floor, pairs=self.pairs, cwd=cwd, log=self.log, **hooks)
        say(
            f"    tool {result.median('tool', 'wall'):.2f} s, "
            f"floor {result.median('floor', 'wall'):.2f} s (wall, median)"
        )
        return result

    # -- one size of the synthetic plan ------------------------------------------------------
    def size(self, size: Size) -> list[Row]:
        say(f"{size.areas:,} areas, {size.agencies} agencies")
        here = self.work / f"areas-{size.areas}"
        here.mkdir(parents=True, exist_ok=True)
        plan = write_plan(here / "plan.yaml", areas=size.areas, agencies=size.agencies, seed=SEED)
        ws, fresh, issued = here / "ws", here / "ws-fresh", here / "ws-issued"
        self.setup(self.tool("init", "--from", str(plan.path), "-w", str(ws)), here)
        shutil.copytree(ws, fresh, symlinks=True)
        layout = here / "layout.json"
        issue = self.timed(
            "issue",
            self.tool("issue", *self._round_args(), "-w", str(ws)),
            self.floor(
                "issue",
                "--workspace",
                str(fresh),
                "--layout",
                str(layout),
                "--out",
                str(here / "floor-returns"),
                "--round",
                ROUND,
                "--date",
                ROUND_DATE.isoformat(),
            ),
            here,
            before_tool=lambda: restore(fresh, ws),
            after_tool=lambda: write_layout(_issued(ws)[0], layout),
        )
        issued_files = _issued(ws)
        by_slug = {slug(k): k for k in plan.agency_keys}
        start = time.perf_counter()
        filled = fill_all(
            [(p, by_slug.get(p.stem, p.stem)) for p in issued_files],
            here / "filled",
            corpus=self.corpus,
            sharers=plan.sharers,
            round_date=ROUND_DATE,
            seed=SEED,
        )
        self.fill_seconds[size.areas] = time.perf_counter() - start
        shutil.copytree(ws, issued, symlinks=True)
        names = [str(p) for p in filled]
        feedback = str(here / "feedback")
        # `ipt check` exits 0 only when every return is valid: a non-zero exit stops the run.
        check = self.timed(
            "check",
            self.tool("check", "-w", str(ws), "--feedback", feedback, *names),
            self.floor("check", "--workspace", str(ws), *names),
            here,
        )
        merge = self.timed(
            "merge",
            self.tool("merge", "-w", str(ws), "--feedback", feedback, *names),
            self.floor(
                "merge",
                "--workspace",
                str(issued),
                "--out",
                str(here / "floor-master.xlsx"),
                *names,
            ),
            here,
            before_tool=lambda: restore(issued, ws),
        )
        n = len(filled)
        return [
            Row("issue", size, n, issue),
            Row("check (all returns)", size, n, check),
            Row("merge (all returns)", size, n, merge),
        ]

    def _round_args(self) -> list[str]:
        return ["--round", ROUND, "--date", ROUND_DATE.isoformat(), "--due", DUE.isoformat()]

    # -- the commands whose cost does not depend on the plan's size -----------------------------
    def fixed(self) -> list[Row]:
        say("size-free commands")
        here = self.work / "example"
        here.mkdir(parents=True, exist_ok=True)
        help_text = here / "help.txt"
        out = subprocess.run(self.tool("--help"), capture_output=True, check=True, cwd=here)
        help_text.write_bytes(out.stdout)
        help_floor = self.floor("help", str(help_text))
        self.setup(help_floor, here)  # a warm-up, so the first timed run is not the coldest
        helped = self.timed("--help", self.tool("--help"), help_floor, here)
        ws = here / "ws"
        self.setup(self.tool("init", "--example", "-w", str(ws)), here)
        self.setup(
            self.tool("issue", "--round", ROUND, "--date", ROUND_DATE.isoformat(), "-w", str(ws)),
            here,
        )
        raw = yaml.safe_load(SEED_PLAN.read_text(encoding="utf-8"))
        first = str(raw["agencies"][0]["key"])
        sharers = {str(a["id"]): tuple(str(k) for k in a["agencies"]) for a in raw["areas"]}
        source = next(p for p in _issued(ws) if p.stem == slug(first))
        (filled,) = fill_all(
            [(source, first)],
            here / "filled",
            corpus=self.corpus,
            sharers=sharers,
            round_date=ROUND_DATE,
            seed=SEED,
        )
        one = self.timed(
            "check (one example return)",
            self.tool("check", "-w", str(ws), "--feedback", str(here / "feedback"), str(filled)),
            self.floor("check", "--workspace", str(ws), str(filled)),
            here,
        )
        return [Row("--help", None, 0, helped), Row("check (one example return)", None, 1, one)]


def _issued(ws: Path) -> list[Path]:
    """The returns of the one round issued in `ws`."""
    rounds = [d for d in (ws / "returns").iterdir() if d.is_dir()]
    if len(rounds) != 1:
        raise RuntimeError(f"expected one round folder under {ws / 'returns'}, found {rounds}")
    return sorted(rounds[0].glob("*.xlsx"))


def write_layout(issued_return: Path, target: Path) -> None:
    """The header row and headings of a return the tool issued, for the issue floor."""
    if target.exists():
        return
    grid = (
        CalamineWorkbook.from_path(str(issued_return)).get_sheet_by_name(RETURN_SHEET).to_python()
    )
    header = next(i for i, row in enumerate(grid) if row and str(row[0]).strip() == "ID")
    headings = [str(h).strip() for h in grid[header]]
    target.write_text(json.dumps({"header_row": header + 1, "headings": headings}), "utf-8")


# -- the table --------------------------------------------------------------------------------
def exponent(t_small: float, t_big: float, n_small: int, n_big: int) -> float:
    """How time grows with size: 1 is linear, 2 quadratic."""
    if t_small <= 0 or t_big <= 0 or n_big == n_small:
        return math.nan
    return math.log(t_big / t_small) / math.log(n_big / n_small)


def _fmt(x: float, digits: int = 2) -> str:
    return "—" if math.isnan(x) else f"{x:.{digits}f}"


HEADINGS = (
    "command",
    "areas",
    "agencies",
    "returns",
    "tool CPU s",
    "tool wall s",
    "floor CPU s",
    "floor wall s",
    "tool/floor CPU",
    "tool/floor wall",
    "tool peak MiB",
    "floor peak MiB",
    "growth (tool CPU)",
    "growth (floor CPU)",
)


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADINGS) + " |", "|" + "---|" * len(HEADINGS)]
    previous: dict[str, Row] = {}
    for row in rows:
        p = row.paired
        grow_tool = grow_floor = math.nan
        before = previous.get(row.command)
        if before is not None and before.size is not None and row.size is not None:
            a, b = before.size.areas, row.size.areas
            grow_tool = exponent(before.paired.median("tool", "cpu"), p.median("tool", "cpu"), a, b)
            grow_floor = exponent(
                before.paired.median("floor", "cpu"), p.median("floor", "cpu"), a, b
            )
        previous[row.command] = row
        cells = [
            row.command,
            f"{row.size.areas:,}" if row.size else "—",
            str(row.size.agencies) if row.size else "—",
            str(row.returns) if row.returns else "—",
            _fmt(p.median("tool", "cpu")),
            _fmt(p.median("tool", "wall")),
            _fmt(p.median("floor", "cpu")),
            _fmt(p.median("floor", "wall")),
            _fmt(p.ratio("cpu"), 1),
            _fmt(p.ratio("wall"), 1),
            _fmt(p.median("tool", "peak_mib"), 0),
            _fmt(p.median("floor", "peak_mib"), 0),
            _fmt(grow_tool),
            _fmt(grow_floor),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def overall_growth(rows: list[Row]) -> str:
    """The growth exponent of each sized command from the smallest size to the largest."""
    parts = []
    for command in dict.fromkeys(r.command for r in rows if r.size is not None):
        sized = [r for r in rows if r.command == command and r.size is not None]
        if len(sized) < 2:
            continue
        lo, hi = sized[0], sized[-1]
        assert lo.size is not None and hi.size is not None
        tool = exponent(
            lo.paired.median("tool", "cpu"),
            hi.paired.median("tool", "cpu"),
            lo.size.areas,
            hi.size.areas,
        )
        floor = exponent(
            lo.paired.median("floor", "cpu"),
            hi.paired.median("floor", "cpu"),
            lo.size.areas,
            hi.size.areas,
        )
        parts.append(f"{command} {_fmt(tool)} (floor {_fmt(floor)})")
    return "; ".join(parts)


# -- the machine --------------------------------------------------------------------------------
def _proc_field(path: str, name: str) -> str:
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1]
    except OSError:
        pass
    return ""


def machine() -> list[str]:
    mem_kib = _proc_field("/proc/meminfo", "MemTotal").split()[0:1]
    ram = f"{int(mem_kib[0]) / 1024 / 1024:.1f} GiB" if mem_kib else "unknown"
    os_name = _proc_field("/etc/os-release", "PRETTY_NAME").strip('"') or platform.platform()
    return [
        f"CPU: {_proc_field('/proc/cpuinfo', 'model name') or platform.processor() or 'unknown'}",
        f"Cores: {os.cpu_count()}",
        f"RAM: {ram}",
        f"OS: {os_name} ({platform.system()} {platform.release()}, {platform.machine()})",
    ]


def versions() -> list[str]:
    found = [f"python {platform.python_version()}"]
    for name in LIBRARIES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return found


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def report(
    rows: list[Row],
    *,
    argv: list[str],
    seconds: float,
    fill: dict[int, float],
    pairs: int,
    load: tuple[float, float],
) -> str:
    fills = ", ".join(f"{s:.1f} s at {n:,} areas" for n, s in sorted(fill.items()))
    return "\n".join(
        [
            "# Benchmark: the update loop through the command line",
            "",
            "`" + " ".join(["python benchmarks/bench.py", *argv]) + "`",
            f"run {datetime.now():%Y-%m-%d %H:%M}, {seconds / 60:.1f} minutes in all, "
            f"code at {_commit()}; median of {pairs} tool/floor pair(s) per row",
            "",
            "## Machine",
            "",
            *(f"- {line}" for line in machine()),
            # Other work on the machine slows wall time most; CPU time less, but not nothing.
            f"- Load average (1 minute) at the start and the end: {load[0]:.1f}, {load[1]:.1f}",
            "- Libraries: " + ", ".join(versions()),
            "",
            "## Results",
            "",
            table(rows),
            "",
            f"Growth exponent of CPU time, smallest to largest: {overall_growth(rows) or '—'}.",
            "",
            "CPU is user + sys of the child process; peak is its maximum resident set size. "
            "tool/floor is the median of the pair-by-pair ratios. Growth is "
            "log(t/t_previous) / log(areas/areas_previous): 1 is linear, 2 quadratic. "
            f"Filling the returns (not timed against anything): {fills or '—'}.",
            "",
        ]
    )


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--areas", type=int, help="the largest plan (default 10000; 3000 with --quick)"
    )
    parser.add_argument("--agencies", type=int, default=200, help="agencies at most (default 200)")
    parser.add_argument(
        "--pairs", type=int, help="tool/floor pairs per row (default 3; 1 with --quick)"
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--quick", action="store_true", help="a smoke run: 1/100 and 1/10 of --areas, one pair"
    )
    group.add_argument("--sizes", help="area counts to run instead, e.g. 1000,3200")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the table")
    args = parser.parse_args(argv)
    # --quick is a smoke run of well under a minute: 30 and 300 areas, one pair.
    if args.areas is None:
        args.areas = QUICK_AREAS if args.quick else DEFAULT_AREAS
    if args.pairs is None:
        args.pairs = 1 if args.quick else DEFAULT_PAIRS
    if args.pairs < 1 or args.areas < 1 or args.agencies < 1:
        parser.error("--areas, --agencies and --pairs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ipt-bench-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        if args.keep and work.exists() and any(work.iterdir()):
            sys.exit(f"{work} is not empty: give --keep a new or empty folder.")
        work.mkdir(parents=True, exist_ok=True)
        bench = Bench(work, args.pairs)
        rows = bench.fixed()
        for size in sizes_for(args):
            rows += bench.size(size)
        order = {c: i for i, c in enumerate(dict.fromkeys(r.command for r in rows))}
        rows.sort(key=lambda r: (order[r.command], r.size.areas if r.size else 0))
        text = report(
            rows,
            argv=argv,
            seconds=time.perf_counter() - started,
            fill=bench.fill_seconds,
            pairs=args.pairs,
            load=(load_start, os.getloadavg()[0]),
        )
    print(table(rows))
    print(f"\nGrowth exponent of CPU time, smallest to largest: {overall_growth(rows) or '—'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"Written to {args.out}")


if __name__ == "__main__":
    main()
