"""Pure three-way merge of one accepted return into the master plan.

For each update value of each returned row there are three values: the value as issued to the
agency (from its signed manifest), the agency's value, and the master's value now. Every
agency's own update is kept as an AgencyUpdate, and the master's cell is *derived* from this
round's updates:

- no agency changed the value: the value as issued;
- one agency changed it: that agency's value;
- several agencies changed it (a shared area): combined as the column says (core/kinds.py):
  text keeps each agency's words, labelled, in registry order; a review date is the soonest;
  a number the mean;
- RAG (any "worst" column), once any agency changed it: the worst rating of every agency that
  updated the area.

Because the derivation depends only on the set of updates, not the order they arrived in,
independent returns merge to the same master in any order, and merging a return twice changes
nothing. The master's value is compared with what the derivation gave *before* this return:
if they differ, the coordinator (or something else) changed the master by hand since issue,
and a differing agency value is a conflict: not applied, recorded, shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from ipt_excel.core.columns import Column
from ipt_excel.core.kinds import Contribution, combine
from ipt_excel.core.model import (
    EXCEL_CELL_LIMIT,
    AgencyUpdate,
    Change,
    Conflict,
    Plan,
    excel_length,
)
from ipt_excel.core.sign_off import SignOff
from ipt_excel.core.text import excel_cut


@dataclass(frozen=True)
class ReturnedRow:
    area_id: str
    issued: Mapping[str, str]  # column key -> value as issued (from the manifest)
    values: Mapping[str, str]  # column key -> the agency's value, normalised by validation

    def changed_keys(self) -> tuple[str, ...]:
        return tuple(k for k in self.issued if self.values.get(k, "") != self.issued[k])


@dataclass(frozen=True)
class AcceptedReturn:
    """A return that passed every check, reduced to what the merge needs."""

    agency: str  # Agency key
    round: str
    file_name: str
    sha256: str
    rows: tuple[ReturnedRow, ...]
    sign_off: SignOff | None = None  # who vouched for it (a return issued asking for it)


@dataclass(frozen=True)
class MergeResult:
    plan: Plan
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    superseded: bool  # the agency had already returned this round; this return replaces it
    # Columns the return has that the master no longer has: their values were not merged.
    ignored: tuple[str, ...] = field(default=())


def merge_return(plan: Plan, ret: AcceptedReturn, *, now: datetime) -> MergeResult:
    """Merge one accepted return into `plan`. Pure: returns a new plan and what happened."""
    columns = plan.columns.updates
    known = {c.key for c in columns}
    order = {ag.key: i for i, ag in enumerate(plan.agencies)}
    position = {a.id: i for i, a in enumerate(plan.areas)}
    areas = {a.id: a for a in plan.areas}
    # Every agency update, by (area, round): one look-up per row, not a scan of them all.
    slots: dict[tuple[str, str], list[AgencyUpdate]] = {}
    for u in plan.agency_updates:
        slots.setdefault((u.area_id, u.round), []).append(u)
    changes: list[Change] = []
    conflicts: list[Conflict] = []
    ignored: set[str] = set()
    superseded = any(u.agency == ret.agency and u.round == ret.round for u in plan.agency_updates)

    def derive(column: Column, base: str, updates: list[AgencyUpdate]) -> str:
        return _derive(plan, column, base, updates, order)

    for row in ret.rows:
        area = areas.get(row.area_id)
        changed = tuple(k for k in row.changed_keys() if k in known)
        ignored.update(k for k in row.issued if k not in known)
        if area is None:
            # The area left the master after issue; keep the agency's words as a conflict.
            conflicts.extend(
                _conflict(ret, row, k, master="(area no longer in the master)", at=now)
                for k in changed
            )
            continue
        slot = slots.setdefault((area.id, ret.round), [])
        prior = list(slot)
        mine = AgencyUpdate(
            area_id=area.id,
            agency=ret.agency,
            round=ret.round,
            values={k: row.values.get(k, "") for k in row.issued if k in known},
            updated_at=now,
            source_sha256=ret.sha256,
            changed=changed,
        )
        others = [u for u in prior if u.agency != ret.agency]
        new_values: dict[str, str] = {}
        held: list[str] = []
        for column in columns:
            key = column.key
            if key not in row.issued:
                continue  # issued before this column was added: the agency could not change it
            base = row.issued[key]
            before = derive(column, base, prior)
            after = derive(column, base, [*others, mine])
            current = area.value(key)
            if current != before:
                # Changed in the master since issue: never overwritten. This agency's value is
                # held back, so it can never later be taken for the coordinator's edit; if it
                # differs from the edit, it is a conflict.
                if key in changed:
                    held.append(key)
                    if current != after:
                        conflicts.append(_conflict(ret, row, key, master=current, at=now))
                continue
            if after == current:
                continue
            new_values[key] = after
            changes.append(
                Change(
                    round=ret.round,
                    agency=ret.agency,
                    area_id=area.id,
                    column=key,
                    old=current,
                    new=after,
                    merged_at=now,
                    source_file=ret.file_name,
                    source_sha256=ret.sha256,
                )
            )
        mine = replace(mine, held=tuple(held))
        if new_values:
            areas[area.id] = area.with_updates(new_values)
        # Keep the agency's own words; a later return from it replaces its earlier one.
        slot[:] = [u for u in slot if u.agency != ret.agency]
        if mine.changed or any(u.agency == ret.agency for u in prior):
            slot.append(mine)

    far = 1 << 30
    updates = sorted(
        (u for slot in slots.values() for u in slot),
        key=lambda u: (u.round, position.get(u.area_id, far), order.get(u.agency, far)),
    )
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
        ignored=tuple(sorted(ignored)),
    )


def _conflict(
    ret: AcceptedReturn, row: ReturnedRow, key: str, *, master: str, at: datetime
) -> Conflict:
    return Conflict(
        round=ret.round,
        agency=ret.agency,
        area_id=row.area_id,
        column=key,
        issued=row.issued.get(key, ""),
        master=master,
        theirs=row.values.get(key, ""),
        found_at=at,
        source_file=ret.file_name,
        source_sha256=ret.sha256,
    )


def _derive(
    plan: Plan,
    column: Column,
    base: str,
    updates: list[AgencyUpdate],
    order: Mapping[str, int],
) -> str:
    """The master's value for `column` given this round's updates (see the module docstring).

    Every agency that updated the area (and was not held back on this column) stands by its
    value; those that changed this column are its contributors.
    """
    key = column.key
    standing = sorted(
        (u for u in updates if u.changed and key not in u.held),
        key=lambda u: (order.get(u.agency, 1 << 30), u.agency),
    )
    combined = combine(
        column,
        [
            Contribution(plan.agency_name(u.agency), u.value(key), key in u.applied)
            for u in standing
        ],
        rag_scale=plan.rag_scale,
        labelled=labelled,
    )
    return base if combined is None else combined


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
            text = excel_cut(text, share - excel_length(note)).rstrip() + note if share > 1 else ""
        out.append(f"{label}: {text}")
    return "\n\n".join(out)


def merge_all(plan: Plan, returns: list[AcceptedReturn], *, now: datetime) -> MergeResult:
    """Merge several returns in turn (used by tests and by `ipt merge` with many files)."""
    changes: list[Change] = []
    conflicts: list[Conflict] = []
    ignored: set[str] = set()
    superseded = False
    for ret in returns:
        result = merge_return(plan, ret, now=now)
        plan = result.plan
        changes.extend(result.changes)
        conflicts.extend(result.conflicts)
        ignored.update(result.ignored)
        superseded = superseded or result.superseded
    return MergeResult(plan, tuple(changes), tuple(conflicts), superseded, tuple(sorted(ignored)))
