"""Agency cells split into agencies, against the names known up front (`--agencies FILE`) and
those written alone in the table.

Decisions, written down once:

- **Agencies.** A cell is split at new lines and ";" always. Each piece that is a known agency
  (in the registry, or written on its own in some cell of the table) is kept whole; otherwise
  it is split at "," and "/", and a part is split at "&" and " and " only where every part is
  a known agency ("Sirona Care and Health" stays whole). Every split is reported in
  `agency_splits`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ipt_excel.core.problems import Problem


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
