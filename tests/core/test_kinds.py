"""Each kind of column's behaviour, written once: read, normalised, checked, combined, written."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipt_excel.core.columns import Column, Combine, Kind
from ipt_excel.core.kinds import (
    Contribution,
    KindContext,
    cell_spec,
    cell_text,
    combine,
    master_text,
    normalise,
    show,
    value_rules,
    write_value,
)
from ipt_excel.core.problems import Severity

CTX = KindContext(rag_scale=("RED", "AMBER", "GREEN"), round_date=date(2012, 9, 26))
TEXT = Column("progress", "Progress", Kind.TEXT, update=True)
RAG = Column("rag", "RAG", Kind.RAG, update=True)
STATUS = Column(
    "status", "Status", Kind.CHOICE, update=True, choices=("Not started", "On track", "Off track")
)
REVIEW = Column("next_review", "Date of next review", Kind.REVIEW, update=True)
DAY = Column("due", "Target date", Kind.DATE, update=True)
NUMBER = Column("spend", "Spend", Kind.NUMBER, update=True)
PERCENT = Column("done", "% complete", Kind.PERCENT, update=True)


def failing(column: Column, text: str) -> list[str]:
    """The codes of the error rules (on entered values) that `text` fails."""
    return [
        r.code
        for r in value_rules(column, CTX)
        if r.entered and r.severity is Severity.ERROR and not r.check(text)
    ]


# -- reading ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "raw", "text"),
    [
        (TEXT, "  as typed  ", "  as typed  "),
        (TEXT, 12.0, "12"),
        (TEXT, True, "TRUE"),
        (REVIEW, datetime(2012, 10, 1), "October 2012"),  # a typed month: Excel's 1st
        (REVIEW, datetime(2012, 10, 26), "26/10/2012"),
        (REVIEW, 41208, "26/10/2012"),  # an Excel date number
        (REVIEW, "Oct 2012", "Oct 2012"),
        (DAY, datetime(2024, 6, 30, 0, 0), "2024-06-30"),
        (DAY, 45473, "2024-06-30"),
        (DAY, "30/06/2024", "30/06/2024"),
        (NUMBER, 12.50, "12.5"),
        (NUMBER, 1e3, "1000"),
        (PERCENT, 45, "45"),
        (RAG, None, ""),
    ],
)
def test_cell_text(column: Column, raw: object, text: str) -> None:
    assert cell_text(column, raw) == text


def test_a_1904_workbook_reads_its_date_numbers_from_1904() -> None:
    assert cell_text(DAY, 43_829, epoch_1904=True) == "2023-12-31"  # 1 January 1904 + 43,829
    assert cell_text(DAY, 43_829) == "2019-12-30"


# -- normalising ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "text", "canonical"),
    [
        (TEXT, "a\r\nb \t", "a\nb"),
        (RAG, " amber ", "AMBER"),
        (STATUS, "  on   TRACK ", "On track"),
        (STATUS, "Unknown ", "Unknown"),  # not valid: kept as typed, tidied, for the message
        (REVIEW, "Sept 2012", "September 2012"),
        (REVIEW, "not required", "Not required"),
        (DAY, "30/06/2024", "2024-06-30"),
        (DAY, "30 June 2024", "2024-06-30"),
        (NUMBER, "1,200.50", "1200.5"),
        (NUMBER, " -3 ", "-3"),
        (PERCENT, "45%", "45"),
        (PERCENT, "45.0", "45"),
        (NUMBER, "twelve", "twelve"),
    ],
)
def test_normalise(column: Column, text: str, canonical: str) -> None:
    assert normalise(column, text) == canonical


# -- checking ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "text", "codes"),
    [
        (RAG, "green", []),
        (RAG, "", []),
        (RAG, "Purple", ["rag-in-scale"]),
        (STATUS, "off track", []),
        (STATUS, "Done", ["choice-in-list"]),
        (STATUS, "", []),
        (REVIEW, "October 2012", []),
        (REVIEW, "September 2012", ["review-date-past"]),
        (REVIEW, "soon", ["review-date-format"]),
        (REVIEW, "31/12/2099", ["review-date-too-far"]),
        (DAY, "30/06/2024", []),
        (DAY, "June 2024", ["date-format"]),
        (DAY, "", []),
        (NUMBER, "12.5", []),
        (NUMBER, "12 pounds", ["number-format"]),
        (PERCENT, "100", []),
        (PERCENT, "101", ["percent-range"]),
        (PERCENT, "-1", ["percent-range"]),
        (PERCENT, "45%", []),
        (TEXT, "x" * 32_768, ["too-long"]),
    ],
)
def test_value_rules(column: Column, text: str, codes: list[str]) -> None:
    assert failing(column, text) == codes


def test_a_review_date_left_as_issued_that_has_passed_is_a_warning_only() -> None:
    later = KindContext(CTX.rag_scale, CTX.round_date, today=date(2012, 12, 5))
    (stale,) = [r for r in value_rules(REVIEW, later) if not r.entered]
    assert stale.code == "review-date-stale" and stale.severity is Severity.WARNING
    assert not stale.check("November 2012") and stale.check("January 2013")


def test_messages_name_the_choices_and_say_what_to_do() -> None:
    (choice,) = [r for r in value_rules(STATUS, CTX) if r.code == "choice-in-list"]
    assert choice.message.format(value="Done", header="Status") == (
        "'Done' is not one of the choices for Status. Choose Not started, On track or Off "
        "track from the list, or leave the cell empty."
    )
    (rag,) = [r for r in value_rules(RAG, CTX) if r.code == "rag-in-scale"]
    assert "Choose RED, AMBER or GREEN from the list" in rag.message


# -- combining a shared row ---------------------------------------------------------------------
def labelled(parts: list[tuple[str, str]]) -> str:
    return "\n\n".join(f"{a}: {b}" for a, b in parts)


def run(column: Column, *values: tuple[str, str, bool]) -> str | None:
    return combine(
        column,
        [Contribution(a, v, c) for a, v, c in values],
        rag_scale=CTX.rag_scale,
        labelled=labelled,
    )


def test_nobody_changed_it_gives_none() -> None:
    assert run(TEXT, ("A", "x", False)) is None


def test_text_keeps_each_agencys_words_labelled() -> None:
    assert run(TEXT, ("A", "x", True), ("B", "y", True), ("C", "z", False)) == "A: x\n\nB: y"
    assert run(TEXT, ("A", "x", True)) == "x"


def test_rag_is_the_worst_of_every_agency_that_updated_the_row() -> None:
    # B did not change its RAG this round but still stands by it.
    assert run(RAG, ("A", "GREEN", True), ("B", "AMBER", False)) == "AMBER"
    assert run(RAG, ("A", "", True)) == ""


def test_a_choice_can_be_the_worst_in_list_order() -> None:
    worst = Column(
        "status",
        "Status",
        Kind.CHOICE,
        True,
        choices=("Off track", "On track"),
        combine=Combine.WORST,
    )
    assert run(worst, ("A", "On track", True), ("B", "Off track", True)) == "Off track"
    assert run(STATUS, ("A", "On track", True), ("B", "Off track", True)) == (
        "A: On track\n\nB: Off track"
    )


def test_dates_are_the_soonest_or_latest() -> None:
    assert run(REVIEW, ("A", "December 2012", True), ("B", "October 2012", True)) == "October 2012"
    assert run(REVIEW, ("A", "Not required", True), ("B", "November 2012", True)) == "November 2012"
    latest = Column("due", "Due", Kind.DATE, True, combine=Combine.LATEST)
    assert run(latest, ("A", "2024-06-30", True), ("B", "2024-09-30", True)) == "2024-09-30"
    assert run(DAY, ("A", "2024-06-30", True), ("B", "2024-09-30", True)) == "2024-06-30"


def test_numbers_are_the_mean() -> None:
    assert run(PERCENT, ("A", "50", True), ("B", "75", True)) == "62.5"
    assert run(NUMBER, ("A", "1", True), ("B", "2", True), ("C", "2", True)) == "1.7"
    assert run(NUMBER, ("A", "n/a", True), ("B", "n/a", True)) == "n/a"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 100), st.booleans()), max_size=4))
def test_property_the_mean_of_percentages_is_a_percentage(
    values: list[tuple[str, int, bool]],
) -> None:
    out = run(PERCENT, *((a, str(v), c) for a, v, c in values))
    if out is not None:
        assert not failing(PERCENT, out)


# -- writing -------------------------------------------------------------------------------------
def test_dropdown_columns_draw_their_lists_from_the_lists_sheet() -> None:
    assert cell_spec(RAG, CTX).list_values == ("RED", "AMBER", "GREEN")
    assert cell_spec(STATUS, CTX).list_values == STATUS.choices
    months = cell_spec(REVIEW, CTX).list_values
    assert months[0] == "October 2012" and months[-1] == "Not required" and len(months) == 19
    assert cell_spec(RAG, CTX).validation["error_type"] == "stop"
    assert cell_spec(REVIEW, CTX).validation["error_type"] == "warning"  # a typed date is fine


def test_numbers_and_dates_are_written_as_numbers_and_dates() -> None:
    assert cell_spec(DAY, CTX).write_as == "date"
    # A percentage cell is text: what is typed ("45", "45%") is what is read, in any program.
    assert (cell_spec(PERCENT, CTX).write_as, cell_spec(PERCENT, CTX).num_format) == ("text", "@")
    assert cell_spec(PERCENT, CTX).validation == {}
    assert cell_spec(NUMBER, CTX).write_as == "number"
    assert cell_spec(TEXT, CTX).num_format == "@"  # text stays text, never a date
    assert write_value(DAY, "2024-06-30") == date(2024, 6, 30)
    assert write_value(PERCENT, "45") == 45.0
    assert write_value(NUMBER, "n/a") == "n/a"
    assert write_value(TEXT, "=SUM(A1)") == "=SUM(A1)"


def test_master_cells_read_back_to_the_stored_text() -> None:
    assert master_text(DAY, date(2024, 6, 30)) == "2024-06-30"
    assert master_text(PERCENT, 45.0) == "45"
    assert master_text(TEXT, 2.0) == "2"
    assert master_text(TEXT, "1.10") == "1.10"


def test_show_a_value_in_a_sentence() -> None:
    assert show(DAY, "2024-06-30") == "30 June 2024"
    assert show(PERCENT, "45") == "45%"
    assert show(TEXT, "x") == "x"


def test_every_input_message_fits_excels_limit() -> None:
    for column in (TEXT, RAG, STATUS, REVIEW, DAY, NUMBER, PERCENT):
        assert len(cell_spec(column, CTX).input_message) <= 255


@pytest.mark.parametrize(
    ("raw", "text"),
    [(45, "45"), (45.0, "45"), (0.45, "45"), (0.5, "50"), (1, "1"), (100, "100"), ("45%", "45%")],
)
def test_a_percentage_typed_with_a_percent_sign_reads_as_typed(raw: object, text: str) -> None:
    """Excel and LibreOffice store "45%" typed into a number cell as 0.45."""
    assert cell_text(PERCENT, raw) == text
    assert normalise(PERCENT, cell_text(PERCENT, raw)) == text.removesuffix("%")
