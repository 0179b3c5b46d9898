"""The Summary sheet: RAG counts and the worst rating by theme, by agency and (for a plan
kept in action rows) by recommendation; last round, returns, and a chart.

Every block is a real Excel table with a header row, so the sheet reads well aloud.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ipt_excel.core.model import Plan
from ipt_excel.core.summary import RagCounts
from ipt_excel.excel.sheets import SUMMARY_SHEET, add_table
from ipt_excel.excel.styles import RAG_COLOURS, Formats, print_setup, row_height

if TYPE_CHECKING:
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    from ipt_excel.core.facts import MasterExtras

NO_RATING_COLOUR = "#B1B4B6"
RETURNS_ROW = 21  # below the chart


def _block(
    ws: Worksheet,
    fmt: Formats,
    row: int,
    title: str,
    name: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str | int]],
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
    for r, values in enumerate(rows, start=row + 2):
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


def summary_sheet(wb: xlsxwriter.Workbook, fmt: Formats, plan: Plan, extras: MasterExtras) -> None:
    ws = wb.add_worksheet(SUMMARY_SHEET)
    ws.set_column(0, 0, 48)
    ws.set_column(1, 8, 12)
    ws.write_string(0, 0, plan.title, fmt.title)
    ws.write_string(1, 0, f"{plan.round.name}, {plan.round.date:%d %B %Y}", fmt.subtitle)
    facts = extras.facts_for(plan)
    themes, agencies = facts.by_theme, facts.by_agency
    labels = list(themes.labels)
    t_first = 5  # first data row of the theme table (title at 3, header at 4)
    t_last = _block(
        ws,
        fmt,
        3,
        "RAG ratings by theme",
        "RagByTheme",
        ["Theme", *labels, "Total", "Worst rating"],
        _count_rows(themes),
    )
    a_last = _block(
        ws,
        fmt,
        t_last + 2,
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
        a_last = _block(
            ws,
            fmt,
            a_last + 2,
            "RAG ratings by recommendation",
            "RagByRecommendation",
            ["Recommendation", *labels, "Actions", "Worst rating"],
            recommendations,
        )
    last_round = facts.previous_counts
    totals: list[list[str | int]] = [
        [label, themes.total(label), last_round.get(label, 0) if last_round else "–"]
        for label in labels
    ]
    end = _block(
        ws, fmt, a_last + 2, "All areas", "AllAreas", ["RAG", "This round", "Last round"], totals
    )
    figures: list[list[str | int]] = [
        ["Areas with overdue actions (not GREEN)", len(facts.overdue)],
        ["Changes this round", facts.changes],
        ["Open conflicts", facts.open_conflicts],
    ]
    end = _block(ws, fmt, end + 2, "This round", "ThisRound", ["Measure", "Number"], figures)
    for title, name, counts, group in (
        ("RAG ratings by theme, last round", "LastRoundByTheme", facts.previous_by_theme, "Theme"),
        (
            "RAG ratings by agency, last round",
            "LastRoundByAgency",
            facts.previous_by_agency,
            "Agency",
        ),
    ):
        if counts is not None:
            end = _block(
                ws,
                fmt,
                end + 2,
                title,
                name,
                [group, *counts.labels, "Total", "Worst rating"],
                _count_rows(counts),
            )
    right = len(labels) + 4  # the chart's column; the returns table sits below the chart
    ws.set_column(right - 1, right - 1, 3)
    ws.set_column(right, right, 40)
    ws.set_column(right + 1, right + 1, 13)
    ws.set_column(right + 2, right + 2, 60)
    ws.set_column(right + 3, right + 3, 30)
    returns = [
        (a.name, a.state, a.detail, a.sign_off.text if a.sign_off else "") for a in facts.agencies
    ]
    if returns:
        for i, (_, _, detail, signed) in enumerate(returns, start=RETURNS_ROW + 2):
            ws.set_row(i, row_height([(detail, 60), (signed, 30)]))
        _block(
            ws,
            fmt,
            RETURNS_ROW,
            "Returns this round",
            "Returns",
            ["Agency", "State", "Detail", "Signed off by"],
            [list(r) for r in returns],
            first_col=right,
        )

    chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
    for c, label in enumerate(labels, start=1):
        chart.add_series(
            {
                "name": [SUMMARY_SHEET, 4, c],
                "categories": [SUMMARY_SHEET, t_first, 0, t_first + len(themes.rows) - 1, 0],
                "values": [SUMMARY_SHEET, t_first, c, t_first + len(themes.rows) - 1, c],
                "fill": {"color": RAG_COLOURS.get(label, (NO_RATING_COLOUR, ""))[0]},
                "border": {"color": "#0B0C0C"},
            }
        )
    chart.set_title({"name": "RAG ratings by theme"})
    chart.set_x_axis({"name": "Areas for improvement"})
    chart.set_legend({"position": "bottom"})
    ws.insert_chart(
        3,
        right,
        chart,
        {
            "x_scale": 1.3,
            "y_scale": 1.1,
            "description": "Stacked bar chart of the number of areas for improvement in each "
            "theme by RAG rating. The same figures are in the table 'RAG ratings by theme'.",
        },
    )
    print_setup(
        ws,
        title=plan.title,
        round_name=plan.round.name,
        marking=plan.protective_marking,
        repeat_row=-1,
    )
