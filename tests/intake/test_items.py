"""How a received file is named: labels that say where it came from, safe file names."""

from __future__ import annotations

from pathlib import Path

from ipt_excel.intake.items import Mail, is_workbook_like, safe_name, short_subject


def test_an_attachment_says_which_email_it_came_from() -> None:
    mail = Mail(Path("inbox/health.eml"), "RE: Return", b"...")
    assert mail.attachment_label("health.xlsx") == (
        'health.xlsx (from "RE: Return" in inbox/health.eml)'
    )
    assert mail.label == "inbox/health.eml"
    assert mail.named == 'inbox/health.eml ("RE: Return")'


def test_a_message_of_an_mbox_is_named_by_its_place() -> None:
    mail = Mail(Path("inbox/returns.mbox"), "", b"...", index=3)
    assert mail.label == "inbox/returns.mbox, message 3"
    assert mail.attachment_label("x.xlsx") == (
        "x.xlsx (from an e-mail with no subject, message 3 in inbox/returns.mbox)"
    )
    assert mail.named == "inbox/returns.mbox, message 3 (no subject)"


def test_a_subject_is_one_short_line() -> None:
    assert short_subject('RE:\r\n "Return"\tfor\x00 Sept') == "RE: 'Return' for Sept"
    long = short_subject("x" * 100)
    assert len(long) == 40 and long.endswith("…")


def test_a_file_name_from_an_email_loses_folders_and_control_characters() -> None:
    assert safe_name("..\\..\\evil/health\n.xlsx", "attachment-1.xlsx") == "health .xlsx"
    assert safe_name("", "attachment-1.xlsx") == "attachment-1.xlsx"
    assert safe_name(None, "attachment-2.xlsx") == "attachment-2.xlsx"
    long = safe_name("a" * 200 + ".xlsx", "x")
    assert len(long) <= 80 and long.endswith("….xlsx")


def test_workbook_like_files_by_name_or_type() -> None:
    for name in ("a.xlsx", "a.XLS", "a.xlsm", "a.ods", "a.csv"):
        assert is_workbook_like(name)
    assert is_workbook_like("noname", "application/vnd.ms-excel")
    assert not is_workbook_like("logo.png", "image/png")
    assert not is_workbook_like("notes.pdf")
