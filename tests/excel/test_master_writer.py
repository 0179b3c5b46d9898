"""The master workbook as written: layout, print set-up, sheets, chart, golden file, no secrets."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from golden.compare import compare_xlsx
from golden.regenerate_master import CREATED, GOLDEN_MASTER, golden_master_bytes
from openpyxl.worksheet.worksheet import Worksheet
from plans import make_area, make_update, with_values

from ipt_excel.core.actions import actions_text
from ipt_excel.core.columns import DEFAULT_COLUMNS
from ipt_excel.core.facts import MasterExtras
from ipt_excel.core.model import EXCEL_CELL_LIMIT, Change, Conflict, Plan
from ipt_excel.core.rows import cell_text
from ipt_excel.errors import IptError
from ipt_excel.excel.master_writer import master_columns, write_master
from ipt_excel.excel.styles import CHANGED, CONFLICT, RAG_COLOURS
from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import example_plan_path, load_plan

ISSUE_HEADERS = (
    "ID",
    "Theme",
    "Area for improvement",
    "Timescale",
    "Practice standards",
    "Agencies",
    "Actions",
    "Lead",
    "Date for completion",
    "Assurance measures",
    "Desired outcome",
    "Progress",
    "RAG",
    "Evidence of impact",
    "Date of next review",
)

HEADERS = [c.header for c in master_columns(DEFAULT_COLUMNS)]
COL = {
    c.key: i + 1 for i, c in enumerate(master_columns(DEFAULT_COLUMNS))
}  # one-based, as openpyxl counts
AT = datetime(2012, 7, 2, 10, 0)


@pytest.fixture(scope="module")
def example() -> Plan:
    return load_plan(example_plan_path())


@pytest.fixture(scope="module")
def master_bytes(example: Plan) -> bytes:
    return write_master(example, created=CREATED)


@pytest.fixture(scope="module")
def wb(master_bytes: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(master_bytes))


@pytest.fixture(scope="module")
def plan_ws(wb: Any) -> Worksheet:
    ws: Worksheet = wb["Plan"]
    return ws


def letter(key: str) -> str:
    return openpyxl.utils.get_column_letter(COL[key])


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def block(ws: Worksheet, title: str) -> list[tuple[Any, ...]]:
    """The rows under a titled block on a sheet (header row first), up to the next blank row."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] == title)
    out = []
    for r in rows[start + 1 :]:
        if all(v in (None, "") for v in r):
            break
        out.append(r)
    return out


# -- the Plan sheet ------------------------------------------------------------------------------
def test_sheets(wb: Any) -> None:
    names = wb.sheetnames
    assert names[0] == "Plan"
    assert {"Plan", "Summary", "Agencies", "Glossary", "Details"} <= set(names)
    assert wb.active.title == "Plan"


def test_header_row_has_every_required_column_in_order(plan_ws: Worksheet) -> None:
    header = [c.value for c in plan_ws[1]]
    assert header[0] == "ID"
    assert header == HEADERS
    # Every column the issue asks for, in its order (derived columns may sit between them).
    assert [h for h in header if h in ISSUE_HEADERS] == list(ISSUE_HEADERS)


def test_one_row_per_area_with_the_plans_text_verbatim(plan_ws: Worksheet, example: Plan) -> None:
    assert plan_ws.max_row == 1 + len(example.areas) == 33
    for r, area in enumerate(example.areas, start=2):
        for col in DEFAULT_COLUMNS.columns:
            got = plan_ws.cell(r, COL[col.key]).value
            want = cell_text(example, area, col)
            assert (got or "") == want, (area.id, col.header)
    assert plan_ws["C2"].value == (
        "Ensure that core assessments are completed following all child protection nvestigations"
    )


def test_ids_are_text(plan_ws: Worksheet, example: Plan) -> None:
    ids = [plan_ws.cell(r, 1).value for r in range(2, 34)]
    assert ids == [a.id for a in example.areas]
    assert plan_ws["A11"].value == "1.10"
    for r in range(2, 34):
        cell = plan_ws.cell(r, 1)
        assert cell.data_type == "s", cell.coordinate
        assert cell.number_format == "@"


def test_no_cell_is_a_formula(master_bytes: bytes) -> None:
    for name, data in parts(master_bytes).items():
        if name.startswith("xl/worksheets/sheet"):
            assert b"<f>" not in data and b"<f " not in data, name


def test_text_that_looks_like_a_formula_is_written_as_text() -> None:
    plan = replace(
        load_plan(example_plan_path()),
        areas=(
            make_area("1.1", "1", "=SUM(A1:A2)", action="+44 line", leads="@duty", progress="-1"),
        ),
    )
    ws = openpyxl.load_workbook(io.BytesIO(write_master(plan, created=CREATED)))["Plan"]
    for key, text in (("title", "=SUM(A1:A2)"), ("actions", "+44 line"), ("leads", "@duty")):
        cell = ws[f"{letter(key)}2"]
        assert cell.value == text and cell.data_type == "s"
    assert ws[f"{letter('progress')}2"].value == "-1"


def column_widths(ws: Worksheet) -> dict[int, float]:
    """One-based column -> width; a <col> element may cover a run of columns."""
    out: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        if dim.customWidth:
            for i in range(dim.min, dim.max + 1):
                out[i] = dim.width
    return out


def test_long_text_columns_wrap_and_have_their_widths(plan_ws: Worksheet) -> None:
    widths = column_widths(plan_ws)
    for col in master_columns(DEFAULT_COLUMNS):
        assert widths[COL[col.key]] == pytest.approx(col.width, abs=1), col.header
    for key in ("title", "actions", "progress", "evidence", "assurance", "outcome"):
        assert plan_ws[f"{letter(key)}2"].alignment.wrap_text, key
    assert widths[COL["actions"]] >= 40


def test_rows_are_tall_enough_for_their_text(plan_ws: Worksheet) -> None:
    heights = [plan_ws.row_dimensions[r].height for r in range(2, 34)]
    assert all(h is not None and h > 15 for h in heights)
    assert max(heights) > 100  # the long areas get tall rows


def test_header_frozen_and_filter_on(plan_ws: Worksheet) -> None:
    assert plan_ws.freeze_panes is not None
    frozen = openpyxl.utils.cell.coordinate_from_string(plan_ws.freeze_panes)
    assert frozen[1] == 2  # everything above row 2 (the header) stays in view
    last = openpyxl.utils.get_column_letter(len(master_columns(DEFAULT_COLUMNS)))
    filters = [plan_ws.auto_filter.ref] + [
        t.autoFilter.ref for t in plan_ws.tables.values() if t.autoFilter is not None
    ]
    assert f"A1:{last}33" in filters


def test_rag_cells_coloured_by_value(plan_ws: Worksheet) -> None:
    rag = letter("rag")
    seen: dict[str, tuple[str, str]] = {}
    for rng in plan_ws.conditional_formatting:
        for rule in rng.rules:
            if rule.type == "cellIs" and rule.operator == "equal":
                assert str(rng.sqref) == f"{rag}2:{rag}33"
                word = rule.formula[0].strip('"')
                seen[word] = (rule.dxf.fill.bgColor.rgb, rule.dxf.font.color.rgb)
    for word in ("RED", "AMBER", "GREEN"):
        fill, text = RAG_COLOURS[word]
        assert seen[word] == ("FF" + fill[1:], "FF" + text[1:]), word


def test_rag_dropdown_lists_the_plans_scale(wb: Any, plan_ws: Worksheet) -> None:
    rag = letter("rag")
    dvs = [dv for dv in plan_ws.data_validations.dataValidation if dv.type == "list"]
    assert len(dvs) == 1
    assert str(dvs[0].sqref) == f"{rag}2:{rag}33"
    sheet, _, cells = dvs[0].formula1.partition("!")
    lists = wb[sheet.strip("'")]
    assert lists.sheet_state == "hidden"
    assert [c.value for c in lists[cells.replace("$", "")][0:3] for c in c] == [
        "RED",
        "AMBER",
        "GREEN",
    ]


def test_print_ready(plan_ws: Worksheet, example: Plan) -> None:
    setup = plan_ws.page_setup
    assert setup.orientation == "landscape"
    assert int(setup.paperSize) == 9  # A4, like every other sheet: one paper size per PDF
    assert plan_ws.sheet_properties.pageSetUpPr.fitToPage
    # Two page widths, the ID on each, each band of rows read across before the next.
    assert (setup.fitToWidth, setup.fitToHeight) == (2, 0)
    assert setup.pageOrder == "overThenDown"
    assert plan_ws.print_title_rows == "$1:$1"
    assert plan_ws.print_title_cols == "$A:$A"
    footer = plan_ws.oddFooter
    assert example.title.startswith(footer.left.text.rstrip("…"))
    assert len(footer.left.text) > 40
    assert example.round.name in footer.center.text
    assert "&P" in footer.right.text and "&N" in footer.right.text


# -- the other sheets ----------------------------------------------------------------------------
def test_agencies_sheet(wb: Any, example: Plan) -> None:
    rows = list(wb["Agencies"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Key", "Name", "Other names", "Contact e-mail")
    body = [r for r in rows[1:] if r[0]]
    assert [r[0] for r in body] == [a.key for a in example.agencies]
    assert [r[1] for r in body] == [a.name for a in example.agencies]
    csc = body[0]
    assert csc[2] == "Children's Social Care"
    assert "1.10" in csc[4].split(", ")


def test_glossary_sheet(wb: Any, example: Plan) -> None:
    rows = [r for r in wb["Glossary"].iter_rows(values_only=True) if r[0]]
    assert rows[0][:2] == ("Term", "Meaning")
    assert [(r[0], r[1]) for r in rows[1:]] == [(g.term, g.meaning) for g in example.glossary]
    assert len(rows) - 1 == 23


def test_details_sheet(wb: Any, example: Plan) -> None:
    values = {
        r[0]: r[1] for r in wb["Details"].iter_rows(min_row=2, values_only=True) if r[0] != "Note"
    }
    assert values["Title"] == example.title
    assert values["Round"] == "Second review of progress"
    assert values["Round date"] == "2012-06-26"
    assert values["Signed off by"] == "Ashley Ayre"
    assert values["Role"] == "Strategic Director"
    assert values["Theme 1"] == "Practice and management"
    notes = [r[1] for r in wb["Details"].iter_rows(min_row=2, values_only=True) if r[0] == "Note"]
    assert notes == list(example.notes)


def test_summary_counts_and_chart(wb: Any, master_bytes: bytes) -> None:
    ws = wb["Summary"]
    themes = block(ws, "RAG ratings by theme")
    assert themes[0][:6] == (themes[0][0], "RED", "AMBER", "GREEN", "Not rated", "Total")
    assert [r[:6] for r in themes[1:]] == [
        ("1. Practice and management", 0, 9, 4, 3, 16),
        ("2. Service management – Children's Service and cross-Services", 0, 11, 1, 4, 16),
    ]
    agencies = block(ws, "RAG ratings by agency")
    by_name = {r[0]: r[1:6] for r in agencies[1:]}
    assert by_name["Children's Social Care Service"] == (0, 12, 5, 2, 19)
    assert by_name["Emergency Duty Team"] == (0, 0, 1, 0, 1)
    assert len(ws._charts) == 1
    names = parts(master_bytes)
    assert "xl/charts/chart1.xml" in names
    chart = names["xl/charts/chart1.xml"].decode()
    assert "<c:barChart>" in chart and 'val="stacked"' in chart
    assert "Summary" in chart


def test_no_workspace_secret_in_the_master(tmp_path: Path, example: Plan) -> None:
    root = tmp_path / "ws"
    result = init_workspace(root, example, force=False, now=AT)
    key = result.workspace.key()
    data = result.workspace.master.read_bytes()
    for name, body in parts(data).items():
        text = body.decode("utf-8", errors="replace")
        assert key.hex() not in text.lower(), name
        assert ".ipt" not in text, name
        assert str(tmp_path) not in text, name
    assert key.hex().encode() not in data and key not in data


# -- changes, conflicts, notes -------------------------------------------------------------------
def test_changes_and_conflicts_are_highlighted_with_a_note(example: Plan) -> None:
    rnd = example.round.name
    extras = MasterExtras(
        changes=(
            Change(rnd, "CSC", "1.2", "progress", "Old words", "New words", AT),
            Change(rnd, "CSC", "1.4", "rag", "AMBER", "GREEN", AT, superseded=True),
            Change("First review", "CSC", "1.5", "progress", "a", "b", AT),
        ),
        conflicts=(Conflict(rnd, "HEALTH", "1.3", "evidence", "x", "y", "Theirs", AT),),
    )
    ws = openpyxl.load_workbook(io.BytesIO(write_master(example, extras, created=CREATED)))["Plan"]
    changed = ws[f"{letter('progress')}3"]
    assert changed.fill.fgColor.rgb == "FF" + CHANGED[0][1:]
    assert changed.comment is not None and "Old words" in changed.comment.text
    conflict = ws[f"{letter('evidence')}4"]
    assert conflict.fill.fgColor.rgb == "FF" + CONFLICT[0][1:]
    assert conflict.comment is not None and "Theirs" in conflict.comment.text
    for cell in (ws[f"{letter('rag')}5"], ws[f"{letter('progress')}6"]):
        assert cell.comment is None  # superseded, or another round's
        assert cell.fill.fgColor.rgb != "FF" + CHANGED[0][1:]


def test_overdue_and_disagreement_columns(example: Plan) -> None:
    rnd = example.round.name
    plan = replace(
        example,
        agency_updates=(
            make_update("1.2", "CSC", rnd, rag="AMBER", changed=("rag",)),
            make_update("1.2", "CS", rnd, rag="GREEN", changed=("rag",)),
        ),
    )
    ws = openpyxl.load_workbook(io.BytesIO(write_master(plan, created=CREATED)))["Plan"]
    note = ws.cell(3, HEADERS.index("RAG note") + 1).value
    names = {a.key: a.name for a in plan.agencies}
    assert note == f"Agencies disagree: {names['CSC']} AMBER, {names['CS']} GREEN"
    overdue = {
        ws.cell(r, 1).value: ws.cell(r, HEADERS.index("Overdue") + 1).value for r in range(2, 34)
    }
    assert overdue["1.11"] == "Overdue: April 2012"
    assert not overdue["1.1"]  # GREEN is never overdue


def test_a_file_hash_shows_on_one_line_and_reads_back_whole(example: Plan) -> None:
    rnd = example.round.name
    update = make_update("1.2", "CSC", rnd, rag="AMBER", source_sha256="ab" * 32)
    plan = replace(example, agency_updates=(update,))
    ws = openpyxl.load_workbook(io.BytesIO(write_master(plan, created=CREATED)))["Agency updates"]
    headers = [c.value for c in ws[1]]
    cell = ws.cell(2, headers.index("Source SHA-256") + 1)
    assert cell.value == "ab" * 32
    # Not wrapped: a row sized for its other cells would cut a wrapped hash mid-line.
    assert not cell.alignment.wrap_text
    assert ws.cell(2, headers.index("Progress") + 1).alignment.wrap_text


# -- limits and edge cases -----------------------------------------------------------------------
def test_text_at_excels_cell_limit_is_written_whole(example: Plan) -> None:
    text = ("Lorem ipsum dolor sit amet. " * 1200)[:EXCEL_CELL_LIMIT]
    plan = replace(example, areas=(with_values(example.areas[0], progress=text),))
    ws = openpyxl.load_workbook(io.BytesIO(write_master(plan, created=CREATED)))["Plan"]
    assert ws[f"{letter('progress')}2"].value == text


def test_text_over_excels_cell_limit_is_refused_not_cut(example: Plan) -> None:
    # xlsxwriter silently truncates a string over 32,767 characters: the plan would lose text.
    plan = replace(
        example, areas=(with_values(example.areas[0], progress="x" * (EXCEL_CELL_LIMIT + 1)),)
    )
    with pytest.raises(IptError, match="32,?767"):
        write_master(plan, created=CREATED)


def test_actions_cell_over_the_limit_is_refused_not_cut(example: Plan) -> None:
    # Each part fits, but the Actions cell joins them.
    area = with_values(example.areas[0], actions=actions_text("a" * 30_000, ("b" * 3_000,)))
    with pytest.raises(IptError, match="32,?767"):
        write_master(replace(example, areas=(area,)), created=CREATED)


def test_an_empty_plan_still_makes_a_workbook(example: Plan) -> None:
    plan = replace(example, areas=(), agency_updates=())
    wb = openpyxl.load_workbook(io.BytesIO(write_master(plan, created=CREATED)))
    assert [c.value for c in wb["Plan"][1]] == HEADERS


def test_blue_scale_lists_blue(example: Plan) -> None:
    plan = replace(
        example,
        rag_scale=("RED", "AMBER", "GREEN", "BLUE"),
        areas=(with_values(example.areas[0], rag="BLUE"),),
    )
    wb = openpyxl.load_workbook(io.BytesIO(write_master(plan, created=CREATED)))
    assert [r[0] for r in wb["Lists"].iter_rows(values_only=True)][:4] == [
        "RED",
        "AMBER",
        "GREEN",
        "BLUE",
    ]
    assert block(wb["Summary"], "RAG ratings by theme")[0][1:6] == (
        "RED",
        "AMBER",
        "GREEN",
        "BLUE",
        "Not rated",
    )


def test_output_is_reproducible_for_a_fixed_creation_date(example: Plan, tmp_path: Path) -> None:
    a = write_master(example, created=CREATED)
    b = tmp_path / "again.xlsx"
    b.write_bytes(write_master(example, created=CREATED))
    assert compare_xlsx(a, b) == []
    core = parts(a)["docProps/core.xml"].decode()
    assert "2012-07-02T09:00:00Z" in core


# -- the golden file -----------------------------------------------------------------------------
def test_matches_the_golden_master() -> None:
    """If this fails after an intended layout change, run tests/golden/regenerate_master.py,
    review the new file (open it; read it back), and commit it with the change."""
    differences = compare_xlsx(golden_master_bytes(), GOLDEN_MASTER)
    assert differences == [], "\n\n".join(differences)


def test_compare_xlsx_sees_a_changed_cell_and_ignores_the_modified_date(example: Plan) -> None:
    assert compare_xlsx(GOLDEN_MASTER.read_bytes(), GOLDEN_MASTER) == []
    changed = replace(example, areas=(with_values(example.areas[0], progress="Different"),))
    diffs = compare_xlsx(write_master(changed, created=CREATED), GOLDEN_MASTER)
    assert any(d.startswith("xl/sharedStrings.xml") for d in diffs)
    # Only the volatile modified date differs: equal.
    data = parts(GOLDEN_MASTER.read_bytes())
    data["docProps/core.xml"] = re.sub(
        rb"<dcterms:modified([^>]*)>[^<]*<",
        rb"<dcterms:modified\1>2030-01-01T00:00:00Z<",
        data["docProps/core.xml"],
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, body in data.items():
            zf.writestr(name, body)
    assert compare_xlsx(buf.getvalue(), GOLDEN_MASTER) == []
    # A different creation date is not volatile: the golden file fixes it.
    other = write_master(example, created=datetime(2020, 1, 1))
    assert any(d.startswith("docProps/core.xml") for d in compare_xlsx(other, GOLDEN_MASTER))
