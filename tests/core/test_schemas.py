"""pandera schemas from the column specification, and their failures as cell-addressed Problems."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from ipt_excel.core.columns import DEFAULT_COLUMNS, Kind
from ipt_excel.core.problems import Severity
from ipt_excel.core.schemas import FrameContext, Rule, build_schema, kinds, master_rules, validate

KNOWN = {"children's social care service", "health services", "csc"}
COLUMNS = [DEFAULT_COLUMNS[k] for k in ("id", "agencies", "rag")]
CTX = FrameContext(
    file="master.xlsx",
    sheet="Plan",
    positions={"id": 0, "agencies": 5, "rag": 12},
    headers={"id": "ID", "agencies": "Agencies", "rag": "RAG"},
    ids={2: "1.1", 3: "1.1", 4: "", 5: "1.10"},
)


def frame(rows: dict[int, tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=["id", "agencies", "rag"])


def rules(scale: tuple[str, ...] = ("RED", "AMBER", "GREEN")) -> dict[str, list[Rule]]:
    return master_rules(scale, lambda name: name.strip().casefold() in KNOWN)


def test_a_good_frame_has_no_problems() -> None:
    good = frame(
        {
            2: ("1.1", "Children's Social Care Service\nHealth Services", "GREEN"),
            3: ("1.10", "csc", ""),
            4: ("2.2.1", "", "amber"),  # case is forgiven: the reader upper-cases
        }
    )
    assert validate(good, rules(), COLUMNS, CTX) == []


def test_every_problem_is_collected_with_its_cell_in_sheet_order() -> None:
    bad = frame(
        {
            2: ("1.1", "Fire Service", "GREEN"),
            3: ("1.1", "csc", "PURPLE"),
            4: ("  ", "csc", ""),
            5: ("1.10", "csc\nPolice", "BLUE"),
        }
    )
    problems = validate(bad, rules(), COLUMNS, CTX)
    got = [(p.cell, p.rule, p.value, p.area_id) for p in problems]
    assert sorted(got) == sorted(
        [
            ("F2", "agency-known", "Fire Service", "1.1"),
            ("A2", "id-unique", "1.1", "1.1"),
            ("A3", "id-unique", "1.1", "1.1"),
            ("M3", "rag-in-scale", "PURPLE", "1.1"),
            ("A4", "id-present", "  ", ""),
            ("F5", "agency-known", "csc\nPolice", "1.10"),
            ("M5", "rag-in-scale", "BLUE", "1.10"),
        ]
    )
    rows = [int(p.cell[1:]) for p in problems]
    assert rows == sorted(rows)
    assert all(p.file == "master.xlsx" and p.sheet == "Plan" for p in problems)
    assert all(p.severity is Severity.ERROR for p in problems)


def test_messages_name_the_value_and_say_what_to_do() -> None:
    bad = frame({2: ("1.1", "csc", "PURPLE"), 3: ("", "csc", "")})
    by_rule = {p.rule: p for p in validate(bad, rules(), COLUMNS, CTX)}
    assert by_rule["rag-in-scale"].message == (
        "'PURPLE' is not a RAG rating. Use one of RED, AMBER, GREEN, or leave it empty."
    )
    assert by_rule["rag-in-scale"].column == "RAG"
    assert by_rule["id-present"].message.startswith("Every row needs an ID.")


def test_blue_is_allowed_when_the_plan_declares_it() -> None:
    rows = frame({2: ("1.1", "csc", "BLUE")})
    assert validate(rows, rules(("RED", "AMBER", "GREEN", "BLUE")), COLUMNS, CTX) == []
    assert [p.rule for p in validate(rows, rules(), COLUMNS, CTX)] == ["rag-in-scale"]


def test_duplicate_ids_ignore_surrounding_spaces_but_empty_ids_are_not_duplicates() -> None:
    rows = frame({2: ("1.1", "", ""), 3: (" 1.1 ", "", ""), 4: ("", "", ""), 5: ("", "", "")})
    got = sorted((p.cell, p.rule) for p in validate(rows, rules(), COLUMNS, CTX))
    assert got == [
        ("A2", "id-unique"),
        ("A3", "id-unique"),
        ("A4", "id-present"),
        ("A5", "id-present"),
    ]


def test_a_custom_warning_rule_keeps_its_severity_and_formats_its_message() -> None:
    warn = {
        "rag": [
            Rule(
                "rag-set",
                lambda s: s != "",
                "{header} is empty: give a rating.",
                severity=Severity.WARNING,
            )
        ]
    }
    problems = validate(frame({7: ("1.1", "", "")}), warn, COLUMNS, CTX)
    assert len(problems) == 1
    assert problems[0].severity is Severity.WARNING
    assert problems[0].message == "RAG is empty: give a rating."
    assert problems[0].cell == "M7"


def test_element_wise_rule() -> None:
    short = {"id": [Rule("id-short", lambda v: len(v) <= 4, "Too long", element_wise=True)]}
    problems = validate(frame({2: ("1.1", "", ""), 3: ("12.345", "", "")}), short, COLUMNS, CTX)
    assert [(p.cell, p.value) for p in problems] == [("A3", "12.345")]


def test_build_schema_has_one_column_per_spec_column() -> None:
    schema = build_schema(rules(), DEFAULT_COLUMNS.columns)
    assert isinstance(schema, pa.DataFrameSchema)
    assert set(schema.columns) == {c.key for c in DEFAULT_COLUMNS.columns}
    assert [c.name for c in schema.columns["id"].checks] == ["id-present", "id-unique"]


def test_kinds() -> None:
    assert [c.key for c in kinds(DEFAULT_COLUMNS.columns, Kind.RAG)] == ["rag"]
    assert [c.key for c in kinds(DEFAULT_COLUMNS.columns, Kind.ID)] == ["id"]
