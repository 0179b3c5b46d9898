"""Mutation fuzzing of a valid return with hypothesis (issue 10).

Each example takes CSC's return as issued (a valid return: 19 areas) and makes 1 to 4 random
edits of random types (text, text that starts with '=', '+', '-' or '@', real formulas, Excel
error values, numbers, dates, booleans, empty; RAG and review-date values) in random cells of
random places (open update cells, locked plan text, the header row, the title block, outside
the table, the hidden Lists sheet, the very hidden _manifest sheet, a new sheet), saved with
openpyxl. Then `ipt check` and `ipt merge` are run on it. The property:

- check and merge agree (valid in check <=> merged by merge);
- `ipt check` changes no byte of the workspace;
- ACCEPTED means every changed cell is an open update cell and its value valid, and every
  value entered is in the ledger's changes and on the master afterwards;
- REFUSED means master.xlsx is byte-identical to before and every ledger table except
  `receipts` is row-for-row identical. By design (receive.py) a rejected file is still
  archived as received/<sha256>.xlsx and gets one receipt row with outcome "rejected", so the
  ledger file's bytes do change: the receipts table must hold exactly one new row, rejected,
  for this file, and received/ exactly this file; nothing else in the workspace may change.

What a valid value is comes from "What a return checks" in the README, applied by an oracle
that only decides what it is sure of: a value it cannot judge (a random review date) leaves
the example's verdict open, and then only the byte-identity and agreement parts are asserted.

Reproducible: derandomized, no example database, no shrinking (each example costs a check and
a merge; the failing examples are reported in full instead). Rather than stop at the first
failing example, each test runs all its examples and then reports every one that broke the
property, grouped by what broke.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from .cases import MasterView
from .helpers import (
    EXCEL_CELL_LIMIT,
    FIELDS,
    LISTS_SHEET,
    MANIFEST_SHEET,
    RETURN_SHEET,
    TALLY,
    WS,
    Layout,
    errors_by_file,
    fill,
    layout,
    ledger_tables,
    live_changes,
    load,
    ok_files,
    receipts,
    report_rows,
    sha256,
    tree,
    tree_diff,
)

AGENCY = "csc"
AGENCY_KEY = "CSC"
ROUND_DATE = date(2012, 9, 26)
EXAMPLES = 50
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    report_multiple_bugs=False,
)


# -- values ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class V:
    """A value to put in a cell, and what the oracle knows about it."""

    kind: str  # text, formula, error, number, date, bool, none, rag, review
    value: Any
    review: str | None = None  # for kind "review": the value as merged, or "" when invalid

    def __repr__(self) -> str:
        shown = repr(self.value)
        return f"{self.kind}:{shown[:60] + '…' if len(shown) > 60 else shown}"


def display(value: Any) -> str:
    """A cell's value as a person reads it (the README's rules: TRUE, 26/09/2012, 42)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
    | st.sampled_from("\n\t "),
    max_size=30,
)
REVIEW_VALID = {
    "October 2012": "October 2012",
    "March 2013": "March 2013",
    "Not required": "Not required",
    "26/10/2012": "26/10/2012",
}
REVIEW_INVALID = ("banana", "September 2012", "01/09/2011", "Octember 2012", "13/13/2013")
RAGS = ("RED", "AMBER", "GREEN", " green ", "red", "", "PURPLE", "G", "=RED", "Green!")
FORMULAS = ("=SUM(1,2)", '=WEBSERVICE("http://evil.example/")', "=A1", '=HYPERLINK("http://x","y")')
ERRORS = ("#N/A", "#DIV/0!", "#REF!", "#VALUE!")


def values(*, errors: bool, over_long: bool) -> st.SearchStrategy[V]:
    long_texts = ["x" * EXCEL_CELL_LIMIT, "y" * 5000]
    if over_long:
        long_texts.append("🙂" * 16_384)  # 32,768 UTF-16 units, one more than a cell holds
    choices = [
        TEXT.map(lambda t: V("text", t)),
        st.tuples(st.sampled_from("=+-@"), TEXT).map(lambda p: V("text", p[0] + p[1])),
        st.sampled_from(long_texts).map(lambda t: V("text", t)),
        st.sampled_from(FORMULAS).map(lambda f: V("formula", f)),
        st.integers(-(10**6), 10**6).map(lambda n: V("number", n)),
        st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False).map(lambda x: V("number", x)),
        st.dates(date(1990, 1, 1), date(2040, 12, 31)).map(
            lambda d: V("date", datetime(d.year, d.month, d.day))
        ),
        st.booleans().map(lambda b: V("bool", b)),
        st.just(V("none", None)),
        st.sampled_from(RAGS).map(lambda r: V("rag", r)),
        st.sampled_from(sorted(REVIEW_VALID)).map(lambda r: V("review", r, REVIEW_VALID[r])),
        st.sampled_from(REVIEW_INVALID).map(lambda r: V("review", r, "")),
    ]
    if errors:
        choices.append(st.sampled_from(ERRORS).map(lambda e: V("error", e)))
    return st.one_of(*choices)


# -- places ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Where:
    sheet: str  # a sheet name; "Notes" is a new sheet
    row: int
    col: int
    place: str  # open, locked, header, title, outside, lists, manifest, new-sheet

    def __repr__(self) -> str:
        from .helpers import col_letter

        return f"{self.sheet}!{col_letter(self.col)}{self.row}({self.place})"


@dataclass(frozen=True)
class Issued:
    """The return as issued: its layout and every cell's text."""

    path: Path
    where: Layout
    cells: dict[tuple[str, int, int], tuple[str, bool]]  # -> (text, is formula)
    ids: dict[int, str]  # Excel row -> area ID

    def before(self, w: Where) -> tuple[str, bool]:
        return self.cells.get((w.sheet, w.row, w.col), ("", False))


def read_issued(path: Path) -> Issued:
    wb = load(path)
    cells = {}
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                if c.value is not None:
                    cells[(sheet.title, c.row, c.column)] = (display(c.value), c.data_type == "f")
    sheet = wb[RETURN_SHEET]
    assert isinstance(sheet, Worksheet)
    where = layout(sheet)
    return Issued(path, where, cells, {r: rid for rid, r in where.rows.items()})


def places(issued: Issued, *, anywhere: bool) -> st.SearchStrategy[Where]:
    lay = issued.where
    first, last, width = lay.header_row + 1, lay.last_row, lay.width
    opened = lay.open_columns
    locked = [c for c in range(1, width + 1) if c not in opened]
    data_rows = st.integers(first, last)
    choices = [
        st.builds(
            lambda r, c: Where(RETURN_SHEET, r, c, "open"), data_rows, st.sampled_from(opened)
        ),
        st.builds(
            lambda r, c: Where(RETURN_SHEET, r, c, "open"), data_rows, st.sampled_from(opened)
        ),
        st.builds(
            lambda r, c: Where(RETURN_SHEET, r, c, "locked"), data_rows, st.sampled_from(locked)
        ),
        st.builds(
            lambda c: Where(RETURN_SHEET, lay.header_row, c, "header"), st.integers(1, width)
        ),
        st.builds(lambda r: Where(MANIFEST_SHEET, r, 1, "manifest"), st.integers(1, 3)),
    ]
    if anywhere:
        choices += [
            st.builds(
                lambda r, c: Where(RETURN_SHEET, r, c, "title"),
                st.integers(1, lay.header_row - 1),
                st.integers(1, width),
            ),
            st.builds(
                lambda r, c: Where(RETURN_SHEET, r, c, "outside"),
                st.integers(1, last + 3),
                st.integers(width + 1, width + 4),
            ),
            st.builds(
                lambda r, c: Where(RETURN_SHEET, r, c, "outside"),
                st.integers(last + 2, last + 6),
                st.integers(1, width),
            ),
            st.builds(
                lambda r, c: Where(LISTS_SHEET, r, c, "lists"),
                st.integers(1, 22),
                st.integers(1, 4),
            ),
            st.builds(
                lambda r, c: Where(MANIFEST_SHEET, r, c, "manifest"),
                st.integers(1, 6),
                st.integers(1, 3),
            ),
            st.builds(
                lambda r, c: Where("Notes", r, c, "new-sheet"), st.integers(1, 3), st.integers(1, 3)
            ),
        ]
    return st.one_of(*choices)


Mutation = tuple[Where, V]


def valid_updates(issued: Issued) -> st.SearchStrategy[Mutation]:
    """An update a careful agency might type: the right kind of value in an open cell."""
    lay = issued.where
    rows = st.integers(lay.header_row + 1, lay.last_row)
    text = TEXT.filter(lambda t: bool(t.strip())).map(lambda t: V("text", t))

    def at(field: str, value: st.SearchStrategy[V]) -> st.SearchStrategy[Mutation]:
        col = lay.col(field)
        return st.tuples(rows.map(lambda r: Where(RETURN_SHEET, r, col, "open")), value)

    return st.one_of(
        at("progress", text),
        at("evidence", text),
        at("rag", st.sampled_from(("RED", "AMBER", "GREEN", " amber ")).map(lambda r: V("rag", r))),
        at(
            "next_review",
            st.sampled_from(sorted(REVIEW_VALID)).map(lambda r: V("review", r, REVIEW_VALID[r])),
        ),
    )


def apply(mutations: list[Mutation]) -> Callable[[Workbook, Worksheet, Layout], None]:
    def edit(wb: Workbook, _sheet: Worksheet, _where: Layout) -> None:
        for w, v in mutations:
            if w.sheet not in wb.sheetnames:
                wb.create_sheet(w.sheet)
            sheet = wb[w.sheet]
            sheet.protection.sheet = False
            cell = sheet.cell(row=w.row, column=w.col)
            cell.value = v.value
            if v.kind not in ("formula", "error") and isinstance(v.value, str):
                cell.data_type = "s"  # typed text, even when it starts with '='

    return edit


# -- the oracle ------------------------------------------------------------------------------------
MUST_REFUSE, MUST_ACCEPT, OPEN = "must refuse", "must accept", "either"


@dataclass
class Verdict:
    expect: str
    why: list[str]
    entered: dict[tuple[str, str], str]  # (area, field) -> value as merged


def _norm_text(t: str) -> str:
    return t.replace("\r\n", "\n").replace("\r", "\n").rstrip()


def _utf16(t: str) -> int:
    return len(t.encode("utf-16-le")) // 2


def judge_mutations(issued: Issued, mutations: list[Mutation]) -> Verdict:
    final: dict[tuple[str, int, int], tuple[Where, V]] = {}
    for w, v in mutations:
        final[(w.sheet, w.row, w.col)] = (w, v)
    why: list[str] = []
    unknown: list[str] = []
    open_cells: dict[tuple[int, str], V] = {}
    heading_of = {c: h for h, c in issued.where.columns.items()}
    field_of = {h: f for f, h in FIELDS.items()}
    for w, v in final.values():
        text, was_formula = issued.before(w)
        new_text = display(v.value)
        is_formula = v.kind == "formula"
        if w.place == "header":
            same = " ".join(text.split()).casefold() == " ".join(new_text.split()).casefold()
        else:
            same = text == new_text and was_formula == is_formula and v.kind != "error"
        if same:
            continue
        if w.place == "open":
            open_cells[(w.row, field_of[heading_of[w.col]])] = v
            continue
        if not text and not new_text.strip() and v.kind not in ("formula", "error"):
            unknown.append(f"{w!r}: empty where it was empty")
            continue
        why.append(f"{w!r} changed from {text[:30]!r} to {v!r}")
    entered: dict[tuple[str, str], str] = {}
    for row in sorted({r for r, _ in open_cells}):
        area = issued.ids[row]
        texts: dict[str, str] = {}
        was_entered: dict[str, bool] = {}
        for f, heading in FIELDS.items():
            old = issued.cells.get((RETURN_SHEET, row, issued.where.columns[heading]), ("", False))[
                0
            ]
            v = open_cells.get((row, f))
            if v is None:
                texts[f], was_entered[f] = old, False
                continue
            cell = f"{area} {f} = {v!r}"
            if v.kind in ("formula", "error"):
                why.append(f"{cell}: a {v.kind} in an update cell")
                texts[f], was_entered[f] = old, False
                continue
            new = display(v.value)
            if f == "next_review":
                if new == old:
                    texts[f], was_entered[f] = old, False
                elif v.kind == "review" and v.review:
                    texts[f], was_entered[f] = v.review, v.review != old
                    if was_entered[f]:
                        entered[(area, f)] = v.review
                elif v.kind == "review":
                    why.append(f"{cell}: not a valid date of next review")
                    texts[f], was_entered[f] = new, True
                elif v.kind == "none" or not new.strip():
                    unknown.append(f"{cell}: an emptied review date")
                    texts[f], was_entered[f] = new, True
                else:
                    unknown.append(f"{cell}: the oracle cannot read this review date")
                    texts[f], was_entered[f] = new, True
                continue
            norm = new.strip().upper() if f == "rag" else _norm_text(new)
            old_norm = old.strip().upper() if f == "rag" else _norm_text(old)
            texts[f] = norm
            was_entered[f] = new != old and norm != old_norm
            if not was_entered[f]:
                continue
            if _utf16(new) > EXCEL_CELL_LIMIT:
                why.append(f"{cell}: longer than a cell holds")
            if f == "rag" and norm not in ("", "RED", "AMBER", "GREEN"):
                why.append(f"{cell}: not a RAG rating")
            entered[(area, f)] = norm
        rag = texts["rag"].strip().upper()
        if (
            (was_entered["rag"] or was_entered["progress"])
            and rag
            and not _norm_text(texts["progress"])
        ):
            why.append(f"{area}: a RAG with no progress")
        if (
            (was_entered["rag"] or was_entered["evidence"])
            and rag == "GREEN"
            and not _norm_text(texts["evidence"])
        ):
            why.append(f"{area}: GREEN with no evidence")
    if why:
        return Verdict(MUST_REFUSE, why, entered)
    if unknown:
        return Verdict(OPEN, unknown, entered)
    return Verdict(MUST_ACCEPT, [], entered)


# -- one example -----------------------------------------------------------------------------------
def _ledger_without_receipts(ws: WS) -> dict[str, list[tuple[Any, ...]]]:
    return {k: v for k, v in ledger_tables(ws).items() if k != "receipts"}


def run_example(
    issued_root: Path, scratch: Path, issued: Issued, mutations: list[Mutation]
) -> tuple[str, str]:
    """One example: ("", "") when the property holds, else (what broke, the details); the
    tally is kept."""
    if scratch.exists():
        shutil.rmtree(scratch)
    ws = WS(Path(shutil.copytree(issued_root, scratch / "ws")))
    verdict = judge_mutations(issued, mutations)
    ret = fill(ws.issued(AGENCY), scratch / "mutated.xlsx", None, apply(mutations))
    report = scratch / "report.csv"
    before = tree(ws.root)
    checked = ws.check(ret, report=report)
    rows = report_rows(report) if report.exists() else []
    valid = ret.name in ok_files(rows)
    errors = [f"{r['Rule']}@{r['Cell']}" for r in errors_by_file(rows).get(ret.name, [])]
    broke: list[tuple[str, str]] = []  # (kind, detail)
    if checked.crashed or checked.code not in (0, 1):
        broke.append((f"ipt check exit {checked.code}", checked.describe()))
    if diff := tree_diff(before, tree(ws.root)):
        broke.append(("ipt check changed the workspace", str(diff)))

    master_before = ws.master.read_bytes()
    ledger_before = _ledger_without_receipts(ws)
    known = len(receipts(ws))
    before = tree(ws.root)
    merged = ws.merge(ret)
    if merged.crashed or merged.code not in (0, 1):
        broke.append((f"ipt merge exit {merged.code}", merged.describe()))
    outcomes = [r["outcome"] for r in receipts(ws)[known:]]
    accepted = outcomes in (["merged"], ["unchanged"])
    if valid != accepted and not broke:
        broke.append(("check and merge disagree", f"valid={valid}, merge receipts {outcomes}"))
    lost = False
    if accepted:
        if verdict.expect == MUST_REFUSE:
            places_ = sorted({w.place for w, _ in mutations if repr(w) in " ".join(verdict.why)})
            kind = (
                "accepted a change outside the open cells"
                if places_
                else "accepted an invalid value"
            )
            broke.append((f"{kind} ({'/'.join(places_) or 'open'})", "; ".join(verdict.why)))
        changes = live_changes(ws)
        master = MasterView.of(ws) if verdict.entered else None
        for (area, f), value in verdict.entered.items():
            in_ledger = any(
                c["agency"] == AGENCY_KEY
                and c["area_id"] == area
                and c["field"] == f
                and c["new"] == value
                for c in changes
            )
            if not in_ledger or not (master and master.shows(AGENCY_KEY, area, f, value)):
                lost = True
                broke.append(
                    (
                        "lost an accepted update",
                        f"{area} {f} = {value[:40]!r} (in ledger: {in_ledger})",
                    )
                )
    else:
        if verdict.expect == MUST_ACCEPT:
            broke.append(("refused a valid return", f"errors {errors}"))
        if ws.master.read_bytes() != master_before:
            broke.append(("refused, but master.xlsx changed", ""))
        if _ledger_without_receipts(ws) != ledger_before:
            broke.append(("refused, but ledger tables other than receipts changed", ""))
        if outcomes != ["rejected"] and not merged.crashed:
            broke.append(("refused, with other receipts", str(outcomes)))
        allowed = {
            f"added received/{sha256(ret)}.xlsx",
            "changed .ipt/ledger.sqlite",
            "changed .ipt/lock",
        }
        if extra := set(tree_diff(before, tree(ws.root))) - allowed:
            broke.append(("refused, but the workspace changed", str(sorted(extra))))
    if checked.crashed or merged.crashed:
        TALLY.add("crashed")
    elif lost:
        TALLY.add("lost")
    elif broke:
        TALLY.add("wrong outcome")
    else:
        TALLY.add("accepted rightly" if accepted else "refused rightly")
    if not broke:
        return "", ""
    detail = (
        f"{mutations!r}\n    oracle: {verdict.expect}; check errors: {errors}\n    "
        + "\n    ".join(f"{k}: {d[:600]}" for k, d in broke)
    )
    return broke[0][0], detail


def fuzz(issued_root: Path, scratch: Path, *, anywhere: bool) -> None:
    issued = read_issued(WS(issued_root).issued(AGENCY))
    failures: dict[str, list[str]] = {}
    tried = [0]
    anything = st.tuples(
        places(issued, anywhere=anywhere), values(errors=anywhere, over_long=anywhere)
    )
    mutation = st.one_of(valid_updates(issued), anything, anything)

    @FUZZ
    @given(st.lists(mutation, min_size=1, max_size=4))
    def example(mutations: list[Mutation]) -> None:
        tried[0] += 1
        kind, detail = run_example(issued_root, scratch, issued, mutations)
        if kind:
            failures.setdefault(kind, []).append(detail)

    example()
    if failures:
        n = sum(len(v) for v in failures.values())
        summary = "\n".join(f"  {len(v)} x {k}" for k, v in sorted(failures.items()))
        first = "\n\n".join(f"[{k}]\n  {v[0]}" for k, v in sorted(failures.items()))
        pytest.fail(
            f"{n} of {tried[0]} mutated returns broke the property:\n{summary}\n\n"
            f"First example of each:\n{first}",
            pytrace=False,
        )


def test_fuzz_the_table_and_the_manifest(issued_root: Path, tmp_path: Path) -> None:
    """Edits in the table (open cells, plan text, headings) and in the manifest's cells."""
    fuzz(issued_root, tmp_path / "example", anywhere=False)


def test_fuzz_anywhere(issued_root: Path, tmp_path: Path) -> None:
    """Edits anywhere in the workbook, Excel error values and over-long text included."""
    fuzz(issued_root, tmp_path / "example", anywhere=True)
