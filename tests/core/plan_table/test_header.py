"""Finding the table: the header row below title rows, on the best sheet, near the top."""

from __future__ import annotations

from ipt_excel.core.plan_table import CellValue, SourceFile, make_sheet, map_table


def test_the_header_row_is_found_below_title_rows_and_on_the_best_sheet() -> None:
    cover = make_sheet("Cover", [["Improvement plan"], ["Lead", "Owner"]])  # one column, twice
    plan = make_sheet("Plan", [[], ["Draft"], ["ID", "Action", "Lead"], ["1", "Do", "Jo"]])
    hidden = make_sheet(
        "Old", [["ID", "Action", "Lead", "RAG"], ["9", "Old", "Al", "Red"]], visible=False
    )
    table = map_table(SourceFile("t.xlsx", "xlsx", (cover, hidden, plan)))
    assert (table.sheet, table.header_row, [a.id for a in table.areas]) == ("Plan", 3, ["1"])
    assert map_table(SourceFile("t.xlsx", "xlsx", (hidden,))).sheet == "Old"  # if nothing else


def test_the_header_must_be_near_the_top() -> None:
    rows: list[list[CellValue]] = [[f"line {n}"] for n in range(1, 31)]
    rows += [["ID", "Action"], ["1", "Do"]]
    source = SourceFile("t.xlsx", "xlsx", (make_sheet("S", rows),))
    assert [p.rule for p in map_table(source).problems] == ["no-header"]
    assert map_table(source, header_search_rows=40).header_row == 31
