"""A coordinator changes a workspace's columns on the master's Columns sheet, between rounds
or within one: returns already out still check and merge by the columns they were issued
with, new returns carry the new column, and a removed column's history stays on record."""

from __future__ import annotations

import io
import shutil
import warnings
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from filling import fill_return
from openpyxl.worksheet.worksheet import Worksheet

from ipt_excel.core.model import slugify
from ipt_excel.errors import PlanFileError
from ipt_excel.excel.master_reader import read_master
from ipt_excel.excel.return_reader import read_return
from ipt_excel.services.check import check_files
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import current_plan, init_workspace
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.services.receive import MERGED, receive_returns
from ipt_excel.workspace import Workspace
from ipt_excel.workspace.ledger import Ledger

R3, R4 = "Third review of progress", "Fourth review of progress"
AT = datetime(2012, 9, 1, 9, 0)
RISKS = ["risks", "Risks and issues", "text", "Yes", "Yes", "Yes", "", "", "No", "30", "", ""]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    init_workspace(root, load_plan(EXAMPLE_PLAN), force=False, now=AT)
    issue(Workspace(root), R3, date(2012, 9, 26))
    return Workspace(root)


def issue(ws: Workspace, name: str, on: date, agencies: list[str] | None = None) -> None:
    issue_round(
        ws, round_name=name, round_date=on, due=None, agencies=agencies, password=None, now=AT
    )


def returned(ws: Workspace, name: str, agency: str, updates: dict[str, dict[str, str]]) -> Path:
    src = ws.returns_dir(slugify(name)) / f"{slugify(agency)}.xlsx"
    return fill_return(src, ws.root.parent / "inbox" / f"{slugify(name)}-{agency}.xlsx", updates)


def edit_master(ws: Workspace, change: object) -> None:
    """The coordinator edits the master in a spreadsheet program (openpyxl stands in)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(ws.master)
    change(wb)  # type: ignore[operator]
    wb.save(ws.master)


def add_risks_column(wb: openpyxl.Workbook) -> None:
    columns = wb["Columns"]
    assert isinstance(columns, Worksheet)
    columns.append(RISKS)


def merge(ws: Workspace, files: list[Path]) -> list[str]:
    result = receive_returns(
        ws, files, now=AT, feedback_dir=ws.root.parent / "fb", today=date(2012, 9, 26)
    )
    return [o.outcome for o in result.outcomes]


def test_a_column_added_between_rounds(ws: Workspace) -> None:
    old = returned(ws, R3, "HP", {"2.9": {"progress": "Round three words."}})
    edit_master(ws, add_risks_column)
    plan = current_plan(ws, repair=True)  # the new column reads as new and empty
    assert "risks" in plan.columns and plan.area("2.9").value("risks") == ""

    issue(ws, R4, date(2012, 12, 12))
    new_return = ws.returns_dir(slugify(R4)) / "hp.xlsx"
    got = read_return(new_return.read_bytes(), "hp.xlsx")
    assert "Risks and issues" in got.headers
    assert got.manifest is not None and "risks" in got.manifest.columns

    (stale,) = check_files(ws, [old], today=date(2012, 12, 12))  # last round's return
    assert [p.rule for p in stale.problems] == ["stale-round"]
    filled = returned(ws, R4, "HP", {"2.9": {"risks": "Two posts vacant.", "progress": "More."}})
    assert merge(ws, [filled]) == [MERGED]
    assert read_master(ws.master).area("2.9").value("risks") == "Two posts vacant."


def test_a_return_issued_before_a_column_was_added_still_checks_and_merges(
    ws: Workspace,
) -> None:
    early = returned(ws, R3, "HP", {"2.9": {"progress": "Issued before the new column."}})
    edit_master(ws, add_risks_column)
    (result,) = check_files(ws, [early], today=date(2012, 9, 26))
    assert result.valid, result.problems
    assert merge(ws, [early]) == [MERGED]
    plan = read_master(ws.master)
    assert plan.area("2.9").value("progress") == "Issued before the new column."
    assert plan.area("2.9").value("risks") == ""  # it could not be given: it was not sent


def test_a_removed_column_keeps_its_history_in_the_ledger(ws: Workspace) -> None:
    edit_master(ws, add_risks_column)
    issue(ws, R3, date(2012, 9, 26), agencies=["HP"])  # re-issued with the column
    first = returned(ws, R3, "HP", {"2.9": {"risks": "Vacancies.", "progress": "P."}})
    assert merge(ws, [first]) == [MERGED]

    def drop(wb: openpyxl.Workbook) -> None:
        columns, plan = wb["Columns"], wb["Plan"]
        assert isinstance(columns, Worksheet) and isinstance(plan, Worksheet)
        row = next(r for r in range(1, columns.max_row + 1) if columns[f"A{r}"].value == "risks")
        columns.delete_rows(row)
        col = next(c.column for c in plan[1] if c.value == "Risks and issues")
        plan.delete_cols(col)  # type: ignore[arg-type]

    edit_master(ws, drop)
    plan = current_plan(ws, repair=True)
    assert "risks" not in plan.columns
    issue(ws, R4, date(2012, 12, 12))
    with Ledger(ws.ledger_path) as ledger:
        kept = [c for c in ledger.changes(R3) if c.column == "risks"]
        assert [(c.area_id, c.new) for c in kept] == [("2.9", "Vacancies.")]
        assert ledger.column_headers()["risks"] == "Risks and issues"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        changes = openpyxl.load_workbook(io.BytesIO(ws.master.read_bytes()))["Changes"]
    assert isinstance(changes, Worksheet)
    fields = [changes.cell(r, 5).value for r in range(2, changes.max_row + 1)]
    assert "Risks and issues" in fields  # by its name, though the plan no longer has it


def test_a_column_deleted_from_the_plan_sheet_by_mistake_is_an_error(ws: Workspace) -> None:
    def delete_lead(wb: openpyxl.Workbook) -> None:
        plan = wb["Plan"]
        assert isinstance(plan, Worksheet)
        plan.delete_cols(next(c.column for c in plan[1] if c.value == "Lead"))  # type: ignore[arg-type]

    edit_master(ws, delete_lead)
    with pytest.raises(PlanFileError, match="no column headed 'Lead'"):
        current_plan(ws, repair=True)


def test_a_master_written_before_plans_had_columns_still_opens(tmp_path: Path) -> None:
    root = tmp_path / "old"
    init_workspace(root, load_plan(EXAMPLE_PLAN), force=False, now=AT)
    master = Workspace(root).master

    def as_before(wb: openpyxl.Workbook) -> None:
        del wb["Columns"]
        details = wb["Details"]
        assert isinstance(details, Worksheet)
        for r in range(details.max_row, 1, -1):
            if details[f"A{r}"].value == "Rule":
                details.delete_rows(r)
        details.append(["Evidence required for GREEN", "No"])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(master)
    as_before(wb)
    wb.save(master)
    plan = read_master(master)
    assert [c.key for c in plan.columns.updates] == ["progress", "rag", "evidence", "next_review"]
    assert [r.code for r in plan.columns.rules] == ["progress-required"]
    shutil.rmtree(root)
