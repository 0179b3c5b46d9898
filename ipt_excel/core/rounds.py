"""Plan a review round: which areas each agency gets and what its signed manifest says.

Pure: no I/O, no Excel. The return writer, the return reader and the validator all take the
locked cell texts from `locked_values`, so what is hashed is exactly what is written.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from ipt_excel.core.columns import Column, ColumnSet, Kind
from ipt_excel.core.kinds import KindContext, cell_spec, long_date
from ipt_excel.core.manifest import MANIFEST_VERSION, Manifest, ManifestRow, locked_text_hash
from ipt_excel.core.model import Agency, Area, Plan, Round
from ipt_excel.core.records import RoundRecord
from ipt_excel.core.return_title import title_lines
from ipt_excel.core.rows import agencies_text, cell_text
from ipt_excel.core.sign_off import CONFIRM_CHOICES, LIST_KEY, SignOffBlock, block_at
from ipt_excel.errors import UsageError

RETURN_SHEET = "Return"
LISTS_SHEET = "Lists"  # hidden: the dropdown values, referenced by range
MANIFEST_SHEET = "_manifest"  # very hidden: marker, signature, manifest JSON in chunks
MANIFEST_MARKER = "ipt_excel manifest"
# The 1-based Excel row of a return's header. Rows above it hold the title block; the writer
# puts the header where the manifest says, and the reader looks there first.
HEADER_ROW = 9

# Columns that exist only in a return: the other agencies an area is shared with, and each
# update value as issued, locked, for reference beside the open cell (so an agency can see
# what it said last time after overwriting it).
SHARED_WITH = Column("shared_with", "Shared with", Kind.DERIVED, width=18)
ISSUED_PREFIX = "issued_"


def issued_column(column: Column) -> Column:
    return Column(
        ISSUED_PREFIX + column.key,
        f"{column.header} at last review",
        Kind.RAG if column.kind is Kind.RAG else Kind.TEXT,
        width=40 if column.kind is Kind.TEXT else column.width + 1,
    )


@dataclass(frozen=True)
class ReturnLayout:
    """A return's table, in order: the ID, who else has the area, the plan text (locked),
    each update value as last reviewed (locked), then the open update cells, so the agency's
    work is in one block on the right."""

    columns: tuple[Column, ...]

    @property
    def locked(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.update)

    @property
    def open(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.update)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)


def sign_off_block(layout: ReturnLayout) -> SignOffBlock:
    """Where a return with this layout asks for its sign-off: beside its first update column."""
    first_open = next(i for i, c in enumerate(layout.columns) if c.update)
    return block_at(first_open)


def return_layout(columns: ColumnSet) -> ReturnLayout:
    locked = [
        c
        for c in columns
        if not c.update and c.in_return and c.kind not in (Kind.ID, Kind.AGENCIES)
    ]
    issued = [issued_column(c) for c in columns.updates if c.last_review]
    return ReturnLayout((columns["id"], SHARED_WITH, *locked, *issued, *columns.updates))


@dataclass(frozen=True)
class IssuedReturn:
    agency: Agency
    areas: tuple[Area, ...]
    manifest: Manifest

    @property
    def layout(self) -> ReturnLayout:
        return return_layout(self.manifest.columns)


@dataclass(frozen=True)
class RoundPlan:
    returns: tuple[IssuedReturn, ...]
    skipped: tuple[str, ...]  # names of agencies with no areas: no return is written for them


def scale_of(manifest: Manifest, plan: Plan) -> tuple[str, ...]:
    """The RAG scale a return was issued with (a version 1 return: the plan's)."""
    return manifest.rag_scale or plan.rag_scale


def lists_layout(
    columns: ColumnSet, rag_scale: tuple[str, ...], round_date: date, *, sign_off: bool = False
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each dropdown column's list on the hidden Lists sheet: key -> (column letter, values).

    One column of the sheet per list, in the order of the return's columns; review-date
    columns share one list of months. With `sign_off`, the sign-off's Yes and No come last,
    under the key sign_off.LIST_KEY.
    """
    ctx = KindContext(rag_scale=rag_scale, round_date=round_date)
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    by_values: dict[tuple[str, ...], str] = {}
    for column in columns.updates:
        values = cell_spec(column, ctx).list_values
        if not values:
            continue
        if values not in by_values:
            by_values[values] = chr(ord("A") + len(by_values))
        out[column.key] = (by_values[values], values)
    if sign_off:
        out[LIST_KEY] = (chr(ord("A") + len(by_values)), CONFIRM_CHOICES)
    return out


def lists_values(
    columns: ColumnSet, rag_scale: tuple[str, ...], round_date: date, *, sign_off: bool = False
) -> dict[str, str]:
    """What a return's hidden Lists sheet holds, cell by cell ("A1" -> "RED")."""
    cells: dict[str, str] = {}
    layout = lists_layout(columns, rag_scale, round_date, sign_off=sign_off)
    for letter, values in layout.values():
        cells |= {f"{letter}{r}": text for r, text in enumerate(values, start=1)}
    return cells


def shared_with_text(plan: Plan, area: Area, agency_key: str) -> str:
    """The other agencies an area belongs to, one name per line ("" when not shared)."""
    return agencies_text(plan, tuple(k for k in area.agencies if k != agency_key))


def locked_values(plan: Plan, area: Area, agency_key: str, layout: ReturnLayout) -> list[str]:
    """The texts of a return row's locked cells, in `layout.locked` order."""
    out: list[str] = []
    for col in layout.locked:
        if col.key == SHARED_WITH.key:
            out.append(shared_with_text(plan, area, agency_key))
        elif col.key.startswith(ISSUED_PREFIX) and col.key not in plan.columns:
            out.append(area.value(col.key.removeprefix(ISSUED_PREFIX)))
        else:
            out.append(cell_text(plan, area, col))
    return out


def issued_values(area: Area, columns: ColumnSet) -> dict[str, str]:
    return {c.key: area.value(c.key) for c in columns.updates}


def resolve_agencies(plan: Plan, names: list[str]) -> list[Agency]:
    """Agencies named by key, name or alias (any case), in the order given, without repeats;
    UsageError, with the known names and a close match, for one there is no agency for."""
    return _resolve(plan, names)


def _resolve(plan: Plan, names: list[str]) -> list[Agency]:
    """Agencies named by key, name or alias (any case), in the order given, without repeats."""
    found: list[Agency] = []
    for name in names:
        agency = plan.resolve_agency(name)
        if agency is None:
            raise UsageError(_unknown_agency_message(plan, name))
        if agency not in found:
            found.append(agency)
    return found


KNOWN_SHOWN = 12


def _unknown_agency_message(plan: Plan, name: str) -> str:
    # Each agency once, its short name only where it is not the name itself; a long list is
    # cut short (the master's Agencies sheet has them all).
    shown = [
        a.name if a.key.casefold() == a.name.casefold() else f"{a.name} ({a.key})"
        for a in plan.agencies
    ]
    more = len(shown) - KNOWN_SHOWN
    known = ", ".join(shown[:KNOWN_SHOWN]) or "none"
    if more > 0:
        known += f" and {more} more (see the master's Agencies sheet)"
    by_fold = {n.casefold(): n for a in plan.agencies for n in a.names()}
    close = difflib.get_close_matches(name.strip().casefold(), list(by_fold), n=1, cutoff=0.6)
    hint = f" Did you mean '{by_fold[close[0]]}'?" if close else ""
    return f"There is no agency called '{name.strip()}'.{hint} Known agencies: {known}."


def plan_round(
    plan: Plan, rnd: Round, *, agencies: list[str] | None, issued_at: datetime
) -> RoundPlan:
    """One return per agency with at least one area (or per named agency).

    Agencies with no areas are listed in `skipped`. An unknown name raises UsageError.
    """
    chosen = list(plan.agencies) if agencies is None else _resolve(plan, agencies)
    layout = return_layout(plan.columns)
    returns: list[IssuedReturn] = []
    skipped: list[str] = []
    for agency in chosen:
        areas = plan.areas_for(agency.key)
        if not areas:
            skipped.append(agency.name)
            continue
        rows = tuple(
            ManifestRow(
                id=area.id,
                locked_sha256=locked_text_hash(locked_values(plan, area, agency.key, layout)),
                issued=issued_values(area, plan.columns),
            )
            for area in areas
        )
        manifest = Manifest(
            version=MANIFEST_VERSION,
            plan_title=plan.title,
            round_name=rnd.name,
            round_date=rnd.date.isoformat(),
            agency=agency.key,
            agency_name=agency.name,
            issued_at=issued_at.isoformat(),
            sheet=RETURN_SHEET,
            header_row=HEADER_ROW,
            rows=rows,
            columns=plan.columns,
            rag_scale=plan.rag_scale,
            title=title_lines(plan, agency, layout.open),
            sign_off=sign_off_block(layout) if plan.return_sign_off else None,
        )
        returns.append(IssuedReturn(agency=agency, areas=areas, manifest=manifest))
    return RoundPlan(returns=tuple(returns), skipped=tuple(skipped))


@dataclass(frozen=True)
class IssueCheck:
    """What issuing a round would do that the coordinator should know first.

    `needs_force` are reasons the issue is refused without --force (each a sentence saying
    what would happen); `notes` are things to say after issuing.
    """

    needs_force: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


FAR_AHEAD_YEARS = 2


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def keep_due(rnd: Round, rounds: Sequence[RoundRecord]) -> Round:
    """The round to issue: the current round issued again without a due date keeps the one
    it has (sending one agency its return again must not clear every agency's due date)."""
    current = rounds[-1] if rounds else None
    if rnd.due is None and current is not None and rnd.name == current.name:
        return replace(rnd, due=current.due)
    return rnd


def check_issue(
    rnd: Round,
    rounds: Sequence[RoundRecord],
    chosen: Sequence[str] | None,
    outstanding: Sequence[str],
    names: Mapping[str, str],
    today: date | None = None,
) -> IssueCheck:
    """Check a round about to be issued against the rounds already issued.

    `chosen` are the agency keys named with --agency (None: every agency); `outstanding` the
    keys of the agencies whose return for the current round is still out (issued, nothing
    merged); `names` each key's name, for messages; `today` (given by the caller: the core
    reads no clock) dates a round years ahead as a slip.
    """
    current = rounds[-1] if rounds else None
    known = {r.name: r for r in rounds}
    force: list[str] = []
    notes: list[str] = []
    # Reviews come months apart: a round years after the last one (or after today) is most
    # likely a typing slip in the year, 2102 for 2012.
    latest = [d for d in (today, current.date if current else None) if d is not None]
    if latest and rnd.date > _years_after(max(latest), FAR_AHEAD_YEARS):
        base = max(latest)
        since = (
            f"the current round '{current.name}'"
            if current is not None and base == current.date
            else "today"
        )
        force.append(
            f"The round is for {long_date(rnd.date)}, more than {FAR_AHEAD_YEARS} years after "
            f"{since} ({long_date(base)}). Check the year in --date."
        )
    if rnd.due is not None and rnd.due > rnd.date:
        force.append(
            f"The returns would be due on {long_date(rnd.due)}, after the review on "
            f"{long_date(rnd.date)} they are for. Check --due and --date."
        )
    new_due = rnd.due is not None and (
        current is None or rnd.name != current.name or rnd.due != current.due
    )
    # Only for a round still to come: a past round (a plan's history, the bundled example)
    # is issued with past dates on purpose.
    if new_due and today is not None and rnd.due is not None and rnd.due < today <= rnd.date:
        force.append(
            f"The returns would be due on {long_date(rnd.due)}, which has passed (today is "
            f"{long_date(today)}): every return would be overdue as soon as it is sent. Check "
            "--due."
        )
    if current is None:
        return IssueCheck(tuple(force), tuple(notes))
    if rnd.name in known and rnd.name != current.name:
        force.append(
            f"'{rnd.name}' is an earlier round. Issuing it again makes it the current round, "
            f"and the returns out for '{current.name}' would then be refused as out of date."
        )
    elif rnd.name == current.name:
        if rnd.date != current.date:
            force.append(
                f"'{rnd.name}' is the current round, for the review on "
                f"{long_date(current.date)}. Issuing it for {long_date(rnd.date)} changes the "
                f"date for every agency in it."
            )
        if rnd.due != current.due and chosen is not None:
            notes.append(
                f"The round's due date is now "
                f"{long_date(rnd.due) if rnd.due else 'not set'}, for every agency in it."
            )
    else:
        if rnd.date == current.date:
            force.append(
                f"'{rnd.name}' is a new round, but it has the current round '{current.name}''s "
                f"date ({long_date(current.date)}): the returns out for '{current.name}' would "
                f"then be refused as out of date. To send returns for the current round again, "
                f"use its name: --round '{current.name}'."
            )
        if rnd.date < current.date:
            force.append(
                f"The new round '{rnd.name}' is for {long_date(rnd.date)}, before the current "
                f"round '{current.name}' ({long_date(current.date)})."
            )
        left = [k for k in outstanding if chosen is not None and k not in chosen]
        if left:
            who = and_names([names.get(k, k) for k in left])
            force.append(
                f"'{rnd.name}' is a new round, and it would go only to the agencies named with "
                f"--agency. The returns still out for '{current.name}' from {who} would then "
                f"be refused as out of date. To send one agency its return again, use the "
                f"current round's name: --round '{current.name}'."
            )
    return IssueCheck(tuple(force), tuple(notes))


def and_names(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and 3 more'."""
    if len(names) <= 1:
        return "".join(names)
    if len(names) > 4:
        return f"{', '.join(names[:3])} and {len(names) - 3} more"
    return f"{', '.join(names[:-1])} and {names[-1]}"
