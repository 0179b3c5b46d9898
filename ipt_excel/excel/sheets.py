"""The master's list sheets, and real Excel tables for every sheet that holds one.

Agency updates, Changes, Conflicts, Agencies, Glossary, Details and the hidden Lists sheet.
Shared by the master and by its circulation copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ipt_excel.core.columns import ColumnSet
from ipt_excel.core.model import Change, Conflict, Plan
from ipt_excel.core.sign_off import SignOff
from ipt_excel.core.text import EXCEL_CELL_LIMIT, long_date
from ipt_excel.excel.styles import Formats, fit_width, fits_in_cell, header_height, row_height

if TYPE_CHECKING:  # xlsxwriter loads only when a workbook is written, not for these names
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

PLAN_SHEET = "Plan"
SUMMARY_SHEET = "Summary"
UPDATES_SHEET = "Agency updates"
CHANGES_SHEET = "Changes"
CONFLICTS_SHEET = "Conflicts"
AGENCIES_SHEET = "Agencies"
GLOSSARY_SHEET = "Glossary"
DETAILS_SHEET = "Details"
LISTS_SHEET = "Lists"
COLUMNS_SHEET = "Columns"


CHANGES_HEADERS = (
    "Merged at",
    "Round",
    "Agency",
    "ID",
    "Field",
    "Old value",
    "New value",
    "Source file",
    "SHA-256 (first 12)",
    "Superseded",
)
SHORT_HASH = 12  # hex characters of a file's SHA-256 on the Changes sheet: enough to find it
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
# One row per area and agency: the ID, who and when, then the update columns by header.
UPDATES_LEAD = ("ID", "Agency", "Round")
UPDATES_TAIL = ("Updated at", "Fields updated", "Held back", "Signed off by", "Source SHA-256")


def updates_headers(columns: ColumnSet) -> tuple[str, ...]:
    return (*UPDATES_LEAD, *(c.header for c in columns.updates), *UPDATES_TAIL)


# The Columns sheet: the plan's column set, one row per column, read back by the master reader.
COLUMNS_HEADERS = (
    "Key",
    "Header",
    "Kind",
    "Update",
    "In returns",
    "In master",
    "Choices",
    "Combine",
    "Last review",
    "Width",
    "Help",
    "Other headings",
)
AGENCIES_HEADERS = ("Key", "Name", "Other names", "Contact e-mail", "Areas")
GLOSSARY_HEADERS = ("Term", "Meaning")

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
    "Return sign-off",
)


def add_table(
    ws: Worksheet,
    fmt: Formats,
    headers: Sequence[str],
    n_rows: int,
    *,
    first_row: int = 0,
    first_col: int = 0,
    name: str = "",
    autofilter: bool = True,
) -> None:
    """A real Excel table (with its header row) from `first_row`, with `n_rows` data rows.

    Screen readers announce table headers, and the accessibility rules for published
    spreadsheets ask for real tables rather than ranges that merely look like them.
    """
    ws.add_table(
        first_row,
        first_col,
        first_row + max(n_rows, 1),  # Excel needs at least one data row in a table
        first_col + len(headers) - 1,
        {
            "name": name or "".join(ch for ch in ws.get_name().title() if ch.isalnum()) + "Table",
            "style": None,
            "autofilter": autofilter,
            "columns": [{"header": h, "header_format": fmt.header} for h in headers],
        },
    )


def write_table_sheet(
    ws: Worksheet,
    fmt: Formats,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float],
    *,
    untall: frozenset[int] = frozenset(),
) -> None:
    """A list sheet: a real table with a bold header, wrapped text and a frozen header,
    printed one page wide when that keeps it readable (else across, the first column repeated).
    Columns in `untall` do not make a row taller: their first line is enough (a file hash)."""
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    add_table(ws, fmt, headers, len(rows))
    # The loop runs for every cell of the Changes and Agency updates sheets: names bound once.
    name, write_string, write_datetime = ws.get_name(), ws.write_string, ws.write_datetime
    text_format, datetime_format, set_row = fmt.text, fmt.datetime, ws.set_row
    one_line = fmt.one_line
    heights = [header_height(headers, widths)]
    set_row(0, heights[0])
    tall = [c for c in range(len(widths)) if c not in untall]
    for r, row in enumerate(rows, start=1):
        texts = ["" if v is None else str(v) for v in row]
        heights.append(row_height([(texts[c], widths[c]) for c in tall if c < len(texts)]))
        set_row(r, heights[-1])
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                write_datetime(r, c, value, datetime_format)
            else:
                text = texts[c]
                if 2 * len(text) > EXCEL_CELL_LIMIT:  # may not fit: say where
                    text = fits_in_cell(text, f"{name}, row {r + 1},")
                write_string(r, c, text, one_line if c in untall else text_format)
    fit_width(ws, widths, repeat=1, heights=heights)
    ws.freeze_panes(1, 0)


def updates_sheet(
    wb: xlsxwriter.Workbook,
    fmt: Formats,
    plan: Plan,
    *,
    circulation: bool = False,
    sign_offs: Mapping[str, SignOff] | None = None,
) -> None:
    """One row per area and agency. `sign_offs`: who vouched for each return, by its file's
    SHA-256 (an update merged from a return with no sign-off shows none)."""
    ws = wb.add_worksheet(UPDATES_SHEET)
    signed = sign_offs or {}
    # The master keeps the agencies' short keys; boards read their names.
    names = {a.key: a.name for a in plan.agencies} if circulation else {}
    columns = plan.columns
    header = columns.header
    rows: list[tuple[object, ...]] = [
        (
            u.area_id,
            names.get(u.agency, u.agency),
            u.round,
            *(u.value(c.key) for c in columns.updates),
            u.updated_at,
            ", ".join(header(k) for k in u.changed),
            ", ".join(header(k) for k in u.held),
            signed[u.source_sha256].text if u.source_sha256 in signed else "",
            u.source_sha256,
        )
        for u in plan.agency_updates
    ]
    # Narrow enough for the circulation copy's sheet (no hash) to print one page wide at 75%.
    widths = (
        6, 14, 16, *(min(max(c.width, 10), 40) for c in columns.updates), 14, 16, 12, 20, 14,
    )  # fmt: skip
    headers = updates_headers(columns)
    if circulation:  # the hash identifies a file in the workspace: not for circulation
        rows = [r[:-1] for r in rows]
        write_table_sheet(ws, fmt, headers[:-1], rows, widths[:-1])
        return
    # The hash is kept whole (it is read back), but its first line is enough to show.
    write_table_sheet(ws, fmt, headers, rows, widths, untall=frozenset({len(headers) - 1}))


def changes_sheet(
    wb: xlsxwriter.Workbook,
    fmt: Formats,
    plan: Plan,
    changes: tuple[Change, ...],
    *,
    circulation: bool = False,
    header: Callable[[str], str] | None = None,
) -> None:
    ws = wb.add_worksheet(CHANGES_SHEET)
    names = {a.key: a.name for a in plan.agencies}
    if circulation:
        # Boards need who changed what and when; file names and hashes stay in the workspace.
        public = [
            (
                ch.merged_at,
                ch.round,
                names.get(ch.agency, ch.agency),
                ch.area_id,
                (header or plan.columns.header)(ch.column),
                ch.old,
                ch.new,
            )
            for ch in changes
            if not ch.superseded
        ]
        write_table_sheet(ws, fmt, CHANGES_HEADERS[:7], public, (16, 16, 20, 6, 14, 40, 40))
        return
    # The coordinator's copy: agencies by name too, and the start of each file's hash (its
    # file in received/ starts with it); the whole hash is in the ledger.
    rows = [
        (
            ch.merged_at,
            ch.round,
            names.get(ch.agency, ch.agency),
            ch.area_id,
            (header or plan.columns.header)(ch.column),
            ch.old,
            ch.new,
            ch.source_file,
            ch.source_sha256[:SHORT_HASH],
            "Yes" if ch.superseded else "",
        )
        for ch in changes
    ]
    widths = (16, 16, 20, 6, 14, 34, 34, 18, 14, 11)
    write_table_sheet(ws, fmt, CHANGES_HEADERS, rows, widths)


def conflicts_sheet(
    wb: xlsxwriter.Workbook,
    fmt: Formats,
    plan: Plan,
    conflicts: tuple[Conflict, ...],
    *,
    circulation: bool = False,
) -> None:
    ws = wb.add_worksheet(CONFLICTS_SHEET)
    names = {a.key: a.name for a in plan.agencies}
    rows: list[tuple[object, ...]] = [
        (
            c.found_at,
            c.round,
            names.get(c.agency, c.agency),
            c.area_id,
            plan.columns.header(c.column),
            c.issued,
            c.master,
            c.theirs,
            c.source_file,
        )
        for c in conflicts
    ]
    widths = (16, 16, 20, 6, 14, 30, 30, 30, 18)
    keep = len(CONFLICTS_HEADERS) - 1 if circulation else len(CONFLICTS_HEADERS)  # no file name
    write_table_sheet(ws, fmt, CONFLICTS_HEADERS[:keep], [r[:keep] for r in rows], widths[:keep])


def agencies_sheet(wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan) -> None:
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


def glossary_sheet(wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan) -> None:
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
        "Yes" if plan.return_sign_off else "No",
    )


# What a board reads on the circulation copy's Details sheet: the plan and the round, not how
# the tool is set up (rules, imports, settings), which is written for agencies and the
# coordinator.
_BOARD_DETAILS = frozenset(
    {"Title", "Organisation", "Inspection", "Status", "Round", "Signed off by", "Role"}
)


def details_sheet(
    wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan, *, circulation: bool = False
) -> None:
    ws = wb.add_worksheet(DETAILS_SHEET)
    rows = list(zip(DETAIL_LABELS, detail_values(plan), strict=True))
    if circulation:  # a board's: the plan and the round, the date as it reads one
        when = {"Round date": long_date(plan.round.date)}
        rows = [
            (label, when.get(label, value))
            for label, value in rows
            if (label in _BOARD_DETAILS or label in when) and value
        ]
    rows += [(f"Theme {t.id}", t.title) for t in plan.themes]
    if not circulation:
        rows += [("Rule", r.as_text()) for r in plan.columns.rules]
        rows += [(f"Import {k}", v) for k, v in plan.imported]
    rows += [("Note", n) for n in plan.notes]
    write_table_sheet(ws, fmt, ("Detail", "Value"), rows, (26, 100))


def column_rows(columns: ColumnSet) -> list[tuple[str, ...]]:
    def yes(flag: bool) -> str:
        return "Yes" if flag else "No"

    return [
        (
            c.key,
            c.header,
            c.kind.value,
            yes(c.update),
            yes(c.in_return),
            yes(c.in_master),
            "\n".join(c.choices),
            c.combine.value if c.combine else "",
            yes(c.last_review),
            f"{c.width:g}",
            c.help,
            "\n".join(c.source_headers),
        )
        for c in columns
    ]


def columns_sheet(wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan) -> None:
    """The plan's columns. A coordinator adds a column by adding a row here (and rules on
    the Details sheet); the Plan sheet gains it at the next write."""
    ws = wb.add_worksheet(COLUMNS_SHEET)
    widths = (16, 24, 13, 8, 10, 10, 20, 10, 10, 7, 40, 20)
    write_table_sheet(ws, fmt, COLUMNS_HEADERS, column_rows(plan.columns), widths)


def lists_sheet(wb: xlsxwriter.Workbook, plan: Plan) -> None:
    ws = wb.add_worksheet(LISTS_SHEET)
    for r, word in enumerate(plan.rag_scale):
        ws.write_string(r, 0, word)
    ws.hide()
