"""Pure summaries of a plan: RAG counts by theme and by agency, disagreements, overdue actions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from ipt_excel.core.model import NOT_RATED, Conflict, Plan

NOT_RATED_LABEL = "Not rated"


def rag_labels(plan: Plan) -> tuple[str, ...]:
    return (*plan.rag_scale, NOT_RATED_LABEL)


def _label(rag: str) -> str:
    return rag if rag != NOT_RATED else NOT_RATED_LABEL


@dataclass(frozen=True)
class RagCounts:
    """Rows of (group name, {label: count}) in plan order, labels in `labels` order."""

    labels: tuple[str, ...]
    rows: tuple[tuple[str, dict[str, int]], ...]

    def total(self, label: str) -> int:
        return sum(counts.get(label, 0) for _, counts in self.rows)


def counts_by_theme(plan: Plan) -> RagCounts:
    rows = []
    for theme in plan.themes or ():
        c = Counter(_label(a.value("rag")) for a in plan.areas if a.theme == theme.id)
        rows.append((theme.label, dict(c)))
    orphans = Counter(_label(a.value("rag")) for a in plan.areas if plan.theme(a.theme) is None)
    if orphans:
        rows.append(("No theme", dict(orphans)))
    return RagCounts(rag_labels(plan), tuple(rows))


def counts_by_agency(plan: Plan) -> RagCounts:
    rows = []
    for agency in plan.agencies:
        areas = plan.areas_for(agency.key)
        if areas:
            rows.append((agency.name, dict(Counter(_label(a.value("rag")) for a in areas))))
    return RagCounts(rag_labels(plan), tuple(rows))


@dataclass(frozen=True)
class Recommendation:
    """An action-row plan's recommendation: its actions' RAG counts and the worst of them."""

    id: str
    title: str
    counts: dict[str, int]
    worst: str


def by_recommendation(plan: Plan) -> tuple[Recommendation, ...]:
    """RAG rolled up from action rows to their recommendations, in plan order ("" when the
    plan has no action rows)."""
    groups: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for a in plan.areas:
        if a.parent:
            groups.setdefault(a.parent, []).append(a.value("rag"))
            titles.setdefault(a.parent, a.value("title"))
    return tuple(
        Recommendation(
            rid, titles[rid], dict(Counter(_label(r) for r in rags)), worst_rag(plan, rags)
        )
        for rid, rags in groups.items()
    )


def overall_counts(plan: Plan) -> dict[str, int]:
    return dict(Counter(_label(a.value("rag")) for a in plan.areas))


def worst_rag(plan: Plan, rags: list[str]) -> str:
    """The worst rating on the plan's scale; unrated values are ignored unless all are."""
    rated = [r for r in rags if r in plan.rag_scale]
    return min(rated, key=plan.rag_rank) if rated else NOT_RATED


def disagreements(plan: Plan) -> dict[str, str]:
    """For shared areas whose agencies gave different RAGs this round: a note per area ID."""
    notes: dict[str, str] = {}
    by_area: dict[str, list[tuple[str, str]]] = {}
    for u in plan.agency_updates:
        if u.round == plan.round.name and u.value("rag"):
            by_area.setdefault(u.area_id, []).append((u.agency, u.value("rag")))
    for area_id, pairs in by_area.items():
        if len({rag for _, rag in pairs}) > 1:
            names = {ag.key: ag.name for ag in plan.agencies}
            notes[area_id] = "Agencies disagree: " + ", ".join(
                f"{names.get(a, a)} {r}" for a, r in pairs
            )
    return notes


def overdue_areas(plan: Plan, on: date) -> dict[str, str]:
    """Areas with an action whose completion date has passed, where the area is not GREEN.

    The value says which phrase is overdue, e.g. "April 2012 (due by 30 April 2012)".
    """
    from ipt_excel.core.dates import split_completion_phrases

    done = {"GREEN", "BLUE"}
    out: dict[str, str] = {}
    for area in plan.areas:
        if area.value("rag") in done:
            continue
        late = []
        for phrase in split_completion_phrases(area.value("completion")):
            due = phrase.due
            if due is not None and due.last_day < on:
                late.append(phrase.text)
        if late:
            out[area.id] = "; ".join(dict.fromkeys(late))
    return out


def unsettled(plan: Plan, conflicts: list[Conflict]) -> list[Conflict]:
    """Conflicts still needing a decision: one is settled once the master holds the agency's
    value (the coordinator copied it in by hand)."""
    areas = {a.id: a for a in plan.areas}
    return [
        c
        for c in conflicts
        if c.area_id not in areas or areas[c.area_id].value(c.column) != c.theirs
    ]
