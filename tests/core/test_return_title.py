"""A return's title block (core/return_title.py): its lines, a feedback notice, differences."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ipt_excel.core.model import Round
from ipt_excel.core.return_title import (
    FEEDBACK_ERRORS,
    FEEDBACK_WARNINGS,
    NOTICES,
    is_feedback,
    title_differences,
    title_lines,
    with_notice,
)
from ipt_excel.core.rounds import return_layout
from ipt_excel.services.plan_source import example_plan_path, load_plan

PLAN = load_plan(example_plan_path())
OPEN = return_layout(PLAN.columns).open


def test_the_lines_say_who_what_when_and_how() -> None:
    plan = replace(PLAN, round=Round("Third review", date(2012, 9, 26), due=date(2012, 9, 12)))
    lines = title_lines(plan, plan.agencies[0], OPEN)
    assert lines[0] == f"{plan.agencies[0].name}: Third review, 26 September 2012"
    assert lines[1] == plan.title
    assert (
        lines[2]
        == "Send this return to the person who sent it to you by Wednesday 12 September 2012."
    )
    assert lines[3] == (
        "For each area, fill in the white cells: Progress, RAG, Evidence of impact and "
        "Date of next review."
    )
    assert lines[-1].startswith("Fill in the sign-off above the white cells, save the file as")


def test_a_notice_takes_the_plan_titles_line() -> None:
    lines = ("A", "Plan", "C")
    assert with_notice(lines, FEEDBACK_ERRORS) == ("A", FEEDBACK_ERRORS, "C")
    assert with_notice(lines, "") == lines


def test_differences_are_lines_changed_added_or_removed() -> None:
    lines = ("A", "Plan", "C")
    assert title_differences(lines, lines) == []
    assert title_differences(lines, ("A", NOTICES[1], "C")) == []
    assert title_differences(lines, ("A", "Other", "C", "", "typed")) == [1, 4]
    assert title_differences(lines, ("A", "Plan")) == [2]


def test_a_plan_without_a_sign_off_says_only_save_and_send() -> None:
    plan = replace(PLAN, return_sign_off=False)
    lines = title_lines(plan, plan.agencies[0], OPEN)
    assert lines[-1].startswith("Save the file as an Excel Workbook (.xlsx)")
    assert not any("sign-off" in line for line in lines)


def test_the_notices_point_to_the_what_to_fix_sheet() -> None:
    assert "The sheet 'What to fix'" in FEEDBACK_ERRORS
    assert "the sheet 'What to fix'" in FEEDBACK_WARNINGS
    assert "marked red" in FEEDBACK_ERRORS and "marked red" not in FEEDBACK_WARNINGS


def test_returns_sent_back_with_an_earlier_notice_still_pass_the_title_check() -> None:
    earlier = (
        "This return has been sent back to you. Fix the cells marked red and check the cells "
        "marked yellow (each has a note saying what to do), then send it back.",
        "This return has been sent back to you. Nothing needs fixing: check the cells marked "
        "yellow (each has a note), then send it back.",
    )
    lines = ("A", "Plan", "C")
    for notice in earlier:
        assert notice in NOTICES
        assert title_differences(lines, ("A", notice, "C")) == []
        assert is_feedback(("A", notice, "C"))
    assert is_feedback(("A", FEEDBACK_WARNINGS))
    assert not is_feedback(lines)
    assert not is_feedback(("A",))
    assert not is_feedback(("A", "B", FEEDBACK_ERRORS))  # only on the plan title's line
