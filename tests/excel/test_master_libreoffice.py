"""The example master opens in a real LibreOffice and prints as a board would read it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from libreoffice import (
    LIBREOFFICE_MARKS,
    convert,
    lo,  # noqa: F401 - fixture that LIBREOFFICE_MARKS uses
    pdf_page_count,
    pdf_text,
    pdf_words,
    words,
)

from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import example_plan_path, load_plan

pytestmark = LIBREOFFICE_MARKS


@pytest.fixture(scope="module")
def master_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ws")
    plan = load_plan(example_plan_path())
    ws = init_workspace(root, plan, force=False, now=datetime(2012, 7, 2, 9, 0)).workspace
    return convert(ws.master, "pdf", root / "pdf")


def test_the_master_converts_to_a_pdf_of_several_pages(master_pdf: Path) -> None:
    assert master_pdf.name == "master.pdf"
    assert master_pdf.read_bytes().startswith(b"%PDF")
    assert pdf_page_count(master_pdf) > 1


def test_the_first_page_is_the_plan_with_area_1_1(master_pdf: Path) -> None:
    first = pdf_text(master_pdf, 1)
    assert first.startswith("ID ")
    plan = load_plan(example_plan_path())
    area = plan.areas[0]
    seen = pdf_words(master_pdf, 1)
    # The plan text is on the first page width; the updates on the second.
    assert {"Area", "for", "improvement", "Actions", "Lead"} <= seen
    assert area.id in seen
    assert words(area.value("title")) <= seen
    assert words(" ".join(area.value("actions").split()[:12])) <= seen


def test_every_plan_page_repeats_the_header_and_has_the_footer(master_pdf: Path) -> None:
    total = pdf_page_count(master_pdf)
    second = pdf_text(master_pdf, 2)
    assert second.startswith("ID ")  # the ID column, repeated on the second page width
    assert {"Progress", "RAG", "Evidence", "impact", "1.1"} <= pdf_words(master_pdf, 2)
    assert "Second review of progress" in second
    assert f"Plan, page 2 of {total}" in second  # the sheet named, so a page can be found
    assert "Improvement plan to respond to recommendations of Ofsted" in second


def test_every_area_is_printed(master_pdf: Path) -> None:
    text = pdf_text(master_pdf)
    tokens = pdf_words(master_pdf)
    plan = load_plan(example_plan_path())
    for area in plan.areas:
        assert area.id in tokens, area.id
        assert words(area.value("title")) <= tokens, area.id
    assert "RAG ratings by theme" in text  # the Summary sheet prints too
