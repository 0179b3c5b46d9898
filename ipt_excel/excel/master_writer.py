"""The master plan workbook, rebuilt from data every time (never round-tripped through openpyxl).

Sheets: Plan (one row per area), Summary (RAG counts and a chart), Agency updates, Changes,
Conflicts, Agencies, Glossary, Details, and a hidden Lists sheet holding dropdown values.
No secret of the workspace is ever written here.
"""

from __future__ import annotations

import gc
import io
from datetime import date, datetime
from typing import TYPE_CHECKING

from ipt_excel.core.columns import Column, ColumnSet, Kind
from ipt_excel.core.facts import MasterExtras
from ipt_excel.core.kinds import KindContext, cell_spec, show, write_value
from ipt_excel.core.model import Plan
from ipt_excel.core.rows import cell_text
from ipt_excel.core.summary import disagreements
from ipt_excel.core.text import EXCEL_CELL_LIMIT, long_date
from ipt_excel.excel.sheets import (
    AGENCIES_SHEET,
    CHANGES_SHEET,
    COLUMNS_SHEET,
    CONFLICTS_SHEET,
    DETAILS_SHEET,
    GLOSSARY_SHEET,
    LISTS_SHEET,
    PLAN_SHEET,
    SUMMARY_SHEET,
    UPDATES_SHEET,
    add_table,
    agencies_sheet,
    changes_sheet,
    columns_sheet,
    conflicts_sheet,
    details_sheet,
    glossary_sheet,
    lists_sheet,
    updates_sheet,
    write_table_sheet,
)
from ipt_excel.excel.styles import (
    Formats,
    fit_width,
    fits_in_cell,
    header_height,
    print_setup,
    row_height,
    workbook_options,
)
from ipt_excel.excel.summary_sheet import summary_sheet

if TYPE_CHECKING:
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

__all__ = [
    "AGENCIES_SHEET",
    "CHANGES_SHEET",
    "COLUMNS_SHEET",
    "CONFLICTS_SHEET",
    "DETAILS_SHEET",
    "GLOSSARY_SHEET",
    "LISTS_SHEET",
    "master_columns",
    "PLAN_SHEET",
    "SUMMARY_SHEET",
    "UPDATES_SHEET",
    "write_master",
    "write_table_sheet",
]


# Columns of the master that are derived for readers, never read back.
RAG_NOTE = Column("rag_note", "RAG note", Kind.DERIVED, width=24)
OVERDUE = Column("overdue", "Overdue", Kind.DERIVED, width=10)
DERIVED_MASTER = (RAG_NOTE, OVERDUE)


def master_columns(columns: ColumnSet) -> tuple[Column, ...]:
    """The Plan sheet's columns: the plan's own, then the RAG note and Overdue flags."""
    return (*columns.master, *DERIVED_MASTER)


def write_master(
    plan: Plan,
    extras: MasterExtras | None = None,
    *,
    created: datetime,
    circulation: bool = False,
    snapshot: int | None = None,
) -> bytes:
    """Build the master workbook and return its bytes (the caller writes them atomically).

    With `circulation`, build the copy for boards and partners instead: Summary first, every
    sheet protected read-only, no dropdown lists and no workspace detail (no source file
    names or hashes, nothing from the ledger beyond the changes themselves).
    """
    data = _write_master(plan, extras, created, circulation, snapshot)
    # xlsxwriter's workbook, sheets and cells refer to each other, so once written they wait
    # for the cycle collector, which may not run for a long while: a master of 10,000 areas
    # left 250 MiB held for the rest of `ipt merge`. Collect them now.
    gc.collect()
    return data


def _write_master(
    plan: Plan,
    extras: MasterExtras | None,
    created: datetime,
    circulation: bool,
    snapshot: int | None,
) -> bytes:
    extras = extras or MasterExtras()
    import xlsxwriter  # here: reading a master (ipt check) needs none of it

    buf = io.BytesIO()
    # Not in_memory: xlsxwriter then writes each sheet's XML to a temporary file as it
    # assembles the zip, rather than holding all of it in memory at once (a master of
    # 10,000 areas after a round's merge peaks 240 MiB lower; the same bytes, as fast).
    wb = xlsxwriter.Workbook(buf, {**workbook_options(), "in_memory": False})
    kind = "Circulation copy" if circulation else "Master improvement plan"
    wb.set_properties(
        {
            "title": plan.title,
            "subject": f"{kind}: {plan.round.name}, {long_date(plan.round.date)}",
            "author": plan.organisation,
            "company": plan.organisation,
            "comments": f"{kind}. Made by ipt_excel.",
            "created": created,
        }
    )
    if snapshot is not None and not circulation:
        # Which ledger snapshot this master shows, so a master left behind by a crash is
        # noticed and rebuilt (master.catch_up_master).
        wb.set_custom_property(SNAPSHOT_PROPERTY, snapshot)
    fmt = Formats(wb)
    if circulation:
        summary_sheet(wb, fmt, plan, extras, circulation=True)
        _plan_sheet(wb, fmt, plan, extras, circulation=True)
    else:
        _plan_sheet(wb, fmt, plan, extras)
        summary_sheet(wb, fmt, plan, extras)
    updates_sheet(wb, fmt, plan, circulation=circulation, sign_offs=extras.sign_offs)
    changes_sheet(
        wb,
        fmt,
        plan,
        extras.changes,
        circulation=circulation,
        header=lambda key: extras.header(plan, key),
    )
    conflicts_sheet(wb, fmt, plan, extras.conflicts, circulation=circulation)
    agencies_sheet(wb, fmt, plan)
    glossary_sheet(wb, fmt, plan)
    details_sheet(wb, fmt, plan, circulation=circulation)
    if not circulation:  # how the plan is set up: for the coordinator, not for boards
        columns_sheet(wb, fmt, plan)
    for ws in wb.worksheets():
        if ws.get_name() == SUMMARY_SHEET:  # a page of small tables: it sets its own
            continue
        # Every sheet on A4 landscape, so a PDF of the workbook has one page size; how many
        # page widths each takes was set with its columns (fit_width).
        print_setup(
            ws,
            title=plan.title,
            round_name=plan.round.name,
            marking=plan.protective_marking,
            repeat_row=0,
        )
    if circulation:
        for ws in wb.worksheets():
            ws.protect("", READ_ONLY)
        wb.worksheets()[0].activate()
    else:
        lists_sheet(wb, plan)
    wb.close()
    return buf.getvalue()


SNAPSHOT_PROPERTY = "ipt_excel snapshot"

# What a reader of the circulation copy may still do on a protected sheet.
READ_ONLY = {
    "select_locked_cells": True,
    "select_unlocked_cells": True,
    "format_columns": True,
    "format_rows": True,
    "autofilter": True,
    "sort": True,
}


def _plan_sheet(
    wb: xlsxwriter.Workbook,
    fmt: Formats,
    plan: Plan,
    extras: MasterExtras,
    *,
    circulation: bool = False,
) -> None:
    ws = wb.add_worksheet(PLAN_SHEET)
    columns = master_columns(plan.columns)
    this_round = sorted(
        (ch for ch in extras.changes if ch.round == plan.round.name), key=lambda c: c.merged_at
    )
    current = {(ch.area_id, ch.column): ch for ch in this_round if not ch.superseded}
    # A shared cell may have been changed by several agencies' merges: the note names them all.
    changed_by: dict[tuple[str, str], list[str]] = {}
    for ch in this_round:
        if not ch.superseded:
            who = changed_by.setdefault((ch.area_id, ch.column), [])
            if plan.agency_name(ch.agency) not in who:
                who.append(plan.agency_name(ch.agency))
    # The note says what the cell held before this round, even after a superseding return.
    first_old: dict[tuple[str, str], str] = {}
    for ch in this_round:
        first_old.setdefault((ch.area_id, ch.column), ch.old)
    conflicted = {(c.area_id, c.column): c for c in extras.conflicts if c.round == plan.round.name}
    notes = disagreements(plan)
    overdue = extras.facts_for(plan).overdue
    for c, col in enumerate(columns):
        ws.set_column(c, c, col.width)
    add_table(ws, fmt, [c.header for c in columns], len(plan.areas))
    heights = [header_height([c.header for c in columns], [c.width for c in columns])]
    ws.set_row(0, heights[0])
    rag_col = next(i for i, c in enumerate(columns) if c.key == plan.columns.rag.key)
    ctx = KindContext(rag_scale=plan.rag_scale, round_date=plan.round.date)
    number_formats = {c.key: cell_spec(c, ctx).num_format for c in plan.columns.updates}
    widths = [c.width for c in columns]
    plain = [fmt.id if col.kind is Kind.ID else fmt.text for col in columns]
    write_string, set_row = ws.write_string, ws.set_row
    for r, area in enumerate(plan.areas, start=1):
        texts = []
        for col in columns:
            if col is RAG_NOTE:
                texts.append(notes.get(area.id, ""))
            elif col is OVERDUE:
                texts.append("Overdue: " + overdue[area.id] if area.id in overdue else "")
            else:
                texts.append(cell_text(plan, area, col))
        heights.append(row_height(list(zip(texts, widths, strict=True))))
        set_row(r, heights[-1])
        for c, col in enumerate(columns):
            value = texts[c]
            if not col.update:  # plan text: written as it is
                if 2 * len(value) > EXCEL_CELL_LIMIT:
                    value = fits_in_cell(value, f"Area {area.id}, {col.header},")
                write_string(r, c, value, plain[c])
                continue
            cell_fmt = plain[c]
            where = (area.id, col.key)
            change = current.get(where)
            if change is not None and first_old[where] == value:
                change = None  # put back to what it was before this round: nothing to show
            conflict = conflicted.get(where)
            if conflict is not None:
                cell_fmt = fmt.conflict
            elif change is not None:
                cell_fmt = fmt.changed
            typed = write_value(col, value)
            if isinstance(typed, date):
                ws.write_datetime(r, c, typed, fmt.variant(cell_fmt, "d mmmm yyyy"))
            elif isinstance(typed, float):
                ws.write_number(r, c, typed, fmt.variant(cell_fmt, number_formats[col.key]))
            else:
                # write_string: agency text is never a formula, whatever it starts with.
                write_string(r, c, fits_in_cell(value, f"Area {area.id}, {col.header},"), cell_fmt)
            if conflict is not None:
                ws.write_comment(
                    r,
                    c,
                    f"Conflict: {plan.agency_name(conflict.agency)} sent "
                    f"“{_short(show(col, conflict.theirs))}” but the master had changed since "
                    f"issue. See the Conflicts sheet.",
                    {"x_scale": 2, "y_scale": 2},
                )
            elif change is not None:
                ws.write_comment(
                    r,
                    c,
                    f"Was: {_short(show(col, first_old[where])) or '(empty)'} — changed by "
                    f"{' and '.join(changed_by[where])}, "
                    f"{long_date(change.merged_at.date())}",
                    {"x_scale": 2, "y_scale": 2},
                )
    # Too wide for one A4 page at a readable size: across as few page widths as keep the
    # text at 75% or more, the ID repeated on each, each band of rows read across its pages.
    fit_width(ws, [c.width for c in columns], repeat=1, heights=heights)
    last = max(len(plan.areas), 1)
    for word, rag_fmt in fmt.rag.items():
        ws.conditional_format(
            1,
            rag_col,
            last,
            rag_col,
            {"type": "cell", "criteria": "==", "value": f'"{word}"', "format": rag_fmt},
        )
    if not circulation:
        _rag_dropdown(ws, plan, rag_col, last)
    ws.freeze_panes(1, 1)
    if not circulation:
        ws.activate()


def _rag_dropdown(ws: Worksheet, plan: Plan, rag_col: int, last: int) -> None:
    """In the master, the coordinator picks RAG from the plan's scale, kept on Lists."""
    ws.data_validation(
        1,
        rag_col,
        last,
        rag_col,
        {
            "validate": "list",
            "source": f"={LISTS_SHEET}!$A$1:$A${len(plan.rag_scale)}",
            "error_title": "RAG rating",
            "error_message": "Pick a RAG rating from the list, or leave the cell empty.",
        },
    )


def _short(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
