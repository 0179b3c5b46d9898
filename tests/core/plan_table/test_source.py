"""The source grid as plain data: cell addresses, ranges, and values as the plan shows them."""

from __future__ import annotations

import datetime as dt

import pytest

from ipt_excel.core.plan_table import CellValue, cell_address, parse_range, value_text


def test_addresses() -> None:
    assert cell_address("Sheet1", 10, 7) == "Sheet1!G10"
    assert cell_address("Action plan", 1, 28) == "'Action plan'!AB1"
    assert cell_address("O'Neill's", 2, 1) == "'O''Neill''s'!A2"
    assert cell_address("A1", 2, 1) == "'A1'!A2"  # a name that looks like a cell is quoted
    assert parse_range("B4:B5").ref == "B4:B5"
    assert parse_range("$C$3") == parse_range("C3:C3")
    with pytest.raises(ValueError, match="not a cell range"):
        parse_range("B4:")


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), ("x", "x"), (True, "TRUE"), (2, "2"), (1.1, "1.1"), (0.1 + 0.2, "0.3"),
     (dt.date(2024, 6, 30), "30 June 2024"), (dt.datetime(2024, 6, 30), "30 June 2024"),
     (dt.datetime(2024, 6, 30, 9, 5), "30 June 2024 09:05"), (dt.time(14, 30), "14:30")],
)  # fmt: skip
def test_value_text(value: CellValue, text: str) -> None:
    assert value_text(value) == text
