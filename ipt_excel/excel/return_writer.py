"""The return workbook an agency fills in: its own areas, plan text locked, four cells open.

Sheets, in order:

- ``Return``: a title block (who it is for, the plan, when and to whom to send it, how to fill
  it in), then the header row at the row the manifest gives, then one row per area. Plan text
  is locked and grey; the update cells are open and white, with dropdowns for RAG and the date
  of next review. The sheet is protected; columns and rows can still be resized.
- ``Lists`` (hidden): the dropdown values, referenced by range rather than inlined, because
  an inline list is limited to 255 characters and LibreOffice handles ranges more reliably.
- ``_manifest`` (very hidden): A1 a marker, A2 the signature, A3 onwards the manifest JSON
  in chunks short enough for an Excel cell. The signing key is never written.

Every text is written with write_string, so nothing an agency or a plan says is ever a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from ipt_excel.core.columns import RETURN_COLUMNS, UPDATE_COLUMNS, Kind, cell_text
from ipt_excel.core.dates import Month
from ipt_excel.core.manifest import to_json
from ipt_excel.core.model import EXCEL_CELL_LIMIT, Area, Plan, excel_length
from ipt_excel.core.rounds import (
    LISTS_SHEET,
    MANIFEST_MARKER,
    MANIFEST_SHEET,
    RETURN_SHEET,
    IssuedReturn,
    lists_values,
    locked_values,
    review_choices,
)
from ipt_excel.errors import IptError
from ipt_excel.excel.styles import (
    FONT,
    FONT_SIZE,
    LINE_POINTS,
    OPEN,
    PROBLEM,
    WARNING,
    Formats,
    print_setup,
    row_height,
)

__all__ = [
    "LISTS_SHEET",
    "MANIFEST_MARKER",
    "MANIFEST_SHEET",
    "review_choices",
    "write_return",
]

MANIFEST_CHUNK = 30_000  # characters per cell; Excel's limit is 32,767
# Excel refuses longer input titles/messages and error titles/messages.
_TITLE_LIMIT = 32
_MESSAGE_LIMIT = 255
_SEVERITY_PREFIX = {"error": "Fix this: ", "warning": "Check this: "}
MIN_DATA_LINES = 2  # room to start typing in an empty update cell
PAGES_WIDE = 2  # printed width of the Return sheet, in pages


class ReturnWriteError(IptError):
    """The return cannot be written as asked (text too long for Excel, a bad override)."""


def example_date(round_date: date) -> str:
    """A date three months after the round, as an agency in the UK would type it."""
    month = Month.of(round_date).plus(3)
    day = min(round_date.day, month.last_day.day)
    return date(month.year, month.month, day).strftime("%d/%m/%Y")


def long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _and_list(words: list[str], conjunction: str = "and") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def feedback_notice(marks: dict[tuple[str, str], tuple[str, str]]) -> str:
    """The line that tells an agency its return has come back to it, and what to do."""
    if any(severity == "error" for severity, _ in marks.values()):
        return (
            "This return has been sent back to you. Fix the cells marked red and check the "
            "cells marked yellow (each has a note saying what to do), then send it back."
        )
    return (
        "This return has been sent back to you. Nothing needs fixing: check the cells marked "
        "yellow (each has a note), then send it back."
    )


def title_lines(plan: Plan, issued: IssuedReturn, notice: str = "") -> list[str]:
    """The title block, one line per row above the header (the first is the sheet's title).

    `notice` (for a return sent back with feedback) takes the plan title's line under the
    title: the agency knows the plan, and its title is still in the footer.
    """
    rnd = plan.round
    send_to = plan.coordinator_email or "the person who sent it to you"
    when = f"by {rnd.due:%A} {long_date(rnd.due)}" if rnd.due else "as soon as you can"
    open_headers = [c.header for c in UPDATE_COLUMNS]
    dropdowns = [c.header for c in UPDATE_COLUMNS if c.kind in (Kind.RAG, Kind.REVIEW_DATE)]
    return [
        f"{issued.agency.name}: {rnd.name}, {long_date(rnd.date)}",
        notice or plan.title,
        f"Send this return to {send_to} {when}.",
        f"For each area, fill in the white cells: {_and_list(open_headers)}.",
        "The grey cells show the plan as agreed, for reference. You cannot change them.",
        f"Choose {_and_list(dropdowns)} from the list in the cell. "
        f"You can also type a date, like {example_date(rnd.date)}.",
        "Save the file as an Excel Workbook (.xlsx) and send it back. "
        "Do not copy the cells into another file.",
    ]


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def manifest_chunks(text: str, limit: int = MANIFEST_CHUNK) -> list[str]:
    """Cut `text` into pieces of at most `limit` UTF-16 units (what Excel counts)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for ch in text:
        n = 2 if ord(ch) > 0xFFFF else 1
        if size + n > limit:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    if current or not chunks:
        chunks.append("".join(current))
    return chunks


class _Writer:
    """One return being written: the workbook, its formats and the Return sheet."""

    def __init__(self, wb: xlsxwriter.Workbook, plan: Plan, issued: IssuedReturn) -> None:
        self.wb = wb
        self.plan = plan
        self.issued = issued
        self.fmt = Formats(wb)
        # A plain, unwrapped line for the title block, so long lines overflow rather than wrap.
        self.line = wb.add_format({"font_name": FONT, "font_size": FONT_SIZE})
        self._date_formats: dict[str, Format] = {}
        self.ws: Worksheet = wb.add_worksheet(RETURN_SHEET)
        self.header_row = issued.manifest.header_row - 1  # 0-based
        self.first_row = self.header_row + 1
        self.last_row = self.header_row + max(len(issued.areas), 1)

    def put(self, row: int, col: int, text: str, fmt: Format, where: str) -> None:
        if excel_length(text) > EXCEL_CELL_LIMIT:
            raise ReturnWriteError(
                f"{where} is longer than Excel allows in one cell ({EXCEL_CELL_LIMIT:,} "
                "characters). Shorten it in the plan, then issue the return again."
            )
        self.ws.write_string(row, col, text, fmt)

    def title_block(self, notice: str = "") -> None:
        lines = title_lines(self.plan, self.issued, notice)
        if len(lines) >= self.header_row:
            raise ReturnWriteError(
                f"The title block needs {len(lines) + 1} rows above the header, but the "
                f"manifest puts the header at row {self.header_row + 1}."
            )
        # Column B, not A: column A is frozen, and Excel clips text at a frozen pane's edge.
        for r, text in enumerate(lines):
            self.put(r, 1, text, self.fmt.title if r == 0 else self.line, "The plan title")

    def header(self) -> None:
        for c, col in enumerate(RETURN_COLUMNS):
            self.ws.set_column(c, c, col.width)
            self.ws.write_string(self.header_row, c, col.header, self.fmt.header)
        heights = [(col.header, col.width) for col in RETURN_COLUMNS]
        self.ws.set_row(self.header_row, row_height(heights))

    def open_format(self, severity: str | None, is_date: bool) -> Format:
        if not is_date:
            if severity is None:
                return self.fmt.open
            return self.fmt.problem if severity == "error" else self.fmt.warning
        # A date kept from an agency's return shows its day, as it was typed.
        key = severity or "open"
        if key not in self._date_formats:
            extra: dict[str, Any] = {"locked": False, "num_format": "dd/mm/yyyy", "align": "left"}
            if severity is None:
                self._date_formats[key] = self.fmt.fill(OPEN, **extra)
            else:
                colours, edge = (
                    (PROBLEM, "#D4351C") if severity == "error" else (WARNING, "#B58840")
                )
                self._date_formats[key] = self.fmt.fill(
                    colours, border=2, border_color=edge, **extra
                )
        return self._date_formats[key]

    def open_cell(
        self, row: int, col: int, value: object, severity: str | None, where: str
    ) -> None:
        ws = self.ws
        if isinstance(value, datetime | date):
            ws.write_datetime(row, col, value, self.open_format(severity, True))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            ws.write_number(row, col, value, self.open_format(severity, False))
        else:
            text = "" if value is None else str(value)
            self.put(row, col, text, self.open_format(severity, False), where)

    def rows(
        self,
        values: dict[tuple[str, str], object],
        marks: dict[tuple[str, str], tuple[str, str]],
    ) -> None:
        fmt = self.fmt
        key = self.issued.agency.key
        for r, area in enumerate(self.issued.areas, start=self.first_row):
            locked = iter(locked_values(self.plan, area, key))
            texts: list[tuple[str, float]] = []
            for c, col in enumerate(RETURN_COLUMNS):
                where = f"Area {area.id}, {col.header}"
                if not col.is_update:
                    cell_fmt = fmt.locked_id if col.kind is Kind.ID else fmt.locked
                    text = next(locked)
                    texts.append((text, col.width))
                    self.put(r, c, text, cell_fmt, where)
                    continue
                value = values.get((area.id, col.field), cell_text(self.plan, area, col))
                texts.append((value if isinstance(value, str) else "", col.width))
                mark = marks.get((area.id, col.field))
                self.open_cell(r, c, value, mark[0] if mark else None, where)
                if mark:
                    note = _SEVERITY_PREFIX[mark[0]] + mark[1]
                    self.ws.write_comment(r, c, note, {"x_scale": 2, "y_scale": 2})
            # Heights are set because LibreOffice does not fit rows to wrapped text on opening.
            self.ws.set_row(r, max(row_height(texts), MIN_DATA_LINES * LINE_POINTS + 4))

    def validations(self) -> None:
        plan, ws = self.plan, self.ws
        first, last = self.first_row, self.last_row
        ex = example_date(plan.round.date)
        n_rag = max(len(plan.rag_scale), 1)
        n_dates = len(review_choices(plan.round.date))
        for c, col in enumerate(RETURN_COLUMNS):
            if not col.is_update:
                continue
            rule: dict[str, Any] = {
                "validate": "any",
                "input_title": _fit(col.header, _TITLE_LIMIT),
                "input_message": _fit(col.help, _MESSAGE_LIMIT),
            }
            if col.kind is Kind.RAG:
                rule |= {
                    "validate": "list",
                    "source": f"={LISTS_SHEET}!$A$1:$A${n_rag}",
                    "error_type": "stop",
                    "error_title": _fit(col.header, _TITLE_LIMIT),
                    "error_message": _fit(
                        f"Choose {_and_list(list(plan.rag_scale), 'or')} from the list, "
                        "or leave the cell empty.",
                        _MESSAGE_LIMIT,
                    ),
                }
            elif col.kind is Kind.REVIEW_DATE:
                # A list under a "stop" error would refuse a typed date, which is allowed, so
                # this column warns instead and says plainly that a typed date can be kept.
                rule |= {
                    "validate": "list",
                    "source": f"={LISTS_SHEET}!$B$1:$B${n_dates}",
                    "error_type": "warning",
                    "error_title": _fit(col.header, _TITLE_LIMIT),
                    "error_message": _fit(
                        f"That is not one of the months in the list. If you typed a date, like "
                        f"{ex}, that is fine: choose Yes (in LibreOffice, OK) to keep it. "
                        "Otherwise choose No, then pick a month or Not required.",
                        _MESSAGE_LIMIT,
                    ),
                }
            ws.data_validation(first, c, last, c, rule)
            if col.kind is Kind.RAG:
                self.rag_colours(c)
        for c, col in enumerate(RETURN_COLUMNS):
            if not col.is_update and col.kind is Kind.RAG:
                self.rag_colours(c)

    def rag_colours(self, c: int) -> None:
        for word, rag_fmt in self.fmt.rag.items():
            self.ws.conditional_format(
                self.first_row,
                c,
                self.last_row,
                c,
                {"type": "cell", "criteria": "==", "value": f'"{word}"', "format": rag_fmt},
            )

    def finish(self, password: str | None) -> None:
        ws, plan = self.ws, self.plan
        ws.freeze_panes(self.first_row, 1)
        print_setup(
            ws,
            title=plan.title,
            round_name=plan.round.name,
            marking=plan.protective_marking,
            repeat_row=self.header_row,
        )
        # A return is far wider than a page: one page wide would print at about 40%, too small
        # to read. Two pages wide, ID repeated, left half then right half of the same rows,
        # puts the plan text on one page and the agency's updates beside it on the next.
        ws.fit_to_pages(PAGES_WIDE, 0)
        ws.repeat_columns(0)
        ws.print_across()
        ws.protect(
            password or "",
            {
                "select_locked_cells": True,
                "select_unlocked_cells": True,
                "format_columns": True,  # resize columns to read long text
                "format_rows": True,
            },
        )
        ws.activate()


def _check_keys(issued: IssuedReturn, name: str, keys: Iterable[tuple[str, str]]) -> None:
    ids = {a.id for a in issued.areas}
    fields = {c.field for c in UPDATE_COLUMNS}
    for area_id, field in keys:
        if area_id not in ids or field not in fields:
            raise ReturnWriteError(
                f"Cannot set {name} for area {area_id}, field {field}: only the update cells "
                f"({', '.join(sorted(fields))}) of this return's areas can be set."
            )


def _lists_sheet(wb: xlsxwriter.Workbook, plan: Plan, password: str | None) -> None:
    ws = wb.add_worksheet(LISTS_SHEET)
    # The same cells `ipt check` expects to find there, from one definition.
    for ref, text in lists_values(plan, plan.round.date).items():
        ws.write_string(ref, text)
    ws.set_column(0, 1, 18)
    ws.protect(password or "")
    ws.hide()


def _manifest_sheet(
    wb: xlsxwriter.Workbook, issued: IssuedReturn, signature: str, password: str | None
) -> None:
    ws = wb.add_worksheet(MANIFEST_SHEET)
    ws.write_string(0, 0, MANIFEST_MARKER)
    ws.write_string(1, 0, signature)
    for r, chunk in enumerate(manifest_chunks(to_json(issued.manifest)), start=2):
        ws.write_string(r, 0, chunk)
    ws.protect(password or "")
    # Very hidden: not listed by Excel's Unhide. LibreOffice re-saves it as merely hidden, so
    # the reader finds this sheet by name.
    ws.very_hidden()


def write_return(
    plan: Plan,
    issued: IssuedReturn,
    signature: str,
    *,
    created: datetime,
    password: str | None = None,
    values: dict[tuple[str, str], object] | None = None,
    marks: dict[tuple[str, str], tuple[str, str]] | None = None,
) -> bytes:
    """Build one agency's return and give its bytes (the caller writes them atomically).

    `values` replaces what open cells hold, keyed by (area ID, field); `marks` highlights open
    cells with ("error" | "warning", message) and puts the message in a note on the cell.
    """
    values = values or {}
    marks = marks or {}
    _check_keys(issued, "a value", values)
    _check_keys(issued, "a mark", marks)
    bad = sorted({sev for sev, _ in marks.values()} - set(_SEVERITY_PREFIX))
    if bad:
        raise ReturnWriteError(f"Unknown mark severity {bad[0]!r}: use 'error' or 'warning'.")

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
    wb.set_properties(
        {
            "title": f"{plan.title}: return",
            "subject": f"{issued.agency.name}: {plan.round.name}",
            "author": plan.organisation,
            "company": plan.organisation,
            "comments": "Improvement plan return. Made by ipt_excel.",
            "created": created,
        }
    )
    writer = _Writer(wb, plan, issued)
    writer.title_block(feedback_notice(marks) if marks else "")
    writer.header()
    writer.rows(values, marks)
    writer.validations()
    writer.finish(password)
    _lists_sheet(wb, plan, password)
    _manifest_sheet(wb, issued, signature, password)
    wb.close()
    return buf.getvalue()


def area_row(issued: IssuedReturn, area: Area) -> int:
    """The 1-based Excel row an area is written on."""
    return issued.manifest.header_row + 1 + issued.areas.index(area)
