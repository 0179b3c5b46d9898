"""What SECURITY.md promises, checked: the key never leaves the workspace, a missing key stops
the commands that need it, and the manual key rotation it describes works as it says."""

from __future__ import annotations

import os
import secrets
import stat
import zipfile
from pathlib import Path

from .cases import check
from .helpers import (
    DUE,
    ROUND,
    ROUND_DATE,
    WS,
    fill,
    good_update,
    ipt,
    judge,
    live_changes,
    plan_rows,
    receipts,
)


def _every_part(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return b"\n".join(zf.read(i) for i in zf.infolist())


def test_the_key_is_private_and_in_no_workbook(ws: WS) -> None:
    """.ipt/key is 32 random bytes as hex, readable by its owner only, and neither its hex nor
    its bytes appear in any return, feedback workbook, master, history copy or circulation
    copy."""
    text = ws.key.read_text().strip()
    key = bytes.fromhex(text)
    assert len(key) == 32
    assert stat.S_IMODE(ws.key.stat().st_mode) == 0o600
    bad = fill(ws.issued("csc"), ws.inbox / "bad.xlsx", {"1.4": {"rag": "PURPLE"}})
    good = fill(ws.issued("health"), ws.inbox / "good.xlsx", {"1.11": good_update("Fine.")})
    assert ws.merge(good, bad).code == 1
    assert ipt("circulate", "-w", ws.root).code == 0
    books = [*ws.root.rglob("*.xlsx"), *ws.feedback.rglob("*.xlsx")]
    assert any(p.parent == ws.feedback for p in books), "no feedback workbook was written"
    for book in books:
        data = _every_part(book)
        for needle in (text.encode(), text.upper().encode(), key):
            assert needle not in data, f"the key is in {book}"


def test_without_the_key_check_and_merge_stop_and_say_so(ws: WS) -> None:
    good = fill(ws.issued("health"), ws.inbox / "good.xlsx", {"1.11": good_update("Fine.")})
    ws.key.unlink()
    for run in (ws.check(good), ws.merge(good)):
        right = run.code == 2 and "key" in run.stderr and "backup" in run.stderr
        judge(run, refused=True, right=right)
        assert right, run.describe()
    assert receipts(ws) == []


def test_rotating_the_key_as_security_md_describes(ws: WS) -> None:
    """Replace .ipt/key, re-issue the current round: every return issued under the old key is
    refused ("signature"), the new returns merge, and what was merged before is kept."""
    merged = fill(ws.issued("csc"), ws.inbox / "csc.xlsx", {"1.4": good_update("Before rotation.")})
    assert ws.merge(merged).code == 0
    outstanding = fill(
        ws.issued("health"), ws.inbox / "health-old-key.xlsx", {"1.11": {"progress": "Old key."}}
    )

    # The rotation: a new random key, hex, owner-only.
    fd = os.open(ws.key, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_bytes(32).hex())
    out = check(ws, [outstanding, merged])
    rules = {name: [r["Rule"] for r in rows] for name, rows in out.errors.items()}
    right = rules == {outstanding.name: ["signature"], merged.name: ["signature"]}
    judge(out.run, refused=True, right=right)
    assert right, rules

    run = ipt("issue", "--round", ROUND, "--date", ROUND_DATE, "--due", DUE, "-w", ws.root)
    assert run.code == 0, run.describe()
    assert "replaces the return issued" in run.stdout
    renewed = fill(
        ws.issued("health"), ws.inbox / "health-new-key.xlsx", {"1.11": {"progress": "New key."}}
    )
    run = ws.merge(renewed, outstanding)
    outcomes = {r["file_name"]: r["outcome"] for r in receipts(ws)}
    plan = plan_rows(ws.master)
    right = (
        run.code == 1
        and outcomes[renewed.name] == "merged"
        and outcomes[outstanding.name] == "rejected"
        and plan["1.4"]["Progress"] == "Before rotation."
        and "New key." in str(plan["1.11"]["Progress"])
    )
    judge(run, refused=False, right=right)
    assert right, (run.describe(), outcomes)
    assert any(c["new"] == "Before rotation." for c in live_changes(ws))
    rebuilt = ws.outside / "rebuilt.xlsx"
    assert ipt("history", "--rebuild", "1", "--out", rebuilt, "-w", ws.root).code == 0
