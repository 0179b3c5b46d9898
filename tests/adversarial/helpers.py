"""Helpers for the adversarial suite. They drive ipt_excel through its public surface only:

- the CLI (`ipt_excel.cli.app` in process through typer's CliRunner, or `python -m ipt_excel`
  as a real process when it must be killed, bounded or run alongside another);
- files on disk: returns are filled and damaged with openpyxl or by rewriting the .xlsx zip
  and its XML; the master is read back with openpyxl; the ledger with sqlite3, from a copy so
  that reading it never leaves a -wal or -shm file in the workspace;
- the check report (`ipt check --report r.csv`), whose Rule column says why a file was refused.

Nothing here imports the library's internals, so the suite survives a refactor of them. What
the suite knows of the layout is only what an agency or a coordinator sees: a `Return` sheet
with a header row whose first cell is `ID`, update columns found by their headings, a very
hidden `_manifest` sheet (A1 marker, A2 signature, A3... the JSON in chunks), and the master's
`Plan` and `Agency updates` sheets.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from signing import sign
from typer.testing import CliRunner

from ipt_excel.cli import app

REPO = Path(__file__).resolve().parents[2]  # `python -m ipt_excel` runs this checkout's package
ROUND = "Third review of progress"
ROUND_SLUG = "third-review-of-progress"
ROUND_DATE = "2012-09-26"
DUE = "2012-09-12"
WIDE = {"COLUMNS": "250"}  # so Rich does not fold table cells
EXCEL_CELL_LIMIT = 32_767

RETURN_SHEET = "Return"
MANIFEST_SHEET = "_manifest"
LISTS_SHEET = "Lists"
FIELDS = {
    "progress": "Progress",
    "rag": "RAG",
    "evidence": "Evidence of impact",
    "next_review": "Date of next review",
}
OPEN_HEADINGS = frozenset(FIELDS.values())

Value = str | int | float | bool | datetime | date | None


# -- running the command -----------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def crashed(self) -> bool:
        """A traceback, an unexpected exception, or an exit code other than 0, 1 and 2."""
        unexpected = self.exception is not None and not isinstance(self.exception, SystemExit)
        return (
            unexpected
            or "Traceback (most recent call last)" in self.output
            or (self.code not in (0, 1, 2))
        )

    def describe(self) -> str:
        exc = f"\nexception: {self.exception!r}" if self.exception is not None else ""
        return (
            f"ipt {' '.join(self.args)}\nexit code {self.code}{exc}\n"
            f"stdout:\n{self.stdout[-1500:]}\nstderr:\n{self.stderr[-3000:]}"
        )


def ipt(*args: str | Path) -> Run:
    """`ipt ARGS` in this process (fast)."""
    argv = tuple(str(a) for a in args)
    result = CliRunner().invoke(app, list(argv), env=WIDE, catch_exceptions=True)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit) and result.exc_info is not None:
        import traceback

        tb = "".join(traceback.format_exception(*result.exc_info))
        return Run(argv, result.exit_code, result.stdout, result.stderr + tb, exc)
    return Run(argv, result.exit_code, result.stdout, result.stderr, exc)


def _limits(memory_bytes: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return apply


def ipt_env() -> dict[str, str]:
    env = {**os.environ, **WIDE}
    env.pop("IPT_WORKSPACE", None)
    return env


def ipt_popen(*args: str | Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """`python -m ipt_excel ARGS` as a real process, in its own session (so it can be killed)."""
    return subprocess.Popen(
        [sys.executable, "-m", "ipt_excel", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ipt_env(),
        cwd=cwd or REPO,
        start_new_session=True,
    )


def ipt_process(*args: str | Path, timeout: float = 60, memory_bytes: int = 1536 * 1024**2) -> Run:
    """`python -m ipt_excel ARGS` as a real process, bounded in time and memory.

    The bounds are a guard for the suite (so a file that costs minutes and gigabytes cannot
    take the machine with it), not a measurement: a run that exceeds them counts as a crash.
    """
    argv = tuple(str(a) for a in args)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ipt_excel", *argv],
            capture_output=True,
            env=ipt_env(),
            cwd=REPO,
            timeout=timeout,
            preexec_fn=_limits(memory_bytes),
        )
    except subprocess.TimeoutExpired as exc:
        return Run(
            argv,
            -1,
            (exc.stdout or b"").decode(errors="replace"),
            (exc.stderr or b"").decode(errors="replace")
            + f"\n[the suite stopped it after {timeout:.0f} s]",
            TimeoutError(f"ipt did not finish within {timeout:.0f} s"),
        )
    return Run(
        argv,
        done.returncode,
        done.stdout.decode(errors="replace"),
        done.stderr.decode(errors="replace"),
    )


# -- the workspace, from the outside ----------------------------------------------------------
@dataclass(frozen=True)
class WS:
    root: Path

    @property
    def master(self) -> Path:
        return self.root / "master.xlsx"

    @property
    def ledger(self) -> Path:
        return self.root / ".ipt" / "ledger.sqlite"

    @property
    def key(self) -> Path:
        return self.root / ".ipt" / "key"

    @property
    def received(self) -> Path:
        return self.root / "received"

    @property
    def history(self) -> Path:
        return self.root / "history"

    @property
    def returns(self) -> Path:
        return self.root / "returns" / ROUND_SLUG

    @property
    def inbox(self) -> Path:
        path = self.root.parent / "inbox"
        path.mkdir(exist_ok=True)
        return path

    @property
    def feedback(self) -> Path:
        return self.root.parent / "feedback"

    @property
    def outside(self) -> Path:
        """A folder outside the workspace, for reports and copies."""
        path = self.root.parent / "out"
        path.mkdir(exist_ok=True)
        return path

    def issued(self, agency: str) -> Path:
        """The return issued to an agency (by its file name: csc, cs, health, police...)."""
        return self.returns / f"{agency.lower()}.xlsx"

    # The commands, with the feedback folder always outside the workspace and the cwd.
    def check(self, *files: Path | str, report: Path | None = None) -> Run:
        extra: list[str | Path] = ["--report", report] if report is not None else []
        return ipt("check", *files, "-w", self.root, "--feedback", self.feedback, *extra)

    def merge(self, *files: Path | str) -> Run:
        return ipt("merge", *files, "-w", self.root, "--feedback", self.feedback)

    def merge_args(self, *files: Path | str) -> list[str | Path]:
        return ["merge", *files, "-w", self.root, "--feedback", self.feedback]


def tree(root: Path) -> dict[str, str]:
    """Every file under `root` (hidden ones included) -> sha256 of its bytes."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def tree_diff(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """What changed between two `tree`s, one line each ([] when byte-identical)."""
    lines = [f"added {p}" for p in sorted(set(after) - set(before))]
    lines += [f"removed {p}" for p in sorted(set(before) - set(after))]
    lines += [f"changed {p}" for p in sorted(set(before) & set(after)) if before[p] != after[p]]
    return lines


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the ledger, read from a copy --------------------------------------------------------------
@contextlib.contextmanager
def ledger_copy(ws: WS) -> Iterator[sqlite3.Connection]:
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in ("", "-wal", "-shm"):
            src = ws.ledger.with_name(ws.ledger.name + suffix)
            if src.exists():
                shutil.copy2(src, Path(tmp) / (ws.ledger.name + suffix))
        db = sqlite3.connect(Path(tmp) / ws.ledger.name)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()


def ledger_tables(ws: WS) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the ledger, every row, in order."""
    with ledger_copy(ws) as db:
        names = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " ORDER BY name"
            )
        ]
        return {n: [tuple(r) for r in db.execute(f'SELECT * FROM "{n}"')] for n in names}


def ledger_rows(ws: WS, table: str) -> list[dict[str, Any]]:
    with ledger_copy(ws) as db:
        return [dict(r) for r in db.execute(f'SELECT * FROM "{table}" ORDER BY rowid')]


def receipts(ws: WS) -> list[dict[str, Any]]:
    return ledger_rows(ws, "receipts")


def live_changes(ws: WS) -> list[dict[str, Any]]:
    return [c for c in ledger_rows(ws, "changes") if not c.get("superseded")]


# -- the master, read back ---------------------------------------------------------------------
def load(path: Path | bytes, **kw: Any) -> Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(io.BytesIO(path) if isinstance(path, bytes) else path, **kw)


def tables(path: Path, *sheets: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of sheets whose first row is their headings, as {heading: value}; one read."""
    wb = load(path, read_only=True)
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        for sheet in sheets:
            rows = list(wb[sheet].iter_rows(values_only=True))
            headings = [str(h) if h is not None else "" for h in rows[0]] if rows else []
            out[sheet] = [
                dict(zip(headings, r, strict=False))
                for r in rows[1:]
                if any(v is not None for v in r)
            ]
    finally:
        wb.close()
    return out


def table(path: Path, sheet: str) -> list[dict[str, Any]]:
    """The rows of a sheet whose first row is its headings, as {heading: value}."""
    return tables(path, sheet)[sheet]


def plan_rows(path: Path) -> dict[str, dict[str, Any]]:
    """The master's Plan sheet by area ID."""
    return {str(r["ID"]): r for r in table(path, "Plan") if r.get("ID") is not None}


def agency_updates(path: Path) -> list[dict[str, Any]]:
    return table(path, "Agency updates")


def longest_cell(path: Path) -> tuple[int, str]:
    """The longest text in any cell of any sheet of a workbook, and where it is."""
    wb = load(path, read_only=True)
    best = (0, "")
    try:
        for sheet in wb.worksheets:
            for row in sheet.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and len(c.value) > best[0]:
                        best = (len(c.value), f"{sheet.title}!{c.coordinate}")
    finally:
        wb.close()
    return best


# -- the check report --------------------------------------------------------------------------
def report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def errors_by_file(rows: Iterable[Mapping[str, str]]) -> dict[str, list[Mapping[str, str]]]:
    out: dict[str, list[Mapping[str, str]]] = {}
    for r in rows:
        if r["Severity"] == "error":
            out.setdefault(r["File"], []).append(r)
    return out


def ok_files(rows: Iterable[Mapping[str, str]]) -> set[str]:
    return {r["File"] for r in rows if r["Rule"] == "ok"}


# -- filling and damaging a return with openpyxl -------------------------------------------------
@dataclass
class Layout:
    """Where things are on a return's Return sheet, found as a person would find them."""

    header_row: int
    columns: dict[str, int]  # heading -> 1-based column
    rows: dict[str, int]  # area ID -> Excel row
    last_row: int

    def col(self, heading_or_field: str) -> int:
        return self.columns[FIELDS.get(heading_or_field, heading_or_field)]

    def cell(self, sheet: Worksheet, area_id: str, heading_or_field: str) -> Cell:
        c = sheet.cell(row=self.rows[area_id], column=self.col(heading_or_field))
        assert isinstance(c, Cell)
        return c

    @property
    def open_columns(self) -> list[int]:
        return sorted(self.columns[h] for h in OPEN_HEADINGS)

    @property
    def width(self) -> int:
        return max(self.columns.values())


def layout(sheet: Worksheet) -> Layout:
    header = next(
        r
        for r in range(1, 40)
        if isinstance(v := sheet.cell(row=r, column=1).value, str) and v.strip() == "ID"
    )
    columns: dict[str, int] = {}
    for c in sheet[header]:
        if isinstance(c.value, str) and c.value.strip():
            columns.setdefault(c.value.strip(), c.column)
    rows: dict[str, int] = {}
    r = header + 1
    while (v := sheet.cell(row=r, column=1).value) not in (None, ""):
        rows[str(v)] = r
        r += 1
    return Layout(header, columns, rows, r - 1)


def resolve(ref: str, sheet: Worksheet, where: Layout, area: str) -> str:
    """A cell address, from a plain one ("Z3") or one named by what a person sees:

    "@Heading"     the cell of `area`'s row under that heading ("@Progress", "@Actions");
    "@+1"          `area`'s row, the first column right of the table;
    "@header+1"    the header row, the first column right of the table;
    "@title"       the first cell with text above the header (the title block);
    "@empty-title" the first empty cell of row 1.
    """
    if not ref.startswith("@"):
        return ref
    name = ref[1:]
    row = where.rows[area]
    if name == "+1":
        return f"{col_letter(where.width + 1)}{row}"
    if name == "header+1":
        return f"{col_letter(where.width + 1)}{where.header_row}"
    if name in ("title", "empty-title"):
        rows = range(1, where.header_row) if name == "title" else range(1, 2)
        for r in rows:
            for c in range(1, where.width + 1):
                if (sheet.cell(row=r, column=c).value in (None, "")) == (name == "empty-title"):
                    return f"{col_letter(c)}{r}"
        raise AssertionError(f"no {name} cell")
    return f"{col_letter(where.col(name))}{row}"


def put(cell: Cell, value: Value) -> None:
    """Set a cell as a person typing it would: text that starts with '=' stays text."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def fill(
    src: Path,
    dst: Path,
    updates: Mapping[str, Mapping[str, Value]] | None = None,
    edit: Callable[[Workbook, Worksheet, Layout], None] | None = None,
) -> Path:
    """Copy the return `src` to `dst` signed off, with update cells filled in (area ID ->
    field -> value), then `edit(workbook, return_sheet, layout)` for anything else, saved
    with openpyxl."""
    wb = sign(load(src))
    sheet = wb[RETURN_SHEET]
    assert isinstance(sheet, Worksheet)
    where = layout(sheet)
    for area_id, fields in (updates or {}).items():
        for f, value in fields.items():
            put(where.cell(sheet, area_id, f), value)
    if edit is not None:
        edit(wb, sheet, where)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def return_rows(path: Path) -> tuple[Layout, dict[str, dict[str, Any]]]:
    """A return's rows by area ID, {heading: value}, and its layout."""
    wb = load(path)
    sheet = wb[RETURN_SHEET]
    assert isinstance(sheet, Worksheet)
    where = layout(sheet)
    rows = {
        rid: {h: sheet.cell(row=r, column=c).value for h, c in where.columns.items()}
        for rid, r in where.rows.items()
    }
    return where, rows


# A valid update for any area: progress, a RAG with the evidence GREEN needs, a later month.
def good_update(text: str, rag: str = "GREEN") -> dict[str, Value]:
    return {
        "progress": text,
        "rag": rag,
        "evidence": f"Evidence: {text}",
        "next_review": "December 2012",
    }


# -- the manifest, read and rewritten ------------------------------------------------------------
def manifest_cells(path: Path) -> list[Any]:
    """Column A of the `_manifest` sheet: marker, signature, then the JSON's chunks."""
    wb = load(path)
    sheet = wb[MANIFEST_SHEET]
    return [c.value for (c,) in sheet.iter_rows(min_col=1, max_col=1)]


def rewrite_manifest(src: Path, dst: Path, cells: Sequence[Any], *, as_text: bool = True) -> Path:
    """Copy `src` to `dst` with column A of `_manifest` replaced by `cells` (None: empty)."""

    def edit(wb: Workbook, _sheet: Worksheet, _where: Layout) -> None:
        m = wb[MANIFEST_SHEET]
        for row in range(1, max(m.max_row, len(cells)) + 1):
            m.cell(row=row, column=1).value = None
        for i, value in enumerate(cells, start=1):
            c = m.cell(row=i, column=1)
            if as_text and isinstance(value, str):
                put(c, value)
            else:
                c.value = value

    return fill(src, dst, None, edit)


def chunks(text: str, size: int = 30_000) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


# -- the zip and its XML, rewritten directly -------------------------------------------------------
def read_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def write_parts(
    dst: Path, parts: Mapping[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dst, "w", compression) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return dst


def rewrite_parts(
    src: Path,
    dst: Path,
    transform: Mapping[str, Callable[[bytes], bytes]] | None = None,
    add: Mapping[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    parts = read_parts(src)
    for name, fn in (transform or {}).items():
        parts[name] = fn(parts[name])
    parts.update(add or {})
    return write_parts(dst, parts, compression=compression)


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part holding a sheet, found through workbook.xml and its relationships."""
    parts = read_parts(path)
    wb_xml = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    m = re.search(r'<sheet [^>]*name="' + re.escape(escape(sheet)) + r'"[^>]*/>', wb_xml)
    assert m, f"no sheet {sheet}"
    rid = re.search(r'r:id="([^"]+)"', m.group(0))
    assert rid
    target = re.search(r'<Relationship [^>]*Id="' + rid.group(1) + r'"[^>]*/>', rels)
    assert target
    t = re.search(r'Target="([^"]+)"', target.group(0))
    assert t
    name = t.group(1).lstrip("/")
    return name if name.startswith("xl/") else "xl/" + name


def set_cell_xml(sheet_xml: bytes, ref: str, cell_xml: str) -> bytes:
    """Put `<c r="ref" ...>` into a sheet's XML, replacing the cell if it is there, adding it
    (and its row) if not. Cells are kept in column order within their row."""
    text = sheet_xml.decode("utf-8")
    row = int(re.sub(r"[A-Z]", "", ref))
    existing = re.search(r'<c r="' + ref + r'"(?:[^>]*/>|[^>]*>.*?</c>)', text, re.S)
    if existing:
        return (text[: existing.start()] + cell_xml + text[existing.end() :]).encode()
    row_m = re.search(r'<row r="' + str(row) + r'"[^>]*?(?:/>|>(.*?)</row>)', text, re.S)
    if row_m is None:
        # A new row, after the last row before it.
        rows = [
            (int(m.group(1)), m)
            for m in re.finditer(r'<row r="(\d+)"[^>]*?(?:/>|>.*?</row>)', text, re.S)
        ]
        before = [m for n, m in rows if n < row]
        at = before[-1].end() if before else text.index("<sheetData>") + len("<sheetData>")
        if "<sheetData/>" in text:
            text = text.replace("<sheetData/>", "<sheetData></sheetData>")
            at = text.index("<sheetData>") + len("<sheetData>")
        return (text[:at] + f'<row r="{row}">{cell_xml}</row>' + text[at:]).encode()
    whole = row_m.group(0)
    if whole.endswith("/>"):
        new_row = whole[:-2] + ">" + cell_xml + "</row>"
    else:
        new_row = whole[: -len("</row>")] + cell_xml + "</row>"
        # keep column order: sort the row's cells by column
        cells = re.findall(r'<c r="[A-Z]+\d+"(?:[^>]*/>|[^>]*>.*?</c>)', new_row, re.S)
        head = new_row[: new_row.index("<c ")] if "<c " in new_row else new_row
        cells.sort(key=lambda c: _col_number(re.match(r'<c r="([A-Z]+)', c).group(1)))  # type: ignore[union-attr]
        new_row = head + "".join(cells) + "</row>"
    return (text[: row_m.start()] + new_row + text[row_m.end() :]).encode()


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def col_letter(n: int) -> str:
    s = ""
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


def inline_str(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


# -- the suite's tally -----------------------------------------------------------------------------
OUTCOMES = ("refused rightly", "accepted rightly", "crashed", "lost", "wrong outcome")


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    tried: int = 0

    def add(self, outcome: str) -> None:
        assert outcome in self.counts, outcome
        self.tried += 1
        self.counts[outcome] += 1

    def line(self) -> str:
        c = self.counts
        return (
            f"adversarial: tried {self.tried}, refused rightly {c['refused rightly']}, "
            f"accepted rightly {c['accepted rightly']}, crashed {c['crashed']}, lost {c['lost']}"
            f", wrong outcome {c['wrong outcome']}"
        )


TALLY = Tally()


def judge(run: Run, *, refused: bool, right: bool, lost: bool = False) -> None:
    """Count one case: crashed beats lost beats right or wrong."""
    if run.crashed:
        TALLY.add("crashed")
    elif lost:
        TALLY.add("lost")
    elif right:
        TALLY.add("refused rightly" if refused else "accepted rightly")
    else:
        TALLY.add("wrong outcome")


def dumps_compact(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
