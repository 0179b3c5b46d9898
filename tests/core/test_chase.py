"""The words of each chasing e-mail, exactly: outstanding, overdue and rejected."""

from __future__ import annotations

from datetime import date

import pytest

from ipt_excel.core.chase import chase_text
from ipt_excel.core.facts import OUTSTANDING, OVERDUE, RECEIVED, REJECTED

R3 = "Third review of progress"
DUE = date(2012, 9, 12)
SIGN_OFF = (
    "If you have a question, reply to plan@council.gov.uk.\n\n"
    "Thank you,\n\nImprovement plan coordinator\nplan@council.gov.uk\n"
)


def text(state: str, as_of: date, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "state": state,
        "agency_name": "Health Services",
        "round_name": R3,
        "due": DUE,
        "as_of": as_of,
        "reply_to": "plan@council.gov.uk",
        "attachment": "health.xlsx",
    }
    args.update(kw)
    return chase_text(**args)  # type: ignore[arg-type]


def test_outstanding_says_what_is_owed_and_by_when() -> None:
    t = text(OUTSTANDING, date(2012, 9, 5))
    assert (
        t.subject == "Third review of progress: your return is due by Wednesday 12 September 2012"
    )
    assert t.body == (
        "Dear Health Services,\n\n"
        "We have not received your return for Third review of progress yet. Please send it by "
        "Wednesday 12 September 2012.\n\n"
        "The attached workbook, health.xlsx, is your return. It holds only your areas.\n\n"
        "What you need to do:\n\n"
        "1. Open health.xlsx and fill in the white cells for each of your areas.\n"
        "2. Save it as an Excel Workbook (.xlsx).\n"
        "3. Reply to this email with the workbook attached, by Wednesday 12 September 2012.\n\n"
        + SIGN_OFF
    )


def test_a_return_that_asks_for_a_sign_off_says_to_fill_it_in() -> None:
    t = chase_text(
        state=OUTSTANDING, agency_name="Health Services", round_name="Third review of progress",
        due=date(2012, 9, 12), as_of=date(2012, 9, 5), reply_to="plan@bathnes.gov.uk",
        attachment="health.xlsx", sign_off=True,
    )  # fmt: skip
    assert (
        "1. Open health.xlsx and fill in the white cells for each of your areas, and the "
        "sign-off above them (Completed by, Role, Date, and Yes to confirm)." in t.body
    )


def test_outstanding_with_no_due_date() -> None:
    t = text(OUTSTANDING, date(2012, 9, 5), due=None)
    assert t.subject == "Third review of progress: please send your return"
    assert "Please send it as soon as you can." in t.body


def test_overdue_says_when_it_was_due() -> None:
    t = text(OVERDUE, date(2012, 9, 14))
    assert t.subject == "Third review of progress: your return is overdue"
    assert t.body == (
        "Dear Health Services,\n\n"
        "Your return for Third review of progress was due on Wednesday 12 September 2012. We "
        "have not received it yet.\n\n"
        "The attached workbook, health.xlsx, is your return. It holds only your areas.\n\n"
        "What you need to do:\n\n"
        "1. Open health.xlsx and fill in the white cells for each of your areas.\n"
        "2. Save it as an Excel Workbook (.xlsx).\n"
        "3. Reply to this email with the workbook attached, as soon as you can.\n\n" + SIGN_OFF
    )


def test_rejected_says_how_many_things_to_fix_and_that_the_workbook_marks_them() -> None:
    t = text(REJECTED, date(2012, 9, 10), to_fix=3, attachment="health-feedback.xlsx")
    assert t.subject == "Third review of progress: your return has 3 things to fix"
    assert t.body == (
        "Dear Health Services,\n\n"
        "We could not accept the return you sent for Third review of progress. It has 3 "
        "things to fix.\n\n"
        "The attached workbook, health-feedback.xlsx, is your return with the 3 cells to fix "
        "marked in red. It opens on a sheet, What to fix, that lists each one: where it is, "
        "what is wrong and what to do.\n\n"
        "What you need to do:\n\n"
        "1. Open health-feedback.xlsx.\n"
        "2. Fix each cell marked in red. Cells marked yellow are worth a check, but they do "
        "not stop your return being accepted.\n"
        "3. Save it as an Excel Workbook (.xlsx).\n"
        "4. Reply to this email with the workbook attached, by Wednesday 12 September 2012.\n\n"
        + SIGN_OFF
    )
    one = text(REJECTED, date(2012, 9, 14), to_fix=1)
    assert one.subject.endswith("has 1 thing to fix")
    assert "with the cell to fix marked in red. It opens on a sheet, What to fix" in one.body
    assert "attached, as soon as you can." in one.body  # past the due date


def test_rejected_with_everything_put_right_asks_for_a_check_not_a_fix() -> None:
    t = text(REJECTED, date(2012, 9, 10), to_fix=0, attachment="health-feedback.xlsx")
    assert t.subject == "Third review of progress: please check your return and send it again"
    assert "thing to fix" not in t.body and "marked in red" not in t.body
    assert "it had been changed outside its white cells" in t.body
    assert "1. Open health-feedback.xlsx and check the cells marked yellow." in t.body


def test_rejected_with_no_feedback_sends_the_return_again_and_says_why() -> None:
    t = text(REJECTED, date(2012, 9, 14), reason="health.xlsx is an old return.")
    assert t.subject == "Third review of progress: please send your return again"
    assert t.body.startswith(
        "Dear Health Services,\n\n"
        "We could not accept the file you sent for Third review of progress. health.xlsx is "
        "an old return.\n\n"
        "The attached workbook, health.xlsx, is the return we issued to you.\n\n"
    )


def test_nothing_to_chase_for_a_received_return() -> None:
    with pytest.raises(ValueError):
        text(RECEIVED, date(2012, 9, 14))
