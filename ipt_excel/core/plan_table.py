"""A plan table as a council keeps it, turned into mapped plan rows. Pure: no I/O, no Excel.

`excel.table_reader.read_table` reads a file into a `SourceFile` (sheets of typed cells, each
with its address, and the merged ranges); `map_table` finds the plan's table in it, maps its
headings to plan columns and reads its rows into areas (and actions), returning a `PlanTable`
with every problem as a data row. Nothing here stops at the first problem.

Decisions, written down once:

- **Finding the table.** The header row is the row, among the first `HEADER_SEARCH_ROWS` of a
  sheet, that recognises the most plan columns (at least two; the earliest wins a tie); rows
  above it are the plan's title and version lines. Without `sheet=`, the sheet whose header
  row recognises most is used (visible sheets before hidden ones; the first wins a tie).
- **Headings.** A heading is recognised by the usual names of each column (`TARGETS`), ignoring
  case, spacing and punctuation, then with any "(…)" part left out ("RAG (Red/Amber/Green)"),
  then by a leading phrase for columns whose heading carries a date ("Progress at 31 March").
  `mapping` (from `--map "Heading=column"`) says what a heading means and wins over
  recognition. A heading not recognised is kept as a plan-text column of its own, keyed by its
  slug. When two headings mean one column, the first (or the one given by `mapping`) has it
  and the other is kept as plan text, with a warning. A column with data under no heading is
  kept as plan text, keyed by its letter ("column_h").
- **IDs.** In an ID column, or at the start of the area text when there is none ("1.4 Ensure
  that…", "R1a. Theme…", "Recommendation 3: …"). Kept as text exactly: a number cell 1.1 is
  "1.1" and 2 is "2"; the text "1.10" stays "1.10". A date in the ID column is an error
  (Excel turns a typed 1.4 into 1 April). An "Action no" column is the ID when there is no other
  ID column, and otherwise gives each action its ID.
- **Rows.** A merged cell's value applies to every row it spans. A row with no ID of its own
  belongs to the ID above it. Blank rows are skipped; a row with one cell of text (or text in
  recommendation-level columns only) and no ID is a section heading when rows with IDs follow
  it, and a note otherwise: both are reported in `notes`, never imported as areas. Rows that
  repeat the header row are skipped and reported.
- **Areas or actions.** When rows share an ID and at least two of them have their own lead,
  agency or completion date, each row is an action under its recommendation ("actions");
  otherwise each ID is one area and its rows' cells are joined line by line ("areas"). Either
  can be forced with `rows=`. Action IDs: the "Action no" cell when there is one; otherwise the
  area ID and a letter when the area ID ends in a digit ("1.4a", "1.4b", … "1.4z", "1.4aa"),
  and the area ID, a dot and a number when it does not ("R1a.1", "R1a.2"). They depend only on
  the area ID and the row's place under it, so adding a row later renames no action above it.
- **Values** keep their type (a date cell stays a `date`) and the address of the cell they
  came from; joined text is only made when asked (`TableArea.text`). In "actions" mode the ID
  and area text belong to the recommendation, and so does any column that never holds two
  cells within one recommendation and is recommendation-level by its target (`Level.AREA`)
  or merged over a recommendation's rows; the rest belong to each action (`TableColumn.level`
  says which).
- **RAG** is read by `read_rag` through `RAG_WORDS`: R, A, G, B, Red, "amber ", "Green -
  complete". "Complete", "Completed", "Done" and "Achieved" are BLUE on a scale with BLUE, else
  GREEN. "On track", "Off track" and "At risk" are read as GREEN, RED and AMBER with a warning,
  so the reading is seen. Two ratings in one cell ("Amber/Green") and anything else are
  errors naming the cell. With no RAG column, a rating ending the progress text is taken from
  it, as the seed writes it ("… established practice. GREEN"). An area whose rows disagree
  takes the worst rating, with a warning; in "actions" mode an area's rating is the worst of
  its actions'.
- **Agencies.** A cell is split at new lines and ";" always. Each piece that is a known agency
  (in the registry, or written on its own in some cell of the table) is kept whole; otherwise
  it is split at "," and "/", and a part is split at "&" and " and " only where every part is
  a known agency ("Sirona Care and Health" stays whole). Every split is reported in
  `agency_splits`.
- **Dates** are not changed; a completion or review date that cannot be read (with the round's
  date as context, see `dates`) is a warning, left for the coordinator to correct.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from functools import cached_property
from typing import Literal

from ipt_excel.core.dates import (
    DateKind,
    format_plan_date,
    parse_review_date,
    read_completion_value,
)
from ipt_excel.core.model import BLUE, DEFAULT_RAG_SCALE, slugify
from ipt_excel.core.problems import Problem, Severity, column_letter
from ipt_excel.errors import UsageError

__all__ = [
    "HEADER_SEARCH_ROWS",
    "IGNORE",
    "KEEP",
    "RAG_WORDS",
    "TABLE_RULES",
    "TARGETS",
    "TARGETS_BY_KEY",
    "AgencyRegistry",
    "AgencySplit",
    "CellValue",
    "HeadingMap",
    "Level",
    "MergedRange",
    "NoteRow",
    "PlanTable",
    "RagReading",
    "RegistryAgency",
    "Role",
    "RowsMode",
    "SourceCell",
    "SourceFile",
    "SourceSheet",
    "TableAction",
    "TableArea",
    "TableColumn",
    "Target",
    "Value",
    "cell_address",
    "format_mapping",
    "generated_action_id",
    "heading_key",
    "id_in_text",
    "make_sheet",
    "map_table",
    "mapping_rows",
    "parse_agency_registry",
    "parse_map_option",
    "parse_range",
    "read_rag",
    "split_agencies",
    "value_text",
]

# --------------------------------------------------------------------------------------------
# The source grid: what a reader gives, as plain data

# What a cell holds, typed as the reader found it. datetime is a date too; check it first.
CellValue = str | int | float | bool | datetime | date | time | None

_SIMPLE_SHEET = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}\d+|[RrCc]\d*")


def _sheet_ref(sheet: str) -> str:
    """The sheet part of an address, quoted as Excel quotes it: 'Action plan'!B4."""
    if _SIMPLE_SHEET.fullmatch(sheet) and not _CELL_LIKE.fullmatch(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def cell_address(sheet: str, row: int, col: int) -> str:
    """ "Sheet1!G10" for a 1-based row and column."""
    return f"{_sheet_ref(sheet)}!{column_letter(col - 1)}{row}"


@dataclass(frozen=True, slots=True)
class SourceCell:
    """One cell of a source sheet: its typed value and where it is (1-based row and column)."""

    sheet: str
    row: int
    col: int
    value: CellValue

    @property
    def ref(self) -> str:
        """ "G10"."""
        return f"{column_letter(self.col - 1)}{self.row}"

    @property
    def address(self) -> str:
        """ "Sheet1!G10"."""
        return cell_address(self.sheet, self.row, self.col)

    @property
    def is_blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass(frozen=True)
class MergedRange:
    """A merged range, 1-based and inclusive: B4:B5 is rows 4 to 5 of column 2."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def ref(self) -> str:
        start = f"{column_letter(self.first_col - 1)}{self.first_row}"
        return f"{start}:{column_letter(self.last_col - 1)}{self.last_row}"

    def contains(self, row: int, col: int) -> bool:
        return self.first_row <= row <= self.last_row and self.first_col <= col <= self.last_col


@dataclass(frozen=True)
class SourceSheet:
    """A sheet's cells from A1, as a rectangle of rows, and its merged ranges."""

    name: str
    rows: tuple[tuple[SourceCell, ...], ...]
    merged: tuple[MergedRange, ...] = ()
    visible: bool = True

    @property
    def height(self) -> int:
        return len(self.rows)

    @cached_property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def cell(self, row: int, col: int) -> SourceCell:
        """The cell at a 1-based row and column; a blank one outside the data."""
        if 1 <= row <= len(self.rows) and 1 <= col <= len(self.rows[row - 1]):
            return self.rows[row - 1][col - 1]
        return SourceCell(self.name, row, col, None)


@dataclass(frozen=True)
class SourceFile:
    """Everything read from one table file. `name` is the file name used in messages."""

    name: str
    format: str  # "xlsx", "xlsm", "xls", "ods" or "csv"
    sheets: tuple[SourceSheet, ...]
    encoding: str = ""  # CSV only: the encoding the text was read in
    delimiter: str = ""  # CSV only: the delimiter found

    def sheet(self, name: str) -> SourceSheet | None:
        """A sheet by name: exactly, else ignoring case and surrounding spaces."""
        exact = next((s for s in self.sheets if s.name == name), None)
        if exact is not None:
            return exact
        wanted = name.strip().casefold()
        return next((s for s in self.sheets if s.name.strip().casefold() == wanted), None)


_RANGE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?")


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def parse_range(ref: str) -> MergedRange:
    """ "B4:B5" (or "B4") as a MergedRange. Raises ValueError for anything else."""
    m = _RANGE.fullmatch(ref.strip())
    if m is None:
        raise ValueError(f"not a cell range: {ref!r}")
    first_col, first_row = _column_number(m[1]), int(m[2])
    last_col = _column_number(m[3]) if m[3] else first_col
    last_row = int(m[4]) if m[4] else first_row
    return MergedRange(
        min(first_row, last_row), min(first_col, last_col), max(first_row, last_row),
        max(first_col, last_col),
    )  # fmt: skip


def make_sheet(
    name: str,
    values: Sequence[Sequence[CellValue]],
    merged: Iterable[MergedRange | str] = (),
    *,
    visible: bool = True,
) -> SourceSheet:
    """A SourceSheet from rows of values starting at A1 (padded to a rectangle)."""
    width = max((len(r) for r in values), default=0)
    rows = tuple(
        tuple(
            SourceCell(name, r, c, row[c - 1] if c <= len(row) else None)
            for c in range(1, width + 1)
        )
        for r, row in enumerate(values, start=1)
    )
    ranges = tuple(parse_range(m) if isinstance(m, str) else m for m in merged)
    return SourceSheet(name, rows, ranges, visible)


def value_text(value: CellValue) -> str:
    """A cell value as the plan shows it: dates as "30 June 2024", numbers as Excel shows them
    (15 significant digits, no ".0"), TRUE/FALSE, "" for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, datetime):
        day = format_plan_date(value)
        return day if value.time() == time() else f"{day} {_clock(value.time())}"
    if isinstance(value, date):
        return format_plan_date(value)
    return _clock(value)


def _clock(t: time) -> str:
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


# --------------------------------------------------------------------------------------------
# Target columns and their usual names: the one synonym table


class Level(StrEnum):
    AREA = "recommendation"  # one value per recommendation: merged or blank cells fill down
    ROW = "action"  # one value per row (per action, in "actions" mode)


class Role(StrEnum):
    PLAN = "plan text"  # locked in returns
    UPDATE = "update"  # what agencies change each round


@dataclass(frozen=True)
class Target:
    """A plan column a heading can mean."""

    key: str
    heading: str  # this tool's heading for it, shown in the mapping
    names: tuple[str, ...]  # the usual headings in councils' plans (matched by `heading_key`)
    level: Level
    role: Role = Role.PLAN
    kind: str = "text"  # a hint for the column set: id, text, agencies, rag, month-or-date
    # Leading phrases that mean the column whatever follows ("Progress at 31 March 2024").
    prefixes: tuple[str, ...] = ()


TARGETS: tuple[Target, ...] = (
    Target(
        "id",
        "ID",
        (
            "ID",
            "Ref",
            "Ref.",
            "No.",
            "No",
            "Number",
            "Reference",
            "Rec no",
            "Rec. no.",
            "Recommendation number",
            "Recommendation no",
            "Rec ref",
            "Recommendation ref",
            "#",
            "Item",
            "Area no",
            "Ref no",
            "Reference number",
        ),
        Level.AREA,
        kind="id",
    ),
    Target(
        "action_id",
        "Action ID",
        ("Action no", "Action no.", "Action number", "Action ref", "Action ID", "Action reference"),
        Level.ROW,
        kind="id",
    ),
    Target(
        "title",
        "Area for improvement",
        (
            "Area for improvement",
            "Recommendation",
            "Finding",
            "Area",
            "Issue",
            "Area of improvement",
            "Areas for improvement",
            "Recommendations",
            "Findings",
            "Area for development",
            "Areas for development",
            "Improvement area",
            "Key finding",
            "Requirement",
            "Area of concern",
        ),
        Level.AREA,
    ),
    Target(
        "theme",
        "Theme",
        (
            "Theme",
            "Priority",
            "Workstream",
            "Area of focus",
            "Themes",
            "Priority area",
            "Work stream",
            "Strand",
        ),
        Level.AREA,
    ),
    Target(
        "actions",
        "Actions",
        (
            "Actions",
            "Action",
            "Actions to be taken",
            "Action to be taken",
            "Actions required",
            "Action required",
            "What we will do",
            "Planned actions",
            "Key actions",
            "Action(s)",
        ),
        Level.ROW,
    ),
    Target(
        "leads",
        "Lead",
        (
            "Lead",
            "Owner",
            "Responsible officer",
            "Lead officer",
            "Action owner",
            "Leads",
            "Lead person",
            "Responsible lead",
            "Responsible person",
            "Who",
        ),
        Level.ROW,
    ),
    Target(
        "agencies",
        "Agencies",
        (
            "Agencies",
            "Agency",
            "Organisation",
            "Organisations",
            "Partner",
            "Partners",
            "Service",
            "Services",
            "Lead agency",
            "Partner agency",
            "Partner agencies",
            "Organisation(s)",
            "Lead organisation",
        ),
        Level.ROW,
        kind="agencies",
    ),
    Target(
        "completion",
        "Date for completion",
        (
            "Date for completion",
            "Target date",
            "Due date",
            "Deadline",
            "By when",
            "Timescale for completion",
            "Completion date",
            "Target completion date",
            "Target date for completion",
            "Date due",
            "When",
            "Date to be completed by",
        ),
        Level.ROW,
        kind="month-or-date",
    ),
    Target(
        "assurance",
        "Assurance measures",
        (
            "Assurance measures",
            "Assurance",
            "Measures of success",
            "Success measures",
            "How we will know",
            "Measure of success",
            "Success measure",
            "How will we know",
            "Success criteria",
            "Performance measures",
        ),
        Level.ROW,
    ),
    Target(
        "outcome",
        "Desired outcome",
        (
            "Desired outcome",
            "Outcome",
            "Outcomes",
            "Intended outcome",
            "Desired outcomes",
            "Intended outcomes",
            "Expected outcome",
            "Expected outcomes",
        ),
        Level.AREA,
    ),
    Target("timescale", "Timescale", ("Timescale", "Timescales", "Timeframe"), Level.AREA),
    Target("practice_standards", "Practice standards", ("Practice standards",), Level.AREA),
    Target(
        "progress",
        "Progress",
        (
            "Progress",
            "Update",
            "Progress update",
            "Commentary",
            "Progress at",
            "Progress at (Inc RAG rating)",
            "Progress to date",
            "Update on progress",
            "Latest update",
            "Progress commentary",
            "Progress made",
        ),
        Level.ROW,
        Role.UPDATE,
        prefixes=(
            "progress at",
            "progress as at",
            "update at",
            "update as at",
            "position at",
            "progress update",
            "progress to",
        ),
    ),
    Target(
        "rag",
        "RAG",
        (
            "RAG",
            "Status",
            "RAG status",
            "Rating",
            "RAG rating",
            "BRAG",
            "BRAG rating",
            "BRAG status",
            "Current RAG",
            "RAG rating at",
            "Overall RAG",
        ),
        Level.ROW,
        Role.UPDATE,
        kind="rag",
        prefixes=("rag at", "rag rating at", "rag status at", "rag as at"),
    ),
    Target(
        "evidence",
        "Evidence of impact",
        ("Evidence of impact", "Evidence", "Impact", "Evidence of progress", "Impact evidence"),
        Level.ROW,
        Role.UPDATE,
    ),
    Target(
        "next_review",
        "Date of next review",
        ("Date of next review", "Review date", "Next review", "Next review date"),
        Level.ROW,
        Role.UPDATE,
        kind="month-or-date",
    ),
)
TARGETS_BY_KEY: dict[str, Target] = {t.key: t for t in TARGETS}

# Special values of a --map: keep the heading as a plan-text column of its own, or leave it out.
KEEP = "text"
IGNORE = "ignore"
_KEEP_WORDS = frozenset({"text", "plan text", "keep", "kept", "keep as plan text"})
_IGNORE_WORDS = frozenset({"ignore", "ignored", "skip", "none", "drop", "leave out"})

HEADER_SEARCH_ROWS = 30


def heading_key(text: str) -> str:
    """A heading compared loosely: case, spacing and punctuation aside, "&" read as "and"."""
    norm = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    norm = re.sub(r"[^\w\s%#]", " ", norm.replace("’", "").replace("'", ""))
    return " ".join(norm.split())


def _without_brackets(text: str) -> str:
    return re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)


_BY_NAME: dict[str, str] = {heading_key(n): t.key for t in TARGETS for n in (t.heading, *t.names)}
_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    (heading_key(p), t.key) for t in TARGETS for p in t.prefixes
)


def _recognise(heading: str) -> str | None:
    """The target a heading means by its usual names, or None."""
    for text in (heading, _without_brackets(heading)):
        key = _BY_NAME.get(heading_key(text))
        if key:
            return key
    loose = heading_key(_without_brackets(heading))
    for prefix, key in _PREFIXES:
        if loose.startswith(prefix + " "):
            return key
    return None


def _resolve_target(column: str) -> str | None:
    """A --map right-hand side: a target key, our heading or a usual name; KEEP; IGNORE."""
    norm = heading_key(column)
    if norm in _KEEP_WORDS:
        return KEEP
    if norm in _IGNORE_WORDS:
        return IGNORE
    if column.strip() in TARGETS_BY_KEY:
        return column.strip()
    if norm.replace(" ", "_") in TARGETS_BY_KEY:
        return norm.replace(" ", "_")
    return _BY_NAME.get(norm)


def parse_map_option(items: Sequence[str]) -> dict[str, str]:
    """Repeated `--map "Heading=column"` values as {heading: target key, KEEP or IGNORE}.

    The column may be a key ("leads"), this tool's heading ("Lead") or a usual name ("Owner");
    "text" keeps the heading as plan text of its own and "ignore" leaves it out. Raises
    UsageError naming the first item that cannot be read.
    """
    choices = ", ".join(t.key for t in TARGETS)
    mapping: dict[str, str] = {}
    for item in items:
        heading, sep, column = item.rpartition("=")
        if not sep or not heading.strip() or not column.strip():
            raise UsageError(
                f'--map {item!r}: write it as "Heading=column", for example --map "Owner=leads".'
            )
        target = _resolve_target(column)
        if target is None:
            raise UsageError(
                f"--map {item!r}: '{column.strip()}' is not a plan column. Use one of: "
                f"{choices}; or 'text' to keep it as plan text, or 'ignore' to leave it out."
            )
        mapping[heading.strip()] = target
    return mapping


# --------------------------------------------------------------------------------------------
# RAG


COMPLETE = "COMPLETE"  # a reading of RAG_WORDS: BLUE on a scale with BLUE, else GREEN

# Every way of writing a rating that is read, in one place (keys as `_rag_key` leaves them).
RAG_WORDS: dict[str, str] = {
    "r": "RED",
    "red": "RED",
    "a": "AMBER",
    "amber": "AMBER",
    "g": "GREEN",
    "green": "GREEN",
    "b": BLUE,
    "blue": BLUE,
    "complete": COMPLETE,
    "completed": COMPLETE,
    "done": COMPLETE,
    "achieved": COMPLETE,
    "green complete": COMPLETE,
    "complete green": COMPLETE,
    # Read, with a warning so the reading is seen.
    "on track": "GREEN",
    "off track": "RED",
    "at risk": "AMBER",
}
_WARNED_WORDS = frozenset({"on track", "off track", "at risk"})
_COLOUR_WORDS = frozenset({"red", "amber", "green", "blue"})
# "Green - complete", "Amber (on track)", "G: done"; a lone letter only before punctuation, so
# "A lot done" is not AMBER.
_LEADING_COLOUR = re.compile(
    r"^(?:(red|amber|green|blue)\b\s*[-–—:(,.]?|([ragb])\s*[-–—:(,.])\s*[^\W\d_]", re.I
)


def _rag_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


@dataclass(frozen=True)
class RagReading:
    """A RAG cell read: `rag` is on the scale ("" when blank or unread)."""

    rag: str
    ok: bool  # False: not a rating; the cell needs correcting
    warning: str = ""  # how it was read, when that should be shown: "is read as Green"
    problem: str = ""  # what is wrong, when not ok


def read_rag(value: CellValue, scale: Sequence[str] = DEFAULT_RAG_SCALE) -> RagReading:
    """Read a RAG cell against the plan's scale. See RAG_WORDS and the module docstring."""
    text = value_text(value).strip()
    if not text:
        return RagReading("", True)
    key = _rag_key(text)
    colours = {w for w in key.split() if w in _COLOUR_WORDS}
    if len(colours) > 1:
        return RagReading("", False, problem="two ratings")
    word = RAG_WORDS.get(key)
    if word is None and (m := _LEADING_COLOUR.match(text)):
        word = RAG_WORDS[(m[1] or m[2]).casefold()]
    if word is None:
        return RagReading("", False, problem="not a rating")
    has_blue = BLUE in scale
    if word == COMPLETE:
        return RagReading(BLUE if has_blue else "GREEN", True)
    if word == BLUE and not has_blue:
        return RagReading("GREEN", True, "is read as Green, as this plan's scale has no Blue")
    if word not in scale:
        return RagReading("", False, problem="not on the scale")
    return RagReading(word, True, f"is read as {word.title()}" if key in _WARNED_WORDS else "")


def _worst(ratings: Iterable[str], scale: Sequence[str]) -> str:
    rated = [r for r in ratings if r in scale]
    return min(rated, key=scale.index) if rated else ""


# The old importer's reading of a rating that ends the progress text.
_TRAILING_RAG = re.compile(r"[\s(]*\b(RED|AMBER|GREEN|BLUE)\b[).]*\s*$", re.I)


# --------------------------------------------------------------------------------------------
# Agencies


@dataclass(frozen=True)
class RegistryAgency:
    """An agency given up front (`--agencies FILE`)."""

    name: str
    short_name: str = ""
    email: str = ""
    aliases: tuple[str, ...] = ()
    cell: str = ""  # where its name was read

    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.name, self.short_name, *self.aliases) if n)


@dataclass(frozen=True)
class AgencyRegistry:
    file: str
    agencies: tuple[RegistryAgency, ...]
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class AgencySplit:
    """How one agency cell was read, when it was split or held a separator and was kept whole."""

    cell: str  # "Sheet1!E7"
    text: str  # the cell as written
    names: tuple[str, ...]  # the agencies read from it
    how: str  # "split at new lines and ','", "kept whole: a known agency", …


_HARD_SPLIT = re.compile(r"\s*(?:\r\n|\n|\r|;)\s*")
_LIST_SPLIT = re.compile(r"\s*[,/]\s*")
_CONJ_SPLIT = re.compile(r"\s*&\s*|\s+and\s+", re.I)
_SOFT = re.compile(r"[,/&]|\sand\s", re.I)


def _agency_norm(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


class _AgencyReader:
    """Splits agency cells against the known names: the registry's and those seen alone."""

    def __init__(self, registry: Sequence[RegistryAgency], cells: Iterable[str]) -> None:
        self.canonical: dict[str, str] = {}
        for agency in registry:
            for name in agency.names():
                self.canonical.setdefault(_agency_norm(name), agency.name)
        self.registry = bool(registry)
        self.known = set(self.canonical)
        for text in cells:
            for piece in _HARD_SPLIT.split(text.strip()):
                if piece and not _SOFT.search(piece):
                    self.known.add(_agency_norm(piece))

    def is_known(self, name: str) -> bool:
        return _agency_norm(name) in self.known

    def name_of(self, piece: str) -> str:
        return self.canonical.get(_agency_norm(piece), piece)

    def split(self, text: str) -> tuple[list[str], set[str]]:
        """The agencies in one cell, and the separators it was split at."""
        names: list[str] = []
        used: set[str] = set()
        pieces = [p for p in _HARD_SPLIT.split(text.strip()) if p]
        if len(pieces) > 1:
            used |= {_SEPARATOR_NAMES[ch] for ch in text.strip() if ch in "\n\r;"}
        for piece in pieces:
            names.extend(self._split_piece(piece, used))
        return names, used

    def _split_piece(self, piece: str, used: set[str]) -> list[str]:
        if self.is_known(piece) or not _SOFT.search(piece):
            return [piece]
        parts = [p for p in _LIST_SPLIT.split(piece) if p]
        if len(parts) > 1:
            used |= {_SEPARATOR_NAMES[m[0].strip()] for m in _LIST_SPLIT.finditer(piece)}
            return [n for p in parts for n in self._split_conj(p, used)]
        return self._split_conj(piece, used)

    def _split_conj(self, piece: str, used: set[str]) -> list[str]:
        parts = [p for p in _CONJ_SPLIT.split(piece) if p]
        if len(parts) > 1 and not self.is_known(piece) and all(map(self.is_known, parts)):
            used |= {_SEPARATOR_NAMES[m[0].strip().lower()] for m in _CONJ_SPLIT.finditer(piece)}
            return parts
        return [piece]


# How the split report names each separator, in the order it lists them.
_SEPARATOR_NAMES = {
    "\n": "new lines",
    "\r": "new lines",
    ";": "';'",
    ",": "','",
    "/": "'/'",
    "&": "'&'",
    "and": "'and'",
}


def split_agencies(
    cells: Sequence[str], registry: Sequence[RegistryAgency] = ()
) -> list[tuple[list[str], str]]:
    """Each agency cell's agencies, and how it was read ("" when it needed no reading), with
    the agencies known from `registry` and from every cell in `cells` (see the docstring)."""
    reader = _AgencyReader(registry, cells)
    out = []
    for text in cells:
        names, used = reader.split(text)
        out.append(([reader.name_of(n) for n in names], _how(text, names, used, reader)))
    return out


def _how(text: str, names: list[str], used: set[str], reader: _AgencyReader) -> str:
    if used:
        order = list(dict.fromkeys(_SEPARATOR_NAMES.values()))
        return "split at " + " and ".join(sorted(used, key=order.index))
    if _SOFT.search(text.strip()):
        if reader.is_known(text.strip()):
            return "kept whole: a known agency"
        return "kept whole: its parts are not all known agencies"
    return ""


# --------------------------------------------------------------------------------------------
# The result, as plain data

RowsMode = Literal["areas", "actions"]


@dataclass(frozen=True)
class Value:
    """One non-blank value as the plan has it, with the address of the cell it came from."""

    value: str | int | float | bool | datetime | date | time
    cell: str  # "Sheet1!G10"


Fields = Mapping[str, tuple[Value, ...]]


def _text(fields: Fields, key: str) -> str:
    return "\n".join(value_text(v.value) for v in fields.get(key, ()))


def _one(fields: Fields, key: str) -> CellValue:
    values = fields.get(key, ())
    if not values:
        return None
    if len(values) == 1:
        return values[0].value
    return _text(fields, key)


@dataclass(frozen=True)
class TableAction:
    """One action row under its recommendation ("actions" mode)."""

    id: str
    row: int
    cell: str  # where its ID was read, or its row's first own cell when the ID was made
    fields: Fields
    rag: str = ""
    agencies: tuple[str, ...] = ()

    def text(self, key: str) -> str:
        """The column's value as text ("" when blank)."""
        return _text(self.fields, key)

    def value(self, key: str) -> CellValue:
        """The column's typed value (a date stays a date); None when blank."""
        return _one(self.fields, key)


@dataclass(frozen=True)
class TableArea:
    """One area (recommendation) and, in "actions" mode, its actions.

    In "areas" mode `fields` holds every column, one value per source cell in row order (a
    merged cell once); in "actions" mode only the recommendation-level columns, the others
    being on each action.
    """

    id: str
    id_cell: str  # where the ID was read
    rows: tuple[int, ...]  # its rows in the sheet, 1-based
    fields: Fields
    rag: str = ""  # on the scale, or "" unrated; in "actions" mode the worst of its actions'
    agencies: tuple[str, ...] = ()  # in "actions" mode, every agency of its actions
    actions: tuple[TableAction, ...] = ()
    section: str = ""  # the section heading row above it, when the table has them

    def text(self, key: str) -> str:
        """The column's values joined line by line ("" when blank)."""
        return _text(self.fields, key)

    def value(self, key: str) -> CellValue:
        """The column's one typed value, the joined text when several, None when blank."""
        return _one(self.fields, key)


MapHow = Literal["recognised", "mapped", "kept", "ignored", "duplicate", "no heading"]


@dataclass(frozen=True)
class HeadingMap:
    """One heading of the source table and what it was taken to mean."""

    column: int  # 1-based
    cell: str  # the heading's address
    heading: str  # as written
    key: str  # the column key it became ("" when ignored)
    target: str  # the plan column it means ("" when kept as plan text or ignored)
    how: MapHow

    @property
    def meaning(self) -> str:
        """ "Actions", "kept as plan text" or "ignored", for the printed mapping."""
        if self.how == "ignored":
            return "ignored"
        if self.target:
            return TARGETS_BY_KEY[self.target].heading
        return "kept as plan text"


@dataclass(frozen=True)
class TableColumn:
    """A column of the mapped table, for building the plan's column set."""

    key: str
    heading: str  # the source's heading ("" when it had none)
    target: str  # the plan column ("" for a plan-text column of its own)
    column: int  # 1-based source column
    level: Level
    role: Role
    kind: str


NoteKind = Literal["title", "section", "note", "repeated-header"]


@dataclass(frozen=True)
class NoteRow:
    """A row that is not an area: a title line above the table, a section heading, a note."""

    row: int
    cell: str
    text: str
    kind: NoteKind


@dataclass(frozen=True)
class PlanTable:
    file: str
    sheet: str
    header_row: int  # 0 when no table was found
    mode: RowsMode
    detected_mode: RowsMode
    id_source: Literal["column", "text", ""]
    mapping: tuple[HeadingMap, ...]
    columns: tuple[TableColumn, ...]
    areas: tuple[TableArea, ...]
    notes: tuple[NoteRow, ...] = ()
    agencies: tuple[str, ...] = ()  # every agency named, in first-seen order
    agency_splits: tuple[AgencySplit, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def ok(self) -> bool:
        """Areas were read and no problem must be fixed first."""
        return bool(self.areas) and not self.errors

    @property
    def title_lines(self) -> tuple[str, ...]:
        """The text above the header row: the plan's title, version and so on."""
        return tuple(n.text for n in self.notes if n.kind == "title")


TABLE_RULES: tuple[str, ...] = (
    "sheet-not-found",
    "no-header",
    "no-ids",
    "no-rows",
    "map-heading-not-found",
    "heading-duplicate",
    "heading-missing",
    "id-missing",
    "id-not-an-id",
    "id-is-date",
    "id-repeated",
    "action-id-clash",
    "rag-unknown",
    "rag-two-ratings",
    "rag-read-as",
    "rag-differs",
    "agency-unknown",
    "date-unreadable",
    # in the plan the table makes (core/table_plan.py)
    "agency-file-name",
    "no-agencies",
    # in an agency registry
    "registry-no-header",
    "registry-no-name",
    "registry-duplicate",
    "registry-email",
)


# --------------------------------------------------------------------------------------------
# Finding the table


@dataclass(frozen=True)
class _Header:
    sheet: SourceSheet
    row: int
    found: dict[int, str]  # 1-based column -> target or special, for every non-blank heading
    score: int


def _heading_text(cell: SourceCell) -> str:
    return " ".join(value_text(cell.value).split()) if not cell.is_blank else ""


def _meaning(heading: str, mapping: Mapping[str, str]) -> tuple[str | None, bool]:
    """What a heading means, and whether `mapping` said so."""
    given = mapping.get(heading_key(heading))
    if given is not None:
        return given, True
    return _recognise(heading), False


def _score_row(sheet: SourceSheet, row: int, mapping: Mapping[str, str]) -> _Header:
    found: dict[int, str] = {}
    targets: set[str] = set()
    for cell in sheet.rows[row - 1]:
        heading = _heading_text(cell)
        if not heading or not isinstance(cell.value, str):
            continue
        meaning, _ = _meaning(heading, mapping)
        found[cell.col] = meaning or KEEP
        if meaning and meaning not in (KEEP, IGNORE):
            targets.add(meaning)
    return _Header(sheet, row, found, len(targets))


def _best_header(
    sheet: SourceSheet, mapping: Mapping[str, str], search_rows: int
) -> _Header | None:
    best: _Header | None = None
    for row in range(1, min(sheet.height, search_rows) + 1):
        header = _score_row(sheet, row, mapping)
        if header.score >= 2 and (best is None or header.score > best.score):
            best = header
    return best


def _find_header(
    source: SourceFile, sheet_name: str | None, mapping: Mapping[str, str], search_rows: int
) -> _Header | Problem:
    if sheet_name is not None:
        sheet = source.sheet(sheet_name)
        if sheet is None:
            names = ", ".join(f"'{s.name}'" for s in source.sheets)
            return _file_problem(
                source,
                "sheet-not-found",
                sheet_name,
                f"there is no sheet called '{sheet_name}'. Its sheets are {names}: give one "
                "of these with --sheet.",
            )
        sheets: Sequence[SourceSheet] = (sheet,)
    else:
        sheets = source.sheets
    best: _Header | None = None
    # A visible sheet with a table wins over any hidden one; then the higher score, then order.
    for sheet in sorted(sheets, key=lambda s: not s.visible):
        header = _best_header(sheet, mapping, search_rows)
        if header is None:
            continue
        if best is None or (
            header.score > best.score and header.sheet.visible == best.sheet.visible
        ):
            best = header
    if best is None:
        where = f"sheet '{sheets[0].name}'" if sheet_name is not None else "any sheet"
        return _file_problem(
            source,
            "no-header",
            "",
            f"no header row found in the first {search_rows} rows of {where}. The table "
            "needs headings such as 'Ref', 'Recommendation', 'Action', 'Lead' and 'Target "
            'date\'. Add them, or say what your headings mean with --map "Heading=column".',
        )
    return best


# --------------------------------------------------------------------------------------------
# Mapping the headings


@dataclass(frozen=True)
class _Column:
    col: int
    key: str
    heading: str
    target: str  # "" for plan text


def _plain_key(heading: str, col: int, taken: set[str]) -> str:
    """A key for a plan-text column: its heading's slug, or its letter; never a target key."""
    base = slugify(heading.replace("%", " percent ")).replace("-", "_") if heading else ""
    if not base or base == "x":
        base = f"column_{column_letter(col - 1).lower()}"
    key, n = base, 2
    while key in taken or key in TARGETS_BY_KEY:
        key, n = f"{base}_{n}", n + 1
    return key


def _map_headings(
    source: SourceFile,
    header: _Header,
    mapping: Mapping[str, str],
    spelt: Iterable[str],
    problems: list[Problem],
) -> tuple[list[_Column], list[HeadingMap]]:
    sheet = header.sheet
    has_data = _columns_with_data(sheet, header.row)
    decided: dict[int, tuple[str, MapHow]] = {}  # col -> (target or KEEP/IGNORE, how)
    owner: dict[str, int] = {}
    # Headings given by --map take their column first, then recognised ones, left to right.
    cols = sorted(
        header.found, key=lambda c: (not _meaning(_head(sheet, header, c), mapping)[1], c)
    )
    for col in cols:
        heading = _head(sheet, header, col)
        meaning, given = _meaning(heading, mapping)
        if meaning in (None, KEEP):
            decided[col] = (KEEP, "mapped" if given else "kept")
        elif meaning == IGNORE:
            decided[col] = (IGNORE, "ignored")
        elif meaning in owner:
            decided[col] = (KEEP, "duplicate")
            first = _head(sheet, header, owner[meaning])
            problems.append(
                _cell_problem(
                    source,
                    sheet.cell(header.row, col),
                    heading,
                    "heading-duplicate",
                    heading,
                    f"'{first}' and '{heading}' both mean '{TARGETS_BY_KEY[meaning].heading}'. "
                    f"'{first}' is used for it and '{heading}' is kept as plan text. If that is "
                    f'wrong, say which is which with --map "{heading}=column".',
                    Severity.WARNING,
                )
            )
        else:
            owner[meaning] = col
            decided[col] = (meaning, "mapped" if given else "recognised")
    # An "Action no" column is the ID when nothing else is.
    if "id" not in owner and "action_id" in owner:
        col = owner.pop("action_id")
        owner["id"] = col
        decided[col] = ("id", decided[col][1])
    for col in sorted(has_data - set(header.found)):
        decided[col] = (KEEP, "no heading")
    _missing_map_headings(source, header, spelt, problems)
    return _columns_of(sheet, header, decided)


def _head(sheet: SourceSheet, header: _Header, col: int) -> str:
    return _heading_text(sheet.cell(header.row, col))


def _columns_with_data(sheet: SourceSheet, header_row: int) -> set[int]:
    return {c.col for row in sheet.rows[header_row:] for c in row if not c.is_blank}


def _columns_of(
    sheet: SourceSheet, header: _Header, decided: dict[int, tuple[str, MapHow]]
) -> tuple[list[_Column], list[HeadingMap]]:
    columns: list[_Column] = []
    mapping: list[HeadingMap] = []
    taken: set[str] = set()
    for col in sorted(decided):
        target, how = decided[col]
        heading = _head(sheet, header, col)
        address = cell_address(sheet.name, header.row, col)
        if target == IGNORE:
            mapping.append(HeadingMap(col, address, heading, "", "", how))
            continue
        key = target if target != KEEP else _plain_key(heading, col, taken)
        taken.add(key)
        plain = target == KEEP
        columns.append(_Column(col, key, heading, "" if plain else target))
        mapping.append(HeadingMap(col, address, heading, key, "" if plain else target, how))
    return columns, mapping


def _missing_map_headings(
    source: SourceFile, header: _Header, spelt: Iterable[str], problems: list[Problem]
) -> None:
    present = {heading_key(_head(header.sheet, header, c)) for c in header.found}
    for heading in spelt:
        if heading_key(heading) not in present:
            problems.append(
                _file_problem(
                    source,
                    "map-heading-not-found",
                    heading,
                    f"--map names a heading '{heading}' that is not in the header row "
                    f"(row {header.row} of sheet '{header.sheet.name}'). Check its spelling.",
                    Severity.WARNING,
                    sheet=header.sheet.name,
                )
            )


# --------------------------------------------------------------------------------------------
# Reading the rows


@dataclass
class _Row:
    number: int
    cells: dict[str, SourceCell]  # column key -> the (origin) cell, non-blank only
    own: set[str]  # keys typed in this row (not from a merged range above)
    spans: set[str]  # keys whose cell is merged across columns in this row


@dataclass
class _Group:
    id: str
    id_cell: str
    rows: list[_Row] = field(default_factory=list)
    section: str = ""


def _origins(sheet: SourceSheet, first_row: int) -> dict[tuple[int, int], SourceCell]:
    """Each cell covered by a merged range that starts below the header -> the range's
    top-left cell. A heading merged down into the rows below it fills nothing."""
    out: dict[tuple[int, int], SourceCell] = {}
    height, width = sheet.height, sheet.width
    for rng in sheet.merged:
        if rng.first_row < first_row:
            continue
        top_left = sheet.cell(rng.first_row, rng.first_col)
        for r in range(rng.first_row, min(rng.last_row, height) + 1):
            for c in range(rng.first_col, min(rng.last_col, width) + 1):
                if (r, c) != (rng.first_row, rng.first_col):
                    out[(r, c)] = top_left
    return out


def _read_rows(sheet: SourceSheet, header_row: int, columns: list[_Column]) -> Iterator[_Row]:
    origins = _origins(sheet, header_row + 1)
    # The top-left cells of ranges merged across columns (a row's cells are top-left cells).
    wide = {(rng.first_row, rng.first_col) for rng in sheet.merged if rng.last_col > rng.first_col}
    for number in range(header_row + 1, sheet.height + 1):
        row = _Row(number, {}, set(), set())
        seen: set[tuple[int, int]] = set()
        for column in columns:
            cell = origins.get((number, column.col), sheet.cell(number, column.col))
            if cell.is_blank or (cell.row, cell.col) in seen:
                continue  # a cell merged across columns counts once, in its first column
            seen.add((cell.row, cell.col))
            row.cells[column.key] = cell
            if cell.row == number:
                row.own.add(column.key)
            if (cell.row, cell.col) in wide:
                row.spans.add(column.key)
        if row.cells:
            yield row


_ID_IN_TEXT = re.compile(
    r"^\s*(?:(?i:recommendation|rec\.?|area\s+for\s+improvement|area\s+of\s+improvement"
    r"|area|finding|requirement|priority)\s*(?i:no\.?|number)?\s*)?"
    r"(?P<id>[A-Z]{0,3}\d+(?:\.\d+)*[a-z]?)"
    r"(?:\s*[.):\u2013\u2014-]\s*|\s+)(?P<rest>[^\d\s].*)$",
    re.S,
)


def id_in_text(text: str) -> tuple[str, str] | None:
    """The ID at the start of an area's text and the rest: "1.4 Ensure…" -> ("1.4", "Ensure…")."""
    m = _ID_IN_TEXT.match(text)
    return (m["id"], m["rest"].strip()) if m else None


def _id_text(value: CellValue) -> str:
    """An ID as text, exactly: a number cell as Excel shows it, text without outer spaces."""
    return value_text(value).strip()


def _looks_like_id(value: CellValue) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | date):
        return True
    text = value_text(value).strip()
    if len(text) > 20 or len(text.split()) > 2:
        return False
    return any(ch.isdigit() for ch in text) or bool(re.fullmatch(r"[A-Z]{1,4}", text))


@dataclass
class _Reader:
    """The row-by-row pass: groups rows under IDs, collects notes and problems."""

    source: SourceFile
    columns: list[_Column]
    id_key: str  # "id", or "title" when IDs lead the area text
    problems: list[Problem]
    groups: list[_Group] = field(default_factory=list)
    notes: list[NoteRow] = field(default_factory=list)
    pending_notes: list[NoteRow] = field(default_factory=list)
    section: str = ""

    def __post_init__(self) -> None:
        self.by_key = {c.key: c for c in self.columns}
        # Columns whose text alone does not make a row of the plan: recommendation-level ones,
        # and columns with no heading (a note typed beside the table).
        self.noteable = {
            c.key
            for c in self.columns
            if (c.target and TARGETS_BY_KEY[c.target].level is Level.AREA) or not c.heading
        }

    def heading(self, key: str) -> str:
        return self.by_key[key].heading if key in self.by_key else ""

    def run(self, rows: Iterable[_Row]) -> None:
        for row in rows:
            if self._repeats_header(row):
                self._note(row, "repeated-header")
            else:
                self._take(row)
        for note in self.pending_notes:  # nothing with an ID after them: notes below the table
            self.notes.append(NoteRow(note.row, note.cell, note.text, "note"))
        self.pending_notes.clear()

    def _repeats_header(self, row: _Row) -> bool:
        same = [
            k
            for k, cell in row.cells.items()
            if self.heading(k)
            and heading_key(value_text(cell.value)) == heading_key(self.heading(k))
        ]
        return len(same) >= 2

    def _note(self, row: _Row, kind: NoteKind) -> None:
        cell = next(iter(row.cells.values()))
        text = " ".join(value_text(c.value).strip() for c in row.cells.values())
        note = NoteRow(row.number, cell.address, text, kind)
        if kind == "section":  # a section heading if rows with IDs follow, else a note
            self.pending_notes.append(note)
        else:
            self.notes.append(note)

    def _is_text_only(self, row: _Row) -> bool:
        """Text typed in this row only, in one cell or in recommendation-level columns only:
        a heading or a note. A row a merged cell reaches into is inside a recommendation."""
        if row.own != set(row.cells) or not all(
            isinstance(c.value, str) for c in row.cells.values()
        ):
            return False
        if len(row.cells) == 1 and row.spans:
            return True
        return set(row.cells) <= self.noteable

    def _take(self, row: _Row) -> None:
        own_id = self._own_id(row)
        text_only = self._is_text_only(row)
        if text_only and row.spans and len(row.cells) == 1:
            self._note(row, "section")  # one cell merged across the table: never an ID
        elif own_id:
            self._start(row, own_id)
        elif text_only:
            self._note(row, "section")
        elif own_id == "":
            self._no_id(row) if self.id_key == "title" else self._not_an_id(row)
        elif not self.groups or self.pending_notes:
            self._no_id(row)
        else:
            self.groups[-1].rows.append(row)

    def _own_id(self, row: _Row) -> str | None:
        """This row's own ID; None when it has none, "" when its ID cell holds no ID."""
        cell = row.cells.get(self.id_key)
        if cell is None or self.id_key not in row.own:
            return None
        if self.id_key == "title":
            found = id_in_text(value_text(cell.value))
            return found[0] if found else ""
        return _id_text(cell.value) if _looks_like_id(cell.value) else ""

    def _start(self, row: _Row, area_id: str) -> None:
        self._flush_sections()
        cell = row.cells[self.id_key]
        if isinstance(cell.value, date):
            self.problems.append(
                self._problem(
                    cell,
                    self.id_key,
                    "id-is-date",
                    value_text(cell.value),
                    f"the ID is a date ({value_text(cell.value)}): Excel may have turned an ID "
                    "such as 1.4 into a date. Format the ID column as Text and type the IDs "
                    "again.",
                    area_id,
                )
            )
        current = self.groups[-1] if self.groups else None
        if current is not None and current.id == area_id:
            current.rows.append(row)
            return
        earlier = next((g for g in self.groups if g.id == area_id), None)
        if earlier is not None:
            self.problems.append(
                self._problem(
                    cell,
                    self.id_key,
                    "id-repeated",
                    area_id,
                    f"the ID {area_id} is used again here, after other IDs (first at "
                    f"{earlier.id_cell.split('!')[-1]}). Give this row its own ID, or move it "
                    f"up beside the other rows of {area_id}. If Excel turned 1.10 into 1.1, "
                    "format the ID column as Text and type the IDs again.",
                    area_id,
                )
            )
            earlier.rows.append(row)
            return
        self.groups.append(_Group(area_id, cell.address, [row], self.section))

    def _flush_sections(self) -> None:
        for note in self.pending_notes:
            self.notes.append(note)
            self.section = note.text
        self.pending_notes.clear()

    def _no_id(self, row: _Row) -> None:
        cell = next(iter(row.cells.values()))
        if self.id_key == "title":
            title = self.heading("title") or "Area for improvement"
            do = (
                f"Start the '{title}' text with the area's ID, like '1.4 Ensure that…', or add "
                "an 'ID' column."
            )
            cell = row.cells.get("title", cell)
        else:
            do = f"Give it an ID in the '{self.heading('id')}' column, or delete the row."
        text = value_text(cell.value).strip()
        self.problems.append(
            self._problem(
                cell, self.id_key, "id-missing", text, f"row {row.number} has no ID. {do}"
            )
        )

    def _not_an_id(self, row: _Row) -> None:
        cell = row.cells[self.id_key]
        text = value_text(cell.value).strip()
        self.problems.append(
            self._problem(
                cell,
                self.id_key,
                "id-not-an-id",
                text,
                f"'{text}' is where an ID is expected. Give the row an ID, or if it is a "
                "heading, put it alone on its row.",
            )
        )

    def _problem(
        self,
        cell: SourceCell,
        key: str,
        rule: str,
        value: str,
        message: str,
        area_id: str = "",
        severity: Severity = Severity.ERROR,
    ) -> Problem:
        return _cell_problem(
            self.source, cell, self.heading(key), rule, value, message, severity, area_id
        )


# --------------------------------------------------------------------------------------------
# Building areas and actions


def _detect_mode(groups: list[_Group]) -> RowsMode:
    for group in groups:
        own = [r for r in group.rows if r.own & {"leads", "agencies", "completion"}]
        if len(group.rows) >= 2 and len(own) >= 2:
            return "actions"
    return "areas"


def _collect(rows: Iterable[_Row], keys: Iterable[str]) -> dict[str, tuple[Value, ...]]:
    """Each key's values over the rows, one per source cell, in row order."""
    out: dict[str, tuple[Value, ...]] = {}
    for key in keys:
        seen: dict[tuple[int, int], Value] = {}
        for row in rows:
            cell = row.cells.get(key)
            if cell is not None and (cell.row, cell.col) not in seen:
                assert cell.value is not None
                seen[(cell.row, cell.col)] = Value(cell.value, cell.address)
        if seen:
            out[key] = tuple(seen.values())
    return out


def _column_levels(columns: list[_Column], groups: list[_Group]) -> dict[str, Level]:
    """Where each column's values belong in "actions" mode. The ID and the area text belong
    to the recommendation. Any other column belongs to it when it never holds two cells
    within one recommendation and is either recommendation-level by its target or, for a
    plan-text column, merged over a recommendation's rows; otherwise to each action."""
    levels: dict[str, Level] = {}
    for column in columns:
        if column.key in ("id", "title"):
            levels[column.key] = Level.AREA
            continue
        merged = differs = False
        for group in groups:
            cells = {r.cells[column.key].address for r in group.rows if column.key in r.cells}
            differs |= len(cells) > 1
            merged |= any(column.key in r.cells and column.key not in r.own for r in group.rows)
        by_target = bool(column.target) and TARGETS_BY_KEY[column.target].level is Level.AREA
        levels[column.key] = Level.AREA if (by_target or merged) and not differs else Level.ROW
    return levels


def _action_ids(group: _Group) -> list[str]:
    """Each row's action ID: its "Action no" cell, else one made from the area ID."""
    ids = []
    for n, row in enumerate(group.rows, start=1):
        cell = row.cells.get("action_id")
        ids.append(_id_text(cell.value) if cell else generated_action_id(group.id, n))
    return ids


def generated_action_id(area_id: str, n: int) -> str:
    """The ID of the n-th action (from 1) of an area: "1.4a", "1.4z", "1.4aa"; "R1a.2"."""
    if not area_id[-1:].isdigit():
        return f"{area_id}.{n}"
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(97 + rem) + letters
    return area_id + letters


@dataclass
class _Builder:
    """Turns grouped rows into areas: RAG, agencies, dates, IDs, with their problems."""

    source: SourceFile
    columns: list[_Column]
    problems: list[Problem]
    scale: tuple[str, ...]
    context: date | None
    agencies: _AgencyReader
    splits: list[AgencySplit] = field(default_factory=list)
    all_agencies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_key = {c.key: c for c in self.columns}
        self.split_done: set[str] = set()

    def heading(self, key: str) -> str:
        return self.by_key[key].heading if key in self.by_key else ""

    def area(self, group: _Group, mode: RowsMode, levels: dict[str, Level]) -> TableArea:
        keys = [c.key for c in self.columns]
        if mode == "areas":
            fields = self._fields(group.rows, keys, group.id)
            rag = self._area_rag(group, fields)
            return TableArea(
                group.id,
                group.id_cell,
                tuple(r.number for r in group.rows),
                fields,
                rag,
                self._agencies(fields, group.id),
                section=group.section,
            )
        area_keys = [k for k in keys if levels[k] is Level.AREA]
        row_keys = [k for k in keys if levels[k] is Level.ROW]
        fields = self._fields(group.rows, area_keys, group.id)
        actions = []
        for row, action_id in zip(group.rows, _action_ids(group), strict=True):
            action_fields = self._fields([row], row_keys, action_id)
            own = [row.cells[k] for k in row.cells if k in row.own]
            id_cell = row.cells.get("action_id") or (own or list(row.cells.values()))[0]
            actions.append(
                TableAction(
                    action_id,
                    row.number,
                    id_cell.address,
                    action_fields,
                    self._rag(action_fields, action_id),
                    self._agencies(action_fields, action_id),
                )
            )
        agencies = tuple(dict.fromkeys(a for act in actions for a in act.agencies))
        return TableArea(
            group.id,
            group.id_cell,
            tuple(r.number for r in group.rows),
            fields,
            _worst((a.rag for a in actions), self.scale),
            agencies,
            tuple(actions),
            group.section,
        )

    def _fields(
        self, rows: list[_Row], keys: list[str], record_id: str
    ) -> dict[str, tuple[Value, ...]]:
        fields = _collect(rows, keys)
        if "id" in fields:  # the cell the ID was read from, not each row's copy of it
            fields["id"] = fields["id"][:1]
        if "title" in fields and "id" not in self.by_key:  # the ID led the text: take it off
            fields["title"] = tuple(_strip_id(v) for v in fields["title"])
        if "rag" not in self.by_key and "progress" in fields:
            fields = self._rag_from_progress(fields)
        self._check_dates(fields, record_id)
        return fields

    def _rag_from_progress(
        self, fields: dict[str, tuple[Value, ...]]
    ) -> dict[str, tuple[Value, ...]]:
        last = fields["progress"][-1]
        if not isinstance(last.value, str) or not (m := _TRAILING_RAG.search(last.value)):
            return fields
        rest = last.value[: m.start()].rstrip()
        progress = (*fields["progress"][:-1], *((Value(rest, last.cell),) if rest else ()))
        out = {**fields, "rag": (Value(m[1], last.cell),)}
        if progress:
            out["progress"] = progress
        else:
            del out["progress"]
        return out

    def _rag(self, fields: Mapping[str, tuple[Value, ...]], record_id: str) -> str:
        ratings = [self._read_rag(v, record_id) for v in fields.get("rag", ())]
        return _worst(ratings, self.scale)

    def _area_rag(self, group: _Group, fields: Mapping[str, tuple[Value, ...]]) -> str:
        values = fields.get("rag", ())
        ratings = [self._read_rag(v, group.id) for v in values]
        rated = {r for r in ratings if r}
        worst = _worst(ratings, self.scale)
        if len(rated) > 1:
            cells = ", ".join(v.cell.split("!")[-1] for v in values)
            self.problems.append(
                self._problem(
                    values[0].cell,
                    "rag",
                    "rag-differs",
                    " / ".join(value_text(v.value) for v in values),
                    f"the rows of {group.id} have different ratings ({cells}); the worst, "
                    f"{worst}, is used. If each row is an action with its own rating, import "
                    "with one action per row.",
                    group.id,
                    Severity.WARNING,
                )
            )
        return worst

    def _read_rag(self, value: Value, record_id: str) -> str:
        reading = read_rag(value.value, self.scale)
        text = value_text(value.value).strip()
        scale = ", ".join(s.title() for s in self.scale)
        if not reading.ok:
            two = reading.problem == "two ratings"
            self.problems.append(
                self._problem(
                    value.cell,
                    "rag",
                    "rag-two-ratings" if two else "rag-unknown",
                    text,
                    (f"'{text}' gives two ratings. Give one: {scale}."
                     if two else f"'{text}' is not a RAG rating. Change it to one of: {scale}."),
                    record_id,
                )
            )  # fmt: skip
        elif reading.warning:
            self.problems.append(
                self._problem(
                    value.cell,
                    "rag",
                    "rag-read-as",
                    text,
                    f"'{text}' {reading.warning}. If that is wrong, change it to one of: {scale}.",
                    record_id,
                    Severity.WARNING,
                )
            )
        return reading.rag

    def _agencies(self, fields: Mapping[str, tuple[Value, ...]], record_id: str) -> tuple[str, ...]:
        names: list[str] = []
        for value in fields.get("agencies", ()):
            text = value_text(value.value)
            found, used = self.agencies.split(text)
            found = [self.agencies.name_of(n) for n in found]
            how = _how(text, found, used, self.agencies)
            if how and value.cell not in self.split_done:
                self.split_done.add(value.cell)
                self.splits.append(AgencySplit(value.cell, text, tuple(found), how))
            names.extend(found)
            for name in found:
                self._register(name, value, record_id)
        seen: dict[str, str] = {}
        for name in names:
            seen.setdefault(_agency_norm(name), self.all_agencies[_agency_norm(name)])
        return tuple(seen.values())

    def _register(self, name: str, value: Value, record_id: str) -> None:
        norm = _agency_norm(name)
        if norm in self.all_agencies:
            return
        self.all_agencies[norm] = name
        if self.agencies.registry and norm not in self.agencies.canonical:
            self.problems.append(
                self._problem(
                    value.cell,
                    "agencies",
                    "agency-unknown",
                    name,
                    f"'{name}' is not in the list of agencies. Add it to the list, or correct "
                    "the name.",
                    record_id,
                    Severity.WARNING,
                )
            )

    def _check_dates(self, fields: Mapping[str, tuple[Value, ...]], record_id: str) -> None:
        for value in fields.get("completion", ()):
            unread = [
                p.text
                for p in read_completion_value(value.value, context=self.context)
                if p.kind is DateKind.UNKNOWN
            ]
            if unread:
                self._date_problem(value, "completion", "; ".join(unread), record_id)
        for value in fields.get("next_review", ()):
            if parse_review_date(value.value, context=self.context) is None:
                self._date_problem(value, "next_review", value_text(value.value), record_id)

    def _date_problem(self, value: Value, key: str, text: str, record_id: str) -> None:
        self.problems.append(
            self._problem(
                value.cell,
                key,
                "date-unreadable",
                text,
                f"'{text}' cannot be read as a date. It is kept as written; if it should be a "
                "date, write it like 30/06/2024, June 2024 or Q3 2024/25.",
                record_id,
                Severity.WARNING,
            )
        )

    def _problem(
        self,
        address: str,
        key: str,
        rule: str,
        value: str,
        message: str,
        area_id: str,
        severity: Severity = Severity.ERROR,
    ) -> Problem:
        return _address_problem(
            self.source, address, self.heading(key), rule, value, message, severity, area_id
        )


def _strip_id(value: Value) -> Value:
    if isinstance(value.value, str) and (found := id_in_text(value.value)):
        return Value(found[1], value.cell)
    return value


def _check_action_ids(source: SourceFile, areas: list[TableArea], problems: list[Problem]) -> None:
    taken = {a.id for a in areas}
    for area in areas:
        for action in area.actions:
            if action.id in taken:
                problems.append(
                    _address_problem(
                        source,
                        action.cell,
                        "",
                        "action-id-clash",
                        action.id,
                        f"the action in row {action.row} would be {action.id}, which is already "
                        "an ID. Give the actions their own IDs in an 'Action no' column.",
                        area_id=area.id,
                    )
                )
            taken.add(action.id)


# --------------------------------------------------------------------------------------------
# Problems


def _unquote(sheet: str) -> str:
    if sheet.startswith("'") and sheet.endswith("'"):
        return sheet[1:-1].replace("''", "'")
    return sheet


def _where(source: SourceFile, address: str) -> str:
    """ "cqc-plan.xlsx, Sheet1!G10"; a CSV's one sheet is not named: "plan.csv, G10"."""
    if source.format == "csv":
        return f"{source.name}, {address.rpartition('!')[2]}"
    return f"{source.name}, {address}"


def _address_problem(
    source: SourceFile,
    address: str,
    heading: str,
    rule: str,
    value: str,
    message: str,
    severity: Severity = Severity.ERROR,
    area_id: str = "",
) -> Problem:
    sheet, _, ref = address.rpartition("!")
    return Problem(
        source.name,
        _unquote(sheet),
        ref,
        heading,
        rule,
        value,
        f"{_where(source, address)}: {message}",
        severity,
        area_id=area_id,
    )


def _cell_problem(
    source: SourceFile,
    cell: SourceCell,
    heading: str,
    rule: str,
    value: str,
    message: str,
    severity: Severity = Severity.ERROR,
    area_id: str = "",
) -> Problem:
    return _address_problem(source, cell.address, heading, rule, value, message, severity, area_id)


def _file_problem(
    source: SourceFile,
    rule: str,
    value: str,
    message: str,
    severity: Severity = Severity.ERROR,
    *,
    sheet: str = "",
) -> Problem:
    return Problem(source.name, sheet, "", "", rule, value, f"{source.name}: {message}", severity)


# --------------------------------------------------------------------------------------------
# The one entry point


def map_table(
    source: SourceFile,
    *,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
    rows: RowsMode | Literal["auto"] = "auto",
    registry: Sequence[RegistryAgency] = (),
    rag_scale: Sequence[str] = DEFAULT_RAG_SCALE,
    context: date | None = None,
    header_search_rows: int = HEADER_SEARCH_ROWS,
) -> PlanTable:
    """Find the plan's table in `source` and read it (see the module docstring).

    `mapping` is {heading: target key, KEEP or IGNORE} (as `parse_map_option` gives); `rows`
    forces "areas" or "actions"; `registry` lists the agencies known up front; `context` (the
    round's date) is used to read dates such as "end of Q2". Problems in the file are returned
    in `problems`, never raised.
    """
    given = {heading_key(h): t for h, t in (mapping or {}).items()}
    for target in given.values():
        if target not in TARGETS_BY_KEY and target not in (KEEP, IGNORE):
            raise ValueError(f"not a plan column: {target!r}")
    problems: list[Problem] = []
    header = _find_header(source, sheet, given, header_search_rows)
    if isinstance(header, Problem):
        return _empty(source, sheet or "", [header])
    columns, heading_maps = _map_headings(source, header, given, mapping or {}, problems)
    id_key = "id" if any(c.key == "id" for c in columns) else "title"
    if id_key == "title" and not _has_ids_in_text(header.sheet, header.row, columns):
        problems.append(_no_ids_problem(source, header, columns))
        return _empty(source, header.sheet.name, problems, header, heading_maps, columns)
    reader = _Reader(source, columns, id_key, problems)
    reader.run(_read_rows(header.sheet, header.row, columns))
    groups = reader.groups
    columns, heading_maps = _columns_without_heading(
        source, header, groups, columns, heading_maps, problems
    )
    detected = _detect_mode(groups)
    mode: RowsMode = detected if rows == "auto" else rows
    levels = _column_levels(columns, groups)
    agency_cells = [
        value_text(row.cells["agencies"].value)
        for g in groups
        for row in g.rows
        if "agencies" in row.cells
    ]
    builder = _Builder(
        source, columns, problems, tuple(rag_scale), context, _AgencyReader(registry, agency_cells)
    )
    areas = [builder.area(g, mode, levels) for g in groups]
    _check_action_ids(source, areas, problems)
    if not areas and not any(p.is_error for p in problems):
        problems.append(
            _file_problem(
                source,
                "no-rows",
                "",
                f"the table has a header row (row {header.row} of sheet '{header.sheet.name}') "
                "but no areas under it. Add the plan's rows under the headings.",
                sheet=header.sheet.name,
            )
        )
    return PlanTable(
        file=source.name,
        sheet=header.sheet.name,
        header_row=header.row,
        mode=mode,
        detected_mode=detected,
        id_source="column" if id_key == "id" else "text",
        mapping=tuple(heading_maps),
        columns=tuple(_table_column(c, levels[c.key]) for c in columns),
        areas=tuple(areas),
        notes=tuple(sorted([*_title_rows(header), *reader.notes], key=lambda n: n.row)),
        agencies=tuple(builder.all_agencies.values()),
        agency_splits=tuple(builder.splits),
        problems=tuple(sorted(problems, key=_problem_order)),
    )


def _problem_order(problem: Problem) -> tuple[int, int, int]:
    """The whole file first, then by row and column, as the coordinator reads the sheet."""
    m = _RANGE.fullmatch(problem.cell)
    if m is None:
        return (0, 0, 0)
    return (1, int(m[2]), _column_number(m[1]))


def _table_column(c: _Column, level: Level) -> TableColumn:
    target = TARGETS_BY_KEY.get(c.target)
    role, kind = (target.role, target.kind) if target else (Role.PLAN, "text")
    return TableColumn(c.key, c.heading, c.target, c.col, level, role, kind)


def _columns_without_heading(
    source: SourceFile,
    header: _Header,
    groups: list[_Group],
    columns: list[_Column],
    heading_maps: list[HeadingMap],
    problems: list[Problem],
) -> tuple[list[_Column], list[HeadingMap]]:
    """Keep a column with no heading only when rows of the plan use it, and say so."""
    used = {k for g in groups for r in g.rows for k in r.cells}
    dropped = {c.key for c in columns if not c.heading and c.key not in used}
    for column in columns:
        if not column.heading and column.key in used:
            letter = column_letter(column.col - 1)
            problems.append(
                _cell_problem(
                    source,
                    header.sheet.cell(header.row, column.col),
                    "",
                    "heading-missing",
                    "",
                    f"column {letter} has values but no heading. It is kept as plan text "
                    f"('{column.key}'); give it a heading to name it.",
                    Severity.WARNING,
                )
            )
    return (
        [c for c in columns if c.key not in dropped],
        [m for m in heading_maps if m.key not in dropped],
    )


def _title_rows(header: _Header) -> list[NoteRow]:
    notes = []
    for row in header.sheet.rows[: header.row - 1]:
        cells = [c for c in row if not c.is_blank]
        if cells:
            text = " ".join(value_text(c.value).strip() for c in cells)
            notes.append(NoteRow(cells[0].row, cells[0].address, text, "title"))
    return notes


def _has_ids_in_text(sheet: SourceSheet, header_row: int, columns: list[_Column]) -> bool:
    title = next((c for c in columns if c.key == "title"), None)
    if title is None:
        return False
    return any(
        id_in_text(value_text(sheet.cell(r, title.col).value))
        for r in range(header_row + 1, sheet.height + 1)
    )


def _no_ids_problem(source: SourceFile, header: _Header, columns: list[_Column]) -> Problem:
    title = next((c.heading for c in columns if c.key == "title"), "")
    text = (
        f"and the '{title}' text does not start with IDs"
        if title
        else "and no column for the area text"
    )
    return _file_problem(
        source,
        "no-ids",
        "",
        f"the table (row {header.row} of sheet '{header.sheet.name}') has no ID column, {text}. "
        "Add an 'ID' column, or start each area's text with its ID, like '1.4 Ensure that…'. "
        'If a column holds the IDs under another heading, say so with --map "Heading=id".',
        sheet=header.sheet.name,
    )


def _empty(
    source: SourceFile,
    sheet: str,
    problems: list[Problem],
    header: _Header | None = None,
    heading_maps: list[HeadingMap] | None = None,
    columns: list[_Column] | None = None,
) -> PlanTable:
    return PlanTable(
        file=source.name,
        sheet=sheet,
        header_row=header.row if header else 0,
        mode="areas",
        detected_mode="areas",
        id_source="",
        mapping=tuple(heading_maps or ()),
        columns=tuple(
            TableColumn(c.key, c.heading, c.target, c.col, Level.ROW, Role.PLAN, "text")
            for c in columns or ()
        ),
        areas=(),
        problems=tuple(problems),
    )


# --------------------------------------------------------------------------------------------
# The mapping, printed


def mapping_rows(table: PlanTable) -> list[tuple[str, str]]:
    """(your heading, our column) for each heading, as the CLI prints and records them."""
    rows = []
    for m in table.mapping:
        heading = m.heading or f"(column {column_letter(m.column - 1)}, no heading)"
        meaning = m.meaning
        if m.how == "duplicate":
            meaning += " (its column is taken by an earlier heading)"
        elif m.how == "mapped":
            meaning += " (from --map)"
        rows.append((heading, meaning))
    return rows


def format_mapping(table: PlanTable) -> str:
    """The mapping as plain text, for the terminal and the import record."""
    if not table.header_row:
        return f"{table.file}: no table found."
    rows = [("Your heading", "Our column"), *mapping_rows(table)]
    width = max(len(h) for h, _ in rows)
    lines = [f"{table.file}, sheet '{table.sheet}', headings in row {table.header_row}:"]
    lines += [f"  {h.ljust(width)}  {m}" for h, m in rows]
    actions = sum(len(a.actions) for a in table.areas)
    how = "found in the table" if table.mode == table.detected_mode else "as asked"
    if table.mode == "actions":
        lines.append(
            f"Rows: one action per row ({actions} actions under {len(table.areas)} "
            f"recommendations), {how}."
        )
    else:
        lines.append(f"Rows: one area per ID ({len(table.areas)} areas), {how}.")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Agency registry (`--agencies FILE`)

_REGISTRY_HEADINGS: dict[str, tuple[str, ...]] = {
    "name": ("name", "agency", "agency name", "organisation", "organisation name", "partner",
             "full name", "service", "agencies", "organisations"),
    "short_name": ("short name", "short", "abbreviation", "acronym", "key", "code",
                   "short form", "initials"),
    "email": ("email", "e mail", "email address", "e mail address", "contact email",
              "contact e mail", "mail"),
    "aliases": ("aliases", "alias", "also known as", "other names", "aka"),
}  # fmt: skip
_REGISTRY_BY_NAME = {heading_key(n): k for k, names in _REGISTRY_HEADINGS.items() for n in names}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def parse_agency_registry(source: SourceFile) -> AgencyRegistry:
    """The agencies listed in a registry table: headings for name, short name, e-mail and
    (optionally) aliases, recognised loosely, in the first 10 rows of the first sheet that
    has them. Aliases in one cell are separated by ";" or new lines."""
    problems: list[Problem] = []
    found = _registry_header(source)
    if found is None:
        return AgencyRegistry(
            source.name,
            (),
            (
                _file_problem(
                    source,
                    "registry-no-header",
                    "",
                    "no heading row found. The first row needs headings such as 'Name', "
                    "'Short name' and 'E-mail'.",
                ),
            ),
        )
    sheet, header_row, cols = found
    agencies: list[RegistryAgency] = []
    seen: dict[str, str] = {}
    for row in sheet.rows[header_row:]:
        cells = {k: row[c - 1] for k, c in cols.items() if c <= len(row)}
        if all(c.is_blank for c in cells.values()):
            continue
        agency = _registry_row(source, cells, problems)
        if agency is None:
            continue
        for name in agency.names():
            norm = _agency_norm(name)
            if norm in seen and seen[norm] != agency.cell:
                problems.append(
                    _cell_problem(
                        source,
                        cells["name"],
                        "",
                        "registry-duplicate",
                        name,
                        f"'{name}' is listed twice (first at {seen[norm].split('!')[-1]}). "
                        "Keep one of them.",
                    )
                )
            seen.setdefault(norm, agency.cell)
        agencies.append(agency)
    return AgencyRegistry(source.name, tuple(agencies), tuple(problems))


def _registry_header(source: SourceFile) -> tuple[SourceSheet, int, dict[str, int]] | None:
    for sheet in source.sheets:
        for row in sheet.rows[:10]:
            cols: dict[str, int] = {}
            for cell in row:
                key = _REGISTRY_BY_NAME.get(heading_key(_heading_text(cell)))
                if key and key not in cols:
                    cols[key] = cell.col
            if "name" in cols:
                return sheet, row[0].row, cols
    return None


def _registry_row(
    source: SourceFile, cells: dict[str, SourceCell], problems: list[Problem]
) -> RegistryAgency | None:
    def text(key: str) -> str:
        cell = cells.get(key)
        return " ".join(value_text(cell.value).split()) if cell is not None else ""

    name_cell = cells["name"]
    if not text("name"):
        problems.append(
            _cell_problem(
                source,
                name_cell,
                "",
                "registry-no-name",
                "",
                f"row {name_cell.row} has no agency name. Add the name, or delete the row.",
            )
        )
        return None
    email = text("email")
    if email and not _EMAIL.fullmatch(email):
        problems.append(
            _cell_problem(
                source,
                cells["email"],
                "",
                "registry-email",
                email,
                f"'{email}' does not look like an e-mail address. Correct it, or leave the cell "
                "empty.",
                Severity.WARNING,
            )
        )
    alias_cell = cells.get("aliases")
    aliases = tuple(
        a
        for a in _HARD_SPLIT.split(value_text(alias_cell.value) if alias_cell else "")
        if a.strip()
    )
    return RegistryAgency(text("name"), text("short_name"), email, aliases, name_cell.address)
