"""Actions paired with completion dates and leads: only where the source allows it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plans import make_area

from ipt_excel.core.actions import (
    BULLET,
    SUPPLEMENTED,
    UNDERPINNED,
    ActionList,
    ScheduledAction,
    action_schedule,
    actions_of,
    actions_text,
    describe_completion,
    parse_actions,
    schedule_text,
)
from ipt_excel.core.dates import DateKind, Month, parse_completion
from ipt_excel.core.model import Plan
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan


@pytest.fixture(scope="module")
def seed() -> Plan:
    return load_plan(EXAMPLE_PLAN)


# Seed areas whose completion cell has one phrase per action; every other area does not.
ALIGNED = {"1.5", "1.9", "1.15", "2.2.1", "2.2.2", "2.5", "2.6", "2.7", "2.8", "2.9"}
ALIGNED |= {"2.12", "2.13", "2.15"}


def test_seed_aligns_only_where_counts_match(seed: Plan) -> None:
    assert {a.id for a in seed.areas if action_schedule(a) is not None} == ALIGNED
    for area in seed.areas:
        if area.id not in ALIGNED:
            assert action_schedule(area) is None, area.id
            assert schedule_text(area) == "", area.id


def test_seed_2_7(seed: Plan) -> None:
    area = seed.area("2.7")
    schedule = action_schedule(area)
    assert schedule is not None
    assert [s.text for s in schedule] == actions_of(area)
    assert [s.text for s in schedule][1:] == [
        "CQC action plan",
        "Inclusion in contract with Sirona Care and Health",
    ]
    assert [s.completion.end for s in schedule if s.completion] == [
        Month(2012, 9),
        Month(2012, 9),
        Month(2012, 5),
    ]
    # Lead "Ashley Ayre Liz Price Karen Littlewood Liz Price" runs names together: no leads.
    assert [s.lead for s in schedule] == ["", "", ""]
    assert schedule_text(area).splitlines()[1:] == [
        "• CQC action plan — by September 2012",
        "• Inclusion in contract with Sirona Care and Health — by May 2012",
    ]


def test_seed_2_2_2_cross_reference(seed: Plan) -> None:
    schedule = action_schedule(seed.area("2.2.2"))
    assert schedule is not None
    last = schedule[-1].completion
    assert last is not None and last.kind is DateKind.CROSS_REFERENCE
    assert schedule_text(seed.area("2.2.2")).endswith(" — see above")


def test_seed_one_action_takes_the_whole_lead(seed: Plan) -> None:
    area = seed.area("2.8")
    action = parse_actions(area.value("actions")).action
    assert action_schedule(area) == [
        ScheduledAction(action, parse_completion("May 2012"), "Liz Price")
    ]
    assert schedule_text(area) == f"• {action} — by May 2012 (lead: Liz Price)"


def test_seed_1_1_keeps_plain_text(seed: Plan) -> None:
    area = seed.area("1.1")
    assert len(actions_of(area)) == 8  # main action, 6 underpinning, 1 supplementing
    assert action_schedule(area) is None  # ...but only 6 completion phrases
    assert schedule_text(area) == ""


def test_leads_attach_when_one_line_per_action() -> None:
    area = make_area(
        "1.1",
        "1",
        "t",
        action="Main action",
        underpinned_by=("Step one",),
        supplemented_by=("Audit\ncontinued",),
        leads="Ann Lee\nBob Roy; Cat Day",
        completion="April 2012 From June 2012 and quarterly thereafter As above (1.8)",
    )
    schedule = action_schedule(area)
    assert schedule is not None
    assert [(s.text, s.lead) for s in schedule] == [
        ("Main action", "Ann Lee"),
        ("Step one", "Bob Roy"),
        ("Audit\ncontinued", "Cat Day"),
    ]
    assert schedule_text(area) == (
        "• Main action — by April 2012 (lead: Ann Lee)\n"
        "• Step one — from June 2012, then quarterly (lead: Bob Roy)\n"
        "• Audit continued — see 1.8 (lead: Cat Day)"
    )


def test_leads_not_attached_when_lines_do_not_match() -> None:
    area = make_area(
        "1.1",
        "1",
        "t",
        action="A",
        underpinned_by=("B",),
        leads="Ann Lee\nBob Roy\nCat Day",
        completion="April 2012 May 2012",
    )
    schedule = action_schedule(area)
    assert schedule is not None
    assert [s.lead for s in schedule] == ["", ""]


@pytest.mark.parametrize(
    ("action", "completion"),
    [("", "April 2012"), ("A", ""), ("A", "April 2012 May 2012")],
)
def test_no_schedule(action: str, completion: str) -> None:
    area = make_area("1.1", "1", "t", action=action, completion=completion)
    assert action_schedule(area) is None
    assert schedule_text(area) == ""


@pytest.mark.parametrize(
    ("phrase", "described"),
    [
        ("April 2012", "by April 2012"),
        ("March 2012 for June 2012", "by June 2012"),
        ("From June 2012", "from June 2012"),
        ("May 2012 and ongoing", "from May 2012"),
        ("June 2012 and quarterly thereafter", "from June 2012, then quarterly"),
        ("On-going", "ongoing"),
        ("Review annually", "annually"),
        ("Henceforth", "from now on"),
        ("April 2012 – March 2013", "April 2012 to March 2013"),
        ("During 2012/13", "April 2012 to March 2013"),
        ("As detailed in 1.10 and 1.11 above", "see 1.10 and 1.11"),
        ("As above", "see above"),
        ("Soon", "Soon"),
    ],
)
def test_describe_completion(phrase: str, described: str) -> None:
    assert describe_completion(parse_completion(phrase)) == described


# -- the Actions cell --------------------------------------------------------------------------
def test_actions_text_layout() -> None:
    assert actions_text("Reiterate advice", ("Audit tool", "Training"), ("Off-line audit",)) == (
        "Reiterate advice\nUnderpinned by:\n• Audit tool\n• Training\n"
        "Supplemented by:\n• Off-line audit"
    )
    assert actions_text("Only this") == "Only this"
    assert actions_text("", (), ("S",)) == "\nSupplemented by:\n• S"


def test_parse_actions_accepts_a_hand_typed_continuation_line() -> None:
    parsed = parse_actions("Main\nUnderpinned by:\n• First item\nwhich goes on\n• Second")
    assert parsed == ActionList("Main", ("First item\nwhich goes on", "Second"), ())


def test_parse_actions_plain_text_is_all_main_action() -> None:
    text = "Do this.\n\nThen that.\n• not a list without a heading"
    assert parse_actions(text) == ActionList(text)


# What an Actions cell can hold without ambiguity: no line of the main action is exactly a
# heading; a list item has no newline. Anything else goes, items starting with "• " included.
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
ITEM = TEXT.filter(lambda s: "\n" not in s)
MAIN = TEXT.filter(lambda s: not {UNDERPINNED, SUPPLEMENTED} & set(s.split("\n")))


@settings(max_examples=25, deadline=None)
@given(MAIN, st.lists(ITEM, max_size=4), st.lists(ITEM, max_size=4))
def test_actions_text_round_trips(main: str, under: list[str], supp: list[str]) -> None:
    text = actions_text(main, tuple(under), tuple(supp))
    assert parse_actions(text) == ActionList(main, tuple(under), tuple(supp))


def test_item_starting_with_a_bullet_round_trips() -> None:
    text = actions_text("A", (BULLET + "x", ""))
    assert parse_actions(text).underpinned_by == ("• x", "")
