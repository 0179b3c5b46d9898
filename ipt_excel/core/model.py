"""The plan model: plain, immutable dataclasses. No I/O, no Excel.

Everything else (readers, writers, validation, merge) takes and returns these. Text is kept
verbatim: the tool never "tidies" what a council wrote, because the plan is a public record.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime

DEFAULT_RAG_SCALE: tuple[str, ...] = ("RED", "AMBER", "GREEN")
BLUE = "BLUE"  # an optional "complete" level a plan may declare after GREEN
NOT_RATED = ""

# Excel's hard limit for the text in one cell, in UTF-16 code units (see excel_length).
EXCEL_CELL_LIMIT = 32_767


def excel_length(text: str) -> int:
    """Length as Excel counts it: UTF-16 code units, so an emoji counts 2."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def slugify(text: str) -> str:
    """A file-name-safe slug: 'Children's Social Care' -> 'childrens-social-care'."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    norm = norm.replace("'", "").replace("’", "")
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", norm).strip("-").lower()
    return slug or "x"


def id_sort_key(area_id: str) -> tuple[tuple[int, str], ...]:
    """Sort '1.2' before '1.10' and '2.2.1' after '2.2'."""
    parts = re.split(r"[.\s]+", area_id.strip())
    return tuple((int(p), "") if p.isdigit() else (1 << 30, p) for p in parts)


@dataclass(frozen=True)
class Theme:
    id: str
    title: str

    @property
    def label(self) -> str:
        return f"{self.id}. {self.title}"


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
    """One area for improvement: the plan text (locked in returns) and the update fields."""

    id: str
    theme: str
    title: str
    timescale: str = ""
    practice_standards: str = ""
    agencies: tuple[str, ...] = ()  # Agency keys
    action: str = ""
    underpinned_by: tuple[str, ...] = ()
    supplemented_by: tuple[str, ...] = ()
    leads: str = ""
    completion: str = ""
    assurance: str = ""
    outcome: str = ""
    # The update fields: what agencies change each round.
    progress: str = ""
    rag: str = NOT_RATED
    evidence: str = ""
    next_review: str = ""


UPDATE_FIELDS: tuple[str, ...] = ("progress", "rag", "evidence", "next_review")


@dataclass(frozen=True)
class AgencyUpdate:
    """One agency's own update to a shared area, kept so no agency's words are lost."""

    area_id: str
    agency: str  # Agency key
    round: str  # round name
    progress: str = ""
    rag: str = NOT_RATED
    evidence: str = ""
    next_review: str = ""
    updated_at: datetime | None = None
    source_sha256: str = ""
    changed: tuple[str, ...] = ()  # the fields this agency changed from the values issued
    # Of those, the ones not applied because the master had been changed by hand since issue:
    # the coordinator's edit stands, and this agency's value is not part of the cell.
    held: tuple[str, ...] = ()

    @property
    def applied(self) -> tuple[str, ...]:
        return tuple(f for f in self.changed if f not in self.held)


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
    notes: tuple[str, ...] = ()
    rag_scale: tuple[str, ...] = DEFAULT_RAG_SCALE
    evidence_required_for_green: bool = True
    themes: tuple[Theme, ...] = ()
    agencies: tuple[Agency, ...] = ()
    areas: tuple[Area, ...] = ()
    glossary: tuple[GlossaryEntry, ...] = ()
    agency_updates: tuple[AgencyUpdate, ...] = field(default=())

    # -- look-ups -------------------------------------------------------------------------
    def area(self, area_id: str) -> Area:
        for a in self.areas:
            if a.id == area_id:
                return a
        raise KeyError(area_id)

    def agency(self, key: str) -> Agency:
        for ag in self.agencies:
            if ag.key == key:
                return ag
        raise KeyError(key)

    def theme(self, theme_id: str) -> Theme | None:
        return next((t for t in self.themes if t.id == theme_id), None)

    def areas_for(self, agency_key: str) -> tuple[Area, ...]:
        return tuple(a for a in self.areas if agency_key in a.agencies)

    def resolve_agency(self, text: str) -> Agency | None:
        """Find an agency by key, name or alias, ignoring case and spacing."""
        wanted = _norm(text)
        for ag in self.agencies:
            if any(_norm(n) == wanted for n in ag.names()):
                return ag
        return None

    def rag_rank(self, rag: str) -> int:
        """Position on the scale (0 = worst); unrated sorts before everything."""
        return self.rag_scale.index(rag) if rag in self.rag_scale else -1

    def with_areas(self, areas: tuple[Area, ...]) -> Plan:
        return replace(self, areas=areas)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().casefold()


@dataclass(frozen=True)
class Change:
    """One field of one area changed by a merged return (or by a hand edit, agency '')."""

    round: str
    agency: str  # Agency key
    area_id: str
    field: str  # an Area attribute, one of UPDATE_FIELDS
    old: str
    new: str
    merged_at: datetime
    source_file: str = ""
    source_sha256: str = ""
    superseded: bool = False  # a later return from the same agency replaced it


@dataclass(frozen=True)
class Conflict:
    """The master changed since issue and the agency changed the same field differently."""

    round: str
    agency: str
    area_id: str
    field: str
    issued: str  # the value as issued to the agency
    master: str  # the master's value now
    theirs: str  # what the agency sent
    found_at: datetime
    source_file: str = ""
    source_sha256: str = ""
