"""Saved e-mails (.eml) and mbox files: each workbook attached, once, whatever the e-mail's
shape, and one clear row for an e-mail with none or one that passes a limit."""

from __future__ import annotations

import base64
import mailbox
from pathlib import Path

import pytest
from broken_files import make_zip_bomb
from mails import eml, forwarded, mbox_file, message

from ipt_excel.intake import IntakeLimits, Received
from ipt_excel.intake.mail import eml_items, mbox_items, split_mbox

WORKBOOK = b"PK\x03\x04" + bytes(range(256)) * 40  # stands in for a return: bytes are bytes
OTHER = b"PK\x03\x04" + b"other" * 500
PATH = Path("inbox/health.eml")


def items(data: bytes, limits: IntakeLimits | None = None) -> list[Received]:
    return eml_items(data, PATH, limits or IntakeLimits())


def test_a_plain_email_gives_its_attachment_byte_for_byte() -> None:
    raw = eml("RE: Return", [("health-return.xlsx", WORKBOOK)])
    (item,) = items(raw)
    assert item.refusal is None
    assert item.data == WORKBOOK
    assert item.path == Path("health-return.xlsx")
    assert item.label == 'health-return.xlsx (from "RE: Return" in inbox/health.eml)'
    assert item.mail is not None and item.mail.data == raw and item.mail.suffix == ".eml"


def test_text_and_html_bodies_are_not_attachments() -> None:
    (item,) = items(eml("RE: Return", [("h.xlsx", WORKBOOK)], html=True))
    assert item.data == WORKBOOK


def test_a_forwarded_email_gives_the_return_inside_it() -> None:
    inner = message("Return for September", [("health.xlsx", WORKBOOK)])
    (item,) = items(forwarded("FW: Return for September", inner))
    assert item.data == WORKBOOK
    assert item.label == 'health.xlsx (from "FW: Return for September" in inbox/health.eml)'


def test_an_eml_attached_as_a_file_is_looked_inside() -> None:
    outer = message("FW: as attachment", [("original.eml", eml("Return", [("h.xlsx", WORKBOOK)]))])
    (item,) = items(bytes(outer))
    assert (item.path.name, item.data) == ("h.xlsx", WORKBOOK)


@pytest.mark.parametrize(
    "header",
    [
        b"attachment; filename*=utf-8''R%C3%A9ponse%20sant%C3%A9.xlsx",  # RFC 2231
        b'attachment; filename="=?utf-8?b?UsOpcG9uc2Ugc2FudMOpLnhsc3g=?="',  # encoded word
        b"attachment;\r\n filename*0*=utf-8''R%C3%A9ponse%20;\r\n filename*1*=sant%C3%A9.xlsx",
    ],
)
def test_file_names_in_rfc_2231_or_encoded_words_are_decoded(header: bytes) -> None:
    raw = eml("Réponse", [("placeholder.xlsx", WORKBOOK)])
    start = raw.index(b"Content-Disposition: attachment")
    end = raw.index(b"\n", raw.index(b"filename", start))
    raw = raw[:start] + b"Content-Disposition: " + header + raw[end:]
    (item,) = items(raw)
    assert item.path.name == "Réponse santé.xlsx"
    assert item.data == WORKBOOK


def test_two_returns_in_one_email_are_two_items_in_order() -> None:
    got = items(eml("Our returns", [("a.xlsx", WORKBOOK), ("b.xlsx", OTHER)]))
    assert [(i.path.name, i.data) for i in got] == [("a.xlsx", WORKBOOK), ("b.xlsx", OTHER)]
    assert all(i.mail is got[0].mail for i in got)


def test_an_email_with_no_workbook_is_one_row_naming_it() -> None:
    (item,) = items(eml("RE: Return", [("notes.pdf", b"%PDF-1.4"), ("logo.png", b"\x89PNG")]))
    assert item.refusal is not None and item.refusal.rule == "no-attachment"
    assert item.label == "inbox/health.eml"
    assert item.refusal.message == (
        'inbox/health.eml ("RE: Return") has no Excel workbook attached (attached: notes.pdf, '
        "logo.png). Ask the sender to attach the return they were sent."
    )
    (bare,) = items(eml("RE: Return"))
    assert bare.refusal is not None
    assert bare.refusal.message == (
        'inbox/health.eml ("RE: Return") has no Excel workbook attached. Ask the sender to '
        "attach the return they were sent."
    )


def test_workbook_like_attachments_go_on_for_the_gate_to_judge() -> None:
    got = items(eml("R", [("old.xls", b"\xd0\xcf\x11\xe0"), ("r.csv", b"a,b"), ("m.xlsm", OTHER)]))
    assert [i.path.name for i in got] == ["old.xls", "r.csv", "m.xlsm"]
    assert all(i.refusal is None for i in got)


def test_a_zip_bomb_attachment_is_passed_on_whole_for_the_gate_to_refuse(tmp_path: Path) -> None:
    bomb = make_zip_bomb(tmp_path, megabytes=300).read_bytes()
    (item,) = items(eml("R", [("bomb.xlsx", bomb)]))
    assert item.data == bomb and item.refusal is None  # decoded, never expanded here


def _cut(raw: bytes, characters: int) -> bytes:
    """The e-mail with its attachment's base64 cut short by this many characters."""
    start = raw.index(base64.b64encode(WORKBOOK)[:60])
    end = raw.index(b"\n--", start)
    flat = b"".join(raw[start:end].split())[:-characters]
    lines = b"\n".join(flat[i : i + 76] for i in range(0, len(flat), 76))
    return raw[:start] + lines + b"\n" + raw[end:]


def test_a_truncated_base64_part_is_one_row_saying_it_was_damaged() -> None:
    raw = eml("RE: Return", [("health.xlsx", WORKBOOK)])
    (item,) = items(_cut(raw, 3))
    assert item.refusal is not None and item.refusal.rule == "attachment-damaged"
    assert item.refusal.message == (
        'health.xlsx (from "RE: Return" in inbox/health.eml) was damaged on the way: its '
        "encoding in the e-mail is broken or cut short. Ask the sender to send the return "
        "again."
    )
    assert item.data  # what could be decoded is kept, for the archive
    # Cut at a whole number of base64 groups, nothing in the encoding shows it: the bytes
    # go on, shorter, for the gate to find the workbook damaged.
    (whole_groups,) = items(_cut(raw, 4))
    assert whole_groups.refusal is None and WORKBOOK.startswith(whole_groups.data)
    assert len(whole_groups.data) < len(WORKBOOK)


def test_an_email_over_the_size_limit_is_refused_unparsed() -> None:
    raw = eml("RE: Return", [("h.xlsx", WORKBOOK)])
    (item,) = items(raw, IntakeLimits(max_email_bytes=len(raw) - 1))
    assert item.refusal is not None and item.refusal.rule == "mail-too-large"
    assert item.mail is not None and item.mail.data == b""  # only its start was read


def test_limits_on_parts_nesting_and_attachments() -> None:
    many = eml("R", [(f"{i}.xlsx", WORKBOOK) for i in range(4)])
    (item,) = items(many, IntakeLimits(max_attachments=3))
    assert item.refusal is not None and "more than 3 workbooks attached" in item.refusal.message
    (item,) = items(many, IntakeLimits(max_parts=3))
    assert item.refusal is not None and "more than 3 parts" in item.refusal.message
    inner = message("R", [("h.xlsx", WORKBOOK)])
    for _ in range(3):
        inner = message("FW", [])
        inner.add_attachment(message("R", [("h.xlsx", WORKBOOK)]))
    nested = forwarded("FW: FW", inner)
    (item,) = items(nested, IntakeLimits(max_depth=1))
    assert item.refusal is not None and "forwarded inside one another" in item.refusal.message
    assert [i.data for i in items(nested)] == [WORKBOOK]


def test_an_mbox_gives_every_message_in_order(tmp_path: Path) -> None:
    path = mbox_file(
        tmp_path / "returns.mbox",
        [
            eml("Health return", [("health.xlsx", WORKBOOK)]),
            eml("Just saying hello"),
            eml("From the LSCB", [("lscb.xlsx", OTHER)], text="From the LSCB:\nFrom here on."),
        ],
    )
    data = path.read_bytes()
    box = mailbox.mbox(path, create=False)
    try:
        assert len(split_mbox(data)) == len(box) == 3  # as the library reads it
        subjects = [m["subject"] for m in box]
        assert subjects == ["Health return", "Just saying hello", "From the LSCB"]
    finally:
        box.close()
    got = mbox_items(data, path, IntakeLimits())
    assert [i.label for i in got] == [
        f'health.xlsx (from "Health return", message 1 in {path})',
        f"{path}, message 2",
        f'lscb.xlsx (from "From the LSCB", message 3 in {path})',
    ]
    assert [i.data for i in got if i.refusal is None] == [WORKBOOK, OTHER]
    assert got[1].refusal is not None and got[1].refusal.rule == "no-attachment"
    assert got[0].mail is not None and got[0].mail.index == 1


def test_an_mbox_with_too_many_messages_is_one_row(tmp_path: Path) -> None:
    path = mbox_file(tmp_path / "big.mbox", [eml(f"m{i}") for i in range(5)])
    (item,) = mbox_items(path.read_bytes(), path, IntakeLimits(max_messages=4))
    assert item.refusal is not None and item.refusal.rule == "mail-too-large"
    assert "holds 5 messages, more than the 4 allowed" in item.refusal.message
