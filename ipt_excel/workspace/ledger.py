"""The workspace's audit trail: an embedded SQLite database.

It records every round issued, every return issued (its signed manifest), every file received
and what happened to it, every change and conflict, and a snapshot of the plan behind every
master written, so any past master can be rebuilt. Rows are only ever added, except that a
superseded change is marked as such.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ipt_excel.core.columns import ColumnSet, column_set_from_dict
from ipt_excel.core.model import Change, Conflict
from ipt_excel.core.records import IssuedRecord, Receipt, RoundRecord
from ipt_excel.core.sign_off import SignOff

SCHEMA = """
CREATE TABLE IF NOT EXISTS rounds (
    name TEXT PRIMARY KEY, slug TEXT NOT NULL, round_date TEXT NOT NULL, due TEXT,
    issued_at TEXT NOT NULL, seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS issued (
    round TEXT NOT NULL, agency TEXT NOT NULL, path TEXT NOT NULL, issued_at TEXT NOT NULL,
    manifest TEXT NOT NULL, signature TEXT NOT NULL, PRIMARY KEY (round, agency)
);
CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL, file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL, round TEXT, agency TEXT, outcome TEXT NOT NULL, detail TEXT NOT NULL,
    changes INTEGER NOT NULL DEFAULT 0, conflicts INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, receipt INTEGER, merged_at TEXT NOT NULL,
    round TEXT NOT NULL, agency TEXT NOT NULL, area_id TEXT NOT NULL, field TEXT NOT NULL,
    old TEXT NOT NULL, new TEXT NOT NULL, source_file TEXT NOT NULL, sha256 TEXT NOT NULL,
    superseded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, receipt INTEGER, found_at TEXT NOT NULL,
    round TEXT NOT NULL, agency TEXT NOT NULL, area_id TEXT NOT NULL, field TEXT NOT NULL,
    issued TEXT NOT NULL, master TEXT NOT NULL, theirs TEXT NOT NULL, source_file TEXT NOT NULL,
    sha256 TEXT NOT NULL, resolved INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS column_sets (
    fingerprint TEXT PRIMARY KEY, definition TEXT NOT NULL, first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_offs (
    receipt INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
    signed_on TEXT NOT NULL, confirmed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT, written_at TEXT NOT NULL, reason TEXT NOT NULL,
    round TEXT NOT NULL, plan TEXT NOT NULL
);
"""


class Ledger:
    """A thin, typed wrapper over the SQLite file. Use as a context manager."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self._migrate()
        self._after_commit: list[Callable[[], None]] | None = None

    def _migrate(self) -> None:
        """Columns added since a ledger was first made: older ledgers gain them, empty.
        (Tables added since, such as sign_offs, are made by SCHEMA's CREATE IF NOT EXISTS.)"""
        for table, column, kind in (
            ("rounds", "column_set", "TEXT NOT NULL DEFAULT ''"),
            ("issued", "column_set", "TEXT NOT NULL DEFAULT ''"),
            ("receipts", "errors", "INTEGER NOT NULL DEFAULT 0"),
        ):
            have = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the current transaction has committed (at once outside one).

        Files that mirror the ledger (the master) are written only after the ledger holds
        what they show, so a crash can leave a file behind the ledger, never ahead of it.
        """
        if self._after_commit is None:
            action()
        else:
            self._after_commit.append(action)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a crash inside leaves the ledger as it was."""
        self.db.execute("BEGIN IMMEDIATE")
        self._after_commit = []
        try:
            yield
        except BaseException:
            self._after_commit = None
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        actions, self._after_commit = self._after_commit, None
        for action in actions:
            action()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: undo only what this block wrote if it fails."""
        self.db.execute("SAVEPOINT one_file")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK TO one_file")
            self.db.execute("RELEASE one_file")
            raise
        self.db.execute("RELEASE one_file")

    def _select(self, sql: str, round_name: str | None) -> list[tuple[Any, ...]]:
        """Run a SELECT, narrowed to one round when given, in the order rows were added."""
        if round_name is not None:
            sql += (" AND" if " WHERE " in sql else " WHERE") + " round = ?"
            return list(self.db.execute(sql + " ORDER BY id", (round_name,)).fetchall())
        return list(self.db.execute(sql + " ORDER BY id").fetchall())

    # -- rounds --------------------------------------------------------------------------
    def add_round(
        self,
        name: str,
        slug: str,
        round_date: date,
        due: date | None,
        at: datetime,
        column_set: str = "",
    ) -> None:
        seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM rounds").fetchone()[0]
        self.db.execute(
            "INSERT INTO rounds (name, slug, round_date, due, issued_at, seq, column_set) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
            "round_date = excluded.round_date, due = excluded.due, seq = excluded.seq, "
            "column_set = excluded.column_set",
            (
                name,
                slug,
                round_date.isoformat(),
                due.isoformat() if due else None,
                at.isoformat(),
                seq,
                column_set,
            ),
        )

    def rounds(self) -> list[RoundRecord]:
        rows = self.db.execute(
            "SELECT name, slug, round_date, due, issued_at, seq, column_set FROM rounds "
            "ORDER BY seq"
        ).fetchall()
        return [
            RoundRecord(
                r[0],
                r[1],
                date.fromisoformat(r[2]),
                date.fromisoformat(r[3]) if r[3] else None,
                datetime.fromisoformat(r[4]),
                r[5],
                r[6],
            )
            for r in rows
        ]

    # -- column sets -------------------------------------------------------------------------
    def record_column_set(self, columns: ColumnSet, at: datetime) -> str:
        """Keep a column set, once, by its fingerprint; a removed column's definition stays."""
        fingerprint = columns.fingerprint
        self.db.execute(
            "INSERT OR IGNORE INTO column_sets VALUES (?, ?, ?)",
            (fingerprint, json.dumps(columns.to_dict(), ensure_ascii=False), at.isoformat()),
        )
        return fingerprint

    def column_set(self, fingerprint: str) -> ColumnSet:
        row = self.db.execute(
            "SELECT definition FROM column_sets WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        if row is None:
            raise KeyError(fingerprint)
        return column_set_from_dict(json.loads(row[0]))

    def column_headers(self) -> dict[str, str]:
        """Every column key ever used, with its latest header: so a change to a column that
        has since been removed is still shown by its name."""
        out: dict[str, str] = {}
        for (definition,) in self.db.execute(
            "SELECT definition FROM column_sets ORDER BY first_seen"
        ):
            for c in json.loads(definition).get("columns", ()):
                out[str(c.get("key"))] = str(c.get("header"))
        return out

    def current_round(self) -> RoundRecord | None:
        rounds = self.rounds()
        return rounds[-1] if rounds else None

    # -- issued returns --------------------------------------------------------------------
    def record_issued(self, rec: IssuedRecord) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO issued (round, agency, path, issued_at, manifest, signature,"
            " column_set) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                rec.round,
                rec.agency,
                rec.path,
                rec.issued_at.isoformat(),
                rec.manifest,
                rec.signature,
                rec.column_set,
            ),
        )

    def issued(self, round_name: str) -> list[IssuedRecord]:
        rows = self.db.execute(
            "SELECT round, agency, path, issued_at, manifest, signature, column_set FROM issued"
            " WHERE round = ? ORDER BY agency",
            (round_name,),
        ).fetchall()
        return [
            IssuedRecord(r[0], r[1], r[2], datetime.fromisoformat(r[3]), r[4], r[5], r[6])
            for r in rows
        ]

    def issued_for(self, round_name: str, agency: str) -> IssuedRecord | None:
        return next((r for r in self.issued(round_name) if r.agency == agency), None)

    # -- receipts, changes, conflicts -----------------------------------------------------
    def add_receipt(
        self,
        *,
        at: datetime,
        file_name: str,
        sha256: str,
        round_name: str | None,
        agency: str | None,
        outcome: str,
        detail: str,
        changes: int = 0,
        conflicts: int = 0,
        errors: int = 0,
    ) -> int:
        cur = self.db.execute(
            "INSERT INTO receipts (received_at, file_name, sha256, round, agency, outcome, detail,"
            " changes, conflicts, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at.isoformat(),
                file_name,
                sha256,
                round_name,
                agency,
                outcome,
                detail,
                changes,
                conflicts,
                errors,
            ),
        )
        return int(cur.lastrowid or 0)

    def add_sign_off(self, receipt: int, sign_off: SignOff) -> None:
        """Who vouched for the return a receipt is for (a return accepted with a sign-off)."""
        self.db.execute(
            "INSERT OR REPLACE INTO sign_offs (receipt, name, role, signed_on, confirmed)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                receipt,
                sign_off.name,
                sign_off.role,
                sign_off.signed_on.isoformat(),
                int(sign_off.confirmed),
            ),
        )

    def receipts(self, round_name: str | None = None) -> list[Receipt]:
        rows = self._select(
            "SELECT id, received_at, file_name, sha256, round, agency, outcome, detail, changes,"
            " conflicts, s.name, s.role, s.signed_on, s.confirmed, errors FROM receipts"
            " LEFT JOIN sign_offs AS s ON s.receipt = receipts.id",
            round_name,
        )
        return [
            Receipt(
                r[0],
                datetime.fromisoformat(r[1]),
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                sign_off=SignOff(r[10], r[11], date.fromisoformat(r[12]), bool(r[13]))
                if r[10] is not None
                else None,
                errors=r[14],
            )
            for r in rows
        ]

    def merged_sha(self, sha256: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM receipts WHERE sha256 = ? AND outcome IN ('merged', 'unchanged')"
            " LIMIT 1",
            (sha256,),
        ).fetchone()
        return row is not None

    def add_changes(self, receipt: int, changes: list[Change]) -> None:
        self.db.executemany(
            "INSERT INTO changes (receipt, merged_at, round, agency, area_id, field, old, new,"
            " source_file, sha256, superseded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    receipt,
                    c.merged_at.isoformat(),
                    c.round,
                    c.agency,
                    c.area_id,
                    c.column,
                    c.old,
                    c.new,
                    c.source_file,
                    c.source_sha256,
                    int(c.superseded),
                )
                for c in changes
            ],
        )

    def supersede(
        self, round_name: str, agency: str, cells: Iterable[tuple[str, str]] | None = None
    ) -> int:
        """Mark an agency's earlier changes this round as replaced by a later return.

        `cells` limits it to those (area ID, field) pairs: the ones the later return changed
        again. A value the later return repeats keeps its earlier, live change.
        """
        sql = "UPDATE changes SET superseded = 1 WHERE round = ? AND agency = ? AND superseded = 0"
        if cells is None:
            return self.db.execute(sql, (round_name, agency)).rowcount
        return sum(
            self.db.execute(
                sql + " AND area_id = ? AND field = ?", (round_name, agency, a, f)
            ).rowcount
            for a, f in cells
        )

    def changes(self, round_name: str | None = None) -> list[Change]:
        rows = self._select(
            "SELECT round, agency, area_id, field, old, new, merged_at, source_file, sha256,"
            " superseded FROM changes",
            round_name,
        )
        return [
            Change(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                datetime.fromisoformat(r[6]),
                r[7],
                r[8],
                bool(r[9]),
            )
            for r in rows
        ]

    def add_conflicts(self, receipt: int, conflicts: list[Conflict]) -> None:
        self.db.executemany(
            "INSERT INTO conflicts (receipt, found_at, round, agency, area_id, field, issued,"
            " master, theirs, source_file, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    receipt,
                    c.found_at.isoformat(),
                    c.round,
                    c.agency,
                    c.area_id,
                    c.column,
                    c.issued,
                    c.master,
                    c.theirs,
                    c.source_file,
                    c.source_sha256,
                )
                for c in conflicts
            ],
        )

    def resolve_conflicts(self, round_name: str, agency: str) -> None:
        self.db.execute(
            "UPDATE conflicts SET resolved = 1 WHERE round = ? AND agency = ?", (round_name, agency)
        )

    def resolve_conflict(self, c: Conflict) -> None:
        self.db.execute(
            "UPDATE conflicts SET resolved = 1 WHERE round = ? AND agency = ? AND area_id = ?"
            " AND field = ?",
            (c.round, c.agency, c.area_id, c.column),
        )

    def open_conflicts(self, round_name: str | None = None) -> list[Conflict]:
        rows = self._select(
            "SELECT round, agency, area_id, field, issued, master, theirs, found_at, source_file,"
            " sha256 FROM conflicts WHERE resolved = 0",
            round_name,
        )
        return [
            Conflict(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], datetime.fromisoformat(r[7]), r[8], r[9]
            )
            for r in rows
        ]

    # -- plan snapshots ----------------------------------------------------------------------
    def add_snapshot(self, *, at: datetime, reason: str, round_name: str, plan_json: str) -> int:
        cur = self.db.execute(
            "INSERT INTO snapshots (written_at, reason, round, plan) VALUES (?, ?, ?, ?)",
            (at.isoformat(), reason, round_name, plan_json),
        )
        return int(cur.lastrowid or 0)

    def latest_snapshot(self) -> int:
        row = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM snapshots").fetchone()
        return int(row[0])

    def snapshots(self) -> list[tuple[int, datetime, str, str]]:
        rows = self.db.execute("SELECT id, written_at, reason, round FROM snapshots ORDER BY id")
        return [(r[0], datetime.fromisoformat(r[1]), r[2], r[3]) for r in rows.fetchall()]

    def snapshot_columns(self, snapshot_id: int) -> dict[str, object]:
        """The part of a snapshot that says its columns (what plan_data.columns_from_dict
        reads), without loading the whole plan: SQLite's JSON functions pick it out (with
        several paths, json_extract gives a JSON array, every value in its JSON type)."""
        row = self.db.execute(
            "SELECT json_extract(plan, '$.column_set', '$.columns', '$.rules',"
            " '$.plan.evidence_required_for_green') FROM snapshots WHERE id = ?",
            (snapshot_id,),
        ).fetchone()
        if row is None:
            raise KeyError(snapshot_id)
        column_set, columns, rules, evidence = json.loads(row[0])
        return {
            "column_set": column_set,
            "columns": columns,
            "rules": rules,
            "plan": {"evidence_required_for_green": evidence},
        }

    def snapshot(self, snapshot_id: int) -> dict[str, object]:
        row = self.db.execute("SELECT plan FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
        if row is None:
            raise KeyError(snapshot_id)
        loaded: dict[str, object] = json.loads(row[0])
        return loaded
