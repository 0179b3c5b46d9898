"""Pure three-way merge of one accepted return into the master plan.

For each update field of each returned row there are three values: the value as issued to the
agency (from its signed manifest), the agency's value, and the master's value now. Every
agency's own update is kept as an AgencyUpdate, and the master's cell is *derived* from this
round's updates:

- no agency changed the field: the value as issued;
- one agency changed it: that agency's value;
- several agencies changed it (a shared area): text fields list each agency's words, labelled,
  in registry order; the review date is the soonest;
- RAG, once any agency changed it: the worst rating of every agency that updated the area.

Because the derivation depends only on the set of updates, not the order they arrived in,
independent returns merge to the same master in any order, and merging a return twice changes
nothing. The master's value is compared with what the derivation gave *before* this return:
if they differ, the coordinator (or something else) changed the master by hand since issue,
and a differing agency value is a conflict: not applied, recorded, shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from ipt_excel.core.dates import parse_review_date
from ipt_excel.core.model import (
    EXCEL_CELL_LIMIT,
    UPDATE_FIELDS,
    AgencyUpdate,
    Change,
    Conflict,
    Plan,
    excel_length,
)
from ipt_excel.core.summary import worst_rag


@dataclass(frozen=True)
class ReturnedRow:
    area_id: str
    issued: Mapping[str, str]  # field -> value as issued (from the manifest)
    values: Mapping[str, str]  # field -> the agency's value, normalised by validation

    def changed_fields(self) -> tuple[str, ...]:
        return tuple(f for f in UPDATE_FIELDS if self.values.get(f, "") != self.issued.get(f, ""))


@dataclass(frozen=True)
class AcceptedReturn:
    """A return that passed every check, reduced to what the merge needs."""

    agency: str  # Agency key
    round: str
    file_name: str
    sha256: str
    rows: tuple[ReturnedRow, ...]


@dataclass(frozen=True)
class MergeResult:
    plan: Plan
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    superseded: bool  # the agency had already returned this round; this return replaces it


def merge_return(plan: Plan, ret: AcceptedReturn, *, now: datetime) -> MergeResult:
    """Merge one accepted return into `plan`. Pure: returns a new plan and what happened."""
    order = {ag.key: i for i, ag in enumerate(plan.agencies)}
    names = {ag.key: ag.name for ag in plan.agencies}
    areas = {a.id: a for a in plan.areas}
    updates = list(plan.agency_updates)
    changes: list[Change] = []
    conflicts: list[Conflict] = []
    superseded = any(u.agency == ret.agency and u.round == ret.round for u in updates)

    for row in ret.rows:
        area = areas.get(row.area_id)
        if area is None:
            # The area left the master after issue; keep the agency's words as a conflict.
            conflicts.extend(
                _conflict(ret, row, f, master="(area no longer in the master)", at=now)
                for f in row.changed_fields()
            )
            continue
        prior = [u for u in updates if u.area_id == area.id and u.round == ret.round]
        changed = row.changed_fields()
        mine = AgencyUpdate(
            area_id=area.id,
            agency=ret.agency,
            round=ret.round,
            progress=row.values.get("progress", ""),
            rag=row.values.get("rag", ""),
            evidence=row.values.get("evidence", ""),
            next_review=row.values.get("next_review", ""),
            updated_at=now,
            source_sha256=ret.sha256,
            changed=changed,
        )
        others = [u for u in prior if u.agency != ret.agency]
        new_values: dict[str, str] = {}
        held: list[str] = []
        for f in UPDATE_FIELDS:
            base = row.issued.get(f, "")
            before = _derive(plan, f, base, prior, order, names)
            after = _derive(plan, f, base, [*others, mine], order, names)
            current = getattr(area, f)
            if current != before:
                # Changed in the master since issue: never overwritten. This agency's value is
                # held back, so it can never later be taken for the coordinator's edit; if it
                # differs from the edit, it is a conflict.
                if f in changed:
                    held.append(f)
                    if current != after:
                        conflicts.append(_conflict(ret, row, f, master=current, at=now))
                continue
            if after == current:
                continue
            new_values[f] = after
            changes.append(
                Change(
                    round=ret.round,
                    agency=ret.agency,
                    area_id=area.id,
                    field=f,
                    old=current,
                    new=after,
                    merged_at=now,
                    source_file=ret.file_name,
                    source_sha256=ret.sha256,
                )
            )
        mine = replace(mine, held=tuple(held))
        if new_values:
            areas[area.id] = replace(area, **new_values)  # type: ignore[arg-type]
        # Keep the agency's own words; a later return from it replaces its earlier one.
        updates = [u for u in updates if not _same_slot(u, mine)]
        if mine.changed or any(u.agency == ret.agency for u in prior):
            updates.append(mine)

    updates.sort(key=lambda u: (u.round, _id_pos(plan, u.area_id), order.get(u.agency, 1 << 30)))
    new_plan = replace(
        plan,
        areas=tuple(areas[a.id] for a in plan.areas),
        agency_updates=tuple(updates),
    )
    return MergeResult(
        plan=new_plan,
        changes=tuple(changes),
        conflicts=tuple(conflicts),
        superseded=superseded,
    )


def _same_slot(a: AgencyUpdate, b: AgencyUpdate) -> bool:
    return (a.area_id, a.round, a.agency) == (b.area_id, b.round, b.agency)


def _id_pos(plan: Plan, area_id: str) -> int:
    for i, a in enumerate(plan.areas):
        if a.id == area_id:
            return i
    return 1 << 30


def _conflict(
    ret: AcceptedReturn, row: ReturnedRow, f: str, *, master: str, at: datetime
) -> Conflict:
    return Conflict(
        round=ret.round,
        agency=ret.agency,
        area_id=row.area_id,
        field=f,
        issued=row.issued.get(f, ""),
        master=master,
        theirs=row.values.get(f, ""),
        found_at=at,
        source_file=ret.file_name,
        source_sha256=ret.sha256,
    )


def _derive(
    plan: Plan,
    f: str,
    base: str,
    updates: list[AgencyUpdate],
    order: Mapping[str, int],
    names: Mapping[str, str],
) -> str:
    """The master's value for field `f` given this round's updates (see the module docstring)."""
    contributors = sorted(
        (u for u in updates if f in u.applied),
        key=lambda u: (order.get(u.agency, 1 << 30), u.agency),
    )
    if not contributors:
        return base
    if f == "rag":
        # Every agency that updated the area this round still stands by its rating, changed
        # or not (unless its rating was held back): the overall RAG is the worst of them all.
        standing = [u.rag for u in updates if u.changed and f not in u.held]
        return worst_rag(plan, standing) or contributors[0].rag
    values = [getattr(u, f) for u in contributors]
    if len(contributors) == 1:
        return str(values[0])
    if f == "next_review":
        return min(values, key=_review_key)
    return labelled(
        [(names.get(u.agency, u.agency), str(v)) for u, v in zip(contributors, values, strict=True)]
    )


CUT_NOTE = " … (shortened to fit the cell: the full text is on the Agency updates sheet)"


def labelled(parts: list[tuple[str, str]], limit: int = EXCEL_CELL_LIMIT) -> str:
    """Each agency's words on one Plan cell, "Name: text", never longer than a cell holds.

    Each agency's text is valid on its own, but several together can pass Excel's limit: then
    each is given a fair share (shortest first, so short updates stay whole) and the long ones
    are cut, saying so. The full texts stay on the Agency updates sheet and in the ledger.
    """
    joined = "\n\n".join(f"{label}: {text}" for label, text in parts)
    if excel_length(joined) <= limit:
        return joined
    overhead = sum(excel_length(f"{label}: ") for label, _ in parts) + 2 * (len(parts) - 1)
    remaining = max(limit - overhead, 0)
    lengths = [excel_length(text) for _, text in parts]
    shares = [0] * len(parts)
    for k, i in enumerate(sorted(range(len(parts)), key=lambda i: (lengths[i], i))):
        shares[i] = min(lengths[i], remaining // (len(parts) - k))
        remaining -= shares[i]
    out = []
    for (label, text), length, share in zip(parts, lengths, shares, strict=True):
        if share < length:
            note = CUT_NOTE if share > 2 * excel_length(CUT_NOTE) else "…"
            text = _cut(text, share - excel_length(note)) + note if share > 1 else ""
        out.append(f"{label}: {text}")
    return "\n\n".join(out)


def _cut(text: str, units: int) -> str:
    """The longest start of `text` within `units` UTF-16 units, never half a character."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            return text[:i].rstrip()
    return text


def _review_key(text: str) -> tuple[int, str]:
    """Soonest first; 'Not required' and unreadable values last, then by text for stability."""
    parsed = parse_review_date(text)
    if parsed is None or parsed.month is None:
        return (1 << 30, text)
    m = parsed.month
    return (m.year * 12 + m.month, text)


def merge_all(plan: Plan, returns: list[AcceptedReturn], *, now: datetime) -> MergeResult:
    """Merge several returns in turn (used by tests and by `ipt merge` with many files)."""
    changes: list[Change] = []
    conflicts: list[Conflict] = []
    superseded = False
    for ret in returns:
        result = merge_return(plan, ret, now=now)
        plan = result.plan
        changes.extend(result.changes)
        conflicts.extend(result.conflicts)
        superseded = superseded or result.superseded
    return MergeResult(plan, tuple(changes), tuple(conflicts), superseded)
