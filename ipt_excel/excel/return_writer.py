"""The return workbook an agency fills in: its own areas, plan text locked, four cells open.

Sheets, in order:

- ``What to fix`` (a feedback workbook only, first and active): every problem in words
  (excel/fix_sheet.py).
- ``Return``: a title block (who it is for, the plan, when and to whom to send it, how to fill
  it in), the sign-off block above the update columns where the manifest puts it (locked
  labels, four open cells), then the header row at the row the manifest gives, then one row
  per area. Plan text is locked and grey; the update cells are open and white, with dropdowns
  for RAG and the date of next review. The sheet is protected; columns and rows can still be
  resized.
- ``Lists`` (hidden): the dropdown values, referenced by range rather than inlined, because
  an inline list is limited to 255 characters and LibreOffice handles ranges more reliably.
- ``_manifest`` (very hidden): A1 a marker, A2 the signature, A3 onwards the manifest JSON
  in chunks short enough for an Excel cell. The signing key is never written.

Every text is written with write_string, so nothing an agency or a plan says is ever a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from ipt_excel.core.columns import Kind
from ipt_excel.core.fix_list import Fix
from ipt_excel.core.kinds import (
    CellSpec,
    KindContext,
    cell_spec,
    cell_text,
    review_choices,
    write_value,
)
from ipt_excel.core.manifest import to_json
from ipt_excel.core.model import EXCEL_CELL_LIMIT, Area, Plan, excel_length
from ipt_excel.core.return_title import (
    FEEDBACK_ERRORS,
    FEEDBACK_WARNINGS,
    title_lines,
    with_notice,
)
from ipt_excel.core.rounds import (
    LISTS_SHEET,
    MANIFEST_MARKER,
    MANIFEST_SHEET,
    RETURN_SHEET,
    IssuedReturn,
    lists_layout,
    lists_values,
    locked_values,
    scale_of,
)
from ipt_excel.core.sign_off import (
    CONFIRMED,
    DATE,
    FIELDS,
    HEADING,
    LIST_KEY,
    NAME,
    ROLE,
    input_message,
    split_address,
)
from ipt_excel.core.text import long_date
from ipt_excel.errors import ReturnWriteError
from ipt_excel.excel.fix_sheet import fix_sheet
from ipt_excel.excel.styles import (
    FONT,
    FONT_SIZE,
    LINE_POINTS,
    LOCKED,
    OPEN,
    PROBLEM,
    WARNING,
    Formats,
    fit_across,
    fit_width,
    header_height,
    line_count,
    print_setup,
    row_height,
    workbook_options,
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
_INPUT_TITLES = {NAME: "Completed by", ROLE: "Role", DATE: "Date", CONFIRMED: "Confirm"}
MIN_DATA_LINES = 2  # room to start typing in an empty update cell
PAGES_WIDE = 2  # printed width of the Return sheet, in pages
TITLE_SIZE = 14  # the first line of the title block, as Formats.title has it


def feedback_notice(marks: Iterable[tuple[str, str]], fixes: Sequence[Fix] = ()) -> str:
    """The line that tells an agency its return has come back to it, and what to do:
    `marks` are the (severity, message) of the cells marked, `fixes` the What to fix rows."""
    if any(f.must for f in fixes) or any(sev == "error" for sev, _ in marks):
        return FEEDBACK_ERRORS
    return FEEDBACK_WARNINGS


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def manifest_chunks(text: str, limit: int = MANIFEST_CHUNK) -> list[str]:
    """Cut `text` into pieces of at most `limit` UTF-16 units (what Excel counts)."""
    if not text or max(text) <= "\uffff":  # every character one unit: plain slices
        return [text[i : i + limit] for i in range(0, len(text), limit)] or [""]
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


# A cell marked for feedback: its fill and the colour of its border, by severity.
_MARKS = {"error": (PROBLEM, "#D4351C"), "warning": (WARNING, "#B58840")}


class _Writer:
    """One return being written: the workbook, its formats and the Return sheet."""

    def __init__(
        self,
        wb: xlsxwriter.Workbook,
        plan: Plan,
        issued: IssuedReturn,
        fixes: Sequence[Fix] = (),
        password: str | None = None,
    ) -> None:
        self.wb = wb
        self.plan = plan
        self.issued = issued
        self.fmt = Formats(wb)
        self.fixes = tuple(fixes)
        if fixes:  # a feedback workbook opens on its list of what to fix
            fix_sheet(wb, self.fmt, plan, issued, self.fixes, password)
        # A plain, unwrapped line for the title block, so long lines overflow rather than wrap.
        self.line = wb.add_format({"font_name": FONT, "font_size": FONT_SIZE})
        self.wrapped_line = wb.add_format(
            {"font_name": FONT, "font_size": FONT_SIZE, "text_wrap": True, "valign": "top"}
        )
        self.wrapped_title = wb.add_format(
            {"font_name": FONT, "font_size": TITLE_SIZE, "bold": True, "text_wrap": True,
             "valign": "top"}
        )  # fmt: skip
        self._open_formats: dict[tuple[str, str], Format] = {}
        self.layout = issued.layout
        self.kind_ctx = KindContext(
            rag_scale=scale_of(issued.manifest, plan), round_date=plan.round.date
        )
        self.ws: Worksheet = wb.add_worksheet(RETURN_SHEET)
        self.header_row = issued.manifest.header_row - 1  # 0-based
        self.first_row = self.header_row + 1
        self.last_row = self.header_row + max(len(issued.areas), 1)
        self.heights: dict[int, float] = {}  # rows given a height, by 0-based row

    def set_row(self, row: int, height: float) -> None:
        """A row's height, kept to work out how the sheet prints."""
        self.heights[row] = height
        self.ws.set_row(row, height)

    def put(self, row: int, col: int, text: str, fmt: Format, where: str) -> None:
        self._fits(text, where)
        self.ws.write_string(row, col, text, fmt)

    def _fits(self, text: str, where: str) -> None:
        # A character is at most two UTF-16 units: most texts need no counting.
        if 2 * len(text) > EXCEL_CELL_LIMIT and excel_length(text) > EXCEL_CELL_LIMIT:
            raise ReturnWriteError(
                f"{where} is longer than Excel allows in one cell ({EXCEL_CELL_LIMIT:,} "
                "characters). Shorten it in the plan, then issue the return again."
            )

    def title_block(self, notice: str = "") -> None:
        # The lines the manifest says were issued (a version 1 or 2 return: made again).
        issued = self.issued.manifest.title or title_lines(
            self.plan, self.issued.agency, self.layout.open
        )
        lines = with_notice(issued, notice)
        if len(lines) >= self.header_row:
            raise ReturnWriteError(
                f"The title block needs {len(lines) + 1} rows above the header, but the "
                f"manifest puts the header at row {self.header_row + 1}."
            )
        # Column B, not A: column A is frozen, and Excel clips text at a frozen pane's edge.
        # A line longer than the first page is wide wraps within it (its cells merged), so no
        # word of it is left to print alone on the page beside.
        widths = [col.width for col in self.layout.columns]
        first_page = fit_across(widths, repeat=1, pages=PAGES_WIDE).bands[0]
        room = sum(widths[c] for c in first_page)
        for r, text in enumerate(lines):
            size = TITLE_SIZE if r == 0 else FONT_SIZE
            fmt = self.fmt.title if r == 0 else self.line
            n = line_count(text, room, bold=r == 0, size=size)
            if n > 1 and len(first_page) > 1:
                fmt = self.wrapped_title if r == 0 else self.wrapped_line
                self.ws.merge_range(r, 1, r, first_page[-1], "", fmt)
            else:
                n = 1
            if n > 1 or size != FONT_SIZE:
                self.set_row(r, n * LINE_POINTS * size / FONT_SIZE + 4)
            self.put(r, 1, text, fmt, "The plan title")

    def header(self) -> None:
        columns = self.layout.columns
        for c, col in enumerate(columns):
            self.ws.set_column(c, c, col.width)
            self.ws.write_string(self.header_row, c, col.header, self.fmt.header)
        self.set_row(
            self.header_row, header_height([c.header for c in columns], [c.width for c in columns])
        )

    def locked_mark_format(self, severity: str) -> Format:
        """A plan-text cell marked for feedback: locked and grey as ever, with the mark's
        coloured border, so the cell a note is about is the one outlined."""
        key = (severity, "locked")
        if key not in self._open_formats:
            edge = _MARKS[severity][1]
            self._open_formats[key] = self.fmt.fill(
                LOCKED, text_wrap=True, locked=True, border=2, border_color=edge
            )
        return self._open_formats[key]

    def open_format(self, severity: str | None, num_format: str) -> Format:
        """An open cell's format: white, or marked for feedback, always keeping the column's
        number format, so text typed again stays text and a date stays a date."""
        key = (severity or "open", num_format)
        if key not in self._open_formats:
            extra: dict[str, Any] = {"locked": False, "num_format": num_format}
            extra |= {"text_wrap": True} if num_format == "@" else {"align": "left"}
            if severity is None:
                made = self.fmt.fill(OPEN, **extra)
            else:
                colours, edge = _MARKS[severity]
                made = self.fmt.fill(colours, border=2, border_color=edge, **extra)
            self._open_formats[key] = made
        return self._open_formats[key]

    def open_cell(
        self, row: int, col: int, value: object, spec: CellSpec, severity: str | None, where: str
    ) -> None:
        ws = self.ws
        if isinstance(value, datetime | date):
            fmt = self.open_format(
                severity, spec.num_format if spec.write_as == "date" else "dd/mm/yyyy"
            )
            ws.write_datetime(row, col, value, fmt)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number_format = spec.num_format if spec.write_as == "number" else "General"
            ws.write_number(row, col, value, self.open_format(severity, number_format))
        else:
            text = "" if value is None else str(value)
            self.put(row, col, text, self.open_format(severity, spec.num_format), where)

    def rows(
        self,
        values: dict[tuple[str, str], object],
        marks: dict[tuple[str, str], tuple[str, str]],
    ) -> None:
        fmt, layout = self.fmt, self.layout
        key = self.issued.agency.key
        specs = {c.key: cell_spec(c, self.kind_ctx) for c in layout.open}
        write_string = self.ws.write_string
        for r, area in enumerate(self.issued.areas, start=self.first_row):
            locked = iter(locked_values(self.plan, area, key, layout))
            texts: list[tuple[str, float]] = []
            for c, col in enumerate(layout.columns):
                if not col.update:
                    cell_fmt = fmt.locked_id if col.kind is Kind.ID else fmt.locked
                    text = next(locked)
                    texts.append((text, col.width))
                    if 2 * len(text) > EXCEL_CELL_LIMIT:  # only then say where
                        self._fits(text, f"Area {area.id}, {col.header}")
                    mark = marks.get((area.id, col.key))
                    if mark:  # plan text put back (feedback): still locked and grey, outlined
                        cell_fmt = self.locked_mark_format(mark[0])
                    write_string(r, c, text, cell_fmt)
                    if mark:
                        note = _SEVERITY_PREFIX[mark[0]] + mark[1]
                        self.ws.write_comment(r, c, note, {"x_scale": 2, "y_scale": 2})
                    continue
                where = f"Area {area.id}, {col.header}"
                value = values.get((area.id, col.key), write_value(col, area.value(col.key)))
                if specs[col.key].write_as == "text" and isinstance(value, int | float):
                    value = cell_text(col, value)  # a text cell (a percentage) holds text
                texts.append((value if isinstance(value, str) else "", col.width))
                mark = marks.get((area.id, col.key))
                self.open_cell(r, c, value, specs[col.key], mark[0] if mark else None, where)
                if mark:
                    note = _SEVERITY_PREFIX[mark[0]] + mark[1]
                    self.ws.write_comment(r, c, note, {"x_scale": 2, "y_scale": 2})
            # Heights are set because LibreOffice does not fit rows to wrapped text on opening.
            self.set_row(r, max(row_height(texts), MIN_DATA_LINES * LINE_POINTS + 4))

    def sign_off(self, values: Mapping[str, object], marks: Mapping[str, tuple[str, str]]) -> None:
        """The sign-off block, where the manifest puts it: locked labels, open cells."""
        block = self.issued.manifest.sign_off
        if block is None:
            return
        base = {"font_name": FONT, "font_size": FONT_SIZE}
        label = self.wb.add_format({**base, "align": "right", "bold": True})
        heading = self.wb.add_format({**base, "bold": True, "font_size": 11})
        for address, text in block.labels:
            row, col = split_address(address)
            self.put(row - 1, col, text, heading if text == HEADING else label, "The sign-off")
        issued_on = datetime.fromisoformat(self.issued.manifest.issued_at).date()
        lists = self.lists()
        for field, address in block.cells:
            row, col = split_address(address)
            mark = marks.get(field)
            severity = mark[0] if mark else None
            value = values.get(field, "")
            num_format = "dd/mm/yyyy" if field == DATE else "@"
            if isinstance(value, datetime | date):
                self.ws.write_datetime(row - 1, col, value, self.open_format(severity, num_format))
            elif isinstance(value, int | float) and not isinstance(value, bool):
                self.ws.write_number(row - 1, col, value, self.open_format(severity, num_format))
            elif value is None or value == "":
                self.ws.write_blank(row - 1, col, None, self.open_format(severity, num_format))
            else:
                fmt = self.open_format(severity, num_format)
                self.put(row - 1, col, str(value), fmt, "The sign-off")
            if mark:
                note = _SEVERITY_PREFIX[mark[0]] + mark[1]
                self.ws.write_comment(row - 1, col, note, {"x_scale": 2, "y_scale": 2})
            rule: dict[str, Any] = {
                "validate": "any",
                "input_title": _INPUT_TITLES[field],
                "input_message": _fit(input_message(field, issued_on), _MESSAGE_LIMIT),
            }
            if field == DATE:
                rule |= {
                    "validate": "date",
                    "criteria": "between",
                    "minimum": issued_on,
                    "maximum": date(9999, 12, 31),
                    "error_type": "stop",
                    "error_title": "Date",
                    "error_message": f"Type the date the return was completed, like "
                    f"{issued_on:%d/%m/%Y}. It cannot be before the return was sent out, on "
                    f"{long_date(issued_on)}.",
                }
            elif field == CONFIRMED:
                letter, choices = lists[LIST_KEY]
                rule |= {
                    "validate": "list",
                    "source": f"={LISTS_SHEET}!${letter}$1:${letter}${len(choices)}",
                    "error_type": "stop",
                    "error_title": "Confirm",
                    "error_message": "Choose Yes or No from the list.",
                }
            self.ws.data_validation(row - 1, col, row - 1, col, rule)
        assert tuple(f for f, _ in block.cells) == FIELDS

    def lists(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        m = self.issued.manifest
        return lists_layout(
            m.columns,
            self.kind_ctx.rag_scale,
            self.kind_ctx.round_date,
            sign_off=m.sign_off is not None,
        )

    def validations(self) -> None:
        ws, layout = self.ws, self.layout
        first, last = self.first_row, self.last_row
        lists = self.lists()
        for c, col in enumerate(layout.columns):
            if not col.update:
                if col.kind is Kind.RAG:
                    self.rag_colours(c)
                continue
            spec = cell_spec(col, self.kind_ctx)
            rule: dict[str, Any] = {
                "validate": "any",
                "input_title": _fit(col.header, _TITLE_LIMIT),
                "input_message": _fit(spec.input_message, _MESSAGE_LIMIT),
            }
            if spec.validation:
                rule |= dict(spec.validation)
                rule["error_title"] = _fit(col.header, _TITLE_LIMIT)
                rule["error_message"] = _fit(str(rule.get("error_message", "")), _MESSAGE_LIMIT)
                if rule["validate"] == "list":
                    # By range on the hidden Lists sheet: an inline list breaks over 255
                    # characters and splits at commas.
                    letter, values = lists[col.key]
                    rule["source"] = f"={LISTS_SHEET}!${letter}$1:${letter}${max(len(values), 1)}"
            ws.data_validation(first, c, last, c, rule)
            if col.kind is Kind.RAG:
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
        heights = [self.heights.get(r, LINE_POINTS) for r in range(self.last_row + 1)]
        fit_width(
            ws,
            [col.width for col in self.layout.columns],
            repeat=1,
            pages=PAGES_WIDE,
            heights=heights,
            header_row=self.header_row,
        )
        ws.protect(
            password or "",
            {
                "select_locked_cells": True,
                "select_unlocked_cells": True,
                "format_columns": True,  # resize columns to read long text
                "format_rows": True,
            },
        )
        if not self.fixes:
            ws.activate()


def _check_keys(
    issued: IssuedReturn, name: str, keys: Iterable[tuple[str, str]], *, locked: bool = False
) -> None:
    """Every key an area of the return and one of its update columns (or, with `locked`, any
    column but the ID: a mark may sit on plan text that was put back)."""
    ids = {a.id for a in issued.areas}
    open_keys = {c.key for c in issued.layout.open}
    allowed = open_keys | (
        {c.key for c in issued.layout.locked if c.kind is not Kind.ID} if locked else set()
    )
    for area_id, key in keys:
        if area_id not in ids or key not in allowed:
            raise ReturnWriteError(
                f"Cannot set {name} for area {area_id}, column {key}: only the update cells "
                f"({', '.join(sorted(open_keys))}) of this return's areas can be set."
            )


def _lists_sheet(
    wb: xlsxwriter.Workbook, plan: Plan, issued: IssuedReturn, password: str | None
) -> None:
    ws = wb.add_worksheet(LISTS_SHEET)
    # The same cells `ipt check` expects to find there, from one definition.
    scale = scale_of(issued.manifest, plan)
    m = issued.manifest
    sign_off = m.sign_off is not None
    for ref, text in lists_values(m.columns, scale, plan.round.date, sign_off=sign_off).items():
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
    sign_off: Mapping[str, object] | None = None,
    sign_off_marks: Mapping[str, tuple[str, str]] | None = None,
    fixes: Sequence[Fix] = (),
) -> bytes:
    """Build one agency's return and give its bytes (the caller writes them atomically).

    `values` replaces what open cells hold, keyed by (area ID, column key); `marks` highlights open
    cells with ("error" | "warning", message) and puts the message in a note on the cell.
    `sign_off` and `sign_off_marks` do the same for the sign-off's cells, by field ("name",
    "role", "date", "confirmed"). `fixes` makes it a feedback workbook that opens on a
    "What to fix" sheet listing them.
    """
    values = values or {}
    marks = marks or {}
    _check_keys(issued, "a value", values)
    _check_keys(issued, "a mark", marks, locked=True)
    sign_off_marks = sign_off_marks or {}
    unknown = sorted((set(sign_off or {}) | set(sign_off_marks)) - set(FIELDS))
    if unknown:
        raise ReturnWriteError(
            f"Cannot set the sign-off's {unknown[0]!r}: use {', '.join(FIELDS)}."
        )
    if (sign_off or sign_off_marks) and issued.manifest.sign_off is None:
        raise ReturnWriteError("Cannot set the sign-off of a return that has none.")
    severities = [sev for sev, _ in (*marks.values(), *sign_off_marks.values())]
    bad = sorted(set(severities) - set(_SEVERITY_PREFIX))
    if bad:
        raise ReturnWriteError(f"Unknown mark severity {bad[0]!r}: use 'error' or 'warning'.")

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, workbook_options())
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
    writer = _Writer(wb, plan, issued, fixes, password)
    notice = ""
    if fixes or marks or sign_off_marks:
        notice = feedback_notice([*marks.values(), *sign_off_marks.values()], fixes)
    writer.title_block(notice)
    writer.header()
    writer.rows(values, marks)
    writer.sign_off(sign_off or {}, sign_off_marks)
    writer.validations()
    writer.finish(password)
    _lists_sheet(wb, plan, issued, password)
    _manifest_sheet(wb, issued, signature, password)
    wb.close()
    return buf.getvalue()


def area_row(issued: IssuedReturn, area: Area) -> int:
    """The 1-based Excel row an area is written on."""
    return issued.manifest.header_row + 1 + issued.areas.index(area)
