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
    Area,
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
    merger = Merger(plan)
    step = merger.merge(ret, now=now)
    return MergeResult(
        plan=merger.plan,
        changes=step.changes,
        conflicts=step.conflicts,
        superseded=step.superseded,
        ignored=step.ignored,
    )


@dataclass(frozen=True)
class MergeStep:
    """What merging one return does (Merger.prepare); the plan is the merger's, once the
    step is committed."""

    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    superseded: bool
    ignored: tuple[str, ...]
    changed: bool  # the plan is not what it was before this return (values or updates)
    _areas: dict[str, Area] = field(default_factory=dict, repr=False, compare=False)
    _slots: dict[tuple[str, str], list[AgencyUpdate]] = field(
        default_factory=dict, repr=False, compare=False
    )


_FAR = 1 << 30


class Merger:
    """Merges returns one after another into a plan, indexing it once.

    `merge_return` builds its look-ups from the whole plan and a new plan at the end, which
    for a round of many returns into a large plan costs the plan's size for every return.
    A Merger keeps the look-ups between returns and builds the plan only when asked for it;
    merging returns one after another gives exactly the plans, changes and conflicts that
    merge_return would give one after another. Each merge is all or nothing: should it fail,
    the merger is as it was before.
    """

    def __init__(self, plan: Plan) -> None:
        self._base = plan
        self._columns = plan.columns.updates
        self._known = {c.key for c in self._columns}
        self._order = {ag.key: i for i, ag in enumerate(plan.agencies)}
        self._position = {a.id: i for i, a in enumerate(plan.areas)}
        self._areas = {a.id: a for a in plan.areas}
        # Every agency update, by (area, round): one look-up per row, not a scan of them all.
        self._slots: dict[tuple[str, str], list[AgencyUpdate]] = {}
        self._returned: set[tuple[str, str]] = set()  # (agency, round) with an update
        for u in plan.agency_updates:
            self._slots.setdefault((u.area_id, u.round), []).append(u)
            self._returned.add((u.agency, u.round))
        self._plan: Plan | None = plan
        self._fresh = True  # no return merged yet: the plan may hold its updates unsorted

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            self._plan = replace(
                self._base,
                areas=tuple(self._areas[a.id] for a in self._base.areas),
                agency_updates=self._sorted_updates(),
            )
        return self._plan

    def _sorted_updates(self) -> tuple[AgencyUpdate, ...]:
        position, order = self._position, self._order
        return tuple(
            sorted(
                (u for slot in self._slots.values() for u in slot),
                key=lambda u: (u.round, position.get(u.area_id, _FAR), order.get(u.agency, _FAR)),
            )
        )

    def _in_order(self, slot: list[AgencyUpdate]) -> list[AgencyUpdate]:
        """A slot's updates in the order the plan lists them (by agency, as sorted)."""
        order = self._order
        return sorted(slot, key=lambda u: order.get(u.agency, _FAR))

    def merge(self, ret: AcceptedReturn, *, now: datetime) -> MergeStep:
        """Merge one accepted return (see the module docstring)."""
        step = self.prepare(ret, now=now)
        self.commit(step)
        return step

    def prepare(self, ret: AcceptedReturn, *, now: datetime) -> MergeStep:
        """What merging `ret` would do, without doing it: `commit` the step to merge it.
        The step is for the merger as it is now: commit it before preparing another."""
        base, order, areas, slots = self._base, self._order, self._areas, self._slots
        # Worked out on the side: the merger itself changes only in commit().
        changes: list[Change] = []
        conflicts: list[Conflict] = []
        ignored: set[str] = set()
        superseded = (ret.agency, ret.round) in self._returned
        new_areas: dict[str, Area] = {}
        new_slots: dict[tuple[str, str], list[AgencyUpdate]] = {}

        def derive(column: Column, value: str, updates: list[AgencyUpdate]) -> str:
            return _derive(base, column, value, updates, order)

        for row in ret.rows:
            area = new_areas.get(row.area_id) or areas.get(row.area_id)
            changed = tuple(k for k in row.changed_keys() if k in self._known)
            ignored.update(k for k in row.issued if k not in self._known)
            if area is None:
                # The area left the master after issue; keep the agency's words as a conflict.
                conflicts.extend(
                    _conflict(ret, row, k, master="(area no longer in the master)", at=now)
                    for k in changed
                )
                continue
            where = (area.id, ret.round)
            prior = list(new_slots.get(where, slots.get(where, [])))
            mine = AgencyUpdate(
                area_id=area.id,
                agency=ret.agency,
                round=ret.round,
                values={k: row.values.get(k, "") for k in row.issued if k in self._known},
                updated_at=now,
                source_sha256=ret.sha256,
                changed=changed,
            )
            others = [u for u in prior if u.agency != ret.agency]
            new_values: dict[str, str] = {}
            held: list[str] = []
            for column in self._columns:
                key = column.key
                if key not in row.issued:
                    continue  # issued before this column was added: the agency could not change it
                issued = row.issued[key]
                before = derive(column, issued, prior)
                after = derive(column, issued, [*others, mine])
                current = area.value(key)
                if current != before:
                    # Changed in the master since issue: never overwritten. This agency's value
                    # is held back, so it can never later be taken for the coordinator's edit;
                    # if it differs from the edit, it is a conflict.
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
                new_areas[area.id] = area.with_updates(new_values)
            # Keep the agency's own words; a later return from it replaces its earlier one.
            slot = [u for u in prior if u.agency != ret.agency]
            if mine.changed or any(u.agency == ret.agency for u in prior):
                slot.append(mine)
            new_slots[where] = slot

        changed_plan = bool(new_areas) or any(
            self._in_order(slots.get(where, [])) != self._in_order(slot)
            for where, slot in new_slots.items()
        )
        if self._fresh:
            # merge_return sorts the plan's updates: a plan that held them in another order
            # is changed by the first return even when its values are not.
            changed_plan = changed_plan or self._sorted_updates() != base.agency_updates
        return MergeStep(
            changes=tuple(changes),
            conflicts=tuple(conflicts),
            superseded=superseded,
            ignored=tuple(sorted(ignored)),
            changed=changed_plan,
            _areas=new_areas,
            _slots=new_slots,
        )

    def commit(self, step: MergeStep) -> None:
        """Merge a prepared step into the plan (nothing here raises)."""
        self._fresh = False
        self._areas.update(step._areas)
        slots = self._slots
        for where, slot in step._slots.items():
            if where not in slots:
                slots[where] = slot
            else:
                slots[where][:] = slot
            self._returned.update((u.agency, u.round) for u in slot)
        if step.changed:
            self._plan = None


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
