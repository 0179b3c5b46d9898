"""The "What to fix" sheet a feedback workbook opens on: every problem in words, to print.

One row per problem (core/fix_list.py): "Must fix" or "Check" in words as well as colour,
the cell (a link to it on the Return sheet), the column, the area, what is wrong and what to
do. Printed landscape on A4, one page wide, its header row on every page. Protected, like
the rest of the return; `ipt check` ignores what it holds on a return sent back as feedback.
"""

from __future__ import annotations

from collections.abc import Sequence

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from ipt_excel.core.fix_list import FIX_HEADERS, FIX_SHEET, Fix, counts_line
from ipt_excel.core.model import Plan
from ipt_excel.core.rounds import RETURN_SHEET, IssuedReturn
from ipt_excel.excel.styles import (
    FONT,
    FONT_SIZE,
    LINE_POINTS,
    PROBLEM,
    WARNING,
    Formats,
    fit_width,
    header_height,
    print_setup,
    row_height,
)

WIDTHS = (11.0, 9.0, 20.0, 8.0, 50.0, 50.0)
TITLE_POINTS = 20.0
HEADER_ROW = 3  # 0-based: title, the line under it, a blank row, then the table


def fix_sheet(
    wb: xlsxwriter.Workbook,
    fmt: Formats,
    plan: Plan,
    issued: IssuedReturn,
    fixes: Sequence[Fix],
    password: str | None,
) -> Worksheet:
    """Add the sheet (call it first, so it is the workbook's first sheet) and make it the
    sheet the workbook opens on."""
    ws = wb.add_worksheet(FIX_SHEET)
    m = issued.manifest
    for c, width in enumerate(WIDTHS):
        ws.set_column(c, c, width)
    ws.write_string(0, 0, "What to fix", fmt.title)
    ws.set_row(0, TITLE_POINTS)  # 14-point text: a row of the default height would clip it
    ws.write_string(
        1,
        0,
        f"{issued.agency.name}: {m.round_name}. {counts_line(fixes)} Make each change on the "
        f"Return sheet, then save the file and send it back.",
        wb.add_format({"font_name": FONT, "font_size": FONT_SIZE}),
    )
    for c, heading in enumerate(FIX_HEADERS):
        ws.write_string(HEADER_ROW, c, heading, fmt.header)
    # The rows above the table at their default heights (the title a little taller).
    heights = [
        TITLE_POINTS,
        *([LINE_POINTS] * (HEADER_ROW - 1)),
        header_height(FIX_HEADERS, WIDTHS),
    ]
    ws.set_row(HEADER_ROW, heights[-1])
    must = fmt.fill(PROBLEM, bold=True, text_wrap=True)
    check = fmt.fill(WARNING, bold=True, text_wrap=True)
    for r, fix in enumerate(fixes, start=HEADER_ROW + 1):
        texts = (fix.label, fix.where, fix.column, fix.area_id, fix.wrong, fix.to_do)
        heights.append(row_height([(t, w) for t, w in zip(texts, WIDTHS, strict=True)]))
        ws.set_row(r, heights[-1])
        ws.write_string(r, 0, fix.label, must if fix.must else check)
        if fix.cell and fix.sheet in ("", RETURN_SHEET):
            ws.write_url(r, 1, f"internal:'{RETURN_SHEET}'!{fix.cell}", fmt.text, fix.where)
        else:
            ws.write_string(r, 1, fix.where, fmt.text)
        for c, text in enumerate(texts[2:], start=2):
            ws.write_string(r, c, text, fmt.text)
    print_setup(
        ws,
        title=plan.title,
        round_name=m.round_name,
        marking=plan.protective_marking,
        repeat_row=HEADER_ROW,
    )
    # One page wide, as tall as it takes (a last page of a row or two is taken back).
    fit_width(ws, WIDTHS, repeat=0, pages=1, heights=heights, header_row=HEADER_ROW)
    ws.freeze_panes(HEADER_ROW + 1, 0)
    ws.protect(
        password or "",
        {
            "select_locked_cells": True,
            "select_unlocked_cells": True,
            "format_columns": True,
            "format_rows": True,
        },
    )
    ws.activate()
    return ws
