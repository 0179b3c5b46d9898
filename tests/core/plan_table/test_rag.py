"""RAG cells read onto the plan's scale, and the errors a cell that is no rating gives."""

from __future__ import annotations

import pytest

from ipt_excel.core.plan_table import RAG_WORDS, CellValue, read_rag
from ipt_excel.core.problems import Severity

from .helpers import BRAG, sheet_table


@pytest.mark.parametrize(
    ("value", "scale", "rag", "warned"),
    [
        ("R", None, "RED", False),
        ("a", None, "AMBER", False),
        ("amber ", None, "AMBER", False),
        ("GREEN", None, "GREEN", False),
        ("Green - complete", None, "GREEN", False),
        ("Amber (on track)", None, "AMBER", False),
        ("G: done", None, "GREEN", False),
        ("green complete", None, "GREEN", False),
        ("Complete", None, "GREEN", False),
        ("Completed", BRAG, "BLUE", False),
        ("Done", BRAG, "BLUE", False),
        ("B", BRAG, "BLUE", False),
        ("Blue", None, "GREEN", True),
        ("On track", None, "GREEN", True),
        ("Off track", None, "RED", True),
        ("At risk", None, "AMBER", True),
        ("", None, "", False),
        (None, None, "", False),
    ],
)
def test_read_rag(value: CellValue, scale: tuple[str, ...] | None, rag: str, warned: bool) -> None:
    reading = read_rag(value, scale or ("RED", "AMBER", "GREEN"))
    assert (reading.rag, reading.ok, bool(reading.warning)) == (rag, True, warned)


@pytest.mark.parametrize(
    ("value", "problem"),
    [("Amber/Green", "two ratings"), ("Red-Amber", "two ratings"), ("Purple", "not a rating"),
     ("Not started", "not a rating"), (3, "not a rating"), ("Y", "not a rating"),
     ("A lot done", "not a rating"), ("Greenwich", "not a rating"), ("R1", "not a rating")],
)  # fmt: skip
def test_read_rag_refuses(value: CellValue, problem: str) -> None:
    reading = read_rag(value)
    assert (reading.rag, reading.ok, reading.problem) == ("", False, problem)


def test_rag_words_are_one_table() -> None:
    assert {"r", "a", "g", "b", "complete", "done", "on track"} <= set(RAG_WORDS)


def test_a_two_ratings_cell_is_an_error_naming_it() -> None:
    rows: list[list[CellValue]] = [["ID", "Action", "RAG"], ["1", "a", "Amber/Green"]]
    (problem,) = sheet_table(rows).problems
    assert (problem.rule, problem.cell, problem.severity) == (
        "rag-two-ratings",
        "C2",
        Severity.ERROR,
    )
    assert problem.message == (
        "t.xlsx, S!C2: 'Amber/Green' gives two ratings. Give one: Red, Amber, Green."
    )
