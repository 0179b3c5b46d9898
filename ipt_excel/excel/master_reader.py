"""Read the master workbook back into a Plan.

The master is the coordinator's source of truth and may have been edited by hand in Excel (a
new area, a corrected text), so it is validated on read and every problem is cell-addressed.
Only the data sheets are read; Summary, Changes and Conflicts are rebuilt from the ledger.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
from defusedxml import ElementTree
from python_calamine import CalamineError, CalamineWorkbook

from ipt_excel.core.columns import (
    DEFAULT_COLUMNS,
    EVIDENCE_RULE,
    Column,
    ColumnSet,
    Kind,
    column_from_dict,
    parse_rule,
)
from ipt_excel.core.kinds import master_text
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
from ipt_excel.core.rows import cell_text, header_index, header_norm
from ipt_excel.core.schemas import FrameContext, master_rules, validate
from ipt_excel.core.text import plural
from ipt_excel.errors import ColumnSetError, PlanFileError, PlanInvalidError
from ipt_excel.excel.master_writer import (
    AGENCIES_SHEET,
    DETAILS_SHEET,
    GLOSSARY_SHEET,
    PLAN_SHEET,
    SNAPSHOT_PROPERTY,
    UPDATES_SHEET,
    master_columns,
)
from ipt_excel.excel.sheets import COLUMNS_HEADERS, COLUMNS_SHEET, UPDATES_LEAD


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


def read_master(path: Path, *, previous_keys: Collection[str] | None = None) -> Plan:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise PlanFileError(f"{path}: the master workbook is missing. Run 'ipt init'.") from exc
    return read_master_bytes(data, path.name, previous_keys=previous_keys)


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


def read_master_bytes(
    data: bytes, name: str, *, previous_keys: Collection[str] | None = None
) -> Plan:
    """The plan a master holds. A column on the Columns sheet but not on the Plan sheet is
    new (empty) when its key is not in `previous_keys` (the columns of the last master
    written); otherwise, or when `previous_keys` is None, its heading must be there."""
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
            f"{name}: {'the sheet' if len(missing) == 1 else 'the sheets'} {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing. A master needs its Plan, "
            f"Details and Agencies sheets: restore them, or restore the last good master from "
            f"the workspace's history folder."
        )

    def rows(sheet: str) -> list[list[Any]]:
        if sheet not in sheets:
            return []
        return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)

    details, notes, rule_lines, imported = _details(rows(DETAILS_SHEET))
    columns = _columns(rows(COLUMNS_SHEET), rule_lines, details, name, COLUMNS_SHEET in sheets)
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
        # A master written before returns had a sign-off asks for one, as a new plan does.
        return_sign_off=details.get("Return sign-off", "Yes").strip().casefold() != "no",
        notes=notes,
        rag_scale=scale,
        columns=columns,
        imported=imported,
        themes=tuple(
            Theme(k.removeprefix("Theme "), v) for k, v in details.items() if k.startswith("Theme ")
        ),
        agencies=agencies,
        glossary=glossary,
    )
    areas = _areas(plan, rows(PLAN_SHEET), name, previous_keys)
    updates = _updates(rows(UPDATES_SHEET), columns)
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


def _details(
    rows: list[list[Any]],
) -> tuple[dict[str, str], tuple[str, ...], list[str], tuple[tuple[str, str], ...]]:
    """Label/value rows; a plan may have any number of 'Note', 'Rule' and 'Import ...' rows,
    kept in order."""
    out: dict[str, str] = {}
    notes: list[str] = []
    rules: list[str] = []
    imported: list[tuple[str, str]] = []
    for r in rows[1:]:
        if len(r) < 2:
            continue
        label, value = cell_str(r[0]).strip(), cell_str(r[1])
        if label == "Note":
            notes.append(value)
        elif label.startswith("Import "):
            imported.append((label.removeprefix("Import "), value))
        elif label == "Rule":
            if value.strip():
                rules.append(value)
        elif label:
            out[label] = value
    return out, tuple(notes), rules, tuple(imported)


def _columns(
    rows: list[list[Any]], rule_lines: list[str], details: dict[str, str], name: str, has: bool
) -> ColumnSet:
    """The Columns sheet (and the Details sheet's rules) as a ColumnSet. A master written
    before plans had their own columns has no Columns sheet: the default set, with the one
    rule it could switch off."""
    if not has:
        evidence = details.get("Evidence required for GREEN", "Yes").strip().lower() != "no"
        rules = (
            DEFAULT_COLUMNS.rules
            if evidence
            else (tuple(r for r in DEFAULT_COLUMNS.rules if r != EVIDENCE_RULE))
        )
        return ColumnSet(DEFAULT_COLUMNS.columns, rules)
    if not rows or [cell_str(h).strip() for h in rows[0][:2]] != list(COLUMNS_HEADERS[:2]):
        raise PlanFileError(
            f"{name}: the {COLUMNS_SHEET} sheet's first row must be its header row, starting "
            f"with '{COLUMNS_HEADERS[0]}' and '{COLUMNS_HEADERS[1]}'. Put the header row back."
        )
    pos = {cell_str(h).strip(): i for i, h in enumerate(rows[0])}
    keys = {
        "Key": "key",
        "Header": "header",
        "Kind": "kind",
        "Update": "update",
        "In returns": "in_return",
        "In master": "in_master",
        "Choices": "choices",
        "Combine": "combine",
        "Last review": "last_review",
        "Width": "width",
        "Help": "help",
        "Other headings": "source_headers",
    }
    columns = []
    try:
        for n, r in enumerate(rows[1:], start=2):
            raw = {
                field: cell_str(r[pos[h]]) if h in pos and pos[h] < len(r) else ""
                for h, field in keys.items()
            }
            if not raw["key"].strip() and not raw["header"].strip():
                continue
            given = {k: v for k, v in raw.items() if v.strip() or k in ("help",)}
            columns.append(column_from_dict(given, f"{name}, {COLUMNS_SHEET} row {n}"))
        return ColumnSet(tuple(columns), tuple(parse_rule(line) for line in rule_lines))
    except ColumnSetError as exc:
        raise PlanFileError(f"{name}, {COLUMNS_SHEET} sheet: {exc}") from exc


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


def _updates(rows: list[list[Any]], columns: ColumnSet) -> tuple[AgencyUpdate, ...]:
    """The Agency updates sheet, read by heading: the update columns by their headers (a
    master written before a column was added still reads)."""
    if not rows:
        return ()
    pos = {cell_str(h).strip(): i for i, h in enumerate(rows[0])}
    key_of = {c.header: c.key for c in columns.updates}

    def get(r: list[Any], header: str) -> Any:
        i = pos.get(header)
        return r[i] if i is not None and i < len(r) else None

    def keys(text: Any) -> tuple[str, ...]:
        names = (h.strip() for h in cell_str(text).split(","))
        return tuple(key_of[h] for h in names if h in key_of)

    out = []
    for r in rows[1:]:
        area_id = cell_str(get(r, UPDATES_LEAD[0]))
        if not area_id:
            continue
        out.append(
            AgencyUpdate(
                area_id=area_id,
                agency=cell_str(get(r, "Agency")),
                round=cell_str(get(r, "Round")),
                values={
                    c.key: cell_str(get(r, c.header)) for c in columns.updates if c.header in pos
                },
                updated_at=_as_datetime(get(r, "Updated at")),
                changed=keys(get(r, "Fields updated")),
                held=keys(get(r, "Held back")),
                source_sha256=cell_str(get(r, "Source SHA-256")),
            )
        )
    return tuple(out)


def check_written_master(data: bytes, plan: Plan, name: str, snapshot: int | None) -> None:
    """That a master just written reads back, without reading it: the structure of its
    bytes (a zip whose workbook lists the Plan, Details and Agencies sheets, and the
    snapshot property), then the master's own rules (IDs present and unique, RAG on the
    scale, agencies on the Agencies sheet) over the very texts its Plan sheet was written
    with. Raises what read_master_bytes would raise for a plan whose master could not be
    read back (PlanInvalidError, with the same cell-addressed problems).

    read_master_bytes on the written bytes would say the same, but parses and validates
    every cell again: as long as writing the plan took. The writer and reader are held to
    each other by tests/excel/test_master_writer.py, so what is left to check is the plan.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"), forbid_dtd=True)
            has_custom = "docProps/custom.xml" in zf.namelist()
            custom = zf.read("docProps/custom.xml") if has_custom else b""
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise PlanFileError(f"{name}: the master written could not be read back ({exc}).") from exc
    sheets = {s.get("name") for s in workbook.iter() if s.tag.rsplit("}", 1)[-1] == "sheet"}
    missing = [s for s in (PLAN_SHEET, DETAILS_SHEET, AGENCIES_SHEET) if s not in sheets]
    stamp = f"<vt:i4>{snapshot}</vt:i4>".encode()
    if missing or (snapshot is not None and stamp not in custom):
        raise PlanFileError(
            f"{name}: the master written could not be read back (it lacks "
            f"{', '.join(missing) or 'its snapshot number'})."
        )
    readable = tuple(c for c in plan.columns.master if c.kind is not Kind.DERIVED)
    headers = [c.header for c in master_columns(plan.columns)]
    written = [
        [
            cell_text(plan, area, c) if c.kind is not Kind.DERIVED else ""
            for c in master_columns(plan.columns)
        ]
        for area in plan.areas
    ]
    _records(plan, [headers, *written], name, None, readable)


def _areas(
    plan: Plan, rows: list[list[Any]], name: str, previous_keys: Collection[str] | None
) -> tuple[Area, ...]:
    columns = plan.columns
    readable = tuple(c for c in columns.master if c.kind is not Kind.DERIVED)
    records = _records(plan, rows, name, previous_keys, readable)
    themes_by_label = {" ".join(x.split()): t.id for t in plan.themes for x in t.labels}
    theme_key = next((c.key for c in readable if c.kind is Kind.THEME), None)
    parent_key = next((c.key for c in readable if c.kind is Kind.PARENT), None)
    agencies_key = columns["agencies"].key
    updates_columns, text_columns, rag_key = columns.updates, columns.plan_text, columns.rag.key
    areas = []
    for rec in records.values():
        agencies = []
        for n in rec[agencies_key].split("\n"):
            ag = plan.resolve_agency(n) if n.strip() else None
            if ag is not None:
                agencies.append(ag.key)
        theme = rec[theme_key].strip() if theme_key else ""
        updates = {c.key: rec[c.key] for c in updates_columns if c.key in rec}
        updates[rag_key] = updates.get(rag_key, "").strip().upper()
        areas.append(
            Area(
                id=rec["id"].strip(),
                theme=themes_by_label.get(" ".join(theme.split()), theme),
                agencies=tuple(agencies),
                text={c.key: rec[c.key] for c in text_columns if c.key in rec},
                updates=updates,
                parent=rec[parent_key].strip() if parent_key else "",
            )
        )
    return tuple(areas)


def _records(
    plan: Plan,
    rows: list[list[Any]],
    name: str,
    previous_keys: Collection[str] | None,
    readable: tuple[Column, ...],
) -> dict[int, dict[str, str]]:
    """The Plan sheet's rows as texts by column key, by Excel row, validated."""
    columns = plan.columns
    id_header = columns["id"].header
    if not rows or not rows[0] or cell_str(rows[0][0]).strip() != id_header:
        raise PlanFileError(
            f"{name}: the Plan sheet's first row must be the header row, starting with "
            f"'{id_header}'. Put the header row back in row 1."
        )
    headers = [cell_str(h) for h in rows[0]]
    pos = header_index(headers, readable)
    known = {header_norm(c.header) for c in master_columns(columns)}
    known |= {header_norm(h) for c in readable for h in c.source_headers}
    stray = [h for h in headers if h.strip() and header_norm(h) not in known]
    absent = [c for c in readable if c.key not in pos]
    lost = [c.header for c in absent if previous_keys is None or c.key in previous_keys]
    if lost:
        renamed = f" (is it the column now headed {stray[0]!r}?)" if stray else ""
        raise PlanFileError(
            f"{name}: the Plan sheet has no column headed {', '.join(repr(a) for a in lost)}"
            f"{renamed}. Put the heading back exactly as it was, or rename the column on the "
            f"{COLUMNS_SHEET} sheet too."
        )
    if stray:
        raise PlanFileError(
            f"{name}: the Plan sheet has a column headed {stray[0]!r}, which is not on the "
            f"{COLUMNS_SHEET} sheet. Add it there (with its kind) to keep it, or delete the "
            f"column."
        )
    records: dict[int, dict[str, str]] = {}
    for excel_row, r in enumerate(rows[1:], start=2):
        values = {
            c.key: master_text(c, r[pos[c.key]]) if c.key in pos and pos[c.key] < len(r) else ""
            for c in readable
        }
        if any(v.strip() for v in values.values()):
            records[excel_row] = values
    keys = [c.key for c in readable]
    frame = pd.DataFrame.from_dict(records, orient="index", columns=keys)
    frame = frame.astype(str) if not frame.empty else frame
    ctx = FrameContext(
        file=name,
        sheet=PLAN_SHEET,
        positions=pos,
        headers={c.key: c.header for c in readable},
        ids={row: rec["id"] for row, rec in records.items()},
    )
    problems: list[Problem] = validate(
        frame,
        master_rules(plan.rag_scale, lambda n: plan.resolve_agency(n) is not None),
        readable,
        ctx,
    )
    if problems:
        raise PlanInvalidError(
            f"{name}: the Plan sheet has {plural(len(problems), 'problem')}. Fix them in the "
            f"master and try again.",
            list(problems),
        )
    return records
