"""The plan model: look-ups, ID ordering, slugs and agency resolution."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from plans import make_area

from ipt_excel.core.model import (
    BLUE,
    DEFAULT_RAG_SCALE,
    EXCEL_CELL_LIMIT,
    NOT_RATED,
    Agency,
    Area,
    Plan,
    Round,
    Theme,
    id_sort_key,
    slugify,
)


def make_plan(**overrides: object) -> Plan:
    base: dict[str, object] = {
        "title": "Improvement plan",
        "organisation": "Example Council",
        "inspection": "Inspection (January 2012)",
        "round": Round("Second review of progress", date(2012, 6, 26)),
        "themes": (Theme("1", "Practice and management"), Theme("2", "Service management")),
        "agencies": (
            Agency("CSC", "Children's Social Care Service", ("Children's Social Care",)),
            Agency("HEALTH", "Health Services", ("Health",), "health@example.gov.uk"),
            Agency("POLICE", "Police"),
        ),
        "areas": (
            make_area("1.1", "1", "First", agencies=("CSC", "HEALTH"), rag="GREEN"),
            make_area("1.10", "1", "Tenth", agencies=("CSC",), rag="AMBER"),
            make_area("2.2.1", "2", "Shared", agencies=("HEALTH",)),
        ),
    }
    base.update(overrides)
    return Plan(**base)  # type: ignore[arg-type]


def test_rag_words_are_the_seeds() -> None:
    assert DEFAULT_RAG_SCALE == ("RED", "AMBER", "GREEN")
    assert BLUE == "BLUE"
    assert NOT_RATED == ""
    assert EXCEL_CELL_LIMIT == 32_767


def test_an_areas_values_are_records_keyed_by_column() -> None:
    a = Area("1.1", "1", ("CSC",), {"title": "T"}, {"rag": "RED", "progress": ""})
    assert a.value("title") == "T" and a.value("rag") == "RED"
    assert a.value("progress") == "" and a.value("no such column") == ""
    b = a.with_updates({"rag": "GREEN", "risks": "None"})
    assert b.value("rag") == "GREEN" and b.value("risks") == "None"
    assert a.value("rag") == "RED"  # the original is untouched


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Children's Social Care", "childrens-social-care"),
        ("Children’s Service", "childrens-service"),
        ("Second review of progress", "second-review-of-progress"),
        ("NHS BANES/Wiltshire PCT", "nhs-banes-wiltshire-pct"),
        ("Café Mère", "cafe-mere"),
        ("  --  ", "x"),
        ("日本", "x"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_id_sort_key_orders_ids_as_numbers_not_text() -> None:
    ids = ["2.10", "1.10", "2.2.1", "1.2", "2.2", "1.1", "2.2.2", "2.3", "10.1"]
    assert sorted(ids, key=id_sort_key) == [
        "1.1",
        "1.2",
        "1.10",
        "2.2",
        "2.2.1",
        "2.2.2",
        "2.3",
        "2.10",
        "10.1",
    ]


def test_id_sort_key_puts_non_numeric_parts_after_numbers() -> None:
    assert sorted(["1.b", "1.2", "1.a"], key=id_sort_key) == ["1.2", "1.a", "1.b"]


def test_ids_are_text_so_1_10_is_not_1_1() -> None:
    plan = make_plan()
    assert plan.area("1.10").value("title") == "Tenth"
    assert plan.area("1.1").value("title") == "First"
    with pytest.raises(KeyError):
        plan.area("1.100")


def test_theme_label_and_lookup() -> None:
    plan = make_plan()
    theme = plan.theme("1")
    assert theme is not None
    assert theme.label == "1. Practice and management"
    assert plan.theme("9") is None


@pytest.mark.parametrize(
    ("theme_id", "title", "label"),
    [
        ("1", "Practice and management", "1. Practice and management"),
        ("1", "1. Weakness", "1. Weakness"),  # numbered already: not numbered twice
        ("2", "2: Leadership", "2: Leadership"),
        ("3", "3) Partnerships", "3) Partnerships"),
        ("1", "Theme 1", "Theme 1"),
        ("A", "Area A", "Area A"),
        ("1", "1.1 is a sub-theme", "1. 1.1 is a sub-theme"),  # another number: numbered
        ("1", "10 things", "1. 10 things"),
        ("1", "", "1"),
        ("1", "1", "1"),
    ],
)
def test_a_theme_is_numbered_once(theme_id: str, title: str, label: str) -> None:
    theme = Theme(theme_id, title)
    assert theme.label == label
    assert theme.labels[0] == label and f"{theme_id}. {title}" in theme.labels


def test_agency_lookup_and_names() -> None:
    plan = make_plan()
    health = plan.agency("HEALTH")
    assert health.names() == ("HEALTH", "Health Services", "Health")
    assert health.email == "health@example.gov.uk"
    assert health.slug == "health"
    with pytest.raises(KeyError):
        plan.agency("Health Services")  # by key only


def test_areas_for_an_agency_in_plan_order() -> None:
    plan = make_plan()
    assert [a.id for a in plan.areas_for("CSC")] == ["1.1", "1.10"]
    assert [a.id for a in plan.areas_for("HEALTH")] == ["1.1", "2.2.1"]
    assert plan.areas_for("POLICE") == ()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("CSC", "CSC"),
        ("csc", "CSC"),
        ("Children's Social Care Service", "CSC"),
        ("children’s  social   care", "CSC"),  # curly apostrophe, extra spaces, case
        ("  Health  ", "HEALTH"),
        ("Police", "POLICE"),
    ],
)
def test_resolve_agency_by_key_name_or_alias(text: str, key: str) -> None:
    found = make_plan().resolve_agency(text)
    assert found is not None
    assert found.key == key


def test_resolve_agency_unknown_is_none() -> None:
    assert make_plan().resolve_agency("Fire Service") is None
    assert make_plan().resolve_agency("") is None


def test_rag_rank_follows_the_scale() -> None:
    plan = make_plan()
    assert [plan.rag_rank(r) for r in ("RED", "AMBER", "GREEN")] == [0, 1, 2]
    assert plan.rag_rank("") == -1
    assert plan.rag_rank("BLUE") == -1  # not on this plan's scale
    blue = make_plan(rag_scale=("RED", "AMBER", "GREEN", "BLUE"))
    assert blue.rag_rank("BLUE") == 3


def test_with_areas_replaces_only_the_areas() -> None:
    plan = make_plan()
    new = plan.with_areas((make_area("3.1", "3", "New"),))
    assert [a.id for a in new.areas] == ["3.1"]
    assert new.title == plan.title and new.agencies == plan.agencies
    assert [a.id for a in plan.areas] == ["1.1", "1.10", "2.2.1"]  # the original is untouched


def test_round_slug() -> None:
    assert Round("Second review of progress", date(2012, 6, 26)).slug == (
        "second-review-of-progress"
    )


def test_model_is_immutable() -> None:
    plan = make_plan()
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.title = "Other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.areas[0].theme = "2"  # type: ignore[misc]


def test_area_defaults_are_empty_and_unrated() -> None:
    a = Area("1.1")
    assert a.value("rag") == NOT_RATED
    assert a.agencies == () and a.text == {} and a.updates == {}


def test_look_ups_are_indexed_and_the_first_of_two_names_wins() -> None:
    plan = make_plan(
        agencies=(Agency("A", "Health"), Agency("B", "Health")),
        areas=(make_area("1", title="first"), make_area("1", title="second")),
    )
    assert plan.resolve_agency("health").key == "A"  # type: ignore[union-attr]
    assert plan.area("1").value("title") == "first"
    assert plan.find_area("2") is None
    assert plan.agency_name("GONE") == "GONE"
