"""Plan a review round: which areas each agency gets and what its signed manifest says.

Pure: no I/O, no Excel. The return writer, the return reader and the validator all take the
locked cell texts from `locked_values`, so what is hashed is exactly what is written.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime

from ipt_excel.core.columns import RETURN_COLUMNS, SHARED_WITH, Column, agencies_text, cell_text
from ipt_excel.core.dates import NOT_REQUIRED, first_review_month, month_choices
from ipt_excel.core.manifest import MANIFEST_VERSION, Manifest, ManifestRow, locked_text_hash
from ipt_excel.core.model import UPDATE_FIELDS, Agency, Area, Plan, Round
from ipt_excel.errors import UsageError

RETURN_SHEET = "Return"
LISTS_SHEET = "Lists"  # hidden: the dropdown values, referenced by range
MANIFEST_SHEET = "_manifest"  # very hidden: marker, signature, manifest JSON in chunks
MANIFEST_MARKER = "ipt_excel manifest"
REVIEW_MONTHS = 18
# The 1-based Excel row of a return's header. Rows above it hold the title block; the writer
# puts the header where the manifest says, and the reader looks there first.
HEADER_ROW = 9

# The return's columns that hold plan text for reference: everything but the update cells.
LOCKED_COLUMNS: tuple[Column, ...] = tuple(c for c in RETURN_COLUMNS if not c.is_update)


@dataclass(frozen=True)
class IssuedReturn:
    agency: Agency
    areas: tuple[Area, ...]
    manifest: Manifest


@dataclass(frozen=True)
class RoundPlan:
    returns: tuple[IssuedReturn, ...]
    skipped: tuple[str, ...]  # names of agencies with no areas: no return is written for them


def review_choices(round_date: date) -> list[str]:
    """The 'Date of next review' dropdown: 18 months from the month after the round (the
    earliest a next review can be), then Not required."""
    first = first_review_month(round_date).first_day
    return [*month_choices(first, REVIEW_MONTHS), NOT_REQUIRED]


def lists_values(plan: Plan, round_date: date) -> dict[str, str]:
    """What a return's hidden Lists sheet holds, cell by cell: RAG scale in A, months in B."""
    cells = {f"A{r}": word for r, word in enumerate(plan.rag_scale, start=1)}
    cells |= {f"B{r}": text for r, text in enumerate(review_choices(round_date), start=1)}
    return cells


def shared_with_text(plan: Plan, area: Area, agency_key: str) -> str:
    """The other agencies an area belongs to, one name per line ("" when not shared)."""
    return agencies_text(plan, tuple(k for k in area.agencies if k != agency_key))


def locked_values(plan: Plan, area: Area, agency_key: str) -> list[str]:
    """The texts of a return row's locked cells, in LOCKED_COLUMNS order."""
    return [
        shared_with_text(plan, area, agency_key)
        if col.key == SHARED_WITH.key
        else cell_text(plan, area, col)
        for col in LOCKED_COLUMNS
    ]


def issued_values(area: Area) -> dict[str, str]:
    return {f: str(getattr(area, f)) for f in UPDATE_FIELDS}


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


def _unknown_agency_message(plan: Plan, name: str) -> str:
    known = ", ".join(f"{a.name} ({a.key})" for a in plan.agencies) or "none"
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
                locked_sha256=locked_text_hash(locked_values(plan, area, agency.key)),
                issued=issued_values(area),
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
        )
        returns.append(IssuedReturn(agency=agency, areas=areas, manifest=manifest))
    return RoundPlan(returns=tuple(returns), skipped=tuple(skipped))
