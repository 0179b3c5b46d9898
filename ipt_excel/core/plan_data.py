"""Plans as plain data: the dictionaries behind YAML plan files and ledger snapshots.

Pure: dictionaries in, Plans out, and back. Reading a file is services/plan_source.py's job.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import yaml

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

_AREA_LISTS = ("agencies", "underpinned_by", "supplemented_by")
_AREA_TEXT = (
    "id",
    "theme",
    "title",
    "timescale",
    "practice_standards",
    "action",
    "leads",
    "completion",
    "assurance",
    "outcome",
    "progress",
    "rag",
    "evidence",
    "next_review",
)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# Keys an area may have besides the model's fields: kept in the curated file for the record.
_AREA_RECORD_ONLY = frozenset({"agencies_text"})


def plan_from_dict(raw: dict[str, Any], *, strip: bool = False) -> Plan:
    """Build a Plan. `strip` tidies hand-written YAML; snapshots keep text exactly."""
    p = raw["plan"]
    rnd = p["round"]
    sign_off = p.get("sign_off") or {}
    areas: list[Area] = []
    for a in raw["areas"]:
        unknown = set(a) - set(_AREA_TEXT) - set(_AREA_LISTS) - _AREA_RECORD_ONLY
        if unknown:
            where = f"area {a.get('id', len(areas) + 1)}"
            raise ValueError(
                f"{where} has unknown field(s) {', '.join(sorted(map(str, unknown)))}; "
                f"check the spelling"
            )
        kwargs: dict[str, Any] = {
            k: _text(a.get(k)).strip() if strip else _text(a.get(k)) for k in _AREA_TEXT if k in a
        }
        kwargs.update({k: tuple(_text(x) for x in a.get(k) or ()) for k in _AREA_LISTS})
        if "id" not in kwargs or not kwargs["id"]:
            raise ValueError(f"area number {len(areas) + 1} has no id")
        areas.append(Area(**kwargs))
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
        notes=tuple(_text(n) for n in p.get("notes") or ()),
        rag_scale=tuple(p.get("rag_scale") or DEFAULT_RAG_SCALE),
        evidence_required_for_green=bool(p.get("evidence_required_for_green", True)),
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
        agency_updates=tuple(
            AgencyUpdate(
                area_id=_text(u["area_id"]),
                agency=_text(u["agency"]),
                round=_text(u["round"]),
                progress=_text(u.get("progress")),
                rag=_text(u.get("rag")),
                evidence=_text(u.get("evidence")),
                next_review=_text(u.get("next_review")),
                updated_at=datetime.fromisoformat(u["updated_at"]) if u.get("updated_at") else None,
                source_sha256=_text(u.get("source_sha256")),
                changed=tuple(_text(f) for f in u.get("changed") or ()),
                held=tuple(_text(f) for f in u.get("held") or ()),
            )
            for u in raw.get("agency_updates") or ()
        ),
    )


def plan_to_dict(plan: Plan) -> dict[str, Any]:
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
            "rag_scale": list(plan.rag_scale),
            "evidence_required_for_green": plan.evidence_required_for_green,
            "notes": list(plan.notes),
        },
        "themes": [{"id": t.id, "title": t.title} for t in plan.themes],
        "agencies": [
            {"key": a.key, "name": a.name, "aliases": list(a.aliases), "email": a.email}
            for a in plan.agencies
        ],
        "areas": [
            {
                **{k: getattr(a, k) for k in _AREA_TEXT},
                **{k: list(getattr(a, k)) for k in _AREA_LISTS},
            }
            for a in plan.areas
        ],
        "glossary": [{"term": g.term, "meaning": g.meaning} for g in plan.glossary],
        "agency_updates": [
            {
                "area_id": u.area_id,
                "agency": u.agency,
                "round": u.round,
                "progress": u.progress,
                "rag": u.rag,
                "evidence": u.evidence,
                "next_review": u.next_review,
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
