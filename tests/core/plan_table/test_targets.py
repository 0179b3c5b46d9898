"""Headings recognised by their usual names (`TARGETS`), and `--map` read."""

from __future__ import annotations

import pytest

from ipt_excel.core.plan_table import (
    IGNORE,
    KEEP,
    TARGETS,
    SourceFile,
    heading_key,
    make_sheet,
    map_table,
    parse_map_option,
)
from ipt_excel.errors import UsageError


@pytest.mark.parametrize(
    ("heading", "key"), [(name, t.key) for t in TARGETS for name in (t.heading, *t.names)]
)
def test_every_usual_name_is_recognised(heading: str, key: str) -> None:
    sheet = make_sheet("S", [[heading, "Other heading", "Lead" if key != "leads" else "RAG"]])
    table = map_table(SourceFile("t.xlsx", "xlsx", (sheet,)))
    expected = "id" if key == "action_id" else key  # an "Action no" alone is the ID
    assert table.mapping[0].target == expected


def test_usual_names_mean_one_column_each() -> None:
    seen: dict[str, str] = {}
    for target in TARGETS:
        for name in (target.heading, *target.names):
            assert seen.setdefault(heading_key(name), target.key) == target.key, name


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("REF.", "id"),
        ("  Target   date ", "completion"),
        ("Date for\ncompletion", "completion"),
        ("RAG (Red/Amber/Green)", "rag"),
        ("RAG rating at 31 March 2024", "rag"),
        ("Progress at 31 March 2024", "progress"),
        ("Progress update – Q4", "progress"),
        ("Rec. No.", "id"),
        ("Responsible Officer:", "leads"),
        ("Organisation(s)", "agencies"),
        ("By when?", "completion"),
        ("Lead agency", "agencies"),
        ("Evidence [of impact]", "evidence"),
        ("Partners & agencies", None),
        ("Comments", None),
        ("Progress", "progress"),
    ],
)
def test_headings_are_recognised_loosely(heading: str, key: str | None) -> None:
    sheet = make_sheet("S", [[heading, "ID", "Action"]])  # the first of two headings wins
    table = map_table(SourceFile("t.xlsx", "xlsx", (sheet,)))
    assert table.mapping[0].target == (key or "")


def test_parse_map_option() -> None:
    assert parse_map_option(
        ["Owner=leads", "Service area = Agencies", "Due=Target date", "Notes=TEXT", "X=skip",
         "a=b=progress"]
    ) == {"Owner": "leads", "Service area": "agencies", "Due": "completion", "Notes": KEEP,
          "X": IGNORE, "a=b": "progress"}  # fmt: skip
    with pytest.raises(UsageError, match=r"'Colour' is not a plan column. Use one of: id, "):
        parse_map_option(["RAG=Colour"])
    with pytest.raises(UsageError, match=r'write it as "Heading=column"'):
        parse_map_option(["Owner"])
    with pytest.raises(ValueError, match="not a plan column"):
        map_table(SourceFile("t", "csv", ()), mapping={"Owner": "colour"})
