"""A return in a real LibreOffice: it prints, and a person's re-save keeps what matters.

After LibreOffice saves a return, the sheet must still be protected, the plan text locked,
the four update cells open, both dropdowns in place and the manifest findable and valid.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from golden.regenerate import CREATED, KEY, golden_bytes, issued_for, small_plan
from libreoffice import (
    LIBREOFFICE_MARKS,
    convert,
    fill_with_libreoffice,
    lo,  # noqa: F401 - fixture that LIBREOFFICE_MARKS uses
    pdf_page_count,
)
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.manifest import locked_text_hash, sign, verify
from ipt_excel.core.returned import ReturnData
from ipt_excel.core.rounds import HEADER_ROW, RETURN_SHEET, plan_round, return_layout
from ipt_excel.excel.return_reader import read_return
from ipt_excel.excel.return_writer import LISTS_SHEET, MANIFEST_SHEET, write_return
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan

RETURN_LAYOUT = return_layout(DEFAULT_COLUMNS)


pytestmark = LIBREOFFICE_MARKS

FIRST = HEADER_ROW + 1
LAST = FIRST + 2  # agency A of the small plan has three areas


def _letter(key: str) -> str:
    return get_column_letter(1 + [c.key for c in RETURN_LAYOUT.columns].index(key))


@pytest.fixture
def issued_file(tmp_path: Path) -> Path:
    path = tmp_path / "a.xlsx"
    path.write_bytes(golden_bytes())
    return path


@pytest.fixture(scope="module")
def resaved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The return filled in and saved by LibreOffice, as an agency would (once per module)."""
    folder = tmp_path_factory.mktemp("resaved")
    src = folder / "a.xlsx"
    src.write_bytes(golden_bytes())
    dst = folder / "saved.xlsx"
    result = fill_with_libreoffice(
        src,
        dst,
        [
            {"cell": f"{_letter('progress')}{FIRST}", "text": "Audit finished in all teams."},
            {"cell": f"{_letter('rag')}{FIRST}", "text": "GREEN"},
            {"cell": f"{_letter('next_review')}{FIRST + 2}", "text": "26/09/2012"},
            {"cell": f"{_letter('title')}{FIRST}", "text": "A person tries to change the plan"},
        ],
    )
    return dst, result


def _sheet(path: Path) -> Worksheet:
    ws = openpyxl.load_workbook(path)[RETURN_SHEET]
    assert isinstance(ws, Worksheet)
    return ws


def test_converts_to_pdf(issued_file: Path, tmp_path: Path) -> None:
    pdf = convert(issued_file, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf_page_count(pdf) == 2  # two pages wide, the three rows on one page tall


def _example_returns(tmp_path: Path) -> list[Path]:
    plan = load_plan(EXAMPLE_PLAN)
    planned = plan_round(plan, plan.round, agencies=None, issued_at=CREATED)
    paths = []
    for issued in planned.returns:
        path = tmp_path / f"{issued.agency.slug}.xlsx"
        sig = sign(issued.manifest, KEY)
        path.write_bytes(write_return(plan, issued, sig, created=CREATED))
        paths.append(path)
    return paths


def test_the_largest_example_return_converts(tmp_path: Path) -> None:
    largest = max(_example_returns(tmp_path), key=lambda p: p.stat().st_size)
    pdf = convert(largest, "pdf", tmp_path / "pdf")
    assert pdf_page_count(pdf) % 2 == 0  # every block of rows prints as a pair of pages


@pytest.mark.slow
def test_every_example_return_converts(tmp_path: Path) -> None:
    for path in _example_returns(tmp_path):
        assert pdf_page_count(convert(path, "pdf", tmp_path / "pdf")) >= 2, path.name


def test_a_person_can_type_only_in_the_update_cells(
    resaved: tuple[Path, dict[str, object]],
) -> None:

    _, result = resaved
    assert result["edits"] == [
        {"cell": f"{_letter('progress')}{FIRST}", "ok": True},
        {"cell": f"{_letter('rag')}{FIRST}", "ok": True},
        {"cell": f"{_letter('next_review')}{FIRST + 2}", "ok": True},
        {"cell": f"{_letter('title')}{FIRST}", "refused": "locked"},
    ]


def test_resave_keeps_protection(resaved: tuple[Path, dict[str, object]]) -> None:
    ws = _sheet(resaved[0])
    assert ws.protection.sheet is True
    assert ws.protection.formatCells and ws.protection.insertRows and ws.protection.deleteRows


def test_resave_keeps_the_open_and_locked_cells(resaved: tuple[Path, dict[str, object]]) -> None:
    ws = _sheet(resaved[0])
    for r in range(FIRST, LAST + 1):
        for c, col in enumerate(RETURN_LAYOUT.columns, start=1):
            assert ws.cell(row=r, column=c).protection.locked is (not col.is_update), (r, c)


def test_resave_keeps_both_dropdowns(resaved: tuple[Path, dict[str, object]]) -> None:
    ws = _sheet(resaved[0])
    lists = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation if dv.type == "list"}
    for key in ("rag", "next_review"):
        letter = _letter(key)
        dv = lists[f"{letter}{FIRST}:{letter}{LAST}"]
        assert dv.formula1 is not None and LISTS_SHEET in dv.formula1
    assert lists[f"{_letter('next_review')}{FIRST}:{_letter('next_review')}{LAST}"].errorStyle == (
        "warning"
    )


def _read(path: Path) -> ReturnData:
    return read_return(path.read_bytes(), path.name)


def test_resave_keeps_a_verifiable_manifest(resaved: tuple[Path, dict[str, object]]) -> None:
    got = _read(resaved[0])
    # LibreOffice saves a very hidden sheet as hidden; it is found by its name.
    assert got.sheet_states[MANIFEST_SHEET] in ("hidden", "veryHidden")
    assert got.sheet_states[LISTS_SHEET] == "hidden"
    assert got.manifest == issued_for(small_plan()).manifest
    assert verify(got.manifest, got.signature, KEY)


def test_resave_keeps_the_locked_text_exactly(resaved: tuple[Path, dict[str, object]]) -> None:
    got = _read(resaved[0])
    assert got.manifest is not None
    for row, m_row in zip(got.rows, got.manifest.rows, strict=True):
        assert row.text("id") == m_row.id
        assert (
            locked_text_hash([row.text(c.key) for c in RETURN_LAYOUT.locked]) == m_row.locked_sha256
        )


def test_the_agencys_values_are_read_back(resaved: tuple[Path, dict[str, object]]) -> None:
    rows = _read(resaved[0]).rows
    assert rows[0].text("progress") == "Audit finished in all teams."
    assert rows[0].text("rag") == "GREEN"
    # The update cells are text cells, so a typed date stays as typed.
    assert rows[2].text("next_review") == "26/09/2012"
    assert not any(c.is_formula for r in rows for c in r.cells.values())
    untouched = {c.key for c in DEFAULT_COLUMNS.updates} - {"progress", "rag"}
    assert {k: rows[0].text(k) for k in untouched} == {
        "evidence": "Audit results",
        "next_review": "September 2012",
    }
