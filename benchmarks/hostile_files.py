"""Time the safe-open gate, and the whole of `ipt check`, on the costliest files an agency
could send back. Prints a table of figures.

    python benchmarks/hostile_files.py [--keep DIR] [--timeout SECONDS] [--only NAME ...]

It makes a workspace (`ipt init --example`, then `ipt issue`), takes the largest issued
return and builds from it:

    many-cells    1.5 million cells of text on the hidden Lists sheet, about 37 MB on disk
    huge-text     about 185 MB of shared strings (620,000 of them), under the 50 MB limit
    far-cell      one formatted, empty cell at XFD1048576 on the Return sheet (a few KB)
    pass-cells    the largest file of each kind that still passes the gate: the most cells,
    pass-area     the deepest Return sheet (the reader walks every row of it),
    pass-text     the most shared strings, the most styles, and a mix of all of them (with
    pass-styles   formulas and merged cells), each found by halving the difference between
    pass-mix      a size that passes and one that does not

For each it runs, as separate processes, the gate alone (`open_workbook_safely`) and
`ipt check FILE -w WORKSPACE`, and prints wall time and peak memory (the child's own maximum
resident set size, from wait4; on Linux it includes the few tens of megabytes this script
holds when it starts the child) and CPU time. The target: every file accepted or refused
within 3 s and 300 MB for the whole `ipt check`. Wall time on a shared machine is noisy (CPU
time much less so): run it twice, or time one command with `/usr/bin/time -v`.

To compare with an older version, build the files with this one and `--keep DIR`, then run
again with the old source first on the path and the same `--keep DIR` (files already there
are reused): `PYTHONPATH=/tmp/old-source python benchmarks/hostile_files.py --keep DIR`.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The child that runs the gate alone and says what it decided, and how long it took.
GATE = """
import sys, time
from pathlib import Path
from ipt_excel.excel.safe_open import open_workbook_safely
from ipt_excel.errors import UnsafeWorkbookError
start = time.perf_counter()
try:
    open_workbook_safely(Path(sys.argv[1]))
    outcome = "accepted"
except UnsafeWorkbookError as error:
    outcome = error.reason
print(f"{outcome} {time.perf_counter() - start:.3f}")
"""
TARGET_SECONDS, TARGET_MB = 3.0, 300.0


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds: steadier than wall time on a busy machine
    peak_mb: float  # the child's maximum resident set size
    exit_code: int  # negative: ended by that signal (-9: killed at the timeout)
    output: str


def run_measured(command: list[str], cwd: Path, timeout: float) -> Run:
    """Run `command` and measure it alone: wait4 gives this child's own peak memory."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        output = out.read().decode("utf-8", errors="replace")
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(wall, usage.ru_utime + usage.ru_stime, peak, process.returncode, output)


def ipt(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "ipt_excel", *map(str, args)]


# --- building the files -------------------------------------------------------------------


class Return:
    """An issued return's parts, to change and write out again."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as archive:
            self.parts = {info.filename: archive.read(info) for info in archive.infolist()}
        rels = dict(
            re.findall(
                rb'<Relationship Id="([^"]+)" Type="[^"]+/worksheet" Target="([^"]+)"',
                self.parts["xl/_rels/workbook.xml.rels"],
            )
        )
        self.sheets = {  # sheet name -> part
            name.decode(): "xl/" + rels[rel_id].decode()
            for name, rel_id in re.findall(
                rb'<sheet name="([^"]+)" sheetId="\d+"(?: state="\w+")? r:id="([^"]+)"',
                self.parts["xl/workbook.xml"],
            )
        }

    def add_rows(self, sheet: str, rows: str) -> None:
        """Append rows (XML) to a sheet's data; they must lie below what is there."""
        part = self.sheets[sheet]
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b"", self.parts[part])
        self.parts[part] = xml.replace(b"</sheetData>", rows.encode() + b"</sheetData>", 1)

    def add_after_data(self, sheet: str, xml: str) -> None:
        part = self.sheets[sheet]
        self.parts[part] = self.parts[part].replace(b"</sheetData>", b"</sheetData>" + xml.encode())

    def add_strings(self, strings: list[str]) -> None:
        extra = "".join(f"<si><t>{s}</t></si>" for s in strings).encode()
        sst = re.sub(rb' (count|uniqueCount)="\d+"', b"", self.parts["xl/sharedStrings.xml"])
        self.parts["xl/sharedStrings.xml"] = sst.replace(b"</sst>", extra + b"</sst>")

    def add_styles(self, count: int) -> None:
        extra = "".join(
            f'<xf numFmtId="{i % 164}" fontId="0" fillId="{i % 2}" borderId="0" xfId="0"/>'
            for i in range(count)
        ).encode()
        styles = self.parts["xl/styles.xml"]
        self.parts["xl/styles.xml"] = styles.replace(b"</cellXfs>", extra + b"</cellXfs>")

    def write(self, path: Path) -> Path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.parts.items():
                archive.writestr(name, data)
        return path


def _letters(column: int) -> str:
    name = ""
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(65 + rest) + name
    return name


def _words(rnd: random.Random, n_chars: int) -> str:
    """Text that compresses about as well as prose does (between 4 and 5 to 1)."""
    words = ["".join(rnd.choices("etaoinshrdlucmfwyp", k=rnd.randint(4, 10))) for _ in range(100)]
    return " ".join(rnd.choices(words, k=n_chars // 6 + 1))[:n_chars]


def _inline_rows(first_row: int, cells: int, columns: int, rnd: random.Random) -> str:
    """`cells` cells of random, incompressible inline text, `columns` to a row."""
    letters = [_letters(c) for c in range(1, columns + 1)]
    noise = base64.b64encode(rnd.randbytes(cells * 18)).decode()
    rows, k = [], 0
    for r in range(first_row, first_row + -(-cells // columns)):
        row = [f'<row r="{r}">']
        for letter in letters[: min(columns, cells - k)]:
            text = noise[k * 24 : k * 24 + 24]
            row.append(f'<c r="{letter}{r}" t="inlineStr"><is><t>{text}</t></is></c>')
            k += 1
        rows.append("".join(row) + "</row>")
    return "".join(rows)


def _number_rows(first_row: int, cells: int, columns: int, rnd: random.Random) -> str:
    letters = [_letters(c) for c in range(1, columns + 1)]
    rows, k = [], 0
    for r in range(first_row, first_row + -(-cells // columns)):
        row = "".join(
            f'<c r="{letter}{r}"><v>{rnd.random():.6f}</v></c>'
            for letter in letters[: min(columns, cells - k)]
        )
        rows.append(f'<row r="{r}">{row}</row>')
        k += columns
    return "".join(rows)


def make_many_cells(issued: Path, path: Path) -> None:
    """The adversarial return: 1.5 million cells of text on the hidden Lists sheet."""
    ret = Return(issued)
    ret.add_rows("Lists", _inline_rows(100, 1_500_000, 20, random.Random(1)))
    ret.write(path)


def make_huge_text(issued: Path, path: Path) -> None:
    """About 185 MB of shared strings: 620,000 strings of 300 characters (openpyxl's cost
    is mostly per string, so this is far worse than fewer, longer ones)."""
    ret = Return(issued)
    rnd = random.Random(2)
    pool = _words(rnd, 8 * 1024 * 1024)  # slices of it, too far apart to compress better
    starts = [rnd.randrange(len(pool) - 300) for _ in range(620_000)]
    ret.add_strings([pool[s : s + 300] for s in starts])
    ret.write(path)


def make_far_cell(issued: Path, path: Path) -> None:
    """One empty formatted cell at XFD1048576 on the Return sheet: before the gate bounded
    the used range, the reader walked every row down to it."""
    ret = Return(issued)
    ret.add_rows("Return", '<row r="1048576"><c r="XFD1048576" s="1"/></row>')
    ret.write(path)


# The pass-* files at scale 1 are past the default limits; the largest scale that passes is
# found by bisection.


def make_cells(issued: Path, path: Path, scale: float) -> None:
    ret = Return(issued)
    rnd = random.Random(3)
    ret.add_rows("Lists", _number_rows(100, int(100_000 * scale), 20, rnd))
    ret.add_rows("Return", _number_rows(2_000, int(100_000 * scale), 15, rnd))
    ret.write(path)


def make_area(issued: Path, path: Path, scale: float) -> None:
    ret = Return(issued)
    row = max(int(40_000 * scale), 100)
    ret.add_rows("Return", f'<row r="{row}"><c r="O{row}"><v>1</v></c></row>')
    ret.write(path)


def make_text(issued: Path, path: Path, scale: float) -> None:
    ret = Return(issued)
    rnd = random.Random(4)
    ret.add_strings([_words(rnd, 150) for _ in range(int(100_000 * scale))])
    ret.write(path)


def make_styles(issued: Path, path: Path, scale: float) -> None:
    ret = Return(issued)
    ret.add_styles(int(100_000 * scale))
    ret.write(path)


def make_mix(issued: Path, path: Path, scale: float) -> None:
    """A little of everything: cells of text, a deep Return sheet, formulas, merged cells,
    shared strings and styles."""
    ret = Return(issued)
    rnd = random.Random(5)
    formulas = "".join(
        f'<row r="{r}"><c r="A{r}"><f>B{r}*2</f><v>0</v></c></row>'
        for r in range(100, 100 + int(10_000 * scale))
    )
    first = 200 + int(10_000 * scale)
    ret.add_rows("Lists", formulas + _inline_rows(first, int(60_000 * scale), 20, rnd))
    merges = "".join(f'<mergeCell ref="D{r}:E{r}"/>' for r in range(100, 100 + int(800 * scale)))
    ret.add_after_data("Lists", f"<mergeCells>{merges}</mergeCells>")
    row = max(int(10_000 * scale), 100)
    ret.add_rows("Return", f'<row r="{row}"><c r="O{row}"><v>1</v></c></row>')
    ret.add_strings([_words(rnd, 300) for _ in range(int(20_000 * scale))])
    ret.add_styles(int(20_000 * scale))
    ret.write(path)


FIXED: dict[str, Callable[[Path, Path], None]] = {
    "many-cells": make_many_cells,
    "huge-text": make_huge_text,
    "far-cell": make_far_cell,
}
SCALED: dict[str, Callable[[Path, Path, float], None]] = {
    "pass-cells": make_cells,
    "pass-area": make_area,
    "pass-text": make_text,
    "pass-styles": make_styles,
    "pass-mix": make_mix,
}


def build(name: str, issued: Path, path: Path) -> None:
    """Make one file (in a child process, so this script stays small)."""
    if name in FIXED:
        FIXED[name](issued, path)
        return
    from ipt_excel.errors import UnsafeWorkbookError
    from ipt_excel.excel.safe_open import open_workbook_safely

    def passes(scale: float) -> bool:
        SCALED[name](issued, path, scale)
        try:
            open_workbook_safely(path)
        except UnsafeWorkbookError:
            return False
        return True

    low, high = 0.0, 1.0
    if passes(high):
        return  # the gate takes even the largest: an older gate, or raised limits
    for _ in range(10):
        middle = (low + high) / 2
        low, high = (middle, high) if passes(middle) else (low, middle)
    SCALED[name](issued, path, low)


# --- running ------------------------------------------------------------------------------


def make_workspace(root: Path, timeout: float) -> Path:
    """A workspace with the example plan issued (reused when it is already there)."""
    workspace = root / "workspace"
    if (workspace / "returns").is_dir():
        return workspace
    for command in (
        ipt("init", "--example", "-w", workspace),
        ipt("issue", "--round", "R", "--date", "2012-09-26", "-w", workspace),
    ):
        run = run_measured(command, root, timeout)
        if run.exit_code != 0:
            sys.exit(f"{' '.join(command[3:])} failed:\n{run.output}")
    return workspace


def measure(root: Path, names: list[str], timeout: float) -> None:
    workspace = make_workspace(root, timeout)
    issued = max((workspace / "returns").rglob("*.xlsx"), key=lambda p: p.stat().st_size)
    print(
        f"{'file':<12} {'size':>8}  {'gate says':<15} {'gate s':>7} {'gate MB':>8}   "
        f"{'check s':>8} {'cpu s':>6} {'check MB':>9} {'exit':>5}"
    )
    worst = (0.0, 0.0)
    for name in ["issued", *names]:
        path = issued if name == "issued" else root / f"{name}.xlsx"
        if not path.exists():
            command = [sys.executable, __file__, "--build", name, str(issued), str(path)]
            if (made := run_measured(command, root, 10 * timeout)).exit_code != 0:
                sys.exit(f"building {name} failed:\n{made.output}")
        gate = run_measured([sys.executable, "-c", GATE, str(path)], root, timeout)
        outcome, _, seconds = gate.output.strip().rpartition("\n")[-1].partition(" ")
        if gate.exit_code:
            outcome, seconds = "failed", f"{gate.wall:.1f}"
        check = run_measured(
            ipt("check", path, "-w", workspace, "--feedback", root / "feedback"), root, timeout
        )
        worst = (max(worst[0], check.wall), max(worst[1], check.peak_mb))
        killed = " (killed at the timeout)" if check.exit_code == -9 else ""
        print(
            f"{name:<12} {path.stat().st_size / 2**20:>5.1f} MB  {outcome:<15} {seconds:>7} "
            f"{gate.peak_mb:>8.0f}   {check.wall:>8.2f} {check.cpu:>6.2f} {check.peak_mb:>9.0f} "
            f"{check.exit_code:>5}{killed}"
        )
    met = worst[0] <= TARGET_SECONDS and worst[1] <= TARGET_MB
    print(
        f"worst ipt check: {worst[0]:.2f} s, {worst[1]:.0f} MB (target {TARGET_SECONDS:g} s "
        f"and {TARGET_MB:g} MB: {'met' if met else 'NOT met'})"
    )


def main() -> None:
    if sys.argv[1:2] == ["--build"]:
        name, issued, path = sys.argv[2:5]
        build(name, Path(issued), Path(path))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="build in this folder, keep and reuse files")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per command")
    names = [*FIXED, *SCALED]
    parser.add_argument("--only", nargs="+", choices=names, help="files to measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        measure(root.resolve(), args.only or names, args.timeout)


if __name__ == "__main__":
    main()
