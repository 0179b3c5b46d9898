"""The demo's workbooks printed to PDF through a real LibreOffice, as a board or agency would.

Nothing here depends on the fonts installed: where text wraps, and so how many pages a
fitted sheet takes, changes with the font a machine draws Arial with, so the tests read
page sizes, page counts within a range, how much of each page is used, and words as drawn,
never a line or a sentence of a cell.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from libreoffice import (
    LIBREOFFICE_MARKS,
    convert,
    lo,  # noqa: F401 - the fixture the marks use
    pdf_ink,
    pdf_page_sizes,
    pdf_text,
    pdf_word_boxes,
    pdf_words,
    words,
)

from ipt_excel.core.sign_off import HEADING, LABELS
from ipt_excel.excel.master_writer import master_columns
from ipt_excel.excel.styles import fit_across
from ipt_excel.services.demo import DemoResult, run_demo
from ipt_excel.services.plan_source import example_plan_path, load_plan

pytestmark = LIBREOFFICE_MARKS

A4_LANDSCAPE = (841.89, 595.28)  # points


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("print-pdf") / "demo")


@pytest.fixture(scope="module")
def pdfs(demo: DemoResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pdf")
    sources = {
        "circulation": demo.circulation,
        "master": demo.master,
        "return": demo.returns_dir / "health.xlsx",
        "feedback": demo.feedback / "ruh-third-review-of-progress-feedback.xlsx",
    }
    return {name: convert(src, "pdf", out / name) for name, src in sources.items()}


def _page_texts(pdf: Path) -> list[str]:
    return [pdf_text(pdf, page) for page in range(1, len(pdf_page_sizes(pdf)) + 1)]


@pytest.mark.parametrize("name", ["circulation", "master", "return", "feedback"])
def test_every_page_of_a_pdf_is_a4_landscape(name: str, pdfs: dict[str, Path]) -> None:
    sizes = pdf_page_sizes(pdfs[name])
    assert sizes
    for w, h in sizes:
        assert (w, h) == pytest.approx(A4_LANDSCAPE, abs=1), (name, w, h)


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [("circulation", 24, 60), ("master", 24, 60), ("return", 2, 12), ("feedback", 2, 6)],
)
def test_page_counts_are_in_the_expected_range(
    name: str, low: int, high: int, pdfs: dict[str, Path]
) -> None:
    # Fonts move these a little (a wider font prints a fitted sheet smaller, on fewer pages),
    # so a range. The old layout printed the master on 14 pages, the Plan 6 pt small on A3.
    assert low <= len(pdf_page_sizes(pdfs[name])) <= high


@pytest.mark.parametrize("name", ["circulation", "master", "return", "feedback"])
def test_no_page_is_nearly_blank(name: str, pdfs: dict[str, Path], tmp_path: Path) -> None:
    # The ink on a page with a footer and a line or two of text is under 2%; the demo's
    # thinnest real page (a Conflicts table of one row, with its header) is about 4%.
    ink = pdf_ink(pdfs[name], tmp_path / "ink")
    thin = [(page, round(share * 100, 1)) for page, share in enumerate(ink, start=1)]
    assert [p for p in thin if p[1] < 2.5] == [], thin


def _plan_pages(texts: list[str]) -> list[int]:
    """The pages of the Plan sheet: each starts with its repeated ID heading."""
    first = load_plan(example_plan_path()).columns.master[1].header  # "Theme"
    return [i for i, t in enumerate(texts) if t.startswith(("ID " + first, "ID Assurance"))]


@pytest.mark.parametrize("name", ["circulation", "master"])
def test_the_plan_prints_in_pairs_of_pages_with_every_heading_whole(
    name: str, pdfs: dict[str, Path]
) -> None:
    pdf = pdfs[name]
    texts = _page_texts(pdf)
    pages = _plan_pages(texts)
    assert pages and len(pages) % 2 == 0
    assert pages == list(range(pages[0], pages[0] + len(pages)))  # one run of pages
    plan = load_plan(example_plan_path())
    columns = master_columns(plan.columns)
    bands = fit_across([c.width for c in columns], repeat=1).bands
    for n, page in enumerate(pages):
        drawn = pdf_words(pdf, page + 1)
        band = bands[n % 2]
        # The ID column on every page, and every word of every heading: a header row too
        # short for "Date for completion" would print "Date for" and lose "completion".
        for c in (0, *band):
            assert words(columns[c].header) <= drawn, (page + 1, columns[c].header)
    assert {"completion", "review", "impact"} <= pdf_words(pdf)
    for area in plan.areas:  # every area is printed, its ID on both pages of its row
        assert area.id in pdf_words(pdf), area.id


def test_the_returns_table_is_whole_on_one_page(pdfs: dict[str, Path]) -> None:
    pdf = pdfs["circulation"]
    texts = _page_texts(pdf)
    (page,) = [i for i, t in enumerate(texts) if "Returns this round" in t]
    drawn = pdf_words(pdf, page + 1)
    plan = load_plan(example_plan_path())
    for agency in plan.agencies:
        assert words(agency.name) <= drawn, agency.name
    # The summary's first page is the overview: the title, the theme table and the chart.
    assert texts[0].startswith("Improvement plan to respond")
    assert "RAG ratings by theme" in texts[0] and page == 1


def test_the_board_reads_how_returns_stand_and_the_coordinator_what_to_fix(
    pdfs: dict[str, Path],
) -> None:
    board = pdf_text(pdfs["circulation"])
    coordinator = pdf_text(pdfs["master"])
    # RUH's return was sent back unconfirmed (its sign-off says No) and with 'Purple' as a
    # RAG: its first fix is the coordinator's, the board hears the return was sent back and
    # a new one is awaited.
    assert "Purple" not in board and "nobody" not in board
    assert "resubmission awaited" in board
    assert "nobody" in coordinator


def test_the_return_title_prints_whole_on_its_first_page(pdfs: dict[str, Path]) -> None:
    pdf = pdfs["return"]
    plan = load_plan(example_plan_path())
    assert words(plan.title) <= pdf_words(pdf, 1)
    # The page beside it (the update cells) prints nothing above its header row but the
    # sign-off block: no word of a title line running past the first page.
    sign_off = {w.casefold() for t in (HEADING, *LABELS.values()) for w in words(t)}
    for page in range(2, len(pdf_page_sizes(pdf)) + 1, 2):
        boxes = pdf_word_boxes(pdf, page)
        header_top = min(top for text, _, top in boxes if text == "ID")
        above = [text for text, _, top in boxes if MARGIN < top < header_top - 1]
        drawn = {w.casefold() for t in above for w in words(t)}
        assert drawn <= sign_off, (page, above)
        assert drawn or page > 2, "the sign-off prints above the update cells"


MARGIN = 0.6 * 72  # points: the page header, a protective marking, sits above this
