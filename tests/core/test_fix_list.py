"""The "What to fix" list (core/fix_list.py): messages split in two, errors first, in words."""

from __future__ import annotations

import pytest

from ipt_excel.core.fix_list import CHECK, MUST_FIX, Fix, counts_line, ordered, split_message


@pytest.mark.parametrize(
    ("message", "wrong", "to_do"),
    [
        (
            "'Purple' is not a RAG rating. Choose RED, AMBER or GREEN from the list.",
            "'Purple' is not a RAG rating.",
            "Choose RED, AMBER or GREEN from the list.",
        ),
        (  # a full stop in an area ID or inside quotes does not end the sentence
            "No update given for 1.3. Fill in the white cells for this area.",
            "No update given for 1.3.",
            "Fill in the white cells for this area.",
        ),
        (
            "'Dr. Smith. Done' is not a RAG rating. Choose one.",
            "'Dr. Smith. Done' is not a RAG rating.",
            "Choose one.",
        ),
        (  # nor one in brackets
            "L10 holds a formula (=A1. B). Type the value instead of a formula.",
            "L10 holds a formula (=A1. B).",
            "Type the value instead of a formula.",
        ),
        (  # an apostrophe in a word is not a quote
            "The sign-off's 'Role' (L5) is empty. Type the job title.",
            "The sign-off's 'Role' (L5) is empty.",
            "Type the job title.",
        ),
        (
            "'Children's Service' is not one of the choices. Choose one.",
            "'Children's Service' is not one of the choices.",
            "Choose one.",
        ),
        (
            "A formula in the plan text has been removed.",
            "A formula in the plan text has been removed.",
            "",
        ),
        (
            "  Lower case after a stop. does not split  ",
            "Lower case after a stop. does not split",
            "",
        ),
        (
            "This row had been moved. It has been put back. Check it.",
            "This row had been moved.",
            "It has been put back. Check it.",
        ),
        (  # what to do first: turned round
            "Enter the evidence of impact. An area rated GREEN needs evidence of impact.",
            "An area rated GREEN needs evidence of impact.",
            "Enter the evidence of impact.",
        ),
        ("Say what is stopping this work.", "", "Say what is stopping this work."),
        (  # only instructions
            "Delete the row. Type it again below.",
            "",
            "Delete the row. Type it again below.",
        ),
    ],
)
def test_a_message_is_what_is_wrong_then_what_to_do(message: str, wrong: str, to_do: str) -> None:
    assert split_message(message) == (wrong, to_do)


def fix(must: bool, cell: str, sheet: str = "Return") -> Fix:
    return Fix(must, sheet, cell, "RAG", "1.1", "Wrong.", "Do this.")


def test_errors_first_then_by_cell_from_the_top_other_sheets_last_repeats_dropped() -> None:
    fixes = [
        fix(False, "L13"),
        fix(True, "M10"),
        fix(True, "A1", "Lists"),
        fix(True, "L4"),
        fix(True, "AA10"),
        fix(True, "B10"),
        fix(True, "M10"),
        fix(False, ""),
    ]
    assert [(f.must, f.where) for f in ordered(fixes)] == [
        (True, "L4"),
        (True, "B10"),
        (True, "M10"),
        (True, "AA10"),
        (True, "A1 (Lists)"),
        (False, ""),
        (False, "L13"),
    ]


def test_must_fix_and_check_are_words() -> None:
    assert (
        (fix(True, "A1").label, fix(False, "A1").label)
        == (MUST_FIX, CHECK)
        == (
            "Must fix",
            "Check",
        )
    )


def test_the_count_line() -> None:
    assert counts_line([fix(True, "A1")]) == "1 thing to fix."
    assert counts_line([fix(True, "A1"), fix(True, "A2"), fix(False, "A3")]) == (
        "2 things to fix and 1 to check."
    )
    assert counts_line([fix(False, "A1"), fix(False, "A2")]) == "2 things to check."
    assert counts_line([]) == "Nothing to fix."
