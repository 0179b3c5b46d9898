"""The CQC plan saved by a real LibreOffice as .ods and as Excel 97-2003 .xls reads the same
as the .xlsx: values, merged recommendation cells, dates and the mapping."""

from __future__ import annotations

from pathlib import Path

import plan_tables as pt
import pytest
from libreoffice import (
    LIBREOFFICE_MARKS,
    convert,
    lo,  # noqa: F401 - fixture that LIBREOFFICE_MARKS uses
)

from ipt_excel.core.plan_table import PlanTable, map_table
from ipt_excel.excel.table_reader import read_table

pytestmark = LIBREOFFICE_MARKS


def summary(table: PlanTable) -> list[tuple[object, ...]]:
    return [
        (a.id, a.text("title"), x.id, x.text("actions"), x.value("completion"), x.rag, x.agencies)
        for a in table.areas
        for x in a.actions
    ]


@pytest.mark.parametrize(("fmt", "kind"), [("ods", "ods"), ("xls:MS Excel 97", "xls")])
def test_saved_by_libreoffice_reads_the_same(tmp_path: Path, fmt: str, kind: str) -> None:
    xlsx = pt.make_cqc_plan(tmp_path)
    want = map_table(read_table(xlsx), context=pt.ROUND_DAY)
    source = read_table(convert(xlsx, fmt, tmp_path / "out"))
    assert source.format == kind
    sheet = source.sheets[0]
    assert sorted(m.ref for m in sheet.merged) == sorted(pt.CQC_MERGES["Action plan"])
    got = map_table(source, context=pt.ROUND_DAY)
    assert summary(got) == summary(want)
    assert got.mapping == want.mapping and got.problems == ()
