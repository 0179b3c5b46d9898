"""The one entry point: `map_table`, from a `SourceFile` to a `PlanTable`.

It finds the header row (`header`), maps its headings (`headings`), reads the rows and groups
them under their IDs (`rows`), and builds the areas and actions (`build`), returning them with
every problem as a data row. Nothing here stops at the first problem.

How each step reads the table is written down in that step's module (the package docstring
lists them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

from ipt_excel.core.model import DEFAULT_RAG_SCALE
from ipt_excel.core.plan_table.agencies import RegistryAgency, _AgencyReader
from ipt_excel.core.plan_table.build import (
    _Builder,
    _check_action_ids,
    _column_levels,
    _detect_mode,
)
from ipt_excel.core.plan_table.header import HEADER_SEARCH_ROWS, _find_header, _Header
from ipt_excel.core.plan_table.headings import _Column, _map_headings
from ipt_excel.core.plan_table.problems import _cell_problem, _file_problem, _problem_order
from ipt_excel.core.plan_table.result import HeadingMap, NoteRow, PlanTable, RowsMode, TableColumn
from ipt_excel.core.plan_table.rows import _Group, _read_rows, _Reader, id_in_text
from ipt_excel.core.plan_table.source import SourceFile, SourceSheet, value_text
from ipt_excel.core.plan_table.targets import IGNORE, KEEP, TARGETS_BY_KEY, Level, Role, heading_key
from ipt_excel.core.problems import Problem, Severity, column_letter


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
