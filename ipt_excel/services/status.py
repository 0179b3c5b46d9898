"""Where the round stands: each agency's return, RAG counts against last round, overdue work.

`build_status` is pure; `workspace_status` reads the master and the ledger and calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ipt_excel.core.model import Conflict, Plan
from ipt_excel.core.records import IssuedRecord, Receipt
from ipt_excel.core.summary import (
    RagCounts,
    counts_by_agency,
    counts_by_theme,
    overall_counts,
    overdue_areas,
    unsettled,
)
from ipt_excel.workspace.ledger import Ledger

OUTSTANDING = "outstanding"
RECEIVED = "received"
REJECTED = "rejected"
CONFLICTS = "conflicts"


@dataclass(frozen=True)
class AgencyState:
    agency: str  # key
    name: str
    state: str  # outstanding / received / rejected / conflicts
    detail: str  # plain English
    file_name: str = ""


@dataclass(frozen=True)
class Status:
    round_name: str
    round_date: date
    due: date | None
    agencies: tuple[AgencyState, ...]
    by_theme: RagCounts
    by_agency: RagCounts
    counts: dict[str, int]
    previous_counts: dict[str, int]
    overdue: dict[str, str]  # area ID -> overdue phrases
    open_conflicts: int
    previous_by_theme: RagCounts | None = None  # last round's, when there was one
    previous_by_agency: RagCounts | None = None


def agency_states(
    plan: Plan, issued: list[IssuedRecord], receipts: list[Receipt], conflicts: list[Conflict]
) -> tuple[AgencyState, ...]:
    names = {a.key: a.name for a in plan.agencies}
    latest: dict[str, Receipt] = {}
    merged_before: set[str] = set()
    merged_files: set[str] = set()
    for r in receipts:
        if r.agency and r.round == plan.round.name:
            if r.outcome == "unchanged" and r.sha256 in merged_files:
                continue  # the same file sent again: the first merge still says what happened
            if r.agency in latest and latest[r.agency].outcome != "rejected":
                merged_before.add(r.agency)
            if r.outcome != "rejected":
                merged_files.add(r.sha256)
            latest[r.agency] = r  # receipts come in order: the last one counts
    open_by_agency: dict[str, int] = {}
    for c in conflicts:
        open_by_agency[c.agency] = open_by_agency.get(c.agency, 0) + 1
    states = []
    for rec in issued:
        name = names.get(rec.agency, rec.agency)
        last = latest.get(rec.agency)
        if last is None:
            states.append(AgencyState(rec.agency, name, OUTSTANDING, "No return received yet."))
        elif last.outcome == "rejected":
            detail = last.detail
            if rec.agency in merged_before:
                detail += " Its earlier return is merged and still stands."
            states.append(AgencyState(rec.agency, name, REJECTED, detail, last.file_name))
        elif open_by_agency.get(rec.agency):
            n = open_by_agency[rec.agency]
            states.append(
                AgencyState(
                    rec.agency,
                    name,
                    CONFLICTS,
                    f"Received; {n} conflict(s) need a decision (see the Conflicts sheet).",
                    last.file_name,
                )
            )
        else:
            detail = last.detail
            if last.conflicts:
                detail = detail.split(";")[0] + "; its conflicts have since been settled."
            states.append(AgencyState(rec.agency, name, RECEIVED, detail, last.file_name))
    return tuple(states)


def build_status(
    plan: Plan,
    *,
    issued: list[IssuedRecord],
    receipts: list[Receipt],
    conflicts: list[Conflict],
    previous_counts: dict[str, int],
    previous: Plan | None = None,
    today: date | None = None,
) -> Status:
    return Status(
        round_name=plan.round.name,
        round_date=plan.round.date,
        due=plan.round.due,
        agencies=agency_states(plan, issued, receipts, conflicts),
        by_theme=counts_by_theme(plan),
        by_agency=counts_by_agency(plan),
        counts=overall_counts(plan),
        previous_counts=previous_counts,
        overdue=overdue_areas(plan, today or plan.round.date),
        open_conflicts=len(conflicts),
        previous_by_theme=counts_by_theme(previous) if previous else None,
        previous_by_agency=counts_by_agency(previous) if previous else None,
    )


def workspace_status(ws_master_plan: Plan, ledger: Ledger, today: date | None = None) -> Status:
    from ipt_excel.services.master import previous_plan

    rnd = ws_master_plan.round.name
    previous = previous_plan(ledger, ws_master_plan)
    return build_status(
        ws_master_plan,
        issued=ledger.issued(rnd),
        receipts=ledger.receipts(rnd),
        conflicts=unsettled(ws_master_plan, ledger.open_conflicts(rnd)),
        previous_counts=overall_counts(previous) if previous else {},
        previous=previous,
        today=today,
    )
