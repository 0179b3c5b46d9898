"""Reading the master back: lossless round trips, hand edits, and cell-addressed problems."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from plans import make_area, make_update, with_values

from ipt_excel.core.actions import actions_text
from ipt_excel.core.columns import DEFAULT_COLUMNS, PROGRESS_RULE, ColumnSet, apply_overrides
from ipt_excel.core.model import (
    EXCEL_CELL_LIMIT,
    Agency,
    GlossaryEntry,
    Plan,
    Round,
    Theme,
)
from ipt_excel.core.problems import Problem
from ipt_excel.errors import PlanFileError, PlanInvalidError
from ipt_excel.excel.master_reader import cell_str, read_master, read_master_bytes
from ipt_excel.excel.master_writer import master_columns, write_master
from ipt_excel.services.plan_source import example_plan_path, load_plan

UPDATE_KEYS = tuple(c.key for c in DEFAULT_COLUMNS.updates)


CREATED = datetime(2012, 7, 2, 9, 0)
HEADERS = [c.header for c in master_columns(DEFAULT_COLUMNS)]


def col(header: str) -> str:
    """The column letter of a master heading."""
    return openpyxl.utils.get_column_letter(HEADERS.index(header) + 1)


@pytest.fixture(scope="module")
def example() -> Plan:
    return load_plan(example_plan_path())


@pytest.fixture(scope="module")
def example_master(example: Plan) -> bytes:
    return write_master(example, created=CREATED)


def edited(master: bytes, edits: dict[str, object], sheet: str = "Plan") -> bytes:
    """The master after a coordinator's hand edits in a spreadsheet (openpyxl stands in)."""
    wb = openpyxl.load_workbook(io.BytesIO(master))
    ws = wb[sheet]
    for ref, value in edits.items():
        ws[ref] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def problems_of(data: bytes) -> list[tuple[str, str, str]]:
    with pytest.raises(PlanInvalidError) as info:
        read_master_bytes(data, "master.xlsx")
    problems = info.value.problems
    assert all(isinstance(p, Problem) for p in problems)
    assert all(p.file == "master.xlsx" and p.sheet == "Plan" for p in problems)  # type: ignore[attr-defined]
    return [(p.rule, p.cell, p.message) for p in problems]  # type: ignore[attr-defined]


# -- round trips ---------------------------------------------------------------------------------
def test_example_round_trips(example: Plan, example_master: bytes) -> None:
    back = read_master_bytes(example_master, "master.xlsx")
    assert back == example
    assert write_master(back, created=CREATED) == example_master


def test_read_master_from_a_path(example: Plan, example_master: bytes, tmp_path: Path) -> None:
    path = tmp_path / "master.xlsx"
    path.write_bytes(example_master)
    assert read_master(path) == example


def test_ids_like_1_10_and_2_2_1_stay_text(example: Plan) -> None:
    areas = tuple(
        make_area(i, "1", f"Area {i}") for i in ("1.1", "1.10", "1.100", "2.2.1", "2.2.10", "10")
    )
    plan = replace(example, areas=areas)
    back = read_master_bytes(write_master(plan, created=CREATED), "m.xlsx")
    assert [a.id for a in back.areas] == ["1.1", "1.10", "1.100", "2.2.1", "2.2.10", "10"]


def test_agency_update_times_round_trip(example: Plan) -> None:
    rnd = example.round.name
    updates = (
        make_update(
            "1.1",
            "CSC",
            rnd,
            progress="p",
            rag="GREEN",
            evidence="e",
            next_review="July 2012",
            updated_at=datetime(2012, 7, 2, 9, 31, 17),
        ),
        make_update("1.1", "CS", rnd, rag="AMBER", changed=("progress", "rag")),
    )
    plan = replace(example, agency_updates=updates)
    back = read_master_bytes(write_master(plan, created=CREATED), "m.xlsx")
    assert back.agency_updates == updates


def test_agency_update_source_hash_round_trips(example: Plan) -> None:
    # Every field of the model survives the master: the hash ties an update to the file it
    # came from, and the master is the source of truth.
    update = make_update("1.1", "CSC", example.round.name, rag="GREEN", source_sha256="ab" * 32)
    plan = replace(example, agency_updates=(update,))
    back = read_master_bytes(write_master(plan, created=CREATED), "m.xlsx")
    assert back.agency_updates == (update,)


def test_a_single_empty_note_round_trips(example: Plan) -> None:
    for notes in (("",), ("", "second"), ("first", "")):
        plan = replace(example, notes=notes)
        back = read_master_bytes(write_master(plan, created=CREATED), "m.xlsx")
        assert back.notes == notes


def test_theme_title_with_surrounding_space_round_trips(example: Plan) -> None:
    plan = replace(example, themes=(Theme("1", "Practice and management "), example.themes[1]))
    back = read_master_bytes(write_master(plan, created=CREATED), "m.xlsx")
    assert back.themes == plan.themes
    assert back.areas == plan.areas  # each area still belongs to theme "1"


def test_a_numbered_theme_title_round_trips_and_an_old_label_still_reads(example: Plan) -> None:
    plan = replace(example, themes=(Theme("1", "1. Weakness"), example.themes[1]))
    master = write_master(plan, created=CREATED)
    row = 1 + next(i for i, a in enumerate(plan.areas, start=1) if a.theme == "1")
    assert openpyxl.load_workbook(io.BytesIO(master))["Plan"][f"{col('Theme')}{row}"].value == (
        "1. Weakness"
    )
    assert read_master_bytes(master, "m.xlsx").areas == plan.areas
    # A master from an earlier version numbered it twice: its areas still belong to theme 1.
    old = edited(master, {f"{col('Theme')}{row}": "1. 1. Weakness"})
    assert read_master_bytes(old, "m.xlsx").areas == plan.areas


def test_text_at_the_cell_limit_round_trips(example: Plan) -> None:
    long = ("Ünïcödé “quotes” — and newlines\n" * 1100)[:EXCEL_CELL_LIMIT]
    area = with_values(example.areas[0], title=long, progress="=" + long[1:], evidence=long)
    plan = replace(example, areas=(area,))
    back = read_master_bytes(write_master(plan, created=CREATED), "m.xlsx")
    assert back.areas == (area,)


# -- hypothesis: write -> read -> write ----------------------------------------------------------
# The generated plans stay within the model's documented constraints:
# - text is any Unicode except surrogates, control characters other than newline and tab, and
#   U+FFFE/U+FFFF (which XML cannot hold); long texts are built from BMP characters so their
#   length is the same in Python and in Excel's UTF-16 count;
# - IDs, agency keys and names, aliases, theme titles and glossary terms are not empty and have
#   no surrounding whitespace (the reader trims them; a theme title that ends in a space:
#   test_theme_title_with_surrounding_space_round_trips), and agency names, keys and aliases
#   are distinct ignoring case;
# - RAG values are upper-case words of the plan's scale, or empty;
# - the Actions cell: no line of the main action is exactly "Underpinned by:" or
#   "Supplemented by:", and list items have no newline (see columns.parse_actions);
# - a cell's text is at most 32,767 characters (Excel's limit), the Actions cell included;
# - notes are not empty (a lone empty note: test_a_single_empty_note_round_trips);
# - title, round name and protective marking are short: Excel's 255-character footer limit is
#   tested in tests/excel/test_styles.py;
# - update times are whole seconds, naive, after 1900.
ALPHABET = st.characters(
    exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff", include_characters="\n\t"
)
BMP = st.characters(
    exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff", max_codepoint=0xFFFD
)
PREFIX = st.sampled_from(["", "=", "+", "-", "@", "=SUM(A1:A2)", "'", " ", "\n"])
TEXT = st.builds(lambda p, t: p + t, PREFIX, st.text(ALPHABET, max_size=30))
LONG = st.builds(
    lambda seed, n: (seed * (n // len(seed) + 1))[:n],
    st.text(BMP, min_size=1, max_size=12),
    st.sampled_from([1_000, EXCEL_CELL_LIMIT]),
)
BIG_TEXT = st.one_of(TEXT, TEXT, TEXT, LONG)
LINE = st.text(ALPHABET.filter(lambda c: c not in "\n\t"), min_size=1, max_size=20)
NAME = LINE.map(str.strip).filter(bool)
SHORT = st.text(ALPHABET.filter(lambda c: c != "\n"), max_size=15)
ID = st.lists(st.integers(1, 20), min_size=1, max_size=3).map(lambda p: ".".join(map(str, p)))
ITEM = st.text(ALPHABET.filter(lambda c: c != "\n"), max_size=25)
MAIN = TEXT.filter(lambda s: not {"Underpinned by:", "Supplemented by:"} & set(s.split("\n")))
STAMP = st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=0)
)


NO_EVIDENCE_RULE = ColumnSet(DEFAULT_COLUMNS.columns, (PROGRESS_RULE,))
WITH_ADDED = apply_overrides(
    DEFAULT_COLUMNS,
    [
        {
            "header": "Status",
            "kind": "choice",
            "choices": ["On track", "Off track"],
            "update": True,
        },
        {"header": "% complete", "kind": "percent", "update": True},
        {"header": "Due", "kind": "date", "update": True, "combine": "latest"},
        {"header": "Budget holder", "help": "Who holds the budget", "width": 20},
    ],
    rules=["evidence needed when rag is GREEN\nSay what changed."],
)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    scale = draw(st.sampled_from([("RED", "AMBER", "GREEN"), ("RED", "AMBER", "GREEN", "BLUE")]))
    names = draw(st.lists(NAME, min_size=1, max_size=8, unique_by=lambda s: s.casefold()))
    assume(len({" ".join(n.split()).casefold() for n in names}) == len(names))
    n_agencies = draw(st.integers(1, max(1, len(names) // 2)))
    keys, rest = names[:n_agencies], names[n_agencies:]
    agencies = []
    for i, key in enumerate(keys):
        aliases = tuple(rest[i::n_agencies])
        agencies.append(Agency(f"K{i}", key, aliases, draw(SHORT).strip()))
    ids = draw(st.lists(ID, max_size=4, unique=True))
    areas = []
    for area_id in ids:
        area = make_area(
            id=area_id,
            theme=draw(st.sampled_from(["1", "2", "9"])),
            title=draw(BIG_TEXT),
            timescale=draw(TEXT),
            practice_standards=draw(TEXT),
            agencies=tuple(draw(st.lists(st.sampled_from([a.key for a in agencies]), max_size=3))),
            action=draw(MAIN),
            underpinned_by=tuple(draw(st.lists(ITEM, max_size=3))),
            supplemented_by=tuple(draw(st.lists(ITEM, max_size=2))),
            leads=draw(TEXT),
            completion=draw(TEXT),
            assurance=draw(TEXT),
            outcome=draw(TEXT),
            progress=draw(BIG_TEXT),
            rag=draw(st.sampled_from(("", *scale))),
            evidence=draw(BIG_TEXT),
            next_review=draw(TEXT),
        )
        areas.append(area)
    updates = tuple(
        make_update(
            draw(st.sampled_from(ids)),
            draw(st.sampled_from([a.key for a in agencies])),
            draw(SHORT),
            progress=draw(TEXT),
            rag=draw(st.sampled_from(("", *scale))),
            evidence=draw(TEXT),
            next_review=draw(TEXT),
            updated_at=draw(st.none() | STAMP),
            changed=tuple(draw(st.lists(st.sampled_from(UPDATE_KEYS), unique=True))),
        )
        for _ in range(draw(st.integers(0, 2) if ids else st.just(0)))
    )
    return Plan(
        title=draw(st.text(ALPHABET, max_size=40)),
        organisation=draw(TEXT),
        inspection=draw(TEXT),
        round=Round(
            draw(st.text(ALPHABET, max_size=30)),
            draw(st.dates(date(1990, 1, 1), date(2100, 1, 1))),
            draw(st.none() | st.dates(date(1990, 1, 1), date(2100, 1, 1))),
        ),
        status=draw(TEXT),
        sign_off_name=draw(TEXT),
        sign_off_role=draw(TEXT),
        protective_marking=draw(st.text(ALPHABET, max_size=15)),
        coordinator_email=draw(SHORT),
        notes=tuple(draw(st.lists(TEXT.filter(bool), max_size=3))),
        rag_scale=scale,
        columns=draw(st.sampled_from([DEFAULT_COLUMNS, NO_EVIDENCE_RULE, WITH_ADDED])),
        themes=(Theme("1", draw(NAME)), Theme("2", draw(NAME))),
        agencies=tuple(agencies),
        areas=tuple(areas),
        glossary=tuple(
            GlossaryEntry(t, m)
            for t, m in draw(st.lists(st.tuples(NAME, TEXT), max_size=3, unique_by=lambda x: x[0]))
        ),
        agency_updates=updates,
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(plans())
def test_write_read_write_is_lossless(plan: Plan) -> None:
    first = write_master(plan, created=CREATED)
    back = read_master_bytes(first, "m.xlsx")
    assert back == plan
    assert write_master(back, created=CREATED) == first


# -- hand edits ----------------------------------------------------------------------------------
def test_hand_edits_are_read(example: Plan, example_master: bytes) -> None:
    data = edited(
        example_master,
        {
            f"{col('Area for improvement')}3": "Corrected by hand",
            f"{col('RAG')}4": "green",  # lower case is fine
            f"{col('Agencies')}5": "Health\nchildren's social care service",  # alias, any case
            "A34": "2.16",  # a new area typed under the last row
            f"{col('Theme')}34": "2. Service management – Children's Service and cross-Services",
            f"{col('Area for improvement')}34": "A new area",
            f"{col('Actions')}34": "Do it\nUnderpinned by:\n• First\n• Second",
            f"{col('RAG')}34": "RED",
        },
    )
    plan = read_master_bytes(data, "master.xlsx")
    assert plan.area("1.2").value("title") == "Corrected by hand"
    assert plan.area("1.3").value("rag") == "GREEN"
    assert plan.area("1.4").agencies == ("HEALTH", "CSC")
    new = plan.area("2.16")
    assert (new.theme, new.value("title"), new.value("rag")) == ("2", "A new area", "RED")
    assert new.value("actions") == actions_text("Do it", ("First", "Second"))
    assert len(plan.areas) == 33
    assert plan.areas[:1] == example.areas[:1]


def test_an_id_typed_as_a_number_is_read_as_text(example_master: bytes) -> None:
    plan = read_master_bytes(edited(example_master, {"A2": 3, "A3": 4.5}), "master.xlsx")
    assert [a.id for a in plan.areas[:2]] == ["3", "4.5"]


def test_duplicate_and_empty_ids(example_master: bytes) -> None:
    data = edited(example_master, {"A3": "1.1", "A4": None})
    twice = "The ID 1.1 is used more than once. Give each area its own ID."
    assert problems_of(data) == [
        ("id-unique", "A2", twice),
        ("id-unique", "A3", twice),
        (
            "id-present",
            "A4",
            "Every row needs an ID. Type the area's ID, like 1.4, or delete the row.",
        ),
    ]


def test_rag_outside_the_scale(example_master: bytes) -> None:
    rag = col("RAG")
    data = edited(example_master, {f"{rag}5": "PURPLE", f"{rag}7": "BLUE"})
    message = "'{}' is not a RAG rating. Use one of RED, AMBER, GREEN, or leave it empty."
    assert problems_of(data) == [
        ("rag-in-scale", f"{rag}5", message.format("PURPLE")),
        ("rag-in-scale", f"{rag}7", message.format("BLUE")),  # BLUE is not on this plan's scale
    ]


def test_blue_is_read_when_the_scale_has_it(example_master: bytes) -> None:
    data = edited(example_master, {"B13": "RED, AMBER, GREEN, BLUE"}, sheet="Details")
    assert openpyxl.load_workbook(io.BytesIO(data))["Details"]["A13"].value == "RAG scale"
    data = edited(data, {f"{col('RAG')}5": "BLUE"})
    plan = read_master_bytes(data, "master.xlsx")
    assert plan.rag_scale == ("RED", "AMBER", "GREEN", "BLUE")
    assert plan.area("1.4").value("rag") == "BLUE"


def test_agency_missing_from_the_registry(example_master: bytes) -> None:
    agencies = col("Agencies")
    data = edited(example_master, {f"{agencies}6": "Children's Social Care\nFire Service"})
    assert problems_of(data) == [
        (
            "agency-known",
            f"{agencies}6",
            "'Children's Social Care\nFire Service' names an agency that is not on the "
            "Agencies sheet. Add it there, or use a name that is.",
        )
    ]


def test_all_problems_are_reported_together_with_their_ids(example_master: bytes) -> None:
    data = edited(
        example_master,
        {"A3": "1.1", f"{col('RAG')}9": "Amberish", f"{col('Agencies')}20": "Nobody"},
    )
    with pytest.raises(PlanInvalidError) as info:
        read_master_bytes(data, "master.xlsx")
    got = [(p.cell, p.rule, p.area_id) for p in info.value.problems]  # type: ignore[attr-defined]
    assert got == [
        ("A2", "id-unique", "1.1"),
        ("A3", "id-unique", "1.1"),
        (f"{col('RAG')}9", "rag-in-scale", "1.8"),
        (f"{col('Agencies')}20", "agency-known", "2.2.2"),
    ]
    assert "4 problems" in str(info.value)
    assert "master.xlsx" in str(info.value)


def test_blank_rows_between_areas_are_ignored(example_master: bytes) -> None:
    data = edited(example_master, {f"{c}40": None for c in ("A", "B", "C")} | {"C40": " "})
    assert len(read_master_bytes(data, "master.xlsx").areas) == 32


# -- structural damage ---------------------------------------------------------------------------
def test_missing_sheet(example_master: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(example_master))
    del wb["Details"]
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(PlanFileError, match=r"master.xlsx: the sheet Details is missing"):
        read_master_bytes(out.getvalue(), "master.xlsx")


def test_header_row_missing(example_master: bytes) -> None:
    data = edited(example_master, {"A1": "Number"})
    with pytest.raises(PlanFileError, match="first row must be the header row, starting with 'ID'"):
        read_master_bytes(data, "master.xlsx")


def test_renamed_heading_is_named(example_master: bytes) -> None:
    data = edited(example_master, {f"{col('Evidence of impact')}1": "Evidence"})
    with pytest.raises(PlanFileError) as info:
        read_master_bytes(data, "master.xlsx")
    assert "'Evidence of impact'" in str(info.value)
    assert not isinstance(info.value, PlanInvalidError)


def test_bad_round_date_on_details(example_master: bytes) -> None:
    data = edited(example_master, {"B7": "26th June 2012"}, sheet="Details")
    with pytest.raises(PlanFileError, match="'Round date' should be a date like 2012-06-26"):
        read_master_bytes(data, "master.xlsx")


def test_not_a_workbook() -> None:
    with pytest.raises(PlanFileError, match="junk.xlsx: cannot be read as a master workbook"):
        read_master_bytes(b"this is not a zip file", "junk.xlsx")


def test_missing_master(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="the master workbook is missing"):
        read_master(tmp_path / "master.xlsx")


# -- cell values ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("1.10", "1.10"),
        (3.0, "3"),
        (2.5, "2.5"),
        (7, "7"),
        (True, "TRUE"),
        (False, "FALSE"),
        (datetime(2012, 6, 26), "2012-06-26"),
        (datetime(2012, 6, 26, 9, 30), "2012-06-26 09:30:00"),
        (date(2012, 6, 26), "2012-06-26"),
        ("  keep spaces  ", "  keep spaces  "),
    ],
)
def test_cell_str(value: Any, text: str) -> None:
    assert cell_str(value) == text


# -- the check of a master just written -------------------------------------------------------
@pytest.mark.parametrize(
    "change",
    [
        {},
        {"agencies": ("FIRE",)},
        {"id": "1.1"},
        {"rag": "PURPLE"},
        {"id": ""},
    ],
    ids=["good", "unknown-agency", "duplicate-id", "rag-off-scale", "no-id"],
)
def test_checking_a_written_master_says_what_reading_it_back_says(
    example: Plan, change: dict[str, object]
) -> None:
    """save_master no longer parses the master it wrote: check_written_master must refuse
    exactly the plans whose master would not read back, with the same problems."""
    from ipt_excel.excel.master_reader import check_written_master

    areas = list(example.areas)
    fields = {k: v for k, v in change.items() if k in ("id", "agencies")}
    values = {k: str(v) for k, v in change.items() if k not in fields}
    areas[1] = replace(with_values(areas[1], **values), **fields)  # type: ignore[arg-type]
    plan = replace(example, areas=tuple(areas))
    data = write_master(plan, created=datetime(2012, 9, 1), snapshot=7)

    def outcome(read: Any) -> object:
        try:
            read()
        except PlanInvalidError as exc:
            return (str(exc), exc.problems)
        return None

    expected = outcome(lambda: read_master_bytes(data, "master.xlsx"))
    assert outcome(lambda: check_written_master(data, plan, "master.xlsx", 7)) == expected
    assert (expected is None) == (not change)


def test_a_written_master_without_its_sheets_or_snapshot_is_refused(example: Plan) -> None:
    from ipt_excel.excel.master_reader import check_written_master

    data = write_master(example, created=datetime(2012, 9, 1), snapshot=7)
    with pytest.raises(PlanFileError, match="snapshot"):
        check_written_master(data, example, "master.xlsx", 8)
    with pytest.raises(PlanFileError, match="could not be read back"):
        check_written_master(b"PK not a zip", example, "master.xlsx", 7)
