"""Importing a coordinator's own plan table (.csv or .xlsx) with the seed's headings."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter

from ipt_excel.core.model import Plan
from ipt_excel.errors import PlanFileError
from ipt_excel.excel.plan_import import import_table
from ipt_excel.services.plan_source import example_plan_path, load_plan

# The seed's own headings (the Word table's header row), in its order, plus its Agency text.
SEED_HEADERS = [
    "Area for improvement",
    "Actions",
    "Lead",
    "Date for completion",
    "Assurance measures",
    "Desired outcome",
    "Progress at (Inc RAG rating)",
    "Evidence of impact",
    "Date of next review",
    "Agency",
]
DAY = date(2012, 6, 26)
ROUND = "Second review of progress"


@pytest.fixture(scope="module")
def example() -> Plan:
    return load_plan(example_plan_path())


def seed_rows(plan: Plan) -> list[list[str]]:
    """The example as the seed's table: ID leading the area text, RAG ending the progress."""
    rows = []
    for a in plan.areas:
        v = a.value
        progress = f"{v('progress')} {v('rag')}".strip() if v("rag") else v("progress")
        rows.append(
            [
                f"{a.id} {v('title')}",
                v("actions"),
                v("leads"),
                v("completion"),
                v("assurance"),
                v("outcome"),
                progress,
                v("evidence"),
                v("next_review"),
                "\n".join(plan.agency(k).name for k in a.agencies),
            ]
        )
    return rows


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    ws = wb.add_worksheet("Plan")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
    wb.close()
    return path


def check_against_example(plan: Plan, example: Plan) -> None:
    assert [a.id for a in plan.areas] == [a.id for a in example.areas]
    for got, want in zip(plan.areas, example.areas, strict=True):
        for field in (
            "title",
            "actions",
            "leads",
            "completion",
            "assurance",
            "outcome",
            "progress",
            "rag",
            "evidence",
            "next_review",
        ):
            assert got.value(field) == want.value(field), (want.id, field)
        assert got.theme == want.theme
        got_names = [plan.agency(k).name for k in got.agencies]
        assert got_names == [example.agency(k).name for k in want.agencies], want.id
    assert sum(1 for a in plan.areas if a.value("rag") == "GREEN") == 5
    assert sum(1 for a in plan.areas if a.value("rag") == "AMBER") == 20
    assert sum(1 for a in plan.areas if not a.value("rag")) == 7


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_seed_table_imports_the_whole_example(
    example: Plan, tmp_path: Path, writer: object
) -> None:
    suffix = ".csv" if writer is write_csv else ".xlsx"
    path = writer(tmp_path / f"our-plan{suffix}", [SEED_HEADERS, *seed_rows(example)])  # type: ignore[operator]
    plan = import_table(path, round_name=ROUND, round_date=DAY)
    check_against_example(plan, example)
    assert plan.title == "our-plan"
    assert (plan.round.name, plan.round.date) == (ROUND, DAY)
    assert [t.id for t in plan.themes] == ["1", "2"]
    assert plan.rag_scale == ("RED", "AMBER", "GREEN")
    # One registry entry per agency name, in first-seen order.
    names = [ag.name for ag in plan.agencies]
    assert len(names) == len(set(names))
    assert set(names) == {example.agency(k).name for a in example.areas for k in a.agencies}


def test_title_and_rows_above_the_header(example: Plan, tmp_path: Path) -> None:
    rows = [["Improvement plan", "", ""], [], SEED_HEADERS, *seed_rows(example)[:3]]
    path = write_csv(tmp_path / "plan.csv", rows)
    plan = import_table(path, title="Ofsted plan", round_name=ROUND, round_date=DAY)
    assert plan.title == "Ofsted plan"
    assert [a.id for a in plan.areas] == ["1.1", "1.2", "1.3"]


def test_csv_with_a_byte_order_mark(example: Plan, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plan.csv", [SEED_HEADERS, *seed_rows(example)[:2]], "utf-8-sig")
    assert [a.id for a in import_table(path, round_name=ROUND, round_date=DAY).areas] == [
        "1.1",
        "1.2",
    ]


def test_own_headings_with_id_and_rag_columns(tmp_path: Path) -> None:
    rows = [
        ["ID", "Theme", "Area for improvement", "Actions", "RAG", "Agencies", "Progress"],
        ["1.10", "1", "=Tenth area", "-act", "amber", "Police; Health\nPolice", "Going well GREEN"],
        ["2.2.1", "", "Nested", "Do", "", "health", ""],
    ]
    for path in (write_csv(tmp_path / "p.csv", rows), write_xlsx(tmp_path / "p.xlsx", rows)):
        plan = import_table(path, round_name=ROUND, round_date=DAY)
        first, second = plan.areas
        assert (first.id, first.value("title"), first.value("actions"), first.value("rag")) == (
            "1.10",
            "=Tenth area",
            "-act",
            "AMBER",
        )
        # A RAG column exists: the progress is kept whole.
        assert first.value("progress") == "Going well GREEN"
        assert [plan.agency(k).name for k in first.agencies] == ["Police", "Health"]
        assert (second.id, second.theme) == ("2.2.1", "2")
        assert [plan.agency(k).name for k in second.agencies] == ["Health"]  # same, any case


def test_unknown_column_is_named(example: Plan, tmp_path: Path) -> None:
    rows = [[*SEED_HEADERS, "Comments"], *(r + ["x"] for r in seed_rows(example)[:2])]
    with pytest.raises(PlanFileError) as info:
        import_table(write_csv(tmp_path / "plan.csv", rows), round_name=ROUND, round_date=DAY)
    message = str(info.value)
    assert message.startswith("plan.csv: ")
    assert "unknown column(s): 'Comments'" in message
    assert "Rename the headings" in message


@pytest.mark.parametrize("missing", ["Actions", "Area for improvement"])
def test_missing_required_column_is_named(example: Plan, tmp_path: Path, missing: str) -> None:
    i = SEED_HEADERS.index(missing)
    rows = [[c for j, c in enumerate(r) if j != i] for r in [SEED_HEADERS, *seed_rows(example)[:2]]]
    with pytest.raises(PlanFileError) as info:
        import_table(write_csv(tmp_path / "plan.csv", rows), round_name=ROUND, round_date=DAY)
    assert f"missing column(s): '{missing}'" in str(info.value)


def test_misspelt_required_column_is_named_both_ways(example: Plan, tmp_path: Path) -> None:
    headers = ["Action" if h == "Actions" else h for h in SEED_HEADERS]
    rows = [headers, *seed_rows(example)[:2]]
    with pytest.raises(PlanFileError) as info:
        import_table(write_xlsx(tmp_path / "plan.xlsx", rows), round_name=ROUND, round_date=DAY)
    assert "missing column(s): 'Actions'" in str(info.value)
    assert "unknown column(s): 'Action'" in str(info.value)


def test_no_header_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plan.csv", [["a", "b"], ["c", "d"]])
    with pytest.raises(PlanFileError, match="plan.csv: no header row found in the first 20 rows"):
        import_table(path, round_name=ROUND, round_date=DAY)


def test_a_row_without_an_id(example: Plan, tmp_path: Path) -> None:
    rows = [SEED_HEADERS, *seed_rows(example)[:1]]
    rows.append(["Ensure something", "Do it", "", "", "", "", "", "", "", ""])
    with pytest.raises(PlanFileError, match="plan.csv: row 3 has no ID"):
        import_table(write_csv(tmp_path / "plan.csv", rows), round_name=ROUND, round_date=DAY)


def test_header_but_no_areas(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plan.csv", [SEED_HEADERS, [""] * len(SEED_HEADERS)])
    with pytest.raises(PlanFileError, match="plan.csv: the table has a header row but no areas"):
        import_table(path, round_name=ROUND, round_date=DAY)


def test_csv_not_in_utf8(example: Plan, tmp_path: Path) -> None:
    rows = [SEED_HEADERS, ["1.1 Café", "Do", "", "", "", "", "", "", "", ""]]
    path = write_csv(tmp_path / "plan.csv", rows, encoding="latin-1")
    with pytest.raises(PlanFileError, match="plan.csv: save the CSV file as UTF-8"):
        import_table(path, round_name=ROUND, round_date=DAY)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="file not found"):
        import_table(tmp_path / "nope.csv", round_name=ROUND, round_date=DAY)


def test_other_file_types_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.docx"
    path.write_bytes(b"x")
    with pytest.raises(PlanFileError, match="plan.docx: import a plan from an .xlsx or .csv"):
        import_table(path, round_name=ROUND, round_date=DAY)


def test_agencies_that_would_share_a_return_file(tmp_path: Path) -> None:
    rows = [
        ["Area for improvement", "Actions", "Agency"],
        ["1.1 One", "Do", "Health & Care"],
        ["1.2 Two", "Do", "Health Care"],
    ]
    with pytest.raises(PlanFileError) as info:
        import_table(write_csv(tmp_path / "plan.csv", rows), round_name=ROUND, round_date=DAY)
    assert "'Health & Care' and 'Health Care' would share a return file name" in str(info.value)
