"""Saving the master: history copy, ledger snapshot, atomic replace. And creating a workspace.

Every write of master.xlsx goes through `save_master`, so the previous master is always kept
and any past master can be rebuilt from the ledger's snapshots.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ipt_excel.core.facts import MasterExtras, RoundFacts, round_facts
from ipt_excel.core.model import Plan
from ipt_excel.core.plan_data import columns_from_dict, plan_from_dict, plan_to_dict
from ipt_excel.core.summary import unsettled
from ipt_excel.errors import IptError, WorkspaceError
from ipt_excel.excel.master_reader import check_written_master, master_snapshot
from ipt_excel.excel.master_writer import write_master
from ipt_excel.workspace import Workspace, atomic_write
from ipt_excel.workspace.ledger import Ledger


def plan_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), ensure_ascii=False, sort_keys=True)


def previous_plan(ledger: Ledger, plan: Plan) -> Plan | None:
    """The plan as last written in an earlier round (None when there is none)."""
    for snap_id, _, _, rnd in reversed(ledger.snapshots()):
        if rnd != plan.round.name:
            return plan_from_dict(ledger.snapshot(snap_id))
    return None


def extras_from_ledger(
    ledger: Ledger,
    plan: Plan,
    today: date | None = None,
    *,
    at: datetime | None = None,
    as_of: date | None = None,
) -> MasterExtras:
    """What the master shows beside the plan: changes, conflicts and the round's facts, as
    the ledger holds them now (or held them at `at`, for a master rebuilt from the past).
    `as_of` is the day returns are judged overdue on (default: the day of `at`, if given)."""
    rnd = plan.round.name

    def by(when: datetime) -> bool:
        return at is None or when <= at

    changes = tuple(c for c in ledger.changes() if by(c.merged_at))
    sign_offs = {
        r.sha256: r.sign_off
        for r in ledger.receipts()
        if r.sign_off is not None and by(r.received_at)
    }
    conflicts = tuple(c for c in unsettled(plan, ledger.open_conflicts(rnd)) if by(c.found_at))
    facts = round_facts(
        plan,
        issued=[r for r in ledger.issued(rnd) if by(r.issued_at)],
        receipts=[r for r in ledger.receipts(rnd) if by(r.received_at)],
        conflicts=conflicts,
        previous=previous_plan(ledger, plan),
        changes=changes,
        today=today,
        as_of=as_of or (at.date() if at is not None else None),
    )
    return MasterExtras(
        changes=changes,
        conflicts=conflicts,
        facts=facts,
        today=today,
        headers=ledger.column_headers(),
        sign_offs=sign_offs,
    )


def facts_from_ledger(
    ledger: Ledger, plan: Plan, today: date | None = None, *, as_of: date | None = None
) -> RoundFacts:
    """The round's facts, from what the ledger holds about the master's round."""
    facts = extras_from_ledger(ledger, plan, today, as_of=as_of).facts
    assert facts is not None
    return facts


def save_master(
    ws: Workspace,
    plan: Plan,
    ledger: Ledger,
    *,
    reason: str,
    now: datetime,
    today: date | None = None,
) -> Path:
    """Keep the old master in history/, snapshot the plan in the ledger, write atomically.

    The master is checked before anything is written: a master that could not be read
    again is refused here, with its problems, rather than found later
    (master_reader.check_written_master: its bytes' structure and the master's rules over
    the texts written, rather than parsing and validating every cell it was just written
    with).
    """
    # The Summary says who is overdue as at the day the master is written.
    extras = extras_from_ledger(ledger, plan, today, as_of=now.date())
    ledger.record_column_set(plan.columns, now)
    snapshot = ledger.latest_snapshot() + 1
    data = write_master(plan, extras, created=now, snapshot=snapshot)
    check_written_master(data, plan, ws.master.name, snapshot)
    if ws.master.exists():
        ws.history.mkdir(parents=True, exist_ok=True)
        stamp = now.strftime("%Y%m%dT%H%M%S")
        target = ws.history / f"master-{stamp}-before-{reason}.xlsx"
        n = 1
        while target.exists():
            n += 1
            target = ws.history / f"master-{stamp}-before-{reason}-{n}.xlsx"
        shutil.copy2(ws.master, target)
    written = ledger.add_snapshot(
        at=now, reason=reason, round_name=plan.round.name, plan_json=plan_json(plan)
    )
    assert written == snapshot, "snapshots are numbered in order under the workspace lock"
    ledger.after_commit(lambda: atomic_write(ws.master, data))
    return ws.master


def catch_up_master(ws: Workspace, ledger: Ledger) -> bool:
    """Rebuild the master from the ledger when a crash left it behind; True if it did.

    The ledger commits before the master is replaced, so after a crash in between, the
    master's snapshot number is below the ledger's latest. Call under the workspace lock.
    """
    latest = ledger.latest_snapshot()
    have = master_snapshot(ws.master)
    if have is None or have >= latest:
        return False
    plan = plan_from_dict(ledger.snapshot(latest))
    written_at = next(at for sid, at, _, _ in ledger.snapshots() if sid == latest)
    extras = extras_from_ledger(ledger, plan, as_of=written_at.date())
    data = write_master(plan, extras, created=written_at, snapshot=latest)
    atomic_write(ws.master, data)
    return True


def current_plan(ws: Workspace, *, repair: bool) -> Plan:
    """The master's plan, never behind the ledger.

    A crash between the ledger's commit and the master's replacement leaves a master that
    does not show what the ledger says was merged; every command that reads the master
    comes through here. With `repair` the master is rebuilt from the ledger first (under
    the workspace lock); without it (ipt check, which changes nothing) the ledger's latest
    snapshot is used in its place and no file is written.
    """
    from ipt_excel.excel.master_reader import read_master

    if not ws.ledger_path.is_file():
        return read_master(ws.master)
    have = master_snapshot(ws.master)
    with Ledger(ws.ledger_path) as ledger:
        latest = ledger.latest_snapshot()
        if have is not None and have < latest:
            if not repair:
                return plan_from_dict(ledger.snapshot(latest))
            with ws.locked():
                catch_up_master(ws, ledger)
        return read_plan(ws, ledger)


def previous_plan_in(root: Path) -> Plan | None:
    """The plan of the workspace at `root`, when there is one that can be read (before a
    re-import replaces it); None otherwise."""
    ws = Workspace(root)
    if not ws.exists():
        return None
    try:
        return current_plan(ws, repair=False)
    except IptError:
        return None


def read_plan(ws: Workspace, ledger: Ledger) -> Plan:
    """The master's plan as it is now. A column added on the Columns sheet since the last
    master was written is new (empty); any other column missing from the Plan sheet is an
    error, so a column deleted by mistake never loses its values silently."""
    from ipt_excel.excel.master_reader import read_master

    latest = ledger.latest_snapshot()
    previous = None
    if latest:
        previous = {c.key for c in columns_from_dict(ledger.snapshot_columns(latest))}
    return read_master(ws.master, previous_keys=previous)


def rebuild_master(ws: Workspace, snapshot_id: int, *, created: datetime) -> bytes:
    """The master as it was at a snapshot, rebuilt from the ledger alone."""
    with Ledger(ws.ledger_path) as ledger:
        plan = plan_from_dict(ledger.snapshot(snapshot_id))
        at = next((when for sid, when, _, _ in ledger.snapshots() if sid == snapshot_id), None)
        # Only what the ledger held when that master was written.
        extras = extras_from_ledger(ledger, plan, at=at)
    return write_master(plan, extras, created=created, snapshot=snapshot_id)


@dataclass(frozen=True)
class InitResult:
    workspace: Workspace
    plan: Plan


def init_workspace(
    root: Path, plan: Plan, *, force: bool, now: datetime, key: bytes | None = None
) -> InitResult:
    """Create the workspace folder, its signing key, its ledger and the first master."""
    ws = Workspace(root)
    if ws.master.exists() and not force:
        raise WorkspaceError(
            f"{ws.master} already exists. Use --force to replace it with a new plan "
            f"(the old master is kept in {ws.history})."
        )
    root.mkdir(parents=True, exist_ok=True)
    with ws.locked():
        if not ws.key_path.exists():
            ws.create_key(key)
        with Ledger(ws.ledger_path) as ledger:
            columns = ledger.record_column_set(plan.columns, now)
            ledger.add_round(
                plan.round.name, plan.round.slug, plan.round.date, plan.round.due, now, columns
            )
            save_master(ws, plan, ledger, reason="init", now=now)
    return InitResult(ws, plan)
