"""Shared styles: accessible colour pairs, print set-up and row heights."""

from __future__ import annotations

import io

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from ipt_excel.excel import styles
from ipt_excel.excel.styles import (
    CHANGED,
    CONFLICT,
    HEADER,
    LINE_POINTS,
    LOCKED,
    MAX_ROW_POINTS,
    OPEN,
    PROBLEM,
    RAG_COLOURS,
    TITLE,
    WARNING,
    Formats,
    contrast_ratio,
    fit_footer,
    header_footer_text,
    print_setup,
    row_height,
)

WCAG_AA = 4.5
PAIRS: dict[str, tuple[str, str]] = {
    **{f"RAG {word}": pair for word, pair in RAG_COLOURS.items()},
    "HEADER": HEADER,
    "LOCKED": LOCKED,
    "OPEN": OPEN,
    "CHANGED": CHANGED,
    "CONFLICT": CONFLICT,
    "PROBLEM": PROBLEM,
    "WARNING": WARNING,
    "TITLE": TITLE,
}


# -- colours -------------------------------------------------------------------------------------
def test_contrast_ratio_known_values() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    # WebAIM's reference: #767676 on white is 4.54:1, the lightest grey that passes AA.
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#FFFFFF") < WCAG_AA


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_every_fill_and_text_pair_meets_wcag_aa(name: str) -> None:
    fill, text = PAIRS[name]
    assert contrast_ratio(fill, text) >= WCAG_AA, f"{name}: {fill} on {text}"


def test_every_colour_pair_in_the_module_is_checked() -> None:
    # A new (fill, text) pair added to styles.py must be added to PAIRS above.
    pairs = {
        name
        for name, value in vars(styles).items()
        if isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, str) and v.startswith("#") for v in value)
    }
    assert pairs == {n for n in PAIRS if not n.startswith("RAG ")}


def test_rag_colours_cover_the_seed_words_and_blue() -> None:
    assert set(RAG_COLOURS) == {"RED", "AMBER", "GREEN", "BLUE"}


# -- header and footer text ----------------------------------------------------------------------
def test_header_footer_text_escapes_ampersands() -> None:
    assert header_footer_text("Children & Families && more") == "Children && Families &&&& more"
    assert header_footer_text("no codes") == "no codes"


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=400), st.integers(min_value=0, max_value=300))
def test_fit_footer_never_exceeds_the_limit(title: str, limit: int) -> None:
    fitted = fit_footer(title, limit)
    assert len(fitted) <= max(limit, 1)
    if len(title) <= limit:
        assert fitted == title
    else:
        assert fitted.endswith("…")
        assert title.startswith(fitted[:-1])


def _print_setup_sheet(title: str, round_name: str, marking: str, repeat_row: int = 0) -> object:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Plan")
    ws.write_string(0, 0, "ID")
    ws.write_string(1, 0, "1.1")
    print_setup(ws, title=title, round_name=round_name, marking=marking, repeat_row=repeat_row)
    wb.close()
    return openpyxl.load_workbook(io.BytesIO(buf.getvalue()))["Plan"]


def test_print_setup_a4_landscape_repeat_header_footer() -> None:
    ws = _print_setup_sheet("Improvement plan", "Second review of progress", "")
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    assert (ws.page_margins.left, ws.page_margins.right) == (0.25, 0.25)
    assert ws.print_title_rows == "$1:$1"
    assert ws.oddFooter.left.text == "Improvement plan"
    assert ws.oddFooter.center.text == "Second review of progress"
    assert ws.oddFooter.right.text == "&A, page &P of &N"
    assert not ws.oddHeader.center.text


def test_print_setup_with_a_protective_marking_puts_it_top_and_bottom() -> None:
    ws = _print_setup_sheet("Plan", "Round 2", "OFFICIAL-SENSITIVE", repeat_row=-1)
    assert ws.oddHeader.center.text == "OFFICIAL-SENSITIVE"
    assert "OFFICIAL-SENSITIVE" in ws.oddFooter.center.text
    assert "Round 2" in ws.oddFooter.center.text
    assert ws.print_title_rows is None


def test_long_title_is_shortened_to_fit_excels_footer_limit() -> None:
    title = "Improvement plan " * 40
    ws = _print_setup_sheet(title, "Second review of progress", "OFFICIAL")
    left = ws.oddFooter.left.text
    assert left.endswith("…")
    assert title.startswith(left[:-1])


def test_footer_with_many_ampersands_still_fits() -> None:
    # Escaping '&' as '&&' must not push a shortened footer over Excel's 255 characters
    # (xlsxwriter then drops the footer with a warning, which fails this test).
    title = "Health & Care & LSCB " * 20
    ws = _print_setup_sheet(title, "Second review of progress", "")
    assert ws.oddFooter.left.text
    assert ws.oddFooter.right.text == "&A, page &P of &N"


def test_footer_with_a_long_round_name_still_fits() -> None:
    ws = _print_setup_sheet("Plan", "Second review of progress " * 12, "OFFICIAL-SENSITIVE")
    assert ws.oddFooter.right.text == "&A, page &P of &N"


# -- row heights ---------------------------------------------------------------------------------
def test_row_height_bounds() -> None:
    assert row_height([]) == LINE_POINTS + 4
    assert row_height([("", 10)]) == LINE_POINTS + 4
    assert row_height([("x" * 32_767, 6)]) == MAX_ROW_POINTS
    assert row_height([("a\n" * 1000, 100)]) == MAX_ROW_POINTS


def test_row_height_counts_wrapped_and_explicit_lines() -> None:
    one = row_height([("short", 30)])
    assert one == LINE_POINTS + 4
    assert row_height([("a\nb\nc", 30)]) == 3 * LINE_POINTS + 4
    long_line = "x" * 200
    assert row_height([(long_line, 10)]) > row_height([(long_line, 40)])
    # The tallest cell decides.
    assert row_height([("a", 30), ("a\nb", 30)]) == 2 * LINE_POINTS + 4


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=2000), st.floats(min_value=0.5, max_value=255))
def test_row_height_is_within_excels_limits_and_grows_with_text(text: str, width: float) -> None:
    h = row_height([(text, width)])
    assert LINE_POINTS + 4 <= h <= MAX_ROW_POINTS
    assert row_height([(text + "\n" + text, width)]) >= h


def test_formats_build_on_a_workbook() -> None:
    wb = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    fmt = Formats(wb)
    assert set(fmt.rag) == set(RAG_COLOURS)
    assert fmt.id.num_format == "@"  # IDs are text: "1.10" stays "1.10"
    assert fmt.text.text_wrap
    assert fmt.open.locked == 0 and fmt.locked.locked == 1
    wb.close()
