"""A plan's columns, as data: the ONE description every reader, writer, schema and merge uses.

A `ColumnSet` is the columns of one plan, in order, and the cross-column rules between them
("a RAG needs progress"). Each `Column` is plan text (locked in a return) or an update field
(open in a return), of a `Kind` whose behaviour is written once, in core/kinds.py. The
default set is the bundled plan's; a plan file's `columns:` list adds to it, renames or drops
its columns (`apply_overrides`), and nothing else in the code names an update field.

Some keys have a meaning the tool relies on, whatever the column is called in a plan: `id`,
`theme`, `agencies` (structure), `title`, `actions`, `leads`, `completion`, `assurance`,
`outcome` (read by lint, the action schedule and the overdue flags when present), and the
RAG column `rag` (the Summary's counts). A plan may rename them; it may drop any but `id`,
`agencies` and `rag`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from ipt_excel.core.text import EXCEL_CELL_LIMIT, slugify
from ipt_excel.errors import ColumnSetError


class Kind(StrEnum):
    ID = "id"  # written as text, read as a string: "1.10" is not "1.1"
    PARENT = "recommendation"  # an action row's recommendation ID (action-row plans)
    THEME = "theme"
    AGENCIES = "agencies"  # one agency per line
    ACTIONS = "actions"  # main action + "Underpinned by:" + "Supplemented by:" lists
    TEXT = "text"
    RAG = "rag"  # one of the plan's RAG scale, or empty
    CHOICE = "choice"  # one of the column's choices, kept on the hidden Lists sheet
    REVIEW = "month-or-date"  # a month, a date, or "Not required" (the date of next review)
    DATE = "date"  # a day
    NUMBER = "number"
    PERCENT = "percent"  # a number from 0 to 100
    DERIVED = "derived"  # computed for display, never read back


UPDATE_KINDS = frozenset(
    {Kind.TEXT, Kind.RAG, Kind.CHOICE, Kind.REVIEW, Kind.DATE, Kind.NUMBER, Kind.PERCENT}
)
PLAN_TEXT_KINDS = frozenset(
    {Kind.ID, Kind.PARENT, Kind.THEME, Kind.AGENCIES, Kind.ACTIONS, Kind.TEXT, Kind.DERIVED}
)
# Kinds that are an area's structure (its own attributes), not values in its records.
STRUCTURE_KINDS = frozenset({Kind.ID, Kind.PARENT, Kind.THEME, Kind.AGENCIES})


class Combine(StrEnum):
    """How a shared area's cell is made from several agencies' values."""

    KEPT = "kept"  # each agency's value, labelled with its name
    WORST = "worst"  # the worst on the RAG scale, or the first in a choice list
    SOONEST = "soonest"
    LATEST = "latest"
    MEAN = "mean"


DEFAULT_COMBINE: dict[Kind, Combine] = {
    Kind.TEXT: Combine.KEPT,
    Kind.RAG: Combine.WORST,
    Kind.CHOICE: Combine.KEPT,
    Kind.REVIEW: Combine.SOONEST,
    Kind.DATE: Combine.SOONEST,
    Kind.NUMBER: Combine.MEAN,
    Kind.PERCENT: Combine.MEAN,
}
# Combinations that make sense for each kind (KEPT always does).
ALLOWED_COMBINE: dict[Kind, frozenset[Combine]] = {
    Kind.TEXT: frozenset({Combine.KEPT}),
    Kind.RAG: frozenset({Combine.KEPT, Combine.WORST}),
    Kind.CHOICE: frozenset({Combine.KEPT, Combine.WORST}),
    Kind.REVIEW: frozenset({Combine.KEPT, Combine.SOONEST, Combine.LATEST}),
    Kind.DATE: frozenset({Combine.KEPT, Combine.SOONEST, Combine.LATEST}),
    Kind.NUMBER: frozenset({Combine.KEPT, Combine.MEAN}),
    Kind.PERCENT: frozenset({Combine.KEPT, Combine.MEAN}),
}


@dataclass(frozen=True)
class Column:
    key: str  # unique and stable: names the value in manifests, the ledger and snapshots
    header: str  # exactly what the header cell says
    kind: Kind = Kind.TEXT
    update: bool = False  # an update field: open in a return, changed each round
    width: float = 16  # Excel column width, in characters
    help: str = ""  # the input message an agency sees on an open cell ("" = the kind's)
    in_return: bool = True  # plan text: shown, locked, in returns
    in_master: bool = True
    choices: tuple[str, ...] = ()  # for a choice column, in order
    combine: Combine | None = None  # None: the kind's default
    last_review: bool = False  # a return shows the value as issued beside the open cell
    source_headers: tuple[str, ...] = ()  # other headings that mean this column in a table

    def __post_init__(self) -> None:
        object.__setattr__(self, "width", float(self.width))  # 16 and 16.0: one column

    @property
    def is_update(self) -> bool:
        return self.update

    @property
    def combine_rule(self) -> Combine:
        return self.combine or DEFAULT_COMBINE.get(self.kind, Combine.KEPT)

    @property
    def max_chars(self) -> int:
        return EXCEL_CELL_LIMIT

    def to_dict(self) -> dict[str, Any]:
        """Only what differs from a plain text column, so plan files stay short."""
        out: dict[str, Any] = {"key": self.key, "header": self.header, "kind": self.kind.value}
        for name, default in _COLUMN_DEFAULTS.items():
            value = getattr(self, name)
            if value != default:
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                out[name] = list(value) if isinstance(value, tuple) else value
        if self.combine is not None:
            out["combine"] = self.combine.value
        return out


_COLUMN_DEFAULTS: dict[str, object] = {
    "update": False,
    "width": 16,
    "help": "",
    "in_return": True,
    "in_master": True,
    "choices": (),
    "last_review": False,
    "source_headers": (),
}
_COLUMN_FIELDS = {*_COLUMN_DEFAULTS, "key", "header", "kind", "combine"}


def column_from_dict(raw: Mapping[str, Any], where: str = "a column") -> Column:
    """Build a column from a plan file's or a snapshot's mapping; ColumnSetError if wrong."""
    unknown = sorted(set(raw) - _COLUMN_FIELDS)
    if unknown:
        raise ColumnSetError(
            f"{where} has unknown setting(s) {', '.join(unknown)}. A column may have: "
            f"{', '.join(sorted(_COLUMN_FIELDS))}."
        )
    header = str(raw.get("header") or "").strip()
    if not header:
        raise ColumnSetError(
            f"{where} has no header. Give it one, like 'header: Risks and issues'."
        )
    key = str(raw.get("key") or key_for(header))
    try:
        kind = Kind(str(raw.get("kind", Kind.TEXT.value)).strip().lower())
    except ValueError:
        raise ColumnSetError(
            f"The column '{header}' has the kind '{raw.get('kind')}'. Use one of: "
            f"{', '.join(k.value for k in Kind if k is not Kind.DERIVED)}."
        ) from None
    combine = raw.get("combine")
    try:
        combine_rule = Combine(str(combine).strip().lower()) if combine else None
    except ValueError:
        raise ColumnSetError(
            f"The column '{header}' has combine '{combine}'. Use one of: "
            f"{', '.join(c.value for c in Combine)}."
        ) from None
    values: dict[str, Any] = {}
    for name, default in _COLUMN_DEFAULTS.items():
        if name not in raw or raw[name] is None:
            continue
        value = raw[name]
        if isinstance(default, bool):
            value = _as_bool(value, header, name)
        elif isinstance(default, tuple):
            if isinstance(value, str):
                value = [v for v in value.split("\n") if v.strip()]
            value = tuple(str(v).strip() for v in value)
        elif isinstance(default, int | float) and not isinstance(default, bool):
            value = float(value)
        else:
            value = str(value)
        values[name] = value
    return Column(key=key, header=header, kind=kind, combine=combine_rule, **values)


def _as_bool(value: object, header: str, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in ("yes", "true", "y", "1"):
        return True
    if text in ("no", "false", "n", "0", ""):
        return False
    raise ColumnSetError(f"The column '{header}' has {name}: '{value}'. Use yes or no.")


def key_for(header: str) -> str:
    """A column key from a heading: "% complete" -> "percent_complete"."""
    text = header.replace("%", " percent ").replace("&", " and ")
    return slugify(text).replace("-", "_") or "column"


@dataclass(frozen=True)
class CrossRule:
    """A rule between two columns of a row: `needs` must be filled when `when` is filled (or,
    with `equals`, when `when` holds that value, as the kind normalises it)."""

    needs: str
    when: str
    equals: str = ""
    message: str = ""  # what an agency reads; "" = made from the headers

    @property
    def code(self) -> str:
        return f"{self.needs.replace('_', '-')}-required"

    def describe(self) -> str:
        """One line: "evidence needed when rag is GREEN"."""
        condition = f"is {self.equals}" if self.equals else "is filled"
        return f"{self.needs} needed when {self.when} {condition}"

    def as_text(self) -> str:
        """As the master's Details sheet keeps it (parse_rule reads it back): the rule, and its
        message on the lines after."""
        return self.describe() + (f"\n{self.message}" if self.message else "")

    def text_for(self, columns: ColumnSet) -> str:
        if self.message:
            return self.message
        needs, when = columns[self.needs].header, columns[self.when].header
        if self.equals:
            return f"Enter the {needs.lower()}. An area with {when} {self.equals} needs it."
        return f"Enter the {needs.lower()}. An area with a {when} needs it."

    def to_dict(self) -> dict[str, str]:
        out = {"needs": self.needs, "when": self.when}
        if self.equals:
            out["is"] = self.equals
        if self.message:
            out["message"] = self.message
        return out


_RULE_LINE = re.compile(r"^\s*(\S+)\s+needed\s+when\s+(\S+)\s+is\s+(.+?)\s*$", re.I)


def parse_rule(text: str) -> CrossRule:
    """Read a rule as CrossRule.as_text writes it: "evidence needed when rag is GREEN", then
    any message on the lines after."""
    first, _, message = text.strip().partition("\n")
    m = _RULE_LINE.match(first)
    if not m:
        raise ColumnSetError(
            f"The rule '{text}' cannot be read. Write it like 'evidence needed when rag is "
            f"GREEN' or 'progress needed when rag is filled'."
        )
    needs, when, value = m.groups()
    return CrossRule(needs, when, "" if value.casefold() == "filled" else value, message.strip())


def rule_from_dict(raw: Mapping[str, Any] | str) -> CrossRule:
    if isinstance(raw, str):
        return parse_rule(raw)
    unknown = sorted(set(raw) - {"needs", "when", "is", "message"})
    if unknown or not raw.get("needs") or not raw.get("when"):
        raise ColumnSetError(
            f"A rule needs 'needs:' and 'when:' (and may have 'is:' and 'message:'), not "
            f"{', '.join(sorted(map(str, raw)))}."
        )
    return CrossRule(
        str(raw["needs"]), str(raw["when"]), str(raw.get("is") or ""), str(raw.get("message") or "")
    )


@dataclass(frozen=True)
class ColumnSet:
    """The columns of one plan, in order, and the rules between them."""

    columns: tuple[Column, ...]
    rules: tuple[CrossRule, ...] = ()
    _by_key: dict[str, Column] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {c.key: c for c in self.columns})
        _check(self)

    # -- look-ups -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __getitem__(self, key: str) -> Column:
        return self._by_key[key]

    def get(self, key: str) -> Column | None:
        return self._by_key.get(key)

    def header(self, key: str) -> str:
        """The header of a column; a key no longer in the set is shown as it is."""
        column = self._by_key.get(key)
        return column.header if column else key

    @property
    def updates(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.update)

    @property
    def plan_text(self) -> tuple[Column, ...]:
        """The plan text stored with each area (not derived, not structure)."""
        return tuple(
            c
            for c in self.columns
            if not c.update and c.kind not in STRUCTURE_KINDS and c.kind is not Kind.DERIVED
        )

    @property
    def rag(self) -> Column:
        return self._by_key["rag"]

    @property
    def master(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.in_master)

    @property
    def fingerprint(self) -> str:
        """Short and stable: the same set always gives the same fingerprint."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": [c.to_dict() for c in self.columns],
            "rules": [r.to_dict() for r in self.rules],
        }

    def with_columns(self, columns: Sequence[Column]) -> ColumnSet:
        """The same rules over other columns; rules whose columns are gone are dropped."""
        keys = {c.key for c in columns}
        rules = tuple(r for r in self.rules if r.needs in keys and r.when in keys)
        return ColumnSet(tuple(columns), rules)


def _check(cs: ColumnSet) -> None:
    seen_keys: set[str] = set()
    seen_headers: dict[str, str] = {}
    for c in cs.columns:
        if c.key in seen_keys:
            raise ColumnSetError(f"Two columns have the key '{c.key}'. Give each its own key.")
        seen_keys.add(c.key)
        folded = " ".join(c.header.split()).casefold()
        if folded in seen_headers:
            raise ColumnSetError(f"Two columns are headed '{c.header}'. Give each its own header.")
        seen_headers[folded] = c.key
        if c.update and c.kind not in UPDATE_KINDS:
            raise ColumnSetError(
                f"The column '{c.header}' is an update field of kind '{c.kind}', which agencies "
                f"cannot fill in. Use one of: {', '.join(sorted(k.value for k in UPDATE_KINDS))}."
            )
        if c.kind is Kind.CHOICE and not c.choices:
            raise ColumnSetError(
                f"The column '{c.header}' is a choice but has no choices. List them, like "
                f"'choices: [Not started, On track, Off track, Complete]'."
            )
        if c.kind is Kind.CHOICE and any("," in choice for choice in c.choices):
            # A comma is also how Excel would split a typed list; keep the lists clean.
            bad = next(choice for choice in c.choices if "," in choice)
            raise ColumnSetError(
                f"The choice '{bad}' of the column '{c.header}' has a comma in it. Remove the "
                f"comma, or use a dash instead."
            )
        if c.combine is not None and c.combine not in ALLOWED_COMBINE.get(c.kind, {c.combine}):
            allowed = ", ".join(sorted(x.value for x in ALLOWED_COMBINE[c.kind]))
            raise ColumnSetError(
                f"The column '{c.header}' cannot combine agencies' values by '{c.combine}'. "
                f"For a {c.kind} column use one of: {allowed}."
            )
    for key, kind in (("id", Kind.ID), ("agencies", Kind.AGENCIES), ("rag", Kind.RAG)):
        column = cs.get(key)
        if column is None or column.kind is not kind:
            raise ColumnSetError(
                f"A plan needs its '{key}' column (kind {kind}). Rename it if you like, but "
                f"do not drop it."
            )
    if not cs.rag.update:
        raise ColumnSetError("The RAG column must be an update field (update: yes).")
    for rule in cs.rules:
        for key in (rule.needs, rule.when):
            if key not in cs:
                raise ColumnSetError(
                    f"The rule '{rule.describe()}' names the column '{key}', which the plan "
                    f"does not have. Remove the rule or add the column."
                )


# -- the default set: the bundled plan's columns ------------------------------------------------
DEFAULT_COLUMN_LIST: tuple[Column, ...] = (
    Column("id", "ID", Kind.ID, width=6),
    Column("theme", "Theme", Kind.THEME, width=12, in_return=False),
    Column("title", "Area for improvement", width=30),
    Column("timescale", "Timescale", width=10, in_return=False),
    Column("practice_standards", "Practice standards", width=16, in_return=False),
    Column(
        "agencies", "Agencies", Kind.AGENCIES, width=16, in_return=False, source_headers=("Agency",)
    ),
    Column("actions", "Actions", Kind.ACTIONS, width=44),
    Column("leads", "Lead", width=16),
    Column("completion", "Date for completion", width=13),
    # Each action with its parsed date, where the source lets them be paired.
    Column("action_dates", "Action dates", Kind.DERIVED, width=24),
    Column("assurance", "Assurance measures", width=26),
    Column("outcome", "Desired outcome", width=24),
    Column(
        "progress",
        "Progress",
        update=True,
        width=44,
        last_review=True,
        help="Say what has been done since the last review. Keep it short and factual.",
        source_headers=("Progress at (Inc RAG rating)", "Progress at"),
    ),
    Column(
        "rag",
        "RAG",
        Kind.RAG,
        update=True,
        width=9,
        last_review=True,
        source_headers=("RAG rating",),
    ),
    Column(
        "evidence",
        "Evidence of impact",
        update=True,
        width=32,
        help="Say what difference the work has made, and how you know.",
    ),
    Column("next_review", "Date of next review", Kind.REVIEW, update=True, width=12),
)

PROGRESS_RULE = CrossRule(
    "progress",
    "rag",
    message="Enter the progress made since the last review. An area with a RAG rating needs "
    "a progress update.",
)
EVIDENCE_RULE = CrossRule(
    "evidence",
    "rag",
    "GREEN",
    message="Enter the evidence of impact. An area rated GREEN needs evidence of the difference "
    "the work has made.",
)
DEFAULT_RULES: tuple[CrossRule, ...] = (PROGRESS_RULE, EVIDENCE_RULE)
DEFAULT_COLUMNS = ColumnSet(DEFAULT_COLUMN_LIST, DEFAULT_RULES)


def column_set_from_dict(raw: Mapping[str, Any]) -> ColumnSet:
    """A whole set, as ColumnSet.to_dict gives it (snapshots, manifests, the master)."""
    columns = tuple(
        column_from_dict(c, f"column {n}") for n, c in enumerate(raw.get("columns") or (), 1)
    )
    rules = tuple(rule_from_dict(r) for r in raw.get("rules") or ())
    return ColumnSet(columns, rules)


def apply_overrides(
    base: ColumnSet,
    entries: Sequence[Mapping[str, Any]],
    rules: Sequence[Mapping[str, Any] | str] | None = None,
) -> ColumnSet:
    """A plan file's `columns:` list applied to `base` (the default set).

    An entry whose `key` names a column of `base` changes it (any setting, `header` to rename
    it) or, with `drop: yes`, removes it. Any other entry is a new column: its key is its
    `key`, or made from its header; it goes after the column named by `after:`, else at the
    end of the plan text (plan text) or of the update fields (an update field). `rules`, when
    given, replaces the base's rules.
    """
    columns = list(base.columns)
    for n, raw in enumerate(entries, start=1):
        where = f"Entry {n} of 'columns'"
        if not isinstance(raw, Mapping):
            raise ColumnSetError(f"{where} is not a column. Write it as 'header: ...' and so on.")
        entry = dict(raw)
        after = entry.pop("after", None)
        drop = _as_bool(
            entry.pop("drop", False), str(entry.get("header", entry.get("key"))), "drop"
        )
        key = entry.get("key")
        existing = next((i for i, c in enumerate(columns) if key and c.key == key), None)
        if existing is None and key is None:
            header = str(entry.get("header") or "")
            existing = next(
                (
                    i
                    for i, c in enumerate(columns)
                    if " ".join(c.header.split()).casefold() == " ".join(header.split()).casefold()
                ),
                None,
            )
        if drop:
            if existing is None:
                raise ColumnSetError(
                    f"{where} drops the column '{key or entry.get('header')}', which the plan "
                    f"does not have. Check the key."
                )
            del columns[existing]
            continue
        if existing is not None:
            merged = {**columns[existing].to_dict(), **entry}
            if "combine" in columns[existing].to_dict() and "combine" not in entry:
                merged["combine"] = columns[existing].combine
            columns[existing] = column_from_dict(merged, where)
            if after is not None:
                column = columns.pop(existing)
                columns.insert(_position(columns, str(after), where), column)
            continue
        column = column_from_dict(entry, where)
        if after is not None:
            position = _position(columns, str(after), where)
        elif column.update:
            position = len(columns)
        else:
            position = max((i + 1 for i, c in enumerate(columns) if not c.update), default=0)
        columns.insert(position, column)
    result = base.with_columns(columns)
    if rules is not None:
        result = ColumnSet(result.columns, tuple(rule_from_dict(r) for r in rules))
    return result


def _position(columns: list[Column], after: str, where: str) -> int:
    for i, c in enumerate(columns):
        if c.key == after or c.header.casefold() == after.casefold():
            return i + 1
    raise ColumnSetError(f"{where} goes after '{after}', which is not a column of the plan.")


def replace_header(column: Column, header: str) -> Column:
    return replace(column, header=header)
