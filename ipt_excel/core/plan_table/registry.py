"""An agency registry (`--agencies FILE`) read: the agencies listed in a table, with their short
names, e-mail addresses and aliases.
"""

from __future__ import annotations

import re

from ipt_excel.core.plan_table.agencies import (
    _HARD_SPLIT,
    AgencyRegistry,
    RegistryAgency,
    _agency_norm,
)
from ipt_excel.core.plan_table.header import _heading_text
from ipt_excel.core.plan_table.problems import _cell_problem, _file_problem
from ipt_excel.core.plan_table.source import SourceCell, SourceFile, SourceSheet, value_text
from ipt_excel.core.plan_table.targets import heading_key
from ipt_excel.core.problems import Problem, Severity

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
