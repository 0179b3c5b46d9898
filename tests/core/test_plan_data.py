"""Plan YAML files: the bundled example, errors that name the file, and dump -> load."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from plans import make_update

from ipt_excel.core.actions import parse_actions
from ipt_excel.core.columns import DEFAULT_COLUMNS, PROGRESS_RULE, ColumnSet
from ipt_excel.core.model import Plan
from ipt_excel.core.plan_data import dump_plan, plan_from_dict, plan_to_dict
from ipt_excel.errors import PlanFileError
from ipt_excel.services.plan_source import EXAMPLE_PLAN, example_plan_path, load_plan

EXPECTED_IDS = [
    *(f"1.{n}" for n in range(1, 17)),
    "2.1",
    "2.2.1",
    "2.2.2",
    *(f"2.{n}" for n in range(3, 16)),
]


@pytest.fixture(scope="module")
def example() -> Plan:
    return load_plan(example_plan_path())


def test_example_path_is_the_bundled_yaml() -> None:
    assert example_plan_path() == EXAMPLE_PLAN
    assert EXAMPLE_PLAN.parts[-3:] == ("templates", "banes-2012", "plan.yaml")


def test_example_has_all_32_areas_in_source_order_with_text_ids(example: Plan) -> None:
    assert [a.id for a in example.areas] == EXPECTED_IDS
    assert all(isinstance(a.id, str) for a in example.areas)


def test_example_rags(example: Plan) -> None:
    assert Counter(a.value("rag") for a in example.areas) == {"AMBER": 20, "GREEN": 5, "": 7}
    assert example.area("1.10").value("rag") == "GREEN"
    assert example.area("1.1").value("rag") == "GREEN"
    assert example.area("1.12").value("rag") == ""


def test_example_header(example: Plan) -> None:
    assert example.title.startswith("Improvement plan to respond to recommendations of Ofsted")
    assert example.organisation == "Bath and North East Somerset Council"
    assert example.round.name == "Second review of progress"
    assert example.round.date == date(2012, 6, 26)
    assert example.round.due is None
    assert (example.sign_off_name, example.sign_off_role) == ("Ashley Ayre", "Strategic Director")
    assert example.status == "Final Version"
    assert len(example.notes) == 4
    assert example.rag_scale == ("RED", "AMBER", "GREEN")
    assert [t.id for t in example.themes] == ["1", "2"]
    assert len(example.glossary) == 23
    assert example.glossary[0].term == "LSCB"
    assert example.agency_updates == ()


def test_example_areas_name_registered_agencies_and_themes(example: Plan) -> None:
    keys = {a.key for a in example.agencies}
    assert len(keys) == len(example.agencies)
    theme_ids = {t.id for t in example.themes}
    for area in example.areas:
        assert area.agencies, area.id
        assert set(area.agencies) <= keys, area.id
        assert area.theme in theme_ids, area.id
        assert area.theme == area.id.split(".")[0]


def test_example_texts_are_verbatim(example: Plan) -> None:
    # Spot checks against the seed, typos kept.
    a11 = example.area("1.1")
    assert a11.value("title") == (
        "Ensure that core assessments are completed following all child protection nvestigations"
    )
    actions = parse_actions(a11.value("actions"))
    assert actions.action == (
        "Reiterate advice to all staff and reinforce inservice assurance and off-line auditing"
    )
    assert actions.underpinned_by[0] == "Development and use of in-service audit tool"
    assert example.area("1.6").value("next_review") == "September2012"
    assert example.area("2.2.2").value("next_review") == "Not required"
    assert example.area("2.14").value("evidence").startswith("-to be determined")


def test_load_plan_reads_yaml_files_text_exactly_as_plain_strings(example: Plan) -> None:
    raw = yaml.safe_load(EXAMPLE_PLAN.read_text(encoding="utf-8"))
    for area, raw_area in zip(example.areas, raw["areas"], strict=True):
        assert area.id == raw_area["id"]
        assert area.value("title") == raw_area["title"].strip()
        assert area.value("rag") == (raw_area.get("rag") or "")
        actions = parse_actions(area.value("actions"))
        assert list(actions.underpinned_by) == list(raw_area.get("underpinned_by") or [])


def test_dump_then_load_is_lossless_for_the_example(example: Plan, tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(dump_plan(example), encoding="utf-8")
    assert load_plan(path) == example


def test_plan_dict_round_trip_keeps_agency_updates_and_due_date(example: Plan) -> None:
    from dataclasses import replace

    plan = replace(
        example,
        round=replace(example.round, due=date(2012, 7, 13)),
        rag_scale=("RED", "AMBER", "GREEN", "BLUE"),
        columns=ColumnSet(DEFAULT_COLUMNS.columns, (PROGRESS_RULE,)),
        agency_updates=(
            make_update(
                "1.1",
                "CSC",
                "Second review of progress",
                progress="Done",
                rag="GREEN",
                updated_at=datetime(2012, 7, 2, 10, 30),
                source_sha256="ab" * 32,
            ),
            make_update("1.1", "CS", "Second review of progress", rag="AMBER"),
        ),
    )
    assert plan_from_dict(plan_to_dict(plan)) == plan
    assert plan_from_dict(yaml.safe_load(dump_plan(plan))) == plan


def test_ids_stay_text_when_yaml_would_read_a_number(tmp_path: Path) -> None:
    # An unquoted 1.10 is a float in YAML; the plan must not turn it into "1.1".
    path = tmp_path / "plan.yaml"
    path.write_text(
        "plan: {title: T, round: {name: R, date: 2012-06-26}}\n"
        'areas:\n  - {id: "1.10", theme: "1", title: X}\n  - {id: 2, theme: 2, title: Y}\n',
        encoding="utf-8",
    )
    plan = load_plan(path)
    assert [a.id for a in plan.areas] == ["1.10", "2"]
    assert plan.areas[1].theme == "2"
    assert plan.round.date == date(2012, 6, 26)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(PlanFileError, match="nope.yaml: file not found"):
        load_plan(path)


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("plan: [unclosed\n", encoding="utf-8")
    with pytest.raises(PlanFileError, match="bad.yaml: not valid YAML"):
        load_plan(path)


@pytest.mark.parametrize("text", ["just text\n", "plan: {title: T}\n", "areas: []\n", "- 1\n"])
def test_missing_sections(tmp_path: Path, text: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanFileError, match=r"plan.yaml: a plan file needs 'plan:' and 'areas:'"):
        load_plan(path)


@pytest.mark.parametrize(
    ("areas", "fragment"),
    [
        ("  - {theme: '1', title: X}\n", "area number 1 has no id"),
        ("  - {id: '', theme: '1', title: X}\n", "area number 1 has no id"),
    ],
)
def test_bad_area_names_the_file_and_the_problem(tmp_path: Path, areas: str, fragment: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        "plan: {title: T, round: {name: R, date: 2012-06-26}}\nareas:\n" + areas, encoding="utf-8"
    )
    with pytest.raises(PlanFileError) as info:
        load_plan(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)


def test_bad_round_date_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        "plan: {title: T, round: {name: R, date: 26th June}}\nareas: []\n", encoding="utf-8"
    )
    with pytest.raises(PlanFileError, match="plan.yaml"):
        load_plan(path)


def test_round_is_required(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("plan: {title: T}\nareas: []\n", encoding="utf-8")
    with pytest.raises(PlanFileError, match="round"):
        load_plan(path)


# -- a plan's own columns ------------------------------------------------------------------------
ISSUE_COLUMNS = """
columns:
  - header: Risks and issues
    kind: text
    update: true
    help: Say what could stop this work, and what you are doing about it.
  - header: Status
    kind: choice
    choices: [Not started, On track, Off track, Complete]
    update: true
  - header: "% complete"
    kind: percent
    update: true
  - header: Budget holder
    kind: text
"""


def test_a_plan_file_carries_its_columns_and_areas_fill_them(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        "plan: {title: T, round: {name: R, date: 2012-06-26}}\n"
        + ISSUE_COLUMNS
        + "areas:\n  - {id: '1', theme: '1', title: X, status: On track, budget_holder: Ann,"
        " percent_complete: 40}\n",
        encoding="utf-8",
    )
    plan = load_plan(path)
    assert [c.key for c in plan.columns.updates][-3:] == [
        "risks_and_issues",
        "status",
        "percent_complete",
    ]
    (area,) = plan.areas
    assert area.value("status") == "On track" and area.value("percent_complete") == "40"
    assert area.value("budget_holder") == "Ann" and area.value("risks_and_issues") == ""
    assert plan_from_dict(plan_to_dict(plan)) == plan  # the whole set is in a snapshot


def test_a_value_for_a_column_the_plan_lacks_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        "plan: {title: T, round: {name: R, date: 2012-06-26}}\n"
        "areas:\n  - {id: '1', title: X, status: On track}\n",
        encoding="utf-8",
    )
    with pytest.raises(PlanFileError, match="add the column to the plan's 'columns:' list"):
        load_plan(path)


def test_the_older_switch_for_evidence_still_works() -> None:
    raw = {
        "plan": {
            "title": "T",
            "round": {"name": "R", "date": "2012-06-26"},
            "evidence_required_for_green": False,
        },
        "areas": [{"id": "1", "title": "X"}],
    }
    assert plan_from_dict(raw).columns.rules == (PROGRESS_RULE,)


def test_a_snapshot_from_before_columns_were_data_still_reads() -> None:
    old = {
        "plan": {"title": "T", "round": {"name": "R", "date": "2012-06-26"}},
        "areas": [
            {
                "id": "1",
                "theme": "1",
                "title": "X",
                "action": "Do",
                "underpinned_by": ["a"],
                "supplemented_by": [],
                "agencies": ["A"],
                "progress": "p",
                "rag": "RED",
                "evidence": "",
                "next_review": "",
            }
        ],
        "agency_updates": [
            {
                "area_id": "1",
                "agency": "A",
                "round": "R",
                "progress": "p",
                "rag": "RED",
                "changed": ["rag"],
            }
        ],
    }
    plan = plan_from_dict(old)
    assert plan.columns == DEFAULT_COLUMNS
    assert plan.areas[0].value("actions") == "Do\nUnderpinned by:\n• a"
    assert plan.agency_updates[0].values == {"progress": "p", "rag": "RED"}
