"""validate_return: one return per rule that breaks only that rule, and a clean one.

The returns here are built in memory as the reader would give them (no Excel file), from a
small plan: agency A has areas 1.1, 1.2 (shared with B) and 1.3; B alone has 2.1. The
"clean" return updates every row of A's with good values; each test changes one thing.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

import pandas as pd
import pytest
from plans import make_area, with_values

from ipt_excel.core.columns import DEFAULT_COLUMNS, PROGRESS_RULE, ColumnSet, apply_overrides
from ipt_excel.core.kinds import KindContext, normalise
from ipt_excel.core.manifest import sign, to_json
from ipt_excel.core.merge import AcceptedReturn
from ipt_excel.core.model import Agency, Plan, Round, Theme
from ipt_excel.core.problems import Problem, Severity, column_letter
from ipt_excel.core.records import IssuedRecord
from ipt_excel.core.return_title import NOTICES
from ipt_excel.core.returned import CellValue, OutsideCell, ReturnData, ReturnRow
from ipt_excel.core.rounds import HEADER_ROW, IssuedReturn, locked_values, plan_round, return_layout
from ipt_excel.core.rows import header_index
from ipt_excel.core.schemas import return_rules
from ipt_excel.core.sign_off import SignOff
from ipt_excel.core.validate import (
    IDENTITY_RULES,
    SIGN_OFF_RULES,
    STRUCTURE_RULES,
    VALUE_RULES,
    WARNING_RULES,
    validate_return,
)
from ipt_excel.excel.return_reader import display_text

RETURN_LAYOUT = return_layout(DEFAULT_COLUMNS)


KEY = bytes(range(32))
ROUND = Round("Third review", date(2012, 9, 26))
ISSUED_AT = datetime(2012, 9, 1, 9, 0)
TODAY = date(2012, 9, 27)
FILE = "a.xlsx"
KEYS = [c.key for c in RETURN_LAYOUT.columns]
COL = {k: column_letter(i) for i, k in enumerate(KEYS)}  # column key -> letter
ROW = {"1.1": 10, "1.2": 11, "1.3": 12}  # Excel rows as issued
ERROR, WARNING = Severity.ERROR, Severity.WARNING
AGENCY = "Children's Social Care"

CLEAN: dict[str, dict[str, object]] = {
    "1.1": {
        "progress": "Audits done.",
        "rag": "AMBER",
        "evidence": "",
        "next_review": "October 2012",
    },
    "1.2": {
        "progress": "Training booked.",
        "rag": "GREEN",
        "evidence": "All staff trained.",
        "next_review": "Not required",
    },
    "1.3": {
        "progress": "Report presented.",
        "rag": "RED",
        "evidence": "Audit",
        "next_review": "26/10/2012",
    },
}


def make_plan(**changes: Any) -> Plan:
    plan = Plan(
        title="Test plan",
        organisation="Test Council",
        inspection="Ofsted (January 2012)",
        round=ROUND,
        themes=(Theme("1", "Practice"), Theme("2", "Management")),
        agencies=(Agency("A", AGENCY), Agency("B", "Health Services")),
        areas=(
            make_area(
                id="1.1",
                theme="1",
                title="Core assessments on time",
                agencies=("A",),
                action="Remind staff",
                leads="Team managers",
                completion="April 2012",
                assurance="Audit",
                outcome="All on time",
                progress="Started",
                rag="AMBER",
                evidence="",
                next_review="September 2012",
            ),
            make_area(
                id="1.2",
                theme="1",
                title="Share information promptly",
                agencies=("A", "B"),
                action="Same day notification",
                leads="Designated nurse",
                completion="From March 2012",
            ),
            make_area(
                id="1.3",
                theme="1",
                title="Report to the LSCB",
                agencies=("A",),
                action="Present a report",
                leads="LSCB chair",
                completion="June 2012",
                progress="Old",
                rag="GREEN",
                evidence="Audit",
                next_review="July 2012",
            ),
            make_area(
                id="2.1", theme="2", title="Workforce plan", agencies=("B",), action="Recruit"
            ),
        ),
    )
    return dataclasses.replace(plan, **changes)


PLAN = make_plan()


def issue(plan: Plan = PLAN, agency: str = "A", at: datetime = ISSUED_AT) -> IssuedReturn:
    return plan_round(plan, ROUND, agencies=[agency], issued_at=at).returns[0]


def record(issued: IssuedReturn) -> IssuedRecord:
    return IssuedRecord(
        round=ROUND.name,
        agency=issued.agency.key,
        path=f"returns/third-review/{issued.agency.slug}.xlsx",
        issued_at=datetime.fromisoformat(issued.manifest.issued_at),
        manifest=to_json(issued.manifest),
        signature=sign(issued.manifest, KEY),
    )


ISSUED = issue()


LOCKED_KEYS = [c.key for c in RETURN_LAYOUT.columns if not c.is_update]


def sheet(
    updates: dict[str, dict[str, object]] | None = None,
    *,
    plan: Plan = PLAN,
    issued: IssuedReturn = ISSUED,
) -> list[dict[str, object]]:
    """The table as issued (one dict per row, column key -> raw value), with `updates`."""
    rows = []
    for area in issued.areas:
        locked = dict(zip(LOCKED_KEYS, locked_values(plan, area, "A", RETURN_LAYOUT), strict=True))
        row: dict[str, object] = {k: locked[k] if k in locked else area.value(k) for k in KEYS}
        row.update((updates or {}).get(area.id, {}))
        rows.append(row)
    return rows


def clean() -> list[dict[str, object]]:
    return sheet(CLEAN)


SIGNED: dict[str, object] = {
    "name": "Sam Jones",
    "role": "Head of Service",
    "date": datetime(2012, 9, 20),
    "confirmed": "Yes",
}


def signed(issued: IssuedReturn = ISSUED, **values: object) -> dict[str, CellValue]:
    """The sign-off's cells as read: a good sign-off, with `values` in place of its own."""
    block = issued.manifest.sign_off
    if block is None:
        return {}
    given = {**SIGNED, **values}
    return {f: CellValue(block.cell(f), v, False, display_text(v)) for f, v in given.items()}


def sign_off_labels(issued: IssuedReturn = ISSUED) -> dict[str, CellValue]:
    block = issued.manifest.sign_off
    return {a: CellValue(a, t, False, t) for a, t in block.labels} if block else {}


def data(
    rows: list[dict[str, object]] | None = None,
    *,
    headers: list[str] | None = None,
    formulas: frozenset[str] = frozenset(),
    issued: IssuedReturn = ISSUED,
    **changes: Any,
) -> ReturnData:
    """ReturnData as read_return gives it for `rows` written below the header row."""
    rows = clean() if rows is None else rows
    headers = [c.header for c in RETURN_LAYOUT.columns] if headers is None else headers
    columns = header_index(headers, RETURN_LAYOUT.columns)
    read = []
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        cells = {}
        for key, i in columns.items():
            raw = values.get(key)
            address = f"{column_letter(i)}{r}"
            cells[key] = CellValue(address, raw, address in formulas, display_text(raw))
        read.append(ReturnRow(r, cells))
    base = ReturnData(
        file_name=FILE,
        manifest=issued.manifest,
        signature=sign(issued.manifest, KEY),
        has_manifest_sheet=True,
        manifest_problem="",
        sheet="Return",
        header_row=HEADER_ROW,
        headers=tuple(headers),
        columns=columns,
        rows=tuple(read),
        ignored_rows=(),
        sheet_names=("Return", "Lists", "_manifest"),
        sheet_states={"Return": "visible", "Lists": "hidden", "_manifest": "veryHidden"},
        epoch=1900,
        title=issued.manifest.title,
        sign_off=signed(issued),
        sign_off_labels=sign_off_labels(issued),
    )
    return dataclasses.replace(base, **changes)


def check(
    d: ReturnData | None = None,
    *,
    plan: Plan = PLAN,
    current_round: str = ROUND.name,
    issued: IssuedRecord | None = None,
    use_record: bool = True,
) -> tuple[list[Problem], AcceptedReturn | None]:
    d = data() if d is None else d
    rec = issued if issued is not None else (record(ISSUED) if use_record else None)
    return validate_return(
        d,
        plan=plan,
        key=KEY,
        current_round=current_round,
        issued=rec,
        today=TODAY,
        sha256="abc",
    )


def rows_of(problems: list[Problem]) -> list[tuple[str, str, Severity, str]]:
    return [(p.rule, p.cell, p.severity, p.message) for p in problems]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, rows_of(problems)
    return problems[0]


def with_cell(area_id: str, key: str, value: object) -> list[dict[str, object]]:
    rows = clean()
    next(r for r in rows if r["id"] == area_id)[key] = value
    return rows


# -- a clean return --------------------------------------------------------------------------------
def test_a_clean_return_passes_with_its_values_ready_to_merge() -> None:
    problems, accepted = check()
    assert problems == []
    assert accepted is not None
    assert (accepted.agency, accepted.round, accepted.file_name, accepted.sha256) == (
        "A",
        ROUND.name,
        FILE,
        "abc",
    )
    assert [r.area_id for r in accepted.rows] == ["1.1", "1.2", "1.3"]
    assert [dict(r.values) for r in accepted.rows] == [
        {k: str(v) for k, v in CLEAN[i].items()} for i in ("1.1", "1.2", "1.3")
    ]
    assert accepted.rows[0].issued == {
        "progress": "Started",
        "rag": "AMBER",
        "evidence": "",
        "next_review": "September 2012",
    }
    assert accepted.rows[0].changed_keys() == ("progress", "next_review")


# -- identity --------------------------------------------------------------------------------------
def test_no_manifest_sheet_is_a_blank_template_or_another_spreadsheet() -> None:
    problems, accepted = check(data(has_manifest_sheet=False, manifest=None, signature=""))
    assert accepted is None
    assert problems == [
        Problem(
            file=FILE,
            sheet="",
            cell="",
            column="",
            rule="no-manifest",
            value="",
            message="a.xlsx is not a return from this plan: it may be a blank template, another "
            "spreadsheet, or a return whose hidden sheet was deleted. Find the return you were "
            "sent, fill it in and send it back.",
        )
    ]


def test_a_damaged_manifest_gives_the_reader_s_reason() -> None:
    why = "a.xlsx: the hidden sheet '_manifest' has been changed. Send it back."
    problems, _ = check(data(manifest=None, manifest_problem=why))
    assert rows_of(problems) == [("manifest-damaged", "", ERROR, why)]


@pytest.mark.parametrize("how", ["wrong signature", "other key", "manifest edited"])
def test_a_signature_that_does_not_verify(how: str) -> None:
    if how == "wrong signature":
        d = data(signature="0" * 64)
    elif how == "other key":
        d = data(signature=sign(ISSUED.manifest, b"another workspace's key"))
    else:
        d = data(manifest=dataclasses.replace(ISSUED.manifest, agency="B"))
    problems, accepted = check(d)
    assert accepted is None
    assert rows_of(problems) == [
        (
            "signature",
            "",
            ERROR,
            "a.xlsx was not issued by this workspace or has been altered. Fill in the return "
            "you were sent, changing only the white cells, and send that back.",
        )
    ]


def test_a_return_from_an_earlier_round_is_stale_and_names_its_round() -> None:
    problems, _ = check(current_round="Fourth review")
    assert rows_of(problems) == [
        (
            "stale-round",
            "",
            ERROR,
            "a.xlsx is the return for an earlier round, 'Third review' (26 September 2012). Fill "
            "in the return for the current round, 'Fourth review', and send that instead.",
        )
    ]
    assert problems[0].agency == AGENCY


def test_an_agency_no_longer_in_the_plan() -> None:
    plan = make_plan(agencies=(Agency("B", "Health Services"),))
    problems, _ = check(plan=plan)
    assert rows_of(problems) == [
        (
            "agency-mismatch",
            "",
            ERROR,
            "a.xlsx was issued to 'Children's Social Care' (A), which is no longer an agency in "
            "the plan. Check the Agencies sheet of the master, then issue the return again.",
        )
    ]


def test_a_return_the_ledger_has_no_record_of() -> None:
    problems, _ = check(use_record=False)
    assert rows_of(problems) == [
        (
            "not-issued",
            "",
            ERROR,
            "a.xlsx has no record in this workspace of being issued to Children's Social Care "
            "for 'Third review'. Issue the return again and send the new one to the agency.",
        )
    ]


def test_a_return_replaced_by_a_newer_one_is_superseded() -> None:
    newer = record(issue(at=datetime(2012, 9, 5, 14, 30)))
    problems, _ = check(issued=newer)
    assert rows_of(problems) == [
        (
            "superseded",
            "",
            ERROR,
            "a.xlsx is not the latest return issued to Children's Social Care for 'Third "
            "review': a newer one was issued on 5 September 2012 at 14:30. Fill in the latest "
            "return and send that instead.",
        )
    ]


# -- headings --------------------------------------------------------------------------------------
def test_a_changed_heading() -> None:
    headers = [c.header for c in RETURN_LAYOUT.columns]
    headers[4] = "Lead officer"
    problems, accepted = check(data(headers=headers))
    assert accepted is None
    assert rows_of(problems) == [
        (
            "header-changed",
            "E9",
            ERROR,
            "The heading in E9 should be 'Lead', not 'Lead officer'. Put back the heading that "
            "was sent, or send back the return you were sent.",
        )
    ]


def test_a_removed_column() -> None:
    headers = [c.header for c in RETURN_LAYOUT.columns if c.key != "outcome"]
    problems, _ = check(data(headers=headers))
    assert rows_of(problems) == [
        (
            "header-changed",
            "I9",
            ERROR,
            "The column 'Desired outcome' has been removed (it was sent as column I). Put it "
            "back, or send back the return you were sent.",
        )
    ]


def test_moved_columns() -> None:
    headers = [c.header for c in RETURN_LAYOUT.columns]
    headers[2], headers[3] = headers[3], headers[2]
    problems, _ = check(data(headers=headers))
    assert [(p.rule, p.cell) for p in problems] == [
        ("header-changed", "C9"),
        ("header-changed", "D9"),
    ]
    assert problems[0].message == (
        "The column 'Actions' has been moved: column C should be 'Area for improvement'. Put "
        "the columns back in the order they were sent, or send back the return you were sent."
    )


def test_headings_in_another_case_or_spacing_are_the_same_headings() -> None:
    headers = [f"  {c.header.upper()} " for c in RETURN_LAYOUT.columns]
    assert check(data(headers=headers))[0] == []


# -- rows ------------------------------------------------------------------------------------------
def test_an_added_row() -> None:
    rows = clean()
    rows.append({**rows[0], "id": "9.9"})
    problems, accepted = check(data(rows))
    assert accepted is None
    assert rows_of(problems) == [
        (
            "row-added",
            "A13",
            ERROR,
            "Row 13 (area 9.9) was not in the return as sent. Delete the row: only the areas "
            "you were sent can be updated in this return.",
        )
    ]


def test_a_row_of_another_agency_s_area() -> None:
    rows = clean()
    rows.append({**rows[0], "id": "2.1"})
    problems, _ = check(data(rows))
    assert rows_of(problems) == [
        (
            "agency-mismatch",
            "A13",
            ERROR,
            "Row 13 is area 2.1, which is not one of Children's Social Care's areas. Delete the "
            "row: only the areas you were sent can be updated in this return.",
        )
    ]
    assert problems[0].area_id == "2.1"


def test_a_missing_row() -> None:
    rows = [r for r in clean() if r["id"] != "1.2"]
    problems, _ = check(data(rows))
    assert rows_of(problems) == [
        (
            "row-missing",
            "",
            ERROR,
            "Area 1.2 is missing from the return. Put its row back, or send back the return "
            "you were sent.",
        )
    ]
    assert (problems[0].sheet, problems[0].area_id, problems[0].column) == ("Return", "1.2", "ID")


def test_a_duplicated_row() -> None:
    rows = clean()
    rows.append(dict(rows[0]))
    problems, _ = check(data(rows))
    assert rows_of(problems) == [
        (
            "row-duplicated",
            "A13",
            ERROR,
            "Area 1.1 appears more than once (rows 10 and 13). Delete the copy in row 13.",
        )
    ]


def test_reordered_rows_name_the_row_that_moved() -> None:
    rows = clean()
    rows[0], rows[1] = rows[1], rows[0]
    problems, _ = check(data(rows))
    assert rows_of(problems) == [
        (
            "row-order",
            "A10",
            ERROR,
            "Area 1.2 has been moved to row 10; it was sent in row 11. Put the rows back in the "
            "order they were sent.",
        )
    ]


def test_a_row_moved_to_the_top_is_the_only_one_named() -> None:
    rows = clean()
    rows.insert(0, rows.pop())
    problems, _ = check(data(rows))
    assert [(p.rule, p.cell, p.area_id) for p in problems] == [("row-order", "A10", "1.3")]


def test_a_row_below_an_empty_row_is_outside_the_table() -> None:
    problems, _ = check(data(ignored_rows=(15,)))
    assert rows_of(problems) == [
        (
            "row-added",
            "A15",
            ERROR,
            "Row 15 is below an empty row, outside the table as sent. Delete it, and any empty "
            "row added inside the table.",
        )
    ]


def test_a_moved_header_row() -> None:
    problems, _ = check(data(header_row=HEADER_ROW + 1))
    assert [(p.rule, p.cell) for p in problems] == [("header-changed", "A10")]
    assert problems[0].message == (
        "The table's heading row is row 10, but it was sent in row 9. Delete the rows added "
        "above the table, or send back the return you were sent."
    )


# -- formulas and locked text ----------------------------------------------------------------------
def test_a_formula_in_an_open_cell_is_reported_not_trusted() -> None:
    rows = with_cell("1.1", "progress", "=CONCAT(A1,B1)")
    problems, accepted = check(data(rows, formulas=frozenset({"L10"})))
    assert accepted is None
    assert rows_of(problems) == [
        (
            "formula",
            "L10",
            ERROR,
            "L10 holds a formula (=CONCAT(A1,B1)). Type the value instead of a formula.",
        )
    ]
    assert (problems[0].column, problems[0].area_id) == ("Progress", "1.1")


def test_a_formula_in_a_locked_cell_is_reported_once() -> None:
    rows = with_cell("1.2", "leads", "=E10")
    problems, _ = check(data(rows, formulas=frozenset({"E11"})))
    assert [(p.rule, p.cell) for p in problems] == [("formula", "E11")]


def test_text_that_starts_with_equals_is_text() -> None:
    rows = with_cell("1.1", "progress", "=== all done ===")
    problems, accepted = check(data(rows))
    assert problems == []
    assert accepted is not None
    assert accepted.rows[0].values["progress"] == "=== all done ==="


def test_changed_plan_text_names_the_cell() -> None:
    rows = with_cell("1.2", "leads", "Someone else")
    problems, accepted = check(data(rows))
    assert accepted is None
    assert rows_of(problems) == [
        (
            "locked-text-changed",
            "E11",
            ERROR,
            "The Lead text for area 1.2 has been changed. It is plan text, for reference only: "
            "put back the text that was sent, or send back the return you were sent.",
        )
    ]
    assert (problems[0].value, problems[0].column) == ("Someone else", "Lead")


def test_changed_plan_text_when_the_master_has_changed_since_issue_names_the_row() -> None:
    areas = tuple(with_values(a, leads="New lead") if a.id == "1.2" else a for a in PLAN.areas)
    rows = with_cell("1.2", "leads", "Someone else")
    problems, _ = check(data(rows), plan=make_plan(areas=areas))
    assert rows_of(problems) == [
        (
            "locked-text-changed",
            "A11",
            ERROR,
            "The plan text of area 1.2 (row 11) has been changed. It is shown for reference "
            "only: put back the text that was sent, or send back the return you were sent.",
        )
    ]


def test_the_issued_progress_column_is_locked_text_too() -> None:
    rows = with_cell("1.3", "issued_progress", "Rewritten history")
    problems, _ = check(data(rows))
    assert [(p.rule, p.cell, p.column) for p in problems] == [
        ("locked-text-changed", f"{COL['issued_progress']}12", "Progress at last review")
    ]


# -- values ----------------------------------------------------------------------------------------
def test_rag_outside_the_scale() -> None:
    problems, accepted = check(data(with_cell("1.1", "rag", "Purple")))
    assert accepted is None
    assert rows_of(problems) == [
        (
            "rag-in-scale",
            "M10",
            ERROR,
            "'Purple' is not a RAG rating. Choose RED, AMBER or GREEN from the list, or leave "
            "the cell empty.",
        )
    ]
    p = problems[0]
    assert (p.file, p.sheet, p.column, p.value, p.area_id, p.agency) == (
        FILE,
        "Return",
        "RAG",
        "Purple",
        "1.1",
        AGENCY,
    )


@pytest.mark.parametrize("typed", ["green", "  Green ", "GREEN\n"])
def test_rag_typed_in_any_case_or_with_spaces(typed: str) -> None:
    problems, accepted = check(data(with_cell("1.2", "rag", typed)))
    assert problems == []
    assert accepted is not None and accepted.rows[1].values["rag"] == "GREEN"


def test_rag_from_the_scale_the_return_was_issued_with() -> None:
    plan = make_plan(rag_scale=("RED", "AMBER", "GREEN", "BLUE"))
    issued = issue(plan)
    rows = sheet({**CLEAN, "1.1": {**CLEAN["1.1"], "rag": "blue"}}, plan=plan, issued=issued)
    assert check(data(rows, issued=issued), plan=plan, issued=record(issued))[0] == []
    # Issued before the plan had BLUE: its dropdown and its check have no BLUE.
    problems, _ = check(data(with_cell("1.1", "rag", "blue")), plan=plan)
    assert [p.rule for p in problems] == ["rag-in-scale"]


def test_a_rag_needs_progress() -> None:
    problems, _ = check(data(with_cell("1.1", "progress", " ")))
    assert rows_of(problems) == [
        (
            "progress-required",
            "L10",
            ERROR,
            "Enter the progress made since the last review. An area with a RAG rating needs a "
            "progress update.",
        )
    ]


def test_green_needs_evidence() -> None:
    problems, _ = check(data(with_cell("1.2", "evidence", "")))
    assert rows_of(problems) == [
        (
            "evidence-required",
            "N11",
            ERROR,
            "Enter the evidence of impact. An area rated GREEN needs evidence of the difference "
            "the work has made.",
        )
    ]


def test_a_plan_can_switch_off_evidence_for_green() -> None:
    plan = make_plan(columns=ColumnSet(DEFAULT_COLUMNS.columns, (PROGRESS_RULE,)))
    issued = issue(plan)
    rows = sheet({**CLEAN, "1.2": {**CLEAN["1.2"], "evidence": ""}}, plan=plan, issued=issued)
    problems, accepted = check(data(rows, issued=issued), plan=plan, issued=record(issued))
    assert problems == [] and accepted is not None


@pytest.mark.parametrize("typed", ["Soon", "31/02/2013", "TRUE"])
def test_a_review_date_that_is_not_a_date(typed: str) -> None:
    problems, _ = check(data(with_cell("1.1", "next_review", typed)))
    assert rows_of(problems) == [
        (
            "review-date-format",
            "O10",
            ERROR,
            f"'{typed}' is not a date of next review. Pick a month from the list, type a date "
            "like 26/12/2012, or pick Not required.",
        )
    ]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("August 2012", "August 2012"),
        ("25/09/2012", "25/09/2012"),
        (datetime(2012, 9, 25), "25/09/2012"),
        (datetime(2012, 8, 1), "August 2012"),
    ],
)
def test_a_review_date_before_the_round(raw: object, shown: str) -> None:
    problems, _ = check(data(with_cell("1.1", "next_review", raw)))
    assert rows_of(problems) == [
        (
            "review-date-past",
            "O10",
            ERROR,
            f"{shown} is not after this review (26 September 2012). Pick October 2012 or a later "
            "month, type a date on or after 26 September 2012, or pick Not required.",
        )
    ]
    assert problems[0].value == shown


def test_text_longer_than_an_excel_cell() -> None:
    problems, _ = check(data(with_cell("1.1", "progress", "x" * 32_768)))
    assert rows_of(problems) == [
        (
            "too-long",
            "L10",
            ERROR,
            "This text is longer than an Excel cell can hold. Shorten it to 32,767 characters "
            "or fewer.",
        )
    ]


def test_every_value_problem_is_collected_not_just_the_first() -> None:
    rows = clean()
    rows[0].update(rag="Purple", next_review="Soon")
    rows[1].update(evidence="")
    rows[2].update(progress="", next_review="June 2012")
    problems, _ = check(data(rows))
    assert [(p.rule, p.cell) for p in problems] == [
        ("rag-in-scale", "M10"),
        ("review-date-format", "O10"),
        ("evidence-required", "N11"),
        ("progress-required", "L12"),
        ("review-date-past", "O12"),
    ]


# -- warnings --------------------------------------------------------------------------------------
def test_a_row_left_as_issued_is_a_warning_not_an_error() -> None:
    rows = sheet({k: v for k, v in CLEAN.items() if k != "1.2"})
    problems, accepted = check(data(rows))
    assert rows_of(problems) == [
        (
            "no-update",
            "L11",
            WARNING,
            "No update given for 1.2. Fill in the white cells for this area, or leave them as "
            "they are if nothing has changed since the last review.",
        )
    ]
    assert accepted is not None
    assert accepted.rows[1].changed_keys() == ()


def test_a_prefilled_review_date_that_has_passed() -> None:
    rows = sheet({"1.1": CLEAN["1.1"], "1.2": CLEAN["1.2"], "1.3": {"progress": "More."}})
    problems, accepted = check(data(rows))
    assert rows_of(problems) == [
        (
            "review-date-stale",
            "O12",
            WARNING,
            "The date of next review, July 2012, has passed. Pick the month of the next review, "
            "type its date, or pick Not required.",
        )
    ]
    assert accepted is not None
    assert accepted.rows[2].values["next_review"] == "July 2012"


def test_values_the_agency_did_not_change_are_not_its_errors() -> None:
    # The master holds a review date nobody can read and a GREEN with no evidence; the agency
    # leaves both alone and updates only the progress.
    areas = tuple(
        with_values(a, next_review="TBC", evidence="") if a.id == "1.3" else a for a in PLAN.areas
    )
    plan = make_plan(areas=areas)
    issued = issue(plan)
    updates = {"1.1": CLEAN["1.1"], "1.2": CLEAN["1.2"], "1.3": {"progress": "More."}}
    rows = sheet(updates, plan=plan, issued=issued)
    problems, accepted = check(data(rows, issued=issued), plan=plan, issued=record(issued))
    assert problems == []
    assert accepted is not None
    assert accepted.rows[2].values == {
        "progress": "More.",
        "rag": "GREEN",
        "evidence": "",
        "next_review": "TBC",
    }


# -- reading and normalising values ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "merged"),
    [
        ("26/10/2012", "26/10/2012"),
        ("October 2012", "October 2012"),
        ("Oct 2012", "October 2012"),
        ("Sept 2013", "September 2013"),
        ("not required", "Not required"),
        (datetime(2012, 10, 1), "October 2012"),  # the 1st of a month is that month
        (datetime(2012, 10, 15), "15/10/2012"),
        (41197, "15/10/2012"),  # an Excel serial number
        (41183.0, "October 2012"),
        ("", ""),
        (None, ""),
    ],
)
def test_review_dates_as_real_dates_serials_or_text(raw: object, merged: str) -> None:
    problems, accepted = check(data(with_cell("1.1", "next_review", raw)))
    # Emptying the date issued is said, as a warning (see test_emptying_a_value...).
    assert [p.rule for p in problems] == ([] if merged else ["value-emptied"])
    assert accepted is not None
    assert accepted.rows[0].values["next_review"] == merged


def test_text_is_normalised_for_the_merge() -> None:
    rows = with_cell("1.1", "progress", "Line one\r\nline two  \n")
    _, accepted = check(data(rows))
    assert accepted is not None
    assert accepted.rows[0].values["progress"] == "Line one\nline two"


def test_an_empty_cell_and_an_empty_string_are_the_same() -> None:
    for raw in (None, "", "   "):
        _, accepted = check(data(with_cell("1.1", "evidence", raw)))
        assert accepted is not None
        assert accepted.rows[0].values["evidence"] == ""
        assert "evidence" not in accepted.rows[0].changed_keys()


def test_a_value_left_as_issued_stays_byte_identical() -> None:
    # Issued "September 2012"; the cell comes back as the date Excel makes of it, and the
    # issued progress comes back with a Windows line end: both are unchanged.
    rows = with_cell("1.1", "next_review", datetime(2012, 9, 1))
    rows[0]["progress"] = "Started\r\n"
    _, accepted = check(data(rows))
    assert accepted is not None
    assert accepted.rows[0].values["next_review"] == "September 2012"
    assert accepted.rows[0].values["progress"] == "Started"
    assert accepted.rows[0].changed_keys() == ()


def test_normalise() -> None:
    col = DEFAULT_COLUMNS.__getitem__
    assert normalise(col("rag"), " amber ") == "AMBER"
    assert normalise(col("next_review"), "Sept 2012") == "September 2012"
    assert normalise(col("next_review"), "not a date") == "not a date"
    assert normalise(col("progress"), "a\r\nb \t") == "a\nb"
    assert normalise(col("evidence"), "\rx") == "\nx"


def test_the_rule_lists_name_every_rule_of_a_return() -> None:
    every_kind = apply_overrides(
        DEFAULT_COLUMNS,
        [
            {"header": "Status", "kind": "choice", "choices": ["A", "B"], "update": True},
            {"header": "Due", "kind": "date", "update": True},
            {"header": "Spend", "kind": "number", "update": True},
            {"header": "Done", "kind": "percent", "update": True},
        ],
    )
    frame = pd.DataFrame({c.key: pd.Series(dtype=str) for c in every_kind.updates})
    ctx = KindContext(PLAN.rag_scale, ROUND.date)
    names = {r.name for rs in return_rules(every_kind, ctx, frame=frame).values() for r in rs}
    assert names == set(VALUE_RULES) | {"review-date-stale"}
    assert set(WARNING_RULES) == {
        "no-update", "review-date-stale", "column-removed", "value-emptied"
    }  # fmt: skip
    assert set(SIGN_OFF_RULES) == {"sign-off-missing", "sign-off-date", "sign-off-not-confirmed"}
    everything = IDENTITY_RULES + STRUCTURE_RULES + VALUE_RULES + WARNING_RULES + SIGN_OFF_RULES
    assert len(everything) == len(set(everything))


def test_the_title_block_holds_what_was_issued() -> None:
    lines = ISSUED.manifest.title
    assert lines and lines[1] == PLAN.title
    changed = (lines[0], "Our own title", *lines[2:], "", "A note typed below")
    problems, accepted = check(data(title=changed))
    assert accepted is None
    assert [(p.rule, p.cell, p.value) for p in problems] == [
        ("title-changed", "B2", "Our own title"),
        ("title-changed", f"B{len(lines) + 2}", "A note typed below"),
    ]
    assert problems[0].message == (
        f"B2 is part of the title above the table, and has been changed. Put back "
        f"'{PLAN.title}', or send back the return you were sent."
    )


def test_a_feedback_notice_in_the_title_is_what_was_sent_back() -> None:
    lines = ISSUED.manifest.title
    for notice in NOTICES:
        problems, accepted = check(data(title=(lines[0], notice, *lines[2:])))
        assert accepted is not None, problems


def test_emptying_a_value_is_a_warning_naming_what_it_was() -> None:
    rows = clean()
    rows[2]["rag"] = ""
    rows[2]["evidence"] = "  "
    problems, accepted = check(data(rows))
    emptied = [(p.rule, p.cell, p.severity) for p in problems if p.rule == "value-emptied"]
    assert len(emptied) == 2
    assert all(sev is WARNING for _, _, sev in emptied)
    assert accepted is not None  # a warning: the agency may mean it
    rag = next(p for p in problems if p.rule == "value-emptied" and p.column == "RAG")
    assert rag.message == (
        "RAG for 1.3 was 'GREEN' and is now empty, so the master's value will be cleared. "
        "Put it back if nothing has changed."
    )


# -- a batch ------------------------------------------------------------------------------------
def test_a_batch_gives_each_return_what_it_gets_alone() -> None:
    """validate_returns runs pandera once over the rows of every return that shares its
    rules: each return must still get exactly its own problems, in the same order."""
    from ipt_excel.core.validate import ToValidate, validate_returns

    other = make_plan(rag_scale=("RED", "AMBER", "GREEN", "BLUE"))
    returns = [
        data(),
        data(with_cell("1.1", "rag", "PURPLE")),
        data(with_cell("1.2", "next_review", "1 January 2001")),
        data(sheet(), file_name="left-as-issued.xlsx"),
        data(with_cell("1.3", "progress", "x" * 40_000)),
        data(headers=["ID", "Something else"]),
        data(rows=[]),
        data(with_cell("1.1", "rag", "BLUE")),
    ]
    rec = record(ISSUED)
    batch = validate_returns(
        [ToValidate(d, rec, f"sha{i}") for i, d in enumerate(returns)],
        plan=other,
        key=KEY,
        current_round=ROUND.name,
        today=TODAY,
    )
    alone = [
        validate_return(
            d,
            plan=other,
            key=KEY,
            current_round=ROUND.name,
            issued=rec,
            today=TODAY,
            sha256=f"sha{i}",
        )
        for i, d in enumerate(returns)
    ]
    assert batch == alone
    assert sum(len(problems) for problems, _ in batch) > len(returns)


# -- the sign-off -------------------------------------------------------------------------------
def test_a_signed_return_carries_who_vouched_for_it() -> None:
    problems, accepted = check()
    assert problems == [] and accepted is not None
    assert accepted.sign_off == SignOff("Sam Jones", "Head of Service", date(2012, 9, 20))


def test_a_sign_off_not_filled_in_is_a_row_per_cell_and_stops_the_return() -> None:
    problems, accepted = check(data(sign_off=signed(name="", date=None, confirmed="No")))
    assert accepted is None
    assert [(p.rule, p.sheet, p.cell, p.column, p.area_id, p.severity) for p in problems] == [
        ("sign-off-missing", "Return", "L4", "Completed by", "", ERROR),
        ("sign-off-missing", "Return", "L6", "Date", "", ERROR),
        ("sign-off-not-confirmed", "Return", "L7", "I confirm this update is accurate", "", ERROR),
    ]
    assert problems[2].value == "No"
    # Nothing at all in the block: every cell is named.
    problems, _ = check(data(sign_off={}))
    assert [p.cell for p in problems] == ["L4", "L5", "L6", "L7"]


def test_sign_off_problems_come_with_the_other_problems_in_sheet_order() -> None:
    problems, _ = check(data(with_cell("1.1", "rag", "Purple"), sign_off=signed(role="")))
    assert [(p.rule, p.cell) for p in problems] == [
        ("sign-off-missing", "L5"),
        ("rag-in-scale", f"{COL['rag']}10"),
    ]


def test_a_sign_off_dated_after_today_or_before_the_issue_is_refused() -> None:
    problems, _ = check(data(sign_off=signed(date=datetime(2012, 9, 28))))
    assert [(p.rule, p.cell, p.value) for p in problems] == [("sign-off-date", "L6", "28/09/2012")]
    problems, _ = check(data(sign_off=signed(date="31/08/2012")))
    assert "before this return was sent out on 1 September 2012" in only(problems).message


def test_a_changed_sign_off_label_is_a_changed_title() -> None:
    labels = sign_off_labels()
    labels["K6"] = CellValue("K6", "Date signed", False, "Date signed")
    problems, accepted = check(data(sign_off_labels=labels))
    assert accepted is None
    assert [(p.rule, p.cell, p.value, p.message) for p in problems] == [
        (
            "title-changed",
            "K6",
            "Date signed",
            "K6 is part of the sign-off above the table, and has been changed. Put back 'Date', "
            "or send back the return you were sent.",
        )
    ]
    del labels["K6"]  # cleared
    assert [p.cell for p in check(data(sign_off_labels=labels))[0]] == ["K6"]


def test_a_return_issued_without_a_sign_off_needs_none() -> None:
    plan = make_plan(return_sign_off=False)
    issued = issue(plan)
    assert issued.manifest.sign_off is None and issued.manifest.version == 4
    problems, accepted = check(data(issued=issued), plan=plan, issued=record(issued))
    assert problems == [] and accepted is not None and accepted.sign_off is None


def test_a_return_issued_before_sign_offs_existed_still_checks_and_merges() -> None:
    v3 = dataclasses.replace(ISSUED.manifest, version=3, sign_off=None)
    old = dataclasses.replace(ISSUED, manifest=v3)
    problems, accepted = check(
        data(issued=old, sign_off={}, sign_off_labels={}), issued=record(old)
    )
    assert problems == [] and accepted is not None and accepted.sign_off is None


def outside(sheet: str, address: str, text: str, formula: bool = False) -> OutsideCell:
    return OutsideCell(sheet, address, text, formula)


def test_content_beside_the_sign_off_is_still_content_outside_the_table() -> None:
    problems, _ = check(data(outside=(outside("Return", "M4", "(acting)"),)))
    assert [(p.rule, p.cell) for p in problems] == [("content-outside-table", "M4")]


def test_a_formula_in_a_sign_off_cell_is_a_formula() -> None:
    cells = signed()
    cells["name"] = CellValue("L4", "=A1", True, "=A1")
    problems, accepted = check(
        data(sign_off=cells, outside=(outside("Return", "L4", "=A1", formula=True),))
    )
    assert accepted is None
    assert [(p.rule, p.cell) for p in problems] == [("formula", "L4")]


FIX_SHEET_CELLS = (
    outside("What to fix", "A1", "What to fix"),
    outside("What to fix", "E5", "'Purple' is not a RAG rating."),
)


def test_the_what_to_fix_sheet_of_a_return_sent_back_is_not_read() -> None:
    lines = ISSUED.manifest.title
    sent_back = (lines[0], NOTICES[0], *lines[2:])
    problems, accepted = check(data(title=sent_back, outside=FIX_SHEET_CELLS))
    assert problems == [] and accepted is not None
    # A formula there is still a formula.
    formula = outside("What to fix", "G5", "=1+1", formula=True)
    problems, _ = check(data(title=sent_back, outside=(*FIX_SHEET_CELLS, formula)))
    assert [(p.rule, p.sheet, p.cell) for p in problems] == [("formula", "What to fix", "G5")]


def test_a_what_to_fix_sheet_on_a_return_never_sent_back_is_a_sheet_added() -> None:
    problems, accepted = check(data(outside=FIX_SHEET_CELLS))
    assert accepted is None
    assert [(p.rule, p.sheet, p.cell) for p in problems] == [
        ("sheet-added", "What to fix", "A1"),
        ("sheet-added", "What to fix", "E5"),
    ]
    # And any other sheet added to a return sent back is refused as before.
    lines = ISSUED.manifest.title
    sent_back = (lines[0], NOTICES[1], *lines[2:])
    problems, _ = check(data(title=sent_back, outside=(outside("Notes", "A1", "x"),)))
    assert [(p.rule, p.sheet) for p in problems] == [("sheet-added", "Notes")]


def test_the_lists_sheet_holds_yes_and_no_for_the_sign_off() -> None:
    lists = [outside("Lists", f"C{r}", t) for r, t in ((1, "Yes"), (2, "No"))]
    assert check(data(outside=tuple(lists)))[0] == []
    changed = [outside("Lists", "C1", "Yes"), outside("Lists", "C2", "Maybe")]
    assert [(p.rule, p.cell) for p in check(data(outside=tuple(changed)))[0]] == [
        ("lists-changed", "C2")
    ]
