"""Receiving returns: check each file, archive it, merge the valid ones, record everything,
write the new master. The I/O edge around the pure merge (merge.py).

Order of work, all under the workspace lock:
1. check every file exactly as `ipt check` does;
2. archive every file received, unchanged, as received/<sha256>.xlsx;
3. merge each valid return in turn into the plan read from the current master;
4. in one ledger transaction: a receipt per file, every change and conflict, a snapshot;
   the new master is written (atomically) before that transaction commits, so a crash
   leaves the previous master intact and the ledger as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ipt_excel.core.merge import Merger, MergeStep
from ipt_excel.core.model import Plan
from ipt_excel.core.problems import Problem, Severity
from ipt_excel.core.rule_codes import Rule
from ipt_excel.core.text import plural
from ipt_excel.core.validate import file_problem
from ipt_excel.services.check import UNEXPECTED_RULE, CheckResult, check_files, unexpected_message
from ipt_excel.services.feedback import check_feedback_dir, write_feedback
from ipt_excel.services.master import catch_up_master, read_plan, save_master
from ipt_excel.workspace import Workspace, atomic_write
from ipt_excel.workspace.ledger import Ledger

MERGED = "merged"
UNCHANGED = "unchanged"
REJECTED = "rejected"
# A file older than the return already merged from its agency this round (a superseded
# return, or a file sent back before and sent again): recorded, and it changes nothing.
OLDER = "older"


@dataclass(frozen=True)
class FileOutcome:
    file_name: str
    agency: str  # the agency's name, or "" when the file could not be identified
    outcome: str  # merged / unchanged / rejected
    changes: int
    conflicts: int
    detail: str  # one plain-English line
    problems: tuple[Problem, ...] = ()
    feedback: Path | None = None
    superseded: bool = False


@dataclass(frozen=True)
class ReceiveResult:
    outcomes: tuple[FileOutcome, ...]
    master: Path | None  # the master written, or None when nothing changed
    problems: tuple[Problem, ...] = field(default=())

    @property
    def all_merged(self) -> bool:
        return all(o.outcome != REJECTED and o.conflicts == 0 for o in self.outcomes)


def archive(ws: Workspace, result: CheckResult) -> Path | None:
    """Keep the file exactly as received, named by its hash; nothing received is ever lost.

    What is kept is the bytes that were checked, never a second read of the path (which could
    have changed in between). A file too large to read at all is on record by its name only.
    A file that came in an e-mail keeps the e-mail too (received/<sha256>.eml or .msg), so the
    record shows how it arrived; an e-mail with no return attached is kept all the same.
    """
    if result.mail is not None and result.mail.data:
        _keep(ws, result.mail.sha256, result.mail.suffix, result.mail.data)
    if not result.sha256 or not result.content:
        return None
    return _keep(ws, result.sha256, result.path.suffix.lower() or ".xlsx", result.content)


def _keep(ws: Workspace, sha256: str, suffix: str, content: bytes) -> Path:
    target = ws.received / f"{sha256}{suffix}"
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
        return target
    # Atomic, and a copy left damaged by a crash is replaced.
    atomic_write(target, content)
    return target


def receive_returns(
    ws: Workspace,
    paths: list[Path],
    *,
    now: datetime,
    feedback_dir: Path,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
    password: str | None = None,
) -> ReceiveResult:
    ws.require()
    check_feedback_dir(feedback_dir, ws)  # before any work: a bad folder stops at once
    with ws.locked():
        with Ledger(ws.ledger_path) as ledger:
            catch_up_master(ws, ledger)  # a crash may have left the master behind the ledger
            plan = read_plan(ws, ledger)
        results = check_files(ws, paths, today=today, plan=plan)
        outcomes: list[FileOutcome] = []
        merger = Merger(plan)  # the plan indexed once, for every return in turn
        taken: set[Path] = set()  # feedback written in this batch, each file its own
        with Ledger(ws.ledger_path) as ledger, ledger.transaction():
            results.reverse()
            while results:
                # Each file's bytes and cells are let go once it is recorded, so the master
                # is written with none of them held.
                result = results.pop()
                if progress:
                    progress(result.file_name)
                archive(ws, result)
                try:
                    with ledger.savepoint():
                        outcome, step = _receive_one(
                            ws, ledger, merger, result, now, feedback_dir, password, taken
                        )
                except Exception as exc:  # one agency's file must never stop the others
                    outcome, step = _unexpected(ledger, result, exc, now), None
                if step is not None:  # merged only once its ledger records are made
                    merger.commit(step)
                outcomes.append(outcome)
                del result
            written = None
            if any(o.outcome == MERGED for o in outcomes):
                plan = merger.plan
                _resolve_by_hand(ledger, plan)
                written = save_master(ws, plan, ledger, reason="merge", now=now, today=today)
    return ReceiveResult(tuple(outcomes), written)


def _receive_one(
    ws: Workspace,
    ledger: Ledger,
    merger: Merger,
    result: CheckResult,
    now: datetime,
    feedback_dir: Path,
    password: str | None,
    taken: set[Path],
) -> tuple[FileOutcome, MergeStep | None]:
    """Record one checked file; for a valid one, the merge to commit once its records are
    made (a failure before then leaves the merger as it was)."""
    agency_name = result.agency_name or result.agency
    older = _older_than_merged(ledger, result) if result.accepted is None else None
    if older is not None:
        ledger.add_receipt(
            at=now,
            file_name=result.file_name,
            sha256=result.sha256,
            round_name=result.round or None,
            agency=result.agency or None,
            outcome=OLDER,
            detail=older,
        )
        return FileOutcome(result.file_name, agency_name, OLDER, 0, 0, older), None
    if result.accepted is None:
        feedback = write_feedback(
            result, merger.plan, feedback_dir, created=now, password=password, taken=taken
        )
        errors = [p for p in result.problems if p.is_error]
        detail = errors[0].message if errors else "Rejected."
        if len(errors) > 1:
            detail += f" (and {plural(len(errors) - 1, 'more problem')})"
        ledger.add_receipt(
            at=now,
            file_name=result.file_name,
            sha256=result.sha256,
            round_name=result.round or None,
            agency=result.agency or None,
            outcome=REJECTED,
            detail=detail,
            errors=len(errors),
        )
        rejected = FileOutcome(
            result.file_name, agency_name, REJECTED, 0, 0, detail, result.problems, feedback
        )
        return rejected, None
    if ledger.merged_sha(result.sha256):
        detail = "This exact file was merged before. Nothing changed."
        receipt = ledger.add_receipt(
            at=now,
            file_name=result.file_name,
            sha256=result.sha256,
            round_name=result.round,
            agency=result.agency,
            outcome=UNCHANGED,
            detail=detail,
        )
        if result.accepted.sign_off is not None:
            ledger.add_sign_off(receipt, result.accepted.sign_off)
        return FileOutcome(result.file_name, agency_name, UNCHANGED, 0, 0, detail), None

    # A return holds all of the agency's rows, so it re-decides any conflict an earlier
    # return from it left open: those are closed here and found again if they still stand.
    ledger.resolve_conflicts(result.round, result.agency)
    merged = merger.prepare(result.accepted, now=now)
    if merged.superseded:
        ledger.supersede(
            result.round, result.agency, {(c.area_id, c.column) for c in merged.changes}
        )
    n_changes, n_conflicts = len(merged.changes), len(merged.conflicts)
    outcome = MERGED if (merged.changes or merged.changed) else UNCHANGED
    detail = _detail(n_changes, n_conflicts, merged.superseded)
    receipt = ledger.add_receipt(
        at=now,
        file_name=result.file_name,
        sha256=result.sha256,
        round_name=result.round,
        agency=result.agency,
        outcome=outcome,
        detail=detail,
        changes=n_changes,
        conflicts=n_conflicts,
    )
    ledger.add_changes(receipt, list(merged.changes))
    ledger.add_conflicts(receipt, list(merged.conflicts))
    if result.accepted.sign_off is not None:
        ledger.add_sign_off(receipt, result.accepted.sign_off)
    warnings = tuple(p for p in result.problems if not p.is_error)
    if merged.ignored:  # issued with a column the master has since dropped
        gone = ", ".join(f"'{result.columns.header(k)}'" for k in merged.ignored)
        warnings += (
            Problem(
                file=result.file_name,
                sheet="",
                cell="",
                column="",
                rule=Rule.COLUMN_REMOVED,
                value=gone,
                message=f"The return's values for {gone} were not merged: the column is no "
                f"longer in the plan. They are kept in the archived return.",
                severity=Severity.WARNING,
                agency=agency_name,
            ),
        )
    done = FileOutcome(
        result.file_name,
        agency_name,
        outcome,
        n_changes,
        n_conflicts,
        detail,
        warnings,
        superseded=merged.superseded,
    )
    return done, merged


def _older_than_merged(ledger: Ledger, result: CheckResult) -> str | None:
    """Why a file that is not valid says nothing new about its agency, when it is older than
    the return already merged from it this round; None otherwise. Merging a folder again, or
    an old copy, must not turn an agency whose return stands back into one to chase."""
    if not result.agency or not result.round:
        return None
    mine = [r for r in ledger.receipts(result.round) if r.agency == result.agency]
    accepted = [i for i, r in enumerate(mine) if r.outcome in (MERGED, UNCHANGED)]
    if not accepted:
        return None
    errors = {p.rule for p in result.problems if p.is_error}
    if errors and errors <= {Rule.SUPERSEDED}:
        return (
            "This is an older return than the one already merged from this agency, so it was "
            "not merged. The merged return stands; nothing changed."
        )
    first = next((i for i, r in enumerate(mine) if r.sha256 == result.sha256), None)
    if first is not None and first < accepted[-1]:
        return (
            "This file was sent back before, and the return merged since stands. Nothing changed."
        )
    return None


def _unexpected(ledger: Ledger, result: CheckResult, exc: Exception, now: datetime) -> FileOutcome:
    """A file whose merge failed on a fault of ours: rejected on record, the batch goes on."""
    detail = unexpected_message(result.file_name, exc)
    ledger.add_receipt(
        at=now,
        file_name=result.file_name,
        sha256=result.sha256,
        round_name=result.round or None,
        agency=result.agency or None,
        outcome=REJECTED,
        detail=detail,
    )
    problem = file_problem(result.file_name, UNEXPECTED_RULE, detail, result.agency_name)
    return FileOutcome(
        result.file_name, result.agency_name or result.agency, REJECTED, 0, 0, detail, (problem,)
    )


def _detail(changes: int, conflicts: int, superseded: bool) -> str:
    parts = [f"{plural(changes, 'change')} merged" if changes else "No changes to merge"]
    if conflicts:
        parts.append(f"{plural(conflicts, 'conflict')} not applied: see the Conflicts sheet")
    if superseded:
        parts.append("replaces this agency's earlier return for this round")
    return "; ".join(parts) + "."


def _resolve_by_hand(ledger: Ledger, plan: Plan) -> None:
    """A conflict is settled once the master holds the agency's value (copied in by hand)."""
    areas = {a.id: a for a in plan.areas}
    for c in ledger.open_conflicts(plan.round.name):
        area = areas.get(c.area_id)
        if area is not None and area.value(c.column) == c.theirs:
            ledger.resolve_conflict(c)
