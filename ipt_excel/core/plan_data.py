"""Plans as plain data: the dictionaries behind YAML plan files and ledger snapshots.

Pure: dictionaries in, Plans out, and back. Reading a file is services/plan_source.py's job.

An area is a mapping of column keys to values (`id`, `theme`, `agencies` and any column of
the plan's set). The bundled plan writes its Actions cell as three keys, `action`,
`underpinned_by` and `supplemented_by`; they are joined into the `actions` column. A plan
file's top-level `columns:` list changes the default column set (core/columns.py,
`apply_overrides`) and `rules:` replaces its rules; a snapshot keeps the whole set, exactly,
under `column_set`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import yaml

from ipt_excel.core.actions import actions_text
from ipt_excel.core.columns import (
    DEFAULT_COLUMNS,
    EVIDENCE_RULE,
    STRUCTURE_KINDS,
    ColumnSet,
    apply_overrides,
    column_set_from_dict,
)
from ipt_excel.core.model import (
    DEFAULT_RAG_SCALE,
    Agency,
    AgencyUpdate,
    Area,
    GlossaryEntry,
    Plan,
    Round,
    Theme,
)

_STRUCTURE = ("id", "theme", "agencies", "parent")
_ACTION_PARTS = ("action", "underpinned_by", "supplemented_by")
# Keys an area may have besides its columns: kept in the curated file for the record.
_AREA_RECORD_ONLY = frozenset({"agencies_text"})


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def columns_from_dict(raw: Mapping[str, Any]) -> ColumnSet:
    """The plan's column set: a snapshot's exact set, a plan file's changes to the default
    set, or the default set."""
    if raw.get("column_set"):
        return column_set_from_dict(raw["column_set"])
    base = DEFAULT_COLUMNS
    plan = raw.get("plan") or {}
    if plan.get("evidence_required_for_green") is False:  # the older switch for one rule
        base = ColumnSet(base.columns, tuple(r for r in base.rules if r != EVIDENCE_RULE))
    entries = raw.get("columns") or ()
    rules = raw.get("rules")
    if not entries and rules is None:
        return base
    if not isinstance(entries, list):
        raise ValueError("'columns' must be a list of columns, each starting with '- header:'")
    return apply_overrides(base, entries, rules)


def _area(raw: Mapping[str, Any], columns: ColumnSet, n: int, strip: bool) -> Area:
    where = f"area {raw.get('id', n)}"
    known = {*_STRUCTURE, *_ACTION_PARTS, *_AREA_RECORD_ONLY, *(c.key for c in columns)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(
            f"{where} has unknown field(s) {', '.join(sorted(map(str, unknown)))}; check the "
            f"spelling, or add the column to the plan's 'columns:' list"
        )

    def text(value: Any) -> str:
        return _text(value).strip() if strip else _text(value)

    area_id = text(raw.get("id"))
    if not area_id:
        raise ValueError(f"area number {n} has no id")
    values: dict[str, str] = {}
    for column in columns:
        if column.key in raw and column.kind not in STRUCTURE_KINDS:
            values[column.key] = text(raw[column.key])
    if "actions" in columns and "actions" not in raw and any(k in raw for k in _ACTION_PARTS):
        values["actions"] = actions_text(
            text(raw.get("action")),
            tuple(_text(x) for x in raw.get("underpinned_by") or ()),
            tuple(_text(x) for x in raw.get("supplemented_by") or ()),
        )
    updates = {c.key: values.pop(c.key, "") for c in columns.updates}
    plan_text = {c.key: values[c.key] for c in columns.plan_text if c.key in values}
    return Area(
        id=area_id,
        theme=text(raw.get("theme")),
        agencies=tuple(_text(x) for x in raw.get("agencies") or ()),
        text=plan_text,
        updates=updates,
        parent=text(raw.get("parent")),
    )


def _update(raw: Mapping[str, Any], columns: ColumnSet) -> AgencyUpdate:
    if "values" in raw:
        values = {str(k): _text(v) for k, v in (raw.get("values") or {}).items()}
    else:  # a snapshot written before updates were keyed by column
        values = {c.key: _text(raw.get(c.key)) for c in columns.updates if c.key in raw}
    return AgencyUpdate(
        area_id=_text(raw["area_id"]),
        agency=_text(raw["agency"]),
        round=_text(raw["round"]),
        values=values,
        updated_at=datetime.fromisoformat(raw["updated_at"]) if raw.get("updated_at") else None,
        source_sha256=_text(raw.get("source_sha256")),
        changed=tuple(_text(f) for f in raw.get("changed") or ()),
        held=tuple(_text(f) for f in raw.get("held") or ()),
    )


def plan_from_dict(raw: dict[str, Any], *, strip: bool = False) -> Plan:
    """Build a Plan. `strip` tidies hand-written YAML; snapshots keep text exactly."""
    p = raw["plan"]
    rnd = p["round"]
    sign_off = p.get("sign_off") or {}
    columns = columns_from_dict(raw)
    areas = [_area(a, columns, n, strip) for n, a in enumerate(raw["areas"], start=1)]
    return Plan(
        title=_text(p["title"]),
        organisation=_text(p.get("organisation")),
        inspection=_text(p.get("inspection")),
        round=Round(
            name=_text(rnd["name"]),
            date=_date(rnd["date"]),
            due=_date(rnd["due"]) if rnd.get("due") else None,
        ),
        status=_text(p.get("status")),
        sign_off_name=_text(sign_off.get("name")),
        sign_off_role=_text(sign_off.get("role")),
        protective_marking=_text(p.get("protective_marking")),
        coordinator_email=_text(p.get("coordinator_email")),
        return_sign_off=p.get("return_sign_off") is not False,
        notes=tuple(_text(n) for n in p.get("notes") or ()),
        rag_scale=tuple(p.get("rag_scale") or DEFAULT_RAG_SCALE),
        themes=tuple(Theme(_text(t["id"]), _text(t["title"])) for t in raw.get("themes") or ()),
        agencies=tuple(
            Agency(
                key=_text(ag["key"]),
                name=_text(ag["name"]),
                aliases=tuple(_text(x) for x in ag.get("aliases") or ()),
                email=_text(ag.get("email")),
            )
            for ag in raw.get("agencies") or ()
        ),
        areas=tuple(areas),
        glossary=tuple(
            GlossaryEntry(_text(g["term"]), _text(g["meaning"])) for g in raw.get("glossary") or ()
        ),
        agency_updates=tuple(_update(u, columns) for u in raw.get("agency_updates") or ()),
        columns=columns,
        imported=tuple((_text(k), _text(v)) for k, v in raw.get("imported") or ()),
    )


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """Everything in a plan, exactly: a snapshot, or a plan file with its whole column set."""
    return {
        "plan": {
            "title": plan.title,
            "organisation": plan.organisation,
            "inspection": plan.inspection,
            "status": plan.status,
            "round": {
                "name": plan.round.name,
                "date": plan.round.date.isoformat(),
                **({"due": plan.round.due.isoformat()} if plan.round.due else {}),
            },
            "sign_off": {"name": plan.sign_off_name, "role": plan.sign_off_role},
            "protective_marking": plan.protective_marking,
            "coordinator_email": plan.coordinator_email,
            "return_sign_off": plan.return_sign_off,
            "rag_scale": list(plan.rag_scale),
            "notes": list(plan.notes),
        },
        "column_set": plan.columns.to_dict(),
        **({"imported": [list(pair) for pair in plan.imported]} if plan.imported else {}),
        "themes": [{"id": t.id, "title": t.title} for t in plan.themes],
        "agencies": [
            {"key": a.key, "name": a.name, "aliases": list(a.aliases), "email": a.email}
            for a in plan.agencies
        ],
        "areas": [
            {
                "id": a.id,
                "theme": a.theme,
                "agencies": list(a.agencies),
                **({"parent": a.parent} if a.parent else {}),
                **{k: v for k, v in a.text.items() if k in plan.columns},
                **{k: v for k, v in a.updates.items() if k in plan.columns},
            }
            for a in plan.areas
        ],
        "glossary": [{"term": g.term, "meaning": g.meaning} for g in plan.glossary],
        "agency_updates": [
            {
                "area_id": u.area_id,
                "agency": u.agency,
                "round": u.round,
                "values": dict(u.values),
                "updated_at": u.updated_at.isoformat() if u.updated_at else "",
                "source_sha256": u.source_sha256,
                "changed": list(u.changed),
                "held": list(u.held),
            }
            for u in plan.agency_updates
        ],
    }


def dump_plan(plan: Plan) -> str:
    return yaml.safe_dump(plan_to_dict(plan), sort_keys=False, allow_unicode=True, width=100)
