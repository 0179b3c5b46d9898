"""Build plan rows for tests the short way: named values, split into plan text and updates.

`make_area("1.1", "1", "Title", agencies=("A",), progress="p", rag="RED")` gives an Area of the
default column set; `action`, `underpinned_by` and `supplemented_by` make the Actions cell, as
in the bundled plan file. `with_values(area, rag="GREEN")` changes values of either kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ipt_excel.core.actions import actions_text
from ipt_excel.core.columns import DEFAULT_COLUMNS, ColumnSet
from ipt_excel.core.model import AgencyUpdate, Area

_ACTION_PARTS = ("action", "underpinned_by", "supplemented_by")


def make_area(
    area_id: str = "",
    theme: str = "1",
    title: str = "",
    *,
    agencies: Iterable[str] = (),
    columns: ColumnSet = DEFAULT_COLUMNS,
    **values: Any,
) -> Area:
    area_id = area_id or str(values.pop("id"))
    if any(k in values for k in _ACTION_PARTS):
        values["actions"] = actions_text(
            values.pop("action", ""),
            tuple(values.pop("underpinned_by", ())),
            tuple(values.pop("supplemented_by", ())),
        )
    values.setdefault("title", title)
    unknown = set(values) - {c.key for c in columns}
    assert not unknown, f"no such column: {unknown}"
    updates = {c.key: str(values.get(c.key, "")) for c in columns.updates}
    text = {c.key: str(values[c.key]) for c in columns.plan_text if c.key in values}
    return Area(id=area_id, theme=theme, agencies=tuple(agencies), text=text, updates=updates)


def with_values(a: Area, columns: ColumnSet = DEFAULT_COLUMNS, **values: str) -> Area:
    """The area with some values changed, plan text or updates."""
    keys = {c.key for c in columns.updates}
    updates = {k: v for k, v in values.items() if k in keys}
    text = {k: v for k, v in values.items() if k not in keys}
    return Area(a.id, a.theme, a.agencies, {**a.text, **text}, {**a.updates, **updates})


def make_update(area_id: str, agency: str, round_name: str, **kw: Any) -> AgencyUpdate:
    """An AgencyUpdate with its values given as keywords (progress=..., rag=...)."""
    fields = {"updated_at", "source_sha256", "changed", "held"}
    values = {k: str(v) for k, v in kw.items() if k not in fields}
    rest = {k: v for k, v in kw.items() if k in fields}
    return AgencyUpdate(area_id, agency, round_name, values=values, **rest)
