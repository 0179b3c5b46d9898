"""The plans under templates/ and the README's column example stay true."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ipt_excel.core.columns import DEFAULT_COLUMNS, apply_overrides
from ipt_excel.services.plan_source import EXAMPLE_PLAN, TEMPLATES, load_plan

ROOT = Path(__file__).resolve().parents[1]
WITH_COLUMNS = TEMPLATES / "banes-2012-columns" / "plan.yaml"


def test_the_columns_template_is_the_bundled_plan_plus_its_columns() -> None:
    bundled = EXAMPLE_PLAN.read_text(encoding="utf-8")
    copy = WITH_COLUMNS.read_text(encoding="utf-8")
    assert copy.startswith(bundled.rstrip("\n") + "\n")
    added = yaml.safe_load(copy[len(bundled) :])
    assert [c["header"] for c in added["columns"]] == [
        "Risks and issues",
        "Status",
        "% complete",
        "Budget holder",
    ]
    plan, base = load_plan(WITH_COLUMNS), load_plan(EXAMPLE_PLAN)
    assert plan.areas == base.areas and plan.agencies == base.agencies
    assert len(plan.columns) == len(base.columns) + 4


def test_the_readmes_column_example_works_as_written() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A plan's own columns") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    raw = yaml.safe_load(block.group(1))
    columns = apply_overrides(DEFAULT_COLUMNS, raw["columns"], raw["rules"])
    assert columns["evidence"].header == "Impact"
    assert "timescale" not in columns
    assert [c.key for c in columns][:4] == ["id", "theme", "title", "leads"]
    assert [r.describe() for r in columns.rules] == [
        "progress needed when rag is filled",
        "risks_and_issues needed when rag is RED",
    ]
