"""Headings mapped: unknown ones kept as plan text of their own, `--map` taking its
column first, and a column with values but no heading.
"""

from __future__ import annotations

from ipt_excel.core.plan_table import (
    CellValue,
    SourceFile,
    make_sheet,
    map_table,
    mapping_rows,
    parse_map_option,
)


def test_unknown_headings_become_plan_text_columns_of_their_own() -> None:
    rows: list[list[CellValue]] = [
        ["ID", "Action", "Comments", "% complete", "Comments ", "RAG?", "Notes"],
        ["1", "Do", "a", 0.5, "b", "Amber", None],
    ]
    mapping = parse_map_option(["RAG?=text", "Notes=ignore"])
    table = map_table(SourceFile("t.xlsx", "xlsx", (make_sheet("S", rows),)), mapping=mapping)
    assert [(m.heading, m.key, m.how) for m in table.mapping] == [
        ("ID", "id", "recognised"),
        ("Action", "actions", "recognised"),
        ("Comments", "comments", "kept"),
        ("% complete", "percent_complete", "kept"),
        ("Comments", "comments_2", "kept"),
        ("RAG?", "rag_2", "mapped"),  # never a plan column's own key
        ("Notes", "", "ignored"),
    ]
    area = table.areas[0]
    assert (area.value("comments"), area.value("comments_2"), area.value("rag_2")) == (
        "a", "b", "Amber"
    )  # fmt: skip
    assert area.rag == ""  # "RAG?" was kept as text, so there is no rating


def test_map_overrides_recognition_and_takes_its_column_first() -> None:
    rows: list[list[CellValue]] = [
        ["Ref", "Owner", "Organisation", "Update", "Commentary"],
        ["1", "Police", "Jo Bloggs", "old", "new"],
    ]
    mapping = parse_map_option(
        ["Owner=agencies", "Organisation=leads", "Commentary=progress", "Missing=text"]
    )
    table = map_table(SourceFile("t.xlsx", "xlsx", (make_sheet("S", rows),)), mapping=mapping)
    assert [(m.heading, m.target, m.how) for m in table.mapping] == [
        ("Ref", "id", "recognised"),
        ("Owner", "agencies", "mapped"),
        ("Organisation", "leads", "mapped"),
        ("Update", "", "duplicate"),
        ("Commentary", "progress", "mapped"),
    ]
    area = table.areas[0]
    assert (area.agencies, area.text("leads"), area.text("progress")) == (
        ("Police",), "Jo Bloggs", "new"
    )  # fmt: skip
    assert [(p.rule, p.value) for p in table.problems] == [
        ("map-heading-not-found", "Missing"),
        ("heading-duplicate", "Update"),
    ]
    assert table.problems[0].message == (
        "t.xlsx: --map names a heading 'Missing' that is not in the header row (row 1 of "
        "sheet 'S'). Check its spelling."
    )


def test_map_can_say_which_column_holds_the_ids() -> None:
    rows: list[list[CellValue]] = [["Code", "Recommendation", "Action"], ["A7", "Text", "Do"]]
    source = SourceFile("t.xlsx", "xlsx", (make_sheet("S", rows),))
    assert [p.rule for p in map_table(source).problems] == ["no-ids"]
    table = map_table(source, mapping={"Code": "id"})
    assert [a.id for a in table.areas] == ["A7"]


def test_a_column_with_values_but_no_heading() -> None:
    rows: list[list[CellValue]] = [
        ["ID", "Action", None, None],
        ["1", "Do", "extra", None],
        [None, None, None, None],
        [None, None, None, "Printed 12/03/2024"],  # a footer beside the table
    ]
    table = map_table(SourceFile("t.xlsx", "xlsx", (make_sheet("S", rows),)))
    assert [(m.heading, m.key, m.how) for m in table.mapping] == [
        ("ID", "id", "recognised"),
        ("Action", "actions", "recognised"),
        ("", "column_c", "no heading"),
    ]
    assert table.areas[0].value("column_c") == "extra"
    assert [(p.rule, p.cell) for p in table.problems] == [("heading-missing", "C1")]
    assert [(n.row, n.text, n.kind) for n in table.notes] == [(4, "Printed 12/03/2024", "note")]
    assert ("(column C, no heading)", "kept as plan text") in mapping_rows(table)
