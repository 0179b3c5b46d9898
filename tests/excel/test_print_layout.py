"""How every workbook prints: the layout arithmetic, then the settings read back with openpyxl.

One paper size and orientation per workbook (A4 landscape), the Plan across two page widths
with its ID repeated and its text at 75% or more, header rows as tall as their headings, a
Summary laid out for print (no table cut from its heading, the returns kept whole), no list
sheet with a lone row on its last page, return titles that fit their first page, short
hashes and agency names on the Changes sheet, and board wording in the circulation copy.
What LibreOffice makes of it is in tests/services/test_print_libreoffice.py.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from golden.regenerate import CREATED, KEY, issued_for, small_plan
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.worksheet import Worksheet
from plans import make_area

from ipt_excel.core.facts import MasterExtras, rejected_for_board, round_facts
from ipt_excel.core.manifest import sign
from ipt_excel.core.records import IssuedRecord
from ipt_excel.core.rounds import RETURN_SHEET
from ipt_excel.excel.master_writer import master_columns, write_master
from ipt_excel.excel.return_writer import PAGES_WIDE, write_return
from ipt_excel.excel.styles import (
    LINE_POINTS,
    MIN_SCALE,
    PRINT_HEIGHT,
    PRINT_WIDTH,
    bands_at,
    column_points,
    fit_across,
    header_height,
    line_count,
    page_breaks,
    paginate,
    print_scale,
    wrap_lines,
)
from ipt_excel.services.demo import DemoResult, run_demo
from ipt_excel.services.plan_source import example_plan_path, load_plan
from ipt_excel.workspace.ledger import Ledger

A4 = 9
PIXEL = 0.75  # points
# What a reader would call a lone row: a last page less than a fifth full, when printing 5%
# smaller than the smallest readable scale would have avoided it. Set here, not taken from
# the code under test, so changing the code's own thresholds fails these tests.
NEARLY_EMPTY = 0.2
SMALLEST = MIN_SCALE - 5
TABLE_SHEETS = ("Plan", "Agency updates", "Changes", "Conflicts", "Agencies", "Glossary")


# -- wrapping --------------------------------------------------------------------------------------
def test_a_heading_too_long_for_its_column_takes_two_lines() -> None:
    # The header row that printed "Date for" and cut off "completion".
    assert line_count("Date for completion", 13, bold=True) == 2
    assert header_height(["ID", "Date for completion"], [6, 13]) >= 2 * LINE_POINTS
    assert header_height(["ID", "RAG"], [6, 9]) < 2 * LINE_POINTS


def test_lines_break_between_words_and_inside_a_word_too_long_for_a_line() -> None:
    assert line_count("", 10) == 1
    assert line_count("a\nb\n\nc", 40) == 4
    assert line_count("one two three", 40) == 1
    assert line_count("x" * 50, 10) == 5  # 10 units hold 10 characters
    assert line_count("word " * 30, 10) > line_count("word " * 30, 30)
    assert line_count("Bold text takes more room than plain", 15, bold=True) >= line_count(
        "Bold text takes more room than plain", 15
    )
    assert line_count("A title at fourteen point", 30, size=14) > line_count(
        "A title at fourteen point", 30
    )


@settings(max_examples=60)
@given(st.text(alphabet="ab \n", max_size=300), st.floats(min_value=1, max_value=120))
def test_wider_columns_never_need_more_lines(text: str, width: float) -> None:
    assert 1 <= line_count(text, width * 2) <= line_count(text, width)
    assert line_count(text + " " + text, width) >= line_count(text, width)


@settings(max_examples=60)
@given(st.text(alphabet="abc -", max_size=300), st.floats(min_value=4, max_value=120))
def test_title_lines_keep_every_word_and_fit_their_band(text: str, width: float) -> None:
    lines = wrap_lines(text, width, bold=True, size=14)
    assert " ".join(lines).split() == text.split()
    for line in lines:
        assert " " not in line or line_count(line, width, bold=True, size=14) == 1


# -- page widths -----------------------------------------------------------------------------------
def test_column_points_are_excels() -> None:
    assert column_points(10) == pytest.approx(56.25)  # 75 pixels at 96 an inch


def test_the_plan_fits_two_page_widths_at_a_readable_scale() -> None:
    widths = [c.width for c in master_columns(load_plan(example_plan_path()).columns)]
    fit = fit_across(widths, repeat=1)
    assert fit.pages == 2
    assert MIN_SCALE <= fit.scale <= 100
    # Every column but the repeated ID on exactly one page width, in order, and each page
    # width (the ID with its band) no wider than the paper at that scale.
    assert [c for band in fit.bands for c in band] == list(range(1, len(widths)))
    for band in fit.bands:
        printed = column_points(widths[0]) + sum(column_points(widths[c]) for c in band)
        assert printed * fit.scale / 100 <= PRINT_WIDTH
    # One percent larger and two page widths are not enough.
    assert len(bands_at(widths, fit.scale + 1, repeat=1)) > 2 or fit.scale == 100


def test_a_narrow_sheet_is_one_page_wide_at_full_size_and_a_very_wide_one_takes_more() -> None:
    assert fit_across([10, 20, 30]) == fit_across([10, 20, 30], pages=1)
    assert fit_across([10, 20, 30]).scale == 100 and fit_across([10, 20, 30]).pages == 1
    wide = fit_across([6] + [40] * 12, repeat=1)
    assert wide.pages >= 3 and wide.scale >= MIN_SCALE
    assert fit_across([6] + [40] * 12, repeat=1, pages=2).scale < MIN_SCALE


def test_a_column_wider_than_a_page_still_gets_a_page() -> None:
    assert bands_at([6, 400, 10], 100, repeat=1) == ((1,), (2,))


def test_print_scale_leaves_room_for_a_wider_font() -> None:
    assert print_scale([500.0]) == 100
    assert print_scale([PRINT_WIDTH]) < 100
    assert print_scale([PRINT_WIDTH, 100.0]) == print_scale([PRINT_WIDTH])


# -- page lengths ----------------------------------------------------------------------------------
def test_pages_fill_with_whole_rows_and_repeat_the_header() -> None:
    room = PRINT_HEIGHT  # at 100%
    rows = [30.0] + [100.0] * 9  # a header and nine rows
    pages = paginate(rows, scale=100)
    assert sum(pages) == pytest.approx(sum(rows) + 30 * (len(pages) - 1))
    assert all(p <= room for p in pages)
    assert len(pages) == 3  # 30 + 4 x 100, then 30 + 4 x 100, then 30 + 100
    assert paginate([30.0, 100.0], scale=100) == [130.0]
    assert paginate([30.0, room + 50], scale=100) == [30.0, 30.0 + room + 50]


def test_page_breaks_fall_where_a_table_starts_and_keep_a_range_whole() -> None:
    heights = [20.0] * 60  # 1,200 points: three pages at 100%
    starts = [0, 10, 22, 30, 45, 50]
    breaks = page_breaks(heights, starts, scale=100)
    assert breaks and set(breaks) <= set(starts)
    edges = [0, *breaks, len(heights)]
    for top, bottom in zip(edges, edges[1:], strict=False):
        assert sum(heights[top:bottom]) <= PRINT_HEIGHT
    # Rows 18 to 28 kept together: no break at 22.
    kept = page_breaks(heights, starts, scale=100, keep=[(18, 28)])
    assert kept is not None and 22 not in kept
    # Nothing fits without cutting rows 0 to 40: strict says so, and the fallback cuts.
    assert page_breaks(heights, starts, scale=100, keep=[(0, 40)], strict=True) is None
    assert page_breaks(heights, starts, scale=100, keep=[(0, 40)])
    assert page_breaks(heights, starts, scale=40) == []  # all on one page at 40%


# -- the demo's workbooks, read back --------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("print") / "demo")


@pytest.fixture(scope="module")
def master(demo: DemoResult) -> Any:
    return openpyxl.load_workbook(demo.master)


@pytest.fixture(scope="module")
def circulation(demo: DemoResult) -> Any:
    return openpyxl.load_workbook(demo.circulation)


def _workbooks(demo: DemoResult) -> list[Path]:
    return [
        demo.master,
        demo.circulation,
        *sorted(demo.returns_dir.glob("*.xlsx")),
        *sorted(demo.feedback.glob("*.xlsx")),
    ]


def _widths(ws: Worksheet) -> list[float]:
    """The sheet's column widths as written (xlsxwriter adds 5/7 of a unit of padding)."""
    out: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        if dim.customWidth:
            for i in range(dim.min, dim.max + 1):
                out[i] = round(dim.width - 5 / 7, 2)
    return [out.get(i, 8.43) for i in range(1, ws.max_column + 1)]


def _heights(ws: Worksheet) -> list[float]:
    return [ws.row_dimensions[r].height or 12.75 for r in range(1, ws.max_row + 1)]


def test_every_sheet_of_every_workbook_prints_on_a4_landscape(demo: DemoResult) -> None:
    # One paper size and orientation per workbook, so its PDF has one page size throughout.
    for path in _workbooks(demo):
        book = openpyxl.load_workbook(path)
        for ws in book.worksheets:
            if ws.sheet_state != "visible":
                continue
            assert int(ws.page_setup.paperSize) == A4, (path.name, ws.title)
            assert ws.page_setup.orientation == "landscape", (path.name, ws.title)


@pytest.mark.parametrize("which", ["master", "circulation"])
def test_the_plan_prints_across_two_page_widths_with_the_id_on_each(
    which: str, request: pytest.FixtureRequest
) -> None:
    ws = request.getfixturevalue(which)["Plan"]
    setup = ws.page_setup
    fit = fit_across(_widths(ws), repeat=1)
    assert (setup.fitToWidth, fit.pages) == (2, 2)
    assert fit.scale >= MIN_SCALE  # 10-point text prints at 7.5 points or more, not 6
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert setup.pageOrder == "overThenDown"
    assert (ws.print_title_rows, ws.print_title_cols) == ("$1:$1", "$A:$A")


@pytest.mark.parametrize("which", ["master", "circulation"])
def test_header_rows_are_tall_enough_for_their_headings(
    which: str, request: pytest.FixtureRequest
) -> None:
    book = request.getfixturevalue(which)
    for name in TABLE_SHEETS:
        ws = book[name]
        headers = [c.value for c in ws[1]]
        widths = _widths(ws)[: len(headers)]
        # A file holds a row's height in whole pixels (0.75 points), rounded down.
        assert ws.row_dimensions[1].height >= header_height(headers, widths) - PIXEL, name
    plan = book["Plan"]
    completion = [c.value for c in plan[1]].index("Date for completion")
    assert _widths(plan)[completion] < 16  # so the heading wraps ...
    assert plan.row_dimensions[1].height >= 2 * LINE_POINTS  # ... and both lines show


def _assert_no_lone_row(ws: Worksheet, name: str, pages: int | None = None) -> None:
    """The sheet's last page is not left nearly empty, unless pulling it back onto the page
    before would print smaller than `SMALLEST`; checked from the sheet's own column widths,
    row heights and fit, read back."""
    setup = ws.page_setup
    fit = fit_across(_widths(ws), repeat=1, pages=pages)
    # An attribute left out is 1, as the file format has it.
    assert (setup.fitToWidth or 1) == fit.pages, name
    heights = _heights(ws)
    header = int(ws.print_title_rows.split(":")[0].strip("$")) - 1 if ws.print_title_rows else 0
    tall = 1 if setup.fitToHeight is None else int(setup.fitToHeight)
    scale = fit.scale
    if tall:  # fitted to a number of pages: the scale those rows need
        scale = max(
            s
            for s in range(10, fit.scale + 1)
            if len(paginate(heights, scale=s, header_row=header)) <= tall
        )
        assert scale >= SMALLEST, name
    filled = paginate(heights, scale=scale, header_row=header)
    if len(filled) > 1 and not tall:
        last_full = filled[-1] / (PRINT_HEIGHT * 100 / scale)
        fewer = [
            s
            for s in range(SMALLEST, scale + 1)
            if len(paginate(heights, scale=s, header_row=header)) < len(filled)
        ]
        assert last_full >= NEARLY_EMPTY or not fewer, name


@pytest.mark.parametrize("which", ["master", "circulation"])
def test_no_table_sheet_leaves_a_lone_row_on_its_last_page(
    which: str, request: pytest.FixtureRequest
) -> None:
    book = request.getfixturevalue(which)
    for name in TABLE_SHEETS:
        _assert_no_lone_row(book[name], name)


def test_no_return_leaves_a_lone_row_on_its_last_pages(demo: DemoResult) -> None:
    for path in [*demo.returns_dir.glob("*.xlsx"), *demo.feedback.glob("*.xlsx")]:
        ws = openpyxl.load_workbook(path)[RETURN_SHEET]
        _assert_no_lone_row(ws, path.name, pages=PAGES_WIDE)


def _summary_layout(ws: Worksheet) -> tuple[int, int, int]:
    """The Summary's returns table: its column and its first and last rows (1-based)."""
    title = next(c for row in ws.iter_rows() for c in row if c.value == "Returns this round")
    last = title.row + 1
    while ws.cell(last + 1, title.column).value is not None:
        last += 1
    return title.column, title.row, last


@pytest.mark.parametrize("which", ["master", "circulation"])
def test_the_summary_prints_each_band_on_its_own_pages_breaking_between_tables(
    which: str, request: pytest.FixtureRequest
) -> None:
    ws = request.getfixturevalue(which)["Summary"]
    scale = ws.page_setup.scale or 100
    assert MIN_SCALE <= scale <= 100
    assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)
    column, first, last = _summary_layout(ws)
    # A break before the returns table's column: the left band and the returns table each
    # fit a page width at this scale.
    assert [b.id for b in ws.col_breaks.brk] == [column - 1]
    left = sum(column_points(w) for w in _widths(ws)[: column - 2])
    right = sum(column_points(w) for w in _widths(ws)[column - 1 : column + 2])
    assert max(left, right) * scale / 100 <= PRINT_WIDTH
    # Row breaks just before a table's title (bold, in column A, with a table below it), never
    # inside the returns table, and each page no taller than a page.
    breaks = [b.id for b in ws.row_breaks.brk]  # the 1-based row after which a page ends
    assert breaks
    for b in breaks:
        title = ws.cell(b + 1, 1)
        assert title.value and title.font.b, b
        assert ws.cell(b + 2, 1).value is not None, b  # the table's header row
        assert not first <= b < last, b
    heights = _heights(ws)
    edges = [0, *breaks, len(heights)]
    for top, bottom in zip(edges, edges[1:], strict=False):
        assert sum(heights[top:bottom]) * scale / 100 <= PRINT_HEIGHT + 0.5, (top, bottom)
    assert ws.page_setup.pageOrder == "overThenDown"  # left, then the returns, then on


def test_the_summary_title_is_cut_into_lines_that_fit_its_band(circulation: Any) -> None:
    ws = circulation["Summary"]
    plan = load_plan(example_plan_path())
    column, _, _ = _summary_layout(ws)
    band = sum(_widths(ws)[: column - 2])
    lines = []
    for r in range(1, 10):
        cell = ws.cell(r, 1)
        if not (cell.font.sz and cell.font.sz >= 14):
            break
        lines.append(cell.value)
    assert len(lines) > 1 and " ".join(lines) == plan.title
    assert all(line_count(line, band, bold=True, size=14) == 1 for line in lines)


# -- the Changes sheet --------------------------------------------------------------------------
def _rows(ws: Worksheet) -> list[dict[str, Any]]:
    headers = [c.value for c in ws[1]]
    return [dict(zip(headers, r, strict=False)) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_the_master_changes_sheet_names_agencies_and_shortens_hashes(
    master: Any, demo: DemoResult
) -> None:
    names = {r["Key"]: r["Name"] for r in _rows(master["Agencies"])}
    rows = _rows(master["Changes"])
    assert rows
    with Ledger(demo.workspace / ".ipt" / "ledger.sqlite") as ledger:
        changes = ledger.changes()
    assert [r["Agency"] for r in rows] == [names[c.agency] for c in changes]
    assert [r["SHA-256 (first 12)"] for r in rows] == [c.source_sha256[:12] for c in changes]
    assert all(re.fullmatch(r"[0-9a-f]{12}", r["SHA-256 (first 12)"]) for r in rows)
    # Each short hash still finds its file among those received.
    received = [p.stem for p in (demo.workspace / "received").glob("*.xlsx")]
    for r in rows:
        assert sum(stem.startswith(r["SHA-256 (first 12)"]) for stem in received) == 1


def test_the_circulation_changes_sheet_names_agencies_and_has_no_hash(circulation: Any) -> None:
    names = {r["Name"] for r in _rows(circulation["Agencies"])}
    rows = _rows(circulation["Changes"])
    assert rows and {r["Agency"] for r in rows} <= names
    assert not any("SHA" in str(h) for h in rows[0])


# -- what a board reads ----------------------------------------------------------------------------
def _returns(ws: Worksheet) -> dict[str, tuple[str, str]]:
    column, first, last = _summary_layout(ws)
    return {
        ws.cell(r, column).value: (ws.cell(r, column + 1).value, ws.cell(r, column + 2).value)
        for r in range(first + 2, last + 1)
    }


def test_the_circulation_copy_says_what_a_board_needs_not_what_to_fix(
    master: Any, circulation: Any, demo: DemoResult
) -> None:
    board = _returns(circulation["Summary"])
    coordinator = _returns(master["Summary"])
    assert board.keys() == coordinator.keys()
    with Ledger(demo.workspace / ".ipt" / "ledger.sqlite") as ledger:
        rejected = {r.agency: r.errors for r in ledger.receipts() if r.outcome == "rejected"}
    names = {r["Key"]: r["Name"] for r in _rows(master["Agencies"])}
    assert rejected  # the demo has rejected returns
    for key, errors in rejected.items():
        state, detail = board[names[key]]
        assert state == "rejected"
        assert detail == rejected_for_board(errors)
        assert re.fullmatch(
            r"Returned with \d+ errors? and sent back; resubmission awaited\.", detail
        )
        # The master keeps the coordinator's detail: the agency's first problem.
        assert coordinator[names[key]][1] != detail
    assert "Returned with 1 error and sent back" in " ".join(d for _, d in board.values())
    # Nothing on the board's Summary tells an agency what to do.
    text = " ".join(str(c.value) for row in circulation["Summary"].iter_rows() for c in row)
    for instruction in ("Choose", "Pick", "put back", "Purple", "send back the return"):
        assert instruction not in text, instruction
    # RUH's first problem: its sign-off says No (it also rated an area 'Purple').
    assert "choose Yes in L7" in " ".join(d for _, d in coordinator.values())


def test_board_wording_for_a_count_not_recorded() -> None:
    assert rejected_for_board(1) == "Returned with 1 error and sent back; resubmission awaited."
    assert rejected_for_board(3).startswith("Returned with 3 errors")
    assert rejected_for_board(0) == "Returned with errors and sent back; resubmission awaited."


# -- a return's title and print set-up -------------------------------------------------------------
def _return(title: str) -> Worksheet:
    plan = replace(small_plan(), title=title)
    issued = issued_for(plan, "A")
    data = write_return(plan, issued, sign(issued.manifest, KEY), created=CREATED)
    ws = openpyxl.load_workbook(io.BytesIO(data))[RETURN_SHEET]
    assert isinstance(ws, Worksheet)
    return ws


def test_a_long_title_wraps_within_the_returns_first_page() -> None:
    long_title = (
        "Improvement plan to respond to recommendations of Ofsted Inspection of Safeguarding "
        "and Looked After Children Services in Bath and North East Somerset (January 2012) "
        "relating to Children's Service: Health Services: LSCB and every partner agency"
    )
    ws = _return(long_title)
    widths = _widths(ws)
    first_page = fit_across(widths, repeat=1, pages=PAGES_WIDE).bands[0]
    (merged,) = [str(m) for m in ws.merged_cells.ranges]
    start, end = merged.split(":")
    row = int(start[1:])
    assert start == f"B{row}" and column_index_from_string(re.sub(r"\d", "", end)) == (
        first_page[-1] + 1
    )
    assert ws[start].value == long_title and ws[start].alignment.wrap_text
    room = sum(widths[c] for c in first_page)
    assert ws.row_dimensions[row].height >= line_count(long_title, room) * LINE_POINTS - PIXEL
    # The first page's columns hold the whole title: it does not run past them.
    assert line_count(long_title, room) >= 2
    assert first_page[-1] + 1 < len(widths)


def test_a_title_that_fits_is_left_as_one_line() -> None:
    ws = _return("Improvement plan")
    assert list(ws.merged_cells.ranges) == []


def test_a_return_prints_two_page_widths_with_the_id_on_each(demo: DemoResult) -> None:
    for path in [*demo.returns_dir.glob("*.xlsx"), *demo.feedback.glob("*.xlsx")]:
        ws = openpyxl.load_workbook(path)[RETURN_SHEET]
        setup = ws.page_setup
        assert setup.fitToWidth == PAGES_WIDE, path.name  # how tall: the test above
        assert ws.print_title_cols == "$A:$A" and setup.pageOrder == "overThenDown"
        fit = fit_across(_widths(ws), repeat=1, pages=PAGES_WIDE)
        assert fit.scale >= MIN_SCALE, path.name


def _summary_of(agencies: int) -> Worksheet:
    """The circulation copy's Summary for the example plan with `agencies` returns issued
    (most of them unknown to the plan, so named by their keys): a long returns table."""
    plan = load_plan(example_plan_path())
    keys = [a.key for a in plan.agencies] + [f"AGENCY-{i:02}" for i in range(agencies)]
    issued = [
        IssuedRecord(plan.round.name, k, f"returns/{k}.xlsx", CREATED, "{}", "s")
        for k in keys[:agencies]
    ]
    facts = round_facts(plan, issued=issued)
    data = write_master(plan, MasterExtras(facts=facts), created=CREATED, circulation=True)
    ws = openpyxl.load_workbook(io.BytesIO(data))["Summary"]
    assert isinstance(ws, Worksheet)
    return ws


@pytest.mark.parametrize("agencies", [26, 30])
def test_a_long_returns_table_is_kept_whole_a_little_smaller(agencies: int) -> None:
    ws = _summary_of(agencies)
    _, first, last = _summary_layout(ws)
    assert last - first - 1 == agencies
    scale = ws.page_setup.scale or 100
    breaks = [b.id for b in ws.row_breaks.brk]
    assert all(not first <= b < last for b in breaks), (breaks, first, last)
    assert scale >= MIN_SCALE
    heights = _heights(ws)
    assert sum(heights[:last]) * scale / 100 <= PRINT_HEIGHT + 0.5  # on the first page


def test_a_returns_table_too_long_for_any_page_is_cut_between_tables_on_the_left() -> None:
    ws = _summary_of(60)
    scale = ws.page_setup.scale or 100
    breaks = [b.id for b in ws.row_breaks.brk]
    heights = _heights(ws)
    edges = [0, *breaks, len(heights)]
    for top, bottom in zip(edges, edges[1:], strict=False):
        assert sum(heights[top:bottom]) * scale / 100 <= PRINT_HEIGHT + 0.5
    for b in breaks:
        assert ws.cell(b + 1, 1).font.b and ws.cell(b + 1, 1).value  # a table's title


def test_a_return_whose_last_page_would_hold_one_short_row_prints_a_little_smaller() -> None:
    # Rows of 21 lines: one beside the title block fills the first page, two the second, and
    # the short row is left alone on a third, a tenth full.
    lines = "\n".join(f"Measure {n}" for n in range(21))
    tall = [make_area(f"1.{i}", "1", "Tall", agencies=("A",), assurance=lines) for i in (1, 2, 3)]
    short = make_area("1.9", "1", "Short", agencies=("A",), action="One line.")
    plan = replace(small_plan(), areas=(*tall, short))
    issued = issued_for(plan, "A")
    data = write_return(plan, issued, sign(issued.manifest, KEY), created=CREATED)
    ws = openpyxl.load_workbook(io.BytesIO(data))[RETURN_SHEET]
    assert isinstance(ws, Worksheet)
    heights = _heights(ws)
    header = int(ws.print_title_rows.split(":")[0].strip("$")) - 1
    fit = fit_across(_widths(ws), repeat=1, pages=PAGES_WIDE)
    as_tall_as_it_takes = paginate(heights, scale=fit.scale, header_row=header)
    assert as_tall_as_it_takes[-1] < NEARLY_EMPTY * PRINT_HEIGHT * 100 / fit.scale  # the case
    assert ws.page_setup.fitToHeight == len(as_tall_as_it_takes) - 1
    _assert_no_lone_row(ws, "return", pages=PAGES_WIDE)


def test_the_summary_says_what_the_plan_sheet_s_colours_mean() -> None:
    from ipt_excel.excel.summary_sheet import COLOUR_KEY

    ws = _summary_of(3)
    under_title = [ws.cell(r, 1).value for r in range(1, 8)]
    assert COLOUR_KEY in under_title  # one line in the left band, above the first table
    assert "pale blue" in COLOUR_KEY and "pale red" in COLOUR_KEY
