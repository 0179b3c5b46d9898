"""Where the round stands: each agency's return state, RAG counts, last round's counts, and the
master's Summary sheet showing the same.

agency_states is tested on plain records; workspace_status on a real workspace issued from the
bundled example, with returns filled as Excel saves them and merged.
"""

from __future__ import annotations

import shutil
import warnings
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from filling import CellInput, fill_return
from openpyxl.worksheet.worksheet import Worksheet
from plans import make_area, with_values

from ipt_excel.core.facts import (
    CONFLICTS,
    NOT_ISSUED,
    OUTSTANDING,
    RECEIVED,
    REJECTED,
    RoundFacts,
    agency_states,
)
from ipt_excel.core.model import Agency, Conflict, Plan, Round, slugify
from ipt_excel.core.records import IssuedRecord, Receipt
from ipt_excel.core.summary import NOT_RATED_LABEL
from ipt_excel.excel.master_reader import read_master
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import init_workspace, save_master
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.services.receive import receive_returns
from ipt_excel.services.status import workspace_status
from ipt_excel.workspace import Workspace
from ipt_excel.workspace.ledger import Ledger

R3 = "Third review of progress"
R4 = "Fourth review of progress"
ISSUED_AT = datetime(2012, 8, 29, 9, 0)
MERGED_AT = datetime(2012, 9, 14, 10, 30)
ROUND_DATE = date(2012, 9, 26)


# -- agency_states on plain records -------------------------------------------------------------
def _plan() -> Plan:
    return Plan(
        title="Plan",
        organisation="Council",
        inspection="Inspection",
        round=Round(R3, ROUND_DATE),
        agencies=(Agency("A", "Agency A"), Agency("B", "Agency B"), Agency("C", "Agency C")),
        areas=(make_area(id="1", theme="1", title="x", agencies=("A", "B", "C")),),
    )


def _issued(agency: str) -> IssuedRecord:
    return IssuedRecord(R3, agency, f"returns/{agency}.xlsx", ISSUED_AT, "{}", "sig")


def _receipt(n: int, agency: str, outcome: str, detail: str, round_name: str = R3) -> Receipt:
    return Receipt(
        n, MERGED_AT, f"{agency}-{n}.xlsx", "ab" * 32, round_name, agency, outcome, detail, 0, 0
    )


def _conflict(agency: str) -> Conflict:
    return Conflict(R3, agency, "1", "rag", "AMBER", "GREEN", "RED", MERGED_AT)


def test_each_issued_agency_has_one_state() -> None:
    states = agency_states(
        _plan(),
        [_issued("A"), _issued("B"), _issued("C")],
        [
            _receipt(1, "A", "merged", "3 change(s) merged."),
            _receipt(2, "B", "rejected", "'Purple' is not a RAG rating."),
        ],
        [],
    )
    assert [(s.agency, s.name, s.state) for s in states] == [
        ("A", "Agency A", RECEIVED),
        ("B", "Agency B", REJECTED),
        ("C", "Agency C", OUTSTANDING),
    ]
    assert states[0].file_name == "A-1.xlsx"
    assert states[1].detail == "'Purple' is not a RAG rating."
    assert states[2].detail == "No return received yet."


def test_open_conflicts_give_the_conflicts_state_with_their_number() -> None:
    states = agency_states(
        _plan(),
        [_issued("A")],
        [_receipt(1, "A", "merged", "1 change(s) merged; 2 conflict(s) not applied.")],
        [_conflict("A"), _conflict("A")],
    )
    s = states[0]
    assert s.state == CONFLICTS
    assert "2 conflicts need a decision" in s.detail


def test_the_latest_receipt_counts_and_other_rounds_are_ignored() -> None:
    states = agency_states(
        _plan(),
        [_issued("A"), _issued("B")],
        [
            _receipt(1, "A", "rejected", "Bad RAG."),
            _receipt(2, "A", "merged", "2 change(s) merged."),
            _receipt(3, "B", "merged", "From the last round.", round_name="Second review"),
        ],
        [],
    )
    assert [(s.state, s.detail) for s in states] == [
        (RECEIVED, "2 change(s) merged."),
        (OUTSTANDING, "No return received yet."),
        (NOT_ISSUED, "No return issued to it for this round yet."),
    ]


def test_agencies_not_yet_issued_a_return_this_round_are_listed_as_such() -> None:
    states = agency_states(_plan(), [_issued("B")], [], [])
    assert [(s.agency, s.state, s.owes) for s in states] == [
        ("B", OUTSTANDING, True), ("A", NOT_ISSUED, False), ("C", NOT_ISSUED, False),
    ]  # fmt: skip
    assert states[1].detail == "No return issued to it for this round yet."
    assert agency_states(_plan(), [], [], []) == ()  # a round not issued at all lists nobody


# -- a real workspace -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def issued_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("status") / "ws"
    init_workspace(root, load_plan(EXAMPLE_PLAN), force=False, now=ISSUED_AT)
    issue(Workspace(root), R3, ROUND_DATE, ISSUED_AT)
    return root


@pytest.fixture
def ws(issued_ws: Path, tmp_path: Path) -> Workspace:
    shutil.copytree(issued_ws, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def issue(ws: Workspace, name: str, on: date, at: datetime) -> None:
    issue_round(ws, round_name=name, round_date=on, due=None, agencies=None, password=None, now=at)


def fill(ws: Workspace, agency: str, updates: dict[str, dict[str, CellInput]]) -> Path:
    src = ws.returns_dir(slugify(R3)) / f"{slugify(agency)}.xlsx"
    return fill_return(src, ws.root.parent / "inbox" / f"{agency}.xlsx", updates)


def merge(ws: Workspace, files: list[Path]) -> None:
    receive_returns(
        ws, files, now=MERGED_AT, feedback_dir=ws.root.parent / "feedback", today=ROUND_DATE
    )


def status(ws: Workspace) -> RoundFacts:
    with Ledger(ws.ledger_path) as ledger:
        return workspace_status(read_master(ws.master), ledger, today=ROUND_DATE)


def by_key(st: RoundFacts) -> dict[str, tuple[str, str]]:
    return {a.agency: (a.state, a.detail) for a in st.agencies}


def hand_edit_evidence(ws: Workspace, area_id: str, text: str) -> None:
    from dataclasses import replace

    plan = read_master(ws.master)
    edited = replace(
        plan,
        areas=tuple(with_values(a, evidence=text) if a.id == area_id else a for a in plan.areas),
    )
    with ws.locked(), Ledger(ws.ledger_path) as ledger:
        save_master(ws, edited, ledger, reason="hand-edit", now=ISSUED_AT)


def mixed_round(ws: Workspace) -> None:
    """CSC merges cleanly, RUH is rejected, LSCB has a conflict; everyone else is outstanding."""
    hand_edit_evidence(ws, "2.10", "Corrected by hand.")
    merge(
        ws,
        [
            fill(ws, "CSC", {"1.4": {"rag": "GREEN", "evidence": "Audit: 87% on time."}}),
            fill(ws, "RUH", {"1.16": {"rag": "Purple"}}),
            fill(ws, "LSCB", {"2.10": {"evidence": "AWP audit completed."}}),
        ],
    )


def test_before_any_return_every_agency_is_outstanding(ws: Workspace) -> None:
    st = status(ws)
    plan = read_master(ws.master)
    assert (st.round_name, st.round_date) == (R3, ROUND_DATE)
    assert {a.agency for a in st.agencies} == {
        a.key for a in plan.agencies if plan.areas_for(a.key)
    }
    assert {a.state for a in st.agencies} == {OUTSTANDING}
    assert st.open_conflicts == 0


def test_states_after_a_mixed_round(ws: Workspace) -> None:
    mixed_round(ws)
    st = status(ws)
    states = by_key(st)
    assert states["CSC"] == (RECEIVED, "2 changes merged.")
    assert states["RUH"][0] == REJECTED
    assert "'Purple' is not a RAG rating" in states["RUH"][1]
    assert states["LSCB"][0] == CONFLICTS
    assert "1 conflict needs a decision" in states["LSCB"][1]
    assert {s for k, (s, _) in states.items() if k not in {"CSC", "RUH", "LSCB"}} == {OUTSTANDING}
    assert st.open_conflicts == 1


def _independent_counts(plan: Plan) -> tuple[dict[str, Counter[str]], dict[str, Counter[str]]]:
    themes: dict[str, Counter[str]] = {}
    agencies: dict[str, Counter[str]] = {}
    for a in plan.areas:
        label = a.value("rag") or NOT_RATED_LABEL
        theme = plan.theme(a.theme)
        assert theme is not None
        themes.setdefault(theme.label, Counter())[label] += 1
        for key in a.agencies:
            agencies.setdefault(plan.agency(key).name, Counter())[label] += 1
    return themes, agencies


def test_rag_counts_by_theme_and_agency(ws: Workspace) -> None:
    before = status(ws)
    mixed_round(ws)
    after = status(ws)
    themes, agencies = _independent_counts(read_master(ws.master))
    assert {name: Counter(c) for name, c in after.by_theme.rows} == themes
    assert {name: Counter(c) for name, c in after.by_agency.rows} == agencies
    # CSC moved 1.4 (theme 1, CSC only) from AMBER to GREEN; nothing else changed a RAG.
    b, a = dict(before.by_theme.rows), dict(after.by_theme.rows)
    theme1 = next(name for name in a if name.startswith("1."))
    assert a[theme1].get("GREEN", 0) == b[theme1].get("GREEN", 0) + 1
    assert a[theme1].get("AMBER", 0) == b[theme1].get("AMBER", 0) - 1
    csc = "Children's Social Care Service"
    assert dict(after.by_agency.rows)[csc]["GREEN"] == dict(before.by_agency.rows)[csc]["GREEN"] + 1
    assert after.counts["GREEN"] == before.counts["GREEN"] + 1


def test_previous_round_counts_after_a_second_round_is_issued(ws: Workspace) -> None:
    initial = Counter(a.value("rag") or NOT_RATED_LABEL for a in load_plan(EXAMPLE_PLAN).areas)
    assert status(ws).previous_counts == dict(initial)  # the plan as first set up
    mixed_round(ws)
    end_of_r3 = status(ws).counts
    assert end_of_r3 != dict(initial)
    issue(ws, R4, date(2012, 12, 12), datetime(2012, 11, 20, 9, 0))
    st = status(ws)
    assert st.round_name == R4
    assert st.previous_counts == end_of_r3
    assert st.counts == end_of_r3  # nothing returned yet in the new round
    assert {a.state for a in st.agencies} == {OUTSTANDING}
    assert st.open_conflicts == 0


def test_a_conflict_settled_by_hand_is_not_reported_open(ws: Workspace) -> None:
    mixed_round(ws)
    assert by_key(status(ws))["LSCB"][0] == CONFLICTS
    hand_edit_evidence(ws, "2.10", "AWP audit completed.")  # the coordinator takes LSCB's words
    st = status(ws)
    assert st.open_conflicts == 0
    assert by_key(st)["LSCB"][0] == RECEIVED


# -- the master's Summary sheet -------------------------------------------------------------------
def _summary_block(ws: Workspace, title: str, width: int) -> list[tuple[object, ...]]:
    """The rows of the titled table on the Summary sheet, wherever the sheet puts it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(ws.master)
    sheet = wb["Summary"]
    assert isinstance(sheet, Worksheet)
    rows = list(sheet.iter_rows(values_only=True))
    # The title cell has nothing to its right within the table's width (a header cell would).
    start, col = next(
        (i, c)
        for i, r in enumerate(rows)
        for c, v in enumerate(r)
        if v == title and all(x is None for x in r[c + 1 : c + width])
    )
    block: list[tuple[object, ...]] = []
    for r in rows[start + 2 :]:
        if col >= len(r) or r[col] is None:
            break
        block.append(tuple(r[col : col + width]))
    return block


@pytest.mark.parametrize("play", ["issued", "mixed"])
def test_the_summary_sheet_shows_the_same_return_states(ws: Workspace, play: str) -> None:
    if play == "mixed":
        mixed_round(ws)
    st = status(ws)
    want = [(a.name, a.state, a.detail) for a in st.agencies]
    assert _summary_block(ws, "Returns this round", 3) == want


def test_the_summary_sheet_shows_this_round_and_last_round_counts(ws: Workspace) -> None:
    mixed_round(ws)
    st = status(ws)
    rows = {r[0]: r[1:] for r in _summary_block(ws, "All areas", 3)}
    for label in st.by_theme.labels:
        assert rows[label] == (st.counts.get(label, 0), st.previous_counts.get(label, 0))
    figures = {r[0]: r[1] for r in _summary_block(ws, "This round", 2)}
    assert figures["Changes this round"] == 2
    assert figures["Open conflicts"] == 1


# -- what the latest receipt says ----------------------------------------------------------------
def _police_plan() -> Plan:
    return Plan(
        title="T",
        organisation="O",
        inspection="I",
        round=Round("R2", date(2012, 9, 26)),
        agencies=(Agency("POLICE", "Police"),),
        areas=(make_area("1.1", "1", "t", agencies=("POLICE",)),),
    )


def _police_receipt(n: int, outcome: str, sha: str, detail: str, conflicts: int = 0) -> Receipt:
    return Receipt(
        n,
        datetime(2012, 9, 14, 10, n),
        f"f{n}.xlsx",
        sha,
        "R2",
        "POLICE",
        outcome,
        detail,
        0,
        conflicts,
    )


POLICE_ISSUED = [
    IssuedRecord("R2", "POLICE", "returns/r2/police.xlsx", datetime(2012, 9, 1), "{}", "s")
]


def test_the_same_file_merged_again_does_not_hide_what_its_first_merge_did() -> None:
    receipts = [
        _police_receipt(1, "merged", "aaa", "4 change(s) merged."),
        _police_receipt(
            2, "unchanged", "aaa", "This exact file was merged before. Nothing changed."
        ),
    ]
    (state,) = agency_states(_police_plan(), POLICE_ISSUED, receipts, [])
    assert (state.state, state.detail) == (RECEIVED, "4 change(s) merged.")


def test_conflicts_settled_since_are_said_to_be_settled() -> None:
    receipts = [
        _police_receipt(1, "merged", "aaa", "2 change(s) merged; 1 conflict(s) not applied.", 1),
    ]
    (state,) = agency_states(_police_plan(), POLICE_ISSUED, receipts, [])  # none open now
    assert (state.state, state.detail) == (
        RECEIVED,
        "2 change(s) merged; its conflicts have since been settled.",
    )


# -- who owes a return --------------------------------------------------------------------------
def test_an_outstanding_return_is_overdue_after_the_due_date_as_of_the_day_given() -> None:
    from dataclasses import replace

    from ipt_excel.core.facts import OVERDUE, round_facts

    plan = _plan()
    plan = replace(plan, round=replace(plan.round, due=date(2012, 9, 12)))
    issued = [_issued("A"), _issued("B"), _issued("C")]
    receipts = [
        _receipt(1, "A", "merged", "3 change(s) merged."),
        _receipt(2, "B", "rejected", "'Purple' is not a RAG rating."),
    ]
    on_the_day = agency_states(plan, issued, receipts, [], as_of=date(2012, 9, 12))
    assert [s.state for s in on_the_day] == [RECEIVED, REJECTED, OUTSTANDING]
    after = agency_states(plan, issued, receipts, [], as_of=date(2012, 9, 13))
    assert [s.state for s in after] == [RECEIVED, REJECTED, OVERDUE]
    assert after[2].detail == "No return received; it was due on 12 September 2012."
    assert after[1].sha256 == "ab" * 32  # the rejected file, to find it in the archive
    assert [s.state for s in agency_states(plan, issued, receipts, [])] == [
        RECEIVED,
        REJECTED,
        OUTSTANDING,
    ]  # no day given: nobody is called overdue
    facts = round_facts(plan, issued=issued, receipts=receipts, as_of=date(2012, 9, 13))
    assert [a.agency for a in facts.owing] == ["B", "C"]
    assert facts.owing_counts() == {OVERDUE: 1, REJECTED: 1}
    assert facts.as_of == date(2012, 9, 13)


# -- who signed each return off -------------------------------------------------------------------
SIGNED_CSC = "Sam Jones (Head of Service), 29 August 2012"  # filling.py signs on the issue day


def test_status_says_who_signed_off_each_return_that_stands(ws: Workspace) -> None:
    mixed_round(ws)
    st = {a.agency: a for a in status(ws).agencies}
    assert st["CSC"].sign_off is not None and st["CSC"].sign_off.text == SIGNED_CSC
    assert st["LSCB"].sign_off is not None  # received, with a conflict: still vouched for
    assert st["RUH"].sign_off is None  # rejected: nothing of its stands
    assert st["HEALTH"].sign_off is None  # outstanding


def test_a_rejected_resubmission_keeps_the_sign_off_of_the_return_that_stands(
    ws: Workspace,
) -> None:
    merge(ws, [fill(ws, "CSC", {"1.4": {"rag": "GREEN", "evidence": "Audit."}})])
    src = ws.returns_dir(slugify(R3)) / "csc.xlsx"
    again = fill_return(src, ws.root.parent / "inbox" / "csc-2.xlsx", {"1.4": {"rag": "Purple"}})
    merge(ws, [again])
    (csc,) = [a for a in status(ws).agencies if a.agency == "CSC"]
    assert csc.state == REJECTED and "earlier return is merged" in csc.detail
    assert csc.sign_off is not None and csc.sign_off.text == SIGNED_CSC


def test_the_summary_and_agency_updates_sheets_show_who_signed_off(ws: Workspace) -> None:
    mixed_round(ws)
    st = status(ws)
    want = [(a.name, a.state, a.detail, a.sign_off.text if a.sign_off else "") for a in st.agencies]
    assert _summary_block(ws, "Returns this round", 4) == want
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(ws.master)
    rows = list(wb["Agency updates"].iter_rows(values_only=True))
    col = rows[0].index("Signed off by")
    signed = {(r[0], r[1]): r[col] for r in rows[1:]}
    assert signed[("1.4", "CSC")] == SIGNED_CSC
    assert all(who for (_, agency), who in signed.items() if agency in ("CSC", "LSCB"))


def test_the_circulation_copy_shows_who_signed_off_each_update(ws: Workspace) -> None:
    from ipt_excel.services.circulate import circulate

    mixed_round(ws)
    path = circulate(ws, now=MERGED_AT).path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
    rows = list(wb["Agency updates"].iter_rows(values_only=True))
    col = rows[0].index("Signed off by")
    assert "Source SHA-256" not in rows[0]
    by_agency = {r[1]: r[col] for r in rows[1:]}
    assert by_agency["Children's Social Care Service"] == SIGNED_CSC
    summary = [tuple(r) for r in wb["Summary"].iter_rows(values_only=True)]
    assert any(SIGNED_CSC in r for r in summary)
