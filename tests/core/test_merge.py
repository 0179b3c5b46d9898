"""The pure three-way merge: unit tests and hypothesis properties.

Plans and AcceptedReturns are built directly; no file is read or written. The master's value
for a field is derived from this round's agency updates (see ipt_excel/merge.py), so the
properties are: merging is idempotent, independent returns commute, every change lands in the
plan, and nothing an agency sent is lost (applied, a conflict, or already equal).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plans import make_area

from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.merge import (
    CUT_NOTE,
    AcceptedReturn,
    MergeResult,
    ReturnedRow,
    labelled,
    merge_all,
    merge_return,
)
from ipt_excel.core.model import (
    EXCEL_CELL_LIMIT,
    Agency,
    Area,
    Plan,
    Round,
    Theme,
    excel_length,
)

ROUND = "Third review of progress"
T1 = datetime(2012, 9, 14, 10, 30)
T2 = datetime(2012, 9, 15, 11, 0)
AGENCIES = (
    Agency("A", "Children's Social Care"),
    Agency("B", "Health Services"),
    Agency("C", "Police"),
)
NAMES = {a.key: a.name for a in AGENCIES}


UPDATE_FIELDS = tuple(c.key for c in DEFAULT_COLUMNS.updates)


def area(area_id: str, agencies: tuple[str, ...], **values: str) -> Area:
    base = {"progress": "p0", "rag": "AMBER", "evidence": "e0", "next_review": "September 2012"}
    base.update(values)
    return make_area(area_id, "1", f"Area {area_id}", agencies=agencies, **base)


def make_plan(*areas: Area) -> Plan:
    return Plan(
        title="Plan",
        organisation="Council",
        inspection="Inspection",
        round=Round(ROUND, date(2012, 9, 26)),
        themes=(Theme("1", "Practice"),),
        agencies=AGENCIES,
        areas=areas,
    )


def issued_values(a: Area) -> dict[str, str]:
    return {f: a.value(f) for f in UPDATE_FIELDS}


def make_return(
    plan: Plan,
    agency: str,
    updates: Mapping[str, Mapping[str, str]],
    *,
    sha: str = "",
    issued_from: Plan | None = None,
) -> AcceptedReturn:
    """The agency's return: a row for each of its areas, as issued from `issued_from`."""
    source = issued_from or plan
    rows = tuple(
        ReturnedRow(a.id, issued_values(a), {**issued_values(a), **updates.get(a.id, {})})
        for a in source.areas_for(agency)
    )
    return AcceptedReturn(
        agency=agency,
        round=ROUND,
        file_name=f"{agency.lower()}.xlsx",
        sha256=sha or f"{agency}-sha",
        rows=rows,
    )


def hand_edit(plan: Plan, area_id: str, **values: str) -> Plan:
    return replace(
        plan,
        areas=tuple(a.with_updates(values) if a.id == area_id else a for a in plan.areas),
    )


def value(plan: Plan, area_id: str, f: str) -> str:
    return plan.area(area_id).value(f)


# -- unit tests: one agency ------------------------------------------------------------------------
def test_an_agency_change_is_applied_and_recorded() -> None:
    plan = make_plan(area("1", ("A",)), area("2", ("A",)))
    ret = make_return(plan, "A", {"1": {"progress": "Audit done.", "rag": "GREEN"}})
    result = merge_return(plan, ret, now=T1)
    assert value(result.plan, "1", "progress") == "Audit done."
    assert value(result.plan, "1", "rag") == "GREEN"
    assert result.plan.area("2") == plan.area("2")
    assert [(c.area_id, c.column, c.old, c.new) for c in result.changes] == [
        ("1", "progress", "p0", "Audit done."),
        ("1", "rag", "AMBER", "GREEN"),
    ]
    c = result.changes[0]
    assert (c.round, c.agency, c.merged_at, c.source_file, c.source_sha256) == (
        ROUND,
        "A",
        T1,
        "a.xlsx",
        "A-sha",
    )
    assert result.conflicts == ()
    assert result.superseded is False


def test_the_agencys_own_update_is_kept_with_the_fields_it_changed() -> None:
    plan = make_plan(area("1", ("A",)))
    result = merge_return(plan, make_return(plan, "A", {"1": {"evidence": "Audit"}}), now=T1)
    (u,) = result.plan.agency_updates
    assert (u.area_id, u.agency, u.round, u.value("evidence"), u.changed) == (
        "1",
        "A",
        ROUND,
        "Audit",
        ("evidence",),
    )
    assert (u.value("progress"), u.value("rag"), u.value("next_review")) == (
        "p0",
        "AMBER",
        "September 2012",
    )
    assert (u.updated_at, u.source_sha256) == (T1, "A-sha")


def test_a_return_with_nothing_changed_changes_nothing() -> None:
    plan = make_plan(area("1", ("A",)))
    result = merge_return(plan, make_return(plan, "A", {}), now=T1)
    assert result.plan == plan
    assert result.changes == ()
    assert result.conflicts == ()


def test_clearing_a_field_is_a_change_to_empty() -> None:
    plan = make_plan(area("1", ("A",)))
    result = merge_return(plan, make_return(plan, "A", {"1": {"evidence": ""}}), now=T1)
    assert value(result.plan, "1", "evidence") == ""
    assert [(c.column, c.old, c.new) for c in result.changes] == [("evidence", "e0", "")]


# -- conflicts: the master changed since issue -----------------------------------------------------
def test_a_hand_edit_and_a_different_agency_value_is_a_conflict_not_applied() -> None:
    issued = make_plan(area("1", ("A",)))
    master = hand_edit(issued, "1", evidence="Corrected by the coordinator")
    ret = make_return(master, "A", {"1": {"evidence": "Agency words"}}, issued_from=issued)
    result = merge_return(master, ret, now=T1)
    assert value(result.plan, "1", "evidence") == "Corrected by the coordinator"
    assert result.changes == ()
    (c,) = result.conflicts
    assert (c.agency, c.area_id, c.column, c.issued, c.master, c.theirs) == (
        "A",
        "1",
        "evidence",
        "e0",
        "Corrected by the coordinator",
        "Agency words",
    )
    assert (c.found_at, c.source_file, c.source_sha256) == (T1, "a.xlsx", "A-sha")
    # The agency's words are still kept, attributed to it.
    (u,) = result.plan.agency_updates
    assert u.value("evidence") == "Agency words"


def test_a_hand_edit_survives_a_return_that_left_the_field_as_issued() -> None:
    issued = make_plan(area("1", ("A",)))
    master = hand_edit(issued, "1", evidence="Corrected")
    ret = make_return(master, "A", {"1": {"progress": "More"}}, issued_from=issued)
    result = merge_return(master, ret, now=T1)
    assert value(result.plan, "1", "evidence") == "Corrected"
    assert value(result.plan, "1", "progress") == "More"
    assert result.conflicts == ()


def test_an_agency_value_equal_to_the_hand_edit_is_neither_change_nor_conflict() -> None:
    issued = make_plan(area("1", ("A",)))
    master = hand_edit(issued, "1", rag="GREEN")
    ret = make_return(master, "A", {"1": {"rag": "GREEN"}}, issued_from=issued)
    result = merge_return(master, ret, now=T1)
    assert value(result.plan, "1", "rag") == "GREEN"
    assert result.changes == ()
    assert result.conflicts == ()


def test_an_area_removed_from_the_master_keeps_the_agencys_words_as_conflicts() -> None:
    issued = make_plan(area("1", ("A",)), area("2", ("A",)))
    master = replace(issued, areas=(issued.area("1"),))
    ret = make_return(master, "A", {"2": {"progress": "Done"}}, issued_from=issued)
    result = merge_return(master, ret, now=T1)
    (c,) = result.conflicts
    assert (c.area_id, c.column, c.theirs) == ("2", "progress", "Done")
    assert "no longer in the master" in c.master
    assert result.plan.areas == master.areas


# -- shared areas ----------------------------------------------------------------------------------
def test_shared_area_text_lists_each_agency_labelled_in_registry_order() -> None:
    plan = make_plan(area("1", ("A", "B")))
    b = make_return(plan, "B", {"1": {"progress": "Health words"}})
    a = make_return(plan, "A", {"1": {"progress": "Social care words"}})
    result = merge_all(plan, [b, a], now=T1)
    assert value(result.plan, "1", "progress") == (
        "Children's Social Care: Social care words\n\nHealth Services: Health words"
    )
    assert [u.agency for u in result.plan.agency_updates] == ["A", "B"]


def test_shared_area_rag_is_the_worst_and_the_review_date_the_soonest() -> None:
    plan = make_plan(area("1", ("A", "B", "C")))
    rets = [
        make_return(plan, "A", {"1": {"rag": "GREEN", "next_review": "March 2013"}}),
        make_return(plan, "B", {"1": {"rag": "RED", "next_review": "Not required"}}),
        make_return(plan, "C", {"1": {"rag": "AMBER", "next_review": "November 2012"}}),
    ]
    result = merge_all(plan, rets, now=T1)
    assert value(result.plan, "1", "rag") == "RED"
    assert value(result.plan, "1", "next_review") == "November 2012"


def test_shared_area_one_agency_changing_a_text_field_gives_its_words_unlabelled() -> None:
    plan = make_plan(area("1", ("A", "B")))
    rets = [
        make_return(plan, "A", {"1": {"progress": "Only A wrote"}}),
        make_return(plan, "B", {"1": {"evidence": "Only B wrote"}}),
    ]
    result = merge_all(plan, rets, now=T1)
    assert value(result.plan, "1", "progress") == "Only A wrote"
    assert value(result.plan, "1", "evidence") == "Only B wrote"


@pytest.mark.parametrize("order", [("A", "B"), ("B", "A")])
def test_shared_area_rag_counts_every_agency_that_updated_the_area(
    order: tuple[str, str],
) -> None:
    """A updated the area but left its RAG as issued (AMBER): it still stands by AMBER."""
    plan = make_plan(area("1", ("A", "B")))
    by = {
        "A": make_return(plan, "A", {"1": {"progress": "A's words"}}),
        "B": make_return(plan, "B", {"1": {"rag": "GREEN"}}),
    }
    result = merge_all(plan, [by[k] for k in order], now=T1)
    assert value(result.plan, "1", "rag") == "AMBER"


def test_shared_area_rag_ignores_an_agency_that_left_the_area_as_issued() -> None:
    plan = make_plan(area("1", ("A", "B")))
    a = make_return(plan, "A", {})
    b = make_return(plan, "B", {"1": {"rag": "GREEN"}})
    for order in ([a, b], [b, a]):
        result = merge_all(plan, order, now=T1)
        assert value(result.plan, "1", "rag") == "GREEN"
        assert [c.agency for c in result.changes] == ["B"]


# -- superseding -----------------------------------------------------------------------------------
def test_a_second_return_from_the_same_agency_supersedes_the_first() -> None:
    plan = make_plan(area("1", ("A",)))
    first = merge_return(plan, make_return(plan, "A", {"1": {"progress": "X"}}, sha="s1"), now=T1)
    assert first.superseded is False
    second = merge_return(
        first.plan,
        make_return(plan, "A", {"1": {"progress": "Y"}}, sha="s2"),
        now=T2,
    )
    assert second.superseded is True
    assert value(second.plan, "1", "progress") == "Y"
    assert [(c.old, c.new, c.source_sha256) for c in second.changes] == [("X", "Y", "s2")]
    (u,) = second.plan.agency_updates
    assert (u.value("progress"), u.source_sha256, u.updated_at) == ("Y", "s2", T2)


def test_a_superseding_return_that_drops_a_change_restores_the_issued_value() -> None:
    plan = make_plan(area("1", ("A",)))
    first = merge_return(plan, make_return(plan, "A", {"1": {"progress": "X"}}, sha="s1"), now=T1)
    second = merge_return(first.plan, make_return(plan, "A", {}, sha="s2"), now=T2)
    assert value(second.plan, "1", "progress") == "p0"
    assert [(c.column, c.old, c.new) for c in second.changes] == [("progress", "X", "p0")]


def test_a_superseding_return_repeating_a_conflicted_value_keeps_the_conflict() -> None:
    """The first return's conflict is marked resolved when the agency sends again (receive.py
    calls Ledger.resolve_conflicts); the new return must then raise it again, or the agency's
    value is lost silently: not in the master, and no open conflict says so."""
    issued = make_plan(area("1", ("A",)))
    master = hand_edit(issued, "1", evidence="Corrected")
    ret1 = make_return(master, "A", {"1": {"evidence": "Theirs"}}, sha="s1", issued_from=issued)
    first = merge_return(master, ret1, now=T1)
    assert len(first.conflicts) == 1
    ret2 = make_return(
        master,
        "A",
        {"1": {"evidence": "Theirs", "progress": "More"}},
        sha="s2",
        issued_from=issued,
    )
    second = merge_return(first.plan, ret2, now=T2)
    assert value(second.plan, "1", "evidence") == "Corrected"
    assert [(c.column, c.theirs, c.source_sha256) for c in second.conflicts] == [
        ("evidence", "Theirs", "s2")
    ]


@pytest.mark.parametrize("order", [("A", "B"), ("B", "A")])
@pytest.mark.parametrize(
    ("f", "hand", "theirs"),
    [("rag", "GREEN", "RED"), ("next_review", "November 2012", "December 2012")],
)
def test_every_agency_held_back_by_a_hand_edit_gets_its_own_conflict(
    order: tuple[str, str], f: str, hand: str, theirs: str
) -> None:
    issued = make_plan(area("1", ("A", "B")))
    master = hand_edit(issued, "1", **{f: hand})
    rets = {k: make_return(master, k, {"1": {f: theirs}}, issued_from=issued) for k in "AB"}
    result = merge_all(master, [rets[k] for k in order], now=T1)
    assert value(result.plan, "1", f) == hand
    assert sorted(c.agency for c in result.conflicts) == ["A", "B"]


def test_a_hand_edit_equal_to_one_agencys_value_still_holds_back_the_other() -> None:
    issued = make_plan(area("1", ("A", "B")))
    master = hand_edit(issued, "1", progress="x")
    a = make_return(master, "A", {"1": {"progress": "x"}}, issued_from=issued)
    b = make_return(master, "B", {"1": {"progress": "y"}}, issued_from=issued)
    ab, ba = merge_all(master, [a, b], now=T1), merge_all(master, [b, a], now=T1)
    assert ab.plan == ba.plan
    assert value(ab.plan, "1", "progress") == "x"
    assert [c.agency for c in ab.conflicts] == [c.agency for c in ba.conflicts] == ["B"]


# -- idempotence -----------------------------------------------------------------------------------
def test_merging_the_same_return_twice_is_the_same_as_once() -> None:
    plan = make_plan(area("1", ("A", "B")), area("2", ("A",)))
    ret = make_return(plan, "A", {"1": {"progress": "X", "rag": "RED"}, "2": {"evidence": "E"}})
    once = merge_return(plan, ret, now=T1)
    twice = merge_return(once.plan, ret, now=T1)
    assert twice.plan == once.plan
    assert twice.changes == ()


# -- hypothesis ------------------------------------------------------------------------------------
TEXTS = ("p0", "x", "y", "")
RAGS = ("RED", "AMBER", "GREEN", "")
REVIEWS = ("September 2012", "October 2012", "December 2012", "Not required", "")
CHOICES = {"progress": TEXTS, "evidence": TEXTS, "rag": RAGS, "next_review": REVIEWS}
HAND_ONLY = {"progress": ("by hand",), "evidence": ("by hand",), "next_review": ("November 2012",)}
KEYS = tuple(a.key for a in AGENCIES)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    n = draw(st.integers(1, 3))
    areas = []
    for i in range(n):
        agencies = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3, unique=True))
        values = {f: draw(st.sampled_from(CHOICES[f])) for f in UPDATE_FIELDS}
        areas.append(area(str(i + 1), tuple(agencies), **values))
    return make_plan(*areas)


@st.composite
def updates_for(draw: st.DrawFn, plan: Plan, agency: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for a in plan.areas_for(agency):
        fields = draw(st.lists(st.sampled_from(UPDATE_FIELDS), max_size=4, unique=True))
        out[a.id] = {f: draw(st.sampled_from(CHOICES[f])) for f in fields}
    return out


@st.composite
def scenarios(
    draw: st.DrawFn, hand_edits: bool = False, disjoint: bool = False
) -> tuple[Plan, Plan, list[AcceptedReturn]]:
    """(plan as issued, master now, one return from each of some agencies).

    With `hand_edits`, the coordinator has changed some fields of the master since issue;
    with `disjoint` too, only to values no agency sends (and never the RAG).
    """
    issued = draw(plans())
    master = issued
    if hand_edits:
        fields = ("progress", "evidence", "next_review") if disjoint else UPDATE_FIELDS
        choices = HAND_ONLY if disjoint else CHOICES
        for a in issued.areas:
            for f in draw(st.lists(st.sampled_from(fields), max_size=2, unique=True)):
                master = hand_edit(master, a.id, **{f: draw(st.sampled_from(choices[f]))})
    present = [k for k in KEYS if issued.areas_for(k)]
    chosen = draw(st.lists(st.sampled_from(present), min_size=1, unique=True))
    rets = [
        make_return(master, k, draw(updates_for(issued, k)), issued_from=issued) for k in chosen
    ]
    return issued, master, rets


PROPERTY = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is never a fluke
    suppress_health_check=[HealthCheck.too_slow],
)


def _derived(plan: Plan, area_id: str, f: str, base: str) -> str:
    """What the docstring's rule gives for a field from the plan's updates this round."""
    contributors = sorted(
        (
            u
            for u in plan.agency_updates
            if u.area_id == area_id and u.round == ROUND and f in u.changed
        ),
        key=lambda u: KEYS.index(u.agency),
    )
    if not contributors:
        return base
    if f == "rag":
        # The worst rating of every agency that updated the area this round.
        rated = [
            u.value("rag")
            for u in plan.agency_updates
            if u.area_id == area_id and u.round == ROUND and u.changed and u.value("rag")
        ]
        return min(rated, key=RAGS.index) if rated else contributors[0].value("rag")
    values = [u.value(f) for u in contributors]
    if len(values) == 1:
        return values[0]
    if f == "next_review":
        months = {"September 2012": 0, "October 2012": 1, "November 2012": 2, "December 2012": 3}
        return min(values, key=lambda v: (months.get(v, 1 << 30), v))
    return "\n\n".join(f"{NAMES[u.agency]}: {v}" for u, v in zip(contributors, values, strict=True))


@PROPERTY
@given(scenarios(hand_edits=True), st.data())
def test_property_merging_a_return_twice_changes_nothing_the_second_time(
    scenario: tuple[Plan, Plan, list[AcceptedReturn]], data: st.DataObject
) -> None:
    _, master, rets = scenario
    ret = data.draw(st.sampled_from(rets))
    before = merge_all(master, [r for r in rets if r is not ret], now=T1).plan
    once = merge_return(before, ret, now=T1)
    twice = merge_return(once.plan, ret, now=T1)
    assert twice.plan == once.plan
    assert twice.changes == ()
    # Raising a conflict again is fine (it still stands); a new one is not.
    key = lambda c: (c.agency, c.area_id, c.column, c.theirs)  # noqa: E731
    assert set(map(key, twice.conflicts)) <= set(map(key, once.conflicts))


@PROPERTY
@given(scenarios())
def test_property_independent_returns_merge_to_the_same_plan_in_any_order(
    scenario: tuple[Plan, Plan, list[AcceptedReturn]],
) -> None:
    _, master, rets = scenario
    reference = merge_all(master, rets, now=T1)
    for order in itertools.islice(itertools.permutations(rets), 6):
        result = merge_all(master, list(order), now=T1)
        assert result.plan == reference.plan
        assert result.conflicts == ()


@PROPERTY
@given(scenarios(hand_edits=True))
def test_property_with_hand_edits_the_order_still_does_not_matter(
    scenario: tuple[Plan, Plan, list[AcceptedReturn]],
) -> None:
    """Hand edits here include values agencies send too: an agency that happens to agree
    with the coordinator is never taken for the author of the edit."""
    _, master, rets = scenario
    reference = merge_all(master, rets, now=T1)
    for order in itertools.islice(itertools.permutations(rets), 6):
        result = merge_all(master, list(order), now=T1)
        assert result.plan == reference.plan
        assert sorted(result.conflicts, key=repr) == sorted(
            (replace(c) for c in reference.conflicts), key=repr
        )


@PROPERTY
@given(scenarios(hand_edits=True))
def test_property_a_hand_edit_is_never_overwritten(
    scenario: tuple[Plan, Plan, list[AcceptedReturn]],
) -> None:
    issued, master, rets = scenario
    result = merge_all(master, rets, now=T1)
    for a in master.areas:
        for f in UPDATE_FIELDS:
            if a.value(f) != issued.area(a.id).value(f):
                assert value(result.plan, a.id, f) == a.value(f)


def _check_changes_land(master: Plan, result: MergeResult) -> None:
    """Every change is in the plan: per field the changes chain from the value before to the
    value after, and the last one's new value is the plan's value."""
    chains: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for c in result.changes:
        chains.setdefault((c.area_id, c.column), []).append((c.old, c.new))
    for (area_id, f), chain in chains.items():
        assert chain[0][0] == value(master, area_id, f)
        for (_, new), (old, _) in itertools.pairwise(chain):
            assert new == old
        assert chain[-1][1] == value(result.plan, area_id, f)
        assert all(old != new for old, new in chain)
    for a in master.areas:
        for f in UPDATE_FIELDS:
            if (a.id, f) not in chains:
                assert value(result.plan, a.id, f) == a.value(f)


@PROPERTY
@given(scenarios(hand_edits=True))
def test_property_every_change_is_in_the_resulting_plan(
    scenario: tuple[Plan, Plan, list[AcceptedReturn]],
) -> None:
    _, master, rets = scenario
    _check_changes_land(master, merge_all(master, rets, now=T1))


@PROPERTY
@given(scenarios(hand_edits=True))
def test_property_nothing_an_agency_sent_is_lost(
    scenario: tuple[Plan, Plan, list[AcceptedReturn]],
) -> None:
    """Every changed field: kept in the agency's own update, and either the master shows the
    derived value, or there is a conflict, or the master already held the agency's value."""
    issued, _, rets = scenario
    result = merge_all(scenario[1], rets, now=T1)
    conflicts = {(c.agency, c.area_id, c.column): c for c in result.conflicts}
    for ret in rets:
        for row in ret.rows:
            mine = [
                u
                for u in result.plan.agency_updates
                if (u.area_id, u.agency, u.round) == (row.area_id, ret.agency, ROUND)
            ]
            for f in row.changed_keys():
                assert len(mine) == 1
                assert mine[0].value(f) == row.values[f]
                assert f in mine[0].changed
                shown = value(result.plan, row.area_id, f)
                base = issued.area(row.area_id)
                derived = _derived(result.plan, row.area_id, f, base.value(f))
                c = conflicts.get((ret.agency, row.area_id, f))
                assert shown == derived or shown == row.values[f] or c is not None, (
                    ret.agency,
                    row.area_id,
                    f,
                )
                if c is not None:
                    assert c.theirs == row.values[f]
                    assert c.master == shown


@PROPERTY
@given(scenarios())
def test_property_without_hand_edits_the_master_is_exactly_the_derivation(
    scenario: tuple[Plan, Plan, list[AcceptedReturn]],
) -> None:
    issued, master, rets = scenario
    result = merge_all(master, rets, now=T1)
    assert result.conflicts == ()
    for a in issued.areas:
        for f in UPDATE_FIELDS:
            assert value(result.plan, a.id, f) == _derived(result.plan, a.id, f, a.value(f))


@PROPERTY
@given(scenarios(hand_edits=True))
def test_property_hand_edits_no_agency_touched_survive(
    scenario: tuple[Plan, Plan, list[AcceptedReturn]],
) -> None:
    issued, master, rets = scenario
    result = merge_all(master, rets, now=T1)
    touched = {(row.area_id, f) for r in rets for row in r.rows for f in row.changed_keys()}
    for a in master.areas:
        for f in UPDATE_FIELDS:
            if a.value(f) != issued.area(a.id).value(f) and (a.id, f) not in touched:
                assert value(result.plan, a.id, f) == a.value(f)


@PROPERTY
@given(scenarios(hand_edits=True), st.data())
def test_property_a_return_never_merged_leaves_no_trace(
    scenario: tuple[Plan, Plan, list[AcceptedReturn]], data: st.DataObject
) -> None:
    """A rejected return is never passed to the merge: nothing of it reaches the plan."""
    _, master, rets = scenario
    rejected = data.draw(st.sampled_from(rets))
    result = merge_all(master, [r for r in rets if r is not rejected], now=T1)
    assert all(u.agency != rejected.agency for u in result.plan.agency_updates)
    assert all(c.agency != rejected.agency for c in result.changes)
    assert all(c.agency != rejected.agency for c in result.conflicts)
    if len(rets) == 1:
        assert result.plan == master


@pytest.mark.parametrize("order", [("A", "B"), ("B", "A")])
def test_shared_rag_disagreement_gives_the_worst_in_either_order(order: tuple[str, str]) -> None:
    plan = make_plan(area("1", ("A", "B")))
    by = {
        "A": make_return(plan, "A", {"1": {"rag": "GREEN"}}),
        "B": make_return(plan, "B", {"1": {"rag": "RED"}}),
    }
    result = merge_all(plan, [by[k] for k in order], now=T1)
    assert value(result.plan, "1", "rag") == "RED"
    assert {(u.agency, u.value("rag")) for u in result.plan.agency_updates} == {
        ("A", "GREEN"),
        ("B", "RED"),
    }


# -- a shared cell never outgrows Excel's limit --------------------------------------------------
def test_a_full_length_update_and_a_short_one_share_a_cell_that_fits() -> None:
    plan = make_plan(area("1", ("A", "B")), area("2", ("C",)))
    long = "x" * EXCEL_CELL_LIMIT
    a = make_return(plan, "A", {"1": {"progress": long}})
    b = make_return(plan, "B", {"1": {"progress": "Short update."}})
    c = make_return(plan, "C", {"2": {"progress": "Unrelated."}})
    ab, ba = merge_all(plan, [a, b, c], now=T1), merge_all(plan, [c, b, a], now=T1)
    assert ab.plan == ba.plan
    cell = value(ab.plan, "1", "progress")
    assert excel_length(cell) <= EXCEL_CELL_LIMIT
    assert cell.endswith(f"{NAMES['B']}: Short update.")  # the short one is whole
    assert cell.startswith(f"{NAMES['A']}: xxx") and CUT_NOTE in cell
    kept = {u.agency: u.value("progress") for u in ab.plan.agency_updates}
    assert kept["A"] == long and kept["B"] == "Short update."  # nothing lost
    assert value(ab.plan, "2", "progress") == "Unrelated."


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=40),
            st.one_of(
                st.text(max_size=50),
                st.integers(0, EXCEL_CELL_LIMIT).map(lambda n: "é" * n),
                st.integers(0, EXCEL_CELL_LIMIT // 2).map(lambda n: "😀" * n),
            ),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_property_labelled_text_always_fits_and_short_texts_stay_whole(
    parts: list[tuple[str, str]],
) -> None:
    out = labelled(parts)
    assert excel_length(out) <= EXCEL_CELL_LIMIT
    fair = (EXCEL_CELL_LIMIT - sum(excel_length(label) + 4 for label, _ in parts)) // len(parts)
    for label, text in parts:
        if excel_length(text) <= fair:
            assert f"{label}: {text}" in out
    if excel_length("\n\n".join(f"{a}: {b}" for a, b in parts)) <= EXCEL_CELL_LIMIT:
        assert out == "\n\n".join(f"{a}: {b}" for a, b in parts)


# -- a Merger: many returns, one index ----------------------------------------------------------
_UPDATE = st.fixed_dictionaries(
    {},
    optional={
        "progress": st.sampled_from(["", "p0", "new words", "other words"]),
        "rag": st.sampled_from(["", "RED", "AMBER", "GREEN"]),
        "evidence": st.sampled_from(["", "e0", "Audit"]),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    returns=st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.dictionaries(st.sampled_from(["1", "2", "3", "4"]), _UPDATE, max_size=4),
            st.sampled_from([T1, T2]),
            st.booleans(),  # issued from the plan as first issued, or as merged so far
        ),
        max_size=6,
    ),
    edits=st.dictionaries(st.sampled_from(["1", "2", "3"]), _UPDATE, max_size=2),
    stranger=st.booleans(),
)
def test_a_merger_gives_what_merge_return_gives_one_return_after_another(
    returns: list[tuple[str, dict[str, dict[str, str]], datetime, bool]],
    edits: dict[str, dict[str, str]],
    stranger: bool,
) -> None:
    from ipt_excel.core.merge import Merger

    issued = make_plan(
        area("1", ("A", "B")), area("2", ("A", "B", "C")), area("3", ("C",)), area("4", ("B",))
    )
    plan = issued
    for area_id, values in edits.items():  # the coordinator's hand edits since issue
        plan = hand_edit(plan, area_id, **values)
    if stranger:  # an update from an agency no longer in the plan, listed first
        from ipt_excel.core.model import AgencyUpdate

        odd = AgencyUpdate("2", "GONE", ROUND, {"progress": "old"}, T1, "x", ("progress",))
        plan = replace(plan, agency_updates=(odd, *plan.agency_updates))
    merger = Merger(plan)
    expected = plan
    for n, (agency, updates, now, from_issue) in enumerate(returns):
        source = issued if from_issue else expected
        ret = make_return(source, agency, updates, sha=f"s{n}", issued_from=source)
        one = merge_return(expected, ret, now=now)
        step = merger.merge(ret, now=now)
        assert (step.changes, step.conflicts, step.superseded, step.ignored) == (
            one.changes,
            one.conflicts,
            one.superseded,
            one.ignored,
        )
        assert step.changed == (one.plan != expected)
        assert merger.plan == one.plan
        assert merger.plan.agency_updates == one.plan.agency_updates  # in the same order
        expected = one.plan


def test_a_merge_that_fails_leaves_the_merger_as_it_was() -> None:
    from ipt_excel.core.merge import Merger

    plan = make_plan(area("1", ("A", "B")))
    merger = Merger(plan)
    good = make_return(plan, "A", {"1": {"progress": "A's words"}})
    bad = replace(good, rows=(*good.rows, "not a row"))  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        merger.merge(bad, now=T1)
    assert merger.plan == plan
    assert merger.merge(good, now=T1).changes == merge_return(plan, good, now=T1).changes
