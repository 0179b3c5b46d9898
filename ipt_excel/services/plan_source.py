"""Where plans come from: the bundled example, a YAML plan file, or a coordinator's table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from ipt_excel.core.model import Plan
from ipt_excel.core.plan_data import plan_from_dict
from ipt_excel.errors import PlanFileError

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
EXAMPLE_PLAN = TEMPLATES / "banes-2012" / "plan.yaml"


def example_plan_path() -> Path:
    """The bundled example; installed copies look beside the package too."""
    if EXAMPLE_PLAN.exists():
        return EXAMPLE_PLAN
    raise PlanFileError(
        f"The bundled example plan is missing: {EXAMPLE_PLAN}. Reinstall ipt_excel from source."
    )


def load_plan(path: Path) -> Plan:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PlanFileError(f"{path}: file not found. Check the path.") from exc
    except yaml.YAMLError as exc:
        raise PlanFileError(f"{path}: not valid YAML ({exc}). Fix the file and try again.") from exc
    if not isinstance(raw, dict) or "plan" not in raw or "areas" not in raw:
        raise PlanFileError(f"{path}: a plan file needs 'plan:' and 'areas:' sections.")
    try:
        return plan_from_dict(raw, strip=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(
            f"{path}: {exc}. Compare it with templates/banes-2012/plan.yaml."
        ) from exc


def load_plan_source(
    path: Path,
    *,
    title: str | None = None,
    round_name: str | None = None,
    round_date: date | None = None,
) -> Plan:
    """A plan from a .yaml plan file, or an .xlsx/.csv table with the seed's headings."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return load_plan(path)
    if suffix in (".xlsx", ".csv"):
        from ipt_excel.excel.plan_import import import_table

        return import_table(
            path,
            title=title,
            round_name=round_name or "Baseline",
            round_date=round_date or date.today(),
        )
    raise PlanFileError(
        f"{path.name}: start from a plan .yaml file, or an .xlsx or .csv table with the "
        f"headings 'Area for improvement', 'Actions', 'Lead', 'Date for completion' and so on."
    )
