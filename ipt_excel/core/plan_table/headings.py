"""The header row's headings mapped to plan columns, or kept as plan-text columns of their own.

Decisions, written down once:

- **Headings, mapped.** `mapping` (from `--map "Heading=column"`) says what a heading means
  and wins over recognition. A heading not recognised is kept as a plan-text column of its
  own, keyed by its slug. When two headings mean one column, the first (or the one given by
  `mapping`) has it and the other is kept as plan text, with a warning. A column with data
  under no heading is kept as plan text, keyed by its letter ("column_h").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ipt_excel.core.model import slugify
from ipt_excel.core.plan_table.header import _Header, _heading_text, _meaning
from ipt_excel.core.plan_table.problems import _cell_problem, _file_problem
from ipt_excel.core.plan_table.result import HeadingMap, MapHow
from ipt_excel.core.plan_table.source import SourceFile, SourceSheet, cell_address
from ipt_excel.core.plan_table.targets import IGNORE, KEEP, TARGETS_BY_KEY, heading_key
from ipt_excel.core.problems import Problem, Severity, column_letter


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
