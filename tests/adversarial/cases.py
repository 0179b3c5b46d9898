"""A hostile case, what it must give, and the two runs that judge it: `ipt check` and `ipt merge`.

Every case is tried beside a valid return (the "good" one), in one batch, so a case that ends
the command is seen as what it is: the good return not merged. A case is judged:

- by `ipt check FILES --report r.csv`: its exit code, the report's rows for each file (a file
  refused as a whole has exactly one error row, whose Rule says why), no traceback, and the
  workspace byte-identical afterwards (check changes nothing);
- by `ipt merge FILES`: one receipt per file in the ledger, "merged" for the good one and for
  an accepted case, "rejected" for a refused one; every update of an accepted case in the
  ledger's changes and in the master (else it is "lost"); the master unchanged by a refused one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .helpers import (
    RETURN_SHEET,
    WS,
    Run,
    errors_by_file,
    judge,
    layout,
    live_changes,
    load,
    ok_files,
    receipts,
    report_rows,
    resolve,
    tables,
    tree,
    tree_diff,
)

ACCEPTED = "accepted"
REFUSED = "refused"


@dataclass(frozen=True)
class Expect:
    """What a case must give.

    accepted: valid in `ipt check`, merged by `ipt merge`, with `updates` in the ledger and
    the master: {(area ID, field): the value as merged}.
    refused: not valid; `rules` are the rules any of which the file's error rows must show
    (at least one row has one of them); `one_row` when the file is refused as a whole (exactly
    one error row); `cell`, when given, is a cell one of the error rows must name.
    """

    outcome: str
    rules: frozenset[str] = frozenset()
    one_row: bool = False
    cell: str = ""
    updates: Mapping[tuple[str, str], str] = field(default_factory=dict)
    agency: str = ""  # the agency key the updates are recorded under


def accepted(agency: str = "", **updates: str) -> Expect:
    """Accepted; updates given as area__field="value" (area "1.4" written 1_4)."""
    parsed = {}
    for key, value in updates.items():
        area, f = key.split("__")
        parsed[(area.replace("_", "."), f)] = value
    return Expect(ACCEPTED, updates=parsed, agency=agency)


def refused(*rules: str, one_row: bool = False, cell: str = "") -> Expect:
    return Expect(REFUSED, frozenset(rules), one_row=one_row, cell=cell)


def whole_file(*rules: str) -> Expect:
    """Refused as a whole: exactly one error row, with one of `rules`."""
    return Expect(REFUSED, frozenset(rules), one_row=True)


Maker = Callable[[WS, Path], Path]  # (workspace, folder to write in) -> the file


@dataclass(frozen=True)
class Case:
    name: str
    make: Maker
    expect: Expect
    agency: str = "csc"  # whose return it is made from (for cells named like "@Progress")
    area: str = "1.4"  # the area of cells named like "@Progress"

    def __str__(self) -> str:
        return self.name


def _file_verdict(
    expect: Expect, name: str, errors: Mapping[str, list[Mapping[str, str]]], ok: set[str]
) -> list[str]:
    """What is wrong with a file's rows in a check report ([] when they are as expected)."""
    rows = errors.get(name, [])
    found = [f"{r['Rule']}@{r['Cell'] or '-'}" for r in rows]
    if expect.outcome == ACCEPTED:
        if rows or name not in ok:
            return [f"{name}: expected valid, found errors {found}"]
        return []
    problems = []
    if not rows:
        problems.append(f"{name}: expected refused ({sorted(expect.rules)}), but it is valid")
        return problems
    if expect.one_row and len(rows) != 1:
        problems.append(f"{name}: expected exactly one error row, found {found}")
    if expect.rules and not {r["Rule"] for r in rows} & expect.rules:
        problems.append(f"{name}: expected a rule in {sorted(expect.rules)}, found {found}")
    if expect.cell and expect.cell not in {r["Cell"] for r in rows}:
        problems.append(f"{name}: expected an error at {expect.cell}, found {found}")
    return problems


@dataclass
class CheckOutcome:
    run: Run
    errors: dict[str, list[Mapping[str, str]]]
    ok: set[str]
    changed: list[str]  # what changed in the workspace (must be nothing)
    rows: list[dict[str, str]]


def check(ws: WS, files: list[Path]) -> CheckOutcome:
    report = ws.outside / "check-report.csv"
    report.unlink(missing_ok=True)
    before = tree(ws.root)
    run = ws.check(*files, report=report)
    changed = tree_diff(before, tree(ws.root))
    rows = report_rows(report) if report.exists() else []
    return CheckOutcome(run, errors_by_file(rows), ok_files(rows), changed, rows)


def check_problems(
    out: CheckOutcome, expected: Mapping[str, Expect], names: list[str]
) -> list[str]:
    """Everything wrong with one `ipt check` of several files ([] when all is as expected)."""
    problems: list[str] = []
    if out.run.crashed:
        problems.append("ipt check crashed:\n" + out.run.describe())
        return problems
    want_code = 0 if all(e.outcome == ACCEPTED for e in expected.values()) else 1
    if out.run.code != want_code:
        problems.append(
            f"ipt check exited {out.run.code}, expected {want_code}:\n" + out.run.describe()
        )
    if out.changed:
        problems.append(f"ipt check changed the workspace: {out.changed}")
    reported = {r["File"] for r in out.rows}
    for name in names:
        if name not in reported:
            problems.append(f"{name}: no row at all in the check report")
    for name, expect in expected.items():
        problems.extend(_file_verdict(expect, name, out.errors, out.ok))
    return problems


HEADINGS = {
    "progress": "Progress",
    "rag": "RAG",
    "evidence": "Evidence of impact",
    "next_review": "Date of next review",
}


@dataclass(frozen=True)
class MasterView:
    """The master's Plan rows and Agency updates, read once."""

    plan: dict[str, dict[str, Any]]
    updates: list[dict[str, Any]]

    @classmethod
    def of(cls, ws: WS) -> MasterView:
        sheets = tables(ws.master, "Plan", "Agency updates")
        plan = {str(r["ID"]): r for r in sheets["Plan"] if r.get("ID") is not None}
        return cls(plan, sheets["Agency updates"])

    def shows(self, agency: str, area: str, f: str, value: str) -> bool:
        """The merged value is on the master: on the Plan row, or on the Agency updates sheet
        (for an area several agencies share, whose Plan cell shows each one's words, labelled)."""
        heading = HEADINGS[f]
        shown = _text(self.plan.get(area, {}).get(heading))
        if shown == value or (f in ("progress", "evidence") and value in shown):
            return True
        return any(
            str(u.get("ID")) == area
            and u.get("Agency") == agency
            and _text(u.get(heading)) == value
            for u in self.updates
        )


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def lost_updates(ws: WS, expect: Expect, *, on_master: bool = True) -> list[str]:
    """Updates of an accepted case that are not in the ledger's changes or (`on_master`) on
    the master."""
    if not expect.updates:
        return []
    lost = []
    changes = live_changes(ws)
    master = MasterView.of(ws) if on_master else None
    for (area, f), value in expect.updates.items():
        in_ledger = any(
            c["agency"] == expect.agency
            and c["area_id"] == area
            and c["field"] == f
            and c["new"] == value
            for c in changes
        )
        if not in_ledger:
            lost.append(f"{area} {f}={value[:60]!r} is not among the ledger's changes")
        if master is not None and not master.shows(expect.agency, area, f, value):
            lost.append(f"{area} {f}={value[:60]!r} is not on the master")
    return lost


@dataclass
class MergeOutcome:
    run: Run
    outcomes: dict[str, list[str]]  # file name -> the outcomes of its new receipts


def merge(ws: WS, files: list[Path]) -> MergeOutcome:
    known = len(receipts(ws))
    run = ws.merge(*files)
    outcomes: dict[str, list[str]] = {}
    for r in receipts(ws)[known:]:
        outcomes.setdefault(r["file_name"], []).append(r["outcome"])
    return MergeOutcome(run, outcomes)


def merge_problems(
    out: MergeOutcome, expected: Mapping[str, Expect], names: list[str]
) -> list[str]:
    problems: list[str] = []
    if out.run.crashed:
        return ["ipt merge crashed:\n" + out.run.describe()]
    want_code = 0 if all(e.outcome == ACCEPTED for e in expected.values()) else 1
    if out.run.code != want_code:
        problems.append(
            f"ipt merge exited {out.run.code}, expected {want_code}:\n" + out.run.describe()
        )
    for name in names:
        if name not in out.outcomes and name not in expected:
            problems.append(f"{name}: no receipt in the ledger")
    for name, expect in expected.items():
        got = out.outcomes.get(name, [])
        want = ["merged"] if expect.outcome == ACCEPTED else ["rejected"]
        if got != want:
            problems.append(f"{name}: ledger receipts {got}, expected {want}")
    return problems


def _resolved(ws: WS, case: Case) -> Expect:
    """The case's Expect with a cell named like "@Progress" turned into its address, found on
    the return as issued (so the suite follows the return's layout, whatever it becomes)."""
    if not case.expect.cell.startswith("@"):
        return case.expect
    wb = load(ws.issued(case.agency))
    sheet = wb[RETURN_SHEET]
    cell = resolve(case.expect.cell, sheet, layout(sheet), case.area)
    return replace(case.expect, cell=cell)


def try_case(ws: WS, good: Path, good_expect: Expect, case: Case) -> None:
    """Run one case beside the good return through check and merge; count it; assert."""
    folder = ws.root.parent / "cases"
    folder.mkdir(exist_ok=True)
    bad = case.make(ws, folder)
    files = [good, bad]
    expected = {good.name: good_expect, bad.name: _resolved(ws, case)}
    names = [f.name for f in files]

    checked = check(ws, files)
    problems = check_problems(checked, expected, names)
    master_before = ws.master.read_bytes()
    merged = merge(ws, files)
    problems += merge_problems(merged, expected, names)
    # The good return is the same in every case: its updates are looked for in the ledger (the
    # master is read for the case's own updates, and by the tests of item 2 and the kills).
    lost = lost_updates(ws, good_expect, on_master=False)
    if case.expect.outcome == ACCEPTED:
        lost += lost_updates(ws, case.expect)
    if not any(o == "merged" for outs in merged.outcomes.values() for o in outs):
        if ws.master.read_bytes() != master_before:
            problems.append("the master changed although nothing was merged")
    if lost:
        problems.append(f"lost: {lost}")
    crashed = checked.run if checked.run.crashed else merged.run
    judge(
        crashed,
        refused=case.expect.outcome == REFUSED,
        right=not problems,
        lost=bool(lost),
    )
    assert not problems, f"case {case.name}:\n" + "\n".join(problems)
