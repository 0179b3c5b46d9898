"""The Summary sheet: RAG counts and the worst rating by theme, by agency and (for a plan
kept in action rows) by recommendation; last round, returns, and a chart.

Every block is a real Excel table with a header row, so the sheet reads well aloud.

Two bands side by side: on the left the plan's title, the RAG tables and the chart, one
under another; on the right the returns this round. It prints on A4 landscape at full size,
each band on pages of its own (left, then right, then the left band's next page), with the
page breaks between the tables, so no table is cut off from its heading and no page holds a
lone row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ipt_excel.core.model import Plan
from ipt_excel.core.summary import RagCounts
from ipt_excel.core.text import long_date
from ipt_excel.excel.sheets import SUMMARY_SHEET, add_table
from ipt_excel.excel.styles import (
    FONT,
    FONT_SIZE,
    LINE_POINTS,
    MIN_SCALE,
    RAG_COLOURS,
    Formats,
    column_points,
    header_height,
    page_breaks,
    print_scale,
    print_setup,
    row_height,
    wrap_lines,
)

if TYPE_CHECKING:
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    from ipt_excel.core.facts import MasterExtras

NO_RATING_COLOUR = "#B1B4B6"
NAME_WIDTH = 40  # the left band's first column: theme, agency and recommendation names
COUNT_WIDTH = 11
GAP_WIDTH = 3
RETURNS_WIDTHS = (34, 12, 48, 24)  # the right band: agency, state, detail, signed off by
TITLE_SIZE = 14
TITLE_POINTS = 20.0
ONE_LINE = LINE_POINTS + 4
CHART_WIDTH, CHART_HEIGHT = 480, 288  # xlsxwriter's chart, in pixels, before scaling
CHART_SCALE = (1.3, 1.1)
CHART_POINTS = CHART_HEIGHT * CHART_SCALE[1] * 0.75


COLOUR_KEY = (
    "On the Plan sheet: pale blue, changed this round; pale red, a change awaiting a decision "
    "(see the Conflicts sheet)."
)


@dataclass
class _Layout:
    """Rows as they are placed: each row's height (the taller band decides), and the rows
    where a table starts, which is where a page may break."""

    heights: dict[int, float] = field(default_factory=dict)
    starts: list[int] = field(default_factory=list)

    def need(self, row: int, height: float) -> None:
        self.heights[row] = max(self.heights.get(row, 0.0), height)

    def height(self, row: int) -> float:
        return self.heights.get(row, ONE_LINE)


def _block(
    ws: Worksheet,
    fmt: Formats,
    layout: _Layout,
    row: int,
    title: str,
    name: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str | int]],
    widths: Sequence[float],
    first_col: int = 0,
) -> int:
    """A titled table at `row`. Returns the last row used."""
    ws.write_string(row, first_col, title, fmt.subtitle)
    add_table(
        ws,
        fmt,
        headers,
        len(rows),
        first_row=row + 1,
        first_col=first_col,
        name=name,
        autofilter=False,
    )
    layout.need(row, ONE_LINE)
    layout.need(row + 1, header_height(headers, widths))
    for r, values in enumerate(rows, start=row + 2):
        texts = [(str(v), w) for v, w in zip(values, widths, strict=False)]
        layout.need(r, row_height(texts))
        for c, value in enumerate(values, start=first_col):
            if isinstance(value, int):
                ws.write_number(r, c, value, fmt.text)
            else:
                ws.write_string(r, c, value, fmt.text)
    return row + 1 + max(len(rows), 1)


def _count_rows(counts: RagCounts) -> list[list[str | int]]:
    return [
        [name, *(by.get(label, 0) for label in counts.labels), sum(by.values()),
         _worst(counts.labels, by)]
        for name, by in counts.rows
    ]  # fmt: skip


def _worst(labels: Sequence[str], by: dict[str, int]) -> str:
    """The worst rating a group holds: the labels run worst first, "Not rated" last."""
    return next((label for label in labels if by.get(label)), "")


def summary_sheet(
    wb: xlsxwriter.Workbook,
    fmt: Formats,
    plan: Plan,
    extras: MasterExtras,
    *,
    circulation: bool = False,
) -> None:
    """The Summary. In the circulation copy the returns say what a board needs to know (a
    return sent back, with how many errors), never the fixes asked of an agency."""
    ws = wb.add_worksheet(SUMMARY_SHEET)
    facts = extras.facts_for(plan)
    themes, agencies = facts.by_theme, facts.by_agency
    labels = list(themes.labels)
    counts = len(labels) + 2  # the labels, the total and the worst rating
    left = [NAME_WIDTH, *([COUNT_WIDTH] * counts)]
    right = len(left) + 1  # the returns table's first column, beyond a narrow gap
    ws.set_column(0, 0, NAME_WIDTH)
    ws.set_column(1, counts, COUNT_WIDTH)
    ws.set_column(right - 1, right - 1, GAP_WIDTH)
    for c, w in enumerate(RETURNS_WIDTHS, start=right):
        ws.set_column(c, c, w)
    layout = _Layout()

    # The title, in as many rows as it takes to fit the left band (a cell's text would run on
    # over the returns; the circulation copy merges no cells).
    band = sum(left)
    title_lines = wrap_lines(plan.title, band, bold=True, size=TITLE_SIZE) or [""]
    for r, line in enumerate(title_lines):
        ws.write_string(r, 0, line, fmt.title)
        layout.need(r, TITLE_POINTS)
    sub = len(title_lines)
    ws.write_string(sub, 0, f"{plan.round.name}, {long_date(plan.round.date)}", fmt.subtitle)
    layout.need(sub, ONE_LINE)
    # What the Plan sheet's colours mean, in words: on paper there is no note to hover over.
    key_lines = wrap_lines(COLOUR_KEY, band)
    for r, line in enumerate(key_lines, start=sub + 1):
        ws.write_string(r, 0, line, fmt.line)
        layout.need(r, ONE_LINE)
    top = sub + len(key_lines) + 2

    # The right band first: its rows' heights decide the height of the rows beside them.
    returns = [
        [
            a.name,
            a.state,
            a.board_detail if circulation else a.detail,
            a.sign_off.text if a.sign_off else "",
        ]
        for a in facts.agencies
    ]
    returns_end = 0
    if returns:
        returns_end = _block(
            ws,
            fmt,
            layout,
            0,
            "Returns this round",
            "Returns",
            ["Agency", "State", "Detail", "Signed off by"],
            returns,
            RETURNS_WIDTHS,
            first_col=right,
        )

    def block(
        row: int, title: str, name: str, headers: Sequence[str], rows: list[list[str | int]]
    ) -> int:
        layout.starts.append(row)
        return _block(ws, fmt, layout, row, title, name, headers, rows, left)

    t_title = top
    t_last = block(
        t_title,
        "RAG ratings by theme",
        "RagByTheme",
        ["Theme", *labels, "Total", "Worst rating"],
        _count_rows(themes),
    )
    t_first = t_title + 2  # the theme table's first data row
    # The chart, under the theme table: the rows it covers, however tall the rows beside are.
    chart_row = t_last + 2
    layout.starts.append(chart_row)
    end, covered = chart_row, 0.0
    while covered < CHART_POINTS:
        covered += layout.height(end)
        end += 1
    _chart(wb, ws, themes, labels, t_first, chart_row)
    end = block(
        end + 1,
        "All areas",
        "AllAreas",
        ["RAG", "This round", "Last round"],
        [
            [
                label,
                themes.total(label),
                facts.previous_counts.get(label, 0) if facts.previous_counts else "–",
            ]
            for label in labels
        ],  # fmt: skip
    )
    figures: list[list[str | int]] = [
        ["Areas with overdue actions (not GREEN)", len(facts.overdue)],
        ["Changes this round", facts.changes],
        ["Open conflicts", facts.open_conflicts],
    ]
    end = block(end + 2, "This round", "ThisRound", ["Measure", "Number"], figures)
    end = block(
        end + 2,
        "RAG ratings by agency",
        "RagByAgency",
        ["Agency", *labels, "Total", "Worst rating"],
        _count_rows(agencies),
    )
    if facts.recommendations:
        recommendations: list[list[str | int]] = [
            [f"{r.id} {r.title}".strip(), *(r.counts.get(label, 0) for label in labels),
             sum(r.counts.values()), _worst(labels, r.counts)]
            for r in facts.recommendations
        ]  # fmt: skip
        end = block(
            end + 2,
            "RAG ratings by recommendation",
            "RagByRecommendation",
            ["Recommendation", *labels, "Actions", "Worst rating"],
            recommendations,
        )
    for title, name, previous, group in (
        ("RAG ratings by theme, last round", "LastRoundByTheme", facts.previous_by_theme, "Theme"),
        (
            "RAG ratings by agency, last round",
            "LastRoundByAgency",
            facts.previous_by_agency,
            "Agency",
        ),
    ):
        if previous is not None:
            end = block(
                end + 2,
                title,
                name,
                [group, *previous.labels, "Total", "Worst rating"],
                _count_rows(previous),
            )
    last = max(end, returns_end)
    heights = [layout.height(r) for r in range(last + 1)]
    for r, h in enumerate(heights):
        ws.set_row(r, h)

    print_setup(
        ws,
        title=plan.title,
        round_name=plan.round.name,
        marking=plan.protective_marking,
        repeat_row=-1,
    )
    # Each band on its own page widths, at full size when they fit. The left band's pages
    # break before a table; the returns table is kept whole beside the first page, printed a
    # little smaller if it must be, and only when even that is not enough is it cut, between
    # two rows where a table starts on the left.
    widest = print_scale([sum(map(column_points, left)), sum(map(column_points, RETURNS_WIDTHS))])
    starts, keep = layout.starts[1:], [(0, returns_end)]
    scale, breaks = widest, page_breaks(heights, starts, scale=widest, keep=keep) or []
    for smaller in range(widest, min(MIN_SCALE, widest) - 1, -1):
        whole = page_breaks(heights, starts, scale=smaller, keep=keep, strict=True)
        if whole is not None:
            scale, breaks = smaller, whole
            break
    ws.set_print_scale(scale)
    ws.set_v_pagebreaks([right])
    ws.set_h_pagebreaks(breaks)
    ws.print_across()


def _chart(
    wb: xlsxwriter.Workbook,
    ws: Worksheet,
    themes: RagCounts,
    labels: list[str],
    t_first: int,
    row: int,
) -> None:
    chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
    for c, label in enumerate(labels, start=1):
        chart.add_series(
            {
                "name": [SUMMARY_SHEET, t_first - 1, c],
                "categories": [SUMMARY_SHEET, t_first, 0, t_first + len(themes.rows) - 1, 0],
                "values": [SUMMARY_SHEET, t_first, c, t_first + len(themes.rows) - 1, c],
                "fill": {"color": RAG_COLOURS.get(label, (NO_RATING_COLOUR, ""))[0]},
                "border": {"color": "#0B0C0C"},
            }
        )
    # Arial, as the cells are, so the chart prints in the font the sheet does.
    font = {"name": FONT, "size": FONT_SIZE}
    chart.set_title({"name": "RAG ratings by theme", "name_font": {**font, "size": 12}})
    chart.set_x_axis({"name": "Areas for improvement", "name_font": font, "num_font": font})
    chart.set_y_axis({"num_font": font})
    chart.set_legend({"position": "bottom", "font": font})
    ws.insert_chart(
        row,
        0,
        chart,
        {
            "x_scale": CHART_SCALE[0],
            "y_scale": CHART_SCALE[1],
            "description": "Stacked bar chart of the number of areas for improvement in each "
            "theme by RAG rating. The same figures are in the table 'RAG ratings by theme'.",
        },
    )
