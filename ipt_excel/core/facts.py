"""Where a round stands: each agency's return, RAG counts against last round, overdue work.

Pure. Computed once (`round_facts`) and shown twice: by `ipt status`, and on the master's
Summary sheet, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from ipt_excel.core.dates import format_plan_date
from ipt_excel.core.model import Change, Conflict, Plan
from ipt_excel.core.records import IssuedRecord, Receipt
from ipt_excel.core.sign_off import SignOff
from ipt_excel.core.summary import (
    RagCounts,
    Recommendation,
    by_recommendation,
    counts_by_agency,
    counts_by_theme,
    overall_counts,
    overdue_areas,
)
from ipt_excel.core.text import plural

OUTSTANDING = "outstanding"
OVERDUE = "overdue"  # outstanding, and the round's due date has passed
RECEIVED = "received"
REJECTED = "rejected"  # the latest return it sent was rejected, and none has come since
CONFLICTS = "conflicts"
NOT_ISSUED = "not issued"  # has areas, but no return was issued to it for this round
OWING = (OUTSTANDING, OVERDUE, REJECTED)  # the states that owe a return: whom to chase


@dataclass(frozen=True)
class AgencyState:
    agency: str  # key
    name: str
    state: str  # outstanding / overdue / received / rejected / conflicts
    detail: str  # plain English, for the coordinator (a rejected return's first problem)
    file_name: str = ""
    sha256: str = ""  # of the file its state comes from (the rejected one, say), if any
    # Who vouched for its return that stands (the latest accepted this round), if it was asked.
    sign_off: SignOff | None = None
    for_board: str = ""  # what a board reads instead, when it differs: never an agency's fix

    @property
    def board_detail(self) -> str:
        """The detail as the circulation copy gives it: what happened, not what to fix."""
        return self.for_board or self.detail

    @property
    def owes(self) -> bool:
        """Whether the agency still owes a return this round: someone to chase."""
        return self.state in OWING


@dataclass(frozen=True)
class RoundFacts:
    """Where a round stands, computed once for `ipt status` and the master's Summary alike."""

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
    changes: int = 0  # changes merged this round that still stand
    # An action-row plan's recommendations, each with its actions' counts and worst RAG.
    recommendations: tuple[Recommendation, ...] = ()
    as_of: date | None = None  # the day returns were judged overdue on; None: none judged

    @property
    def owing(self) -> tuple[AgencyState, ...]:
        """The agencies that still owe a return: outstanding, overdue, or rejected."""
        return tuple(a for a in self.agencies if a.owes)

    def owing_counts(self) -> dict[str, int]:
        """How many agencies are in each owing state, in OWING order, zeros left out."""
        counts = {state: sum(1 for a in self.agencies if a.state == state) for state in OWING}
        return {state: n for state, n in counts.items() if n}


def agency_states(
    plan: Plan,
    issued: list[IssuedRecord],
    receipts: list[Receipt],
    conflicts: list[Conflict],
    *,
    as_of: date | None = None,
) -> tuple[AgencyState, ...]:
    """Each issued agency's state. An outstanding return is overdue when `as_of` (the day to
    judge on, given by the caller: the core reads no clock) is after the round's due date."""
    due = plan.round.due
    overdue = due is not None and as_of is not None and as_of > due
    names = {a.key: a.name for a in plan.agencies}
    latest: dict[str, Receipt] = {}
    signed: dict[str, SignOff | None] = {}  # the latest accepted return's sign-off
    merged_before: set[str] = set()
    merged_files: set[str] = set()
    for r in receipts:
        if r.agency and r.round == plan.round.name:
            if r.outcome == "unchanged" and r.sha256 in merged_files:
                continue  # the same file sent again: the first merge still says what happened
            if r.outcome == "older":
                continue  # older than the return merged: that one still stands
            if r.agency in latest and latest[r.agency].outcome != "rejected":
                merged_before.add(r.agency)
            if r.outcome != "rejected":
                merged_files.add(r.sha256)
                signed[r.agency] = r.sign_off
            latest[r.agency] = r  # receipts come in order: the last one counts
    open_by_agency: dict[str, int] = {}
    for c in conflicts:
        open_by_agency[c.agency] = open_by_agency.get(c.agency, 0) + 1
    states: list[AgencyState] = []
    for rec in issued:
        name = names.get(rec.agency, rec.agency)
        before = len(states)
        last = latest.get(rec.agency)
        if last is None and overdue:
            assert due is not None
            detail = f"No return received; it was due on {format_plan_date(due)}."
            states.append(AgencyState(rec.agency, name, OVERDUE, detail))
        elif last is None:
            states.append(AgencyState(rec.agency, name, OUTSTANDING, "No return received yet."))
        elif last.outcome == "rejected":
            detail = last.detail
            board = rejected_for_board(last.errors)
            if rec.agency in merged_before:
                detail += " Its earlier return is merged and still stands."
                board += " Its earlier return is merged and still stands."
            states.append(
                AgencyState(
                    rec.agency, name, REJECTED, detail, last.file_name, last.sha256, for_board=board
                )
            )
        elif open_by_agency.get(rec.agency):
            n = open_by_agency[rec.agency]
            states.append(
                AgencyState(
                    rec.agency,
                    name,
                    CONFLICTS,
                    f"Received; {plural(n, 'conflict')} {'needs' if n == 1 else 'need'} a "
                    "decision (see the Conflicts sheet).",
                    last.file_name,
                    last.sha256,
                )
            )
        else:
            detail = last.detail
            if last.conflicts:
                detail = detail.split(";")[0] + "; its conflicts have since been settled."
            states.append(
                AgencyState(rec.agency, name, RECEIVED, detail, last.file_name, last.sha256)
            )
        if len(states) > before and signed.get(rec.agency) is not None:
            states[-1] = replace(states[-1], sign_off=signed[rec.agency])
    if issued:
        # A round issued to some agencies so far: the others are listed too, so nobody is
        # forgotten.
        sent = {rec.agency for rec in issued}
        for agency in plan.agencies:
            if agency.key not in sent and plan.areas_for(agency.key):
                states.append(
                    AgencyState(
                        agency.key,
                        agency.name,
                        NOT_ISSUED,
                        "No return issued to it for this round yet.",
                    )
                )
    return tuple(states)


def rejected_for_board(errors: int) -> str:
    """A rejected return, as a board hears of it: how it stands, not what the agency must fix."""
    with_errors = plural(errors, "error") if errors else "errors"
    return f"Returned with {with_errors} and sent back; resubmission awaited."


def round_facts(
    plan: Plan,
    *,
    issued: Sequence[IssuedRecord] = (),
    receipts: Sequence[Receipt] = (),
    conflicts: Sequence[Conflict] = (),
    previous: Plan | None = None,
    changes: Sequence[Change] = (),
    today: date | None = None,
    as_of: date | None = None,
) -> RoundFacts:
    """The round's facts from the plan and what the ledger holds about the round.

    `conflicts` are the open ones (settled ones left out by the caller, see
    summary.unsettled); `previous` is the plan as last written in an earlier round. `today`
    dates the overdue actions (default: the round's date); `as_of` is the day returns are
    judged overdue on (None: no return is called overdue).
    """
    return RoundFacts(
        round_name=plan.round.name,
        round_date=plan.round.date,
        due=plan.round.due,
        agencies=agency_states(plan, list(issued), list(receipts), list(conflicts), as_of=as_of),
        by_theme=counts_by_theme(plan),
        by_agency=counts_by_agency(plan),
        counts=overall_counts(plan),
        previous_counts=overall_counts(previous) if previous else {},
        overdue=overdue_areas(plan, today or plan.round.date),
        open_conflicts=len(conflicts),
        previous_by_theme=counts_by_theme(previous) if previous else None,
        previous_by_agency=counts_by_agency(previous) if previous else None,
        changes=sum(1 for c in changes if c.round == plan.round.name and not c.superseded),
        recommendations=by_recommendation(plan),
        as_of=as_of,
    )


@dataclass(frozen=True)
class MasterExtras:
    """What the master shows besides the plan: every change on record (this round's are
    highlighted), the open conflicts, and the round's facts for its Summary."""

    changes: tuple[Change, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    facts: RoundFacts | None = None  # None: the plan's own figures, no ledger behind them
    today: date | None = None  # for overdue flags when there are no facts; default: round date
    # Headers of columns the plan no longer has, by key: their changes are still on record.
    headers: dict[str, str] = field(default_factory=dict)
    # Who vouched for each accepted return, by the SHA-256 of its file (as updates name it).
    sign_offs: dict[str, SignOff] = field(default_factory=dict)

    def header(self, plan: Plan, key: str) -> str:
        column = plan.columns.get(key)
        return column.header if column else self.headers.get(key, key)

    def facts_for(self, plan: Plan) -> RoundFacts:
        return self.facts or round_facts(
            plan, changes=self.changes, conflicts=self.conflicts, today=self.today
        )
