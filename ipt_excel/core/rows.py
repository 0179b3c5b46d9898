"""What a plan row shows in each column, as text, and how a header row maps to columns."""

from __future__ import annotations

from collections.abc import Iterable

from ipt_excel.core.columns import Column, Kind
from ipt_excel.core.model import Area, Plan


def agencies_text(plan: Plan, keys: Iterable[str]) -> str:
    """Agency names, one per line (an agency no longer in the plan shows its key)."""
    return "\n".join(plan.agency_name(k) for k in keys)


def theme_text(plan: Plan, theme_id: str) -> str:
    theme = plan.theme(theme_id)
    return theme.label if theme else theme_id


def derived_text(area: Area, column: Column) -> str:
    if column.key == "action_dates":
        from ipt_excel.core.actions import schedule_text

        return schedule_text(area)
    return ""


def cell_text(plan: Plan, area: Area, column: Column) -> str:
    """What a plan row shows in `column`, as text (IDs and everything else are text)."""
    kind = column.kind
    if kind is Kind.ID:
        return area.id
    if kind is Kind.PARENT:
        return area.parent
    if kind is Kind.THEME:
        return theme_text(plan, area.theme)
    if kind is Kind.AGENCIES:
        return agencies_text(plan, area.agencies)
    if kind is Kind.DERIVED:
        return derived_text(area, column)
    return area.value(column.key)


def header_norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def header_index(headers: list[str], columns: Iterable[Column]) -> dict[str, int]:
    """Map column keys to positions in a header row, accepting each column's other headings."""
    wanted: dict[str, str] = {}
    for col in columns:
        for h in (col.header, *col.source_headers):
            wanted.setdefault(header_norm(h), col.key)
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        key = wanted.get(header_norm(h))
        if key is not None and key not in found:
            found[key] = i
    return found
