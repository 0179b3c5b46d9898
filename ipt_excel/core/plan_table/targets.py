"""The plan columns a heading can mean (`TARGETS`) and their usual names: the one synonym
table, and `--map "Heading=column"` read against it.

Decisions, written down once:

- **Headings, recognised.** A heading is recognised by the usual names of each column
  (`TARGETS`), ignoring case, spacing and punctuation, then with any "(…)" part left out
  ("RAG (Red/Amber/Green)"), then by a leading phrase for columns whose heading carries a
  date ("Progress at 31 March").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ipt_excel.errors import UsageError


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
