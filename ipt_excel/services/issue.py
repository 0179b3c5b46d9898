"""Issue a review round: one signed, locked return per agency, recorded in the ledger.

The plan comes from the workspace's master. Each return is written atomically to
returns/<round>/<agency>.xlsx; then, in one ledger transaction, the round becomes the current
round and every issued manifest is recorded with its signature, so a return can be checked
later against exactly what was sent. The master is rewritten for the new round in the same
transaction, so its change highlights start afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from ipt_excel.core.manifest import sign, to_json
from ipt_excel.core.model import Plan, Round
from ipt_excel.core.records import IssuedRecord
from ipt_excel.core.rounds import IssueCheck, RoundPlan, check_issue, keep_due, plan_round
from ipt_excel.errors import IssueNeedsForceError, UsageError
from ipt_excel.services.master import catch_up_master, read_plan, save_master
from ipt_excel.workspace import Workspace, atomic_write
from ipt_excel.workspace.ledger import Ledger


@dataclass(frozen=True)
class IssuedFile:
    agency: str  # Agency key
    agency_name: str
    path: Path
    rows: int
    replaces: datetime | None = None  # when the return it replaces was issued, if any


@dataclass(frozen=True)
class IssueResult:
    round: Round
    directory: Path
    files: tuple[IssuedFile, ...]
    skipped: tuple[str, ...]  # names of agencies with no areas: no return written
    notes: tuple[str, ...] = ()  # what the coordinator should know (a round's due date moved)


def _check_round(ws: Workspace, ledger: Ledger, rnd: Round) -> None:
    if not rnd.name.strip():
        raise UsageError("Give the round a name, for example --round 'Third review of progress'.")
    for other in ledger.rounds():
        if other.slug == rnd.slug and other.name != rnd.name:
            raise UsageError(
                f"The round '{rnd.name}' would share the folder {ws.returns_dir(rnd.slug)} with "
                f"the round '{other.name}'. Give the new round a different name."
            )


def issue_round(
    ws: Workspace,
    *,
    round_name: str,
    round_date: date,
    due: date | None,
    agencies: list[str] | None,
    password: str | None,
    now: datetime,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
) -> IssueResult:
    """Write each agency's return for a new (or re-issued) round and record it.

    What would strand returns already out, or looks like a slip in the dates (an earlier
    round issued again, a new round for only some agencies while others' returns are out, a
    round dated before the current one, returns due after the review) is refused with
    IssueNeedsForceError, saying what would happen, unless `force`.
    """
    # Imported here: openpyxl and xlsxwriter load only for commands that need them.
    from ipt_excel.excel.return_writer import write_return

    ws.require()
    rnd = Round(name=round_name.strip(), date=round_date, due=due)
    with ws.locked():
        key = ws.key()
        with Ledger(ws.ledger_path) as ledger:
            catch_up_master(ws, ledger)  # a crash may have left the master behind the ledger
            rnd = keep_due(rnd, ledger.rounds())
            _check_round(ws, ledger, rnd)
            plan = replace(read_plan(ws, ledger), round=rnd)
            # An empty list (a CLI option given no times) means every agency, as None does.
            planned = plan_round(plan, rnd, agencies=agencies or None, issued_at=now)
            checked = _check_against_rounds(ledger, plan, rnd, planned, agencies, now.date())
            if checked.needs_force and not force:
                raise IssueNeedsForceError(
                    " ".join(checked.needs_force)
                    + " Nothing was issued. If this is what you want, run the command again "
                    "with --force."
                )
            if not planned.returns:
                raise UsageError(
                    "No return was written: none of the agencies has any areas in the plan. "
                    "Give each area its agencies in the master, then try again."
                )
            directory = ws.returns_dir(rnd.slug)
            files: list[IssuedFile] = []
            records: list[IssuedRecord] = []
            for issued in planned.returns:
                signature = sign(issued.manifest, key)
                data = write_return(plan, issued, signature, created=now, password=password)
                path = directory / f"{issued.agency.slug}.xlsx"
                atomic_write(path, data)
                before = ledger.issued_for(rnd.name, issued.agency.key)
                files.append(
                    IssuedFile(
                        issued.agency.key,
                        issued.agency.name,
                        path,
                        len(issued.areas),
                        before.issued_at if before else None,
                    )
                )
                records.append(
                    IssuedRecord(
                        round=rnd.name,
                        agency=issued.agency.key,
                        path=path.relative_to(ws.root).as_posix(),
                        issued_at=now,
                        manifest=to_json(issued.manifest),
                        signature=signature,
                        column_set=plan.columns.fingerprint,
                    )
                )
                if progress is not None:
                    progress(issued.agency.name)
            # Files first, then the ledger in one transaction: a crash part-way leaves returns
            # on disk that a re-run overwrites, never a ledger that lists returns not written.
            with ledger.transaction():
                columns = ledger.record_column_set(plan.columns, now)
                ledger.add_round(rnd.name, rnd.slug, rnd.date, rnd.due, now, columns)
                for record in records:
                    ledger.record_issued(record)
                # The master moves to the new round: its highlights start afresh.
                save_master(ws, plan, ledger, reason="issue", now=now)
    return IssueResult(
        round=rnd,
        directory=directory,
        files=tuple(files),
        skipped=planned.skipped,
        notes=checked.notes,
    )


def _check_against_rounds(
    ledger: Ledger,
    plan: Plan,
    rnd: Round,
    planned: RoundPlan,
    agencies: list[str] | None,
    today: date,
) -> IssueCheck:
    current = ledger.current_round()
    outstanding: list[str] = []
    if current is not None:
        answered = {r.agency for r in ledger.receipts(current.name) if r.outcome != "rejected"}
        outstanding = [r.agency for r in ledger.issued(current.name) if r.agency not in answered]
    chosen = [r.agency.key for r in planned.returns] if agencies else None
    return check_issue(
        rnd,
        ledger.rounds(),
        chosen,
        outstanding,
        {a.key: a.name for a in plan.agencies},
        today=today,
    )
