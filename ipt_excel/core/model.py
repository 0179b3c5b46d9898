"""The plan model: plain, immutable dataclasses. No I/O, no Excel.

Everything else (readers, writers, validation, merge) takes and returns these. Text is kept
verbatim: the tool never "tidies" what a council wrote, because the plan is a public record.

An area's values are records keyed by column (core/columns.py): `text` for plan text,
`updates` for the update fields. Nothing here names a column but the structure every plan
has: an ID, a theme and the agencies an area belongs to.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from ipt_excel.core.text import (
    EXCEL_CELL_LIMIT,
    excel_length,
    id_sort_key,
    norm_name,
    slugify,
)

if TYPE_CHECKING:
    from ipt_excel.core.columns import ColumnSet

__all__ = [
    "BLUE",
    "DEFAULT_RAG_SCALE",
    "EXCEL_CELL_LIMIT",
    "NOT_RATED",
    "Agency",
    "AgencyUpdate",
    "Area",
    "Change",
    "Conflict",
    "GlossaryEntry",
    "Plan",
    "Round",
    "Theme",
    "excel_length",
    "id_sort_key",
    "slugify",
]

DEFAULT_RAG_SCALE: tuple[str, ...] = ("RED", "AMBER", "GREEN")
BLUE = "BLUE"  # an optional "complete" level a plan may declare after GREEN
NOT_RATED = ""


@dataclass(frozen=True)
class Theme:
    id: str
    title: str

    @property
    def label(self) -> str:
        """The theme as shown: "1. Practice and management". A title that already carries its
        number ("1. Weakness", "Theme 1") is shown as it is, not numbered twice."""
        title = self.title.strip()
        if not title or title == self.id:
            return self.id
        number = re.escape(self.id)
        if re.match(rf"{number}[.:)]?\s", title) or re.fullmatch(rf"[^\W\d]+\s+{number}", title):
            return title
        return f"{self.id}. {title}"

    @property
    def labels(self) -> tuple[str, ...]:
        """Every way a master has shown the theme: its label, and the label as earlier
        versions wrote it ("1. 1. Weakness"), so their masters still read back."""
        return tuple(dict.fromkeys((self.label, f"{self.id}. {self.title}")))


@dataclass(frozen=True)
class Agency:
    """A partner agency. `key` is short and stable: it names return files and manifests."""

    key: str
    name: str
    aliases: tuple[str, ...] = ()
    email: str = ""

    @property
    def slug(self) -> str:
        return slugify(self.key)

    def names(self) -> tuple[str, ...]:
        return (self.key, self.name, *self.aliases)


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    meaning: str


@dataclass(frozen=True)
class Round:
    """A review round: its name ("Second review of progress") and the date it reviews at."""

    name: str
    date: dt.date
    due: dt.date | None = None

    @property
    def slug(self) -> str:
        return slugify(self.name)


@dataclass(frozen=True)
class Area:
    """One area for improvement (or one action row): its plan text and its update values,
    each keyed by column. A key missing from a record is an empty value."""

    id: str
    theme: str = ""
    agencies: tuple[str, ...] = ()  # Agency keys
    text: Mapping[str, str] = field(default_factory=dict)  # plan text, by column key
    updates: Mapping[str, str] = field(default_factory=dict)  # update values, by column key
    parent: str = ""  # an action row's recommendation ID ("" for an area)

    def __post_init__(self) -> None:
        # An empty value and a missing one are the same: keep one form, so areas compare
        # equal however they were read.
        object.__setattr__(self, "text", {k: v for k, v in self.text.items() if v})
        object.__setattr__(self, "updates", {k: v for k, v in self.updates.items() if v})

    def value(self, key: str) -> str:
        """The area's value in any column (update or plan text), "" when it has none."""
        if key in self.updates:
            return self.updates[key]
        return self.text.get(key, "")

    def with_updates(self, values: Mapping[str, str]) -> Area:
        return replace(self, updates={**self.updates, **values})


@dataclass(frozen=True)
class AgencyUpdate:
    """One agency's own update to a shared area, kept so no agency's words are lost."""

    area_id: str
    agency: str  # Agency key
    round: str  # round name
    values: Mapping[str, str] = field(default_factory=dict)  # update values, by column key
    updated_at: datetime | None = None
    source_sha256: str = ""
    changed: tuple[str, ...] = ()  # the columns this agency changed from the values issued
    # Of those, the ones not applied because the master had been changed by hand since issue:
    # the coordinator's edit stands, and this agency's value is not part of the cell.
    held: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", {k: v for k, v in self.values.items() if v})

    @property
    def applied(self) -> tuple[str, ...]:
        return tuple(c for c in self.changed if c not in self.held)

    def value(self, key: str) -> str:
        return self.values.get(key, "")


def _default_columns() -> ColumnSet:
    from ipt_excel.core.columns import DEFAULT_COLUMNS

    return DEFAULT_COLUMNS


@dataclass(frozen=True)
class Plan:
    title: str
    organisation: str
    inspection: str
    round: Round
    status: str = ""
    sign_off_name: str = ""
    sign_off_role: str = ""
    protective_marking: str = ""
    coordinator_email: str = ""
    # Whether each return asks who completed it and for their confirmation (core/sign_off.py).
    return_sign_off: bool = True
    notes: tuple[str, ...] = ()
    rag_scale: tuple[str, ...] = DEFAULT_RAG_SCALE
    themes: tuple[Theme, ...] = ()
    agencies: tuple[Agency, ...] = ()
    areas: tuple[Area, ...] = ()
    glossary: tuple[GlossaryEntry, ...] = ()
    agency_updates: tuple[AgencyUpdate, ...] = field(default=())
    columns: ColumnSet = field(default_factory=_default_columns)
    # How the plan was imported from a table, so a re-import reads it the same way:
    # ("file", name), ("sheet", name), ("rows", mode), ("map", "Heading=column"), ...
    imported: tuple[tuple[str, str], ...] = ()
    # Indexes, built once per plan: areas by ID, agencies by every name they go by.
    _areas: dict[str, Area] = field(init=False, compare=False, repr=False)
    _names: dict[str, Agency] = field(init=False, compare=False, repr=False)
    _keys: dict[str, Agency] = field(init=False, compare=False, repr=False)
    # Areas by agency key, made on first use (every command asks it for every agency).
    _by_agency: dict[str, tuple[Area, ...]] | None = field(
        init=False, compare=False, repr=False, default=None
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_areas", {a.id: a for a in reversed(self.areas)})
        object.__setattr__(self, "_keys", {a.key: a for a in reversed(self.agencies)})
        names: dict[str, Agency] = {}
        for ag in reversed(self.agencies):  # the first agency to use a name keeps it
            for n in ag.names():
                names[norm_name(n)] = ag
        object.__setattr__(self, "_names", names)

    # -- look-ups -------------------------------------------------------------------------
    def area(self, area_id: str) -> Area:
        return self._areas[area_id]

    def find_area(self, area_id: str) -> Area | None:
        return self._areas.get(area_id)

    def agency(self, key: str) -> Agency:
        return self._keys[key]

    def agency_name(self, key: str) -> str:
        """An agency's name, or the key itself when the agency has left the plan."""
        try:
            return self.agency(key).name
        except KeyError:
            return key

    def theme(self, theme_id: str) -> Theme | None:
        return next((t for t in self.themes if t.id == theme_id), None)

    def areas_for(self, agency_key: str) -> tuple[Area, ...]:
        if self._by_agency is None:
            found: dict[str, list[Area]] = {}
            for a in self.areas:
                for key in dict.fromkeys(a.agencies):
                    found.setdefault(key, []).append(a)
            object.__setattr__(self, "_by_agency", {k: tuple(v) for k, v in found.items()})
        assert self._by_agency is not None
        return self._by_agency.get(agency_key, ())

    def resolve_agency(self, text: str) -> Agency | None:
        """Find an agency by key, name or alias, ignoring case and spacing."""
        return self._names.get(norm_name(text))

    def rag_rank(self, rag: str) -> int:
        """Position on the scale (0 = worst); unrated sorts before everything."""
        return self.rag_scale.index(rag) if rag in self.rag_scale else -1

    def rag_of(self, area: Area) -> str:
        return area.value("rag")

    def with_areas(self, areas: tuple[Area, ...]) -> Plan:
        return replace(self, areas=areas)


@dataclass(frozen=True)
class Change:
    """One value of one area changed by a merged return (or by a hand edit, agency '')."""

    round: str
    agency: str  # Agency key
    area_id: str
    column: str  # the column's key
    old: str
    new: str
    merged_at: datetime
    source_file: str = ""
    source_sha256: str = ""
    superseded: bool = False  # a later return from the same agency replaced it


@dataclass(frozen=True)
class Conflict:
    """The master changed since issue and the agency changed the same value differently."""

    round: str
    agency: str
    area_id: str
    column: str  # the column's key
    issued: str  # the value as issued to the agency
    master: str  # the master's value now
    theirs: str  # what the agency sent
    found_at: datetime
    source_file: str = ""
    source_sha256: str = ""
