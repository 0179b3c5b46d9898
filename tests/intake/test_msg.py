"""Outlook .msg files, built here as Compound Files with the streams Outlook writes: each
workbook attached, forwarded messages included, read through olefile."""

from __future__ import annotations

import os
from pathlib import Path

from broken_files import cfb_bytes
from mails import msg_bytes, msg_tree

from ipt_excel.intake import IntakeLimits
from ipt_excel.intake.msg import is_msg, msg_items

BIG = b"PK\x03\x04" + os.urandom(20_000)  # stored in sectors of its own
SMALL = b"PK\x03\x04" + bytes(100)  # stored in the mini stream
PATH = Path("inbox/RE Return.msg")


def test_each_attachment_comes_out_byte_for_byte_with_its_name() -> None:
    data = msg_bytes("RE: Return", [("health-return.xlsx", BIG), ("tiny.xlsx", SMALL)])
    assert is_msg(data)
    got = msg_items(data, PATH, IntakeLimits())
    assert [(i.path.name, i.data) for i in got] == [
        ("health-return.xlsx", BIG),
        ("tiny.xlsx", SMALL),
    ]
    assert got[0].label == 'health-return.xlsx (from "RE: Return" in inbox/RE Return.msg)'
    assert got[0].mail is not None and got[0].mail.suffix == ".msg" and got[0].mail.data == data


def test_names_in_an_8_bit_code_page_are_read_too() -> None:
    data = msg_bytes("Réponse", [("santé.xlsx", SMALL)], ansi_names=True)
    (item,) = msg_items(data, PATH, IntakeLimits())
    assert item.path.name == "santé.xlsx"


def test_a_forwarded_message_inside_gives_its_attachments() -> None:
    inner = msg_tree("Return for September", [("csc.xlsx", BIG)])
    data = msg_bytes("FW: Return for September", [("logo.png", b"\x89PNG")], embedded=inner)
    (item,) = msg_items(data, PATH, IntakeLimits())
    assert item.data == BIG
    assert item.label == 'csc.xlsx (from "FW: Return for September" in inbox/RE Return.msg)'
    nested_too_deep = msg_items(data, PATH, IntakeLimits(max_depth=0))
    assert nested_too_deep[0].refusal is not None
    assert nested_too_deep[0].refusal.rule == "mail-too-large"


def test_a_message_with_no_workbook_is_one_row() -> None:
    (item,) = msg_items(msg_bytes("RE: Return", [("notes.pdf", b"%PDF")]), PATH, IntakeLimits())
    assert item.refusal is not None and item.refusal.rule == "no-attachment"
    assert item.refusal.message == (
        'inbox/RE Return.msg ("RE: Return") has no Excel workbook attached (attached: '
        "notes.pdf). Ask the sender to attach the return they were sent."
    )


def test_an_attachment_over_the_limit_is_not_read() -> None:
    data = msg_bytes("RE: Return", [("huge.xlsx", BIG)])
    (item,) = msg_items(data, PATH, IntakeLimits(max_attachment_bytes=10_000))
    assert item.refusal is not None and item.refusal.rule == "too-large"
    assert item.data == b""


def test_a_damaged_message_is_one_row_never_a_traceback() -> None:
    data = msg_bytes("RE: Return", [("health.xlsx", BIG)])
    for damaged in (data[:2000], data[:512] + b"\xff" * (len(data) - 512)):
        (item,) = msg_items(damaged, PATH, IntakeLimits())
        assert item.refusal is not None and item.refusal.rule == "mail-unreadable"
        assert "could not be read as an Outlook message (.msg)" in item.refusal.message


def test_other_compound_files_are_not_messages() -> None:
    assert not is_msg(cfb_bytes([("Workbook", 2)]))  # an .xls: the gate says so
    assert not is_msg(b"PK\x03\x04")
