"""Six plan tables laid out the way councils keep them, after real public plans.

Each `make_*` writes one file into a folder and returns its path. The people, services and
places are made up (Northshire is not a real council); the layouts, headings and the ways
dates, ratings and agencies are written are taken from published plans:

- `make_cqc_plan`: a CQC local authority assessment action plan for adult social care. Title
  and version rows, Ref / Recommendation / Action / Owner / Organisation / Target date / RAG /
  Update, recommendations merged over their action rows, organisations joined by ",", "/",
  ";" and new lines, a real date cell beside "31/05/2024", "September 2024", "Q3 2024/25"
  and "Dec-24", ratings written "Amber", "amber " and "G", and a RAG key below the table.
- `make_send_wsoa`: a SEND written statement of action progress report: "Area for
  improvement" (numbered in its text, merged over its actions), "Actions", "Lead",
  "Timescale", "Measure of success", "RAG", "% complete"; an instructions sheet before it and
  a hidden lists sheet after it.
- `make_youth_justice_plan`: a youth justice service's post-inspection plan: priority banner
  rows merged across the table, "Rec no" merged over its actions, an "Action no" column,
  BRAG ratings (Blue, "Complete", "On track"), partner agencies written with "&", "and", ","
  and "/", and dates such as "end of Q2" and "w/c 3 June 2024".
- `make_ofsted_plan` (.ods): an Ofsted ILACS plan with the ID at the start of the
  recommendation text ("1.4 Ensure…", "R1a. Theme…", "Recommendation 3: …"), a second row of
  actions under one recommendation, a "Comments" column, and a row that lost its ID.
- `make_semicolon_csv`: a Safeguarding Adults Review action plan saved by a European-locale
  Excel: ";"-separated, Windows-1252, no byte order mark, the title padded with ";".
- `make_dated_plan` (.xlsx or .xlsm): the seed's own headings with an ID column, real date
  and datetime cells beside "Dec-24", "w/c 3 June 2024", "end of Q2", "Ongoing", "Not
  required", an ID typed as a number and one Excel turned into a date, and both "Progress"
  and "Update" columns.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import table_files as tf

ROUND_DAY = dt.date(2024, 5, 1)  # the round the tables are imported at: Q1 of 2024/25

CQC_ROWS: list[list[object]] = [
    ["Northshire County Council – Adult Social Care"],
    ["CQC local authority assessment: improvement action plan"],
    ["Version 1.3 – updated 12 March 2024"],
    [],
    ["Ref", "Recommendation", "Action", "Owner", "Organisation", "Target date", "RAG", "Update"],
    [
        1,
        "Reduce waiting times for Care Act assessments",
        "Recruit two social workers to the duty team",
        "Head of Assessment",
        "Adult Social Care, Northshire ICB",
        dt.date(2024, 6, 30),
        "Amber",
        "Interviews held in May.",
    ],
    [
        None,
        None,
        "Review the waiting list weekly and contact everyone waiting over 28 days",
        "Duty Team Manager",
        "Adult Social Care",
        "31/05/2024",
        "amber ",
        "Started in April.",
    ],
    [
        2,
        "Improve the offer to unpaid carers",
        "Refresh the carers' strategy with carers",
        "Commissioning Manager",
        "Adult Social Care/Northshire Carers Centre",
        "September 2024",
        "G",
        "Strategy signed off on 2 May.",
    ],
    [
        3,
        "Strengthen safeguarding practice",
        "Audit a sample of section 42 enquiries each quarter",
        "Principal Social Worker",
        "Adult Social Care;\nNorthshire Police",
        "Q3 2024/25",
        "Green - complete",
        "Q1 audit done.",
    ],
    [
        None,
        None,
        "Deliver refresher training to all staff",
        "Workforce Lead",
        "Northshire ICB\nAdult Social Care",
        "Dec-24",
        "R",
        "Trainer not yet found.",
    ],
    [],
    ["RAG key: R – off track; A – some risk; G – on track"],
]
CQC_MERGES = {"Action plan": ["A1:H1", "A2:H2", "A6:A7", "B6:B7", "A9:A10", "B9:B10"]}


def make_cqc_plan(folder: Path) -> Path:
    return tf.write_xlsx(folder / "cqc-plan.xlsx", {"Action plan": CQC_ROWS}, CQC_MERGES)


SEND_ROWS: list[list[object]] = [
    ["Northshire Local Area SEND Partnership"],
    ["Written Statement of Action – progress report, March 2024"],
    [],
    [
        "Area for improvement",
        "Actions",
        "Lead",
        "Timescale",
        "Measure of success",
        "RAG",
        "% complete",
    ],
    [
        "1. The quality of EHC plans is too variable",
        "Introduce a multi-agency quality assurance framework for EHC plans",
        "SEND Service Manager",
        "April 2024",
        "90% of audited plans rated good",
        "Green",
        1.0,
    ],
    [
        None,
        "Train all EHC coordinators in writing outcomes",
        "Principal Educational Psychologist",
        "Q1 2024/25",
        "All coordinators trained",
        "Amber",
        0.6,
    ],
    [
        None,
        "Return health advice within 6 weeks",
        "Designated Clinical Officer",
        "Ongoing",
        "95% of advice returned within 6 weeks",
        "A",
        0.5,
    ],
    [
        "2. Parents and carers do not feel listened to",
        "Co-produce a communication strategy with the parent carer forum",
        "Head of SEND",
        "Sept 2024",
        "Parent survey satisfaction up by 20%",
        "R",
        0.1,
    ],
    [
        None,
        "Publish a 'You said, we did' update each term",
        "Participation Lead",
        "Termly",
        "Three updates published",
        "Not started",
        0,
    ],
]
SEND_MERGES = {"WSOA": ["A5:A7", "A8:A9"]}


def fixed_rows(
    rows: list[list[object]], fixes: dict[tuple[int, int], object]
) -> list[list[object]]:
    """The rows with some cells put right, as a coordinator would after reading the errors;
    `fixes` maps (row, column), counted from 1 as in the messages, to the new value."""
    out = [list(r) for r in rows]
    for (r, c), value in fixes.items():
        out[r - 1][c - 1] = value
    return out


# What each table's deliberate error needs, named by the cell the import names.
SEND_FIXES = {(9, 6): "Red"}  # F9: 'Not started' is not a RAG rating
OFSTED_FIXES = {(8, 1): "4 Ensure that children's records are up to date"}  # A8: no ID
DATED_FIXES = {(8, 1): "2.2"}  # A8: an ID Excel turned into a date


def make_send_wsoa(folder: Path, *, fixed: bool = False) -> Path:
    sheets = {
        "Instructions": [
            ["How to complete this report"],
            ["Update the RAG and % complete columns for each action by 28 March."],
            ["Leads: please do not change the actions or measures of success."],
        ],
        "WSOA": fixed_rows(SEND_ROWS, SEND_FIXES) if fixed else SEND_ROWS,
        "Lists": [["RAG"], ["Red"], ["Amber"], ["Green"]],
    }
    path = tf.write_xlsx_openpyxl(folder / "send-wsoa.xlsx", sheets, SEND_MERGES)
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb["Lists"].sheet_state = "hidden"
    wb.save(path)
    return path


YJ_ROWS: list[list[object]] = [
    ["Northshire Youth Justice Service – HMIP inspection improvement plan 2024/25"],
    [
        "Rec no",
        "Recommendation",
        "Action no",
        "Action",
        "Lead officer",
        "Partner agencies",
        "By when",
        "BRAG",
        "Progress update (March 2024)",
    ],
    ["Priority 1: Reducing first-time entrants"],
    [
        "1",
        "Improve the quality of out-of-court disposal assessments",
        "1.1",
        "Introduce a joint decision-making panel",
        "YJS Manager",
        "YJS & Police",
        "Q1 2024/25",
        "B",
        "Panel running since April.",
    ],
    [
        None,
        None,
        "1.2",
        "Audit ten assessments each quarter",
        "QA Lead",
        "YJS",
        "end of Q2",
        "Complete",
        "First audit done.",
    ],
    [
        None,
        None,
        "1.3",
        "Train case managers in trauma-informed practice",
        "Practice Lead",
        "YJS and Health",
        "w/c 3 June 2024",
        "Amber",
        "Dates set.",
    ],
    ["Priority 2: Education, training and employment"],
    [
        "2",
        "Increase the number of children in full-time education",
        "2.1",
        "Agree a protocol with schools for children at risk of exclusion",
        "Head of Inclusion",
        "Education, YJS",
        dt.date(2024, 9, 1),
        "On track",
        "Draft shared with head teachers.",
    ],
    [
        None,
        None,
        "2.10",
        "Report attendance to the management board each month",
        "Performance Officer",
        "YJS/Education/Virtual School",
        "Monthly",
        "G",
        None,
    ],
]
YJ_MERGES = {"YJ plan": ["A1:I1", "A3:I3", "A4:A6", "B4:B6", "A7:I7"]}
YJ_AGENCIES = [
    ["Name", "Short name", "Email", "Aliases"],
    ["Northshire Youth Justice Service", "YJS", "yjs@northshire.gov.uk", ""],
    ["Northshire Police", "Police", "", ""],
    ["Northshire ICB", "ICB", "", "Health"],
    ["Northshire Education Service", "Education", "", "Schools"],
]


def make_youth_justice_plan(folder: Path) -> Path:
    return tf.write_xlsx(folder / "yj-plan.xlsx", {"YJ plan": YJ_ROWS}, YJ_MERGES)


def make_yj_agencies(folder: Path) -> Path:
    return tf.write_csv(folder / "agencies.csv", YJ_AGENCIES)


OFSTED_ROWS: list[list[object]] = [
    ["Northshire Children's Services – Ofsted ILACS improvement plan"],
    ["Status: draft for the Improvement Board, 4 March 2024"],
    [
        "Recommendation",
        "Action",
        "Lead",
        "Agency",
        "Timescale for completion",
        "Assurance",
        "Desired outcome",
        "Progress",
        "RAG rating",
        "Evidence",
        "Review date",
        "Comments",
    ],
    [
        "1.4 Ensure that the quality of supervision is consistently good",
        "Relaunch the supervision policy",
        "Head of Service",
        "Children's Social Care",
        "May 2024",
        "Monthly audit of 20 files",
        "Supervision is regular and reflective",
        "Policy relaunched.",
        "Amber",
        None,
        dt.date(2024, 6, 30),
        "Linked to 2.1",
    ],
    [
        None,
        "Audit supervision records monthly",
        None,
        None,
        None,
        None,
        None,
        "First audit in June.",
        None,
        None,
        None,
        None,
    ],
    [
        "R1a. Theme: workforce stability – fewer agency social workers",
        "Recruit permanent social workers",
        "HR Business Partner",
        "Children's Social Care\nHR",
        "2024/25",
        "Agency staff below 15%",
        "Children keep the same social worker",
        "Twelve offers made.",
        "green",
        "Turnover down to 14%.",
        "Sept 2024",
        None,
    ],
    [
        "Recommendation 3: Improve the timeliness of initial health assessments",
        "Agree a 20-working-day pathway with health partners",
        "Designated Doctor",
        "Northshire ICB & Children's Social Care",
        "31.07.24",
        None,
        "Assessments within 20 working days",
        None,
        "G",
        None,
        "TBC",
        None,
    ],
    [
        "Ensure that children's records are up to date",
        "Clear the recording backlog",
        "Team Manager",
        "Children's Social Care",
        "June 2024",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ],
]
OFSTED_MERGES = {"Ofsted plan": ["A4:A5"]}


def make_ofsted_plan(folder: Path, *, fixed: bool = False) -> Path:
    rows = fixed_rows(OFSTED_ROWS, OFSTED_FIXES) if fixed else OFSTED_ROWS
    return tf.write_ods(folder / "ofsted-plan.ods", {"Ofsted plan": rows}, OFSTED_MERGES)


SAR_ROWS: list[list[object]] = [
    ["Northshire Safeguarding Adults Board – SAR action plan (Mrs A)", "", "", "", "", "", "", ""],
    [
        "Ref.",
        "Area for improvement",
        "Action to be taken",
        "Responsible officer",
        "Agency",
        "Due date",
        "Status",
        "Progress update",
    ],
    [
        "1.1",
        "Learning from the review is shared across all partners",
        "Hold a learning event for frontline staff",
        "Board Manager",
        "Adult Social Care, Northshire ICB",
        "31.05.2024",
        "Amber",
        "Event booked for 20 May – 120 places.",
    ],
    [
        "1.10",
        "Self-neglect guidance is used",
        "Refresh the self-neglect guidance",
        "Policy Officer",
        "Adult Social Care; Northshire Police",
        "30/06/2024",
        "amber ",
        "Draft out for comment.",
    ],
    [
        "1.10",
        "",
        "Add the guidance to induction",
        "Workforce Lead",
        "Adult Social Care",
        "Dec-24",
        "G",
        "Included from\nSeptember.",
    ],
    [
        "2",
        "Carers are offered an assessment",
        "Audit carers’ assessments — ‘what matters to me’",
        "Principal Social Worker",
        "Adult Social Care/Northshire Carers Centre",
        "Q3 2024/25",
        "Red",
        "£5,000 agreed for extra capacity.",
    ],
]


def make_semicolon_csv(folder: Path) -> Path:
    return tf.write_csv(folder / "sar-plan.csv", SAR_ROWS, delimiter=";", encoding="cp1252")


DATED_HEADERS = [
    "ID",
    "Theme",
    "Area for improvement",
    "Actions",
    "Lead",
    "Agencies",
    "Date for completion",
    "Progress",
    "RAG",
    "Date of next review",
    "Update",
]
DATED_ROWS: list[list[object]] = [
    ["Improvement plan – dates as typed"],
    DATED_HEADERS,
    [
        "1.1",
        "Practice",
        "Core assessments are completed",
        "Reiterate advice to all staff",
        "Liz Jones",
        "Children's Social Care",
        dt.date(2024, 6, 30),
        "Done.",
        "GREEN",
        dt.date(2024, 9, 26),
        "See audit",
    ],
    [
        "1.2",
        "Practice",
        "Assessments are recorded fully",
        "Use the new template",
        "Trina Shane",
        "Children's Social Care",
        "Dec-24",
        None,
        "A",
        "September 2024",
        None,
    ],
    [
        "1.10",
        "Practice",
        "Supervision is recorded",
        "Roll out the supervision template",
        "Clive Diaz",
        "Children's Social Care",
        "w/c 3 June 2024",
        None,
        "Red",
        dt.datetime(2024, 10, 1, 10, 0),
        None,
    ],
    [
        2,
        "Management",
        "Managers have oversight",
        "Monthly performance clinics",
        "Charlie Moat",
        "Children's Service",
        "end of Q2",
        None,
        None,
        "Not required",
        None,
    ],
    [
        2.1,
        "Management",
        "Plans are reviewed on time",
        "Track reviews weekly",
        "Charlie Moat",
        "Children's Service",
        "Ongoing",
        None,
        "Complete",
        "Q3 2024/25",
        None,
    ],
    [
        dt.date(2024, 4, 1),
        "Management",
        "An ID Excel turned into a date",
        "Check the IDs",
        "Liz Jones",
        "Children's Service",
        "soon",
        None,
        "Amber",
        "next time",
        None,
    ],
]


def make_dated_plan(folder: Path, *, macros: bool = False, fixed: bool = False) -> Path:
    name = "dated-plan.xlsm" if macros else "dated-plan.xlsx"
    rows = fixed_rows(DATED_ROWS, DATED_FIXES) if fixed else DATED_ROWS
    return tf.write_xlsx(folder / name, {"Plan": rows}, vba=macros)


SHAPES = ("cqc", "send", "yj", "ofsted", "sar", "dated")


def shape(folder: Path, name: str, *, fixed: bool = True) -> tuple[Path, dict[str, object]]:
    """One of the six tables and the `ipt init` settings it needs, as the README shows them:
    the SEND statement names no agencies, so its leads are its agencies; the youth justice plan
    comes with its agency registry. `fixed` puts right the deliberate error in three of them.
    The settings are keyword arguments of `load_plan_source`; `init_args` gives them as
    options."""
    if name == "cqc":
        return make_cqc_plan(folder), {}
    if name == "send":
        return make_send_wsoa(folder, fixed=fixed), {"mapping": ["Lead=agencies"]}
    if name == "yj":
        return make_youth_justice_plan(folder), {"agencies": make_yj_agencies(folder)}
    if name == "ofsted":
        return make_ofsted_plan(folder, fixed=fixed), {}
    if name == "sar":
        return make_semicolon_csv(folder), {}
    if name == "dated":
        return make_dated_plan(folder, fixed=fixed), {}
    raise ValueError(name)


def init_args(kwargs: dict[str, object]) -> list[str]:
    """`shape`'s settings as `ipt init` options."""
    args: list[str] = []
    for m in kwargs.get("mapping", []):  # type: ignore[attr-defined]
        args += ["--map", str(m)]
    if "agencies" in kwargs:
        args += ["--agencies", str(kwargs["agencies"])]
    return args
