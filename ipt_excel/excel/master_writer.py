"""The master plan workbook, rebuilt from data every time (never round-tripped through openpyxl).

Sheets: Plan (one row per area), Summary (RAG counts and a chart), Agency updates, Changes,
Conflicts, Agencies, Glossary, Details, and a hidden Lists sheet holding dropdown values.
No secret of the workspace is ever written here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from ipt_excel.columns import OVERDUE, PLAN_COLUMNS, Column, Kind, cell_text
from ipt_excel.excel.styles import Formats, print_setup, row_height
from ipt_excel.model import Change, Conflict, Plan
from ipt_excel.summary import (
    RagCounts,
    counts_by_agency,
    counts_by_theme,
    disagreements,
    overdue_areas,
)

PLAN_SHEET = "Plan"
SUMMARY_SHEET = "Summary"
UPDATES_SHEET = "Agency updates"
CHANGES_SHEET = "Changes"
CONFLICTS_SHEET = "Conflicts"
AGENCIES_SHEET = "Agencies"
GLOSSARY_SHEET = "Glossary"
DETAILS_SHEET = "Details"
LISTS_SHEET = "Lists"

RAG_NOTE = Column("rag_note", "RAG note", 24, Kind.DERIVED)
MASTER_COLUMNS: tuple[Column, ...] = (*(c for c in PLAN_COLUMNS if c.in_master), RAG_NOTE, OVERDUE)

CHANGES_HEADERS = (
    "Merged at",
    "Round",
    "Agency",
    "ID",
    "Field",
    "Old value",
    "New value",
    "Source file",
    "SHA-256",
    "Superseded",
)
CONFLICTS_HEADERS = (
    "Found at",
    "Round",
    "Agency",
    "ID",
    "Field",
    "Value as issued",
    "Value in master",
    "Value sent by agency",
    "Source file",
)
UPDATES_HEADERS = (
    "ID",
    "Agency",
    "Round",
    "Progress",
    "RAG",
    "Evidence of impact",
    "Date of next review",
    "Updated at",
    "Fields updated",
)
AGENCIES_HEADERS = ("Key", "Name", "Other names", "Contact e-mail", "Areas")
GLOSSARY_HEADERS = ("Term", "Meaning")
FIELD_HEADERS = {c.field: c.header for c in PLAN_COLUMNS if c.is_update}

# The Details sheet is label/value rows; the reader reads them back by label.
DETAIL_LABELS = (
    "Title",
    "Organisation",
    "Inspection",
    "Status",
    "Round",
    "Round date",
    "Returns due",
    "Signed off by",
    "Role",
    "Protective marking",
    "Coordinator e-mail",
    "RAG scale",
    "Evidence required for GREEN",
)


@dataclass(frozen=True)
class MasterExtras:
    """What the master shows besides the plan: this round's changes, conflicts, history."""

    changes: tuple[Change, ...] = ()  # every change on record; this round's are highlighted
    conflicts: tuple[Conflict, ...] = ()  # open conflicts
    today: date | None = None  # for overdue flags; default: the round date
    previous_counts: dict[str, int] = field(default_factory=dict)  # RAG counts last round
    returns: tuple[tuple[str, str, str], ...] = ()  # (agency, state, detail) this round


def write_master(plan: Plan, extras: MasterExtras = MasterExtras(), *, created: datetime) -> bytes:
    """Build the master workbook and return its bytes (the caller writes them atomically)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
    wb.set_properties(
        {
            "title": plan.title,
            "subject": f"{plan.round.name}, {plan.round.date:%d %B %Y}",
            "author": plan.organisation,
            "company": plan.organisation,
            "comments": "Master improvement plan. Made by ipt_excel.",
            "created": created,
        }
    )
    fmt = Formats(wb)
    _plan_sheet(wb, fmt, plan, extras)
    _summary_sheet(wb, fmt, plan, extras)
    _updates_sheet(wb, fmt, plan)
    _changes_sheet(wb, fmt, plan, extras.changes)
    _conflicts_sheet(wb, fmt, extras.conflicts)
    _agencies_sheet(wb, fmt, plan)
    _glossary_sheet(wb, fmt, plan)
    _details_sheet(wb, fmt, plan)
    _lists_sheet(wb, plan)
    wb.close()
    return buf.getvalue()


def write_table_sheet(
    ws: Worksheet,
    fmt: Formats,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float],
) -> None:
    """A plain list sheet: bold header, wrapped text, frozen header, filter."""
    for c, (h, w) in enumerate(zip(headers, widths, strict=True)):
        ws.set_column(c, c, w)
        ws.write_string(0, c, h, fmt.header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                ws.write_datetime(r, c, value, fmt.datetime)
            else:
                ws.write_string(r, c, "" if value is None else str(value), fmt.text)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)


def _plan_sheet(wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan, extras: MasterExtras) -> None:
    ws = wb.add_worksheet(PLAN_SHEET)
    current = {
        (ch.area_id, ch.field): ch
        for ch in sorted(extras.changes, key=lambda c: c.merged_at)
        if ch.round == plan.round.name and not ch.superseded
    }
    conflicted = {(c.area_id, c.field): c for c in extras.conflicts if c.round == plan.round.name}
    notes = disagreements(plan)
    overdue = overdue_areas(plan, extras.today or plan.round.date)
    for c, col in enumerate(MASTER_COLUMNS):
        ws.set_column(c, c, col.width)
        ws.write_string(0, c, col.header, fmt.header)
    rag_col = next(i for i, c in enumerate(MASTER_COLUMNS) if c.kind is Kind.RAG)
    for r, area in enumerate(plan.areas, start=1):
        texts = []
        for col in MASTER_COLUMNS:
            if col is RAG_NOTE:
                texts.append(notes.get(area.id, ""))
            elif col is OVERDUE:
                texts.append("Overdue: " + overdue[area.id] if area.id in overdue else "")
            else:
                texts.append(cell_text(plan, area, col))
        ws.set_row(
            r, row_height([(t, c.width) for t, c in zip(texts, MASTER_COLUMNS, strict=True)])
        )
        for c, col in enumerate(MASTER_COLUMNS):
            value = texts[c]
            cell_fmt = fmt.id if col.kind is Kind.ID else fmt.text
            change = current.get((area.id, col.field)) if col.is_update else None
            conflict = conflicted.get((area.id, col.field)) if col.is_update else None
            if conflict is not None:
                cell_fmt = fmt.conflict
            elif change is not None:
                cell_fmt = fmt.changed
            # write_string: agency text is never a formula, whatever it starts with.
            ws.write_string(r, c, value, cell_fmt)
            if conflict is not None:
                ws.write_comment(
                    r,
                    c,
                    f"Conflict: {conflict.agency} sent “{_short(conflict.theirs)}” but the "
                    f"master had changed since issue. See the Conflicts sheet.",
                    {"x_scale": 2, "y_scale": 2},
                )
            elif change is not None:
                ws.write_comment(
                    r,
                    c,
                    f"Was: {_short(change.old) or '(empty)'} — changed by {change.agency}, "
                    f"{change.merged_at:%d %B %Y}",
                    {"x_scale": 2, "y_scale": 2},
                )
    last = max(len(plan.areas), 1)
    for word, rag_fmt in fmt.rag.items():
        ws.conditional_format(
            1,
            rag_col,
            last,
            rag_col,
            {"type": "cell", "criteria": "==", "value": f'"{word}"', "format": rag_fmt},
        )
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
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, last, len(MASTER_COLUMNS) - 1)
    print_setup(
        ws,
        title=plan.title,
        round_name=plan.round.name,
        marking=plan.protective_marking,
        repeat_row=0,
    )
    ws.set_paper(8)  # A3: a plan this wide is printed on A3 by boards
    ws.activate()


def _short(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _counts_block(
    ws: Worksheet, fmt: Formats, row: int, title: str, counts: RagCounts
) -> tuple[int, int]:
    """Write a count table at `row`; return (first data row, last data row)."""
    ws.write_string(row, 0, title, fmt.subtitle)
    row += 1
    ws.write_string(row, 0, "Group", fmt.header)
    for c, label in enumerate(counts.labels, start=1):
        ws.write_string(row, c, label, fmt.header)
    ws.write_string(row, len(counts.labels) + 1, "Total", fmt.header)
    first = row + 1
    for name, by_label in counts.rows:
        row += 1
        ws.write_string(row, 0, name, fmt.text)
        for c, label in enumerate(counts.labels, start=1):
            ws.write_number(row, c, by_label.get(label, 0), fmt.text)
        ws.write_number(row, len(counts.labels) + 1, sum(by_label.values()), fmt.text)
    return first, row


def _summary_sheet(wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan, extras: MasterExtras) -> None:
    ws = wb.add_worksheet(SUMMARY_SHEET)
    ws.set_column(0, 0, 48)
    ws.set_column(1, 8, 12)
    ws.write_string(0, 0, plan.title, fmt.title)
    ws.write_string(1, 0, f"{plan.round.name}, {plan.round.date:%d %B %Y}", fmt.subtitle)
    themes = counts_by_theme(plan)
    t_first, t_last = _counts_block(ws, fmt, 3, "RAG ratings by theme", themes)
    agencies = counts_by_agency(plan)
    a_first, a_last = _counts_block(ws, fmt, t_last + 3, "RAG ratings by agency", agencies)
    row = a_last + 3
    ws.write_string(row, 0, "All areas", fmt.subtitle)
    ws.write_string(row + 1, 0, "RAG", fmt.header)
    ws.write_string(row + 1, 1, "This round", fmt.header)
    ws.write_string(row + 1, 2, "Last round", fmt.header)
    for i, label in enumerate(themes.labels, start=row + 2):
        ws.write_string(i, 0, label, fmt.text)
        ws.write_number(i, 1, themes.total(label), fmt.text)
        if extras.previous_counts:
            ws.write_number(i, 2, extras.previous_counts.get(label, 0), fmt.text)
        else:
            ws.write_string(i, 2, "", fmt.text)
    overdue = overdue_areas(plan, extras.today or plan.round.date)
    end = row + 2 + len(themes.labels)
    ws.write_string(end + 1, 0, "Areas with overdue actions (not GREEN)", fmt.label)
    ws.write_number(end + 1, 1, len(overdue), fmt.text)
    ws.write_string(end + 2, 0, "Changes this round", fmt.label)
    ws.write_number(
        end + 2,
        1,
        sum(1 for c in extras.changes if c.round == plan.round.name and not c.superseded),
        fmt.text,
    )
    ws.write_string(end + 3, 0, "Open conflicts", fmt.label)
    ws.write_number(end + 3, 1, len(extras.conflicts), fmt.text)
    if extras.returns:
        row = end + 5
        ws.write_string(row, 0, "Returns this round", fmt.subtitle)
        for c, h in enumerate(("Agency", "State", "Detail")):
            ws.write_string(row + 1, c, h, fmt.header)
        for i, (agency, state, detail) in enumerate(extras.returns, start=row + 2):
            ws.write_string(i, 0, agency, fmt.text)
            ws.write_string(i, 1, state, fmt.text)
            ws.write_string(i, 2, detail, fmt.text)

    chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
    for c, label in enumerate(themes.labels, start=1):
        colour = {"RED": "#D4351C", "AMBER": "#FFDD00", "GREEN": "#00703C", "BLUE": "#1D70B8"}
        chart.add_series(
            {
                "name": [SUMMARY_SHEET, 4, c],
                "categories": [SUMMARY_SHEET, t_first, 0, t_last, 0],
                "values": [SUMMARY_SHEET, t_first, c, t_last, c],
                "fill": {"color": colour.get(label, "#B1B4B6")},
                "border": {"color": "#0B0C0C"},
            }
        )
    chart.set_title({"name": "RAG ratings by theme"})
    chart.set_x_axis({"name": "Areas for improvement"})
    chart.set_legend({"position": "bottom"})
    ws.insert_chart(
        3,
        len(themes.labels) + 3,
        chart,
        {
            "x_scale": 1.3,
            "y_scale": 1.1,
            "description": "Stacked bar chart of the number of areas for improvement in each "
            "theme by RAG rating. The same figures are in the table on the left.",
        },
    )
    print_setup(
        ws,
        title=plan.title,
        round_name=plan.round.name,
        marking=plan.protective_marking,
        repeat_row=-1,
    )


def _updates_sheet(wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan) -> None:
    ws = wb.add_worksheet(UPDATES_SHEET)
    rows = [
        (
            u.area_id,
            u.agency,
            u.round,
            u.progress,
            u.rag,
            u.evidence,
            u.next_review,
            u.updated_at,
            ", ".join(FIELD_HEADERS[f] for f in u.changed),
        )
        for u in plan.agency_updates
    ]
    write_table_sheet(ws, fmt, UPDATES_HEADERS, rows, (8, 14, 22, 60, 10, 40, 16, 18, 24))


def _changes_sheet(
    wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan, changes: tuple[Change, ...]
) -> None:
    ws = wb.add_worksheet(CHANGES_SHEET)
    rows = [
        (
            ch.merged_at,
            ch.round,
            ch.agency,
            ch.area_id,
            FIELD_HEADERS.get(ch.field, ch.field),
            ch.old,
            ch.new,
            ch.source_file,
            ch.source_sha256,
            "Yes" if ch.superseded else "",
        )
        for ch in changes
    ]
    write_table_sheet(ws, fmt, CHANGES_HEADERS, rows, (17, 22, 12, 8, 18, 40, 40, 24, 20, 10))


def _conflicts_sheet(
    wb: xlsxwriter.Workbook, fmt: Formats, conflicts: tuple[Conflict, ...]
) -> None:
    ws = wb.add_worksheet(CONFLICTS_SHEET)
    rows = [
        (
            c.found_at,
            c.round,
            c.agency,
            c.area_id,
            FIELD_HEADERS.get(c.field, c.field),
            c.issued,
            c.master,
            c.theirs,
            c.source_file,
        )
        for c in conflicts
    ]
    write_table_sheet(ws, fmt, CONFLICTS_HEADERS, rows, (17, 22, 12, 8, 18, 36, 36, 36, 24))


def _agencies_sheet(wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan) -> None:
    ws = wb.add_worksheet(AGENCIES_SHEET)
    rows = [
        (
            a.key,
            a.name,
            "\n".join(a.aliases),
            a.email,
            ", ".join(ar.id for ar in plan.areas_for(a.key)),
        )
        for a in plan.agencies
    ]
    write_table_sheet(ws, fmt, AGENCIES_HEADERS, rows, (12, 40, 40, 28, 30))


def _glossary_sheet(wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan) -> None:
    ws = wb.add_worksheet(GLOSSARY_SHEET)
    rows = [(g.term, g.meaning) for g in plan.glossary]
    write_table_sheet(ws, fmt, GLOSSARY_HEADERS, rows, (14, 70))


def detail_values(plan: Plan) -> tuple[str, ...]:
    return (
        plan.title,
        plan.organisation,
        plan.inspection,
        plan.status,
        plan.round.name,
        plan.round.date.isoformat(),
        plan.round.due.isoformat() if plan.round.due else "",
        plan.sign_off_name,
        plan.sign_off_role,
        plan.protective_marking,
        plan.coordinator_email,
        ", ".join(plan.rag_scale),
        "Yes" if plan.evidence_required_for_green else "No",
    )


def _details_sheet(wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan) -> None:
    ws = wb.add_worksheet(DETAILS_SHEET)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 100)
    ws.write_string(0, 0, "Detail", fmt.header)
    ws.write_string(0, 1, "Value", fmt.header)
    rows: list[tuple[str, str]] = list(zip(DETAIL_LABELS, detail_values(plan), strict=True))
    rows += [(f"Theme {t.id}", t.title) for t in plan.themes]
    rows += [("Note", n) for n in plan.notes]
    for r, (label, value) in enumerate(rows, start=1):
        ws.write_string(r, 0, label, fmt.label)
        ws.write_string(r, 1, value, fmt.plain)


def _lists_sheet(wb: xlsxwriter.Workbook, plan: Plan) -> None:
    ws = wb.add_worksheet(LISTS_SHEET)
    for r, word in enumerate(plan.rag_scale):
        ws.write_string(r, 0, word)
    ws.hide()
