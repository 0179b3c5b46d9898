"""Colours and cell formats shared by every workbook writer.

Text/fill pairs are chosen for a contrast ratio of at least 4.5:1 (WCAG AA), because the
circulated master must be accessible; `contrast_ratio` lets the tests prove it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ipt_excel.core.text import EXCEL_CELL_LIMIT, excel_length

if TYPE_CHECKING:  # xlsxwriter loads only when a workbook is written
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook

FONT = "Arial"
FONT_SIZE = 10

# (fill, text) for each RAG word. GOV.UK palette where it has the colour.
RAG_COLOURS: dict[str, tuple[str, str]] = {
    "RED": ("#D4351C", "#FFFFFF"),
    "AMBER": ("#FFDD00", "#0B0C0C"),
    "GREEN": ("#00703C", "#FFFFFF"),
    "BLUE": ("#1D70B8", "#FFFFFF"),
}
HEADER = ("#0B0C0C", "#FFFFFF")
LOCKED = ("#F3F2F1", "#0B0C0C")  # the grey of plan text in a return
OPEN = ("#FFFFFF", "#0B0C0C")
CHANGED = ("#D2E2F1", "#0B0C0C")  # pale blue: changed this round
CONFLICT = ("#F6D7D2", "#0B0C0C")  # pale red: not applied, needs a decision
PROBLEM = ("#F6D7D2", "#0B0C0C")  # feedback: a cell to fix
WARNING = ("#FFF7BF", "#0B0C0C")  # feedback: worth a look, does not block
TITLE = ("#FFFFFF", "#0B0C0C")
BORDER = "#B1B4B6"


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class Formats:
    """The formats of one workbook, created once and shared by its sheets."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        base: dict[str, Any] = {"font_name": FONT, "font_size": FONT_SIZE, "valign": "top"}
        self._base = base
        self._props: dict[int, dict[str, Any]] = {}  # id(format) -> the properties it was made of
        self._variants: dict[tuple[int, str], Format] = {}
        self.text = self._add({**base, "text_wrap": True, "border": 1, "border_color": BORDER})
        self.id = wb.add_format(
            {**base, "num_format": "@", "bold": True, "border": 1, "border_color": BORDER}
        )
        self.header = self.fill(HEADER, bold=True, text_wrap=True)
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.subtitle = wb.add_format({**base, "bold": True, "font_size": 11})
        self.label = wb.add_format({**base, "bold": True, "text_wrap": True})
        self.plain = wb.add_format({**base, "text_wrap": True})
        self.date = wb.add_format({**base, "num_format": "d mmmm yyyy", "align": "left"})
        self.datetime = wb.add_format({**base, "num_format": "yyyy-mm-dd hh:mm", "align": "left"})
        self.locked = self.fill(LOCKED, text_wrap=True, locked=True)
        self.locked_id = self.fill(LOCKED, bold=True, num_format="@", locked=True)
        self.open = self.fill(OPEN, text_wrap=True, locked=False, num_format="@")
        self.open_date = self.fill(OPEN, locked=False, num_format="mmmm yyyy", align="left")
        self.changed = self.fill(CHANGED, text_wrap=True, border=2, border_color="#1D70B8")
        self.conflict = self.fill(CONFLICT, text_wrap=True, border=2, border_color="#D4351C")
        self.problem = self.fill(
            PROBLEM, text_wrap=True, locked=False, border=2, border_color="#D4351C"
        )
        self.warning = self.fill(
            WARNING, text_wrap=True, locked=False, border=2, border_color="#B58840"
        )
        self.rag = {word: self.fill(RAG_COLOURS[word], bold=True) for word in RAG_COLOURS}

    def fill(self, colours: tuple[str, str], **extra: Any) -> Format:
        bg, fg = colours
        return self._add(
            {
                **self._base,
                "bg_color": bg,
                "font_color": fg,
                "pattern": 1,
                "border": 1,
                "border_color": BORDER,
                **extra,
            }
        )

    def _add(self, props: dict[str, Any]) -> Format:
        made = self.wb.add_format(props)
        self._props[id(made)] = props
        return made

    def variant(self, fmt: Format, num_format: str) -> Format:
        """`fmt` showing its value with another number format (a date or number cell that is
        also highlighted as changed keeps showing a date or number)."""
        if num_format in ("", "@"):
            return fmt
        key = (id(fmt), num_format)
        if key not in self._variants:
            props = {**self._props.get(id(fmt), self._base), "num_format": num_format}
            props.pop("text_wrap", None)
            self._variants[key] = self._add({**props, "align": "left"})
        return self._variants[key]


def fits_in_cell(text: str, where: str) -> str:
    """Refuse text Excel would cut: xlsxwriter silently truncates at 32,767 characters."""
    # A character is at most two UTF-16 units: most texts need no counting.
    if 2 * len(text) <= EXCEL_CELL_LIMIT or excel_length(text) <= EXCEL_CELL_LIMIT:
        return text
    from ipt_excel.errors import CellTooLongError

    raise CellTooLongError(
        f"{where} has {excel_length(text):,} characters, but an Excel cell holds at most "
        f"{EXCEL_CELL_LIMIT:,}. Shorten it, or move the detail into a linked document."
    )


def header_footer_text(text: str) -> str:
    """Escape '&' for Excel header/footer codes."""
    return text.replace("&", "&&")


def fit_footer(title: str, limit: int) -> str:
    """Excel refuses headers/footers over 255 characters: shorten long plan titles."""
    return title if len(title) <= limit else title[: max(limit - 1, 0)].rstrip() + "…"


def print_setup(ws: Any, *, title: str, round_name: str, marking: str, repeat_row: int) -> None:
    """Landscape A4, fit to the page width, header row on every page, marked and numbered."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if repeat_row >= 0:
        ws.repeat_rows(repeat_row)
    if marking:
        ws.set_header(fit_code(lambda m: f'&C&"Arial,Bold"{m}', marking))
    ws.set_footer(footer_text(title, round_name, marking))


FOOTER_LIMIT = 255  # Excel refuses a header or footer longer than this, codes included
FOOTER_TITLE = 90  # characters of the plan title that fit left of the footer's middle


def fit_code(build: Any, text: str) -> str:
    """Shorten `text` until the escaped header/footer code built from it fits Excel's limit."""
    cut = len(text)
    while True:
        code: str = build(header_footer_text(fit_footer(text, cut)))
        if len(code) <= FOOTER_LIMIT or cut <= 1:
            return code
        cut -= max(1, (len(code) - FOOTER_LIMIT) // 2)


def footer_text(title: str, round_name: str, marking: str) -> str:
    """Title on the left, the marking and round in the middle, page numbers on the right."""
    middle = header_footer_text(round_name[:60])
    if marking:
        middle = f"{header_footer_text(marking[:40])}\n{middle}"
    # A long plan title would run into the middle section: keep it to what fits beside it.
    short = fit_footer(title, FOOTER_TITLE)
    return fit_code(lambda t: f"&L&8{t}&C&8{middle}&R&8Page &P of &N", short)


LINE_POINTS = 12.75  # one line of 10-point Arial
MAX_ROW_POINTS = 409.0  # Excel's largest row height


def row_height(cells: list[tuple[str, float]]) -> float:
    """Estimate the height a row needs so its wrapped text shows in full.

    Neither Excel nor LibreOffice reliably grows a row to fit wrapped text in a generated
    file, so the writers set heights themselves. `cells` is (text, column width) pairs.
    """
    lines = 1
    for text, width in cells:
        if not text:
            continue  # one line, as every row has
        per_line = int(max(width * 1.25 - 2, 1))
        if "\n" in text:
            n = sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))
        else:
            n = -(-len(text) // per_line)
        if n > lines:
            lines = n
    return min(lines * LINE_POINTS + 4, MAX_ROW_POINTS)
