"""The circulation copy (`ipt circulate`): what boards and partners receive.

Summary first, every sheet read-only, nothing from the workspace inside, print-ready, and
accessible as UK public bodies must publish: one test per rule. The copy is made from the
demo's workspace, so there ARE changes, conflicts and rejected returns behind it. Each rule
is checked on the file as written: read back with openpyxl and by unzipping the XML.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as DefusedET
import openpyxl
import pytest
from libreoffice import (  # noqa: F401 - lo: the fixture the marks use
    LIBREOFFICE_MARKS,
    lo,
    pdf_page_count,
    pdf_page_sizes,
    pdf_text,
)
from openpyxl.styles.colors import COLOR_INDEX
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from ipt_excel.cli import app
from ipt_excel.excel.master_reader import read_master
from ipt_excel.excel.styles import RAG_COLOURS, contrast_ratio
from ipt_excel.services import render
from ipt_excel.services.circulate import CirculateResult, circulate
from ipt_excel.services.demo import DemoResult, run_demo
from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import example_plan_path, load_plan
from ipt_excel.workspace import Workspace
from ipt_excel.workspace.ledger import Ledger

AT = datetime(2012, 9, 14, 12, 0)
SHEETS = [
    "Summary",
    "Plan",
    "Agency updates",
    "Changes",
    "Conflicts",
    "Agencies",
    "Glossary",
    "Details",
]
NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "dc": "http://purl.org/dc/elements/1.1/",
}
R_ID = f"{{{NS['r']}}}id"
RUNNER = CliRunner()


def libreoffice_test(fn: Callable[..., None]) -> Callable[..., None]:
    """Apply the harness marks to one test (the rest of the module runs without LibreOffice)."""
    for mark in LIBREOFFICE_MARKS:
        fn = mark(fn)
    return fn


# -- the copy under test --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("circulate") / "demo")


@pytest.fixture(scope="module")
def ws(demo: DemoResult) -> Workspace:
    return Workspace(demo.workspace)


@pytest.fixture(scope="module")
def made(ws: Workspace) -> CirculateResult:
    return circulate(ws, now=AT)


@pytest.fixture(scope="module")
def parts(made: CirculateResult) -> dict[str, bytes]:
    with zipfile.ZipFile(made.path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="module")
def wb(made: CirculateResult) -> Any:
    return openpyxl.load_workbook(made.path)


def xml(parts: dict[str, bytes], name: str) -> Element:
    root: Element = DefusedET.fromstring(parts[name])
    return root


def _rels(parts: dict[str, bytes], part: str) -> dict[str, str]:
    """Relationship id -> target part name, for `part`."""
    folder, _, base = part.rpartition("/")
    rels_name = f"{folder}/_rels/{base}.rels"
    if rels_name not in parts:
        return {}
    out = {}
    for rel in xml(parts, rels_name).findall("pr:Relationship", NS):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
        # Resolve "../" so targets name real parts.
        bits: list[str] = []
        for piece in path.split("/"):
            if piece == "..":
                bits.pop()
            else:
                bits.append(piece)
        out[rel.get("Id", "")] = "/".join(bits)
    return out


def sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> worksheet part, in workbook order."""
    rels = _rels(parts, "xl/workbook.xml")
    sheets = xml(parts, "xl/workbook.xml").findall("m:sheets/m:sheet", NS)
    return {s.get("name", ""): rels[s.get(R_ID, "")] for s in sheets}


def table_parts(parts: dict[str, bytes], sheet_part: str) -> list[str]:
    rels = _rels(parts, sheet_part)
    found = xml(parts, sheet_part).findall("m:tableParts/m:tablePart", NS)
    return [rels[t.get(R_ID, "")] for t in found]


def _cell_range(ref: str) -> tuple[int, int, int, int]:
    """(min_col, min_row, max_col, max_row), one-based."""
    from openpyxl.utils.cell import range_boundaries

    bounds = range_boundaries(ref)
    assert all(b is not None for b in bounds), ref
    return bounds  # type: ignore[return-value]


# -- order, protection, what is left out ----------------------------------------------------------
def test_written_to_the_rounds_circulation_path(ws: Workspace, made: CirculateResult) -> None:
    assert made.path == ws.root / "circulation" / "third-review-of-progress.xlsx"
    assert made.path.is_file()
    assert made.pdf is None and made.pdf_note == ""


def test_summary_is_the_first_sheet_and_the_active_one(wb: Any, parts: dict[str, bytes]) -> None:
    assert wb.sheetnames[0] == "Summary"
    assert wb.active.title == "Summary"
    view = xml(parts, "xl/workbook.xml").find("m:bookViews/m:workbookView", NS)
    assert view is not None and view.get("activeTab", "0") == "0"
    # Exactly one tab selected: two would open the book with sheets grouped, and typing
    # (were it allowed) would go into both.
    selected = [
        name
        for name, part in sheet_parts(parts).items()
        if any(
            v.get("tabSelected") == "1" for v in xml(parts, part).iter(f"{{{NS['m']}}}sheetView")
        )
    ]
    assert selected == ["Summary"]


def test_every_sheet_is_protected(wb: Any, parts: dict[str, bytes]) -> None:
    for sheet in wb.worksheets:
        assert sheet.protection.sheet is True, sheet.title
    for name, part in sheet_parts(parts).items():
        prot = xml(parts, part).find("m:sheetProtection", NS)
        assert prot is not None, name
        assert prot.get("sheet") == "1", name
        assert prot.get("objects") == "1", f"{name}: the chart and notes can be edited"


def test_no_cell_on_any_sheet_is_unlocked(wb: Any, parts: dict[str, bytes]) -> None:
    for sheet in wb.worksheets:
        unlocked = [
            c.coordinate for row in sheet.iter_rows() for c in row if not c.protection.locked
        ]
        assert unlocked == [], f"{sheet.title}: unlocked cells {unlocked[:5]}"
    # Column and row default styles are xfs too: none may unlock anything.
    styles = xml(parts, "xl/styles.xml")
    for xf in styles.findall("m:cellXfs/m:xf", NS):
        prot = xf.find("m:protection", NS)
        assert prot is None or prot.get("locked") != "0"


def test_no_manifest_no_lists_and_no_hidden_sheets(wb: Any, parts: dict[str, bytes]) -> None:
    assert "Lists" not in wb.sheetnames
    assert not any("manifest" in name.lower() for name in wb.sheetnames)
    assert [s.title for s in wb.worksheets if s.sheet_state != "visible"] == []
    book = xml(parts, "xl/workbook.xml")
    for sheet in book.findall("m:sheets/m:sheet", NS):
        assert sheet.get("state", "visible") == "visible", sheet.get("name")
    # Nothing points at a dropdown list any more.
    names = [d.text or "" for d in book.findall("m:definedNames/m:definedName", NS)]
    assert not any("Lists" in n for n in names), names
    for name, part in sheet_parts(parts).items():
        assert xml(parts, part).find("m:dataValidations", NS) is None, name
    assert not any(b"ipt_excel manifest" in data for data in parts.values())


def test_nothing_from_the_workspace_inside(
    ws: Workspace, demo: DemoResult, parts: dict[str, bytes]
) -> None:
    with Ledger(ws.ledger_path) as ledger:
        changes = ledger.changes()
        receipts = ledger.receipts()
    assert changes and receipts, "the demo should have merged changes to hide"
    key = ws.key()
    received = sorted(ws.received.iterdir())
    assert received
    texts: set[str] = {
        key.hex(),
        key.hex().upper(),
        ".ipt",
        "ledger",
        "received/",
        str(ws.root),
        str(demo.inbox),
    }
    texts |= {p.name for p in received} | {p.stem for p in received}
    texts |= {hashlib.sha256(p.read_bytes()).hexdigest() for p in received}
    texts |= {c.source_sha256 for c in changes if c.source_sha256}
    texts |= {c.source_file for c in changes if c.source_file}
    texts |= {p.name for p in demo.inbox.iterdir()}
    leaks = []
    for name, data in parts.items():
        if key in data:
            leaks.append(f"{name}: the signing key's bytes")
        lowered = data.decode("utf-8", errors="replace").lower()
        leaks += [f"{name}: {t!r}" for t in sorted(texts) if t and t.lower() in lowered]
    assert leaks == []


def test_no_merged_cells(wb: Any, parts: dict[str, bytes]) -> None:
    for sheet in wb.worksheets:
        assert list(sheet.merged_cells.ranges) == [], sheet.title
    for name, part in sheet_parts(parts).items():
        assert xml(parts, part).find("m:mergeCells", NS) is None, name


def test_the_copy_shows_the_master_as_it_is(ws: Workspace, wb: Any) -> None:
    master = openpyxl.load_workbook(ws.master)
    for name in ("Plan", "Glossary", "Agencies"):
        assert list(wb[name].values) == list(master[name].values), name
    with Ledger(ws.ledger_path) as ledger:
        live = [c for c in ledger.changes() if not c.superseded]
    changes = list(wb["Changes"].iter_rows(min_row=2, values_only=True))
    assert len(changes) == len(live) > 0
    # Who changed what is kept, by the agency's name rather than its key.
    assert {r[2] for r in changes} >= {"Children's Social Care Service", "Health Services"}


def test_details_say_what_the_plan_is_not_how_the_tool_is_set_up(ws: Workspace, wb: Any) -> None:
    rows = list(wb["Details"].iter_rows(min_row=2, values_only=True))
    labels = [r[0] for r in rows]
    assert labels[:3] == ["Title", "Organisation", "Inspection"]
    assert ("Round date", "26 September 2012") in rows  # as a board reads a date
    for internal in ("Rule", "Return sign-off", "Coordinator e-mail", "RAG scale", "Returns due"):
        assert internal not in labels, internal
    assert not any(str(label).startswith("Import ") for label in labels)
    assert all(value for _, value in rows)  # nothing empty to puzzle over
    text = " ".join(str(v) for r in rows for v in r)
    assert "Enter the" not in text  # no instruction meant for an agency
    # The coordinator's master keeps them all, dates as it reads them back.
    master = [r[0] for r in openpyxl.load_workbook(ws.master)["Details"].values]
    assert "Rule" in master and "Return sign-off" in master


# -- accessibility --------------------------------------------------------------------------------
@pytest.mark.parametrize("sheet_name", SHEETS)
def test_every_table_is_a_real_excel_table_with_its_header_row(
    sheet_name: str, wb: Any, parts: dict[str, bytes]
) -> None:
    part = sheet_parts(parts)[sheet_name]
    tables = table_parts(parts, part)
    assert tables, f"{sheet_name} holds a table but has no real Excel table"
    sheet = wb[sheet_name]
    covered_rows: set[int] = set()
    for t in tables:
        table = xml(parts, t)
        assert table.get("headerRowCount", "1") == "1", t
        min_col, min_row, max_col, max_row = _cell_range(table.get("ref", ""))
        names = [c.get("name") for c in table.findall("m:tableColumns/m:tableColumn", NS)]
        header = [sheet.cell(row=min_row, column=c).value for c in range(min_col, max_col + 1)]
        assert header == names, f"{sheet_name} {t}: header row {header} != columns {names}"
        assert all(names), f"{sheet_name} {t}: a column without a name"
        covered_rows |= set(range(min_row, max_row + 1))
    if sheet_name != "Summary":  # list sheets: the table holds every row with data
        used = {c.row for row in sheet.iter_rows() for c in row if c.value not in (None, "")}
        assert used <= covered_rows, (
            f"{sheet_name}: rows outside the table {sorted(used - covered_rows)}"
        )


def test_rag_is_written_in_words_and_coloured_by_conditional_format(
    wb: Any, parts: dict[str, bytes], ws: Workspace
) -> None:
    plan = read_master(ws.master)
    sheet = wb["Plan"]
    header = [c.value for c in sheet[1]]
    rag_col = header.index("RAG") + 1
    values = [sheet.cell(row=r, column=rag_col).value for r in range(2, len(plan.areas) + 2)]
    assert set(values) <= {*plan.rag_scale, None, ""}
    assert {"AMBER", "GREEN"} <= set(values)  # the demo's master has both
    # Each word on the scale gets its own coloured rule over the whole RAG column.
    letter = get_column_letter(rag_col)
    styles = xml(parts, "xl/styles.xml")
    dxfs = styles.findall("m:dxfs/m:dxf", NS)
    rules: dict[str, str] = {}
    whole_column = f"{letter}2:{letter}{len(plan.areas) + 1}"
    formats = xml(parts, sheet_parts(parts)["Plan"]).findall("m:conditionalFormatting", NS)
    on_rag = [cf for cf in formats if cf.get("sqref") == whole_column]
    assert on_rag, f"no conditional format over {whole_column}"
    for cf in on_rag:
        for rule in cf.findall("m:cfRule", NS):
            assert (rule.get("type"), rule.get("operator")) == ("cellIs", "equal")
            formula = rule.findtext("m:formula", default="", namespaces=NS).strip('"')
            fill = dxfs[int(rule.get("dxfId", "-1"))].find("m:fill/m:patternFill/m:bgColor", NS)
            assert fill is not None, formula
            rules[formula] = "#" + fill.get("rgb", "")[-6:]
    for word in plan.rag_scale:
        assert rules.get(word, "").upper() == RAG_COLOURS[word][0], word


def test_the_chart_has_alt_text(parts: dict[str, bytes]) -> None:
    charts = [n for n in parts if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    assert charts, "the Summary should have its chart"
    frames = []
    for name in (n for n in parts if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)):
        root = xml(parts, name)
        for tag in ("graphicFrame", "pic", "sp"):
            for obj in root.iter(f"{{{NS['xdr']}}}{tag}"):
                props = next(obj.iter(f"{{{NS['xdr']}}}cNvPr"))
                frames.append((name, props.get("descr", "").strip()))
    assert len(frames) >= len(charts)
    assert [f for f in frames if len(f[1]) < 20] == [], "alt text should say what the chart shows"


@dataclass(frozen=True)
class Pair:
    where: str
    text: str
    fill: str


def _theme_colours(parts: dict[str, bytes]) -> list[str]:
    """Theme colour index -> hex, in the order spreadsheet theme indexes count them."""
    scheme = next(xml(parts, "xl/theme/theme1.xml").iter(f"{{{NS['a']}}}clrScheme"))
    by_name: dict[str, str] = {}
    for slot in scheme:
        colour = slot[0]
        value = colour.get("lastClr") or colour.get("val") or ""
        by_name[slot.tag.rpartition("}")[2]] = "#" + value
    order = ["lt1", "dk1", "lt2", "dk2", *(f"accent{i}" for i in range(1, 7))]
    return [by_name[n] for n in order]


def _colour(el: Element | None, theme: list[str], default: str) -> str:
    if el is None:
        return default
    assert el.get("tint") is None, "tinted theme colours are not checked here: add support"
    if el.get("rgb"):
        return "#" + el.get("rgb", "")[-6:]
    if el.get("theme") is not None:
        return theme[int(el.get("theme", "0"))]
    if el.get("indexed") is not None:
        index = int(el.get("indexed", "0"))
        assert index < len(COLOR_INDEX), f"system colour {index} in a cell style"
        return "#" + COLOR_INDEX[index][-6:]
    return default


def colour_pairs(parts: dict[str, bytes]) -> Iterator[Pair]:
    """Every text/background pair the styles can show: cell formats and conditional formats."""
    styles = xml(parts, "xl/styles.xml")
    theme = _theme_colours(parts)
    fonts = styles.findall("m:fonts/m:font", NS)
    fills = styles.findall("m:fills/m:fill", NS)
    black, white = theme[1], theme[0]
    for i, xf in enumerate(styles.findall("m:cellXfs/m:xf", NS)):
        font = fonts[int(xf.get("fontId", "0"))]
        pattern = fills[int(xf.get("fillId", "0"))].find("m:patternFill", NS)
        solid = pattern is not None and pattern.get("patternType") == "solid"
        fill = _colour(pattern.find("m:fgColor", NS), theme, white) if solid else white  # type: ignore[union-attr]
        yield Pair(f"cell format {i}", _colour(font.find("m:color", NS), theme, black), fill)
    for i, dxf in enumerate(styles.findall("m:dxfs/m:dxf", NS)):
        fill_el = dxf.find("m:fill/m:patternFill/m:bgColor", NS)
        # A rule that sets no text colour shows the cell's own: black text on these sheets.
        text = _colour(dxf.find("m:font/m:color", NS), theme, black)
        yield Pair(f"conditional format {i}", text, _colour(fill_el, theme, white))


def test_text_and_fill_colours_have_a_contrast_of_at_least_4_5(parts: dict[str, bytes]) -> None:
    pairs = list(colour_pairs(parts))
    assert any(p.fill.upper() != "#FFFFFF" for p in pairs), "no coloured fill was examined"
    low = [
        f"{p.where}: {p.text} on {p.fill} is {contrast_ratio(p.text, p.fill):.2f}:1"
        for p in pairs
        if contrast_ratio(p.text, p.fill) < 4.5
    ]
    assert low == []


def test_contrast_check_would_catch_a_bad_pair() -> None:
    # The check above is only as good as contrast_ratio: white on GOV.UK yellow fails.
    assert contrast_ratio("#FFFFFF", "#FFDD00") < 4.5
    assert contrast_ratio("#0B0C0C", "#FFDD00") >= 4.5


def test_sheet_names_are_meaningful(wb: Any) -> None:
    assert wb.sheetnames == SHEETS
    assert not any(re.fullmatch(r"sheet\d*", n, re.IGNORECASE) for n in wb.sheetnames)


def test_document_title_is_the_plan_title(ws: Workspace, parts: dict[str, bytes]) -> None:
    plan = read_master(ws.master)
    core = xml(parts, "docProps/core.xml")
    assert core.findtext("dc:title", namespaces=NS) == plan.title
    assert "Circulation copy" in (core.findtext("dc:subject", namespaces=NS) or "")


# -- print-ready ----------------------------------------------------------------------------------
@pytest.mark.parametrize("sheet_name", SHEETS)
def test_every_sheet_prints_on_a4_landscape_with_page_numbers(sheet_name: str, wb: Any) -> None:
    # One paper size and orientation for the whole copy, so its PDF has one page size.
    sheet = wb[sheet_name]
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9
    assert "&P" in (sheet.oddFooter.right.text or ""), "page numbers in the footer"
    if sheet_name == "Summary":  # it sets its own scale and page breaks
        return
    assert sheet.sheet_properties.pageSetUpPr is not None
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    # The Plan is two page widths (the ID repeated); every list sheet fits one.
    assert sheet.page_setup.fitToWidth in ((2,) if sheet_name == "Plan" else (None, 1))
    # How tall (as many pages as it takes, or one fewer to keep a lone row off a page of its
    # own) is read back in tests/excel/test_print_layout.py.


def test_every_table_sheet_repeats_its_header_row_on_every_page(
    wb: Any, parts: dict[str, bytes]
) -> None:
    assert wb["Plan"].print_title_rows == "$1:$1"
    titles = {
        int(d.get("localSheetId")): d.text
        for d in xml(parts, "xl/workbook.xml").findall("m:definedNames/m:definedName", NS)
        if d.get("name") == "_xlnm.Print_Titles"
    }
    # Every sheet but the Summary (a page of separate small tables) repeats its header row.
    expected = {
        i: (f"'{s}'" if " " in s else s) + "!$1:$1" for i, s in enumerate(SHEETS) if s != "Summary"
    }
    expected[SHEETS.index("Plan")] = "Plan!$A:$A,Plan!$1:$1"  # and its ID column
    assert titles == expected


# -- a fresh workspace ----------------------------------------------------------------------------
def test_a_workspace_with_no_round_yet_still_circulates(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    init_workspace(root, load_plan(example_plan_path()), force=False, now=AT)
    made = circulate(Workspace(root), out=tmp_path / "out" / "copy.xlsx", now=AT)
    book = openpyxl.load_workbook(made.path)
    assert book.sheetnames == SHEETS
    assert book["Changes"].max_row <= 2  # the header and Excel's one empty data row


# -- the command ----------------------------------------------------------------------------------
def _copy_ws(ws: Workspace, tmp_path: Path) -> Workspace:
    """A private copy of the demo workspace, for tests that write into it."""
    return Workspace(Path(shutil.copytree(ws.root, tmp_path / "ws")))


def test_cli_writes_the_copy_where_asked(ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "board pack" / "plan.xlsx"
    result = RUNNER.invoke(app, ["circulate", "-w", str(ws.root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Circulation copy: {out}" in result.stdout
    assert openpyxl.load_workbook(out).sheetnames[0] == "Summary"
    assert not out.with_suffix(".pdf").exists()


def test_cli_shows_a_path_with_brackets_as_it_is(ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "[draft]" / "plan.xlsx"
    result = RUNNER.invoke(app, ["circulate", "-w", str(ws.root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert str(out) in result.stdout


def test_cli_refuses_to_write_over_the_master(ws: Workspace, tmp_path: Path) -> None:
    mine = _copy_ws(ws, tmp_path)
    before = mine.master.read_bytes()
    result = RUNNER.invoke(app, ["circulate", "-w", str(mine.root), "--out", str(mine.master)])
    assert mine.master.read_bytes() == before
    assert result.exit_code == 2
    assert "master" in result.stderr


def test_cli_outside_a_workspace_says_so(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["circulate", "-w", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert f"There is no workspace at {tmp_path / 'nowhere'}" in result.stderr


@pytest.mark.parametrize("how", ["find_soffice", "shutil.which"])
def test_pdf_without_libreoffice_says_so_and_still_writes_the_copy(
    how: str, ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if how == "find_soffice":
        monkeypatch.setattr(render, "find_soffice", lambda: None)
    else:
        monkeypatch.setattr(shutil, "which", lambda name: None)
    out = tmp_path / "copy.xlsx"
    result = RUNNER.invoke(app, ["circulate", "-w", str(ws.root), "--out", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert not out.with_suffix(".pdf").exists()
    said = " ".join(result.output.split())
    assert "No PDF made: LibreOffice is not installed." in said
    assert "apt-get install libreoffice-calc-nogui" in said
    assert f"Circulation copy: {out}" in said


@pytest.fixture(scope="module")
def pdf(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "plan.xlsx"
    result = RUNNER.invoke(app, ["circulate", "-w", str(ws.root), "--out", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    assert f"PDF: {out.with_suffix('.pdf')}" in result.stdout
    return out.with_suffix(".pdf")


@libreoffice_test
def test_pdf_through_libreoffice_has_pages_summary_first(pdf: Path) -> None:
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    assert pdf_page_count(pdf) >= 2  # the summary, then the plan at least
    first = pdf_text(pdf, 1)
    assert "RAG ratings by theme" in first
    assert "Third review of progress" in first


@libreoffice_test
def test_every_pdf_page_is_landscape(pdf: Path) -> None:
    sizes = pdf_page_sizes(pdf)
    assert sizes
    assert [i + 1 for i, (w, h) in enumerate(sizes) if w < h] == []


def test_helpers_read_a_known_workbook() -> None:
    """The XML helpers above find what they look for (so a pass is not a helper's blind spot)."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("Data")
    sheet.add_table(0, 0, 2, 1, {"columns": [{"header": "A"}, {"header": "B"}]})
    sheet.merge_range(4, 0, 4, 1, "merged")
    book.add_worksheet("Hidden").hide()
    book.close()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        got = {n: zf.read(n) for n in zf.namelist()}
    parts_by_sheet = sheet_parts(got)
    assert list(parts_by_sheet) == ["Data", "Hidden"]
    assert table_parts(got, parts_by_sheet["Data"]) == ["xl/tables/table1.xml"]
    assert xml(got, parts_by_sheet["Data"]).find("m:mergeCells", NS) is not None
    states = [s.get("state") for s in xml(got, "xl/workbook.xml").findall("m:sheets/m:sheet", NS)]
    assert states == [None, "hidden"]
