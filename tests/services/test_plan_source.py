"""Plans from a council's own table (services/plan_source.py): the bundled plan as its seed
table, six tables laid out as councils keep them (tests/plan_tables.py), and the errors.

Each shape is asserted exactly: its rows, IDs, recommendations, agencies, dates and RAG.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import plan_tables as pt
import pytest
import table_files as tf

from ipt_excel.core.columns import Kind
from ipt_excel.core.model import Plan
from ipt_excel.errors import PlanFileError, PlanInvalidError
from ipt_excel.services.plan_source import (
    LoadedPlan,
    example_plan_path,
    load_plan,
    load_plan_source,
)

# The seed's own headings (the Word table's header row), in its order, plus its Agency text.
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
DAY = date(2012, 6, 26)
ROUND = "Second review of progress"


@pytest.fixture(scope="module")
def example() -> Plan:
    return load_plan(example_plan_path())


def seed_rows(plan: Plan) -> list[list[str]]:
    """The example as the seed's table: ID leading the area text, RAG ending the progress."""
    rows = []
    for a in plan.areas:
        v = a.value
        progress = f"{v('progress')} {v('rag')}".strip() if v("rag") else v("progress")
        rows.append(
            [f"{a.id} {v('title')}", v("actions"), v("leads"), v("completion"), v("assurance"),
             v("outcome"), progress, v("evidence"), v("next_review"),
             "\n".join(plan.agency(k).name for k in a.agencies)]
        )  # fmt: skip
    return rows


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def load(path: Path, **kwargs: object) -> Plan:
    return load_plan_source(path, round_name=ROUND, round_date=DAY, **kwargs).plan  # type: ignore[arg-type]


def problems(path: Path, **kwargs: object) -> list[tuple[str, str, str]]:
    """(rule, cell, message) of every problem the import raises."""
    with pytest.raises(PlanInvalidError) as info:
        load(path, **kwargs)
    return [(p.rule, p.cell, p.message) for p in info.value.problems]


# -- the bundled plan, as its seed table -------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_bundled_plan_imports_whole(example: Plan, tmp_path: Path, suffix: str) -> None:
    rows = [SEED_HEADERS, *seed_rows(example)]
    path = tmp_path / f"our-plan{suffix}"
    if suffix == ".csv":
        write_csv(path, rows)
    else:
        tf.write_xlsx(path, {"Plan": rows})
    plan = load(path)
    assert [a.id for a in plan.areas] == [a.id for a in example.areas]
    assert len(plan.areas) == 32
    for got, want in zip(plan.areas, example.areas, strict=True):
        for key in ("title", "actions", "leads", "completion", "assurance", "outcome",
                    "progress", "rag", "evidence", "next_review"):  # fmt: skip
            assert got.value(key) == want.value(key), (want.id, key)
        assert got.theme == want.theme
        got_names = [plan.agency(k).name for k in got.agencies]
        assert got_names == [example.agency(k).name for k in want.agencies], want.id
    rags = [a.value("rag") for a in plan.areas]
    assert (rags.count("GREEN"), rags.count("AMBER"), rags.count("")) == (5, 20, 7)
    assert plan.title == "our-plan"
    assert (plan.round.name, plan.round.date) == (ROUND, DAY)
    assert [t.id for t in plan.themes] == ["1", "2"]
    assert plan.rag_scale == ("RED", "AMBER", "GREEN")
    assert [c.header for c in plan.columns if not c.update] == [
        "ID", "Theme", "Area for improvement", "Agency", "Actions", "Lead",
        "Date for completion", "Action dates", "Assurance measures", "Desired outcome",
    ]  # fmt: skip
    names = [ag.name for ag in plan.agencies]
    assert len(names) == len(set(names))
    assert set(names) == {example.agency(k).name for a in example.areas for k in a.agencies}


def test_a_yaml_plan_loads_as_it_is(example: Plan) -> None:
    loaded = load_plan_source(example_plan_path())
    assert loaded == LoadedPlan(example)


def test_title_rows_above_the_header(example: Plan, tmp_path: Path) -> None:
    rows = [["Improvement plan", "", ""], [], SEED_HEADERS, *seed_rows(example)[:3]]
    path = write_csv(tmp_path / "plan.csv", rows)
    assert load(path).title == "Improvement plan"
    plan = load(path, title="Ofsted plan")
    assert plan.title == "Ofsted plan"
    assert [a.id for a in plan.areas] == ["1.1", "1.2", "1.3"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    rows = [[*SEED_HEADERS[:4], "Agency"], ["1.1 Café – first", "Do", "Jo", "June 2012", "Police"]]
    path = write_csv(tmp_path / "plan.csv", rows, encoding)
    plan = load(path)
    assert plan.areas[0].value("title") == "Café – first"


def test_own_headings_with_id_and_rag_columns(tmp_path: Path) -> None:
    rows = [
        ["ID", "Theme", "Area for improvement", "Actions", "RAG", "Agencies", "Progress"],
        ["1.10", "1", "=Tenth area", "-act", "amber", "Police; Health\nPolice", "Going well GREEN"],
        ["2.2.1", "2", "Nested", "Do", "", "health", ""],
    ]
    for path in (
        write_csv(tmp_path / "p.csv", rows),
        tf.write_xlsx(tmp_path / "p.xlsx", {"P": rows}),
    ):
        plan = load(path)
        first, second = plan.areas
        assert (first.id, first.value("title"), first.value("actions"), first.value("rag")) == (
            "1.10", "=Tenth area", "-act", "AMBER"
        )  # fmt: skip
        # A RAG column exists: the progress is kept whole.
        assert first.value("progress") == "Going well GREEN"
        assert [plan.agency(k).name for k in first.agencies] == ["Police", "Health"]
        assert (second.id, second.theme) == ("2.2.1", "2")
        assert [plan.agency(k).name for k in second.agencies] == ["Health"]  # same, any case
        assert [(t.id, t.title) for t in plan.themes] == [("1", "1"), ("2", "2")]


def test_a_heading_we_do_not_know_is_kept_as_plan_text(example: Plan, tmp_path: Path) -> None:
    rows = [[*SEED_HEADERS, "Comments"], *(r + ["Linked to 2.1"] for r in seed_rows(example)[:2])]
    loaded = load_plan_source(write_csv(tmp_path / "plan.csv", rows), round_date=DAY)
    comments = loaded.plan.columns.get("comments")
    assert comments is not None and comments.kind is Kind.TEXT and not comments.update
    assert loaded.plan.areas[0].value("comments") == "Linked to 2.1"
    assert "Comments                      kept as plan text" in loaded.mapping_text
    assert ("map", "Comments=text") in loaded.plan.imported


def test_ids_that_share_no_first_part_make_one_theme(tmp_path: Path) -> None:
    rows = [["Ref", "Recommendation", "Agency"], ["R1", "One", "Police"], ["R2", "Two", "Police"]]
    plan = load(write_csv(tmp_path / "Our plan.csv", rows))
    assert [(t.id, t.title) for t in plan.themes] == [("1", "Our plan")]
    assert {a.theme for a in plan.areas} == {"1"}


# -- the errors, all at once and in the user's own file ---------------------------------------
def test_no_header_row(tmp_path: Path) -> None:
    [(rule, cell, message)] = problems(write_csv(tmp_path / "plan.csv", [["a", "b"], ["c", "d"]]))
    assert (rule, cell) == ("no-header", "")
    assert message.startswith("plan.csv: no header row found in the first 30 rows of any sheet.")
    assert '--map "Heading=column"' in message


def test_rows_without_an_id_are_all_named(example: Plan, tmp_path: Path) -> None:
    rows = [SEED_HEADERS, *seed_rows(example)[:1]]
    rows.append(["Ensure something", "Do it", "", "", "", "", "", "", "", "Police"])
    rows.append(["Ensure more", "Do it", "", "", "", "", "", "", "", "Police"])
    found = problems(write_csv(tmp_path / "plan.csv", rows))
    assert [(r, c) for r, c, _ in found] == [("id-missing", "A3"), ("id-missing", "A4")]
    assert found[0][2] == (
        "plan.csv, A3: row 3 has no ID. Start the 'Area for improvement' text with the area's "
        "ID, like '1.4 Ensure that…', or add an 'ID' column."
    )


def test_a_header_with_no_rows(tmp_path: Path) -> None:
    [(rule, _, _)] = problems(write_csv(tmp_path / "plan.csv", [SEED_HEADERS, [""] * 10]))
    assert rule == "no-ids"


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="nope.csv could not be found"):
        load(tmp_path / "nope.csv")


def test_other_file_types_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.docx"
    path.write_bytes(b"x")
    with pytest.raises(PlanFileError, match=r"plan.docx: start from a plan .yaml file"):
        load(path)


def test_agencies_that_would_share_a_return_file(tmp_path: Path) -> None:
    rows = [
        ["Area for improvement", "Actions", "Agency"],
        ["1.1 One", "Do", "Health & Care"],
        ["1.2 Two", "Do", "Health Care"],
    ]
    [(rule, _, message)] = problems(write_csv(tmp_path / "plan.csv", rows))
    assert rule == "agency-file-name"
    assert message == (
        "plan.csv: the agencies 'Health & Care' and 'Health Care' would share a return file "
        "name. Give one of them a short name of its own in an --agencies file."
    )


def test_a_table_with_no_agencies_says_how_to_name_them(tmp_path: Path) -> None:
    rows = [["Area for improvement", "Lead"], ["1.1 One", "Jo"], ["1.2 Two", "Sam"]]
    path = write_csv(tmp_path / "plan.csv", rows)
    [(rule, _, message)] = problems(path)
    assert rule == "no-agencies"
    assert message.startswith("plan.csv, sheet 'plan': no column says which agency")
    plan = load(path, mapping=["Lead=agencies"])
    assert [a.agencies for a in plan.areas] == [("Jo",), ("Sam",)]


def test_every_problem_is_raised_at_once_with_its_cell(tmp_path: Path) -> None:
    rows = [
        ["Ref", "Recommendation", "Agency", "RAG", "Target date"],
        ["1", "One", "Police", "Purple", "soon"],
        ["", "Two", "Police", "Red and Green", "June 2024"],
    ]
    found = problems(write_csv(tmp_path / "plan.csv", rows))
    assert [(r, c) for r, c, _ in found] == [
        ("rag-unknown", "D2"), ("date-unreadable", "E2"), ("rag-two-ratings", "D3"),
    ]  # fmt: skip


# -- six shapes, as councils keep them --------------------------------------------------------
def rows_of(plan: Plan) -> list[tuple[object, ...]]:
    """Each row: ID, recommendation, RAG, completion date, next review, agencies by name."""
    return [
        (a.id, a.parent, a.value("rag"), a.value("completion"), a.value("next_review"),
         tuple(plan.agency(k).name for k in a.agencies))
        for a in plan.areas
    ]  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shapes")


def shape(folder: Path, name: str) -> LoadedPlan:
    """One of the six shapes imported (the deliberate errors put right), as in the README."""
    path, kwargs = pt.shape(folder, name)
    return load_plan_source(path, round_date=pt.ROUND_DAY, **kwargs)  # type: ignore[arg-type]


def test_cqc_plan(folder: Path) -> None:
    loaded = shape(folder, "cqc")
    plan = loaded.plan
    assert plan.title == "Northshire County Council – Adult Social Care"
    asc, icb, carers, police = (
        "Adult Social Care", "Northshire ICB", "Northshire Carers Centre", "Northshire Police"
    )  # fmt: skip
    assert rows_of(plan) == [
        ("1a", "1", "AMBER", "30 June 2024", "", (asc, icb)),
        ("1b", "1", "AMBER", "31/05/2024", "", (asc,)),
        ("2a", "2", "GREEN", "September 2024", "", (asc, carers)),
        ("3a", "3", "GREEN", "Q3 2024/25", "", (asc, police)),
        ("3b", "3", "RED", "Dec-24", "", (icb, asc)),
    ]
    assert [a.name for a in plan.agencies] == [asc, icb, carers, police]
    assert plan.area("1b").value("title") == "Reduce waiting times for Care Act assessments"
    assert plan.area("1b").value("progress") == "Started in April."
    assert [c.header for c in plan.columns][:8] == [
        "Ref", "Recommendation ref", "Theme", "Recommendation", "Organisation", "Action",
        "Owner", "Target date",
    ]  # fmt: skip
    assert loaded.warnings == ()
    assert loaded.mapping_text.splitlines() == [
        "cqc-plan.xlsx, sheet 'Action plan', headings in row 5:",
        "  Your heading    Our column",
        "  Ref             ID",
        "  Recommendation  Area for improvement",
        "  Action          Actions",
        "  Owner           Lead",
        "  Organisation    Agencies",
        "  Target date     Date for completion",
        "  RAG             RAG",
        "  Update          Progress",
        "Rows: one action per row (5 actions under 3 recommendations), found in the table.",
    ]


def test_send_written_statement_of_action(folder: Path) -> None:
    plan = shape(folder, "send").plan
    assert rows_of(plan) == [
        ("1a", "1", "GREEN", "", "", ("SEND Service Manager",)),
        ("1b", "1", "AMBER", "", "", ("Principal Educational Psychologist",)),
        ("1c", "1", "AMBER", "", "", ("Designated Clinical Officer",)),
        ("2a", "2", "RED", "", "", ("Head of SEND",)),
        ("2b", "2", "RED", "", "", ("Participation Lead",)),
    ]
    assert plan.area("1b").value("timescale") == "Q1 2024/25"
    assert plan.area("2a").value("title") == "Parents and carers do not feel listened to"
    complete = plan.columns.get("percent_complete")  # "% complete", kept as plan text
    assert complete is not None and (complete.header, complete.update) == ("% complete", False)
    assert plan.area("1b").value("percent_complete") == "0.6"  # as the cell shows it


def test_youth_justice_plan_with_a_registry_and_brag(folder: Path) -> None:
    loaded = shape(folder, "yj")
    plan = loaded.plan
    assert plan.rag_scale == ("RED", "AMBER", "GREEN", "BLUE")
    yjs, police, icb, edu = (
        "Northshire Youth Justice Service", "Northshire Police", "Northshire ICB",
        "Northshire Education Service",
    )  # fmt: skip
    assert rows_of(plan) == [
        ("1.1", "1", "BLUE", "Q1 2024/25", "", (yjs, police)),
        ("1.2", "1", "BLUE", "end of Q2", "", (yjs,)),
        ("1.3", "1", "AMBER", "w/c 3 June 2024", "", (yjs, icb)),
        ("2.1", "2", "GREEN", "1 September 2024", "", (edu, yjs)),
        ("2.10", "2", "GREEN", "Monthly", "", (yjs, edu, "Virtual School")),
    ]
    assert [a.key for a in plan.agencies] == ["YJS", "Police", "ICB", "Education", "Virtual School"]
    assert [(w.rule, w.cell) for w in loaded.warnings] == [
        ("rag-read-as", "H8"), ("agency-unknown", "F9"),
    ]  # fmt: skip
    assert [(s.cell, s.how) for s in loaded.splits][:2] == [
        ("'YJ plan'!F4", "split at '&'"), ("'YJ plan'!F6", "split at 'and'"),
    ]  # fmt: skip


def test_ofsted_plan_in_ods_with_ids_in_the_text(folder: Path) -> None:
    loaded = shape(folder, "ofsted")
    plan = loaded.plan
    csc = "Children's Social Care"
    assert rows_of(plan) == [
        ("1.4", "", "AMBER", "May 2024", "30 June 2024", (csc,)),
        ("R1a", "", "GREEN", "2024/25", "Sept 2024", (csc, "HR")),
        ("3", "", "GREEN", "31.07.24", "TBC", ("Northshire ICB & Children's Social Care",)),
        ("4", "", "", "June 2024", "", (csc,)),
    ]
    assert plan.area("1.4").value("actions") == (
        "Relaunch the supervision policy\nAudit supervision records monthly"
    )
    assert plan.area("1.4").value("comments") == "Linked to 2.1"
    assert [(w.rule, w.cell) for w in loaded.warnings] == [("date-unreadable", "K7")]


def test_semicolon_csv_from_a_european_excel(folder: Path) -> None:
    plan = shape(folder, "sar").plan
    asc = "Adult Social Care"
    assert rows_of(plan) == [
        ("1.1a", "1.1", "AMBER", "31.05.2024", "", (asc, "Northshire ICB")),
        ("1.10a", "1.10", "AMBER", "30/06/2024", "", (asc, "Northshire Police")),
        ("1.10b", "1.10", "GREEN", "Dec-24", "", (asc,)),
        ("2a", "2", "RED", "Q3 2024/25", "", (asc, "Northshire Carers Centre")),
    ]
    assert plan.area("2a").value("actions") == ("Audit carers’ assessments — ‘what matters to me’")
    assert plan.area("2a").value("progress") == "£5,000 agreed for extra capacity."


@pytest.mark.parametrize("macros", [False, True], ids=["xlsx", "xlsm"])
def test_real_date_cells_beside_text_dates(folder: Path, macros: bool) -> None:
    path = pt.make_dated_plan(folder, macros=macros, fixed=True)
    loaded = load_plan_source(path, round_date=pt.ROUND_DAY)
    plan = loaded.plan
    csc, cs = "Children's Social Care", "Children's Service"
    assert rows_of(plan) == [
        ("1.1", "", "GREEN", "30 June 2024", "26 September 2024", (csc,)),
        ("1.2", "", "AMBER", "Dec-24", "September 2024", (csc,)),
        ("1.10", "", "RED", "w/c 3 June 2024", "1 October 2024 10:00", (csc,)),
        ("2", "", "", "end of Q2", "Not required", (cs,)),
        ("2.1", "", "GREEN", "Ongoing", "Q3 2024/25", (cs,)),
        ("2.2", "", "AMBER", "soon", "next time", (cs,)),
    ]
    assert [(t.id, t.title) for t in plan.themes] == [("1", "Practice"), ("2", "Management")]
    assert [(w.rule, w.cell) for w in loaded.warnings] == [
        ("heading-duplicate", "K2"), ("date-unreadable", "G8"), ("date-unreadable", "J8"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "rule", "cell"),
    [("send", "rag-unknown", "F9"), ("ofsted", "id-missing", "A8"), ("dated", "id-is-date", "A8")],
)
def test_each_deliberate_error_is_named_in_the_source(
    folder: Path, name: str, rule: str, cell: str
) -> None:
    path, kwargs = pt.shape(folder, name, fixed=False)
    errors = [(r, c) for r, c, _ in problems(path, **kwargs) if r == rule]
    assert errors == [(rule, cell)]


# -- a re-import reads the table the same way -----------------------------------------------
def test_a_reimport_uses_the_recorded_settings(folder: Path) -> None:
    path, kwargs = pt.shape(folder, "send")
    first = load_plan_source(path, round_date=pt.ROUND_DAY, **kwargs).plan  # type: ignore[arg-type]
    assert ("map", "Lead=agencies") in first.imported
    assert dict(first.imported)["rows"] == "actions"
    again = load_plan_source(path, round_date=pt.ROUND_DAY, previous=first).plan
    assert again == first
    # A table of another name is read afresh.
    other = folder / "other.xlsx"
    other.write_bytes(path.read_bytes())
    with pytest.raises(PlanInvalidError):
        load_plan_source(other, round_date=pt.ROUND_DAY, previous=first)
