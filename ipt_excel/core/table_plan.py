"""A plan built from a council's own table: its columns, areas (or action rows), agencies and
themes, from the mapped table `core/plan_table.map_table` gives. Pure: no I/O.

Decisions, written down once:

- **Columns.** The default set, with each mapped column headed as the council heads it
  ("Owner" for Lead, "Status" for RAG), a plan-text column of its own for every heading kept
  as plan text, and the default plan-text columns the table does not have left out (the
  update fields are always there: they are what a round collects). An action-row plan has a
  "Recommendation" column holding each action's recommendation ID.
- **Rows.** In "areas" mode each area is a row. In "actions" mode each action is a row, with
  its own agencies, lead, date, RAG and update, and its recommendation's ID, text and other
  recommendation-level values repeated on it (locked in returns, for reference).
- **Themes.** A Theme column's distinct values, in order, become themes 1, 2, 3...; without
  one, IDs such as "1.1", "1.2", "2.1" group by their first part ("Theme 1", "Theme 2"), and
  a plan whose IDs share no first part has a single theme named after the plan.
- **Agencies.** The registry's (`--agencies FILE`: name, short name, e-mail) first, then every
  other name the table uses, in order. An agency's key is its short name when it has one,
  else its name; two agencies that would share a return file name are an error.
- **Values.** As the table reader gives them: real dates in the plan's style ("30 June 2024"),
  RAG on the plan's scale. Every problem keeps the source cell it came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from ipt_excel.core.columns import (
    DEFAULT_COLUMNS,
    Column,
    ColumnSet,
    Kind,
    key_for,
)
from ipt_excel.core.model import DEFAULT_RAG_SCALE, Agency, Area, Plan, Round, Theme, slugify
from ipt_excel.core.plan_table import (
    PlanTable,
    RegistryAgency,
    TableAction,
    TableArea,
    mapping_rows,
)
from ipt_excel.core.problems import Problem, Severity

PARENT = Column("parent", "Recommendation ref", Kind.PARENT, width=10)
# The default plan-text columns a table keeps only when it has them.
_OPTIONAL = ("timescale", "practice_standards", "assurance", "outcome", "completion", "leads")
_TEXT_TARGET_KINDS = {"text", "month-or-date"}


@dataclass(frozen=True)
class ImportedPlan:
    plan: Plan
    mapping: tuple[tuple[str, str], ...]  # (your heading, our column), as printed and recorded
    problems: tuple[Problem, ...]  # the table's problems and the plan's; errors stop the import

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)


def _columns(table: PlanTable) -> ColumnSet:
    """The plan's columns: the default set headed the council's way, plus its own."""
    by_target = {c.target: c for c in table.columns if c.target}
    present = set(by_target)
    out: list[Column] = []
    for column in DEFAULT_COLUMNS:
        source = by_target.get(column.key)
        if column.key in _OPTIONAL and source is None:
            continue
        if column.key == "action_dates" and not {"actions", "completion"} <= present:
            continue
        if source is not None and source.heading:
            column = replace(column, header=" ".join(source.heading.split()))
        out.append(column)
    headers = {" ".join(c.header.split()).casefold() for c in out}
    if table.mode == "actions":
        kept = {" ".join((c.heading or "").split()).casefold() for c in table.columns}
        header = next(
            (
                h
                for h in ("Recommendation ref", "Recommendation ID", "Belongs to", "Parent ID")
                if h.casefold() not in headers | kept
            ),
            "Recommendation ref (ipt)",
        )
        out.insert(1, replace(PARENT, header=header))
        headers.add(header.casefold())
    keys = {c.key for c in out}
    for source in table.columns:
        if source.target:
            continue
        key = source.key if source.key not in keys else key_for(f"{source.key} own")
        header = " ".join((source.heading or key).split())
        if header.casefold() in headers:
            header = f"{header} ({source.key})"
        out.insert(_after_plan_text(out), Column(key, header, Kind.TEXT, width=20))
        keys.add(key)
        headers.add(header.casefold())
    return DEFAULT_COLUMNS.with_columns(out)


def _after_plan_text(columns: list[Column]) -> int:
    return max((i + 1 for i, c in enumerate(columns) if not c.update), default=0)


def _agencies(
    table: PlanTable, registry: Sequence[RegistryAgency]
) -> tuple[tuple[Agency, ...], dict[str, str]]:
    """The plan's agencies, and each name the table uses -> the agency's key."""
    agencies: list[Agency] = []
    key_of: dict[str, str] = {}
    for r in registry:
        key = r.short_name or r.name
        agencies.append(Agency(key, r.name, tuple(a for a in r.aliases if a != key), r.email))
        for name in r.names():
            key_of.setdefault(name.casefold(), key)
    for name in table.agencies:
        if name.casefold() not in key_of:
            agencies.append(Agency(name, name))
            key_of[name.casefold()] = name
    return tuple(agencies), key_of


def _themes(table: PlanTable, title: str) -> tuple[tuple[Theme, ...], dict[str, str]]:
    """Themes from the Theme column, numbered in order; one theme for a plan without one."""
    values: dict[str, str] = {}
    for area in table.areas:
        text = " ".join(area.text("theme").split())
        if text and text not in values:
            values[text] = str(len(values) + 1)
    if values:
        return tuple(Theme(n, t) for t, n in values.items()), values
    # No Theme column: IDs numbered "1.1", "1.2", "2.1" group by their first part, as the
    # bundled plan's do; IDs that share no first part make one theme named after the plan.
    prefixes = [_id_prefix(a.id) for a in table.areas]
    if all(prefixes) and len(set(prefixes)) < len(prefixes):
        firsts = dict.fromkeys(prefixes)
        return tuple(Theme(p, f"Theme {p}") for p in firsts), {}
    return (Theme("1", title),), {}


def _id_prefix(area_id: str) -> str:
    """ "1" of "1.10"; "" for an ID with no dotted parts."""
    head, dot, _ = area_id.partition(".")
    return head if dot and head else ""


def _text_values(columns: ColumnSet, fields: Mapping[str, str], *, updates: bool) -> dict[str, str]:
    wanted = columns.updates if updates else columns.plan_text
    return {c.key: fields[c.key] for c in wanted if fields.get(c.key)}


def _row(
    columns: ColumnSet,
    area_id: str,
    theme: str,
    agencies: tuple[str, ...],
    texts: Mapping[str, str],
    rag: str,
    parent: str = "",
) -> Area:
    return Area(
        id=area_id,
        theme=theme,
        agencies=agencies,
        text=_text_values(columns, texts, updates=False),
        updates={**_text_values(columns, texts, updates=True), "rag": rag},
        parent=parent,
    )


def plan_from_table(
    table: PlanTable,
    *,
    title: str,
    round_name: str,
    round_date: date,
    registry: Sequence[RegistryAgency] = (),
    rag_scale: tuple[str, ...] = DEFAULT_RAG_SCALE,
) -> ImportedPlan:
    """The plan a mapped table holds (see the module docstring)."""
    columns = _columns(table)
    agencies, key_of = _agencies(table, registry)
    themes, theme_of = _themes(table, title)
    problems = list(table.problems)

    def keys(names: Sequence[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(key_of[n.casefold()] for n in names if n.casefold() in key_of))

    theme_ids = {t.id for t in themes}

    def theme(area: TableArea) -> str:
        by_column = theme_of.get(" ".join(area.text("theme").split()))
        if by_column:
            return by_column
        prefix = _id_prefix(area.id)
        return prefix if prefix in theme_ids and not theme_of else themes[0].id

    all_keys = [c.key for c in columns]
    rows: list[Area] = []
    for area in table.areas:
        area_texts = {k: area.text(k) for k in all_keys}
        if table.mode == "actions":
            for action in area.actions:
                texts = {
                    **area_texts,
                    **{k: v for k, v in _action_texts(action, all_keys).items() if v},
                }
                rows.append(
                    _row(
                        columns,
                        action.id,
                        theme(area),
                        keys(action.agencies),
                        texts,
                        action.rag,
                        parent=area.id,
                    )
                )
        else:
            rows.append(
                _row(columns, area.id, theme(area), keys(area.agencies), area_texts, area.rag)
            )
    plan = Plan(
        title=title,
        organisation="",
        inspection="",
        round=Round(round_name, round_date),
        rag_scale=rag_scale,
        themes=themes,
        agencies=agencies,
        areas=tuple(rows),
        columns=columns,
    )
    problems += _shared_file_names(table, agencies)
    if rows and not agencies and not any(p.is_error for p in problems):
        problems.append(
            Problem(
                file=table.file,
                sheet=table.sheet,
                cell="",
                column="",
                rule="no-agencies",
                value="",
                message=f"{table.file}, sheet '{table.sheet}': no column says which agency "
                "each row belongs to, so no returns could be issued. Add an 'Agency' "
                'column, or say which of your headings names them, like --map "Lead=agencies".',
                severity=Severity.ERROR,
            )
        )
    return ImportedPlan(plan, tuple(mapping_rows(table)), tuple(problems))


def _action_texts(action: TableAction, keys: Sequence[str]) -> dict[str, str]:
    return {k: action.text(k) for k in keys}


def _shared_file_names(table: PlanTable, agencies: Sequence[Agency]) -> list[Problem]:
    seen: dict[str, str] = {}
    out = []
    for ag in agencies:
        other = seen.setdefault(slugify(ag.key), ag.name)
        if other != ag.name:
            out.append(
                Problem(
                    file=table.file,
                    sheet=table.sheet,
                    cell="",
                    column="",
                    rule="agency-file-name",
                    value=ag.name,
                    message=f"{table.file}: the agencies '{other}' and '{ag.name}' would share "
                    "a return file name. Give one of them a short name of its own in an "
                    "--agencies file.",
                    severity=Severity.ERROR,
                )
            )
    return out
