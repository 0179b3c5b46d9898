"""The words of a chasing e-mail: one per agency that owes a return. Pure.

Written in the GOV.UK style: short, specific, and saying what to do: what is owed, for which
round, by when, what to do with the attachment and whom to reply to. Different for a return
that is outstanding, overdue, or rejected (saying how many things to fix). services/chase.py
puts them in .eml files; nothing here sends anything or reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ipt_excel.core.dates import format_plan_date
from ipt_excel.core.facts import OUTSTANDING, OVERDUE, REJECTED


@dataclass(frozen=True)
class ChaseText:
    subject: str
    body: str


def weekday_date(d: date) -> str:
    """ "Wednesday 12 September 2012"."""
    return f"{d:%A} {format_plan_date(d)}"


def _things(n: int) -> str:
    return f"{n} thing to fix" if n == 1 else f"{n} things to fix"


def chase_text(
    *,
    state: str,
    agency_name: str,
    round_name: str,
    due: date | None,
    as_of: date,
    reply_to: str,
    attachment: str,
    to_fix: int | None = None,
    reason: str = "",
    sign_off: bool = False,
) -> ChaseText:
    """The subject and plain-text body of one chasing e-mail.

    `state` is outstanding, overdue or rejected; `attachment` the file name of what is
    attached (the return issued, or for a rejected return its feedback workbook). For a
    rejected return, `to_fix` is the number of things its What to fix sheet asks the agency
    to fix (0 when the workbook has put everything right itself); None when
    no feedback workbook could be made (the issued return is attached instead, and `reason`
    says why the file sent was not accepted). `sign_off`: the return asks for one, so the
    steps say to fill it in.
    """
    fill_in = (
        "fill in the white cells for each of your areas, and the sign-off above them "
        "(Completed by, Role, Date, and Yes to confirm)"
        if sign_off
        else "fill in the white cells for each of your areas"
    )
    late = due is not None and as_of > due
    by_when = f"by {weekday_date(due)}" if due is not None and not late else "as soon as you can"
    closing = ["Thank you,", "", "Improvement plan coordinator", reply_to]
    if state == REJECTED and to_fix == 0:
        # Everything wrong has been put right in the feedback workbook (plan text put back,
        # a moved row returned): the agency checks it and sends it again.
        subject = f"{round_name}: please check your return and send it again"
        lines = [
            f"Dear {agency_name},",
            "",
            f"We could not accept the return you sent for {round_name}: it had been changed "
            "outside its white cells.",
            "",
            f"The attached workbook, {attachment}, is your return with that put right and "
            "your update kept. It opens on a sheet, What to fix, that lists what was put "
            "right and anything worth a check (marked yellow).",
            "",
            "What you need to do:",
            "",
            f"1. Open {attachment} and check the cells marked yellow.",
            "2. Save it as an Excel Workbook (.xlsx).",
            f"3. Reply to this email with the workbook attached, {by_when}.",
        ]
    elif state == REJECTED and to_fix is not None:
        subject = f"{round_name}: your return has {_things(to_fix)}"
        cells = "the cell" if to_fix == 1 else f"the {to_fix} cells"
        lines = [
            f"Dear {agency_name},",
            "",
            f"We could not accept the return you sent for {round_name}. It has {_things(to_fix)}.",
            "",
            f"The attached workbook, {attachment}, is your return with {cells} to fix "
            "marked in red. It opens on a sheet, What to fix, that lists each one: where it "
            "is, what is wrong and what to do.",
            "",
            "What you need to do:",
            "",
            f"1. Open {attachment}.",
            "2. Fix each cell marked in red. Cells marked yellow are worth a check, but they "
            "do not stop your return being accepted.",
            "3. Save it as an Excel Workbook (.xlsx).",
            f"4. Reply to this email with the workbook attached, {by_when}.",
        ]
    elif state == REJECTED:
        subject = f"{round_name}: please send your return again"
        because = f" {reason}" if reason else ""
        lines = [
            f"Dear {agency_name},",
            "",
            f"We could not accept the file you sent for {round_name}.{because}",
            "",
            f"The attached workbook, {attachment}, is the return we issued to you.",
            "",
            "What you need to do:",
            "",
            f"1. Open {attachment} and {fill_in}.",
            "2. Save it as an Excel Workbook (.xlsx).",
            f"3. Reply to this email with the workbook attached, {by_when}.",
        ]
    elif state in (OUTSTANDING, OVERDUE):
        if state == OVERDUE and due is not None:
            subject = f"{round_name}: your return is overdue"
            opening = (
                f"Your return for {round_name} was due on "
                f"{weekday_date(due)}. We have not received it yet."
            )
        else:
            subject = (
                f"{round_name}: your return is due {by_when}"
                if due is not None
                else f"{round_name}: please send your return"
            )
            opening = (
                f"We have not received your return for {round_name} yet. Please send it {by_when}."
            )
        lines = [
            f"Dear {agency_name},",
            "",
            opening,
            "",
            f"The attached workbook, {attachment}, is your return. It holds only your areas.",
            "",
            "What you need to do:",
            "",
            f"1. Open {attachment} and {fill_in}.",
            "2. Save it as an Excel Workbook (.xlsx).",
            f"3. Reply to this email with the workbook attached, {by_when}.",
        ]
    else:
        raise ValueError(f"nothing to chase for a return that is {state}")
    body = "\n".join([*lines, "", f"If you have a question, reply to {reply_to}.", "", *closing])
    return ChaseText(subject, body + "\n")
