"""Planning a round: which agencies get a return, which areas, and what the manifest says."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from golden.regenerate import CREATED, ROUND, small_plan

from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.manifest import locked_text_hash
from ipt_excel.core.model import Agency, Round, slugify
from ipt_excel.core.records import RoundRecord
from ipt_excel.core.rounds import (
    HEADER_ROW,
    RETURN_SHEET,
    SHARED_WITH,
    IssueCheck,
    and_names,
    check_issue,
    keep_due,
    locked_values,
    plan_round,
    return_layout,
    shared_with_text,
)
from ipt_excel.core.rows import cell_text
from ipt_excel.errors import UsageError

RETURN_LAYOUT = return_layout(DEFAULT_COLUMNS)
UPDATE_KEYS = tuple(c.key for c in DEFAULT_COLUMNS.updates)


def test_one_return_per_agency_with_areas() -> None:
    planned = plan_round(small_plan(), ROUND, agencies=None, issued_at=CREATED)
    assert [r.agency.key for r in planned.returns] == ["A", "B"]
    areas = [[a.id for a in r.areas] for r in planned.returns]
    assert areas == [["1.2", "1.10", "2.1"], ["1.2", "2.2"]]


def test_agency_with_no_areas_is_skipped_and_reported() -> None:
    planned = plan_round(small_plan(), ROUND, agencies=None, issued_at=CREATED)
    assert planned.skipped == ("Police",)
    named = plan_round(small_plan(), ROUND, agencies=["police", "B"], issued_at=CREATED)
    assert [r.agency.key for r in named.returns] == ["B"]
    assert named.skipped == ("Police",)


@pytest.mark.parametrize(
    "name", ["A", "a", "Children's Social Care", "children’s social  care", "csc"]
)
def test_agency_named_by_key_name_or_alias_in_any_case(name: str) -> None:
    planned = plan_round(small_plan(), ROUND, agencies=[name], issued_at=CREATED)
    assert [r.agency.key for r in planned.returns] == ["A"]


def test_named_agencies_keep_their_order_without_repeats() -> None:
    planned = plan_round(small_plan(), ROUND, agencies=["Health", "A", "b"], issued_at=CREATED)
    assert [r.agency.key for r in planned.returns] == ["B", "A"]


def test_unknown_agency_suggests_a_close_match() -> None:
    with pytest.raises(UsageError) as err:
        plan_round(small_plan(), ROUND, agencies=["Helth"], issued_at=CREATED)
    message = str(err.value)
    assert message.startswith("There is no agency called 'Helth'. Did you mean 'Health'?")
    assert "Known agencies: Children's Social Care (A), Health Services (B), Police (C)." in message


def test_unknown_agency_without_a_close_match() -> None:
    with pytest.raises(UsageError) as err:
        plan_round(small_plan(), ROUND, agencies=["Probation"], issued_at=CREATED)
    assert "Did you mean" not in str(err.value)
    assert "Known agencies:" in str(err.value)


def test_known_agencies_name_each_once_and_a_long_list_is_cut_short() -> None:
    many = tuple(Agency(f"A{i}", f"Agency {i}") for i in range(20))
    plan = replace(small_plan(), agencies=(Agency("POLICE", "Police"), *many))
    with pytest.raises(UsageError) as err:
        plan_round(plan, ROUND, agencies=["Nobody"], issued_at=CREATED)
    known = str(err.value).split("Known agencies: ", 1)[1]
    assert known.startswith("Police, Agency 0 (A0), Agency 1 (A1),")
    assert known.endswith("Agency 10 (A10) and 9 more (see the master's Agencies sheet).")


def test_shared_with_names_the_other_agencies() -> None:
    plan = small_plan()
    shared = plan.area("1.2")
    assert shared_with_text(plan, shared, "A") == "Health Services"
    assert shared_with_text(plan, shared, "B") == "Children's Social Care"
    assert shared_with_text(plan, plan.area("2.1"), "A") == ""
    three = replace(shared, agencies=("A", "B", "C"))
    assert shared_with_text(plan, three, "B") == "Children's Social Care\nPolice"


def test_locked_values_follow_the_return_columns() -> None:
    plan = small_plan()
    area = plan.area("1.2")
    values = locked_values(plan, area, "A", RETURN_LAYOUT)
    assert len(values) == len(RETURN_LAYOUT.locked)
    assert [c.key for c in RETURN_LAYOUT.locked] == [
        c.key for c in RETURN_LAYOUT.columns if not c.is_update
    ]
    for col, value in zip(RETURN_LAYOUT.locked, values, strict=True):
        if col is SHARED_WITH:
            expected = "Health Services"
        elif col.key.startswith("issued_"):  # the value as issued, for reference
            expected = area.value(col.key.removeprefix("issued_"))
        else:
            expected = cell_text(plan, area, col)
        assert value == expected
    assert values[0] == "1.2"
    actions = values[[c.key for c in RETURN_LAYOUT.locked].index("actions")]
    assert "Underpinned by:\n• Audit tool" in actions


def test_manifest_identifies_plan_round_agency_and_layout() -> None:
    issued_at = datetime(2012, 7, 2, 9, 30)
    rnd = Round("Third review", ROUND.date.replace(month=9), None)
    plan = small_plan()
    m = plan_round(plan, rnd, agencies=["A"], issued_at=issued_at).returns[0].manifest
    assert m.version == 4 and m.columns == plan.columns and m.rag_scale == plan.rag_scale
    assert m.title[0].startswith(f"{m.agency_name}: ") and m.title[1] == plan.title
    assert m.plan_title == small_plan().title
    assert (m.round_name, m.round_date) == ("Third review", "2012-09-26")
    assert (m.agency, m.agency_name) == ("A", "Children's Social Care")
    assert m.issued_at == "2012-07-02T09:30:00"
    assert (m.sheet, m.header_row) == (RETURN_SHEET, HEADER_ROW)


def test_manifest_rows_hash_the_locked_text_and_keep_the_issued_values() -> None:
    plan = small_plan()
    issued = plan_round(plan, ROUND, agencies=["A"], issued_at=CREATED).returns[0]
    assert issued.manifest.row_ids == ("1.2", "1.10", "2.1")
    for row, area in zip(issued.manifest.rows, issued.areas, strict=True):
        assert row.locked_sha256 == locked_text_hash(locked_values(plan, area, "A", RETURN_LAYOUT))
        assert row.issued == {f: area.value(f) for f in UPDATE_KEYS}


def test_the_same_area_hashes_differently_per_agency() -> None:
    # The Shared with text differs, so a row cannot be moved between agencies' returns.
    planned = plan_round(small_plan(), ROUND, agencies=None, issued_at=CREATED)
    a_row = planned.returns[0].manifest.rows[0]
    b_row = planned.returns[1].manifest.rows[0]
    assert a_row.id == b_row.id == "1.2"
    assert a_row.locked_sha256 != b_row.locked_sha256


# -- check_issue: what issuing would do to the returns already out --------------------------
def _rounds(*specs: tuple[str, str, str | None]) -> list[RoundRecord]:
    return [
        RoundRecord(n, slugify(n), date.fromisoformat(d), date.fromisoformat(u) if u else None,
                    datetime(2012, 1, 1), i)
        for i, (n, d, u) in enumerate(specs, start=1)
    ]  # fmt: skip


NAMES = {"A": "Alpha", "B": "Beta", "C": "Gamma"}


def test_nothing_to_say_for_a_first_round_or_a_plain_next_one() -> None:
    first = Round("First", date(2012, 6, 1), date(2012, 5, 20))
    assert check_issue(first, [], None, [], NAMES) == IssueCheck()
    later = Round("Second", date(2012, 9, 1))
    assert check_issue(later, _rounds(("First", "2012-06-01", None)), None, ["A"], NAMES) == (
        IssueCheck()
    )


def test_a_new_round_for_some_names_the_agencies_it_would_strand() -> None:
    rounds = _rounds(("First", "2012-06-01", None))
    got = check_issue(Round("Second", date(2012, 9, 1)), rounds, ["A"], ["A", "B", "C"], NAMES)
    (reason,) = got.needs_force
    assert "The returns still out for 'First' from Beta and Gamma would then be refused" in reason
    # Nothing else out: a partial new round is fine.
    assert check_issue(Round("Second", date(2012, 9, 1)), rounds, ["A"], ["A"], NAMES) == (
        IssueCheck()
    )


def test_the_current_round_again_with_a_new_due_date_says_so() -> None:
    rounds = _rounds(("First", "2012-06-01", "2012-05-20"))
    got = check_issue(Round("First", date(2012, 6, 1), date(2012, 5, 25)), rounds, ["A"], [], NAMES)
    assert got == IssueCheck(
        notes=("The round's due date is now 25 May 2012, for every agency in it.",)
    )


def test_the_current_round_again_without_a_due_date_keeps_its_own() -> None:
    rounds = _rounds(("First", "2012-06-01", None), ("Second", "2012-09-01", "2012-08-20"))
    kept = keep_due(Round("Second", date(2012, 9, 1)), rounds)
    assert kept.due == date(2012, 8, 20)
    # A new due date, a new round or no round yet: as given.
    moved = Round("Second", date(2012, 9, 1), date(2012, 8, 25))
    assert keep_due(moved, rounds) is moved
    assert keep_due(Round("Third", date(2012, 12, 1)), rounds).due is None
    assert keep_due(Round("First", date(2012, 6, 1)), rounds).due is None
    assert keep_due(Round("First", date(2012, 6, 1)), []).due is None


def test_a_round_years_ahead_looks_like_a_slip_in_the_year() -> None:
    rounds = _rounds(("First", "2012-06-01", None))
    (reason,) = check_issue(Round("Second", date(2102, 9, 1)), rounds, None, [], NAMES).needs_force
    assert reason == (
        "The round is for 1 September 2102, more than 2 years after the current round 'First' "
        "(1 June 2012). Check the year in --date."
    )
    # Judged from today when today is later: a plan from 2012 run in 2026 may go on.
    today = date(2026, 12, 1)
    ok = check_issue(Round("Second", date(2027, 3, 1)), rounds, None, [], NAMES, today=today)
    assert ok == IssueCheck()
    (far,) = check_issue(Round("S", date(2030, 3, 1)), [], None, [], NAMES, today=today).needs_force
    assert "more than 2 years after today (1 December 2026)" in far
    # Two years to the day is still fine; 29 February moves to the 28th.
    assert check_issue(Round("Second", date(2014, 6, 1)), rounds, None, [], NAMES) == IssueCheck()
    leap = _rounds(("First", "2012-02-29", None))
    assert check_issue(Round("S", date(2014, 2, 28)), leap, None, [], NAMES) == IssueCheck()
    assert check_issue(Round("S", date(2014, 3, 1)), leap, None, [], NAMES).needs_force


def test_a_new_round_on_the_current_round_s_date_looks_like_a_mistyped_name() -> None:
    rounds = _rounds(("Second review", "2026-12-17", None))
    (reason,) = check_issue(
        Round("2nd review", date(2026, 12, 17)), rounds, None, [], NAMES
    ).needs_force
    assert reason.startswith("'2nd review' is a new round, but it has the current round")
    assert reason.endswith("use its name: --round 'Second review'.")
    assert check_issue(Round("Third review", date(2027, 3, 1)), rounds, None, [], NAMES) == (
        IssueCheck()
    )


def test_returns_due_before_today_for_a_round_still_to_come_need_force() -> None:
    today = date(2026, 12, 1)
    late = Round("Third", date(2027, 3, 1), date(2026, 11, 1))
    (reason,) = check_issue(late, [], None, [], NAMES, today=today).needs_force
    assert reason == (
        "The returns would be due on 1 November 2026, which has passed (today is 1 December "
        "2026): every return would be overdue as soon as it is sent. Check --due."
    )
    # A past round (the bundled example's 2012) and the current round's own due date: fine.
    past = Round("Old", date(2012, 9, 26), date(2012, 9, 12))
    assert check_issue(past, [], None, [], NAMES, today=today) == IssueCheck()
    rounds = _rounds(("Third", "2027-03-01", "2026-11-01"))
    assert check_issue(late, rounds, ["A"], [], NAMES, today=today).needs_force == ()


def test_and_names() -> None:
    assert and_names(["A"]) == "A"
    assert and_names(["A", "B", "C"]) == "A, B and C"
    assert and_names(list("ABCDEF")) == "A, B, C and 3 more"
