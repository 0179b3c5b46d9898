"""Where plans come from: the bundled example, a YAML plan file, or a coordinator's table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml

from ipt_excel.core.model import BLUE, DEFAULT_RAG_SCALE, Plan
from ipt_excel.core.plan_data import plan_from_dict
from ipt_excel.core.problems import Problem
from ipt_excel.core.text import plural
from ipt_excel.errors import PlanFileError, PlanInvalidError, UsageError
from ipt_excel.excel.safe_open import Limits

if TYPE_CHECKING:
    from ipt_excel.core.plan_table import AgencySplit, PlanTable

# A plan table may be far larger than a return: a national programme's plan has thousands of
# rows. The gate's byte, zip and XML checks all still apply; only the work limits are wider.
IMPORT_LIMITS = Limits(
    max_sheet_cells=2_000_000,
    max_cells=2_500_000,
    max_rows=500_000,
    max_sheet_area=20_000_000,
    max_formulas=500_000,
    max_merged_ranges=100_000,
    max_shared_strings=2_000_000,
    max_shared_string_bytes=150 * 1024 * 1024,
    max_sheet_bytes=190 * 1024 * 1024,
    max_markup=2_000_000,
    max_other_xml_bytes=50 * 1024 * 1024,
    max_work=20_000_000,
)

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


TABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")


@dataclass(frozen=True)
class LoadedPlan:
    """A plan read from a source, with what the import found on the way (tables only)."""

    plan: Plan
    mapping_text: str = ""  # the mapping used, as printed ("" for a .yaml plan)
    warnings: tuple[Problem, ...] = ()
    splits: tuple[AgencySplit, ...] = ()  # agency cells that were split, and how


def load_plan_source(
    path: Path,
    *,
    title: str | None = None,
    round_name: str | None = None,
    round_date: date | None = None,
    sheet: str | None = None,
    mapping: Sequence[str] = (),
    rows: str = "auto",
    agencies: Path | None = None,
    previous: Plan | None = None,
) -> LoadedPlan:
    """A plan from a .yaml plan file, or from a council's own table.

    For a table: `sheet`, `mapping` (repeated "Heading=column"), `rows` ("areas", "actions" or
    "auto") and `agencies` (a registry file) say how to read it. When none is given and
    `previous` (the workspace's current plan) was imported from a file of the same name, the
    settings recorded then are used again, so a re-import gives the same plan. Every problem
    in the table is raised at once (PlanInvalidError), each naming its file, sheet and cell.
    """
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return LoadedPlan(load_plan(path))
    if suffix not in TABLE_SUFFIXES:
        raise PlanFileError(
            f"{path.name}: start from a plan .yaml file, or a table ("
            f"{', '.join(TABLE_SUFFIXES[:-1])}) with headings such as 'Recommendation', "
            f"'Action', 'Owner', 'Target date'."
        )
    from ipt_excel.core.plan_table import format_mapping, map_table, parse_map_option
    from ipt_excel.core.table_plan import plan_from_table
    from ipt_excel.excel.table_reader import read_agency_registry, read_table

    recorded = dict(previous.imported) if previous is not None else {}
    if not (sheet or mapping or rows != "auto") and recorded.get("file") == path.name:
        sheet = recorded.get("sheet") or None
        rows = recorded.get("rows", "auto")
        mapping = [v for k, v in previous.imported if k == "map"] if previous else []
    registry = read_agency_registry(agencies) if agencies is not None else None
    source = read_table(path, limits=IMPORT_LIMITS)
    day = round_date or date.today()
    settings = {
        "sheet": sheet,
        "mapping": parse_map_option(mapping),
        "rows": _rows_mode(rows),
        "registry": registry.agencies if registry else (),
        "context": day,
    }
    table = map_table(source, **settings)  # type: ignore[arg-type]
    scale = DEFAULT_RAG_SCALE
    if _uses_blue(table):
        scale = (*DEFAULT_RAG_SCALE, BLUE)
        table = map_table(source, rag_scale=scale, **settings)  # type: ignore[arg-type]
    imported = plan_from_table(
        table,
        title=title or (table.title_lines[0] if table.title_lines else path.stem),
        round_name=round_name or "Baseline",
        round_date=day,
        registry=registry.agencies if registry else (),
        rag_scale=scale,
    )
    problems = [*(registry.problems if registry else ()), *imported.problems]
    errors = [p for p in problems if p.is_error]
    if errors:
        raise PlanInvalidError(
            f"{path.name}: {plural(len(errors), 'problem')} to fix in the table. Nothing was "
            f"written: fix {'it' if len(errors) == 1 else 'them'}, then run the command again.",
            problems,
        )
    record = (
        ("file", path.name),
        ("sheet", table.sheet),
        ("rows", table.mode),
        *(("map", f"{m.heading}={m.target or ('ignore' if m.how == 'ignored' else 'text')}")
          for m in table.mapping if m.heading),
    )  # fmt: skip
    plan = replace(imported.plan, imported=record)
    return LoadedPlan(
        plan,
        mapping_text=format_mapping(table),
        warnings=tuple(p for p in problems if not p.is_error),
        splits=table.agency_splits,
    )


def _uses_blue(table: PlanTable) -> bool:
    """A BRAG plan: its RAG column is headed BRAG, or a rating is written Blue or B."""
    heading = next((m.heading for m in table.mapping if m.target == "rag"), "")
    if "brag" in heading.casefold():
        return True
    return any(
        p.rule == "rag-read-as" and str(p.value).strip().casefold() in ("b", "blue")
        for p in table.problems
    )


def _rows_mode(rows: str) -> Literal["areas", "actions", "auto"]:
    if rows not in ("areas", "actions", "auto"):
        raise UsageError(f"--rows must be areas, actions or auto, not '{rows}'.")
    return rows  # type: ignore[return-value]
