"""From the paths given to the files to check: folders expanded in name order, hidden files
skipped, each file read once and taken for what its bytes are."""

from __future__ import annotations

from pathlib import Path

from mails import eml, mbox_file, msg_bytes

from ipt_excel.intake import IntakeLimits, gather

WORKBOOK = b"PK\x03\x04" + bytes(2000)


def labels(paths: list[Path], limits: IntakeLimits | None = None) -> list[str]:
    return [i.label for i in gather(paths, limits)]


def test_a_folder_is_expanded_in_name_order_hidden_files_skipped(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / ".hidden").mkdir()
    (inbox / "B.xlsx").write_bytes(WORKBOOK)
    (inbox / "a.eml").write_bytes(eml("RE: Return", [("health.xlsx", WORKBOOK)]))
    (inbox / "c.msg").write_bytes(msg_bytes("Return", [("ruh.xlsx", WORKBOOK)]))
    (inbox / "sub" / "d.xlsx").write_bytes(WORKBOOK)
    (inbox / ".DS_Store").write_bytes(b"x")
    (inbox / "~$b.xlsx").write_bytes(b"lock")
    (inbox / ".hidden" / "e.xlsx").write_bytes(WORKBOOK)
    assert labels([inbox]) == [
        f'health.xlsx (from "RE: Return" in {inbox / "a.eml"})',
        "B.xlsx",
        f'ruh.xlsx (from "Return" in {inbox / "c.msg"})',
        "d.xlsx",
    ]


def test_files_keep_the_order_given_and_a_workbook_its_bytes(tmp_path: Path) -> None:
    (tmp_path / "z.xlsx").write_bytes(WORKBOOK)
    (tmp_path / "a.xlsx").write_bytes(WORKBOOK + b"!")
    got = list(gather([tmp_path / "z.xlsx", tmp_path / "a.xlsx"]))
    assert [(i.label, i.data, i.mail) for i in got] == [
        ("z.xlsx", WORKBOOK, None),
        ("a.xlsx", WORKBOOK + b"!", None),
    ]


def test_a_file_named_twice_or_also_in_a_folder_given_is_read_once(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.xlsx").write_bytes(WORKBOOK)
    (inbox / "b.xlsx").write_bytes(WORKBOOK)
    a = inbox / "a.xlsx"
    assert labels([a, inbox / ".." / "inbox" / "a.xlsx", inbox]) == ["a.xlsx", "b.xlsx"]
    missing = tmp_path / "gone.xlsx"
    assert len(labels([missing, missing])) == 1


def test_what_a_file_is_comes_from_its_bytes_first(tmp_path: Path) -> None:
    saved = {
        "return.eml": WORKBOOK,  # a workbook saved under the wrong name
        "Inbox": b"",  # filled in below: an mbox with no suffix, as Thunderbird keeps one
        "message.txt": eml("RE: Return", [("h.xlsx", WORKBOOK)]),
        "outlook.dat": msg_bytes("RE: Return", [("o.xlsx", WORKBOOK)]),
    }
    for name, data in saved.items():
        (tmp_path / name).write_bytes(data)
    mbox_file(tmp_path / "Inbox", [eml("One", [("m.xlsx", WORKBOOK)])])
    got = labels([tmp_path / n for n in saved])
    assert got == [
        "return.eml",
        f'm.xlsx (from "One", message 1 in {tmp_path / "Inbox"})',
        f'h.xlsx (from "RE: Return" in {tmp_path / "message.txt"})',
        f'o.xlsx (from "RE: Return" in {tmp_path / "outlook.dat"})',
    ]


def test_files_that_cannot_be_read_are_one_row_each(tmp_path: Path) -> None:
    (tmp_path / "empty-folder").mkdir()
    got = list(gather([tmp_path / "missing.eml", tmp_path / "empty-folder"]))
    assert [(i.refusal.rule if i.refusal else "") for i in got] == ["missing", "not-a-file"]
    assert got[1].refusal is not None
    assert got[1].refusal.message.startswith("empty-folder is a folder with no files in it")


def test_limits_on_files_in_folders_and_bytes_together(tmp_path: Path) -> None:
    for i in range(4):
        (tmp_path / f"{i}.xlsx").write_bytes(WORKBOOK)
    got = list(gather([tmp_path], IntakeLimits(max_files=2)))
    assert [i.label for i in got[:2]] == ["0.xlsx", "1.xlsx"]
    assert got[2].refusal is not None and "more than 2 files" in got[2].refusal.message
    got = list(gather([tmp_path], IntakeLimits(max_total_bytes=len(WORKBOOK) + 1)))
    assert [i.refusal is None for i in got] == [True, True, False, False]
    assert got[2].refusal is not None and "was not checked" in got[2].refusal.message
