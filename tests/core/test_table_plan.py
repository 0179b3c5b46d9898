"""The plan a mapped table makes (core/table_plan.py): its columns, rows, themes and agencies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ipt_excel.core.columns import Kind
from ipt_excel.core.model import Plan
from ipt_excel.core.plan_table import (
    CellValue,
    RegistryAgency,
    SourceFile,
    make_sheet,
    map_table,
)
from ipt_excel.core.table_plan import ImportedPlan, plan_from_table

DAY = date(2024, 5, 1)


def imported(
    rows: Sequence[Sequence[CellValue]],
    merged: Sequence[str] = (),
    registry: Sequence[RegistryAgency] = (),
    **kwargs: object,
) -> ImportedPlan:
    source = SourceFile("plan.xlsx", "xlsx", (make_sheet("Plan", rows, merged),))
    table = map_table(source, registry=registry, context=DAY, **kwargs)  # type: ignore[arg-type]
    return plan_from_table(
        table, title="Our plan", round_name="Baseline", round_date=DAY, registry=registry
    )


def plan_of(rows: Sequence[Sequence[CellValue]], **kwargs: object) -> Plan:
    result = imported(rows, **kwargs)  # type: ignore[arg-type]
    assert result.errors == (), result.errors
    return result.plan


def test_columns_are_headed_as_the_council_heads_them() -> None:
    plan = plan_of(
        [["Ref", "Finding", "Owner", "Organisation", "Status"], ["1", "One", "Jo", "P", "A"]]
    )
    headers = {c.key: c.header for c in plan.columns}
    assert (headers["id"], headers["title"], headers["leads"], headers["rag"]) == (
        "Ref", "Finding", "Owner", "Status"
    )  # fmt: skip
    # Optional plan text the table does not have is left out; the update fields are all there.
    assert "assurance" not in headers and "outcome" not in headers
    assert [c.key for c in plan.columns.updates] == ["progress", "rag", "evidence", "next_review"]


def test_every_heading_kept_as_plan_text_is_a_locked_column_before_the_updates() -> None:
    plan = plan_of([["Ref", "Finding", "Agency", "Budget", "Notes"], ["1", "One", "P", "£5", "n"]])
    budget, notes = plan.columns.get("budget"), plan.columns.get("notes")
    assert budget is not None and notes is not None
    assert (budget.kind, budget.update, notes.kind, notes.update) == (
        Kind.TEXT, False, Kind.TEXT, False
    )  # fmt: skip
    keys = [c.key for c in plan.columns]
    assert keys.index("notes") < keys.index("progress")
    assert plan.areas[0].value("budget") == "£5"


def test_action_rows_carry_their_recommendation() -> None:
    rows = [
        ["Ref", "Recommendation", "Action", "Owner", "Agency", "RAG"],
        ["1", "Waiting times", "Recruit", "Jo", "ASC", "Amber"],
        [None, None, "Review the list", "Sam", "ICB", "Red"],
    ]
    plan = plan_of(rows, merged=["A2:A3", "B2:B3"])
    assert [(a.id, a.parent, a.value("title"), a.value("actions"), a.agencies, a.value("rag"))
            for a in plan.areas] == [
        ("1a", "1", "Waiting times", "Recruit", ("ASC",), "AMBER"),
        ("1b", "1", "Waiting times", "Review the list", ("ICB",), "RED"),
    ]  # fmt: skip
    parent = plan.columns.get("parent")
    assert parent is not None and parent.kind is Kind.PARENT
    assert parent.header == "Recommendation ref"


def test_the_recommendation_column_takes_a_heading_the_table_does_not_use() -> None:
    rows = [
        ["Ref", "Recommendation", "Action", "Agency", "Recommendation ref"],
        ["1", "One", "Do", "ASC", "x"],
        ["1", "One", "Do more", "ICB", "y"],
    ]
    plan = plan_of(rows)
    assert plan.columns.get("parent").header == "Recommendation ID"  # type: ignore[union-attr]


def test_themes_from_a_theme_column_in_order() -> None:
    rows = [
        ["ID", "Theme", "Area", "Agency"],
        ["1", "Practice", "a", "P"],
        ["2", "Leadership", "b", "P"],
        ["3", "Practice", "c", "P"],
    ]
    plan = plan_of(rows)
    assert [(t.id, t.title) for t in plan.themes] == [("1", "Practice"), ("2", "Leadership")]
    assert [a.theme for a in plan.areas] == ["1", "2", "1"]


def test_themes_from_dotted_ids_or_one_named_after_the_plan() -> None:
    dotted = plan_of(
        [["ID", "Area", "Agency"], ["1.1", "a", "P"], ["1.2", "b", "P"], ["2.1", "c", "P"]]
    )
    assert [(t.id, t.title) for t in dotted.themes] == [("1", "Theme 1"), ("2", "Theme 2")]
    assert [a.theme for a in dotted.areas] == ["1", "1", "2"]
    flat = plan_of([["ID", "Area", "Agency"], ["R1", "a", "P"], ["R2", "b", "P"]])
    assert [(t.id, t.title) for t in flat.themes] == [("1", "Our plan")]


def test_registry_agencies_come_first_keyed_by_short_name() -> None:
    registry = [RegistryAgency("Northshire Police", "Police", "p@x.gov.uk", ("Constabulary",))]
    rows = [["ID", "Area", "Agency"], ["1", "a", "Health; Constabulary"]]
    plan = plan_of(rows, registry=registry)
    assert [(a.key, a.name, a.email) for a in plan.agencies] == [
        ("Police", "Northshire Police", "p@x.gov.uk"), ("Health", "Health", ""),
    ]  # fmt: skip
    assert plan.areas[0].agencies == ("Health", "Police")


def test_agencies_sharing_a_file_name_and_a_plan_without_agencies_are_errors() -> None:
    shared = imported(
        [["ID", "Area", "Agency"], ["1", "a", "Health & Care"], ["2", "b", "Health Care"]]
    )
    assert [p.rule for p in shared.errors] == ["agency-file-name"]
    none = imported([["ID", "Area", "Lead"], ["1", "a", "Jo"]])
    assert [(p.rule, p.file, p.sheet) for p in none.errors] == [
        ("no-agencies", "plan.xlsx", "Plan")
    ]


def test_the_mapping_is_returned_for_printing() -> None:
    result = imported([["Ref", "Finding", "Agency", "Notes"], ["1", "One", "P", "n"]])
    assert ("Notes", "kept as plan text") in result.mapping
