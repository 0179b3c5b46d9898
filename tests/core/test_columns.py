"""The one column specification, and the cell text <-> model mappings built on it."""

from __future__ import annotations

import dataclasses
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from ipt_excel.core.columns import (
    BULLET,
    COLUMNS_BY_KEY,
    PLAN_COLUMNS,
    RETURN_COLUMNS,
    SUPPLEMENTED,
    UNDERPINNED,
    UPDATE_COLUMNS,
    Access,
    Kind,
    actions_text,
    agencies_text,
    cell_text,
    header_index,
    parse_actions,
    theme_text,
)
from ipt_excel.core.model import UPDATE_FIELDS, Agency, Area, Plan, Round, Theme

# The columns issue 2 requires on the master's Plan sheet, in this order.
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

PLAN = Plan(
    title="T",
    organisation="O",
    inspection="I",
    round=Round("R", date(2012, 6, 26)),
    themes=(Theme("1", "Practice and management"),),
    agencies=(Agency("CSC", "Children's Social Care Service"), Agency("HEALTH", "Health")),
)


def test_plan_columns_hold_the_required_ones_in_order() -> None:
    # Derived (display-only) columns may sit between them; the model's columns are these.
    stored = tuple(c.header for c in PLAN_COLUMNS if c.kind is not Kind.DERIVED)
    assert stored == REQUIRED_HEADERS
    assert PLAN_COLUMNS[0].header == "ID" and PLAN_COLUMNS[0].kind is Kind.ID
    assert all(c.field == "" for c in PLAN_COLUMNS if c.kind is Kind.DERIVED)


def test_keys_and_headers_are_unique() -> None:
    keys = [c.key for c in PLAN_COLUMNS]
    assert len(keys) == len(set(keys))
    assert len({c.header.casefold() for c in PLAN_COLUMNS}) == len(PLAN_COLUMNS)
    assert COLUMNS_BY_KEY == {c.key: c for c in PLAN_COLUMNS}


def test_every_column_field_is_an_area_attribute() -> None:
    names = {f.name for f in dataclasses.fields(Area)}
    for col in PLAN_COLUMNS:
        if col.kind is not Kind.DERIVED:
            assert col.field in names, col.key


def test_update_columns_are_the_update_fields() -> None:
    assert tuple(c.field for c in UPDATE_COLUMNS) == UPDATE_FIELDS
    assert all(c.in_return is Access.OPEN and c.help for c in UPDATE_COLUMNS)
    assert all(c.is_update for c in UPDATE_COLUMNS)
    assert not any(c.is_update for c in PLAN_COLUMNS if c not in UPDATE_COLUMNS)


def test_return_columns_id_first_update_cells_last() -> None:
    assert RETURN_COLUMNS[0].key == "id"
    assert RETURN_COLUMNS[-len(UPDATE_COLUMNS) :] == UPDATE_COLUMNS
    keys = [c.key for c in RETURN_COLUMNS]
    assert len(keys) == len(set(keys))
    assert {"shared_with", "issued_progress", "issued_rag"} <= set(keys)
    # Every locked plan column is in the return, for reference.
    locked = {c.key for c in PLAN_COLUMNS if c.in_return is Access.LOCKED}
    assert locked <= set(keys)


def test_required_source_columns() -> None:
    required = {c.key for c in PLAN_COLUMNS if c.required_in_source}
    assert required == {"id", "title", "actions"}


def test_widths_are_positive_and_long_text_columns_are_wide() -> None:
    assert all(c.width > 0 for c in PLAN_COLUMNS)
    for key in ("title", "actions", "progress", "evidence"):
        assert COLUMNS_BY_KEY[key].width >= 30, key


# -- Actions cell --------------------------------------------------------------------------------
def test_actions_text_layout() -> None:
    area = Area(
        "1.1",
        "1",
        "T",
        action="Reiterate advice",
        underpinned_by=("Audit tool", "Training"),
        supplemented_by=("Off-line audit",),
    )
    assert actions_text(area) == (
        "Reiterate advice\nUnderpinned by:\n• Audit tool\n• Training\n"
        "Supplemented by:\n• Off-line audit"
    )
    assert actions_text(Area("1.1", "1", "T", action="Only this")) == "Only this"
    assert actions_text(Area("1.1", "1", "T", supplemented_by=("S",))) == "\nSupplemented by:\n• S"


def test_parse_actions_accepts_a_hand_typed_continuation_line() -> None:
    parsed = parse_actions("Main\nUnderpinned by:\n• First item\nwhich goes on\n• Second")
    assert parsed == {
        "action": "Main",
        "underpinned_by": ("First item\nwhich goes on", "Second"),
        "supplemented_by": (),
    }


def test_parse_actions_plain_text_is_all_main_action() -> None:
    text = "Do this.\n\nThen that.\n• not a list without a heading"
    assert parse_actions(text) == {"action": text, "underpinned_by": (), "supplemented_by": ()}


# What an Actions cell can hold without ambiguity (the model's documented constraints):
# - no line of the main action is exactly "Underpinned by:" or "Supplemented by:";
# - a list item has no newline (one bullet line per item; a line after a bullet is read as a
#   continuation, so items with newlines only survive if no later line starts with "• " or is
#   a heading - kept out of the generator to keep the rule simple).
# Anything else goes: unicode, empty items, items that themselves start with "• ".
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
ITEM = TEXT.filter(lambda s: "\n" not in s)
MAIN = TEXT.filter(lambda s: not {UNDERPINNED, SUPPLEMENTED} & set(s.split("\n")))


@settings(max_examples=25, deadline=None)
@given(MAIN, st.lists(ITEM, max_size=4), st.lists(ITEM, max_size=4))
def test_actions_text_round_trips(main: str, under: list[str], supp: list[str]) -> None:
    area = Area(
        "1.1", "1", "T", action=main, underpinned_by=tuple(under), supplemented_by=tuple(supp)
    )
    assert parse_actions(actions_text(area)) == {
        "action": main,
        "underpinned_by": tuple(under),
        "supplemented_by": tuple(supp),
    }


def test_item_starting_with_a_bullet_round_trips() -> None:
    area = Area("1.1", "1", "T", action="A", underpinned_by=(BULLET + "x", ""))
    assert parse_actions(actions_text(area))["underpinned_by"] == ("• x", "")


# -- other cells ---------------------------------------------------------------------------------
def test_agencies_text_uses_names_one_per_line_and_keeps_unknown_keys() -> None:
    assert agencies_text(PLAN, ("CSC", "HEALTH")) == "Children's Social Care Service\nHealth"
    assert agencies_text(PLAN, ("FIRE",)) == "FIRE"
    assert agencies_text(PLAN, ()) == ""


def test_theme_text_is_the_label_or_the_raw_id() -> None:
    assert theme_text(PLAN, "1") == "1. Practice and management"
    assert theme_text(PLAN, "7") == "7"


def test_cell_text_per_kind() -> None:
    area = Area(
        "1.10",
        "1",
        "=SUM(A1)",
        agencies=("HEALTH",),
        action="Act",
        rag="AMBER",
        progress="+44 started",
    )
    got = {c.key: cell_text(PLAN, area, c) for c in PLAN_COLUMNS}
    assert got["id"] == "1.10"
    assert got["theme"] == "1. Practice and management"
    assert got["title"] == "=SUM(A1)"
    assert got["agencies"] == "Health"
    assert got["actions"] == "Act"
    assert got["rag"] == "AMBER"
    assert got["progress"] == "+44 started"
    assert all(isinstance(v, str) for v in got.values())


# -- header matching -----------------------------------------------------------------------------
def test_header_index_accepts_other_headings_and_ignores_case_and_spacing() -> None:
    headers = ["Area for improvement", "ACTIONS ", "Lead", "Progress at (Inc RAG rating)", "Agency"]
    pos = header_index(headers, PLAN_COLUMNS)
    assert pos == {"title": 0, "actions": 1, "leads": 2, "progress": 3, "agencies": 4}


def test_header_index_first_match_wins_and_unknown_are_left_out() -> None:
    pos = header_index(["ID", "Comments", "id", "Progress", "Progress at"], PLAN_COLUMNS)
    assert pos == {"id": 0, "progress": 3}


def test_header_index_finds_every_column_by_its_own_header() -> None:
    headers = [c.header for c in PLAN_COLUMNS]
    assert header_index(headers, PLAN_COLUMNS) == {c.key: i for i, c in enumerate(PLAN_COLUMNS)}
