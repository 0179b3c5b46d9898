"""A plan's columns as data: the default set, a plan's changes to it, the rules, the checks
that refuse a set that cannot work, and the round trip through plain dictionaries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipt_excel.core.columns import (
    DEFAULT_COLUMNS,
    EVIDENCE_RULE,
    PROGRESS_RULE,
    Column,
    ColumnSet,
    Combine,
    CrossRule,
    Kind,
    apply_overrides,
    column_from_dict,
    column_set_from_dict,
    key_for,
    parse_rule,
    rule_from_dict,
)
from ipt_excel.errors import ColumnSetError

# The columns the master's Plan sheet has always had, in this order (derived ones aside).
REQUIRED_HEADERS = (
    "ID",
    "Theme",
    "Area for improvement",
    "Timescale",
    "Practice standards",
    "Agencies",
    "Actions",
    "Lead",
    "Date for completion",
    "Assurance measures",
    "Desired outcome",
    "Progress",
    "RAG",
    "Evidence of impact",
    "Date of next review",
)

# The example from the issue that asked for a column set per plan: it must work as written.
ISSUE_EXAMPLE = [
    {
        "header": "Risks and issues",
        "kind": "text",
        "update": True,
        "help": "Say what could stop this work, and what you are doing about it.",
    },
    {
        "header": "Status",
        "kind": "choice",
        "choices": ["Not started", "On track", "Off track", "Complete"],
        "update": True,
    },
    {"header": "% complete", "kind": "percent", "update": True},
    {"header": "Budget holder", "kind": "text"},
]


def test_the_default_set_is_the_bundled_plans_columns_in_order() -> None:
    stored = tuple(c.header for c in DEFAULT_COLUMNS if c.kind is not Kind.DERIVED)
    assert stored == REQUIRED_HEADERS
    assert [c.key for c in DEFAULT_COLUMNS.updates] == [
        "progress",
        "rag",
        "evidence",
        "next_review",
    ]
    assert DEFAULT_COLUMNS.rag.kind is Kind.RAG
    assert DEFAULT_COLUMNS.rules == (PROGRESS_RULE, EVIDENCE_RULE)


def test_plan_text_is_neither_structure_nor_derived_nor_update() -> None:
    assert [c.key for c in DEFAULT_COLUMNS.plan_text] == [
        "title",
        "timescale",
        "practice_standards",
        "actions",
        "leads",
        "completion",
        "assurance",
        "outcome",
    ]


def test_the_issue_example_adds_its_columns_where_they_belong() -> None:
    cs = apply_overrides(DEFAULT_COLUMNS, ISSUE_EXAMPLE)
    keys = [c.key for c in cs]
    # Update fields after the default update fields; plan text after the default plan text.
    assert keys[-3:] == ["risks_and_issues", "status", "percent_complete"]
    assert keys.index("budget_holder") == keys.index("outcome") + 1
    assert cs["status"].kind is Kind.CHOICE
    assert cs["status"].choices == ("Not started", "On track", "Off track", "Complete")
    assert cs["percent_complete"].header == "% complete"
    assert cs["percent_complete"].kind is Kind.PERCENT and cs["percent_complete"].update
    assert not cs["budget_holder"].update and cs["budget_holder"].in_return
    assert cs.rules == DEFAULT_COLUMNS.rules
    assert cs.fingerprint != DEFAULT_COLUMNS.fingerprint


def test_a_plan_can_rename_move_and_drop_default_columns() -> None:
    cs = apply_overrides(
        DEFAULT_COLUMNS,
        [
            {"key": "evidence", "header": "Impact", "help": "What changed?"},
            {"key": "timescale", "drop": True},
            {"key": "practice_standards", "drop": "yes"},
            {"key": "leads", "header": "Owner", "after": "id"},
        ],
    )
    assert cs["evidence"].header == "Impact" and cs["evidence"].help == "What changed?"
    assert cs["evidence"].update and cs["evidence"].width == DEFAULT_COLUMNS["evidence"].width
    assert "timescale" not in cs and "practice_standards" not in cs
    assert [c.key for c in cs][:2] == ["id", "leads"]


def test_dropping_a_column_drops_the_rules_that_need_it() -> None:
    cs = apply_overrides(DEFAULT_COLUMNS, [{"key": "evidence", "drop": True}])
    assert cs.rules == (PROGRESS_RULE,)


def test_a_plan_can_give_its_own_rules() -> None:
    cs = apply_overrides(
        DEFAULT_COLUMNS,
        ISSUE_EXAMPLE,
        rules=[
            "progress needed when rag is filled",
            {"needs": "risks_and_issues", "when": "rag", "is": "RED"},
        ],
    )
    assert cs.rules == (
        PROGRESS_RULE.__class__("progress", "rag"),
        CrossRule("risks_and_issues", "rag", "RED"),
    )
    assert cs.rules[1].code == "risks-and-issues-required"
    assert cs.rules[1].text_for(cs) == "Enter the risks and issues. An area with RAG RED needs it."


@pytest.mark.parametrize(
    ("entries", "says"),
    [
        ([{"key": "id", "drop": True}], "needs its 'id' column"),
        ([{"key": "agencies", "drop": True}], "needs its 'agencies' column"),
        ([{"key": "rag", "drop": True}], "needs its 'rag' column"),
        ([{"key": "progress2", "header": "progress "}], "Two columns are headed"),
        ([{"header": "Status", "kind": "choice", "update": True}], "has no choices"),
        ([{"header": "Status", "kind": "choice", "choices": ["A, B"]}], "has a comma"),
        ([{"header": "When", "kind": "sometime"}], "has the kind 'sometime'"),
        ([{"header": "Notes", "update": True, "kind": "actions"}], "cannot fill in"),
        (
            [{"header": "Cost", "kind": "number", "update": True, "combine": "worst"}],
            "cannot combine",
        ),
        ([{"header": "Cost", "combine": "sometimes"}], "has combine 'sometimes'"),
        ([{"header": "Cost", "colour": "red"}], r"unknown setting\(s\) colour"),
        ([{"kind": "text"}], "has no header"),
        ([{"key": "nope", "drop": True}], "drops the column 'nope'"),
        ([{"header": "X", "after": "nowhere"}], "goes after 'nowhere'"),
        ([{"header": "X", "update": "perhaps"}], "Use yes or no"),
        (["just a string"], "is not a column"),
    ],
)
def test_a_set_that_cannot_work_is_refused_in_plain_words(entries: list[object], says: str) -> None:
    with pytest.raises(ColumnSetError, match=says):
        apply_overrides(DEFAULT_COLUMNS, entries)  # type: ignore[arg-type]


def test_a_rule_naming_a_column_the_plan_lacks_is_refused() -> None:
    with pytest.raises(ColumnSetError, match="names the column 'risks'"):
        ColumnSet(DEFAULT_COLUMNS.columns, (CrossRule("risks", "rag"),))


def test_rules_read_back_as_they_are_written() -> None:
    for rule in (PROGRESS_RULE, EVIDENCE_RULE, CrossRule("x", "y", "On track")):
        assert parse_rule(rule.as_text()) == rule
        again = parse_rule(rule.describe())
        assert (again.needs, again.when, again.equals) == (rule.needs, rule.when, rule.equals)
    assert parse_rule("Evidence  NEEDED when rag is GREEN") == CrossRule("Evidence", "rag", "GREEN")
    with pytest.raises(ColumnSetError, match="cannot be read"):
        parse_rule("evidence when green")
    with pytest.raises(ColumnSetError, match="needs 'needs:' and 'when:'"):
        rule_from_dict({"needs": "evidence"})


def test_a_set_round_trips_through_a_dict_exactly() -> None:
    cs = apply_overrides(DEFAULT_COLUMNS, ISSUE_EXAMPLE)
    assert column_set_from_dict(cs.to_dict()) == cs
    assert column_set_from_dict(DEFAULT_COLUMNS.to_dict()) == DEFAULT_COLUMNS
    assert column_set_from_dict(cs.to_dict()).fingerprint == cs.fingerprint


def test_a_columns_dict_holds_only_what_differs_from_a_plain_text_column() -> None:
    assert Column("notes", "Notes").to_dict() == {"key": "notes", "header": "Notes", "kind": "text"}
    assert DEFAULT_COLUMNS["rag"].to_dict()["update"] is True


def test_column_from_dict_reads_what_a_sheet_or_a_file_gives() -> None:
    c = column_from_dict(
        {
            "header": "Status",
            "kind": " Choice ",
            "update": "Yes",
            "choices": "Not started\nOn track\n",
            "width": "12",
            "combine": "WORST",
        }
    )
    assert (c.key, c.kind, c.update, c.width, c.combine) == (
        "status",
        Kind.CHOICE,
        True,
        12.0,
        Combine.WORST,
    )
    assert c.choices == ("Not started", "On track")
    assert c.combine_rule is Combine.WORST
    assert column_from_dict({"header": "Cost", "kind": "number"}).combine_rule is Combine.MEAN


@pytest.mark.parametrize(
    ("header", "key"),
    [("% complete", "percent_complete"), ("Risks & issues", "risks_and_issues"), ("", "x")],
)
def test_key_for_a_heading(header: str, key: str) -> None:
    assert key_for(header) == key


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(["text", "choice", "month-or-date", "date", "number", "percent", "rag"]),
        max_size=5,
    ),
    st.booleans(),
)
def test_property_any_set_of_added_update_columns_round_trips(
    kinds: list[str], update: bool
) -> None:
    entries: list[dict[str, object]] = []
    for n, kind in enumerate(kinds):
        if kind == "rag":
            continue  # one RAG column per plan
        entry: dict[str, object] = {"header": f"Added {n}", "kind": kind, "update": update}
        if kind == "choice":
            entry["choices"] = ["One", "Two"]
        if not update and kind not in ("text",):
            entry["kind"] = "text"
        entries.append(entry)
    cs = apply_overrides(DEFAULT_COLUMNS, entries)
    assert column_set_from_dict(cs.to_dict()) == cs
    assert len(cs) == len(DEFAULT_COLUMNS) + len(entries)
