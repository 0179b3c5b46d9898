"""Six councils' own plan tables, each through the whole loop with a real LibreOffice.

For each shape in tests/plan_tables.py: `ipt init --from` the table (with the settings the
README gives it), `ipt issue`, one agency's return filled in LibreOffice as a person would
(progress, RAG and the date of next review typed into its first row), `ipt check` (valid)
and `ipt merge` (the values in the master, highlighted, and on the Changes sheet).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import openpyxl
import plan_tables as pt
import pytest
from libreoffice import (
    LIBREOFFICE_MARKS,
    fill_with_libreoffice,
    lo,  # noqa: F401 - fixture that LIBREOFFICE_MARKS uses
)
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from signing import sign_off_typed
from typer.testing import CliRunner, Result

from ipt_excel.cli import app
from ipt_excel.excel.master_reader import read_master
from ipt_excel.excel.styles import CHANGED

pytestmark = LIBREOFFICE_MARKS

ROUND = "June review"


def ipt(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def sheet(path: Path, name: str) -> Worksheet:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))[name]
    assert isinstance(ws, Worksheet)
    return ws


def header(ws: Worksheet, heading: str) -> tuple[int, dict[str, str]]:
    """The return's header row (the row holding `heading`) and heading -> column letter."""
    for row in ws.iter_rows(min_row=1, max_row=40):
        texts = {str(c.value): get_column_letter(c.column) for c in row if c.value is not None}
        if heading in texts and len(texts) > 4:
            return row[0].row, texts
    raise AssertionError("no header row in the return")


@pytest.mark.parametrize("name", pt.SHAPES)
def test_a_council_table_runs_the_whole_loop(name: str, tmp_path: Path) -> None:
    path, settings = pt.shape(tmp_path, name)
    ws = tmp_path / "ws"
    done = ipt("init", "--from", path, "--date", "2024-05-01", *pt.init_args(settings), "-w", ws)
    assert done.exit_code == 0, done.output
    plan = read_master(ws / "master.xlsx")
    done = ipt("issue", "--round", ROUND, "--date", "2024-06-20", "--due", "2024-06-13", "-w", ws)
    assert done.exit_code == 0, done.output

    agency = plan.agencies[0]
    returns = sorted((ws / "returns" / "june-review").glob("*.xlsx"))
    issued = next(p for p in returns if p.stem == agency.slug)
    ret = sheet(issued, "Return")
    rag_heading, progress_heading, review_heading = (
        plan.columns.get(key).header  # type: ignore[union-attr]
        for key in ("rag", "progress", "next_review")
    )
    row, cols = header(ret, review_heading)
    first = row + 1
    area_id = str(ret[f"A{first}"].value)
    edits = [
        {"cell": f"{cols[progress_heading]}{first}", "text": f"Done in June ({name})."},
        {"cell": f"{cols[rag_heading]}{first}", "text": "Amber"},
        {"cell": f"{cols[review_heading]}{first}", "text": "September 2024"},
    ]
    edits += sign_off_typed(issued)
    filled = fill_with_libreoffice(issued, tmp_path / f"{agency.slug}-back.xlsx", edits)
    assert all(e.get("ok") for e in filled["edits"]), filled["edits"]
    back = tmp_path / f"{agency.slug}-back.xlsx"

    done = ipt("check", back, "-w", ws, "--feedback", tmp_path / "fb")
    assert done.exit_code == 0, done.output
    done = ipt("merge", back, "-w", ws, "--feedback", tmp_path / "fb")
    assert done.exit_code == 0, done.output

    merged = read_master(ws / "master.xlsx").area(area_id)
    assert merged is not None
    assert (merged.value("progress"), merged.value("rag"), merged.value("next_review")) == (
        f"Done in June ({name}).", "AMBER", "September 2024"
    )  # fmt: skip
    master = sheet(ws / "master.xlsx", "Plan")
    mcols = {str(c.value): get_column_letter(c.column) for c in master[1] if c.value is not None}
    mrow = next(r for r in range(2, master.max_row + 1) if master[f"A{r}"].value == area_id)
    cell = master[f"{mcols[progress_heading]}{mrow}"]
    assert cell.fill.fgColor.rgb == "FF" + CHANGED[0][1:]
    assert cell.comment is not None and f"changed by {agency.name}" in cell.comment.text
