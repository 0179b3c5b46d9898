"""Finding the table: its header row, and the sheet it is on.

Decisions, written down once:

- **Finding the table.** The header row is the row, among the first `HEADER_SEARCH_ROWS` of a
  sheet, that recognises the most plan columns (at least two; the earliest wins a tie); rows
  above it are the plan's title and version lines. Without `sheet=`, the sheet whose header
  row recognises most is used (visible sheets before hidden ones; the first wins a tie).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ipt_excel.core.plan_table.problems import _file_problem
from ipt_excel.core.plan_table.source import SourceCell, SourceFile, SourceSheet, value_text
from ipt_excel.core.plan_table.targets import IGNORE, KEEP, _recognise, heading_key
from ipt_excel.core.problems import Problem

HEADER_SEARCH_ROWS = 30


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
