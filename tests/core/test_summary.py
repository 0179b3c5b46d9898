"""Summaries: RAG counts by theme and agency, disagreements between agencies, overdue areas."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
import yaml
from plans import make_area, make_update

from ipt_excel.core.model import Plan, Round, Theme
from ipt_excel.core.summary import (
    NOT_RATED_LABEL,
    by_recommendation,
    counts_by_agency,
    counts_by_theme,
    disagreements,
    overall_counts,
    overdue_areas,
    rag_labels,
    worst_rag,
)
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan

R = "Second review of progress"


@pytest.fixture(scope="module")
def example() -> Plan:
    return load_plan(EXAMPLE_PLAN)


def test_labels_are_the_scale_then_not_rated(example: Plan) -> None:
    assert rag_labels(example) == ("RED", "AMBER", "GREEN", "Not rated")
    blue = replace(example, rag_scale=("RED", "AMBER", "GREEN", "BLUE"))
    assert rag_labels(blue) == ("RED", "AMBER", "GREEN", "BLUE", NOT_RATED_LABEL)


def test_example_counts_by_theme(example: Plan) -> None:
    # Theme 1 is 1.1-1.16 (GREEN 1.1, 1.3, 1.9, 1.10; unrated 1.12-1.14); theme 2 is the rest
    # (GREEN 2.2.2; unrated 2.1, 2.3, 2.6, 2.7).
    counts = counts_by_theme(example)
    assert counts.rows == (
        ("1. Practice and management", {"GREEN": 4, "AMBER": 9, "Not rated": 3}),
        (
            "2. Service management – Children's Service and cross-Services",
            {"GREEN": 1, "AMBER": 11, "Not rated": 4},
        ),
    )
    assert counts.labels == ("RED", "AMBER", "GREEN", "Not rated")
    assert [counts.total(x) for x in counts.labels] == [0, 20, 5, 7]


def test_example_overall_counts(example: Plan) -> None:
    assert overall_counts(example) == {"AMBER": 20, "GREEN": 5, "Not rated": 7}


def test_example_counts_by_agency_match_the_yaml(example: Plan) -> None:
    # Counted here from the raw YAML, independently of the model.
    raw = yaml.safe_load(EXAMPLE_PLAN.read_text(encoding="utf-8"))
    names = {a["key"]: a["name"] for a in raw["agencies"]}
    expected: dict[str, Counter[str]] = {}
    for raw_area in raw["areas"]:
        for key in raw_area["agencies"]:
            expected.setdefault(names[key], Counter())[raw_area.get("rag") or "Not rated"] += 1
    counts = counts_by_agency(example)
    assert [name for name, _ in counts.rows] == [
        a["name"] for a in raw["agencies"] if a["name"] in expected
    ]
    assert {name: Counter(c) for name, c in counts.rows} == expected
    assert dict(counts.rows)["Children's Social Care Service"] == {
        "GREEN": 5,
        "AMBER": 12,
        "Not rated": 2,
    }
    assert dict(counts.rows)["Emergency Duty Team"] == {"GREEN": 1}


def small(**kw: object) -> Plan:
    base: dict[str, object] = {
        "title": "T",
        "organisation": "O",
        "inspection": "I",
        "round": Round(R, date(2012, 6, 26)),
        "themes": (Theme("1", "One"),),
        "areas": (
            make_area("1.1", "1", "A", rag="RED"),
            make_area("1.2", "1", "B", rag=""),
            make_area("3.1", "3", "C", rag="GREEN"),
        ),
    }
    base.update(kw)
    return Plan(**base)  # type: ignore[arg-type]


def test_areas_with_an_unknown_theme_are_counted_under_no_theme() -> None:
    counts = counts_by_theme(small())
    assert counts.rows == (
        ("1. One", {"RED": 1, "Not rated": 1}),
        ("No theme", {"GREEN": 1}),
    )
    assert counts.total("GREEN") == 1


def test_agencies_with_no_areas_are_left_out_of_the_agency_counts() -> None:
    from ipt_excel.core.model import Agency

    plan = small(
        agencies=(Agency("A", "Alpha"), Agency("B", "Beta")),
        areas=(make_area("1.1", "1", "x", agencies=("A",), rag="AMBER"),),
    )
    assert counts_by_agency(plan).rows == (("Alpha", {"AMBER": 1}),)


@pytest.mark.parametrize(
    ("rags", "worst"),
    [
        (["GREEN", "AMBER"], "AMBER"),
        (["GREEN", "RED", "AMBER"], "RED"),
        (["", "GREEN"], "GREEN"),
        (["", ""], ""),
        ([], ""),
        (["PURPLE", "GREEN"], "GREEN"),
    ],
)
def test_worst_rag(rags: list[str], worst: str) -> None:
    assert worst_rag(small(), rags) == worst


def test_disagreements_in_this_round_only() -> None:
    rag = ("rag",)  # the agency changed the RAG from the value issued to it
    updates = (
        make_update("1.1", "CSC", R, rag="AMBER", changed=rag),
        make_update("1.1", "HEALTH", R, rag="GREEN", changed=("progress", "rag")),
        make_update("1.2", "CSC", R, rag="GREEN", changed=rag),
        make_update("1.2", "HEALTH", R, rag="GREEN", changed=rag),  # agree
        make_update("3.1", "CSC", R, rag="RED", changed=rag),
        make_update("3.1", "HEALTH", R, rag="", changed=rag),  # no rating: no disagreement
        make_update("1.2", "POLICE", "First review", rag="AMBER", changed=rag),  # old round
    )
    assert disagreements(small(agency_updates=updates)) == {
        "1.1": "Agencies disagree: CSC AMBER, HEALTH GREEN"
    }


def test_no_updates_no_disagreements(example: Plan) -> None:
    assert disagreements(example) == {}


def test_overdue_areas() -> None:
    plan = small(
        areas=(
            make_area("1.1", "1", "a", completion="April 2012", rag="AMBER"),
            make_area("1.2", "1", "b", completion="April 2012", rag="GREEN"),  # done: not overdue
            make_area("1.3", "1", "c", completion="April 2012 and September 2012", rag=""),
            make_area("1.4", "1", "d", completion="Immediate", rag="RED"),  # no date: not overdue
            make_area("1.5", "1", "e", completion="June 2012", rag="RED"),  # due by 30 June
            make_area("1.6", "1", "f", completion="May 2012 May 2012", rag="RED"),
            make_area("1.7", "1", "g", completion="April 2012", rag="BLUE"),
        ),
        rag_scale=("RED", "AMBER", "GREEN", "BLUE"),
    )
    assert overdue_areas(plan, date(2012, 6, 26)) == {
        "1.1": "April 2012",
        "1.3": "April 2012 and",
        "1.6": "May 2012",  # each phrase once
    }
    assert "1.5" in overdue_areas(plan, date(2012, 7, 1))
    assert overdue_areas(plan, date(2012, 4, 30)) == {}


def test_example_overdue_on_the_review_date(example: Plan) -> None:
    overdue = overdue_areas(example, example.round.date)
    green = {a.id for a in example.areas if a.value("rag") == "GREEN"}
    assert overdue and not set(overdue) & green
    assert overdue["1.11"] == "April 2012"
    assert set(overdue) <= {a.id for a in example.areas}


def test_action_rows_roll_up_to_their_recommendation() -> None:
    rows = (
        replace(make_area("1a", "1", "Waiting times", rag="AMBER"), parent="1"),
        replace(make_area("1b", "1", "Waiting times", rag="RED"), parent="1"),
        replace(make_area("2a", "1", "Carers", rag=""), parent="2"),
        make_area("3", "1", "No actions of its own", rag="GREEN"),
    )
    got = by_recommendation(small(areas=rows))
    assert [(r.id, r.title, r.counts, r.worst) for r in got] == [
        ("1", "Waiting times", {"AMBER": 1, "RED": 1}, "RED"),
        ("2", "Carers", {NOT_RATED_LABEL: 1}, ""),
    ]
    assert by_recommendation(small()) == ()
