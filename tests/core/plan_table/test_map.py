"""Mapping a plan table, as councils keep them, to plan columns, areas and actions.

The six realistic plans are in tests/plan_tables.py; each is written to a real file, read by
`table_reader.read_table` and mapped here, and every ID, text, agency, date and rating is
checked exactly, with the mapping as printed. The bundled seed plan goes through the same
pipeline and must come out as the current importer reads it.

Tables that give no areas, and the package's purity, are checked here too; each part of the
reading has its own module beside this one.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import plan_tables as pt
import pytest
import table_files as tf

from ipt_excel.core.dates import DateKind, Month, parse_review_date, read_completion_value
from ipt_excel.core.plan_table import (
    TABLE_RULES,
    AgencySplit,
    CellValue,
    HeadingMap,
    Level,
    NoteRow,
    PlanTable,
    RegistryAgency,
    SourceFile,
    Value,
    format_mapping,
    make_sheet,
    map_table,
    mapping_rows,
    parse_map_option,
)
from ipt_excel.excel.table_reader import read_agency_registry, read_table
from ipt_excel.services.plan_source import example_plan_path, load_plan

from .helpers import BRAG

M = Month


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plans")


def actions_of(table: PlanTable) -> list[tuple[object, ...]]:
    """Every action: area ID, action ID, row, action text, lead, completion, rating, agencies."""
    return [
        (a.id, x.id, x.row, x.text("actions"), x.text("leads"), x.value("completion"), x.rag,
         x.agencies)
        for a in table.areas
        for x in a.actions
    ]  # fmt: skip


def problems_of(table: PlanTable) -> list[tuple[str, str, str, str, str]]:
    return [(p.severity.value, p.rule, p.sheet, p.cell, p.value) for p in table.problems]


def check_every_problem_is_named(table: PlanTable) -> None:
    for p in table.problems:
        assert p.file == table.file and p.rule in TABLE_RULES
        assert p.message.startswith(f"{table.file}, " if p.cell else f"{table.file}: ")
        if p.cell:
            assert p.cell in p.message.split(":")[0]
        assert p.message.endswith(".") and "\n" not in p.message


# --------------------------------------------------------------------------------------------
# 1. A CQC adult social care action plan (the layout of issue 12)


@pytest.fixture(scope="module")
def cqc(folder: Path) -> PlanTable:
    return map_table(read_table(pt.make_cqc_plan(folder)), context=pt.ROUND_DAY)


def test_cqc_plan_mapping_as_printed(cqc: PlanTable) -> None:
    assert format_mapping(cqc) == (
        "cqc-plan.xlsx, sheet 'Action plan', headings in row 5:\n"
        "  Your heading    Our column\n"
        "  Ref             ID\n"
        "  Recommendation  Area for improvement\n"
        "  Action          Actions\n"
        "  Owner           Lead\n"
        "  Organisation    Agencies\n"
        "  Target date     Date for completion\n"
        "  RAG             RAG\n"
        "  Update          Progress\n"
        "Rows: one action per row (5 actions under 3 recommendations), found in the table."
    )
    assert cqc.mapping[3] == HeadingMap(
        4, "'Action plan'!D5", "Owner", "leads", "leads", "recognised"
    )


def test_cqc_plan_rows_ids_agencies_dates_and_ratings(cqc: PlanTable) -> None:
    assert (cqc.sheet, cqc.header_row, cqc.mode, cqc.detected_mode) == (
        "Action plan", 5, "actions", "actions"
    )  # fmt: skip
    assert cqc.id_source == "column" and cqc.ok and cqc.problems == ()
    assert [(a.id, a.id_cell, a.rows, a.text("title"), a.rag) for a in cqc.areas] == [
        ("1", "'Action plan'!A6", (6, 7), "Reduce waiting times for Care Act assessments", "AMBER"),
        ("2", "'Action plan'!A8", (8,), "Improve the offer to unpaid carers", "GREEN"),
        ("3", "'Action plan'!A9", (9, 10), "Strengthen safeguarding practice", "RED"),
    ]
    ascs, icb, centre, police = (
        "Adult Social Care", "Northshire ICB", "Northshire Carers Centre", "Northshire Police"
    )  # fmt: skip
    assert actions_of(cqc) == [
        ("1", "1a", 6, "Recruit two social workers to the duty team", "Head of Assessment",
         dt.date(2024, 6, 30), "AMBER", (ascs, icb)),
        ("1", "1b", 7, "Review the waiting list weekly and contact everyone waiting over 28 days",
         "Duty Team Manager", "31/05/2024", "AMBER", (ascs,)),
        ("2", "2a", 8, "Refresh the carers' strategy with carers", "Commissioning Manager",
         "September 2024", "GREEN", (ascs, centre)),
        ("3", "3a", 9, "Audit a sample of section 42 enquiries each quarter",
         "Principal Social Worker", "Q3 2024/25", "GREEN", (ascs, police)),
        ("3", "3b", 10, "Deliver refresher training to all staff", "Workforce Lead", "Dec-24",
         "RED", (icb, ascs)),
    ]  # fmt: skip
    assert cqc.agencies == (ascs, icb, centre, police)
    # The ID "1" came from a number cell, merged over two rows; both rows are its actions.
    first = cqc.areas[0]
    assert first.fields["id"] == (Value(1, "'Action plan'!A6"),)
    assert first.fields["title"] == (
        Value("Reduce waiting times for Care Act assessments", "'Action plan'!B6"),
    )
    assert first.actions[1].fields["completion"] == (Value("31/05/2024", "'Action plan'!F7"),)
    assert first.actions[1].cell == "'Action plan'!C7"


def test_cqc_plan_dates_read_as_the_plan_means_them(cqc: PlanTable) -> None:
    dues = [
        [p.due for p in read_completion_value(x.value("completion"))]
        for a in cqc.areas
        for x in a.actions
    ]
    # A date cell stays a date; "Q3 2024/25" is October to December 2024.
    assert dues == [[M(2024, 6)], [M(2024, 5)], [M(2024, 9)], [M(2024, 12)], [M(2024, 12)]]
    (q3,) = read_completion_value("Q3 2024/25")
    assert (q3.kind, q3.start, q3.end) == (DateKind.RANGE, M(2024, 10), M(2024, 12))


def test_cqc_plan_agency_splits_and_notes(cqc: PlanTable) -> None:
    assert cqc.agency_splits == (
        AgencySplit("'Action plan'!E6", "Adult Social Care, Northshire ICB",
                    ("Adult Social Care", "Northshire ICB"), "split at ','"),
        AgencySplit("'Action plan'!E8", "Adult Social Care/Northshire Carers Centre",
                    ("Adult Social Care", "Northshire Carers Centre"), "split at '/'"),
        AgencySplit("'Action plan'!E9", "Adult Social Care;\nNorthshire Police",
                    ("Adult Social Care", "Northshire Police"), "split at new lines and ';'"),
        AgencySplit("'Action plan'!E10", "Northshire ICB\nAdult Social Care",
                    ("Northshire ICB", "Adult Social Care"), "split at new lines"),
    )  # fmt: skip
    assert cqc.notes == (
        NoteRow(1, "'Action plan'!A1", "Northshire County Council – Adult Social Care", "title"),
        NoteRow(2, "'Action plan'!A2", "CQC local authority assessment: improvement action plan",
                "title"),
        NoteRow(3, "'Action plan'!A3", "Version 1.3 – updated 12 March 2024", "title"),
        NoteRow(12, "'Action plan'!A12", "RAG key: R – off track; A – some risk; G – on track",
                "note"),
    )  # fmt: skip
    assert cqc.title_lines[0] == "Northshire County Council – Adult Social Care"


def test_cqc_plan_forced_to_areas_joins_each_recommendations_rows(folder: Path) -> None:
    table = map_table(read_table(pt.make_cqc_plan(folder)), rows="areas")
    assert (table.mode, table.detected_mode) == ("areas", "actions")
    first = table.areas[0]
    assert first.actions == ()
    assert first.text("actions") == (
        "Recruit two social workers to the duty team\n"
        "Review the waiting list weekly and contact everyone waiting over 28 days"
    )
    assert first.text("leads") == "Head of Assessment\nDuty Team Manager"
    assert first.text("completion") == "30 June 2024\n31/05/2024"  # a date cell, the plan's way
    assert [v.value for v in first.fields["completion"]] == [dt.date(2024, 6, 30), "31/05/2024"]
    assert first.agencies == ("Adult Social Care", "Northshire ICB")
    assert [a.rag for a in table.areas] == ["AMBER", "GREEN", "RED"]
    # Area 3's rows disagree on the rating: the worst is used, and that is said.
    assert problems_of(table) == [
        ("warning", "rag-differs", "Action plan", "G9", "Green - complete / R")
    ]
    assert table.problems[0].message == (
        "cqc-plan.xlsx, 'Action plan'!G9: the rows of 3 have different ratings (G9, G10); the "
        "worst, RED, is used. If each row is an action with its own rating, import with one "
        "action per row."
    )
    assert format_mapping(table).endswith("Rows: one area per ID (3 areas), as asked.")


# --------------------------------------------------------------------------------------------
# 2. A SEND written statement of action


@pytest.fixture(scope="module")
def send(folder: Path) -> PlanTable:
    return map_table(read_table(pt.make_send_wsoa(folder)), context=pt.ROUND_DAY)


def test_send_wsoa_sheet_is_found_by_its_content(send: PlanTable) -> None:
    assert (send.sheet, send.header_row, send.id_source) == ("WSOA", 4, "text")
    assert mapping_rows(send) == [
        ("Area for improvement", "Area for improvement"),
        ("Actions", "Actions"),
        ("Lead", "Lead"),
        ("Timescale", "Timescale"),
        ("Measure of success", "Assurance measures"),
        ("RAG", "RAG"),
        ("% complete", "kept as plan text"),
    ]
    assert [(c.key, c.target, c.level) for c in send.columns] == [
        ("title", "title", Level.AREA),
        ("actions", "actions", Level.ROW),
        ("leads", "leads", Level.ROW),
        ("timescale", "timescale", Level.ROW),  # it differs between a recommendation's actions
        ("assurance", "assurance", Level.ROW),
        ("rag", "rag", Level.ROW),
        ("percent_complete", "", Level.ROW),
    ]


def test_send_wsoa_areas_actions_and_ratings(send: PlanTable) -> None:
    assert [(a.id, a.text("title"), a.rows, a.rag) for a in send.areas] == [
        ("1", "The quality of EHC plans is too variable", (5, 6, 7), "AMBER"),
        ("2", "Parents and carers do not feel listened to", (8, 9), "RED"),
    ]
    assert [
        (x.id, x.text("leads"), x.text("timescale"), x.text("assurance"), x.rag,
         x.value("percent_complete"))
        for a in send.areas
        for x in a.actions
    ] == [
        ("1a", "SEND Service Manager", "April 2024", "90% of audited plans rated good", "GREEN", 1),
        ("1b", "Principal Educational Psychologist", "Q1 2024/25", "All coordinators trained",
         "AMBER", 0.6),
        ("1c", "Designated Clinical Officer", "Ongoing", "95% of advice returned within 6 weeks",
         "AMBER", 0.5),
        ("2a", "Head of SEND", "Sept 2024", "Parent survey satisfaction up by 20%", "RED", 0.1),
        ("2b", "Participation Lead", "Termly", "Three updates published", "", 0),
    ]  # fmt: skip
    assert send.areas[0].agencies == () and send.agencies == ()
    assert problems_of(send) == [("error", "rag-unknown", "WSOA", "F9", "Not started")]
    assert send.problems[0].message == (
        "send-wsoa.xlsx, WSOA!F9: 'Not started' is not a RAG rating. Change it to one of: Red, "
        "Amber, Green."
    )
    assert send.problems[0].area_id == "2b" and send.problems[0].column == "RAG"
    assert not send.ok


def test_send_wsoa_timescale_can_be_mapped_to_completion(folder: Path) -> None:
    mapping = parse_map_option(["Timescale=Date for completion", "% complete=ignore"])
    table = map_table(read_table(pt.make_send_wsoa(folder)), mapping=mapping)
    assert ("Timescale", "Date for completion (from --map)") in mapping_rows(table)
    assert ("% complete", "ignored") in mapping_rows(table)
    assert "percent_complete" not in {c.key for c in table.columns}
    first = table.areas[0].actions[0]
    assert first.value("completion") == "April 2024" and "percent_complete" not in first.fields


def test_a_sheet_named_explicitly(folder: Path) -> None:
    source = read_table(pt.make_send_wsoa(folder))
    assert [(s.name, s.visible) for s in source.sheets] == [
        ("Instructions", True),
        ("WSOA", True),
        ("Lists", False),
    ]
    assert map_table(source, sheet="wsoa").sheet == "WSOA"  # case aside
    missing = map_table(source, sheet="Plan")
    assert missing.areas == () and not missing.ok
    assert problems_of(missing) == [("error", "sheet-not-found", "", "", "Plan")]
    assert missing.problems[0].message == (
        "send-wsoa.xlsx: there is no sheet called 'Plan'. Its sheets are 'Instructions', "
        "'WSOA', 'Lists': give one of these with --sheet."
    )
    no_table = map_table(source, sheet="Instructions")
    assert [p.rule for p in no_table.problems] == ["no-header"]
    assert no_table.problems[0].message.startswith(
        "send-wsoa.xlsx: no header row found in the first 30 rows of sheet 'Instructions'."
    )
    assert format_mapping(no_table) == "send-wsoa.xlsx: no table found."


# --------------------------------------------------------------------------------------------
# 3. A youth justice plan: action rows, an "Action no" column, sections, BRAG and a registry


@pytest.fixture(scope="module")
def yj_registry(folder: Path) -> tuple[RegistryAgency, ...]:
    registry = read_agency_registry(pt.make_yj_agencies(folder))
    assert registry.problems == ()
    return registry.agencies


@pytest.fixture(scope="module")
def yj(folder: Path, yj_registry: tuple[RegistryAgency, ...]) -> PlanTable:
    source = read_table(pt.make_youth_justice_plan(folder))
    return map_table(source, registry=yj_registry, rag_scale=BRAG, context=pt.ROUND_DAY)


def test_youth_justice_plan_mapping(yj: PlanTable) -> None:
    assert mapping_rows(yj) == [
        ("Rec no", "ID"),
        ("Recommendation", "Area for improvement"),
        ("Action no", "Action ID"),
        ("Action", "Actions"),
        ("Lead officer", "Lead"),
        ("Partner agencies", "Agencies"),
        ("By when", "Date for completion"),
        ("BRAG", "RAG"),
        ("Progress update (March 2024)", "Progress"),
    ]


def test_youth_justice_plan_actions_keep_their_own_ids(yj: PlanTable) -> None:
    yjs, police, icb, education = (
        "Northshire Youth Justice Service", "Northshire Police", "Northshire ICB",
        "Northshire Education Service",
    )  # fmt: skip
    assert [(a.id, a.rows, a.section, a.rag, a.agencies) for a in yj.areas] == [
        ("1", (4, 5, 6), "Priority 1: Reducing first-time entrants", "AMBER",
         (yjs, police, icb)),
        ("2", (8, 9), "Priority 2: Education, training and employment", "GREEN",
         (education, yjs, "Virtual School")),
    ]  # fmt: skip
    assert actions_of(yj) == [
        ("1", "1.1", 4, "Introduce a joint decision-making panel", "YJS Manager", "Q1 2024/25",
         "BLUE", (yjs, police)),
        ("1", "1.2", 5, "Audit ten assessments each quarter", "QA Lead", "end of Q2", "BLUE",
         (yjs,)),
        ("1", "1.3", 6, "Train case managers in trauma-informed practice", "Practice Lead",
         "w/c 3 June 2024", "AMBER", (yjs, icb)),
        ("2", "2.1", 8, "Agree a protocol with schools for children at risk of exclusion",
         "Head of Inclusion", dt.date(2024, 9, 1), "GREEN", (education, yjs)),
        ("2", "2.10", 9, "Report attendance to the management board each month",
         "Performance Officer", "Monthly", "GREEN", (yjs, education, "Virtual School")),
    ]  # fmt: skip
    assert yj.areas[0].actions[0].cell == "'YJ plan'!C4"
    assert yj.areas[1].actions[1].fields["action_id"] == (Value("2.10", "'YJ plan'!C9"),)
    assert [(n.row, n.kind) for n in yj.notes] == [(1, "title"), (3, "section"), (7, "section")]


def test_youth_justice_plan_agencies_split_against_the_registry(yj: PlanTable) -> None:
    assert [(s.cell, s.names, s.how) for s in yj.agency_splits] == [
        ("'YJ plan'!F4", ("Northshire Youth Justice Service", "Northshire Police"),
         "split at '&'"),
        ("'YJ plan'!F6", ("Northshire Youth Justice Service", "Northshire ICB"), "split at 'and'"),
        ("'YJ plan'!F8", ("Northshire Education Service", "Northshire Youth Justice Service"),
         "split at ','"),
        ("'YJ plan'!F9", ("Northshire Youth Justice Service", "Northshire Education Service",
                          "Virtual School"), "split at '/'"),
    ]  # fmt: skip
    assert problems_of(yj) == [
        ("warning", "rag-read-as", "YJ plan", "H8", "On track"),
        ("warning", "agency-unknown", "YJ plan", "F9", "Virtual School"),
    ]
    assert [p.message for p in yj.problems] == [
        "yj-plan.xlsx, 'YJ plan'!H8: 'On track' is read as Green. If that is wrong, change it "
        "to one of: Red, Amber, Green, Blue.",
        "yj-plan.xlsx, 'YJ plan'!F9: 'Virtual School' is not in the list of agencies. Add it "
        "to the list, or correct the name.",
    ]
    assert yj.ok  # warnings do not stop an import


def test_youth_justice_plan_dates_need_the_round_date(folder: Path) -> None:
    source = read_table(pt.make_youth_justice_plan(folder))
    table = map_table(source, rag_scale=BRAG)  # no context: "end of Q2" cannot be read
    unread = [(p.rule, p.cell, p.value) for p in table.problems if p.rule == "date-unreadable"]
    assert unread == [("date-unreadable", "G5", "end of Q2")]
    (reading,) = read_completion_value("end of Q2", context=pt.ROUND_DAY)
    assert reading.due == M(2024, 9)


def test_youth_justice_plan_without_blue_on_the_scale(folder: Path) -> None:
    table = map_table(read_table(pt.make_youth_justice_plan(folder)), context=pt.ROUND_DAY)
    assert [x.rag for a in table.areas for x in a.actions][:2] == ["GREEN", "GREEN"]
    assert ("warning", "rag-read-as", "YJ plan", "H4", "B") in problems_of(table)
    # Without a registry, "YJS & Police" is kept whole: "Police" is never written alone.
    assert table.areas[0].actions[0].agencies == ("YJS & Police",)


# --------------------------------------------------------------------------------------------
# 4. An Ofsted plan in .ods, IDs at the start of the recommendation text


@pytest.fixture(scope="module")
def ofsted(folder: Path) -> PlanTable:
    return map_table(read_table(pt.make_ofsted_plan(folder)), context=pt.ROUND_DAY)


def test_ofsted_plan_ids_in_the_text(ofsted: PlanTable) -> None:
    assert (ofsted.id_source, ofsted.mode, ofsted.header_row) == ("text", "areas", 3)
    assert [(a.id, a.id_cell, a.text("title")) for a in ofsted.areas] == [
        ("1.4", "'Ofsted plan'!A4", "Ensure that the quality of supervision is consistently good"),
        ("R1a", "'Ofsted plan'!A6", "Theme: workforce stability – fewer agency social workers"),
        ("3", "'Ofsted plan'!A7", "Improve the timeliness of initial health assessments"),
    ]


def test_ofsted_plan_rows_of_one_area_are_joined(ofsted: PlanTable) -> None:
    first = ofsted.areas[0]
    assert first.rows == (4, 5) and first.actions == ()
    assert (
        first.text("actions")
        == "Relaunch the supervision policy\nAudit supervision records monthly"
    )
    assert first.text("progress") == "Policy relaunched.\nFirst audit in June."
    assert first.text("leads") == "Head of Service"
    assert first.value("next_review") == dt.date(2024, 6, 30)
    assert first.value("comments") == "Linked to 2.1"  # an unknown heading: plan text of its own
    assert [(a.rag, a.agencies, a.value("completion")) for a in ofsted.areas] == [
        ("AMBER", ("Children's Social Care",), "May 2024"),
        ("GREEN", ("Children's Social Care", "HR"), "2024/25"),
        ("GREEN", ("Northshire ICB & Children's Social Care",), "31.07.24"),
    ]
    review = parse_review_date(ofsted.areas[1].value("next_review"))
    assert review is not None and review.month == M(2024, 9)


def test_ofsted_plan_problems(ofsted: PlanTable) -> None:
    assert problems_of(ofsted) == [
        ("warning", "date-unreadable", "Ofsted plan", "K7", "TBC"),
        (
            "error",
            "id-missing",
            "Ofsted plan",
            "A8",
            "Ensure that children's records are up to date",
        ),
    ]
    assert ofsted.problems[1].message == (
        "ofsted-plan.ods, 'Ofsted plan'!A8: row 8 has no ID. Start the 'Recommendation' text "
        "with the area's ID, like '1.4 Ensure that…', or add an 'ID' column."
    )
    assert ofsted.agency_splits[-1] == AgencySplit(
        "'Ofsted plan'!D7",
        "Northshire ICB & Children's Social Care",
        ("Northshire ICB & Children's Social Care",),
        "kept whole: its parts are not all known agencies",
    )
    check_every_problem_is_named(ofsted)


# --------------------------------------------------------------------------------------------
# 5. A ";"-separated, Windows-1252 CSV from a European-locale Excel


@pytest.fixture(scope="module")
def sar(folder: Path) -> tuple[SourceFile, PlanTable]:
    source = read_table(pt.make_semicolon_csv(folder))
    return source, map_table(source, context=pt.ROUND_DAY)


def test_semicolon_csv_is_read(sar: tuple[SourceFile, PlanTable]) -> None:
    source, table = sar
    assert (source.encoding, source.delimiter, table.sheet, table.header_row) == (
        "cp1252", ";", "sar-plan", 2
    )  # fmt: skip
    assert mapping_rows(table) == [
        ("Ref.", "ID"),
        ("Area for improvement", "Area for improvement"),
        ("Action to be taken", "Actions"),
        ("Responsible officer", "Lead"),
        ("Agency", "Agencies"),
        ("Due date", "Date for completion"),
        ("Status", "RAG"),
        ("Progress update", "Progress"),
    ]
    assert table.problems == () and table.mode == "actions"


def test_semicolon_csv_rows(sar: tuple[SourceFile, PlanTable]) -> None:
    _, table = sar
    ascs = "Adult Social Care"
    assert [(a.id, a.text("title"), a.rag) for a in table.areas] == [
        ("1.1", "Learning from the review is shared across all partners", "AMBER"),
        ("1.10", "Self-neglect guidance is used", "AMBER"),  # "1.10" stays "1.10"
        ("2", "Carers are offered an assessment", "RED"),
    ]
    assert actions_of(table) == [
        ("1.1", "1.1a", 3, "Hold a learning event for frontline staff", "Board Manager",
         "31.05.2024", "AMBER", (ascs, "Northshire ICB")),
        ("1.10", "1.10a", 4, "Refresh the self-neglect guidance", "Policy Officer", "30/06/2024",
         "AMBER", (ascs, "Northshire Police")),
        ("1.10", "1.10b", 5, "Add the guidance to induction", "Workforce Lead", "Dec-24", "GREEN",
         (ascs,)),
        ("2", "2a", 6, "Audit carers’ assessments — ‘what matters to me’",
         "Principal Social Worker", "Q3 2024/25", "RED", (ascs, "Northshire Carers Centre")),
    ]  # fmt: skip
    assert table.areas[1].actions[1].text("progress") == "Included from\nSeptember."
    assert table.areas[2].actions[0].text("progress") == "£5,000 agreed for extra capacity."


def test_csv_problems_name_the_cell_without_a_sheet(folder: Path) -> None:
    rows = [list(r) for r in pt.SAR_ROWS]
    rows[3][6] = "Purple"
    source = read_table(tf.write_csv(folder / "bad.csv", rows, delimiter=";"))
    (problem,) = map_table(source).problems
    assert (problem.sheet, problem.cell) == ("bad", "G4")
    assert problem.message == (
        "bad.csv, G4: 'Purple' is not a RAG rating. Change it to one of: Red, Amber, Green."
    )


# --------------------------------------------------------------------------------------------
# 6. Real date cells mixed with text dates, in .xlsx and .xlsm


@pytest.mark.parametrize("macros", [False, True], ids=["xlsx", "xlsm"])
def test_date_cells_stay_dates(folder: Path, macros: bool) -> None:
    source = read_table(pt.make_dated_plan(folder, macros=macros))
    assert source.format == ("xlsm" if macros else "xlsx")
    table = map_table(source, context=pt.ROUND_DAY)
    assert [(a.id, a.value("completion"), a.value("next_review"), a.rag) for a in table.areas] == [
        ("1.1", dt.date(2024, 6, 30), dt.date(2024, 9, 26), "GREEN"),
        ("1.2", "Dec-24", "September 2024", "AMBER"),
        ("1.10", "w/c 3 June 2024", dt.datetime(2024, 10, 1, 10, 0), "RED"),
        ("2", "end of Q2", "Not required", ""),  # an ID typed as the number 2
        ("2.1", "Ongoing", "Q3 2024/25", "GREEN"),  # Complete is Green: no Blue on the scale
        ("1 April 2024", "soon", "next time", "AMBER"),
    ]
    dues = [
        [p.due for p in read_completion_value(a.value("completion"), context=pt.ROUND_DAY)]
        for a in table.areas[:5]
    ]
    assert dues == [[M(2024, 6)], [M(2024, 12)], [M(2024, 6)], [M(2024, 9)], [None]]
    assert table.areas[0].text("completion") == "30 June 2024"
    assert table.areas[2].text("next_review") == "1 October 2024 10:00"
    assert problems_of(table) == [
        ("warning", "heading-duplicate", "Plan", "K2", "Update"),
        ("error", "id-is-date", "Plan", "A8", "1 April 2024"),
        ("warning", "date-unreadable", "Plan", "G8", "soon"),
        ("warning", "date-unreadable", "Plan", "J8", "next time"),
    ]
    assert table.problems[1].message == (
        f"{source.name}, Plan!A8: the ID is a date (1 April 2024): Excel may have turned an ID "
        "such as 1.4 into a date. Format the ID column as Text and type the IDs again."
    )
    assert table.problems[0].message == (
        f"{source.name}, Plan!K2: 'Progress' and 'Update' both mean 'Progress'. 'Progress' is "
        "used for it and 'Update' is kept as plan text. If that is wrong, say which is which "
        'with --map "Update=column".'
    )
    assert mapping_rows(table)[-1] == (
        "Update",
        "kept as plan text (its column is taken by an earlier heading)",
    )
    assert table.areas[0].value("update") == "See audit"
    check_every_problem_is_named(table)


# --------------------------------------------------------------------------------------------
# The bundled plan through this pipeline, against the current importer

SEED_HEADERS = [
    "Area for improvement",
    "Actions",
    "Lead",
    "Date for completion",
    "Assurance measures",
    "Desired outcome",
    "Progress at (Inc RAG rating)",
    "Evidence of impact",
    "Date of next review",
    "Agency",
]
SEED_DAY = dt.date(2012, 6, 26)


def seed_table_rows() -> list[list[str]]:
    """The bundled plan as the seed's table: ID leading the area text, RAG ending progress
    (as tests/services/test_plan_source.py builds it)."""
    plan = load_plan(example_plan_path())
    rows = []
    for a in plan.areas:
        v = a.value
        progress = f"{v('progress')} {v('rag')}".strip() if v("rag") else v("progress")
        agencies = "\n".join(plan.agency(k).name for k in a.agencies)
        rows.append(
            [f"{a.id} {v('title')}", v("actions"), v("leads"), v("completion"), v("assurance"),
             v("outcome"), progress, v("evidence"), v("next_review"), agencies]
        )  # fmt: skip
    return rows


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize("agency_heading", ["Agency", "Agencies"])
def test_the_bundled_plan_comes_through_whole(
    folder: Path, suffix: str, agency_heading: str
) -> None:
    headers = [*SEED_HEADERS[:-1], agency_heading]
    rows = [headers, *seed_table_rows()]
    path = folder / f"seed-{agency_heading}{suffix}"
    if suffix == ".csv":
        tf.write_csv(path, rows)
    else:
        tf.write_xlsx(path, {"Plan": rows})
    old = load_plan(example_plan_path())  # the bundled plan, as the old importer gave it
    table = map_table(read_table(path), context=SEED_DAY)
    assert (table.mode, table.id_source, table.problems) == ("areas", "text", ())
    assert [m.target for m in table.mapping] == [
        "title", "actions", "leads", "completion", "assurance", "outcome", "progress",
        "evidence", "next_review", "agencies",
    ]  # fmt: skip
    assert len(table.areas) == len(old.areas) == 32
    for got, want in zip(table.areas, old.areas, strict=True):
        assert (got.id, got.text("title"), got.rag) == (
            want.id, want.value("title"), want.value("rag")
        )  # fmt: skip
        for key in ("leads", "completion", "assurance", "outcome", "progress", "evidence",
                    "next_review", "actions"):  # fmt: skip
            assert got.text(key) == want.value(key), (want.id, key)
        assert list(got.agencies) == [old.agency(k).name for k in want.agencies], want.id
    assert [a.rag for a in table.areas].count("GREEN") == 5
    assert [a.rag for a in table.areas].count("AMBER") == 20


def test_the_importers_own_headings_table(folder: Path) -> None:
    rows = [
        ["ID", "Theme", "Area for improvement", "Actions", "RAG", "Agencies", "Progress"],
        ["1.10", "1", "=Tenth area", "-act", "amber", "Police; Health\nPolice", "Going well GREEN"],
        ["2.2.1", "", "Nested", "Do", "", "health", ""],
    ]
    for path in (
        tf.write_csv(folder / "own.csv", rows),
        tf.write_xlsx(folder / "own.xlsx", {"Sheet1": rows}),
    ):
        table = map_table(read_table(path))
        first, second = table.areas
        assert (first.id, first.text("title"), first.text("actions"), first.rag) == (
            "1.10", "=Tenth area", "-act", "AMBER"
        )  # fmt: skip
        assert first.text("progress") == "Going well GREEN"  # a RAG column: progress kept whole
        assert first.agencies == ("Police", "Health")
        assert (second.id, second.agencies) == ("2.2.1", ("Health",))  # the same, any case


def test_seed_forced_to_actions_gives_each_area_one_action(folder: Path) -> None:
    path = tf.write_csv(folder / "seed-actions.csv", [SEED_HEADERS, *seed_table_rows()[:3]])
    table = map_table(read_table(path), rows="actions")
    assert [[x.id for x in a.actions] for a in table.areas] == [["1.1a"], ["1.2a"], ["1.3a"]]
    assert table.areas[0].actions[0].rag == "GREEN"  # from the end of its progress text


# --------------------------------------------------------------------------------------------
# A table with no areas, and the package's purity


def test_no_ids_anywhere() -> None:
    rows: list[list[CellValue]] = [["Recommendation", "Action"], ["Improve things", "Do"]]
    table = map_table(SourceFile("t.xlsx", "xlsx", (make_sheet("S", rows),)))
    assert table.areas == () and table.id_source == ""
    assert [p.rule for p in table.problems] == ["no-ids"]
    assert table.problems[0].message == (
        "t.xlsx: the table (row 1 of sheet 'S') has no ID column, and the 'Recommendation' "
        "text does not start with IDs. Add an 'ID' column, or start each area's text with its "
        "ID, like '1.4 Ensure that…'. If a column holds the IDs under another heading, say "
        'so with --map "Heading=id".'
    )


def test_a_header_with_no_rows() -> None:
    table = map_table(SourceFile("t.xlsx", "xlsx", (make_sheet("S", [["ID", "Action"], []]),)))
    assert [p.rule for p in table.problems] == ["no-rows"]
    assert not table.ok


def test_plan_table_is_pure() -> None:
    code = (
        "import sys, ipt_excel.core.plan_table\n"
        "bad = {'python_calamine', 'openpyxl', 'xlsxwriter', 'pandas', 'csv'} & set(sys.modules)\n"
        "print(sorted(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
