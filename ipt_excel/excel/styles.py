"""Colours and cell formats shared by every workbook writer.

Text/fill pairs are chosen for a contrast ratio of at least 4.5:1 (WCAG AA), because the
circulated master must be accessible; `contrast_ratio` lets the tests prove it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
        # One line, cut at the cell's edge: a long code (a file hash) that is read back whole
        # but shown by its first characters, rather than wrapped into a row too short for it.
        self.one_line = self._add({**base, "border": 1, "border_color": BORDER})
        self.id = wb.add_format(
            {**base, "num_format": "@", "bold": True, "border": 1, "border_color": BORDER}
        )
        self.header = self.fill(HEADER, bold=True, text_wrap=True)
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.subtitle = wb.add_format({**base, "bold": True, "font_size": 11})
        self.label = wb.add_format({**base, "bold": True, "text_wrap": True})
        self.plain = wb.add_format({**base, "text_wrap": True})
        self.line = wb.add_format(dict(base))  # a line of text running on across empty cells
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


FOOTER_LIMIT = 255  # Excel refuses a header or footer longer than this, codes included
FOOTER_TITLE = 60  # characters of the plan title that fit left of the footer's middle, at
# 8 points in any font a machine may draw Arial with (a third of the page: 90 ran into it)


def fit_code(build: Any, text: str) -> str:
    """Shorten `text` until the escaped header/footer code built from it fits Excel's limit."""
    cut = len(text)
    while True:
        code: str = build(header_footer_text(fit_footer(text, cut)))
        if len(code) <= FOOTER_LIMIT or cut <= 1:
            return code
        cut -= max(1, (len(code) - FOOTER_LIMIT) // 2)


def footer_text(title: str, round_name: str, marking: str) -> str:
    """Title on the left, the marking and round in the middle, the sheet's name and page
    numbers on the right (on paper, "see the Conflicts sheet" can then be followed)."""
    middle = header_footer_text(round_name[:60])
    if marking:
        middle = f"{header_footer_text(marking[:40])}\n{middle}"
    # A long plan title would run into the middle section: keep it to what fits beside it.
    short = fit_footer(title, FOOTER_TITLE)
    return fit_code(lambda t: f"&L&8{t}&C&8{middle}&R&8&A, page &P of &N", short)


LINE_POINTS = 12.75  # one line of 10-point Arial
MAX_ROW_POINTS = 409.0  # Excel's largest row height

# How many characters of 10-point Arial fit in one unit of column width (the width of a digit).
# Measured: LibreOffice fits about 1.2 (regular) and 1.1 (bold) a unit, whichever font stands
# in for Arial; Excel draws a column slightly narrower for its text (7 pixels a unit), so the
# estimates below are a little under both, and a cell's text never runs out of its row.
CHARS_PER_UNIT = 1.15
BOLD_CHARS_PER_UNIT = 1.05


def line_count(text: str, width: float, *, bold: bool = False, size: float = FONT_SIZE) -> int:
    """The lines `text` wraps to in a column `width` wide: word by word, as Excel wraps, with
    a word longer than the line broken where it must be."""
    per_unit = (BOLD_CHARS_PER_UNIT if bold else CHARS_PER_UNIT) * FONT_SIZE / size
    room = max(int(width * per_unit) - 1, 1)
    if len(text) <= room and "\n" not in text:
        return 1  # most cells: short enough for one line, no need to wrap word by word
    lines = 0
    for part in text.split("\n"):
        lines += 1
        used = -1  # nothing on this line yet
        for word in part.split(" "):
            n = len(word)
            if used >= 0 and used + 1 + n <= room:
                used += 1 + n
                continue
            if used >= 0:
                lines += 1
            extra = (n - 1) // room if n > room else 0  # a word longer than a line
            lines += extra
            used = n - extra * room
            if lines > MAX_LINES:
                return lines
    return lines


MAX_LINES = int(MAX_ROW_POINTS // LINE_POINTS) + 1  # beyond this a row is as tall as it can be


def row_height(cells: list[tuple[str, float]], *, bold: bool = False) -> float:
    """The height a row needs so its wrapped text shows in full.

    Neither Excel nor LibreOffice reliably grows a row to fit wrapped text in a generated
    file, so the writers set heights themselves. `cells` is (text, column width) pairs.
    """
    lines = max((line_count(text, width, bold=bold) for text, width in cells), default=1)
    return min(max(lines, 1) * LINE_POINTS + 4, MAX_ROW_POINTS)


def header_height(headers: Sequence[str], widths: Sequence[float]) -> float:
    """The height of a header row (bold text) so every heading shows in full: "Date for
    completion" in a narrow column is two lines, not "Date for"."""
    return row_height(list(zip(headers, widths, strict=False)), bold=True)


# -- printing --------------------------------------------------------------------------------------
# Every sheet of every workbook prints on the same paper, A4 landscape, so a PDF of a workbook
# has one page size throughout. A sheet too wide for one page at a readable size prints across
# several, its first column (the ID) repeated on each.
PAPER_A4 = 9
PAGE_WIDTH = 841.89  # A4 landscape, in points
PAGE_HEIGHT = 595.28
SIDE_MARGIN = 0.25  # inches
TOP_MARGIN = 0.6  # inches, and the same at the bottom; header and footer sit inside them
PRINT_WIDTH = PAGE_WIDTH - 2 * SIDE_MARGIN * 72
PRINT_HEIGHT = PAGE_HEIGHT - 2 * TOP_MARGIN * 72
MIN_SCALE = 75  # percent: 10-point text never prints smaller than 7.5 points
MAX_PAGES_WIDE = 6


def column_points(width: float) -> float:
    """A column's printed width at 100%, as Excel draws it: 7 pixels a unit and 5 of padding,
    at 96 pixels an inch."""
    return 0.75 * (7 * width + 5)


@dataclass(frozen=True)
class Fit:
    """How a sheet prints across: on `pages` page widths at `scale` percent, each page width
    holding the repeated columns and then the columns in its band (0-based indexes)."""

    pages: int
    scale: int
    bands: tuple[tuple[int, ...], ...]


def bands_at(widths: Sequence[float], scale: int, repeat: int = 0) -> tuple[tuple[int, ...], ...]:
    """The columns on each page width at `scale`, filled left to right as Excel and LibreOffice
    fill them (a column too wide for any page still gets one of its own)."""
    room = PRINT_WIDTH * 100 / scale
    fixed = sum(column_points(w) for w in widths[:repeat])
    bands: list[list[int]] = [[]]
    used = fixed
    for i in range(repeat, len(widths)):
        w = column_points(widths[i])
        if bands[-1] and used + w > room:
            bands.append([])
            used = fixed
        bands[-1].append(i)
        used += w
    return tuple(tuple(b) for b in bands)


def fit_across(widths: Sequence[float], *, repeat: int = 0, pages: int | None = None) -> Fit:
    """The fewest page widths that print `widths` at `MIN_SCALE` or more (or exactly `pages`),
    and the largest scale, at most 100%, at which they fit that many."""

    def best(n: int) -> int:
        return next((s for s in range(100, 9, -1) if len(bands_at(widths, s, repeat)) <= n), 10)

    if pages is None:
        pages = next(
            (n for n in range(1, MAX_PAGES_WIDE + 1) if best(n) >= MIN_SCALE), MAX_PAGES_WIDE
        )
    scale = best(pages)
    bands = bands_at(widths, scale, repeat)
    return Fit(len(bands), scale, bands)


def fit_width(
    ws: Any,
    widths: Sequence[float],
    *,
    repeat: int = 1,
    pages: int | None = None,
    heights: Sequence[float] = (),
    header_row: int = 0,
) -> Fit:
    """Print `ws` as `fit_across` works out: fitted to that many page widths, the first
    `repeat` columns on every page width, and each band of rows printed across its pages
    before the next band, so a row reads from one page to the next.

    As tall as it takes, unless the rows (`heights`, every row from the first, the header at
    `header_row` repeated on each page) would leave a last page nearly empty: then fitted to
    one page fewer, when that takes the scale no lower than `WIDOW_SCALE`."""
    fit = fit_across(widths, repeat=repeat, pages=pages)
    tall = 0
    if heights:
        filled = paginate(heights, scale=fit.scale, header_row=header_row)
        room = PRINT_HEIGHT * 100 / fit.scale
        if len(filled) > 1 and filled[-1] < WIDOW * room:
            fewer = next(
                (
                    s
                    for s in range(fit.scale, min(WIDOW_SCALE, fit.scale) - 1, -1)
                    if len(paginate(heights, scale=s, header_row=header_row)) < len(filled)
                ),
                None,
            )
            if fewer is not None:
                tall = len(filled) - 1
    ws.fit_to_pages(fit.pages, tall)
    if fit.pages > 1:
        if repeat:
            ws.repeat_columns(0, repeat - 1)
        ws.print_across()
    return fit


WIDOW = 0.2  # a last page holding less than this share of a page is not worth a page
WIDOW_SCALE = MIN_SCALE - 5  # rather a little smaller than a page for a row or two


def paginate(heights: Sequence[float], *, scale: int, header_row: int = 0) -> list[float]:
    """How full each page is (points of rows) when rows of `heights` print at `scale`, a page
    at a time, the header row repeated at the top of each page after the first and a row
    never split (one taller than a page fills a page of its own)."""
    room = PRINT_HEIGHT * 100 / scale
    header = heights[header_row] if 0 <= header_row < len(heights) else 0.0
    pages: list[float] = []
    used = 0.0
    for r, h in enumerate(heights):
        if used and used + h > room:
            pages.append(used)
            used = header if r > header_row else 0.0
        used += h
    if used or not pages:
        pages.append(used)
    return pages


def print_setup(ws: Any, *, title: str, round_name: str, marking: str, repeat_row: int) -> None:
    """A4 landscape, the header row on every page, marked and numbered. How wide the sheet
    prints is set apart (`fit_width`), from its columns."""
    ws.set_landscape()
    ws.set_paper(PAPER_A4)
    ws.set_margins(left=SIDE_MARGIN, right=SIDE_MARGIN, top=TOP_MARGIN, bottom=TOP_MARGIN)
    if repeat_row >= 0:
        ws.repeat_rows(repeat_row)
    if marking:
        ws.set_header(fit_code(lambda m: f'&C&"Arial,Bold"{m}', marking))
    ws.set_footer(footer_text(title, round_name, marking))


def workbook_options() -> dict[str, Any]:
    """The options every workbook is made with, fresh each time (xlsxwriter adds to them)."""
    return {
        "in_memory": True,
        "strings_to_formulas": False,
        # Arial 10 as the workbook's own font, not Calibri 11: column widths are measured in
        # its digits, so a column holds the same text whatever font a machine draws Calibri
        # with (LibreOffice without Carlito draws a Calibri column a third wider).
        "default_format_properties": {"font_name": FONT, "font_size": FONT_SIZE},
        "default_row_height": 17,  # pixels: Arial 10's 12.75 points
    }


def wrap_lines(
    text: str, width: float, *, bold: bool = False, size: float = FONT_SIZE
) -> list[str]:
    """`text` cut into lines at spaces, each short enough for a band `width` units wide (for a
    title written a line a row, where a cell's text would run on past the band)."""
    per_unit = (BOLD_CHARS_PER_UNIT if bold else CHARS_PER_UNIT) * FONT_SIZE / size
    room = max(int(width * per_unit) - 1, 1)
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


# A font drawn in place of Arial may be wider (DejaVu Sans, LibreOffice's fallback, is a fifth
# wider): a sheet printed at a set scale leaves room for it, so no column spills onto a page.
FONT_HEADROOM = 1.25


def print_scale(bands: Sequence[float]) -> int:
    """The scale, at most 100%, at which the widest of `bands` (in points) fits a page width."""
    widest = max(bands, default=0.0) * FONT_HEADROOM
    return max(10, min(100, int(PRINT_WIDTH * 100 / widest))) if widest else 100


def page_breaks(
    heights: Sequence[float],
    starts: Sequence[int],
    *,
    scale: int,
    keep: Sequence[tuple[int, int]] = (),
    strict: bool = False,
) -> list[int] | None:
    """Rows to start a new page at, printing rows of `heights` at `scale`: only at `starts`
    (where a table starts), each page as full as it goes, and, where a page can end elsewhere,
    not inside a range in `keep` (first, last row). `strict`: None rather than cut a range
    in `keep`."""
    room = PRINT_HEIGHT * 100 / scale
    top = [0.0]
    for h in heights:
        top.append(top[-1] + h)
    candidates = sorted({s for s in starts if 0 < s < len(heights)})

    def splits(row: int) -> bool:
        return any(first < row <= last for first, last in keep)

    breaks: list[int] = []
    page = 0
    while top[-1] - top[page] > room:
        later = [c for c in candidates if c > page]
        if not later:
            break
        fitting = [c for c in later if top[c] - top[page] <= room]
        if not fitting:  # a table taller than a page: it breaks inside, then a new page
            fitting = later[:1]
        whole = [c for c in fitting if not splits(c)]
        if strict and not whole:
            return None
        page = max(whole or fitting)
        breaks.append(page)
    return breaks
