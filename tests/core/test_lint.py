"""Plan lint: the seed's real problems, a clean plan, and one broken plan per rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from plans import make_area, with_values

from ipt_excel.core.lint import (
    RULES,
    LintFinding,
    abbreviations,
    defined_inline,
    glossary_terms,
    lint_frame,
    lint_plan,
    name_pairs,
    references,
)
from ipt_excel.core.model import Agency, Area, GlossaryEntry, Plan, Round, Theme
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan


@pytest.fixture(scope="module")
def seed() -> Plan:
    return load_plan(EXAMPLE_PLAN)


@pytest.fixture(scope="module")
def seed_findings(seed: Plan) -> list[LintFinding]:
    return lint_plan(seed)


def _keys(findings: list[LintFinding], rule: str | None = None) -> list[tuple[str, str, str]]:
    return [(f.area_id, f.field, f.rule) for f in findings if rule is None or f.rule == rule]


# --------------------------------------------------------------------------------------------
# The seed plan

UNRATED = ["1.12", "1.13", "1.14", "2.1", "2.3", "2.6", "2.7"]
MISSING_TERMS = ["BANES", "GCSE", "GP", "IT", "LP", "NHS", "SARI", "SWCP"]

# Every finding on the seed, in the order lint_plan gives them.
SEED_EXPECTED: list[tuple[str, str, str]] = [
    ("1.1", "Actions", "duplicate-text"),
    ("1.1", "Assurance measures", "duplicate-text"),
    ("1.5", "Progress", "duplicate-text"),
    ("1.6", "Date of next review", "review-spelling"),
    ("1.8", "Date of next review", "review-before-round"),
    ("1.10", "Assurance measures", "duplicate-text"),
    ("1.10", "Desired outcome", "duplicate-text"),
    ("1.11", "Progress", "duplicate-text"),
    ("1.12", "RAG", "rag-missing"),
    ("1.12", "Desired outcome", "outcome-empty"),
    ("1.13", "RAG", "rag-missing"),
    ("1.13", "Date of next review", "review-missing"),
    ("1.13", "Lead", "lead-spelling"),
    ("1.13", "Desired outcome", "duplicate-text"),
    ("1.14", "RAG", "rag-missing"),
    ("1.14", "Date of next review", "review-missing"),
    ("2.1", "RAG", "rag-missing"),
    ("2.3", "RAG", "rag-missing"),
    ("2.6", "RAG", "rag-missing"),
    ("2.7", "RAG", "rag-missing"),
    ("2.9", "Actions", "duplicate-text"),
    ("2.9", "Assurance measures", "duplicate-text"),
    ("2.9", "Progress", "duplicate-text"),
    ("2.9", "Evidence of impact", "duplicate-text"),
    ("2.12", "Desired outcome", "outcome-empty"),
    *[("", "", "glossary-missing")] * len(MISSING_TERMS),
]


def test_seed_gives_exactly_the_expected_findings(seed_findings: list[LintFinding]) -> None:
    assert _keys(seed_findings) == SEED_EXPECTED


def test_seed_unrated_areas(seed_findings: list[LintFinding]) -> None:
    found = [f for f in seed_findings if f.rule == "rag-missing"]
    assert [f.area_id for f in found] == UNRATED
    assert found[0].problem == "This area has no RAG rating."
    assert found[0].suggestion == "Give it a rating: RED, AMBER or GREEN."


def test_seed_review_of_1_8_is_before_the_round(seed_findings: list[LintFinding]) -> None:
    (f,) = [f for f in seed_findings if f.rule == "review-before-round"]
    assert (f.area_id, f.field) == ("1.8", "Date of next review")
    assert "June 2012" in f.problem and "26 June 2012" in f.problem


def test_seed_september2012_is_a_spelling_problem(seed_findings: list[LintFinding]) -> None:
    (f,) = [f for f in seed_findings if f.rule == "review-spelling"]
    assert f.area_id == "1.6"
    assert "September2012" in f.problem
    assert f.suggestion == "Write it as September 2012."


def test_seed_chrissie_chardman(seed_findings: list[LintFinding]) -> None:
    (f,) = [f for f in seed_findings if f.rule == "lead-spelling"]
    assert (f.area_id, f.field) == ("1.13", "Lead")
    assert "“Chrissie Chardman”" in f.problem and "“Chrissie Hardman”" in f.problem
    assert "used in 1.11 and 1.13" in f.problem
    assert f.suggestion == "If they are the same person, write Chrissie Hardman."


def test_seed_missing_glossary_entries(seed_findings: list[LintFinding]) -> None:
    found = [f for f in seed_findings if f.rule == "glossary-missing"]
    assert [f.problem.split()[0] for f in found] == MISSING_TERMS
    by_term = {f.problem.split()[0]: f for f in found}
    assert by_term["GCSE"].problem == "GCSE is used in 2.4 but is not in the glossary."
    assert by_term["NHS"].problem == "NHS is used in 2.7, 2.14 and 2.15 but is not in the glossary."
    assert by_term["SARI"].suggestion == (
        "Add SARI to the glossary with what it stands for, or write it out in full."
    )
    # Terms the glossary defines, including each part of "CP/CPG", "IRO/IRS" and "PDP/PR", and
    # plurals ("IROs", "PRs", "CAFs"), are not reported.
    for defined in ("CP", "CPG", "IRO", "IRS", "PDP", "PR", "CAF", "LSCB"):
        assert defined not in by_term


def test_seed_duplicated_lscb_letter_text(seed_findings: list[LintFinding]) -> None:
    (f,) = [f for f in seed_findings if f.rule == "duplicate-text" and f.field == "Progress"][-1:]
    assert f.area_id == "2.9"
    assert f.problem.startswith("2.9, 2.10, 2.11, 2.13, 2.14 and 2.15 repeat the same text in ")
    assert "Letter sent" in f.problem


def test_seed_cross_references_all_exist(seed: Plan, seed_findings: list[LintFinding]) -> None:
    assert not _keys(seed_findings, "cross-reference-unknown")
    # ...and they are found: removing area 1.8 makes each reference to it a finding.
    without = seed.with_areas(tuple(a for a in seed.areas if a.id != "1.8"))
    found = [
        (f.area_id, f.field) for f in lint_plan(without) if f.rule == "cross-reference-unknown"
    ]
    assert found == [
        ("1.12", "Actions"),
        ("1.12", "Lead"),
        ("1.14", "Actions"),
        ("1.14", "Progress"),
        ("2.2.2", "Actions"),
    ]


def test_seed_completion_phrases_all_read(seed_findings: list[LintFinding]) -> None:
    assert not _keys(seed_findings, "completion-unreadable")
    assert not _keys(seed_findings, "agency-unknown")


# --------------------------------------------------------------------------------------------
# A small clean plan, and one broken copy per rule


def clean_plan() -> Plan:
    def row(n: int, **kw: str) -> Area:
        values: dict[str, object] = {
            "title": f"Area number {n} about topic {'abcdefgh'[n]}",
            "agencies": ("CSC",),
            "action": f"Do the work for area {n} with the LSCB",
            "underpinned_by": (f"First step for {n}",),
            "leads": "Jane Smith\nAmir Khan",
            "completion": "April 2012 From June 2012",
            "assurance": f"Audit number {n}",
            "outcome": f"Outcome number {n}",
            "progress": f"Progress number {n}",
            "rag": "AMBER",
            "evidence": f"Evidence number {n}",
            "next_review": "September 2012",
        }
        values.update(kw)
        return make_area(f"1.{n}", "1", **values)  # type: ignore[arg-type]

    return Plan(
        title="Test plan",
        organisation="Test Council",
        inspection="Test inspection",
        round=Round("Second review", date(2012, 6, 26)),
        themes=(Theme("1", "Practice"),),
        agencies=(Agency("CSC", "Children's Social Care"),),
        glossary=(GlossaryEntry("LSCB", "Local Safeguarding Children Board"),),
        areas=(row(1), row(2, rag="GREEN", leads="Jane Smith", next_review="Not required")),
    )


def broken(**changes: object) -> Plan:
    """The clean plan with area 1.2 changed."""
    plan = clean_plan()
    agencies = changes.pop("agencies", None)
    second = with_values(plan.areas[1], **changes)  # type: ignore[arg-type]
    if agencies is not None:
        second = replace(second, agencies=agencies)  # type: ignore[arg-type]
    return plan.with_areas((plan.areas[0], second))


def test_clean_plan_has_no_findings() -> None:
    assert lint_plan(clean_plan()) == []


LONG = (
    "Letter sent from the Independent Chair of the LSCB to the Chief Executive asking for a report"
)

ONE_RULE: list[tuple[str, Plan, tuple[str, str]]] = [
    ("rag-missing", broken(rag=""), ("1.2", "RAG")),
    ("rag-unknown", broken(rag="PURPLE"), ("1.2", "RAG")),
    ("review-missing", broken(next_review=""), ("1.2", "Date of next review")),
    ("review-unreadable", broken(next_review="Soon"), ("1.2", "Date of next review")),
    ("review-spelling", broken(next_review="October2012"), ("1.2", "Date of next review")),
    ("review-before-round", broken(next_review="25/06/2012"), ("1.2", "Date of next review")),
    ("review-too-far", broken(next_review="31/12/9999"), ("1.2", "Date of next review")),
    ("completion-unreadable", broken(completion="Soon"), ("1.2", "Date for completion")),
    ("agency-unknown", broken(agencies=("CSC", "NOPE")), ("1.2", "Agencies")),
    (
        "lead-spelling",
        broken(leads="Jane Smith\nJane Smyth\nAmir Khan"),
        ("1.2", "Lead"),
    ),
    ("assurance-empty", broken(assurance=" "), ("1.2", "Assurance measures")),
    ("outcome-empty", broken(outcome=""), ("1.2", "Desired outcome")),
    (
        "cross-reference-unknown",
        broken(progress="Done (see 3.4 above)"),
        ("1.2", "Progress"),
    ),
    ("glossary-missing", broken(progress="Reported to the CTB"), ("", "")),
]


@pytest.mark.parametrize(("rule", "plan", "where"), ONE_RULE, ids=[r for r, _, _ in ONE_RULE])
def test_each_rule_alone(rule: str, plan: Plan, where: tuple[str, str]) -> None:
    findings = lint_plan(plan)
    assert _keys(findings) == [(*where, rule)]
    f = findings[0]
    assert f.problem.endswith(".") and f.suggestion.endswith(".")
    assert f.problem[0].isupper() or f.problem[0] in "“0123456789"


def test_duplicate_text_alone() -> None:
    plan = clean_plan()
    a, b = plan.areas
    plan = plan.with_areas(
        (with_values(a, progress=LONG + ". More."), with_values(b, progress=LONG))
    )
    findings = lint_plan(plan)
    assert _keys(findings) == [("1.1", "Progress", "duplicate-text")]
    assert findings[0].problem.startswith("1.1 and 1.2 repeat the same text in Progress, ")


def test_duplicate_text_ignores_case_spacing_and_punctuation() -> None:
    plan = clean_plan()
    a, b = plan.areas
    other = LONG.lower().replace(" ", "  ").replace("Chair", "Chair,")
    plan = plan.with_areas((with_values(a, evidence=LONG), with_values(b, evidence=other)))
    assert _keys(lint_plan(plan)) == [("1.1", "Evidence of impact", "duplicate-text")]


def test_short_repeats_are_not_duplicates() -> None:
    plan = clean_plan()
    a, b = plan.areas
    short = "Audit of case files by managers in June"  # under 60 characters
    plan = plan.with_areas((with_values(a, assurance=short), with_values(b, assurance=short)))
    assert lint_plan(plan) == []


def test_every_rule_is_exercised() -> None:
    covered = {r for r, _, _ in ONE_RULE} | {"duplicate-text"}
    assert covered == set(RULES)


# --------------------------------------------------------------------------------------------
# Review dates against the round


@pytest.mark.parametrize(
    ("review", "before"),
    [
        ("May 2012", True),
        ("June 2012", True),  # stands for 1 June 2012, as in Excel
        ("25/06/2012", True),
        ("26/06/2012", False),
        ("July 2012", False),
        ("May 2012 August 2012", False),  # the last date is the next review
        ("Not required", False),
    ],
)
def test_review_before_round(review: str, before: bool) -> None:
    found = _keys(lint_plan(broken(next_review=review)), "review-before-round")
    assert bool(found) is before


def test_the_round_s_own_month_is_too_early_even_on_the_first() -> None:
    # The next review cannot be the review being held: the same rule as ipt check.
    plan = replace(broken(next_review="June 2012"), round=Round("R", date(2012, 6, 1)))
    assert [(f.rule, f.suggestion) for f in lint_plan(plan)] == [
        (
            "review-before-round",
            "Give July 2012 or a later month, a date on or after 1 June 2012, or Not required.",
        )
    ]
    later = replace(broken(next_review="July 2012"), round=Round("R", date(2012, 6, 1)))
    assert lint_plan(later) == []


def test_review_spelling_only_for_a_missing_space() -> None:
    assert not _keys(lint_plan(broken(next_review="Sept 2012")))
    assert not _keys(lint_plan(broken(next_review="26 September 2012")))
    (f,) = lint_plan(broken(next_review="september2012"))
    assert f.suggestion == "Write it as September 2012."


# --------------------------------------------------------------------------------------------
# Lead spelling


def test_name_pairs() -> None:
    assert name_pairs("Maurice Lindsay Trina Shane") == [
        ("Maurice", "Lindsay"),
        ("Lindsay", "Trina"),
        ("Trina", "Shane"),
    ]
    assert name_pairs("Training Management Group/Nicola Bennett IROs") == [
        ("Training", "Management"),
        ("Management", "Group"),
        ("Group", "Nicola"),
        ("Nicola", "Bennett"),
    ]


@pytest.mark.parametrize(
    "leads",
    [
        "Liz Price\nLiz Jones\nLiz Jones",  # different surnames
        "Anna Berg\nAnna Burg",  # equally common: cannot tell which is right
        "Charlie Moat Charlie Moat",
    ],
)
def test_lead_spelling_false_positives(leads: str) -> None:
    assert not _keys(lint_plan(broken(leads=leads)), "lead-spelling")


def test_lead_spelling_reports_every_area_with_the_rare_spelling() -> None:
    plan = clean_plan()
    a, b = plan.areas
    plan = plan.with_areas(
        (
            with_values(a, leads="Chrissie Hardman Chrissie Hardman Chrissie Chardman"),
            with_values(b, leads="Chrissie Hardman Chrissie Hardman Chrissie Chardman"),
        )
    )
    found = [f for f in lint_plan(plan) if f.rule == "lead-spelling"]
    assert [(f.area_id, f.field) for f in found] == [("1.1", "Lead"), ("1.2", "Lead")]
    assert "which is used in 1.1 and 1.2" in found[0].problem


# --------------------------------------------------------------------------------------------
# Glossary


def test_abbreviations() -> None:
    text = "IROs and PRs; CP/CPG; GCSEs at A*-C; the LSCB's report. RED AMBER GREEN BLUE II IV XII"
    assert abbreviations(text) == ["IRO", "PR", "CP", "CPG", "GCSE", "LSCB"]
    assert abbreviations("NOT TO BE Lscb ABCDEFG A") == []


def test_glossary_terms_split_on_slash(seed: Plan) -> None:
    terms = glossary_terms(seed)
    assert {"CP", "CPG", "IRO", "IRS", "PDP", "PR", "LSCB", "BAAF"} <= terms
    assert "CP/CPG" not in terms


def test_glossary_missing_reported_once_with_all_areas() -> None:
    plan = clean_plan()
    a, b = plan.areas
    plan = plan.with_areas(
        (with_values(b, evidence="CTB minutes"), with_values(a, progress="CTB and CTB"))
    )
    (f,) = lint_plan(plan)
    assert (f.area_id, f.field, f.rule) == ("", "", "glossary-missing")
    assert f.problem == "CTB is used in 1.2 and 1.1 but is not in the glossary."


@pytest.mark.parametrize(
    ("text", "defined"),
    [
        ("an Education, Health and Care (EHC) plan", {"EHC"}),
        ("the Local Safeguarding Children Board (LSCB) agreed", {"LSCB"}),
        ("Independent Reviewing Officers (IROs) attend", {"IRO"}),
        ("reported to the board (CTB)", set()),  # its capitals are not the words before
        ("see the report (PDF)", set()),
        ("no brackets: EHC plan", set()),
    ],
)
def test_an_abbreviation_written_out_where_it_is_used(text: str, defined: set[str]) -> None:
    assert defined_inline(text) == defined


def test_an_abbreviation_defined_once_in_the_plan_is_not_reported_anywhere() -> None:
    plan = clean_plan()
    a, b = plan.areas
    plan = plan.with_areas(
        (
            with_values(a, progress="An Education, Health and Care (EHC) plan is agreed."),
            with_values(b, evidence="EHC plans reviewed; CTB minutes."),
        )
    )
    assert [f.problem for f in lint_plan(plan)] == [
        "CTB is used in 1.2 but is not in the glossary."
    ]


# --------------------------------------------------------------------------------------------
# Cross-references


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("Quality reports (see 1.8 above)", ["1.8"]),
        ("As above (1.8)", ["1.8"]),
        ("As detailed in 1.10 and 1.11 above", ["1.10", "1.11"]),
        ("report to HTB (see 2.7 above)", ["2.7"]),
        ("(see 1.1, 1.2, 1.6, 1.8, 1.14 above)", ["1.1", "1.2", "1.6", "1.8", "1.14"]),
        ("actions (also linked to 1.8) completed", ["1.8"]),
        ("Link with actions re 1.8 (above)", ["1.8"]),
        ("see action 2.2.1a", ["2.2.1a"]),
        ("To be reviewed 25.6.12 internally and then 2.7.12 by SHA. (LP 20.6.12)", []),
        ("Introduced 09.02.2012; 95.5% of 2.5 days", []),
    ],
)
def test_references(text: str, refs: list[str]) -> None:
    assert references(text) == refs


@pytest.mark.parametrize(
    ("ref", "exists"),
    [("1.1", True), ("2.1", False), ("1.3", False), ("1.1.2", True), ("1.2a", True)],
)
def test_reference_exists_for_parents_and_parts(ref: str, exists: bool) -> None:
    found = _keys(lint_plan(broken(progress=f"See {ref} above.")), "cross-reference-unknown")
    assert (not found) is exists


def test_completion_cross_reference_unknown() -> None:
    found = lint_plan(broken(completion="April 2012 As detailed in 1.9 above"))
    assert _keys(found) == [("1.2", "Date for completion", "cross-reference-unknown")]
    assert found[0].problem == "The text refers to 1.9, but the plan has no area 1.9."


# --------------------------------------------------------------------------------------------
# Order and frame


def test_findings_sorted_by_area_then_rule() -> None:
    plan = clean_plan()
    a, b = plan.areas
    plan = plan.with_areas(
        (with_values(b, outcome="", rag="", progress="CTB"), with_values(a, next_review="Soon"))
    )
    assert _keys(lint_plan(plan)) == [
        ("1.2", "RAG", "rag-missing"),
        ("1.2", "Desired outcome", "outcome-empty"),
        ("1.1", "Date of next review", "review-unreadable"),
        ("", "", "glossary-missing"),
    ]


def test_lint_frame(seed_findings: list[LintFinding]) -> None:
    frame = lint_frame(seed_findings)
    assert list(frame.columns) == ["ID", "Field", "Problem", "Suggestion", "Rule"]
    assert len(frame) == len(SEED_EXPECTED)
    assert frame.iloc[3].to_dict() == {
        "ID": "1.6",
        "Field": "Date of next review",
        "Problem": "The date of next review “September2012” is missing a space.",
        "Suggestion": "Write it as September 2012.",
        "Rule": "review-spelling",
    }
    empty = lint_frame([])
    assert list(empty.columns) == ["ID", "Field", "Problem", "Suggestion", "Rule"]
    assert empty.empty


def test_a_quarter_without_a_year_is_read_against_the_round_as_the_import_reads_it() -> None:
    plan = clean_plan()
    a, b = plan.areas
    plan = plan.with_areas((with_values(a, next_review="end of Q4"), b))
    assert [f.rule for f in lint_plan(plan) if f.area_id == a.id] == []
    plan = plan.with_areas((with_values(a, next_review="end of Q9"), b))
    assert [f.rule for f in lint_plan(plan) if f.area_id == a.id] == ["review-unreadable"]


def test_a_column_no_area_has_filled_in_yet_is_not_a_gap_in_every_area() -> None:
    plan = clean_plan()
    empty = plan.with_areas(tuple(with_values(a, rag="", next_review="") for a in plan.areas))
    rules = {f.rule for f in lint_plan(empty)}
    assert "rag-missing" not in rules and "review-missing" not in rules
    # Once one area has a value, the others' gaps are reported.
    a, b = empty.areas
    some = empty.with_areas((with_values(a, rag="AMBER", next_review="December 2012"), b))
    assert {f.rule for f in lint_plan(some) if f.area_id == b.id} >= {
        "rag-missing",
        "review-missing",
    }
