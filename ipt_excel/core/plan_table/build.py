"""Areas and actions built from the grouped rows: their values, ratings, agencies, dates and
IDs, with the problems found in them.

Decisions, written down once:

- **Areas or actions.** When rows share an ID and at least two of them have their own lead,
  agency or completion date, each row is an action under its recommendation ("actions");
  otherwise each ID is one area and its rows' cells are joined line by line ("areas"). Either
  can be forced with `rows=`. Action IDs: the "Action no" cell when there is one; otherwise the
  area ID and a letter when the area ID ends in a digit ("1.4a", "1.4b", … "1.4z", "1.4aa"),
  and the area ID, a dot and a number when it does not ("R1a.1", "R1a.2"). They depend only on
  the area ID and the row's place under it, so adding a row later renames no action above it.
- **Values** keep their type (a date cell stays a `date`) and the address of the cell they
  came from; joined text is only made when asked (`TableArea.text`). In "actions" mode the ID
  and area text belong to the recommendation, and so does any column that never holds two
  cells within one recommendation and is recommendation-level by its target (`Level.AREA`)
  or merged over a recommendation's rows; the rest belong to each action (`TableColumn.level`
  says which).
- **Dates** are not changed; a completion or review date that cannot be read (with the round's
  date as context, see `dates`) is a warning, left for the coordinator to correct.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from ipt_excel.core.dates import DateKind, parse_review_date, read_completion_value
from ipt_excel.core.plan_table.agencies import AgencySplit, _agency_norm, _AgencyReader, _how
from ipt_excel.core.plan_table.headings import _Column
from ipt_excel.core.plan_table.problems import _address_problem
from ipt_excel.core.plan_table.rag import _TRAILING_RAG, _worst, read_rag
from ipt_excel.core.plan_table.result import RowsMode, TableAction, TableArea, Value
from ipt_excel.core.plan_table.rows import _Group, _id_text, _Row, id_in_text
from ipt_excel.core.plan_table.source import SourceFile, value_text
from ipt_excel.core.plan_table.targets import TARGETS_BY_KEY, Level
from ipt_excel.core.problems import Problem, Severity


def _detect_mode(groups: list[_Group]) -> RowsMode:
    for group in groups:
        own = [r for r in group.rows if r.own & {"leads", "agencies", "completion"}]
        if len(group.rows) >= 2 and len(own) >= 2:
            return "actions"
    return "areas"


def _collect(rows: Iterable[_Row], keys: Iterable[str]) -> dict[str, tuple[Value, ...]]:
    """Each key's values over the rows, one per source cell, in row order."""
    out: dict[str, tuple[Value, ...]] = {}
    for key in keys:
        seen: dict[tuple[int, int], Value] = {}
        for row in rows:
            cell = row.cells.get(key)
            if cell is not None and (cell.row, cell.col) not in seen:
                assert cell.value is not None
                seen[(cell.row, cell.col)] = Value(cell.value, cell.address)
        if seen:
            out[key] = tuple(seen.values())
    return out


def _column_levels(columns: list[_Column], groups: list[_Group]) -> dict[str, Level]:
    """Where each column's values belong in "actions" mode. The ID and the area text belong
    to the recommendation. Any other column belongs to it when it never holds two cells
    within one recommendation and is either recommendation-level by its target or, for a
    plan-text column, merged over a recommendation's rows; otherwise to each action."""
    levels: dict[str, Level] = {}
    for column in columns:
        if column.key in ("id", "title"):
            levels[column.key] = Level.AREA
            continue
        merged = differs = False
        for group in groups:
            cells = {r.cells[column.key].address for r in group.rows if column.key in r.cells}
            differs |= len(cells) > 1
            merged |= any(column.key in r.cells and column.key not in r.own for r in group.rows)
        by_target = bool(column.target) and TARGETS_BY_KEY[column.target].level is Level.AREA
        levels[column.key] = Level.AREA if (by_target or merged) and not differs else Level.ROW
    return levels


def _action_ids(group: _Group) -> list[str]:
    """Each row's action ID: its "Action no" cell, else one made from the area ID."""
    ids = []
    for n, row in enumerate(group.rows, start=1):
        cell = row.cells.get("action_id")
        ids.append(_id_text(cell.value) if cell else generated_action_id(group.id, n))
    return ids


def generated_action_id(area_id: str, n: int) -> str:
    """The ID of the n-th action (from 1) of an area: "1.4a", "1.4z", "1.4aa"; "R1a.2"."""
    if not area_id[-1:].isdigit():
        return f"{area_id}.{n}"
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(97 + rem) + letters
    return area_id + letters


@dataclass
class _Builder:
    """Turns grouped rows into areas: RAG, agencies, dates, IDs, with their problems."""

    source: SourceFile
    columns: list[_Column]
    problems: list[Problem]
    scale: tuple[str, ...]
    context: date | None
    agencies: _AgencyReader
    splits: list[AgencySplit] = field(default_factory=list)
    all_agencies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_key = {c.key: c for c in self.columns}
        self.split_done: set[str] = set()

    def heading(self, key: str) -> str:
        return self.by_key[key].heading if key in self.by_key else ""

    def area(self, group: _Group, mode: RowsMode, levels: dict[str, Level]) -> TableArea:
        keys = [c.key for c in self.columns]
        if mode == "areas":
            fields = self._fields(group.rows, keys, group.id)
            rag = self._area_rag(group, fields)
            return TableArea(
                group.id,
                group.id_cell,
                tuple(r.number for r in group.rows),
                fields,
                rag,
                self._agencies(fields, group.id),
                section=group.section,
            )
        area_keys = [k for k in keys if levels[k] is Level.AREA]
        row_keys = [k for k in keys if levels[k] is Level.ROW]
        fields = self._fields(group.rows, area_keys, group.id)
        actions = []
        for row, action_id in zip(group.rows, _action_ids(group), strict=True):
            action_fields = self._fields([row], row_keys, action_id)
            own = [row.cells[k] for k in row.cells if k in row.own]
            id_cell = row.cells.get("action_id") or (own or list(row.cells.values()))[0]
            actions.append(
                TableAction(
                    action_id,
                    row.number,
                    id_cell.address,
                    action_fields,
                    self._rag(action_fields, action_id),
                    self._agencies(action_fields, action_id),
                )
            )
        agencies = tuple(dict.fromkeys(a for act in actions for a in act.agencies))
        return TableArea(
            group.id,
            group.id_cell,
            tuple(r.number for r in group.rows),
            fields,
            _worst((a.rag for a in actions), self.scale),
            agencies,
            tuple(actions),
            group.section,
        )

    def _fields(
        self, rows: list[_Row], keys: list[str], record_id: str
    ) -> dict[str, tuple[Value, ...]]:
        fields = _collect(rows, keys)
        if "id" in fields:  # the cell the ID was read from, not each row's copy of it
            fields["id"] = fields["id"][:1]
        if "title" in fields and "id" not in self.by_key:  # the ID led the text: take it off
            fields["title"] = tuple(_strip_id(v) for v in fields["title"])
        if "rag" not in self.by_key and "progress" in fields:
            fields = self._rag_from_progress(fields)
        self._check_dates(fields, record_id)
        return fields

    def _rag_from_progress(
        self, fields: dict[str, tuple[Value, ...]]
    ) -> dict[str, tuple[Value, ...]]:
        last = fields["progress"][-1]
        if not isinstance(last.value, str) or not (m := _TRAILING_RAG.search(last.value)):
            return fields
        rest = last.value[: m.start()].rstrip()
        progress = (*fields["progress"][:-1], *((Value(rest, last.cell),) if rest else ()))
        out = {**fields, "rag": (Value(m[1], last.cell),)}
        if progress:
            out["progress"] = progress
        else:
            del out["progress"]
        return out

    def _rag(self, fields: Mapping[str, tuple[Value, ...]], record_id: str) -> str:
        ratings = [self._read_rag(v, record_id) for v in fields.get("rag", ())]
        return _worst(ratings, self.scale)

    def _area_rag(self, group: _Group, fields: Mapping[str, tuple[Value, ...]]) -> str:
        values = fields.get("rag", ())
        ratings = [self._read_rag(v, group.id) for v in values]
        rated = {r for r in ratings if r}
        worst = _worst(ratings, self.scale)
        if len(rated) > 1:
            cells = ", ".join(v.cell.split("!")[-1] for v in values)
            self.problems.append(
                self._problem(
                    values[0].cell,
                    "rag",
                    "rag-differs",
                    " / ".join(value_text(v.value) for v in values),
                    f"the rows of {group.id} have different ratings ({cells}); the worst, "
                    f"{worst}, is used. If each row is an action with its own rating, import "
                    "with one action per row.",
                    group.id,
                    Severity.WARNING,
                )
            )
        return worst

    def _read_rag(self, value: Value, record_id: str) -> str:
        reading = read_rag(value.value, self.scale)
        text = value_text(value.value).strip()
        scale = ", ".join(s.title() for s in self.scale)
        if not reading.ok:
            two = reading.problem == "two ratings"
            self.problems.append(
                self._problem(
                    value.cell,
                    "rag",
                    "rag-two-ratings" if two else "rag-unknown",
                    text,
                    (f"'{text}' gives two ratings. Give one: {scale}."
                     if two else f"'{text}' is not a RAG rating. Change it to one of: {scale}."),
                    record_id,
                )
            )  # fmt: skip
        elif reading.warning:
            self.problems.append(
                self._problem(
                    value.cell,
                    "rag",
                    "rag-read-as",
                    text,
                    f"'{text}' {reading.warning}. If that is wrong, change it to one of: {scale}.",
                    record_id,
                    Severity.WARNING,
                )
            )
        return reading.rag

    def _agencies(self, fields: Mapping[str, tuple[Value, ...]], record_id: str) -> tuple[str, ...]:
        names: list[str] = []
        for value in fields.get("agencies", ()):
            text = value_text(value.value)
            found, used = self.agencies.split(text)
            found = [self.agencies.name_of(n) for n in found]
            how = _how(text, found, used, self.agencies)
            if how and value.cell not in self.split_done:
                self.split_done.add(value.cell)
                self.splits.append(AgencySplit(value.cell, text, tuple(found), how))
            names.extend(found)
            for name in found:
                self._register(name, value, record_id)
        seen: dict[str, str] = {}
        for name in names:
            seen.setdefault(_agency_norm(name), self.all_agencies[_agency_norm(name)])
        return tuple(seen.values())

    def _register(self, name: str, value: Value, record_id: str) -> None:
        norm = _agency_norm(name)
        if norm in self.all_agencies:
            return
        self.all_agencies[norm] = name
        if self.agencies.registry and norm not in self.agencies.canonical:
            self.problems.append(
                self._problem(
                    value.cell,
                    "agencies",
                    "agency-unknown",
                    name,
                    f"'{name}' is not in the list of agencies. Add it to the list, or correct "
                    "the name.",
                    record_id,
                    Severity.WARNING,
                )
            )

    def _check_dates(self, fields: Mapping[str, tuple[Value, ...]], record_id: str) -> None:
        for value in fields.get("completion", ()):
            unread = [
                p.text
                for p in read_completion_value(value.value, context=self.context)
                if p.kind is DateKind.UNKNOWN
            ]
            if unread:
                self._date_problem(value, "completion", "; ".join(unread), record_id)
        for value in fields.get("next_review", ()):
            if parse_review_date(value.value, context=self.context) is None:
                self._date_problem(value, "next_review", value_text(value.value), record_id)

    def _date_problem(self, value: Value, key: str, text: str, record_id: str) -> None:
        self.problems.append(
            self._problem(
                value.cell,
                key,
                "date-unreadable",
                text,
                f"'{text}' cannot be read as a date. It is kept as written; if it should be a "
                "date, write it like 30/06/2024, June 2024 or Q3 2024/25.",
                record_id,
                Severity.WARNING,
            )
        )

    def _problem(
        self,
        address: str,
        key: str,
        rule: str,
        value: str,
        message: str,
        area_id: str,
        severity: Severity = Severity.ERROR,
    ) -> Problem:
        return _address_problem(
            self.source, address, self.heading(key), rule, value, message, severity, area_id
        )


def _strip_id(value: Value) -> Value:
    if isinstance(value.value, str) and (found := id_in_text(value.value)):
        return Value(found[1], value.cell)
    return value


def _check_action_ids(source: SourceFile, areas: list[TableArea], problems: list[Problem]) -> None:
    taken = {a.id for a in areas}
    for area in areas:
        for action in area.actions:
            if action.id in taken:
                problems.append(
                    _address_problem(
                        source,
                        action.cell,
                        "",
                        "action-id-clash",
                        action.id,
                        f"the action in row {action.row} would be {action.id}, which is already "
                        "an ID. Give the actions their own IDs in an 'Action no' column.",
                        area_id=area.id,
                    )
                )
            taken.add(action.id)
