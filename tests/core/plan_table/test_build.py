"""Building actions: their IDs made from the area ID, and never clashing silently."""

from __future__ import annotations

import pytest

from ipt_excel.core.plan_table import CellValue, generated_action_id

from .helpers import sheet_table


def test_generated_action_ids_never_clash_silently() -> None:
    rows: list[list[CellValue]] = [
        ["ID", "Action", "Lead"], ["1.1", "a", "Jo"], [None, "b", "Al"], ["1.1a", "c", "Sam"]
    ]  # fmt: skip
    table = sheet_table(rows, rows="actions")
    assert [x.id for a in table.areas for x in a.actions] == ["1.1a", "1.1b", "1.1a.1"]
    assert [(p.rule, p.value, p.cell) for p in table.problems] == [
        ("action-id-clash", "1.1a", "A2")
    ]


@pytest.mark.parametrize(
    ("area_id", "n", "action_id"),
    [("1.4", 1, "1.4a"), ("1.4", 2, "1.4b"), ("1.4", 26, "1.4z"), ("1.4", 27, "1.4aa"),
     ("2", 3, "2c"), ("R1a", 1, "R1a.1"), ("R1a", 12, "R1a.12"), ("A", 1, "A.1")],
)  # fmt: skip
def test_generated_action_id(area_id: str, n: int, action_id: str) -> None:
    assert generated_action_id(area_id, n) == action_id
