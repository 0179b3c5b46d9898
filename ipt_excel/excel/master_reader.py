"""Read the master workbook back into a Plan.

The master is the coordinator's source of truth and may have been edited by hand in Excel (a
new area, a corrected text), so it is validated on read and every problem is cell-addressed.
Only the data sheets are read; Summary, Changes and Conflicts are rebuilt from the ledger.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
from defusedxml import ElementTree
from python_calamine import CalamineError, CalamineWorkbook

from ipt_excel.core.columns import Kind, header_index, parse_actions
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
from ipt_excel.core.problems import Problem
from ipt_excel.core.schemas import FrameContext, master_rules, validate
from ipt_excel.errors import PlanFileError, PlanInvalidError
from ipt_excel.excel.master_writer import (
    AGENCIES_SHEET,
    DETAILS_SHEET,
    GLOSSARY_SHEET,
    MASTER_COLUMNS,
    PLAN_SHEET,
    SNAPSHOT_PROPERTY,
    UPDATES_SHEET,
)
from ipt_excel.excel.sheets import UPDATES_HEADERS

_FIELD_BY_HEADER = {c.header: c.field for c in MASTER_COLUMNS if c.is_update}
_HEADER_OF = {f: h for h, f in _FIELD_BY_HEADER.items()}
READ_COLUMNS = tuple(c for c in MASTER_COLUMNS if c.kind is not Kind.DERIVED)


def cell_str(value: Any) -> str:
    """Cell value -> text. Numbers that are whole print without '.0' (an ID typed as 2)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return (
            value.isoformat(sep=" ")
            if value.time() != datetime.min.time()
            else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_master(path: Path) -> Plan:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise PlanFileError(f"{path}: the master workbook is missing. Run 'ipt init'.") from exc
    return read_master_bytes(data, path.name)


def master_snapshot(path: Path) -> int | None:
    """The ledger snapshot a master shows (its custom property), or None if it has none."""
    try:
        with zipfile.ZipFile(path) as zf:
            if "docProps/custom.xml" not in zf.namelist():
                return None
            root = ElementTree.fromstring(zf.read("docProps/custom.xml"), forbid_dtd=True)
    except (OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    for prop in root:
        if prop.get("name") == SNAPSHOT_PROPERTY and len(prop) and (prop[0].text or "").isdigit():
            return int(prop[0].text or 0)
    return None


def read_master_bytes(data: bytes, name: str) -> Plan:
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as exc:
        raise PlanFileError(
            f"{name}: cannot be read as a master workbook ({exc}). Restore the last good "
            f"master from the workspace's history folder."
        ) from exc
    sheets = set(wb.sheet_names)
    missing = [s for s in (PLAN_SHEET, DETAILS_SHEET, AGENCIES_SHEET) if s not in sheets]
    if missing:
        raise PlanFileError(
            f"{name}: the sheet(s) {', '.join(missing)} are missing. A master needs its Plan, "
            f"Details and Agencies sheets: restore them, or restore the last good master from "
            f"the workspace's history folder."
        )

    def rows(sheet: str) -> list[list[Any]]:
        if sheet not in sheets:
            return []
        return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)

    details, notes = _details(rows(DETAILS_SHEET))
    agencies = _agencies(rows(AGENCIES_SHEET))
    glossary = tuple(
        GlossaryEntry(cell_str(r[0]), cell_str(r[1]))
        for r in rows(GLOSSARY_SHEET)[1:]
        if len(r) >= 2 and cell_str(r[0])
    )
    scale = tuple(
        s.strip().upper()
        for s in details.get("RAG scale", ", ".join(DEFAULT_RAG_SCALE)).split(",")
        if s.strip()
    )
    plan = Plan(
        title=details.get("Title", ""),
        organisation=details.get("Organisation", ""),
        inspection=details.get("Inspection", ""),
        status=details.get("Status", ""),
        round=Round(
            name=details.get("Round", ""),
            date=_iso(details.get("Round date", ""), name, "Round date"),
            due=_iso(details["Returns due"], name, "Returns due")
            if details.get("Returns due")
            else None,
        ),
        sign_off_name=details.get("Signed off by", ""),
        sign_off_role=details.get("Role", ""),
        protective_marking=details.get("Protective marking", ""),
        coordinator_email=details.get("Coordinator e-mail", ""),
        notes=notes,
        rag_scale=scale,
        evidence_required_for_green=details.get("Evidence required for GREEN", "Yes").lower()
        != "no",
        themes=tuple(
            Theme(k.removeprefix("Theme "), v) for k, v in details.items() if k.startswith("Theme ")
        ),
        agencies=agencies,
        glossary=glossary,
    )
    areas = _areas(plan, rows(PLAN_SHEET), name)
    updates = _updates(rows(UPDATES_SHEET))
    from dataclasses import replace

    return replace(plan, areas=areas, agency_updates=updates)


def _iso(text: str, name: str, label: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise PlanFileError(
            f"{name}: on the Details sheet, '{label}' should be a date like 2012-06-26, "
            f"not '{text}'. Correct it and try again."
        ) from exc


def _details(rows: list[list[Any]]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Label/value rows; a plan may have any number of 'Note' rows, kept in order."""
    out: dict[str, str] = {}
    notes: list[str] = []
    for r in rows[1:]:
        if len(r) < 2:
            continue
        label, value = cell_str(r[0]).strip(), cell_str(r[1])
        if label == "Note":
            notes.append(value)
        elif label:
            out[label] = value
    return out, tuple(notes)


def _agencies(rows: list[list[Any]]) -> tuple[Agency, ...]:
    out = []
    for r in rows[1:]:
        r = [*r, "", "", "", ""]
        key, agency_name = cell_str(r[0]).strip(), cell_str(r[1]).strip()
        if not key and not agency_name:
            continue
        aliases = tuple(a for a in cell_str(r[2]).split("\n") if a.strip())
        out.append(Agency(key or agency_name, agency_name or key, aliases, cell_str(r[3]).strip()))
    return tuple(out)


def _as_datetime(value: Any) -> datetime | None:
    """calamine gives a date-time cell at midnight as a plain date."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    return None


def _updates(rows: list[list[Any]]) -> tuple[AgencyUpdate, ...]:
    """The Agency updates sheet, read by heading (a master from before a column was added
    still reads)."""
    if not rows:
        return ()
    pos = {cell_str(h).strip(): i for i, h in enumerate(rows[0])}

    def get(r: list[Any], header: str) -> Any:
        i = pos.get(header)
        return r[i] if i is not None and i < len(r) else None

    def fields(text: Any) -> tuple[str, ...]:
        names = (h.strip() for h in cell_str(text).split(","))
        return tuple(_FIELD_BY_HEADER[h] for h in names if h in _FIELD_BY_HEADER)

    out = []
    for r in rows[1:]:
        area_id = cell_str(get(r, UPDATES_HEADERS[0]))
        if not area_id:
            continue
        out.append(
            AgencyUpdate(
                area_id=area_id,
                agency=cell_str(get(r, "Agency")),
                round=cell_str(get(r, "Round")),
                progress=cell_str(get(r, _HEADER_OF["progress"])),
                rag=cell_str(get(r, _HEADER_OF["rag"])),
                evidence=cell_str(get(r, _HEADER_OF["evidence"])),
                next_review=cell_str(get(r, _HEADER_OF["next_review"])),
                updated_at=_as_datetime(get(r, "Updated at")),
                changed=fields(get(r, "Fields updated")),
                held=fields(get(r, "Held back")),
                source_sha256=cell_str(get(r, "Source SHA-256")),
            )
        )
    return tuple(out)


def _areas(plan: Plan, rows: list[list[Any]], name: str) -> tuple[Area, ...]:
    if not rows or not rows[0] or cell_str(rows[0][0]).strip() != "ID":
        raise PlanFileError(
            f"{name}: the Plan sheet's first row must be the header row, starting with 'ID'. "
            f"Put the header row back in row 1."
        )
    headers = [cell_str(h) for h in rows[0]]
    pos = header_index(headers, READ_COLUMNS)
    absent = [c.header for c in READ_COLUMNS if c.key not in pos]
    if absent:
        raise PlanFileError(
            f"{name}: the Plan sheet has no column headed {', '.join(repr(a) for a in absent)}. "
            f"Put the heading back exactly as it was."
        )
    records: dict[int, dict[str, str]] = {}
    for excel_row, r in enumerate(rows[1:], start=2):
        values = {
            c.key: cell_str(r[pos[c.key]]) if pos[c.key] < len(r) else "" for c in READ_COLUMNS
        }
        if any(v.strip() for v in values.values()):
            records[excel_row] = values
    frame = pd.DataFrame.from_dict(records, orient="index", columns=[c.key for c in READ_COLUMNS])
    frame = frame.astype(str) if not frame.empty else frame
    ctx = FrameContext(
        file=name,
        sheet=PLAN_SHEET,
        positions=pos,
        headers={c.key: c.header for c in READ_COLUMNS},
        ids={row: rec["id"] for row, rec in records.items()},
    )
    problems: list[Problem] = validate(
        frame,
        master_rules(plan.rag_scale, lambda n: plan.resolve_agency(n) is not None),
        READ_COLUMNS,
        ctx,
    )
    if problems:
        raise PlanInvalidError(
            f"{name}: the Plan sheet has {len(problems)} problem(s). Fix them in the master "
            f"and try again.",
            list(problems),
        )
    themes_by_label = {" ".join(t.label.split()): t.id for t in plan.themes}
    areas = []
    for rec in records.values():
        agencies = []
        for n in rec["agencies"].split("\n"):
            ag = plan.resolve_agency(n) if n.strip() else None
            if ag is not None:
                agencies.append(ag.key)
        theme = rec["theme"].strip()
        areas.append(
            Area(
                id=rec["id"].strip(),
                theme=themes_by_label.get(" ".join(theme.split()), theme),
                title=rec["title"],
                timescale=rec["timescale"],
                practice_standards=rec["practice_standards"],
                agencies=tuple(agencies),
                leads=rec["leads"],
                completion=rec["completion"],
                assurance=rec["assurance"],
                outcome=rec["outcome"],
                progress=rec["progress"],
                rag=rec["rag"].strip().upper(),
                evidence=rec["evidence"],
                next_review=rec["next_review"],
                **parse_actions(rec["actions"]),  # type: ignore[arg-type]
            )
        )
    return tuple(areas)
