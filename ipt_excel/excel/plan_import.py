"""Import a coordinator's existing plan from an .xlsx or .csv table with the seed's headings.

The table has one row per area. Headings are matched through the column specification, so
"Progress at (Inc RAG rating)" and "Agency" are understood as well as this tool's own headings.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from ipt_excel.core.columns import DEFAULT_COLUMNS, Column, Kind
from ipt_excel.core.model import DEFAULT_RAG_SCALE, Agency, Area, Plan, Round, Theme, slugify
from ipt_excel.core.rows import header_index
from ipt_excel.errors import PlanFileError
from ipt_excel.excel.master_reader import cell_str

IMPORT_COLUMNS: tuple[Column, ...] = tuple(
    c for c in DEFAULT_COLUMNS if c.in_master and c.kind is not Kind.DERIVED
)
_ID_AT_START = re.compile(r"^\s*(?:Area for improvement\s+)?(\d+(?:\.\d+)+)\s+(.*)$", re.S)
_TRAILING_RAG = re.compile(r"[\s(]*\b(RED|AMBER|GREEN|BLUE)\b[).]*\s*$", re.I)
_AGENCY_SPLIT = re.compile(r"\s*(?:\n|;)\s*")


def import_table(
    path: Path, *, title: str | None = None, round_name: str, round_date: date
) -> Plan:
    """Read a plan table. Raise PlanFileError naming any missing or unknown column."""
    rows = _read_rows(path)
    header_at = next((i for i, r in enumerate(rows[:20]) if _looks_like_header(r)), None)
    if header_at is None:
        raise PlanFileError(
            f"{path.name}: no header row found in the first 20 rows. The table needs headings "
            f"such as 'Area for improvement', 'Actions', 'Lead', 'Date for completion'."
        )
    headers = [h.strip() for h in rows[header_at]]
    pos = header_index(headers, IMPORT_COLUMNS)
    known = {
        " ".join(h.split()).casefold()
        for c in IMPORT_COLUMNS
        for h in (c.header, *c.source_headers)
    }
    unknown = [h for h in headers if h and " ".join(h.split()).casefold() not in known]
    # The ID may instead lead the "Area for improvement" text, as in the seed's table.
    missing = [
        c.header for c in IMPORT_COLUMNS if c.key in ("title", "actions") and c.key not in pos
    ]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing column(s): " + ", ".join(repr(m) for m in missing))
        if unknown:
            parts.append("unknown column(s): " + ", ".join(repr(u) for u in unknown))
        expected = ", ".join(repr(c.header) for c in IMPORT_COLUMNS)
        raise PlanFileError(
            f"{path.name}: {'; '.join(parts)}. Rename the headings to match: {expected}."
        )

    agencies: dict[str, Agency] = {}
    areas: list[Area] = []
    for n, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        rec = {k: (row[i] if i < len(row) else "") for k, i in pos.items()}
        if not any(v.strip() for v in rec.values()):
            continue
        area_id, area_title = rec.get("id", "").strip(), rec.get("title", "").strip()
        if not area_id:
            m = _ID_AT_START.match(area_title)
            if not m:
                raise PlanFileError(
                    f"{path.name}: row {n} has no ID. Add an 'ID' column, or start the "
                    f"'Area for improvement' text with the area's ID, like '1.4 Ensure that…'."
                )
            area_id, area_title = m.group(1), m.group(2).strip()
        progress, rag = rec.get("progress", ""), rec.get("rag", "").strip().upper()
        if "rag" not in pos:
            m2 = _TRAILING_RAG.search(progress)
            if m2:
                rag, progress = m2.group(1).upper(), progress[: m2.start()].rstrip()
        keys = []
        for agency_name in _AGENCY_SPLIT.split(rec.get("agencies", "")):
            if agency_name:
                agencies.setdefault(agency_name.casefold(), Agency(agency_name, agency_name))
                keys.append(agencies[agency_name.casefold()].key)
        theme = rec.get("theme", "").strip() or area_id.split(".")[0]
        values = {**rec, "progress": progress, "rag": rag}
        areas.append(
            Area(
                id=area_id,
                theme=theme,
                agencies=tuple(dict.fromkeys(keys)),
                text={
                    c.key: (area_title if c.key == "title" else values.get(c.key, ""))
                    for c in DEFAULT_COLUMNS.plan_text
                },
                updates={c.key: values.get(c.key, "") for c in DEFAULT_COLUMNS.updates},
            )
        )
    if not areas:
        raise PlanFileError(f"{path.name}: the table has a header row but no areas under it.")
    themes = tuple(Theme(t, f"Theme {t}") for t in dict.fromkeys(a.theme for a in areas))
    plan = Plan(
        title=title or path.stem,
        organisation="",
        inspection="",
        round=Round(round_name, round_date),
        rag_scale=DEFAULT_RAG_SCALE,
        themes=themes,
        agencies=tuple(agencies.values()),
        areas=tuple(areas),
    )
    _check_slugs(plan, path)
    return plan


def _check_slugs(plan: Plan, path: Path) -> None:
    seen: dict[str, str] = {}
    for ag in plan.agencies:
        other = seen.setdefault(slugify(ag.key), ag.name)
        if other != ag.name:
            raise PlanFileError(
                f"{path.name}: the agencies '{other}' and '{ag.name}' would share a return file "
                f"name. Give one of them a different name."
            )


def _looks_like_header(row: list[str]) -> bool:
    """Two known headings make a header row; what is missing is named afterwards."""
    return len(header_index([h.strip() for h in row], IMPORT_COLUMNS)) >= 2


def _read_rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            text = path.read_bytes().decode("utf-8-sig")
            return [list(r) for r in csv.reader(io.StringIO(text))]
        if suffix == ".xlsx":
            from python_calamine import CalamineWorkbook

            from ipt_excel.excel.safe_open import open_workbook_safely

            safe = open_workbook_safely(path)
            wb = CalamineWorkbook.from_filelike(io.BytesIO(safe.data))
            sheet = wb.get_sheet_by_index(0)
            return [[cell_str(v) for v in r] for r in sheet.to_python(skip_empty_area=False)]
    except FileNotFoundError as exc:
        raise PlanFileError(f"{path}: file not found. Check the path.") from exc
    except UnicodeDecodeError as exc:
        raise PlanFileError(f"{path.name}: save the CSV file as UTF-8 and try again.") from exc
    raise PlanFileError(
        f"{path.name}: import a plan from an .xlsx or .csv table, or a plan .yaml file."
    )
