"""receive_returns end to end, through real files: issue the bundled example, fill returns the
way Excel saves them (openpyxl, via return_filler), merge, and read the master back with both
openpyxl and read_master.

One workspace is issued per module and copied for each test, so every test starts from the
same issued round and none sees another's merges.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import threading
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from filling import CellInput, fill_return
from openpyxl.cell.cell import Cell
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.manifest import MANIFEST_VERSION
from ipt_excel.core.model import Change, Plan, slugify
from ipt_excel.errors import WorkspaceError
from ipt_excel.excel.master_reader import read_master, read_master_bytes
from ipt_excel.excel.sheets import CHANGES_HEADERS, updates_headers
from ipt_excel.excel.styles import CHANGED, CONFLICT
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import init_workspace, rebuild_master, save_master
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.services.receive import (
    MERGED,
    OLDER,
    REJECTED,
    UNCHANGED,
    ReceiveResult,
    receive_returns,
)
from ipt_excel.workspace import Workspace
from ipt_excel.workspace.ledger import Ledger

UPDATE_KEYS = tuple(c.key for c in DEFAULT_COLUMNS.updates)


ROUND = "Third review of progress"
ROUND_DATE = date(2012, 9, 26)
ISSUED_AT = datetime(2012, 8, 29, 9, 0)
MERGED_AT = datetime(2012, 9, 14, 10, 30)
LATER = datetime(2012, 9, 18, 16, 45)
MERGE_DAY = "14 September 2012"
CHANGED_RGB = "FF" + CHANGED[0].lstrip("#").upper()
CONFLICT_RGB = "FF" + CONFLICT[0].lstrip("#").upper()

Updates = Mapping[str, Mapping[str, CellInput]]

# Several agencies, one shared area (1.3: CSC and HEALTH) changed by both, typed as a person
# types them (already in the form the merge keeps, so the master must hold exactly these).
ENTERED: dict[str, dict[str, dict[str, CellInput]]] = {
    "CSC": {
        "1.3": {"progress": "Same-day notification in place for all new protection plans."},
        "1.4": {
            "progress": "Audit of 30 cases in August: 26 compliant.",
            "rag": "GREEN",
            "evidence": "August audit: 87% of reports on time.",
            "next_review": "December 2012",
        },
        "1.8": {"next_review": "November 2012"},
    },
    "HEALTH": {
        "1.3": {"progress": "Two notifications to health visitors missed in August."},
        "1.11": {"evidence": "Health staff attended 9 of 11 reviews in August."},
    },
    "SIRONA": {
        "2.8": {
            "progress": "Designated Doctor and Nurse appointed in August 2012.",
            "rag": "GREEN",
            "evidence": "Both in post; first report to the LSCB in December.",
            "next_review": "Not required",
        },
    },
    "LSCB": {"2.13": {"progress": "Supervision confirmed by all providers.", "rag": "GREEN"}},
}
NAMES = {a.key: a.name for a in load_plan(EXAMPLE_PLAN).agencies}


# -- the workspace ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def issued_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("issued") / "ws"
    init_workspace(root, load_plan(EXAMPLE_PLAN), force=False, now=ISSUED_AT)
    issue(Workspace(root), ROUND, ROUND_DATE, ISSUED_AT)
    return root


@pytest.fixture
def ws(issued_ws: Path, tmp_path: Path) -> Workspace:
    shutil.copytree(issued_ws, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def issue(ws: Workspace, name: str, on: date, at: datetime) -> None:
    issue_round(ws, round_name=name, round_date=on, due=None, agencies=None, password=None, now=at)


def issued_file(ws: Workspace, agency: str, round_name: str = ROUND) -> Path:
    return ws.returns_dir(slugify(round_name)) / f"{slugify(agency)}.xlsx"


def fill(ws: Workspace, agency: str, updates: Updates, name: str = "", **kw: object) -> Path:
    dst = ws.root.parent / "inbox" / (name or f"{agency.lower()}-return.xlsx")
    return fill_return(issued_file(ws, agency), dst, updates, **kw)  # type: ignore[arg-type]


def merge(ws: Workspace, files: list[Path], now: datetime = MERGED_AT) -> ReceiveResult:
    # Checked as on the day of the round's meeting, or later for a merge in a later round.
    return receive_returns(
        ws,
        files,
        now=now,
        feedback_dir=ws.root.parent / "feedback",
        today=max(ROUND_DATE, now.date()),
    )


def hand_edit(ws: Workspace, area_id: str, **values: str) -> None:
    """The coordinator corrects the master through the library, as demo.py does."""
    plan = read_master(ws.master)
    edited = replace(
        plan,
        areas=tuple(a.with_updates(values) if a.id == area_id else a for a in plan.areas),
    )
    with ws.locked(), Ledger(ws.ledger_path) as ledger:
        save_master(ws, edited, ledger, reason="hand-edit", now=ISSUED_AT)


def ledger_changes(ws: Workspace) -> list[Change]:
    with Ledger(ws.ledger_path) as ledger:
        return ledger.changes()


# -- reading the master back with openpyxl ----------------------------------------------------
def load(path: Path | bytes) -> Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src = io.BytesIO(path) if isinstance(path, bytes) else path
        return openpyxl.load_workbook(src)


def sheet(wb: Workbook, name: str) -> Worksheet:
    ws = wb[name]
    assert isinstance(ws, Worksheet)
    return ws


def plan_cells(wb: Workbook) -> dict[tuple[str, str], Cell]:
    """(area ID, header) -> cell of the Plan sheet."""
    plan = sheet(wb, "Plan")
    headers = [c.value for c in plan[1]]
    out: dict[tuple[str, str], Cell] = {}
    for row in plan.iter_rows(min_row=2):
        area_id = row[0].value
        if area_id is None:
            continue
        for header, cell in zip(headers, row, strict=False):
            assert isinstance(cell, Cell)
            out[(str(area_id), str(header))] = cell
    return out


def table_rows(wb: Workbook, name: str) -> list[tuple[object, ...]]:
    rows = list(sheet(wb, name).iter_rows(values_only=True))
    return [
        tuple("" if v is None else v for v in r) for r in rows[1:] if any(v is not None for v in r)
    ]


def fill_rgb(cell: Cell) -> str:
    return str(cell.fill.fgColor.rgb) if cell.fill.fill_type == "solid" else ""


def expected_values(issued: Plan) -> dict[tuple[str, str], str]:
    """What the master must hold for every field ENTERED touched (shared 1.3 labelled)."""
    out: dict[tuple[str, str], str] = {}
    for areas in ENTERED.values():
        for area_id, fields in areas.items():
            for f, v in fields.items():
                out[(area_id, f)] = str(v)
    out[("1.3", "progress")] = (
        f"{NAMES['CSC']}: {ENTERED['CSC']['1.3']['progress']}\n\n"
        f"{NAMES['HEALTH']}: {ENTERED['HEALTH']['1.3']['progress']}"
    )
    return {k: v for k, v in out.items() if v != issued.area(k[0]).value(k[1])}


# -- end to end ---------------------------------------------------------------------------------
def test_end_to_end_the_master_holds_exactly_what_was_entered(ws: Workspace) -> None:
    issued = read_master(ws.master)
    files = [fill(ws, agency, updates) for agency, updates in ENTERED.items()]
    result = merge(ws, files)
    assert [o.outcome for o in result.outcomes] == [MERGED] * 4
    assert [o.agency for o in result.outcomes] == [NAMES[k] for k in ENTERED]
    assert result.all_merged and result.master == ws.master

    expected = expected_values(issued)
    merged = read_master(ws.master)
    for a in issued.areas:
        for f in UPDATE_KEYS:
            want = expected.get((a.id, f), a.value(f))
            assert merged.area(a.id).value(f) == want, (a.id, f)
        # Plan text is never touched by a merge.
        assert merged.area(a.id).text == a.text

    cells = plan_cells(load(ws.master))
    for (area_id, f), want in expected.items():
        cell = cells[(area_id, DEFAULT_COLUMNS.header(f))]
        assert cell.value == want
        assert cell.data_type == "s"


def test_end_to_end_changed_cells_are_highlighted_with_a_note_and_no_others(
    ws: Workspace,
) -> None:
    issued = read_master(ws.master)
    merge(ws, [fill(ws, agency, updates) for agency, updates in ENTERED.items()])
    expected = expected_values(issued)
    changes = ledger_changes(ws)
    who: dict[tuple[str, str], set[str]] = {}
    for c in changes:
        who.setdefault((c.area_id, c.column), set()).add(NAMES[c.agency])
    assert set(who) == set(expected)

    cells = plan_cells(load(ws.master))
    header_field = {h: f for f, h in ((c.key, c.header) for c in DEFAULT_COLUMNS.updates)}
    for (area_id, header), cell in cells.items():
        f = header_field.get(header)
        if f is not None and (area_id, f) in expected:
            assert fill_rgb(cell) == CHANGED_RGB, (area_id, header)
            assert cell.comment is not None, (area_id, header)
            note = cell.comment.text
            old = issued.area(area_id).value(f)
            assert f"Was: {old[:300] or '(empty)'}" in note
            assert any(f"changed by {name}" in note for name in who[(area_id, f)]), note
            assert MERGE_DAY in note
        else:
            assert fill_rgb(cell) != CHANGED_RGB, (area_id, header)
            assert cell.comment is None, (area_id, header)


def test_end_to_end_changes_sheet_and_ledger_agree_one_to_one(ws: Workspace) -> None:
    files = [fill(ws, agency, updates) for agency, updates in ENTERED.items()]
    result = merge(ws, files)
    changes = ledger_changes(ws)
    assert len(changes) == sum(o.changes for o in result.outcomes) > 0
    rows = table_rows(load(ws.master), "Changes")
    assert list(sheet(load(ws.master), "Changes").iter_rows(max_row=1, values_only=True))[0] == (
        CHANGES_HEADERS
    )
    by_name = {p.name: p for p in files}
    want = [
        (
            c.merged_at,
            c.round,
            NAMES[c.agency],  # named, as people read the sheet
            c.area_id,
            DEFAULT_COLUMNS.header(c.column),
            c.old,
            c.new,
            c.source_file,
            c.source_sha256[:12],  # the start of the hash: its file in received/ starts so
            "Yes" if c.superseded else "",
        )
        for c in changes
    ]
    assert rows == want
    for c in changes:
        assert (c.merged_at, c.round) == (MERGED_AT, ROUND)
        assert c.source_sha256 == _sha(by_name[c.source_file])


def test_end_to_end_agency_updates_sheet_has_a_row_per_area_and_agency(ws: Workspace) -> None:
    merge(ws, [fill(ws, agency, updates) for agency, updates in ENTERED.items()])
    rows = table_rows(load(ws.master), "Agency updates")
    got = {(r[0], r[1]) for r in rows}
    want = {(area_id, agency) for agency, areas in ENTERED.items() for area_id in areas}
    assert got == want and len(rows) == len(want)
    col = {h: i for i, h in enumerate(updates_headers(DEFAULT_COLUMNS))}
    for r in rows:
        entered = ENTERED[str(r[1])][str(r[0])]
        for f, v in entered.items():
            assert r[col[DEFAULT_COLUMNS.header(f)]] == v


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- nothing lost: archive, history, snapshots --------------------------------------------------
def test_every_received_file_is_archived_unchanged_by_its_hash(ws: Workspace) -> None:
    good = fill(ws, "CSC", ENTERED["CSC"])
    bad = fill(ws, "RUH", {"1.16": {"rag": "Purple"}})
    merge(ws, [good, bad])
    for path in (good, bad):
        archived = ws.received / f"{_sha(path)}.xlsx"
        assert archived.read_bytes() == path.read_bytes()
    assert len(list(ws.received.iterdir())) == 2


def test_a_damaged_archive_copy_is_replaced(ws: Workspace) -> None:
    good = fill(ws, "CSC", ENTERED["CSC"])
    ws.received.mkdir(parents=True, exist_ok=True)
    target = ws.received / f"{_sha(good)}.xlsx"
    target.write_bytes(good.read_bytes()[:100])  # what a kill mid-copy leaves
    merge(ws, [good])
    assert target.read_bytes() == good.read_bytes()


def test_the_previous_master_is_kept_in_history_before_each_write(ws: Workspace) -> None:
    def new_history(seen: set[Path]) -> list[Path]:
        return [p for p in ws.history.iterdir() if p not in seen]

    before = ws.master.read_bytes()
    seen = set(ws.history.iterdir())
    merge(ws, [fill(ws, "CSC", ENTERED["CSC"])])
    (kept,) = new_history(seen)
    assert kept.read_bytes() == before
    after_first = ws.master.read_bytes()
    assert after_first != before
    seen.add(kept)
    merge(ws, [fill(ws, "HEALTH", ENTERED["HEALTH"])], now=LATER)
    (kept,) = new_history(seen)
    assert kept.read_bytes() == after_first


def _plan_values(data: bytes) -> list[tuple[object, ...]]:
    return list(sheet(load(data), "Plan").iter_rows(values_only=True))


def test_rebuild_master_reproduces_every_past_masters_plan_sheet(ws: Workspace) -> None:
    masters = [ws.master.read_bytes()]  # as issued
    merge(ws, [fill(ws, "CSC", ENTERED["CSC"])])
    masters.append(ws.master.read_bytes())
    merge(ws, [fill(ws, "HEALTH", ENTERED["HEALTH"])], now=LATER)
    masters.append(ws.master.read_bytes())
    with Ledger(ws.ledger_path) as ledger:
        snapshots = ledger.snapshots()
    # init, issue, then one per merge: the last three are the masters above.
    assert [s[2] for s in snapshots] == ["init", "issue", "merge", "merge"]
    for (snap_id, *_), data in zip(snapshots[1:], masters, strict=True):
        rebuilt = rebuild_master(ws, snap_id, created=LATER)
        assert _plan_values(rebuilt) == _plan_values(data)
        assert read_master_bytes(rebuilt, "rebuilt.xlsx").areas == (
            read_master_bytes(data, "past.xlsx").areas
        )


# -- re-merging, rejecting, stale ----------------------------------------------------------------
def test_re_merging_the_same_file_changes_nothing_and_says_so(ws: Workspace) -> None:
    path = fill(ws, "CSC", ENTERED["CSC"])
    merge(ws, [path])
    master, changes = ws.master.read_bytes(), ledger_changes(ws)
    copy = shutil.copyfile(path, path.with_name("same-again.xlsx"))
    result = merge(ws, [path, copy], now=LATER)
    assert [o.outcome for o in result.outcomes] == [UNCHANGED, UNCHANGED]
    assert all(o.changes == o.conflicts == 0 for o in result.outcomes)
    assert "merged before" in result.outcomes[0].detail
    assert result.master is None
    assert ws.master.read_bytes() == master
    assert ledger_changes(ws) == changes


def test_the_same_file_twice_in_one_merge_is_merged_once(ws: Workspace) -> None:
    path = fill(ws, "CSC", ENTERED["CSC"])
    copy = path.with_name("copy-of-csc.xlsx")
    shutil.copyfile(path, copy)
    # The same path twice is read once; a copy under another name is the same file.
    result = merge(ws, [path, path, copy])
    assert [o.outcome for o in result.outcomes] == [MERGED, UNCHANGED]
    assert len(ledger_changes(ws)) == result.outcomes[0].changes


REJECTS: dict[str, dict[str, object]] = {
    "rag-not-on-scale": {"updates": {"1.4": {"rag": "Purple", "progress": "Done"}}},
    "green-without-evidence": {"updates": {"1.4": {"rag": "GREEN", "evidence": ""}}},
    "locked-text-changed": {
        "updates": {"1.4": {"progress": "Done"}},
        "locked_edits": {"1.4": {"actions": "Rewritten by the agency"}},
    },
    "formula": {"updates": {"1.5": {"progress": "Done"}}, "formulas": {"1.4": {"rag": "=A1"}}},
}


@pytest.mark.parametrize("kind", sorted(REJECTS))
def test_a_rejected_file_changes_nothing(ws: Workspace, kind: str) -> None:
    master = ws.master.read_bytes()
    path = fill(ws, "CSC", name=f"{kind}.xlsx", **REJECTS[kind])  # type: ignore[arg-type]
    result = merge(ws, [path])
    (o,) = result.outcomes
    assert o.outcome == REJECTED and o.changes == 0
    assert o.feedback is not None and o.feedback.is_file()
    assert result.master is None
    assert ws.master.read_bytes() == master
    assert ledger_changes(ws) == []
    with Ledger(ws.ledger_path) as ledger:
        (receipt,) = ledger.receipts(ROUND)
        assert ledger.open_conflicts() == []
    assert (receipt.outcome, receipt.sha256) == (REJECTED, _sha(path))


def test_a_rejected_file_beside_a_good_one_adds_nothing_of_its_own(ws: Workspace) -> None:
    good = fill(ws, "HEALTH", ENTERED["HEALTH"])
    bad = fill(ws, "CSC", REJECTS["rag-not-on-scale"]["updates"])  # type: ignore[arg-type]
    issued = read_master(ws.master)
    merge(ws, [good, bad])
    assert {c.agency for c in ledger_changes(ws)} == {"HEALTH"}
    plan = read_master(ws.master)
    assert plan.area("1.4") == issued.area("1.4")
    assert all(u.agency != "CSC" for u in plan.agency_updates)


def test_a_stale_return_is_rejected_with_its_round_named(ws: Workspace) -> None:
    old = fill(ws, "CSC", ENTERED["CSC"])
    issue(ws, "Fourth review of progress", date(2012, 12, 12), datetime(2012, 11, 20, 9, 0))
    master = ws.master.read_bytes()
    result = merge(ws, [old], now=datetime(2012, 11, 28, 9, 0))
    (o,) = result.outcomes
    assert o.outcome == REJECTED
    assert f"'{ROUND}'" in o.detail and "Fourth review of progress" in o.detail
    assert ws.master.read_bytes() == master
    assert ledger_changes(ws) == []


def test_highlights_start_afresh_in_a_new_round_and_hand_edits_survive(ws: Workspace) -> None:
    merge(ws, [fill(ws, "CSC", ENTERED["CSC"])])
    hand_edit(ws, "1.5", evidence="Corrected by hand between rounds.")
    r4 = "Fourth review of progress"
    issue(ws, r4, date(2012, 12, 12), datetime(2012, 11, 20, 9, 0))
    cells = plan_cells(load(ws.master))
    assert all(c.comment is None and fill_rgb(c) != CHANGED_RGB for c in cells.values())
    assert table_rows(load(ws.master), "Changes")  # the history stays on the Changes sheet
    path = fill_return(
        issued_file(ws, "CSC", r4),
        ws.root.parent / "inbox" / "csc-r4.xlsx",
        {"1.5": {"progress": "Fourth round words."}},
    )
    result = merge(ws, [path], now=datetime(2012, 12, 1, 9, 0))
    assert (result.outcomes[0].outcome, result.outcomes[0].conflicts) == (MERGED, 0)
    plan = read_master(ws.master)
    assert plan.area("1.5").value("evidence") == "Corrected by hand between rounds."
    assert plan.area("1.5").value("progress") == "Fourth round words."
    assert plan.area("1.4").value("progress") == ENTERED["CSC"]["1.4"]["progress"]  # last round's
    highlighted = {k for k, c in plan_cells(load(ws.master)).items() if c.comment is not None}
    assert highlighted == {("1.5", DEFAULT_COLUMNS.header("progress"))}


# -- conflicts ------------------------------------------------------------------------------------
def _assert_conflict(ws: Workspace, hand: str, theirs: str) -> None:
    plan = read_master(ws.master)
    assert plan.area("2.10").value("evidence") == hand
    wb = load(ws.master)
    cell = plan_cells(wb)[("2.10", DEFAULT_COLUMNS.header("evidence"))]
    assert cell.value == hand
    assert fill_rgb(cell) == CONFLICT_RGB
    assert cell.comment is not None and NAMES["LSCB"] in cell.comment.text
    (row,) = table_rows(wb, "Conflicts")
    assert row[2:8] == (
        NAMES["LSCB"],
        "2.10",
        DEFAULT_COLUMNS.header("evidence"),
        plan_evidence_issued(),
        hand,
        theirs,
    )
    with Ledger(ws.ledger_path) as ledger:
        (c,) = ledger.open_conflicts(ROUND)
    assert (c.agency, c.area_id, c.column, c.master, c.theirs) == (
        "LSCB",
        "2.10",
        "evidence",
        hand,
        theirs,
    )


def plan_evidence_issued() -> str:
    return load_plan(EXAMPLE_PLAN).area("2.10").value("evidence")


LSCB_UPDATE = {
    "2.10": {
        "evidence": "AWP audit of supervision completed in August.",
        "progress": "Report received.",
    }
}


def test_conflict_with_a_master_edited_through_the_library(ws: Workspace) -> None:
    hand = "To be determined: section 11 audit due December 2012."
    hand_edit(ws, "2.10", evidence=hand)
    result = merge(ws, [fill(ws, "LSCB", LSCB_UPDATE)])
    (o,) = result.outcomes
    assert (o.outcome, o.changes, o.conflicts) == (MERGED, 1, 1)
    assert not result.all_merged
    assert "conflict" in o.detail
    _assert_conflict(ws, hand, LSCB_UPDATE["2.10"]["evidence"])
    assert read_master(ws.master).area("2.10").value("progress") == "Report received."


def test_conflict_with_a_master_edited_in_excel(ws: Workspace) -> None:
    """Saved by openpyxl, as Excel would save it: the reader (calamine) must still read it."""
    hand = "Corrected by the coordinator in Excel."
    wb = load(ws.master)
    plan_cells(wb)[("2.10", DEFAULT_COLUMNS.header("evidence"))].value = hand
    plan_cells(wb)[
        ("1.4", DEFAULT_COLUMNS.header("progress"))
    ].value = "A hand edit nobody touches."
    wb.save(ws.master)
    result = merge(
        ws,
        [
            fill(ws, "LSCB", LSCB_UPDATE),
            fill(ws, "CSC", {"1.8": {"rag": "GREEN", "evidence": "Audit."}}),
        ],
    )
    assert [(o.outcome, o.conflicts) for o in result.outcomes] == [(MERGED, 1), (MERGED, 0)]
    _assert_conflict(ws, hand, LSCB_UPDATE["2.10"]["evidence"])
    plan = read_master(ws.master)
    assert plan.area("1.4").value("progress") == "A hand edit nobody touches."
    assert plan.area("1.8").value("rag") == "GREEN"


def test_a_conflict_copied_in_by_hand_is_resolved_at_the_next_merge(ws: Workspace) -> None:
    hand_edit(ws, "2.10", evidence="By hand")
    merge(ws, [fill(ws, "LSCB", LSCB_UPDATE)])
    hand_edit(ws, "2.10", evidence=LSCB_UPDATE["2.10"]["evidence"])
    merge(ws, [fill(ws, "CSC", ENTERED["CSC"])], now=LATER)
    with Ledger(ws.ledger_path) as ledger:
        assert ledger.open_conflicts(ROUND) == []
    assert table_rows(load(ws.master), "Conflicts") == []


# -- shared areas ---------------------------------------------------------------------------------
def test_shared_area_disagreement(ws: Workspace) -> None:
    """1.3 is shared by CSC and HEALTH; they send different RAGs and their own progress."""
    files = [
        fill(ws, "CSC", {"1.3": {"rag": "RED", "progress": "Social care view."}}),
        fill(ws, "HEALTH", {"1.3": {"rag": "AMBER", "progress": "Health view."}}),
    ]
    merge(ws, files)
    plan = read_master(ws.master)
    assert plan.area("1.3").value("rag") == "RED"  # the worst
    assert plan.area("1.3").value("progress") == (
        f"{NAMES['CSC']}: Social care view.\n\n{NAMES['HEALTH']}: Health view."
    )
    wb = load(ws.master)
    note = plan_cells(wb)[("1.3", "RAG note")].value
    assert isinstance(note, str) and "disagree" in note.lower()
    assert "RED" in note and "AMBER" in note
    rows = [r for r in table_rows(wb, "Agency updates") if r[0] == "1.3"]
    assert sorted((r[1], r[3], r[4]) for r in rows) == [
        ("CSC", "Social care view.", "RED"),
        ("HEALTH", "Health view.", "AMBER"),
    ]
    # Other areas carry no disagreement note.
    assert all(
        not c.value for (a, h), c in plan_cells(wb).items() if h == "RAG note" and a != "1.3"
    )


def test_shared_area_agreement_has_no_disagreement_note(ws: Workspace) -> None:
    files = [
        fill(ws, "CSC", {"1.3": {"rag": "AMBER"}}),
        fill(ws, "HEALTH", {"1.3": {"rag": "AMBER"}}),
    ]
    merge(ws, files)
    assert read_master(ws.master).area("1.3").value("rag") == "AMBER"
    assert not plan_cells(load(ws.master))[("1.3", "RAG note")].value


# -- superseding -----------------------------------------------------------------------------------
def test_a_second_return_from_the_same_agency_supersedes_the_first(ws: Workspace) -> None:
    pre_round = read_master(ws.master).area("1.4")
    first = fill(
        ws,
        "CSC",
        {"1.4": {"progress": "First version.", "rag": "GREEN", "evidence": "E1"}},
        name="first.xlsx",
    )
    second = fill(
        ws, "CSC", {"1.4": {"progress": "Second version.", "rag": "RED"}}, name="second.xlsx"
    )
    merge(ws, [first])
    result = merge(ws, [second], now=LATER)
    (o,) = result.outcomes
    assert o.outcome == MERGED and o.superseded
    assert "replaces" in o.detail
    plan = read_master(ws.master)
    assert (plan.area("1.4").value("progress"), plan.area("1.4").value("rag")) == (
        "Second version.",
        "RED",
    )
    assert plan.area("1.4").value("evidence") == pre_round.value(
        "evidence"
    )  # dropped in the second return
    changes = ledger_changes(ws)
    assert {c.superseded for c in changes if c.source_file == "first.xlsx"} == {True}
    assert {c.superseded for c in changes if c.source_file == "second.xlsx"} == {False}
    rows = table_rows(load(ws.master), "Changes")
    assert [(r[7], r[9]) for r in rows] == [
        (c.source_file, "Yes" if c.superseded else "") for c in changes
    ]
    note = plan_cells(load(ws.master))[("1.4", "Progress")].comment
    assert note is not None
    assert f"Was: {pre_round.value('progress')[:300]}" in note.text
    assert "18 September 2012" in note.text


def test_a_superseding_return_that_drops_a_change_leaves_the_cell_unhighlighted(
    ws: Workspace,
) -> None:
    pre_round = read_master(ws.master).area("1.4")
    merge(ws, [fill(ws, "CSC", {"1.4": {"evidence": "E1", "progress": "P"}}, name="first.xlsx")])
    merge(ws, [fill(ws, "CSC", {"1.4": {"progress": "P"}}, name="second.xlsx")], now=LATER)
    cell = plan_cells(load(ws.master))[("1.4", DEFAULT_COLUMNS.header("evidence"))]
    assert cell.value == pre_round.value("evidence")
    assert fill_rgb(cell) != CHANGED_RGB
    assert cell.comment is None


def test_a_superseding_return_keeps_the_highlight_of_a_value_it_repeats(ws: Workspace) -> None:
    merge(
        ws,
        [
            fill(
                ws,
                "CSC",
                {"1.4": {"progress": "First.", "rag": "GREEN", "evidence": "E"}},
                name="first.xlsx",
            )
        ],
    )
    merge(
        ws,
        [
            fill(
                ws,
                "CSC",
                {"1.4": {"progress": "Second.", "rag": "GREEN", "evidence": "E"}},
                name="second.xlsx",
            )
        ],
        now=LATER,
    )
    cells = plan_cells(load(ws.master))
    assert cells[("1.4", "RAG")].value == "GREEN"
    assert fill_rgb(cells[("1.4", "RAG")]) == CHANGED_RGB
    live = {(c.area_id, c.column) for c in ledger_changes(ws) if not c.superseded}
    assert ("1.4", "rag") in live


def test_a_superseding_return_repeating_a_conflicted_value_keeps_the_conflict_open(
    ws: Workspace,
) -> None:
    hand_edit(ws, "2.10", evidence="By hand")
    merge(ws, [fill(ws, "LSCB", LSCB_UPDATE, name="first.xlsx")])
    again = {"2.10": {**LSCB_UPDATE["2.10"], "progress": "Report received; training agreed."}}
    merge(ws, [fill(ws, "LSCB", again, name="second.xlsx")], now=LATER)
    assert read_master(ws.master).area("2.10").value("evidence") == "By hand"
    with Ledger(ws.ledger_path) as ledger:
        open_ = ledger.open_conflicts(ROUND)
    assert [(c.agency, c.column, c.theirs) for c in open_] == [
        ("LSCB", "evidence", LSCB_UPDATE["2.10"]["evidence"])
    ]


# -- formula-like text ---------------------------------------------------------------------------
FORMULA_LIKE = {
    "1.4": {"progress": "=SUM(A1)", "evidence": "+44 1225 396000"},
    "1.5": {"progress": "-note from the audit", "evidence": "@mention the team"},
}


def test_formula_like_text_stays_text_in_the_master(ws: Workspace) -> None:
    merge(ws, [fill(ws, "CSC", FORMULA_LIKE)])
    plan = read_master(ws.master)
    cells = plan_cells(load(ws.master))
    for area_id, fields in FORMULA_LIKE.items():
        for f, text in fields.items():
            assert plan.area(area_id).value(f) == text
            cell = cells[(area_id, DEFAULT_COLUMNS.header(f))]
            assert (cell.value, cell.data_type) == (text, "s")
    with zipfile.ZipFile(ws.master) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    updates = table_rows(load(ws.master), "Agency updates")
    assert ("1.4", "CSC") in {(r[0], r[1]) for r in updates}
    assert any(r[3] == "=SUM(A1)" for r in updates)


# -- safe writes -----------------------------------------------------------------------------------
def test_a_failed_replace_leaves_the_old_master_and_the_ledger_as_they_were(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    master = ws.master.read_bytes()
    with Ledger(ws.ledger_path) as ledger:
        receipts, snapshots = ledger.receipts(), ledger.snapshots()
    path = fill(ws, "CSC", ENTERED["CSC"])

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ipt_excel.workspace.folder.os.replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        merge(ws, [path])
    monkeypatch.undo()
    assert ws.master.read_bytes() == master
    assert not [p for p in ws.root.iterdir() if p.name.endswith(".tmp")]
    with Ledger(ws.ledger_path) as ledger:
        assert (ledger.receipts(), ledger.snapshots(), ledger.changes()) == (
            receipts,
            snapshots,
            [],
        )
    # The lock was released and the same file now merges normally.
    assert merge(ws, [path]).outcomes[0].outcome == MERGED


def test_a_crash_before_the_ledger_commits_loses_no_change(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fill(ws, "CSC", ENTERED["CSC"])

    def save_then_crash(*args: object, **kw: object) -> Path:
        save_master(*args, **kw)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # the process dies before COMMIT

    monkeypatch.setattr("ipt_excel.services.receive.save_master", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        merge(ws, [path])
    monkeypatch.undo()
    result = merge(ws, [path], now=LATER)
    expected = sum(len(v) for v in ENTERED["CSC"].values())
    assert sum(1 for c in ledger_changes(ws) if not c.superseded) == expected
    assert result.outcomes[0].changes == expected


def test_a_crash_after_the_ledger_commits_is_caught_up_by_the_next_command(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger commits first; a crash before the master is replaced leaves the master
    behind, and the next locked command rebuilds it from the ledger's latest snapshot."""
    before = ws.master.read_bytes()
    path = fill(ws, "CSC", ENTERED["CSC"])

    def crash(*args: object, **kw: object) -> None:
        raise KeyboardInterrupt  # the process dies between COMMIT and the master's rename

    monkeypatch.setattr("ipt_excel.services.master.atomic_write", crash)
    with pytest.raises(KeyboardInterrupt):
        merge(ws, [path])
    monkeypatch.undo()
    assert ws.master.read_bytes() == before  # the previous master is intact
    expected = sum(len(v) for v in ENTERED["CSC"].values())
    assert sum(1 for c in ledger_changes(ws) if not c.superseded) == expected
    result = merge(ws, [path], now=LATER)  # the next command catches the master up
    assert result.outcomes[0].outcome == "unchanged"
    plan = read_master(ws.master)
    live = [c for c in ledger_changes(ws) if not c.superseded]
    assert live and all(plan.area(c.area_id).value(c.column) == c.new for c in live)


def test_a_second_merge_waits_for_the_lock_or_fails_clearly(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the lock held elsewhere, a merge that cannot wait long says so and changes nothing."""
    master = ws.master.read_bytes()
    path = fill(ws, "CSC", ENTERED["CSC"])
    real_locked = Workspace.locked

    def impatient(self: Workspace, wait_seconds: float = 30.0):  # type: ignore[no-untyped-def]
        return real_locked(self, wait_seconds=0.2)

    holder = Workspace(ws.root)
    with holder.locked():
        monkeypatch.setattr(Workspace, "locked", impatient)
        with pytest.raises(WorkspaceError, match="Another ipt command is changing the workspace"):
            merge(ws, [path])
    assert ws.master.read_bytes() == master
    assert ledger_changes(ws) == []


def test_two_merges_at_once_both_finish_and_each_file_is_merged_once(ws: Workspace) -> None:
    csc = fill(ws, "CSC", ENTERED["CSC"])
    health = fill(ws, "HEALTH", ENTERED["HEALTH"])
    results: list[ReceiveResult] = []
    errors: list[BaseException] = []

    def run(files: list[Path]) -> None:
        try:
            results.append(merge(Workspace(ws.root), files))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=([csc, health],)),
        threading.Thread(target=run, args=([health, csc],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    outcomes = sorted(o.outcome for r in results for o in r.outcomes)
    assert outcomes == [MERGED, MERGED, UNCHANGED, UNCHANGED]
    with Ledger(ws.ledger_path) as ledger:
        merged = [r.sha256 for r in ledger.receipts() if r.outcome == MERGED]
    assert sorted(merged) == sorted({_sha(csc), _sha(health)})
    changes = ledger_changes(ws)
    assert len(changes) == len({(c.agency, c.area_id, c.column) for c in changes})
    plan = read_master(ws.master)
    assert plan.area("1.4").value("progress") == ENTERED["CSC"]["1.4"]["progress"]
    assert plan.area("1.11").value("evidence") == ENTERED["HEALTH"]["1.11"]["evidence"]
    assert os.path.getsize(ws.master) > 0


# -- one file's fault never stops the batch ------------------------------------------------------
def _manifest_cells(path: Path) -> list[str]:
    wb = load(path)
    return [str(c.value) for (c,) in sheet(wb, "_manifest").iter_rows(max_col=1) if c.value]


def _with_manifest(src: Path, dst: Path, cells: Mapping[str, object]) -> Path:
    wb = load(src)
    ws_ = sheet(wb, "_manifest")
    for ref, value in cells.items():
        ws_[ref] = value
    wb.save(dst)
    return dst


def _malformed_variants(path: Path) -> dict[str, dict[str, object]]:
    marker, signature, text = _manifest_cells(path)[:3]
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    return {
        "surrogate": {"A3": text.replace('"agency":"CSC"', '"agency":"CSC\\ud800"')},
        "surrogate-in-name": {"A3": text.replace('"agency_name":"', '"agency_name":"\\udc80')},
        "not-json": {"A3": text[: len(text) // 2]},
        "deeply-nested": {"A3": deep},
        "nan": {"A3": text.replace(f'"version":{MANIFEST_VERSION}', '"version":NaN')},
        "huge-number": {"A3": text.replace('"header_row":9', '"header_row":' + "9" * 400)},
        "header-row-far-below": {"A3": text.replace('"header_row":9', '"header_row":1048576')},
        "rows-not-a-list": {"A3": text.replace('"rows":[', '"rows":{"x":[').replace("]}", "]}}")},
        "json-null": {"A3": "null"},
        "empty-chunk": {"A3": None, "A4": text},
        "marker-changed": {"A1": marker + "!"},
        "signature-a-number": {"A2": 12345},
        "signature-missing": {"A2": None},
        "split-wrongly": {"A3": text[:100], "A4": "x" + text[100:]},
        "extra-chunk": {"A4": '{"more": true}'},
    }


def test_a_malformed_manifest_is_one_row_and_the_batch_goes_on(ws: Workspace) -> None:
    good = fill(ws, "HEALTH", ENTERED["HEALTH"])
    src = fill(ws, "CSC", ENTERED["CSC"], name="csc-base.xlsx")
    variants = _malformed_variants(src)
    bad = [
        _with_manifest(src, ws.root.parent / "inbox" / f"{name}.xlsx", cells)
        for name, cells in variants.items()
    ]
    result = merge(ws, [*bad, good])
    outcomes = {o.file_name: o for o in result.outcomes}
    assert outcomes[good.name].outcome == MERGED
    for path in bad:
        o = outcomes[path.name]
        assert o.outcome == REJECTED, path.name
        assert len(o.problems) == 1, path.name
        assert o.problems[0].rule in {"manifest-damaged", "signature"}, path.name
    assert {c.agency for c in ledger_changes(ws)} == {"HEALTH"}
    archived = {p.name for p in ws.received.iterdir()}
    assert {f"{_sha(p)}.xlsx" for p in [*bad, good]} <= archived


def test_a_fault_while_merging_one_file_is_a_row_and_the_others_merge(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipt_excel.services.receive as receive

    real = receive.Merger.prepare

    def faulty(self: object, ret: object, *, now: datetime) -> object:
        if getattr(ret, "agency", "") == "CSC":
            raise RuntimeError("boom")
        return real(self, ret, now=now)  # type: ignore[arg-type]

    monkeypatch.setattr(receive.Merger, "prepare", faulty)
    files = [fill(ws, agency, updates) for agency, updates in ENTERED.items()]
    result = merge(ws, files)
    by_agency = {o.agency: o for o in result.outcomes}
    assert by_agency[NAMES["CSC"]].outcome == REJECTED
    assert by_agency[NAMES["CSC"]].problems[0].rule == "unexpected-error"
    assert "RuntimeError" in by_agency[NAMES["CSC"]].detail
    assert all(o.outcome == MERGED for a, o in by_agency.items() if a != NAMES["CSC"])
    assert "CSC" not in {c.agency for c in ledger_changes(ws)}
    with Ledger(ws.ledger_path) as ledger:
        assert [r.outcome for r in ledger.receipts(ROUND) if r.agency == "CSC"] == [REJECTED]


def _crash_after_commit(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> list[Change]:
    """Merge CSC's return and die between the ledger's COMMIT and the master's rename."""
    path = fill(ws, "CSC", ENTERED["CSC"])

    def crash(*args: object, **kw: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr("ipt_excel.services.master.atomic_write", crash)
        with pytest.raises(KeyboardInterrupt):
            merge(ws, [path])
    return [c for c in ledger_changes(ws) if not c.superseded]


def _shows(plan: Plan, changes: list[Change]) -> bool:
    return bool(changes) and all(plan.area(c.area_id).value(c.column) == c.new for c in changes)


@pytest.mark.parametrize("command", ["circulate", "status", "lint"])
def test_after_a_crash_every_command_that_reads_the_master_catches_it_up(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str
) -> None:
    from typer.testing import CliRunner

    from ipt_excel.cli import app

    live = _crash_after_commit(ws, monkeypatch)
    assert not _shows(read_master(ws.master), live)
    args = [command, "-w", str(ws.root)]
    if command == "circulate":
        args += ["--out", str(tmp_path / "board.xlsx")]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code in (0, 1), result.output
    assert _shows(read_master(ws.master), live)
    if command == "circulate":  # the board's copy agrees with its own Summary
        import openpyxl

        board = openpyxl.load_workbook(tmp_path / "board.xlsx")["Plan"]
        rows = list(board.iter_rows(values_only=True))
        column = {h: i for i, h in enumerate(rows[0])}
        by_id = {str(r[0]): r for r in rows[1:]}
        header = read_master(ws.master).columns.header
        assert all(by_id[c.area_id][column[header(c.column)]] == c.new for c in live)


def test_after_a_crash_check_uses_the_ledger_and_changes_nothing(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipt_excel.services.check import check_files
    from ipt_excel.services.master import current_plan

    live = _crash_after_commit(ws, monkeypatch)
    assert _shows(current_plan(ws, repair=False), live)
    hashes = {p: p.read_bytes() for p in ws.root.rglob("*") if p.is_file()}
    # HEALTH's return shares area 1.3 with CSC: it is checked against the plan as merged.
    (result,) = check_files(ws, [fill(ws, "HEALTH", ENTERED["HEALTH"])], today=ROUND_DATE)
    assert result.valid
    assert {p: p.read_bytes() for p in ws.root.rglob("*") if p.is_file()} == hashes
    assert not _shows(read_master(ws.master), live)


def test_a_full_length_update_to_a_shared_area_never_blocks_the_next_merge(
    ws: Workspace,
) -> None:
    from ipt_excel.core.model import EXCEL_CELL_LIMIT, excel_length
    from ipt_excel.services.check import check_files

    long = "Long update. " * (EXCEL_CELL_LIMIT // 13) + "x" * (EXCEL_CELL_LIMIT % 13)
    assert len(long) == EXCEL_CELL_LIMIT
    first = merge(ws, [fill(ws, "CSC", {"1.1": {"progress": long}})])
    assert [o.outcome for o in first.outcomes] == [MERGED]
    cs = fill(ws, "CS", {"1.1": {"progress": "Short update from CS."}})
    health = fill(ws, "HEALTH", ENTERED["HEALTH"])
    assert all(r.valid for r in check_files(ws, [cs, health], today=ROUND_DATE))
    second = merge(ws, [cs, health], now=LATER)
    assert [o.outcome for o in second.outcomes] == [MERGED, MERGED]
    plan = read_master(ws.master)
    cell = plan.area("1.1").value("progress")
    assert excel_length(cell) <= EXCEL_CELL_LIMIT
    assert cell.endswith(f"{NAMES['CS']}: Short update from CS.")
    kept = {(u.area_id, u.agency): u.value("progress") for u in plan.agency_updates}
    assert kept[("1.1", "CSC")] == long  # the full text is kept on the Agency updates sheet


@pytest.mark.parametrize("order", [("CSC", "HEALTH"), ("HEALTH", "CSC")])
def test_a_hand_edit_equal_to_one_agencys_value_is_never_overwritten(
    ws: Workspace, order: tuple[str, str]
) -> None:

    words = {"CSC": "Same words as the coordinator's.", "HEALTH": "Health's own words."}
    hand_edit(ws, "1.3", progress=words["CSC"])
    for i, agency in enumerate(order):  # one merge each, across two commands
        merge(
            ws,
            [fill(ws, agency, {"1.3": {"progress": words[agency]}})],
            now=LATER + i * (LATER - MERGED_AT),
        )
    plan = read_master(ws.master)
    assert plan.area("1.3").value("progress") == words["CSC"]  # the coordinator's edit stands
    with Ledger(ws.ledger_path) as ledger:
        assert [(c.agency, c.column) for c in ledger.open_conflicts(ROUND)] == [
            ("HEALTH", "progress")
        ]
    held = {u.agency: u.held for u in plan.agency_updates if u.area_id == "1.3"}
    assert held == {"CSC": ("progress",), "HEALTH": ("progress",)}


def test_the_archive_holds_exactly_the_bytes_that_were_checked(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipt_excel.services.receive as receive

    path = fill(ws, "HEALTH", ENTERED["HEALTH"])
    checked = path.read_bytes()
    real = receive.check_files

    def check_then_swap(*args: object, **kw: object) -> object:
        results = real(*args, **kw)  # type: ignore[arg-type]
        path.write_bytes(b"replaced on disk after the check")  # e.g. a sync client
        return results

    monkeypatch.setattr(receive, "check_files", check_then_swap)
    result = merge(ws, [path])
    assert [o.outcome for o in result.outcomes] == [MERGED]
    (kept,) = ws.received.iterdir()
    assert kept.read_bytes() == checked
    assert kept.name == f"{hashlib.sha256(checked).hexdigest()}.xlsx"


# -- returns straight from e-mail ---------------------------------------------------------------
def test_merge_of_an_inbox_folder_merges_each_return_once_and_keeps_the_emails(
    ws: Workspace,
) -> None:
    from mails import eml, mbox_file, message, msg_bytes

    csc = fill(ws, "CSC", ENTERED["CSC"]).read_bytes()
    health = fill(ws, "HEALTH", ENTERED["HEALTH"]).read_bytes()
    sirona = fill(ws, "SIRONA", ENTERED["SIRONA"]).read_bytes()
    lscb = fill(ws, "LSCB", ENTERED["LSCB"]).read_bytes()
    inbox = ws.root.parent / "mail"
    inbox.mkdir()
    original = eml("CSC return", [("csc-return.xlsx", csc)])
    (inbox / "1-csc.eml").write_bytes(original)
    forward = message("FW: CSC return", [], text="Forwarding.")
    forward.add_attachment(message("CSC return", [("csc-return.xlsx", csc)]))
    (inbox / "2-forwarded.eml").write_bytes(bytes(forward))  # the same return again
    (inbox / "3-health.msg").write_bytes(msg_bytes("RE: Return", [("health.xlsx", health)]))
    mbox_file(inbox / "4-more.mbox", [eml("Sirona", [("s.xlsx", sirona)]), eml("Thanks!")])
    (inbox / "5-lscb-return.xlsx").write_bytes(lscb)
    result = merge(ws, [inbox])
    rows = [(o.file_name, o.outcome) for o in result.outcomes]
    assert rows == [
        (f'csc-return.xlsx (from "CSC return" in {inbox / "1-csc.eml"})', MERGED),
        (f'csc-return.xlsx (from "FW: CSC return" in {inbox / "2-forwarded.eml"})', UNCHANGED),
        (f'health.xlsx (from "RE: Return" in {inbox / "3-health.msg"})', MERGED),
        (f's.xlsx (from "Sirona", message 1 in {inbox / "4-more.mbox"})', MERGED),
        (f"{inbox / '4-more.mbox'}, message 2", REJECTED),
        ("5-lscb-return.xlsx", MERGED),
    ]
    assert "has no Excel workbook attached" in result.outcomes[4].detail
    with Ledger(ws.ledger_path) as ledger:
        receipts = ledger.receipts()  # the e-mail with no return has no round
        assert [r.file_name for r in receipts] == [o.file_name for o in result.outcomes]
        csc_changes = [c for c in ledger.changes() if c.agency == "CSC"]
    assert len(csc_changes) == result.outcomes[0].changes > 0  # merged once, not twice
    # Every attachment's bytes as checked, and every e-mail they came in, are kept.
    for content in (csc, health, sirona, lscb):
        kept = ws.received / f"{hashlib.sha256(content).hexdigest()}.xlsx"
        assert kept.read_bytes() == content
    for name in ("1-csc.eml", "2-forwarded.eml", "3-health.msg"):
        data = (inbox / name).read_bytes()
        kept = ws.received / f"{hashlib.sha256(data).hexdigest()}{Path(name).suffix}"
        assert kept.read_bytes() == data
    assert len(list(ws.received.glob("*.eml"))) == 4  # two files, two mbox messages


# -- files older than the return merged ----------------------------------------------------------
def _state(ws: Workspace, agency: str) -> str:
    from ipt_excel.services.master import current_plan
    from ipt_excel.services.status import workspace_status

    with Ledger(ws.ledger_path) as ledger:
        st = workspace_status(current_plan(ws, repair=False), ledger, as_of=ROUND_DATE)
    return next(a.state for a in st.agencies if a.agency == agency)


def test_merging_a_folder_again_leaves_an_agency_s_merged_return_standing(ws: Workspace) -> None:
    bad = fill(ws, "CSC", {"1.4": {"rag": "Purple"}}, name="csc-first.xlsx")
    (first,) = merge(ws, [bad]).outcomes
    assert first.outcome == REJECTED
    good = fill(ws, "CSC", ENTERED["CSC"], name="csc-fixed.xlsx")
    assert merge(ws, [good], now=LATER).outcomes[0].outcome == MERGED
    assert _state(ws, "CSC") == "received"
    # The whole inbox merged again: the fixed return is unchanged, the first one is older.
    again = merge(ws, [good, bad], now=LATER)
    assert [o.outcome for o in again.outcomes] == [UNCHANGED, OLDER]
    assert again.outcomes[1].detail.startswith("This file was sent back before")
    assert again.outcomes[1].feedback is None and again.all_merged
    assert _state(ws, "CSC") == "received"


def test_a_return_superseded_by_a_re_issue_after_the_merge_changes_nothing(
    ws: Workspace,
) -> None:
    old = fill(ws, "CSC", ENTERED["CSC"], name="csc-old.xlsx")
    issue_round(
        ws, round_name=ROUND, round_date=ROUND_DATE, due=None, agencies=["CSC"],
        password=None, now=MERGED_AT,
    )  # fmt: skip
    new = fill(ws, "CSC", ENTERED["CSC"], name="csc-new.xlsx")
    assert merge(ws, [new], now=LATER).outcomes[0].outcome == MERGED
    (late,) = merge(ws, [old], now=LATER).outcomes
    assert (late.outcome, late.feedback) == (OLDER, None)
    assert "older return than the one already merged" in late.detail
    assert _state(ws, "CSC") == "received"


def test_an_old_return_with_nothing_merged_is_still_rejected(ws: Workspace) -> None:
    old = fill(ws, "CSC", ENTERED["CSC"], name="csc-old.xlsx")
    issue_round(
        ws, round_name=ROUND, round_date=ROUND_DATE, due=None, agencies=["CSC"],
        password=None, now=MERGED_AT,
    )  # fmt: skip
    (late,) = merge(ws, [old], now=LATER).outcomes
    assert late.outcome == REJECTED
    assert _state(ws, "CSC") == "rejected"


def test_two_files_from_one_agency_each_get_their_own_feedback(ws: Workspace) -> None:
    a = fill(ws, "CSC", {"1.4": {"rag": "Purple"}}, name="csc-a.xlsx")
    b = fill(ws, "CSC", {"1.4": {"next_review": "someday"}}, name="csc-b.xlsx")
    first, second = merge(ws, [a, b]).outcomes
    assert first.feedback is not None and second.feedback is not None
    assert first.feedback != second.feedback
    assert second.feedback.name == first.feedback.name.replace(".xlsx", "-2.xlsx")
    assert first.feedback.is_file() and second.feedback.is_file()
