"""The LibreOffice harness itself: conversion, and filling a protected return as a person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from libreoffice import (
    LIBREOFFICE_MARKS,
    LibreOfficeError,
    convert,
    fill_with_libreoffice,
    lo,  # noqa: F401 - fixture that LIBREOFFICE_MARKS uses
    pdf_page_count,
    pdf_to_png,
)

pytestmark = LIBREOFFICE_MARKS


@pytest.fixture
def protected_return(tmp_path: Path) -> Path:
    """A tiny return: sheet "Return" protected, A1 a locked heading, B2 an unlocked answer cell."""
    path = tmp_path / "return.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Return")
    ws.write("A1", "Date completed")
    ws.write_blank("B2", None, wb.add_format({"locked": False}))
    ws.protect()
    wb.add_worksheet("Notes").write("A1", "Not for editing")
    wb.close()
    return path


def test_convert_to_pdf(protected_return: Path, tmp_path: Path) -> None:
    pdf = convert(protected_return, "pdf", tmp_path / "out")
    assert pdf == tmp_path / "out" / "return.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf_page_count(pdf) >= 1
    pngs = pdf_to_png(pdf, tmp_path / "png" / "page")
    assert [p.name for p in pngs] == ["page-1.png"]
    assert pngs[0].read_bytes().startswith(b"\x89PNG")


def test_convert_failure_is_an_error(
    protected_return: Path,
    tmp_path: Path,
) -> None:
    # soffice exits 0 when it cannot convert; the harness must still notice, and say why.
    with pytest.raises(LibreOfficeError, match="(?s)did not convert.*no export filter"):
        convert(protected_return, "nosuchformat", tmp_path / "out")


def test_fill_respects_protection(protected_return: Path, tmp_path: Path) -> None:
    dst = tmp_path / "filled.xlsx"
    result = fill_with_libreoffice(
        protected_return,
        dst,
        [{"cell": "B2", "text": "26/06/2012"}, {"cell": "A1", "text": "x"}],
    )

    assert result["edits"] == [
        {"cell": "B2", "ok": True},
        {"cell": "A1", "refused": "locked"},
    ]
    assert result["sheets"] == ["Return", "Notes"]
    assert result["protected"] is True
    assert result["cells"]["B2"]["type"] == "VALUE"  # a date, not the text "26/06/2012"
    assert result["cells"]["A1"]["string"] == "Date completed"

    wb = openpyxl.load_workbook(dst)
    ws = wb["Return"]
    assert ws["B2"].value == dt.datetime(2012, 6, 26)  # read day-first, as en-GB types it
    assert ws["A1"].value == "Date completed"
    assert ws.protection.sheet is True
    assert ws["B2"].protection.locked is False
    assert ws["A1"].protection.locked is True


def test_fill_after_unprotect_edits_locked_cells(
    protected_return: Path,
    tmp_path: Path,
) -> None:
    dst = tmp_path / "filled.xlsx"
    result = fill_with_libreoffice(
        protected_return,
        dst,
        [{"cell": "A1", "text": "x"}, {"cell": "B2", "string": "=1+1"}],
        unprotect=True,
    )

    assert result["was_protected"] is True
    assert result["protected"] is False
    assert result["edits"] == [{"cell": "A1", "ok": True}, {"cell": "B2", "ok": True}]

    ws = openpyxl.load_workbook(dst)["Return"]
    assert ws["A1"].value == "x"
    assert ws["B2"].value == "=1+1"  # setString keeps it as literal text, not a formula
    assert ws["B2"].data_type == "s"
    assert ws.protection.sheet is False


def test_typed_formula_is_calculated(protected_return: Path, tmp_path: Path) -> None:
    dst = tmp_path / "filled.xlsx"
    result = fill_with_libreoffice(
        protected_return, dst, [{"cell": "B2", "text": "=1+1"}], read=["A1"]
    )

    assert result["cells"]["B2"]["type"] == "FORMULA"
    assert result["cells"]["B2"]["value"] == 2.0
    assert result["cells"]["A1"]["string"] == "Date completed"
    assert openpyxl.load_workbook(dst)["Return"]["B2"].value == "=1+1"


def test_missing_sheet_is_an_error(protected_return: Path, tmp_path: Path) -> None:
    with pytest.raises(LibreOfficeError, match="no sheet 'Answers'"):
        fill_with_libreoffice(protected_return, tmp_path / "x.xlsx", [], sheet="Answers")
