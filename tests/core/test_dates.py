"""Tests for ipt_excel.core.dates: every date phrase and review value in the seed plan, and more."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipt_excel.core.dates import (
    CONTEXT_YEARS,
    NOT_REQUIRED,
    CompletionDate,
    DateKind,
    Month,
    ReviewDate,
    financial_quarter,
    financial_year_of,
    format_plan_date,
    format_review,
    month_choices,
    normalise_cell,
    parse_completion,
    parse_review_date,
    read_completion_value,
    split_completion_phrases,
)

# The bundled, byte-for-byte copy of the seed plan (see templates/banes-2012/CURATION.md).
SEED = Path(__file__).resolve().parents[2] / "templates" / "banes-2012" / "source.txt"

K = DateKind


def M(year: int, month: int) -> Month:  # noqa: N802 - reads like a constructor in tables
    return Month(year, month)


# --------------------------------------------------------------------------------------------
# Every distinct completion phrase in the seed (and the ones the plan's authors also use in the
# Lead column, such as "As above (1.8)"): text, kind, start, end, refs, recurring.

SEED_PHRASES: list[tuple[str, DateKind, Month | None, Month | None, tuple[str, ...], str]] = [
    ("February 2012", K.BY, M(2012, 2), M(2012, 2), (), ""),
    ("March 2012", K.BY, M(2012, 3), M(2012, 3), (), ""),
    ("April 2012", K.BY, M(2012, 4), M(2012, 4), (), ""),
    ("May 2012", K.BY, M(2012, 5), M(2012, 5), (), ""),
    ("June 2012", K.BY, M(2012, 6), M(2012, 6), (), ""),
    ("July 2012", K.BY, M(2012, 7), M(2012, 7), (), ""),
    ("September 2012", K.BY, M(2012, 9), M(2012, 9), (), ""),
    ("December 2012", K.BY, M(2012, 12), M(2012, 12), (), ""),
    ("March 2013", K.BY, M(2013, 3), M(2013, 3), (), ""),
    ("By March 2013", K.BY, M(2013, 3), M(2013, 3), (), ""),
    ("Introduced 09.02.2012", K.BY, M(2012, 2), M(2012, 2), (), ""),
    ("Date for completion April 2012", K.BY, M(2012, 4), M(2012, 4), (), ""),
    ("Date for completion March 2012", K.BY, M(2012, 3), M(2012, 3), (), ""),
    ("March 2012 for June 2012", K.BY, M(2012, 3), M(2012, 6), (), ""),
    ("April 2012 for June 2012", K.BY, M(2012, 4), M(2012, 6), (), ""),
    ("From March 2012", K.FROM, M(2012, 3), None, (), ""),
    ("From April 2012", K.FROM, M(2012, 4), None, (), ""),
    ("From June 2012", K.FROM, M(2012, 6), None, (), ""),
    ("May 2012 and ongoing", K.FROM, M(2012, 5), None, (), ""),
    ("May 2012 and on- going", K.FROM, M(2012, 5), None, (), ""),
    ("September 2012 and on-going", K.FROM, M(2012, 9), None, (), ""),
    ("March 2012 and henceforth", K.FROM, M(2012, 3), None, (), ""),
    ("June 2012 and quarterly thereafter", K.FROM, M(2012, 6), None, (), "quarterly"),
    ("On-going", K.ONGOING, None, None, (), ""),
    ("Review annually", K.ONGOING, None, None, (), "annually"),
    ("Henceforth", K.HENCEFORTH, None, None, (), ""),
    ("May/June 2012", K.RANGE, M(2012, 5), M(2012, 6), (), ""),
    ("April – June 2012", K.RANGE, M(2012, 4), M(2012, 6), (), ""),
    ("March – June 2012", K.RANGE, M(2012, 3), M(2012, 6), (), ""),
    ("July-August 2012", K.RANGE, M(2012, 7), M(2012, 8), (), ""),
    ("April 2012 – July 2012", K.RANGE, M(2012, 4), M(2012, 7), (), ""),
    ("April 2012 – March 2013", K.RANGE, M(2012, 4), M(2013, 3), (), ""),
    ("During 2012/13", K.RANGE, M(2012, 4), M(2013, 3), (), ""),
    ("With all staff during 2012 PRs", K.RANGE, M(2012, 1), M(2012, 12), (), ""),
    ("As above", K.CROSS_REFERENCE, None, None, (), ""),
    ("As detailed above", K.CROSS_REFERENCE, None, None, (), ""),
    ("As above (1.8)", K.CROSS_REFERENCE, None, None, ("1.8",), ""),
    ("As detailed in 1.10 and 1.11 above", K.CROSS_REFERENCE, None, None, ("1.10", "1.11"), ""),
]


@pytest.mark.parametrize(("text", "kind", "start", "end", "refs", "recurring"), SEED_PHRASES)
def test_seed_phrase(
    text: str,
    kind: DateKind,
    start: Month | None,
    end: Month | None,
    refs: tuple[str, ...],
    recurring: str,
) -> None:
    got = parse_completion(text)
    assert got == CompletionDate(text, kind, start, end, refs, recurring)
    # The phrase on its own in a cell splits to just itself.
    assert split_completion_phrases(text) == [got]


# Every "Date for completion" cell in the seed, by area, with the phrases it holds. Where the
# export broke a block across lines, "(continued)" holds the phrases of the extra lines, joined
# where one phrase was split ("From March" / "2012"). 1.14 is its second line; its first line is
# garbled (see SEED_SKIPS).
SEED_CELLS: dict[str, list[str]] = {
    "1.1": ["April 2012", "April 2012", "April 2012", "May 2012", "March 2012", "From June 2012"],
    "1.2": ["From June 2012"],
    "1.3": ["Henceforth", "From March 2012", "March 2012", "From March 2012", "May 2012"],
    "1.4": ["From March 2012"],
    "1.4 (continued)": ["From March 2012", "September 2012"],
    "1.5": [
        "May 2012 and ongoing",
        "March 2012 and henceforth",
        "With all staff during 2012 PRs",
        "By March 2013",
        "June 2012 and quarterly thereafter",
        "On-going",
    ],
    "1.6": [
        "April 2012",
        "April 2012",
        "May 2012",
        "June 2012 and quarterly thereafter",
        "June 2012 and quarterly thereafter",
    ],
    "1.7": ["May 2012 and on- going"],
    "1.8": ["February 2012", "Introduced 09.02.2012", "From March 2012", "May/June 2012"],
    "1.9": [
        "February 2012",
        "February 2012",
        "February 2012",
        "May/June 2012",
        "From March 2012",
        "From June 2012",
    ],
    "1.10": ["March 2012", "Henceforth", "September 2012"],
    "1.11": ["April 2012", "April 2012", "Henceforth"],
    "1.12": [
        "Date for completion April 2012",
        "As above",
        "March 2012",
        "Review annually",
        "May/June 2012",
    ],
    "1.13": ["Date for completion March 2012", "April 2012", "April 2012", "On-going", "On-going"],
    "1.14": ["February 2012", "April 2012", "From March 2012", "From March 2012", "March 2012"],
    "1.15": ["From April 2012", "As detailed in 1.10 and 1.11 above", "From April 2012"],
    "1.16": ["April 2012", "April 2012", "May 2012", "From April 2012", "During 2012/13"],
    "2.1": [
        "May 2012 and on- going",
        "On-going",
        "On-going",
        "From March 2012",
        "April 2012 – July 2012",
        "From April 2012",
        "March 2013",
    ],
    "2.2.1": [
        "May 2012",
        "April 2012",
        "February 2012",
        "March – June 2012",
        "May 2012",
        "July 2012",
        "During 2012/13",
        "From April 2012",
    ],
    "2.2.2": ["April 2012", "As detailed above"],
    "2.3": [
        "April 2012",
        "April 2012",
        "July 2012",
        "September 2012",
        "June 2012",
        "April – June 2012",
    ],
    "2.4": ["On-going", "On-going", "On-going"],
    "2.5": ["May 2012"],
    "2.5 (continued)": ["May 2012", "May 2012"],
    "2.6": [
        "September 2012 and on-going",
        "July-August 2012",
        "Henceforth",
        "Henceforth",
        "On-going",
        "On-going",
        "On-going",
    ],
    "2.7": ["September 2012", "September 2012", "May 2012"],
    "2.8": ["May 2012"],
    "2.9": ["March 2012 for June 2012"],
    "2.10": ["March 2012 for June 2012", "June 2012"],
    "2.11": ["June 2012", "June 2012"],
    "2.12": ["April 2012 for June 2012"],
    "2.13": ["March 2012 for June 2012", "December 2012", "June 2012", "June 2012"],
    "2.14": ["March 2012 for June 2012", "June 2012"],
    "2.15": [
        "March 2012 for June 2012",
        "April 2012 – March 2013",
        "June 2012",
        "June 2012",
        "June 2012",
    ],
}

_EXPECTED = {
    text: (kind, start, end, refs, rec) for text, kind, start, end, refs, rec in SEED_PHRASES
}


def test_seed_cells_cover_all_32_areas() -> None:
    areas = {key.split(" ")[0] for key in SEED_CELLS}
    assert len(areas) == 32
    assert {p for phrases in SEED_CELLS.values() for p in phrases} <= set(_EXPECTED)


@pytest.mark.parametrize("area", list(SEED_CELLS))
def test_seed_cell_splits_into_its_phrases(area: str) -> None:
    phrases = SEED_CELLS[area]
    got = split_completion_phrases(" ".join(phrases))
    assert [p.text for p in got] == phrases
    assert [(p.kind, p.start, p.end, p.refs, p.recurring) for p in got] == [
        _EXPECTED[p] for p in phrases
    ]


# --------------------------------------------------------------------------------------------
# Reading the seed file itself

AREA_LINE = re.compile(r"^(Area for improvement )?\d+\.\d+")
COMPLETION_COL = 3
REVIEW_COL = 8
# Lines whose cells ran together in the export, so the date columns do not hold dates.
SEED_SKIPS = {
    "1.14": (
        "first line of 1.14 is garbled: its text ran into the next table's header row, so the "
        "'Date for completion' position holds the header 'Lead'",
        "Lead",
        "Evidence of impact",
    ),
}


def _seed_rows() -> list[tuple[str, list[str]]]:
    rows = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        m = AREA_LINE.match(line)
        if m:
            area_id = line.removeprefix("Area for improvement ").split(" ", 1)[0]
            rows.append((area_id, line.split("\t")))
    return rows


def test_seed_file_completion_cells_all_read() -> None:
    rows = _seed_rows()
    assert len(rows) == 32
    seen = set()
    for area_id, cells in rows:
        cell = cells[COMPLETION_COL]
        if area_id in SEED_SKIPS:
            # Keep the skip honest: the cell is still the corrupted one we expect.
            assert cell == SEED_SKIPS[area_id][1]
            continue
        phrases = split_completion_phrases(cell)
        assert phrases, area_id
        unknown = [p.text for p in phrases if p.kind is DateKind.UNKNOWN]
        assert unknown == [], f"{area_id}: {unknown}"
        assert " ".join(p.text for p in phrases) == normalise_cell(cell)
        assert [p.text for p in phrases] == SEED_CELLS[area_id]
        seen.add(area_id)
    assert len(seen) == 31


SEED_REVIEWS: list[tuple[object, Month | None, bool]] = [
    ("July 2012", M(2012, 7), False),
    ("June 2012", M(2012, 6), False),
    ("September 2012", M(2012, 9), False),
    ("September2012", M(2012, 9), False),
    ("Date of next review September 2012", M(2012, 9), False),
    # Two dates: the later one was added at the last review and is the next review.
    ("May 2012 August 2012", M(2012, 8), False),
    ("June 2012 Dec 2012", M(2012, 12), False),
    ("Not required", None, True),
    ("", None, False),
]


@pytest.mark.parametrize(("value", "month", "not_required"), SEED_REVIEWS)
def test_seed_review_value(value: str, month: Month | None, not_required: bool) -> None:
    got = parse_review_date(value)
    assert got == ReviewDate(value, month, None, not_required)


def test_seed_file_review_cells_all_read() -> None:
    expected = {v for v, _, _ in SEED_REVIEWS}
    for area_id, cells in _seed_rows():
        cell = cells[REVIEW_COL]
        if area_id in SEED_SKIPS:
            assert cell == SEED_SKIPS[area_id][2]
            continue
        assert cell in expected, area_id
        assert parse_review_date(cell) is not None, area_id


# --------------------------------------------------------------------------------------------
# Completion phrases beyond the seed


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("April to June 2012", K.RANGE, M(2012, 4), M(2012, 6)),
        ("April 2012 — June 2012", K.RANGE, M(2012, 4), M(2012, 6)),
        ("November – February 2013", K.RANGE, M(2012, 11), M(2013, 2)),
        ("From April 2012 to March 2013", K.RANGE, M(2012, 4), M(2013, 3)),
        ("From April 2012 onwards", K.FROM, M(2012, 4), None),
        ("from march 2012", K.FROM, M(2012, 3), None),
        ("By the end of 2012", K.BY, M(2012, 12), M(2012, 12)),
        ("During 2012", K.RANGE, M(2012, 1), M(2012, 12)),
        ("During 2012-13", K.RANGE, M(2012, 4), M(2013, 3)),
        ("2012/2013", K.RANGE, M(2012, 4), M(2013, 3)),
        ("1999/00", K.RANGE, M(1999, 4), M(2000, 3)),
        ("26th June 2012", K.BY, M(2012, 6), M(2012, 6)),
        ("Sept 2012", K.BY, M(2012, 9), M(2012, 9)),
        ("ongoing", K.ONGOING, None, None),
        ("On going", K.ONGOING, None, None),
        ("With immediate effect", K.HENCEFORTH, None, None),
        ("See 1.8 above", K.CROSS_REFERENCE, None, None),
    ],
)
def test_other_phrases(text: str, kind: DateKind, start: Month | None, end: Month | None) -> None:
    got = parse_completion(text)
    assert (got.kind, got.start, got.end) == (kind, start, end)


def test_cross_reference_refs() -> None:
    assert parse_completion("(see 1.3 and 2.2.1 above)").refs == ("1.3", "2.2.1")
    assert parse_completion("As per 1.8").refs == ("1.8",)


@pytest.mark.parametrize(
    "text",
    [
        "soon",
        "Lead",
        "",
        "2012",  # a bare year is not a date
        "From March",  # no year
        "31.02.2012",  # no such day
        "June 2012 – April 2012",  # ends before it starts
        "During 2013/12",
        "During 2012/14",
        "April 2012 May 2012",  # two phrases, not one
    ],
)
def test_unknown_phrases_keep_their_text(text: str) -> None:
    got = parse_completion(text)
    assert got.kind is DateKind.UNKNOWN
    assert got.text == normalise_cell(text)
    assert got.due is None


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("April 2012", M(2012, 4)),
        ("March 2012 for June 2012", M(2012, 6)),
        ("April – June 2012", M(2012, 6)),
        ("During 2012/13", M(2013, 3)),
        ("From June 2012", None),
        ("May 2012 and ongoing", None),
        ("On-going", None),
        ("Henceforth", None),
        ("As above (1.8)", None),
    ],
)
def test_due(text: str, due: Month | None) -> None:
    assert parse_completion(text).due == due


def test_split_keeps_trailing_words_visible() -> None:
    got = split_completion_phrases("April 2012 subject to funding Awaiting decision")
    assert [(p.text, p.kind) for p in got] == [
        ("April 2012 subject to funding", K.BY),
        ("Awaiting decision", K.UNKNOWN),
    ]


def test_split_empty_and_whitespace() -> None:
    assert split_completion_phrases("") == []
    assert split_completion_phrases(" \n\t") == []
    got = split_completion_phrases("April\u00a02012\n\nFrom  June 2012")
    assert [p.text for p in got] == ["April 2012", "From June 2012"]


def test_split_garbage_is_one_unknown_phrase() -> None:
    assert split_completion_phrases("to be agreed") == [CompletionDate("to be agreed", K.UNKNOWN)]


@given(st.lists(st.sampled_from([p[0] for p in SEED_PHRASES]), min_size=1, max_size=8))
def test_any_run_of_seed_phrases_splits_back(phrases: list[str]) -> None:
    got = split_completion_phrases(" ".join(phrases))
    assert [p.text for p in got] == phrases
    assert [p.kind for p in got] == [_EXPECTED[p][0] for p in phrases]


@given(st.text(alphabet=st.sampled_from(list("AaMJFjn 2019/–-.()OSDgoiy1 \n")), max_size=60))
def test_split_never_drops_text(cell: str) -> None:
    got = split_completion_phrases(cell)
    assert " ".join(p.text for p in got) == normalise_cell(cell)
    assert got == [parse_completion(p.text) for p in got]


# --------------------------------------------------------------------------------------------
# Month


def test_month_basics() -> None:
    m = M(2012, 2)
    assert str(m) == "February 2012"
    assert m.first_day == date(2012, 2, 1)
    assert m.last_day == date(2012, 2, 29)
    assert M(2013, 2).last_day == date(2013, 2, 28)
    assert M(2012, 12) < M(2013, 1) < M(2013, 2)
    assert sorted([M(2013, 1), M(2012, 12), M(2012, 3)]) == [M(2012, 3), M(2012, 12), M(2013, 1)]
    assert M(2012, 11).plus(3) == M(2013, 2)
    assert M(2013, 1).plus(-1) == M(2012, 12)
    assert Month.of(date(2012, 6, 26)) == M(2012, 6)


@pytest.mark.parametrize(("year", "month"), [(2012, 0), (2012, 13), (0, 1)])
def test_month_rejects_impossible(year: int, month: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        Month(year, month)


months = st.builds(Month, st.integers(1990, 2100), st.integers(1, 12))


@given(months)
def test_month_text_round_trips(m: Month) -> None:
    review = parse_review_date(str(m))
    assert review is not None and review.month == m and review.day is None
    assert format_review(review) == str(m)
    assert parse_completion(str(m)) == CompletionDate(str(m), DateKind.BY, m, m)


# --------------------------------------------------------------------------------------------
# Review dates

D = date(2012, 6, 26)


@pytest.mark.parametrize(
    ("value", "month", "day"),
    [
        (D, M(2012, 6), D),
        (datetime(2012, 6, 26, 14, 30), M(2012, 6), D),
        (41086, M(2012, 6), D),  # Excel 1900 serial for 26 June 2012
        (41086.75, M(2012, 6), D),  # the time of day is ignored
        ("26/06/2012", M(2012, 6), D),
        ("26/6/12", M(2012, 6), D),
        ("26-06-2012", M(2012, 6), D),
        ("26.06.2012", M(2012, 6), D),
        ("2012-06-26", M(2012, 6), D),
        ("2012-06-26 00:00:00", M(2012, 6), D),
        ("26 June 2012", M(2012, 6), D),
        ("26th June 2012", M(2012, 6), D),
        ("26-Jun-12", M(2012, 6), D),
        ("June 2012", M(2012, 6), None),
        ("Jun 2012", M(2012, 6), None),
        ("june 2012", M(2012, 6), None),
        ("JUNE 2012", M(2012, 6), None),
        ("September2012", M(2012, 9), None),
        ("Sept 2012", M(2012, 9), None),
        ("Sep 2012", M(2012, 9), None),
        ("Jun-12", M(2012, 6), None),
        ("06/2012", M(2012, 6), None),
        ("  September 2012  ", M(2012, 9), None),
        ("Next review: September 2012", M(2012, 9), None),
        ("May 2012, 26/06/2012", M(2012, 6), D),
    ],
)
def test_review_accepts(value: object, month: Month, day: date | None) -> None:
    got = parse_review_date(value)
    assert got is not None
    assert (got.month, got.day, got.not_required) == (month, day, False)
    assert not got.is_empty


def test_review_text_is_kept_for_text_and_written_out_for_dates() -> None:
    assert parse_review_date(" june 2012 ") == ReviewDate(" june 2012 ", M(2012, 6), None, False)
    assert parse_review_date(D) == ReviewDate("26/06/2012", M(2012, 6), D, False)
    assert parse_review_date(41086) == ReviewDate("26/06/2012", M(2012, 6), D, False)


def test_review_1904_epoch() -> None:
    # The same day is 1462 lower in the 1904 date system.
    got = parse_review_date(41086 - 1462, epoch_1904=True)
    assert got is not None and got.day == D


@pytest.mark.parametrize(
    "value", ["Not required", "not required", "NOT  REQUIRED", " Not required. "]
)
def test_review_not_required(value: str) -> None:
    got = parse_review_date(value)
    assert got == ReviewDate(value, None, None, True)
    assert format_review(got) == NOT_REQUIRED == "Not required"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_review_empty(value: object) -> None:
    got = parse_review_date(value)
    assert got is not None and got.is_empty
    assert got.month is None and not got.not_required
    assert format_review(got) == ""


@pytest.mark.parametrize(
    "value",
    [
        "soon",
        "32/13/2012",
        "31/06/2012",
        "29/02/2013",
        "13/2012",
        "June",
        "June 12",  # day or year? refused rather than guessed
        "N/A",
        "TBC",
        "June 2012 maybe",
        "2012",
        True,
        0,
        -5,
        float("nan"),
        float("inf"),
        1e300,
        [2012, 6],
    ],
)
def test_review_rejects(value: object) -> None:
    assert parse_review_date(value) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("September2012", "September 2012"),
        ("sept 2012", "September 2012"),
        ("26/6/12", "26/06/2012"),
        ("2012-06-26", "26/06/2012"),
        (datetime(2012, 6, 26), "26/06/2012"),
        ("not required", "Not required"),
        ("June 2012 Dec 2012", "December 2012"),
    ],
)
def test_format_review(value: object, text: str) -> None:
    got = parse_review_date(value)
    assert got is not None
    assert format_review(got) == text
    # The canonical text reads back to the same date.
    again = parse_review_date(text)
    assert again is not None
    assert (again.month, again.day, again.not_required) == (got.month, got.day, got.not_required)


def test_month_choices() -> None:
    got = month_choices(date(2012, 6, 26))
    assert len(got) == 18
    assert got[:3] == ["June 2012", "July 2012", "August 2012"]
    assert got[6:8] == ["December 2012", "January 2013"]
    assert got[-1] == "November 2013"
    assert month_choices(datetime(2012, 12, 1), count=2) == ["December 2012", "January 2013"]
    assert month_choices(date(2012, 6, 1), count=0) == []
    with pytest.raises(ValueError, match="count"):
        month_choices(date(2012, 6, 1), count=-1)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_every_choice_reads_back(d: date) -> None:
    for text in month_choices(d, count=3):
        got = parse_review_date(text)
        assert got is not None and got.month is not None
        assert str(got.month) == text


# --------------------------------------------------------------------------------------------
# Dates as councils write them in Excel plans today (issue 12)

ROUND_DAY = date(2024, 5, 10)  # a round in Q1 of 2024/25


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        # Quarters of the UK financial year: Q3 2024/25 is October to December 2024.
        ("Q3 2024/25", K.RANGE, M(2024, 10), M(2024, 12)),
        ("Q3 24/25", K.RANGE, M(2024, 10), M(2024, 12)),
        ("2024/25 Q3", K.RANGE, M(2024, 10), M(2024, 12)),
        ("Q3 2024-25", K.RANGE, M(2024, 10), M(2024, 12)),
        ("Quarter 3 2024/25", K.RANGE, M(2024, 10), M(2024, 12)),
        ("Q3 of 2024/25", K.RANGE, M(2024, 10), M(2024, 12)),
        ("q1 2024/25", K.RANGE, M(2024, 4), M(2024, 6)),
        ("Q4 2024/25", K.RANGE, M(2025, 1), M(2025, 3)),
        ("By Q4 FY24/25", K.BY, M(2025, 3), M(2025, 3)),
        ("By end of Q2 2024/25", K.BY, M(2024, 9), M(2024, 9)),
        ("From Q1 2025/26", K.FROM, M(2025, 4), None),
        # Financial years.
        ("2024/25", K.RANGE, M(2024, 4), M(2025, 3)),
        ("2024-25", K.RANGE, M(2024, 4), M(2025, 3)),
        ("FY 2024/25", K.RANGE, M(2024, 4), M(2025, 3)),
        ("FY24/25", K.RANGE, M(2024, 4), M(2025, 3)),
        # Excel's mmm-yy and d-mmm-yy, and days written with dots or as ISO dates.
        ("Dec-24", K.BY, M(2024, 12), M(2024, 12)),
        ("31-Dec-24", K.BY, M(2024, 12), M(2024, 12)),
        ("31-Dec-2024", K.BY, M(2024, 12), M(2024, 12)),
        ("31.05.24", K.BY, M(2024, 5), M(2024, 5)),
        ("31/05/2024", K.BY, M(2024, 5), M(2024, 5)),
        ("2024-06-30", K.BY, M(2024, 6), M(2024, 6)),
        # Week commencing: done by the end of that week.
        ("w/c 3 June 2024", K.BY, M(2024, 6), M(2024, 6)),
        ("W/C 03/06/2024", K.BY, M(2024, 6), M(2024, 6)),
        ("week commencing 28 June 2024", K.BY, M(2024, 6), M(2024, 7)),
        ("w/b 1 July 2024", K.BY, M(2024, 7), M(2024, 7)),
        ("Ongoing", K.ONGOING, None, None),
    ],
)
def test_todays_plan_phrases(
    text: str, kind: DateKind, start: Month | None, end: Month | None
) -> None:
    for got in (parse_completion(text), parse_completion(text, context=ROUND_DAY)):
        assert (got.kind, got.start, got.end, got.text) == (kind, start, end, text)
    assert split_completion_phrases(text) == [parse_completion(text)]


def test_q3_is_not_the_whole_financial_year() -> None:
    # The reading issue 12 found: "Q3 2024/25" was read as April 2024 to March 2025.
    got = parse_completion("Q3 2024/25")
    assert (got.start, got.end, got.due) == (M(2024, 10), M(2024, 12), M(2024, 12))
    assert (got.start.first_day, got.end.last_day) == (date(2024, 10, 1), date(2024, 12, 31))


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("end of Q2", K.BY, M(2024, 9), M(2024, 9)),
        ("By the end of Q4", K.BY, M(2025, 3), M(2025, 3)),
        ("Q1", K.RANGE, M(2024, 4), M(2024, 6)),
        ("During Q3", K.RANGE, M(2024, 10), M(2024, 12)),
        ("Dec 24", K.BY, M(2024, 12), M(2024, 12)),
        ("By Sept 25", K.BY, M(2025, 9), M(2025, 9)),
    ],
)
def test_phrases_read_only_with_a_context_date(
    text: str, kind: DateKind, start: Month | None, end: Month | None
) -> None:
    got = parse_completion(text, context=ROUND_DAY)
    assert (got.kind, got.start, got.end) == (kind, start, end)
    assert parse_completion(text).kind is DateKind.UNKNOWN  # as before, without a context
    assert split_completion_phrases(text, context=ROUND_DAY) == [got]


def test_a_bare_quarter_is_in_the_context_dates_financial_year() -> None:
    # 15 February 2025 is in 2024/25, so its "Q2" is July to September 2024 (already past).
    got = parse_completion("end of Q2", context=date(2025, 2, 15))
    assert got.due == M(2024, 9)
    assert parse_completion("end of Q2", context=date(2025, 4, 1)).due == M(2025, 9)


@pytest.mark.parametrize(
    "text",
    [
        "Q3 2024",  # calendar or financial quarter? not guessed
        "Q5 2024/25",
        "Q3 2024/26",  # not one financial year
        "24/25",  # a two-digit financial year is read only after Q or FY
        "June 12th",
        "Dec 24, 2024",  # US order: the 24th of December
        "Dec 24 2024",
    ],
)
def test_todays_phrases_not_read(text: str) -> None:
    assert parse_completion(text, context=ROUND_DAY).kind is DateKind.UNKNOWN


def test_two_digit_years_far_from_the_context_are_not_read() -> None:
    assert parse_completion("June 12", context=ROUND_DAY).kind is DateKind.UNKNOWN
    assert parse_completion("June 12", context=date(2012, 6, 26)).due == M(2012, 6)
    near = date(2024 - CONTEXT_YEARS, 1, 1)
    assert parse_completion("Dec 24", context=near).due == M(2024, 12)
    assert parse_completion("Dec 24", context=date(2013, 1, 1)).kind is DateKind.UNKNOWN


def test_todays_cell_splits_into_its_phrases() -> None:
    cell = "Q3 2024/25 Dec-24 w/c 3 June 2024 2024/25 Q4 end of Q2 Ongoing"
    got = split_completion_phrases(cell, context=ROUND_DAY)
    assert [(p.text, p.kind, p.due) for p in got] == [
        ("Q3 2024/25", K.RANGE, M(2024, 12)),
        ("Dec-24", K.BY, M(2024, 12)),
        ("w/c 3 June 2024", K.BY, M(2024, 6)),
        ("2024/25 Q4", K.RANGE, M(2025, 3)),
        ("end of Q2", K.BY, M(2024, 9)),
        ("Ongoing", K.ONGOING, None),
    ]


@given(
    st.lists(
        st.sampled_from(
            [
                # Not "Q3 2024/25" or "2024/25 Q3" next to a financial year ("During 2012/13"):
                # "2012/13 Q3 2024/25" could pair either way. Nor "Dec 24" before a number:
                # "Dec 24 2024" is the 24th of December.
                "By Q3 2024/25",
                "Dec-24",
                "31-Dec-24",
                "w/c 3 June 2024",
                "end of Q2",
                "From Q1 2025/26",
                "2024-06-30",
                *(p[0] for p in SEED_PHRASES),
            ]
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_run_of_todays_phrases_splits_back(phrases: list[str]) -> None:
    got = split_completion_phrases(" ".join(phrases), context=ROUND_DAY)
    assert [p.text for p in got] == phrases
    assert [p.kind for p in got] == [parse_completion(p, context=ROUND_DAY).kind for p in phrases]
    assert all(p.kind is not DateKind.UNKNOWN for p in got)


@given(st.text(alphabet=st.sampled_from(list("QqDecJun 2024/5–-.()wbFY1 \n")), max_size=60))
def test_split_with_context_never_drops_text(cell: str) -> None:
    got = split_completion_phrases(cell, context=ROUND_DAY)
    assert " ".join(p.text for p in got) == normalise_cell(cell)
    assert got == [parse_completion(p.text, context=ROUND_DAY) for p in got]


# Date cells, as a table reader gives them.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2024, 6, 30), [CompletionDate("30 June 2024", K.BY, M(2024, 6), M(2024, 6))]),
        (
            datetime(2024, 9, 1, 9, 30),
            [CompletionDate("1 September 2024", K.BY, M(2024, 9), M(2024, 9))],
        ),
        (None, []),
        ("", []),
        (
            "September 2024\nQ3 2024/25",
            [
                CompletionDate("September 2024", K.BY, M(2024, 9), M(2024, 9)),
                CompletionDate("Q3 2024/25", K.RANGE, M(2024, 10), M(2024, 12)),
            ],
        ),
        (2024, [CompletionDate("2024", K.UNKNOWN)]),
        (True, [CompletionDate("True", K.UNKNOWN)]),
    ],
)
def test_read_completion_value(value: object, expected: list[CompletionDate]) -> None:
    assert read_completion_value(value) == expected


def test_a_date_cell_reads_back_from_its_text() -> None:
    (got,) = read_completion_value(date(2024, 6, 30))
    assert parse_completion(got.text) == got


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2024, 6, 30), "30 June 2024"),
        (date(2025, 1, 1), "1 January 2025"),
        (datetime(2024, 12, 31, 23, 59), "31 December 2024"),
    ],
)
def test_format_plan_date(d: date, text: str) -> None:
    assert format_plan_date(d) == text


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_plan_dates_read_back(d: date) -> None:
    review = parse_review_date(format_plan_date(d))
    assert review is not None and review.day == d
    assert parse_completion(format_plan_date(d)).due == Month.of(d)


@pytest.mark.parametrize(
    ("d", "first_year"),
    [(date(2024, 4, 1), 2024), (date(2025, 3, 31), 2024), (date(2024, 12, 25), 2024)],
)
def test_financial_year_of(d: date, first_year: int) -> None:
    assert financial_year_of(d) == first_year


def test_financial_quarter() -> None:
    assert financial_quarter(2024, 1) == (M(2024, 4), M(2024, 6))
    assert financial_quarter(2024, 3) == (M(2024, 10), M(2024, 12))
    assert financial_quarter(2024, 4) == (M(2025, 1), M(2025, 3))
    with pytest.raises(ValueError, match="quarter must be"):
        financial_quarter(2024, 5)


@pytest.mark.parametrize(
    ("value", "month", "day"),
    [
        ("Q3 2024/25", M(2024, 12), None),  # a period is due by its last month
        ("Q3 24/25", M(2024, 12), None),
        ("2024/25 Q1", M(2024, 6), None),
        ("2024/25", M(2025, 3), None),
        ("2024-25", M(2025, 3), None),
        ("FY 2024/25", M(2025, 3), None),
        ("Dec-24", M(2024, 12), None),
        ("31.05.24", M(2024, 5), date(2024, 5, 31)),
        ("w/c 3 June 2024", M(2024, 6), date(2024, 6, 3)),
        ("week commencing 03/06/2024", M(2024, 6), date(2024, 6, 3)),
        ("end of March 2025", M(2025, 3), None),
        ("By the end of Q4 2024/25", M(2025, 3), None),
        (datetime(2024, 6, 30, 0, 0), M(2024, 6), date(2024, 6, 30)),
    ],
)
def test_review_reads_todays_values(value: object, month: Month, day: date | None) -> None:
    for got in (parse_review_date(value), parse_review_date(value, context=ROUND_DAY)):
        assert got is not None
        assert (got.month, got.day, got.not_required) == (month, day, False)


@pytest.mark.parametrize(
    ("value", "month"),
    [
        ("end of Q2", M(2024, 9)),
        ("Q1", M(2024, 6)),
        ("Dec 24", M(2024, 12)),
        ("Jan 25", M(2025, 1)),
    ],
)
def test_review_values_read_only_with_a_context_date(value: str, month: Month) -> None:
    got = parse_review_date(value, context=ROUND_DAY)
    assert got is not None and (got.month, got.day) == (month, None)
    assert parse_review_date(value) is None  # as before, without a context


@pytest.mark.parametrize(
    "value",
    [
        "Q3 2024",
        "Q3 2024/26",
        "end of 3 June 2024",  # "end of" a day
        "w/c June 2024",  # a week commencing needs its day
        "June 12",  # too far from the context's year
        "Ongoing",  # not a date of next review
    ],
)
def test_review_rejects_with_a_context(value: str) -> None:
    assert parse_review_date(value, context=ROUND_DAY) is None
