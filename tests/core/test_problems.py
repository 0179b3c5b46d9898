"""Problems as data: one row per problem, cell references, and the report frame."""

from __future__ import annotations

import pytest

from ipt_excel.core.problems import (
    PROBLEM_HEADERS,
    Problem,
    Severity,
    cell_ref,
    column_letter,
    problems_frame,
)


@pytest.mark.parametrize(
    ("index", "letters"),
    [(0, "A"), (1, "B"), (12, "M"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"), (52, "BA"),
     (701, "ZZ"), (702, "AAA"), (16383, "XFD")],
)  # fmt: skip
def test_column_letter(index: int, letters: str) -> None:
    assert column_letter(index) == letters


def test_cell_ref_zero_based_column_one_based_row() -> None:
    assert cell_ref(1, 0) == "A1"
    assert cell_ref(12, 12) == "M12"
    assert cell_ref(1048576, 16383) == "XFD1048576"


def test_severity_and_is_error() -> None:
    p = Problem("m.xlsx", "Plan", "A2", "ID", "id-present", "", "Every row needs an ID.")
    assert p.severity is Severity.ERROR and p.is_error
    w = Problem("m.xlsx", "Plan", "", "", "x", "", "Look", severity=Severity.WARNING)
    assert not w.is_error
    assert str(Severity.WARNING) == "warning"


def test_problems_frame_has_human_headings_and_one_row_per_problem() -> None:
    problems = [
        Problem(
            "csc.xlsx",
            "Return",
            "N12",
            "RAG",
            "rag-in-scale",
            "PURPLE",
            "'PURPLE' is not a RAG rating.",
            agency="CSC",
            area_id="1.10",
        ),
        Problem("csc.xlsx", "", "", "", "file", "", "Whole file", severity=Severity.WARNING),
    ]
    frame = problems_frame(problems)
    assert list(frame.columns) == list(PROBLEM_HEADERS.values())
    assert list(frame.columns)[:4] == ["File", "Agency", "Sheet", "Cell"]
    assert frame.to_dict("records")[0] == {
        "File": "csc.xlsx",
        "Agency": "CSC",
        "Sheet": "Return",
        "Cell": "N12",
        "ID": "1.10",
        "Column": "RAG",
        "Severity": "error",
        "Rule": "rag-in-scale",
        "Value found": "PURPLE",
        "What to do": "'PURPLE' is not a RAG rating.",
    }
    assert frame.iloc[1]["Severity"] == "warning"
    assert frame.iloc[1]["ID"] == ""


def test_problems_frame_empty_keeps_headings() -> None:
    frame = problems_frame([])
    assert frame.empty
    assert list(frame.columns) == list(PROBLEM_HEADERS.values())
