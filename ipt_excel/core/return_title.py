"""The title block of a return: the lines above its header row, as issued and as sent back.

The lines are written into the signed manifest (version 3), so `ipt check` compares the
title block with what was sent, and a feedback workbook repeats them, with its notice in
place of the plan title's line.
"""

from __future__ import annotations

from collections.abc import Sequence

from ipt_excel.core.columns import Column, Kind
from ipt_excel.core.kinds import example_date, long_date
from ipt_excel.core.model import Agency, Plan

NOTICE_LINE = 1  # the line a feedback notice replaces: the plan's title

FEEDBACK_ERRORS = (
    "This return has been sent back to you. The sheet 'What to fix' lists what to change: fix "
    "the cells marked red and check those marked yellow, then send it back."
)
FEEDBACK_WARNINGS = (
    "This return has been sent back to you. Nothing needs fixing: the sheet 'What to fix' "
    "lists what to check. Then send it back."
)
# Notices earlier versions wrote, still accepted on a return sent back with them.
_EARLIER_NOTICES: tuple[str, ...] = (
    "This return has been sent back to you. Fix the cells marked red and check the cells "
    "marked yellow (each has a note saying what to do), then send it back.",
    "This return has been sent back to you. Nothing needs fixing: check the cells marked "
    "yellow (each has a note), then send it back.",
)
NOTICES: tuple[str, ...] = (FEEDBACK_ERRORS, FEEDBACK_WARNINGS, *_EARLIER_NOTICES)


def and_list(words: list[str], conjunction: str = "and") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def title_lines(plan: Plan, agency: Agency, open_columns: Sequence[Column]) -> tuple[str, ...]:
    """The title block, one line per row above the header (the first is the sheet's title).
    `open_columns` are the return's update columns, in order."""
    rnd = plan.round
    send_to = plan.coordinator_email or "the person who sent it to you"
    when = f"by {rnd.due:%A} {long_date(rnd.due)}" if rnd.due else "as soon as you can"
    open_headers = [c.header for c in open_columns]
    dropdowns = [c.header for c in open_columns if c.kind in (Kind.RAG, Kind.CHOICE, Kind.REVIEW)]
    choose = f"Choose {and_list(dropdowns)} from the list in the cell." if dropdowns else ""
    if any(c.kind in (Kind.REVIEW, Kind.DATE) for c in open_columns):
        choose += f" You can also type a date, like {example_date(rnd.date)}."
    send = (
        "Save the file as an Excel Workbook (.xlsx) and send it back. "
        "Do not copy the cells into another file."
    )
    if plan.return_sign_off:
        send = (
            "Fill in the sign-off above the white cells, save the file as an Excel Workbook "
            "(.xlsx) and send it back. Do not copy the cells into another file."
        )
    return (
        f"{agency.name}: {rnd.name}, {long_date(rnd.date)}",
        plan.title,
        f"Send this return to {send_to} {when}.",
        f"For each area, fill in the white cells: {and_list(open_headers)}.",
        "The grey cells show the plan as agreed, for reference. You cannot change them.",
        *([choose.strip()] if choose else []),
        send,
    )


def is_feedback(lines: Sequence[str]) -> bool:
    """Whether a title block as found is a return sent back as feedback (its notice line)."""
    return len(lines) > NOTICE_LINE and lines[NOTICE_LINE] in NOTICES


def with_notice(lines: tuple[str, ...], notice: str) -> tuple[str, ...]:
    """The lines with a feedback notice in place of the plan title's line."""
    if not notice or len(lines) <= NOTICE_LINE:
        return lines
    return (*lines[:NOTICE_LINE], notice, *lines[NOTICE_LINE + 1 :])


def title_differences(issued: tuple[str, ...], found: tuple[str, ...]) -> list[int]:
    """The 0-based lines of the title block that differ from what was issued (a feedback
    notice in place of the plan title's line is not a difference)."""
    out = []
    for i in range(max(len(issued), len(found))):
        want = issued[i] if i < len(issued) else ""
        got = found[i] if i < len(found) else ""
        if got == want or (i == NOTICE_LINE and got in NOTICES):
            continue
        out.append(i)
    return out
