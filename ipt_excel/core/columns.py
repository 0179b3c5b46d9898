"""The ONE column specification.

Every column of every sheet that holds plan rows is described here, once: its header, width,
whether it is plan text (locked in a return) or an update cell (open in a return), what values
it allows and how a cell's text maps to the model. The master writer and reader, the return
writer and reader, and the pandera schemas are all built from these tuples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ipt_excel.core.model import EXCEL_CELL_LIMIT, Area, Plan


class Kind(StrEnum):
    ID = "id"  # written as text, read as a string: "1.10" is not "1.1"
    TEXT = "text"
    THEME = "theme"
    AGENCIES = "agencies"  # one agency per line
    ACTIONS = "actions"  # main action + "Underpinned by:" + "Supplemented by:" lists
    RAG = "rag"  # one of the plan's RAG scale, or empty
    REVIEW_DATE = "review-date"  # a month, a date, or "Not required"
    DERIVED = "derived"  # computed for display, never read back


class Access(StrEnum):
    LOCKED = "locked"  # plan text: shown for reference, cannot be edited
    OPEN = "open"  # an update cell the agency fills in


@dataclass(frozen=True)
class Column:
    key: str  # unique name of the column
    header: str  # exactly what the header cell says
    width: float  # Excel column width, in characters
    kind: Kind
    field: str = ""  # the Area attribute it holds ("" for derived columns)
    in_master: bool = True
    in_return: Access | None = None  # None: not in a return
    required_in_source: bool = False  # an imported plan table must have it
    max_chars: int = EXCEL_CELL_LIMIT
    help: str = ""  # the input message shown when an agency selects an open cell
    source_headers: tuple[str, ...] = ()  # other headings accepted when importing a table

    @property
    def is_update(self) -> bool:
        return self.in_return is Access.OPEN


# The columns of the master's Plan sheet, in order. The return uses a subset (see RETURN_COLUMNS).
PLAN_COLUMNS: tuple[Column, ...] = (
    Column("id", "ID", 6, Kind.ID, "id", in_return=Access.LOCKED, required_in_source=True),
    Column("theme", "Theme", 12, Kind.THEME, "theme"),
    Column(
        "title",
        "Area for improvement",
        30,
        Kind.TEXT,
        "title",
        in_return=Access.LOCKED,
        required_in_source=True,
    ),
    Column("timescale", "Timescale", 10, Kind.TEXT, "timescale"),
    Column("practice_standards", "Practice standards", 16, Kind.TEXT, "practice_standards"),
    Column("agencies", "Agencies", 16, Kind.AGENCIES, "agencies", source_headers=("Agency",)),
    Column(
        "actions",
        "Actions",
        44,
        Kind.ACTIONS,
        "action",
        in_return=Access.LOCKED,
        required_in_source=True,
    ),
    Column("leads", "Lead", 16, Kind.TEXT, "leads", in_return=Access.LOCKED),
    Column(
        "completion",
        "Date for completion",
        13,
        Kind.TEXT,
        "completion",
        in_return=Access.LOCKED,
        source_headers=("Date for completion",),
    ),
    # Each action with its parsed date, where the source lets them be paired (derived).
    Column("action_dates", "Action dates", 24, Kind.DERIVED, in_return=Access.LOCKED),
    Column("assurance", "Assurance measures", 26, Kind.TEXT, "assurance", in_return=Access.LOCKED),
    Column("outcome", "Desired outcome", 24, Kind.TEXT, "outcome", in_return=Access.LOCKED),
    Column(
        "progress",
        "Progress",
        44,
        Kind.TEXT,
        "progress",
        in_return=Access.OPEN,
        help="Say what has been done since the last review. Keep it short and factual.",
        source_headers=("Progress at (Inc RAG rating)", "Progress at"),
    ),
    Column(
        "rag",
        "RAG",
        9,
        Kind.RAG,
        "rag",
        in_return=Access.OPEN,
        help="Pick RED, AMBER or GREEN from the list.",
        source_headers=("RAG rating",),
    ),
    Column(
        "evidence",
        "Evidence of impact",
        32,
        Kind.TEXT,
        "evidence",
        in_return=Access.OPEN,
        help="Say what difference the work has made, and how you know.",
    ),
    Column(
        "next_review",
        "Date of next review",
        12,
        Kind.REVIEW_DATE,
        "next_review",
        in_return=Access.OPEN,
        help="Pick a month from the list, type a date like 26/09/2012, or pick Not required.",
    ),
)

COLUMNS_BY_KEY: dict[str, Column] = {c.key: c for c in PLAN_COLUMNS}
UPDATE_COLUMNS: tuple[Column, ...] = tuple(c for c in PLAN_COLUMNS if c.is_update)

# Columns that exist only in a return: the issued values, locked, for reference beside the
# open cells (so an agency can see what it said last time after overwriting it), and the
# other agencies an area is shared with.
SHARED_WITH = Column("shared_with", "Shared with", 18, Kind.DERIVED, in_master=False)
ISSUED_PROGRESS = Column(
    "issued_progress", "Progress at last review", 40, Kind.TEXT, "progress", in_master=False
)
ISSUED_RAG = Column("issued_rag", "RAG at last review", 10, Kind.RAG, "rag", in_master=False)


def _return_columns() -> tuple[Column, ...]:
    locked = [c for c in PLAN_COLUMNS if c.in_return is Access.LOCKED]
    return (locked[0], SHARED_WITH, *locked[1:], ISSUED_PROGRESS, ISSUED_RAG, *UPDATE_COLUMNS)


# The columns of a return's table, in order: ID first, then the locked plan text, then the
# four open update cells last so the agency's work is in one block on the right.
RETURN_COLUMNS: tuple[Column, ...] = _return_columns()

# Columns of the master that are derived for readers, never read back.
OVERDUE = Column("overdue", "Overdue", 10, Kind.DERIVED, in_master=True)

UNDERPINNED = "Underpinned by:"
SUPPLEMENTED = "Supplemented by:"
BULLET = "• "


# -- cell text <-> model ----------------------------------------------------------------------
def actions_text(area: Area) -> str:
    """The Actions cell: the main action, then the underpinning and supplementing lists."""
    parts = [area.action]
    for heading, items in (
        (UNDERPINNED, area.underpinned_by),
        (SUPPLEMENTED, area.supplemented_by),
    ):
        if items:
            parts.append(heading)
            parts.extend(BULLET + item for item in items)
    return "\n".join(parts)


def parse_actions(text: str) -> dict[str, object]:
    """Invert `actions_text`. Lines that are exactly a heading start a list; bullets are items."""
    main: list[str] = []
    lists: dict[str, list[str]] = {UNDERPINNED: [], SUPPLEMENTED: []}
    current: list[str] | None = None
    for line in text.split("\n"):
        if line in lists:
            current = lists[line]
        elif current is not None and line.startswith(BULLET):
            current.append(line[len(BULLET) :])
        elif current is not None and current:
            current[-1] += "\n" + line  # a hand-typed continuation of the last item
        else:
            main.append(line)
    return {
        "action": "\n".join(main),
        "underpinned_by": tuple(lists[UNDERPINNED]),
        "supplemented_by": tuple(lists[SUPPLEMENTED]),
    }


def agencies_text(plan: Plan, keys: tuple[str, ...]) -> str:
    names = []
    for key in keys:
        try:
            names.append(plan.agency(key).name)
        except KeyError:
            names.append(key)
    return "\n".join(names)


def theme_text(plan: Plan, theme_id: str) -> str:
    theme = plan.theme(theme_id)
    return theme.label if theme else theme_id


def cell_text(plan: Plan, area: Area, column: Column) -> str:
    """What a plan row shows in `column`, as text (IDs and everything else are text)."""
    render: dict[Kind, Callable[[], str]] = {
        Kind.ACTIONS: lambda: actions_text(area),
        Kind.AGENCIES: lambda: agencies_text(plan, area.agencies),
        Kind.THEME: lambda: theme_text(plan, area.theme),
        Kind.DERIVED: lambda: _derived_text(area, column),
    }
    if column.kind in render:
        return render[column.kind]()
    return str(getattr(area, column.field))


def _derived_text(area: Area, column: Column) -> str:
    if column.key == "action_dates":
        from ipt_excel.core.actions import schedule_text

        return schedule_text(area)
    return ""


def header_index(headers: list[str], columns: tuple[Column, ...]) -> dict[str, int]:
    """Map column keys to positions in a header row, accepting each column's other headings."""
    wanted: dict[str, str] = {}
    for col in columns:
        for h in (col.header, *col.source_headers):
            wanted.setdefault(_header_norm(h), col.key)
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        key = wanted.get(_header_norm(h))
        if key is not None and key not in found:
            found[key] = i
    return found


def _header_norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()
