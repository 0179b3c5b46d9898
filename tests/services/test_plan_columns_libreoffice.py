"""A plan's own columns, end to end through a real LibreOffice, with no code of their own.

The plan is templates/banes-2012-columns/plan.yaml: the bundled plan plus four columns (a
text, a choice and a percent update field, and a plan-text column). It runs the whole loop
from the command line: init, issue (the new update cells open, with their dropdown or
validation), returns typed into LibreOffice (valid ones merge; an invalid "% complete" and
an invalid "Status" are refused with their cells named), merge (the values in the master
under their headings, highlighted, on the Changes sheet and in the ledger) and circulate.
"""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

import openpyxl
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
from ipt_excel.services.plan_source import TEMPLATES
from ipt_excel.workspace.ledger import Ledger

pytestmark = LIBREOFFICE_MARKS

PLAN = TEMPLATES / "banes-2012-columns" / "plan.yaml"
ROUND = "Third review of progress"
NEW = ("Risks and issues", "Status", "% complete")
HEADER_ROW = 9


def ipt(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def sheet(path: Path | bytes, name: str = "Return") -> Worksheet:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src = io.BytesIO(path) if isinstance(path, bytes) else path
        ws = openpyxl.load_workbook(src)[name]
    assert isinstance(ws, Worksheet)
    return ws


def columns_of(ws: Worksheet, row: int = HEADER_ROW) -> dict[str, str]:
    """Header text -> column letter."""
    return {
        str(c.value): get_column_letter(c.column)  # type: ignore[arg-type]
        for c in ws[row]
        if c.value is not None
    }


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("own-columns") / "ws"
    assert ipt("init", "--from", PLAN, "-w", root).exit_code == 0
    done = ipt("issue", "--round", ROUND, "--date", "2012-09-26", "--due", "2012-09-12", "-w", root)
    assert done.exit_code == 0, done.output
    return root


def hp_return(ws: Path) -> Path:
    return ws / "returns" / "third-review-of-progress" / "hp.xlsx"


def test_the_new_update_cells_are_open_with_their_dropdown_or_validation(issued: Path) -> None:
    ws = sheet(hp_return(issued))
    cols = columns_of(ws)
    assert all(h in cols for h in (*NEW, "Budget holder"))
    first = HEADER_ROW + 1
    for header in NEW:
        assert ws[f"{cols[header]}{first}"].protection.locked is False, header
    assert ws[f"{cols['Budget holder']}{first}"].protection.locked is True  # plan text
    rules = {str(dv.sqref).split(":")[0][:-2]: dv for dv in ws.data_validations.dataValidation}
    status = rules[cols["Status"]]
    assert status.type == "list" and status.errorStyle in (None, "stop")  # None: Excel's stop
    assert status.formula1 == "Lists!$C$1:$C$4"
    # "% complete" is a text cell with an input message: "45%" typed stays "45%" (a number
    # cell would hold 0.45), and the range is checked by ipt check.
    done = rules[cols["% complete"]]
    assert (done.type, done.prompt) == (None, "Type a number from 0 to 100, like 45 or 45%.")
    assert ws[f"{cols['% complete']}{first}"].number_format == "@"
    risks = rules[cols["Risks and issues"]]
    assert risks.prompt == "Say what could stop this work, and what you are doing about it."
    lists = sheet(hp_return(issued), "Lists")
    assert [lists[f"C{r}"].value for r in range(1, 5)] == [
        "Not started",
        "On track",
        "Off track",
        "Complete",
    ]


def fill(ws: Path, dst: Path, values: dict[str, str]) -> Path:
    """Type into every HP row's update cells through LibreOffice."""
    ret = sheet(hp_return(ws))
    cols = columns_of(ret)
    edits = []
    for row in range(HEADER_ROW + 1, HEADER_ROW + 5):
        edits.append({"cell": f"{cols['Progress']}{row}", "text": f"Progress for row {row}."})
        edits.append({"cell": f"{cols['RAG']}{row}", "text": "AMBER"})
        edits.append({"cell": f"{cols['Date of next review']}{row}", "text": "December 2012"})
        edits += [{"cell": f"{cols[h]}{row}", "text": text} for h, text in values.items()]
    edits += sign_off_typed(hp_return(ws))
    done = fill_with_libreoffice(hp_return(ws), dst, edits)
    assert all(e.get("ok") for e in done["edits"]), done["edits"]
    return dst


def test_an_invalid_percent_and_status_are_refused_with_their_cells_named(
    issued: Path, tmp_path: Path
) -> None:
    path = fill(issued, tmp_path / "hp-bad.xlsx", {"Status": "Maybe", "% complete": "150"})
    report = tmp_path / "report.csv"
    done = ipt("check", path, "-w", issued, "--report", report, "--feedback", tmp_path / "fb")
    assert done.exit_code == 1, done.output
    cols = columns_of(sheet(hp_return(issued)))
    with report.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    found = {(r["Cell"], r["Column"], r["Rule"]) for r in rows}
    for row in range(HEADER_ROW + 1, HEADER_ROW + 5):
        assert (f"{cols['Status']}{row}", "Status", "choice-in-list") in found
        assert (f"{cols['% complete']}{row}", "% complete", "percent-range") in found
    assert any("'150' is not a percentage from 0 to 100" in r["What to do"] for r in rows)


def test_the_values_merge_under_their_headings_highlighted_and_on_record(
    issued: Path, tmp_path: Path
) -> None:
    path = fill(
        issued,
        tmp_path / "hp.xlsx",
        {"Risks and issues": "Recruitment is slow.", "Status": "on track", "% complete": "40%"},
    )
    done = ipt("merge", path, "-w", issued, "--feedback", tmp_path / "fb")
    assert done.exit_code == 0, done.output

    plan = read_master(issued / "master.xlsx")
    hp_areas = plan.areas_for("HP")
    assert hp_areas and all(a.value("status") == "On track" for a in hp_areas)
    assert all(a.value("percent_complete") == "40" for a in hp_areas)
    assert all(a.value("risks_and_issues") == "Recruitment is slow." for a in hp_areas)

    master = sheet(issued / "master.xlsx", "Plan")
    cols = columns_of(master, 1)
    row = next(r for r in range(2, master.max_row + 1) if master[f"A{r}"].value == hp_areas[0].id)
    for header in NEW:
        cell = master[f"{cols[header]}{row}"]
        assert cell.fill.fgColor.rgb == "FF" + CHANGED[0][1:], header
        assert cell.comment is not None and "changed by Health providers" in cell.comment.text
    assert master[f"{cols['% complete']}{row}"].value == 40  # a number, shown as 40%

    changes = sheet(issued / "master.xlsx", "Changes")
    fields = {changes.cell(r, 5).value for r in range(2, changes.max_row + 1)}
    assert set(NEW) <= fields
    with Ledger(issued / ".ipt" / "ledger.sqlite") as ledger:
        keys = {c.column for c in ledger.changes(ROUND)}
    assert {"risks_and_issues", "status", "percent_complete"} <= keys

    out = tmp_path / "board.xlsx"
    assert ipt("circulate", "-w", issued, "--out", out).exit_code == 0
    board = sheet(out, "Plan")
    assert set(NEW) | {"Budget holder"} <= set(columns_of(board, 1))
