"""The ledger: rounds, issued returns, receipts, changes, conflicts, snapshots, transactions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from ipt_excel.core.model import Change, Conflict
from ipt_excel.core.plan_data import plan_from_dict
from ipt_excel.core.records import IssuedRecord, Receipt, RoundRecord
from ipt_excel.core.sign_off import SignOff
from ipt_excel.services.master import plan_json
from ipt_excel.services.plan_source import example_plan_path, load_plan
from ipt_excel.workspace.ledger import SCHEMA, Ledger

AT = datetime(2012, 7, 2, 9, 30)
R2 = "Second review of progress"
R3 = "Third review of progress"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / ".ipt" / "ledger.sqlite") as led:
        yield led


def change(agency: str = "CSC", field: str = "progress", new: str = "Done", **kw: object) -> Change:
    base: dict[str, object] = {
        "round": R2,
        "agency": agency,
        "area_id": "1.10",
        "column": field,
        "old": "",
        "new": new,
        "merged_at": AT,
        "source_file": "csc.xlsx",
        "source_sha256": "ab" * 32,
    }
    base.update(kw)
    return Change(**base)  # type: ignore[arg-type]


def receipt(ledger: Ledger, **kw: object) -> int:
    base: dict[str, object] = {
        "at": AT,
        "file_name": "csc.xlsx",
        "sha256": "ab" * 32,
        "round_name": R2,
        "agency": "CSC",
        "outcome": "merged",
        "detail": "3 changes",
    }
    base.update(kw)
    return ledger.add_receipt(**base)  # type: ignore[arg-type]


# -- rounds --------------------------------------------------------------------------------------
def test_no_rounds_at_first(ledger: Ledger) -> None:
    assert ledger.rounds() == []
    assert ledger.current_round() is None


def test_rounds_in_order_and_current(ledger: Ledger) -> None:
    ledger.add_round(R2, "second", date(2012, 6, 26), None, AT)
    ledger.add_round(R3, "third", date(2012, 9, 26), date(2012, 10, 5), AT)
    assert ledger.rounds() == [
        RoundRecord(R2, "second", date(2012, 6, 26), None, AT, 1),
        RoundRecord(R3, "third", date(2012, 9, 26), date(2012, 10, 5), AT, 2),
    ]
    current = ledger.current_round()
    assert current is not None and current.name == R3


def test_adding_a_round_again_updates_it_and_makes_it_current(ledger: Ledger) -> None:
    ledger.add_round(R2, "second", date(2012, 6, 26), None, AT)
    ledger.add_round(R3, "third", date(2012, 9, 26), None, AT)
    ledger.add_round(R2, "second", date(2012, 6, 27), date(2012, 7, 13), datetime(2013, 1, 1))
    rounds = ledger.rounds()
    assert [r.name for r in rounds] == [R3, R2]
    assert rounds[-1].date == date(2012, 6, 27) and rounds[-1].due == date(2012, 7, 13)
    assert rounds[-1].issued_at == AT  # first issue time is kept


def test_rounds_persist_across_connections(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as led:
        led.add_round(R2, "second", date(2012, 6, 26), None, AT)
    with Ledger(path) as led:
        assert [r.name for r in led.rounds()] == [R2]


# -- issued returns ------------------------------------------------------------------------------
def test_issued_records(ledger: Ledger) -> None:
    a = IssuedRecord(R2, "HEALTH", "returns/second/health.xlsx", AT, '{"a":1}', "sig-h")
    b = IssuedRecord(R2, "CSC", "returns/second/csc.xlsx", AT, '{"b":2}', "sig-c")
    c = IssuedRecord(R3, "CSC", "returns/third/csc.xlsx", AT, '{"c":3}', "sig-c3")
    for rec in (a, b, c):
        ledger.record_issued(rec)
    assert ledger.issued(R2) == [b, a]  # ordered by agency
    assert ledger.issued_for(R2, "HEALTH") == a
    assert ledger.issued_for(R2, "POLICE") is None
    assert ledger.issued("Nope") == []
    # Issuing again for the same round and agency replaces the record.
    again = IssuedRecord(R2, "CSC", "returns/second/csc.xlsx", AT, '{"b":3}', "sig-c2")
    ledger.record_issued(again)
    assert ledger.issued_for(R2, "CSC") == again
    assert len(ledger.issued(R2)) == 2


def test_manifest_text_is_kept_exactly(ledger: Ledger) -> None:
    manifest = '{"round":"Second review – 26th June","ids":["1.10","2.2.1"]}'
    ledger.record_issued(IssuedRecord(R2, "CSC", "p", AT, manifest, "s"))
    found = ledger.issued_for(R2, "CSC")
    assert found is not None and found.manifest == manifest


# -- receipts ------------------------------------------------------------------------------------
def test_receipts(ledger: Ledger) -> None:
    first = receipt(ledger, changes=3, conflicts=1)
    second = receipt(
        ledger, sha256="cd" * 32, round_name=None, agency=None, outcome="rejected", detail="bad"
    )
    assert (first, second) == (1, 2)
    assert ledger.receipts() == [
        Receipt(1, AT, "csc.xlsx", "ab" * 32, R2, "CSC", "merged", "3 changes", 3, 1),
        Receipt(2, AT, "csc.xlsx", "cd" * 32, None, None, "rejected", "bad", 0, 0),
    ]
    assert [r.id for r in ledger.receipts(R2)] == [1]


def test_a_rejected_receipt_keeps_how_many_errors_it_had(ledger: Ledger) -> None:
    receipt(ledger, outcome="rejected", detail="'Purple' is not a RAG rating.", errors=3)
    (got,) = ledger.receipts()
    assert (got.outcome, got.errors) == ("rejected", 3)


def test_a_ledger_made_before_error_counts_gains_the_column_empty(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE receipts (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL,"
        " file_name TEXT NOT NULL, sha256 TEXT NOT NULL, round TEXT, agency TEXT, outcome TEXT"
        " NOT NULL, detail TEXT NOT NULL, changes INTEGER NOT NULL DEFAULT 0, conflicts INTEGER"
        " NOT NULL DEFAULT 0)"
    )
    db.execute(
        "INSERT INTO receipts (received_at, file_name, sha256, round, agency, outcome, detail)"
        " VALUES (?, 'ruh.xlsx', 'ab', ?, 'RUH', 'rejected', 'bad')",
        (AT.isoformat(), R2),
    )
    db.commit()
    db.close()
    with Ledger(path) as old:
        (got,) = old.receipts()
        assert (got.file_name, got.errors) == ("ruh.xlsx", 0)
        receipt(old, outcome="rejected", errors=2)
        assert [r.errors for r in old.receipts()] == [0, 2]


def test_merged_sha_counts_only_merged_or_unchanged(ledger: Ledger) -> None:
    receipt(ledger, sha256="aa", outcome="rejected")
    receipt(ledger, sha256="bb", outcome="merged")
    receipt(ledger, sha256="cc", outcome="unchanged")
    assert not ledger.merged_sha("aa")
    assert ledger.merged_sha("bb")
    assert ledger.merged_sha("cc")
    assert not ledger.merged_sha("dd")


# -- changes -------------------------------------------------------------------------------------
def test_changes_round_trip(ledger: Ledger) -> None:
    rid = receipt(ledger)
    changes = [
        change(),
        change(column="rag", new="GREEN", old="AMBER"),
        change(agency="HEALTH", area_id="2.2.1", new="=not a formula\nline 2", round=R3),
    ]
    ledger.add_changes(rid, changes)
    assert ledger.changes() == changes
    assert ledger.changes(R2) == changes[:2]
    assert ledger.changes(R3) == changes[2:]


def test_supersede_marks_one_agencys_changes_in_one_round(ledger: Ledger) -> None:
    rid = receipt(ledger)
    ledger.add_changes(
        rid, [change(), change(agency="HEALTH"), change(round=R3), change(column="rag", new="RED")]
    )
    assert ledger.supersede(R2, "CSC") == 2
    assert [c.superseded for c in ledger.changes()] == [True, False, False, True]
    assert ledger.supersede(R2, "CSC") == 0  # already superseded
    # A later return's changes are added un-superseded.
    ledger.add_changes(rid, [change(new="Done again")])
    assert ledger.changes()[-1].superseded is False


# -- conflicts -----------------------------------------------------------------------------------
def conflict(agency: str = "CSC", round_name: str = R2) -> Conflict:
    return Conflict(
        round_name,
        agency,
        "1.10",
        "progress",
        issued="Started",
        master="Started, by coordinator",
        theirs="Finished",
        found_at=AT,
        source_file="csc.xlsx",
        source_sha256="ef" * 32,
    )


def test_conflicts_open_and_resolved(ledger: Ledger) -> None:
    rid = receipt(ledger)
    ledger.add_conflicts(rid, [conflict(), conflict("HEALTH"), conflict(round_name=R3)])
    assert ledger.open_conflicts() == [conflict(), conflict("HEALTH"), conflict(round_name=R3)]
    assert ledger.open_conflicts(R2) == [conflict(), conflict("HEALTH")]
    ledger.resolve_conflicts(R2, "CSC")
    assert ledger.open_conflicts(R2) == [conflict("HEALTH")]
    assert ledger.open_conflicts(R3) == [conflict(round_name=R3)]


# -- snapshots -----------------------------------------------------------------------------------
def test_snapshot_round_trips_the_example_plan(ledger: Ledger) -> None:
    plan = load_plan(example_plan_path())
    sid = ledger.add_snapshot(at=AT, reason="init", round_name=R2, plan_json=plan_json(plan))
    assert ledger.snapshots() == [(sid, AT, "init", R2)]
    assert plan_from_dict(ledger.snapshot(sid)) == plan


def test_snapshots_in_order_and_unknown_id(ledger: Ledger) -> None:
    a = ledger.add_snapshot(at=AT, reason="init", round_name=R2, plan_json='{"x": 1}')
    b = ledger.add_snapshot(at=AT, reason="merge", round_name=R2, plan_json='{"x": 2}')
    assert [s[0] for s in ledger.snapshots()] == [a, b]
    assert ledger.snapshot(b) == {"x": 2}
    with pytest.raises(KeyError):
        ledger.snapshot(b + 100)


# -- transactions --------------------------------------------------------------------------------
def test_transaction_commits(ledger: Ledger, tmp_path: Path) -> None:
    with ledger.transaction():
        rid = receipt(ledger)
        ledger.add_changes(rid, [change()])
    with Ledger(ledger.path) as other:
        assert len(other.receipts()) == 1 and len(other.changes()) == 1


def test_transaction_rolls_back_everything_on_error(ledger: Ledger) -> None:
    receipt(ledger, detail="before")
    with pytest.raises(RuntimeError, match="crash"), ledger.transaction():
        rid = receipt(ledger, detail="inside")
        ledger.add_changes(rid, [change()])
        ledger.add_conflicts(rid, [conflict()])
        ledger.add_snapshot(at=AT, reason="merge", round_name=R2, plan_json="{}")
        raise RuntimeError("crash")
    assert [r.detail for r in ledger.receipts()] == ["before"]
    assert ledger.changes() == []
    assert ledger.open_conflicts() == []
    assert ledger.snapshots() == []
    # The ledger is usable afterwards.
    with ledger.transaction():
        receipt(ledger, detail="after")
    assert [r.detail for r in ledger.receipts()] == ["before", "after"]


def test_ledger_file_is_sqlite_with_the_tables(ledger: Ledger) -> None:
    db = sqlite3.connect(ledger.path)
    try:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        db.close()
    assert {"rounds", "issued", "receipts", "changes", "conflicts", "sign_offs", "snapshots"} <= (
        names
    )


@pytest.mark.parametrize(
    "plan",
    [
        {"plan": {"title": "x"}, "areas": []},
        {"plan": {"evidence_required_for_green": False}, "columns": [{"header": "Risk"}]},
        {"column_set": {"columns": [], "rules": []}, "rules": ["a rule"], "areas": [1, 2]},
        {"plan": {"evidence_required_for_green": True}, "rules": None, "columns": []},
    ],
)
def test_a_snapshot_s_columns_are_read_without_the_rest(tmp_path: Path, plan: dict) -> None:
    """What columns_from_dict reads of a snapshot, picked out by SQLite: the same answer."""
    from ipt_excel.core.plan_data import columns_from_dict

    with Ledger(tmp_path / "l.sqlite") as ledger:
        n = ledger.add_snapshot(
            at=datetime(2012, 9, 1), reason="init", round_name="R", plan_json=json.dumps(plan)
        )
        picked = ledger.snapshot_columns(n)
        whole = ledger.snapshot(n)
    for key in ("column_set", "columns", "rules"):
        assert picked[key] == whole.get(key)
    assert picked["plan"] == {  # type: ignore[comparison-overlap]
        "evidence_required_for_green": (whole.get("plan") or {}).get(  # type: ignore[attr-defined]
            "evidence_required_for_green"
        )
    }
    try:
        expected: object = columns_from_dict(whole)
    except Exception as exc:
        expected = type(exc)
    try:
        got: object = columns_from_dict(picked)
    except Exception as exc:
        got = type(exc)
    assert got == expected


# -- sign-offs -----------------------------------------------------------------------------------
def test_a_receipt_carries_the_sign_off_of_the_return_it_is_for(ledger: Ledger) -> None:
    signed = SignOff("Sam Jones", "Head of Service", date(2012, 6, 20))
    first = receipt(ledger)
    ledger.add_sign_off(first, signed)
    receipt(ledger, sha256="cd" * 32, outcome="rejected", detail="bad")
    assert [r.sign_off for r in ledger.receipts()] == [signed, None]
    assert ledger.receipts(R2)[0].sign_off == signed
    # The same receipt signed again (never done, but harmless): the last one stands.
    ledger.add_sign_off(first, SignOff("Sam Jones", "Director", date(2012, 6, 21)))
    assert ledger.receipts()[0].sign_off == SignOff("Sam Jones", "Director", date(2012, 6, 21))


def test_a_ledger_made_before_sign_offs_gains_their_table_and_keeps_its_receipts(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".ipt" / "ledger.sqlite"
    path.parent.mkdir()
    old = sqlite3.connect(path)
    # The ledger as an earlier version made it: no sign_offs table.
    old.executescript(SCHEMA.split("CREATE TABLE IF NOT EXISTS sign_offs")[0])
    old.execute(
        "INSERT INTO receipts (received_at, file_name, sha256, round, agency, outcome, detail)"
        " VALUES (?, 'csc.xlsx', 'ab', ?, 'CSC', 'merged', 'old')",
        (AT.isoformat(), R2),
    )
    old.commit()
    old.close()
    with Ledger(path) as led:
        (before,) = led.receipts()
        assert (before.detail, before.sign_off) == ("old", None)
        later = receipt(led, detail="new")
        led.add_sign_off(later, SignOff("Ann Lee", "Manager", date(2012, 6, 25)))
        assert [r.sign_off is not None for r in led.receipts()] == [False, True]
