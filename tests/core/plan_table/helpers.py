"""What the plan_table tests share: the BRAG scale, and a table mapped from one sheet of values."""

from __future__ import annotations

from ipt_excel.core.plan_table import CellValue, PlanTable, SourceFile, make_sheet, map_table

BRAG = ("RED", "AMBER", "GREEN", "BLUE")


def sheet_table(
    values: list[list[CellValue]], merged: tuple[str, ...] = (), **kw: object
) -> PlanTable:
    source = SourceFile("t.xlsx", "xlsx", (make_sheet("S", values, merged),))
    return map_table(source, **kw)  # type: ignore[arg-type]
