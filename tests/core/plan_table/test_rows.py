"""Reading the rows: repeated headers, IDs used again, missing or not IDs, section headings,
merged cells, and IDs read from the text or kept as text exactly.
"""

from __future__ import annotations

import pytest

from ipt_excel.core.plan_table import CellValue, id_in_text

from .helpers import sheet_table


def test_rows_that_repeat_the_header_are_skipped() -> None:
    header: list[CellValue] = ["Area for improvement", "Actions", "Lead"]
    rows = [header, ["1.1 First", "Do", "Jo"], header, ["1.2 Second", "Do", "Sam"]]
    table = sheet_table(rows)
    assert [a.id for a in table.areas] == ["1.1", "1.2"]
    assert [(n.row, n.kind) for n in table.notes] == [(3, "repeated-header")]


def test_an_id_used_again_further_down() -> None:
    rows: list[list[CellValue]] = [
        ["ID", "Action", "Lead"], ["1.1", "a", "Jo"], ["1.2", "b", "Al"], ["1.1", "c", "Sam"]
    ]  # fmt: skip
    table = sheet_table(rows)
    assert [(a.id, a.rows) for a in table.areas] == [("1.1", (2, 4)), ("1.2", (3,))]
    assert [(p.rule, p.cell) for p in table.problems] == [("id-repeated", "A4")]
    assert "first at A2" in table.problems[0].message


def test_rows_before_any_id_and_text_in_the_id_column() -> None:
    rows: list[list[CellValue]] = [
        ["ID", "Action", "Lead"],
        [None, "orphan", "Jo"],
        ["1", "a", "Al"],
        ["Leadership and management", "b", "Sam"],
        ["Key: R = off track", None, None],
    ]
    table = sheet_table(rows)
    assert [(p.rule, p.cell) for p in table.problems] == [
        ("id-missing", "B2"),
        ("id-not-an-id", "A4"),
    ]
    assert table.problems[0].message == (
        "t.xlsx, S!B2: row 2 has no ID. Give it an ID in the 'ID' column, or delete the row."
    )
    assert [(n.row, n.kind) for n in table.notes] == [(5, "note")]


def test_a_note_under_the_table_after_a_blank_row_is_not_plan_text() -> None:
    rows: list[list[CellValue]] = [
        ["ID", "Action", "Lead"],
        ["1", "a", "Al"],
        [None, "and b", None],  # no gap: the next line of area 1's action
        [None, None, None],
        [None, "Key: R = not started, A = started, G = done", None],
    ]
    table = sheet_table(rows)
    assert [(n.row, n.kind, n.text) for n in table.notes] == [
        (5, "note", "Key: R = not started, A = started, G = done")
    ]
    assert [(a.id, a.rows) for a in table.areas] == [("1", (2, 3))]
    assert not table.problems


def test_a_lone_line_after_a_blank_row_then_more_areas_is_a_section() -> None:
    rows: list[list[CellValue]] = [
        ["ID", "Action", "Lead"],
        ["1", "a", "Al"],
        [None, None, None],
        [None, "Leadership", None],
        ["2", "b", "Jo"],
    ]
    table = sheet_table(rows)
    assert [(a.id, a.section) for a in table.areas] == [("1", ""), ("2", "Leadership")]


def test_a_section_heading_row_merged_across_the_table() -> None:
    rows: list[list[CellValue]] = [
        ["ID", "Theme", "Action", "Lead"],
        ["Theme 1: Practice", None, None, None],
        ["1.1", None, "a", "Jo"],
    ]
    table = sheet_table(rows, ("A2:D2",))
    assert (table.areas[0].section, table.notes[0].kind) == ("Theme 1: Practice", "section")


def test_a_heading_merged_into_the_row_below_fills_nothing() -> None:
    rows: list[list[CellValue]] = [["ID", "Action", "Lead"], [None, "a", "Jo"], ["1", "b", "Al"]]
    table = sheet_table(rows, ("A1:A2",))
    assert [(p.rule, p.cell) for p in table.problems] == [("id-missing", "B2")]
    assert [(a.id, a.rows) for a in table.areas] == [("1", (3,))]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("1.4 Ensure that…", ("1.4", "Ensure that…")),
        ("1.10 Ensure", ("1.10", "Ensure")),
        ("R1a. Theme: x", ("R1a", "Theme: x")),
        ("Recommendation 3: Improve", ("3", "Improve")),
        ("Rec 2 - Improve", ("2", "Improve")),
        ("Area for improvement 1.1 Ensure", ("1.1", "Ensure")),
        ("2.2.1) Nested", ("2.2.1", "Nested")),
        ("1. The quality", ("1", "The quality")),
        ("Ensure that 1.4 is done", None),
        ("1.4", None),  # an ID and nothing else
        ("rec", None),
    ],
)
def test_id_in_text(text: str, found: tuple[str, str] | None) -> None:
    assert id_in_text(text) == found


def test_id_cells_are_kept_as_text_exactly() -> None:
    rows: list[list[CellValue]] = [
        ["ID", "Action"], [1.1, "a"], [2, "b"], ["1.10", "c"], [" 3 ", "d"], [12345678.5, "e"]
    ]  # fmt: skip
    assert [a.id for a in sheet_table(rows).areas] == ["1.1", "2", "1.10", "3", "12345678.5"]
