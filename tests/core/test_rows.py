"""What a plan row shows in each column, and how a header row maps to columns."""

from __future__ import annotations

from datetime import date

from plans import make_area

from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.model import Agency, Plan, Round, Theme
from ipt_excel.core.rows import agencies_text, cell_text, header_index, theme_text

PLAN = Plan(
    title="T",
    organisation="O",
    inspection="I",
    round=Round("R", date(2012, 6, 26)),
    themes=(Theme("1", "Practice and management"),),
    agencies=(Agency("CSC", "Children's Social Care Service"), Agency("HEALTH", "Health")),
)


def test_agencies_text_uses_names_one_per_line_and_keeps_unknown_keys() -> None:
    assert agencies_text(PLAN, ("CSC", "HEALTH")) == "Children's Social Care Service\nHealth"
    assert agencies_text(PLAN, ("FIRE",)) == "FIRE"
    assert agencies_text(PLAN, ()) == ""


def test_theme_text_is_the_label_or_the_raw_id() -> None:
    assert theme_text(PLAN, "1") == "1. Practice and management"
    assert theme_text(PLAN, "7") == "7"


def test_cell_text_per_kind() -> None:
    row = make_area(
        "1.10",
        "1",
        "=SUM(A1)",
        agencies=("HEALTH",),
        action="Act",
        rag="AMBER",
        progress="+44 started",
    )
    got = {c.key: cell_text(PLAN, row, c) for c in DEFAULT_COLUMNS}
    assert got["id"] == "1.10"
    assert got["theme"] == "1. Practice and management"
    assert got["title"] == "=SUM(A1)"
    assert got["agencies"] == "Health"
    assert got["actions"] == "Act"
    assert got["rag"] == "AMBER"
    assert got["progress"] == "+44 started"
    assert got["action_dates"] == ""  # derived: no completion date to pair with
    assert all(isinstance(v, str) for v in got.values())


def test_header_index_accepts_other_headings_and_ignores_case_and_spacing() -> None:
    headers = ["Area for improvement", "ACTIONS ", "Lead", "Progress at (Inc RAG rating)", "Agency"]
    pos = header_index(headers, DEFAULT_COLUMNS)
    assert pos == {"title": 0, "actions": 1, "leads": 2, "progress": 3, "agencies": 4}


def test_header_index_first_match_wins_and_unknown_are_left_out() -> None:
    pos = header_index(["ID", "Comments", "id", "Progress", "Progress at"], DEFAULT_COLUMNS)
    assert pos == {"id": 0, "progress": 3}


def test_header_index_finds_every_column_by_its_own_header() -> None:
    headers = [c.header for c in DEFAULT_COLUMNS]
    assert header_index(headers, DEFAULT_COLUMNS) == {
        c.key: i for i, c in enumerate(DEFAULT_COLUMNS)
    }
