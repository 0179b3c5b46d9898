"""The example master opens in a real LibreOffice and prints as a board would read it."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from libreoffice import (
    LIBREOFFICE_MARKS,
    convert,
    lo,  # noqa: F401 - fixture that LIBREOFFICE_MARKS uses
    pdf_page_count,
)

from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import example_plan_path, load_plan

pytestmark = LIBREOFFICE_MARKS


def pdf_text(pdf: Path, page: int | None = None) -> str:
    """The PDF's text (one page, or all), with runs of whitespace made single spaces."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    done = subprocess.run(
        ["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True
    )
    return " ".join(done.stdout.split())


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
    assert "Area for improvement" in first and "Progress" in first
    assert (
        "Ensure that core assessments are completed following all child protection nvestigations"
        in first
    )
    assert "Reiterate advice to all staff and reinforce inservice assurance" in first


def test_every_plan_page_repeats_the_header_and_has_the_footer(master_pdf: Path) -> None:
    total = pdf_page_count(master_pdf)
    second = pdf_text(master_pdf, 2)
    assert second.startswith("ID ")
    assert "Area for improvement" in second and "Progress" in second
    assert "Second review of progress" in second
    assert f"Page 2 of {total}" in second
    assert "Improvement plan to respond to recommendations of Ofsted" in second


def test_every_area_is_printed(master_pdf: Path) -> None:
    text = pdf_text(master_pdf)
    tokens = set(text.split())
    plan = load_plan(example_plan_path())
    for area in plan.areas:
        assert area.id in tokens, area.id
        # A cell's wrapped lines interleave with the next column's in the PDF text, so only
        # the start of each title is sure to be in one piece.
        assert " ".join(area.value("title").split()[:3]) in text, area.id
    assert "RAG ratings by theme" in text  # the Summary sheet prints too
