"""What the floors share: the workspace's key, the master read with python-calamine, signing.

The floors are separate scripts that do a command's essential work with bare library calls,
so the tool's time can be set against what that work costs at least. They import nothing
from ipt_excel: they rely only on the files' layout (the master's headings, the return's
header row and headings, the manifest sheet) and on the HMAC-SHA256 of a canonical JSON
manifest, which is how a return proves where it came from.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook

PLAN_SHEET = "Plan"
AGENCIES_SHEET = "Agencies"
DETAILS_SHEET = "Details"
RETURN_SHEET = "Return"
LISTS_SHEET = "Lists"
MANIFEST_SHEET = "_manifest"
MANIFEST_MARKER = "ipt_excel manifest"
MANIFEST_CHUNK = 30_000  # characters a cell; Excel's limit is 32,767
RAG_SCALE = ("RED", "AMBER", "GREEN")
UPDATE_HEADINGS = {
    "progress": "Progress",
    "rag": "RAG",
    "evidence": "Evidence of impact",
    "next_review": "Date of next review",
}
_MONTH_NAMES = "january february march april may june july august september october november"
_MONTHS = {m: i for i, m in enumerate([*_MONTH_NAMES.split(), "december"], start=1)}
_MONTH_YEAR = re.compile(r"([A-Za-z]+)\s+(\d{4})")


def read_key(workspace: Path) -> bytes:
    return bytes.fromhex((workspace / ".ipt" / "key").read_text(encoding="ascii").strip())


def canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload: bytes, key: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def locked_hash(texts: list[str]) -> str:
    """SHA-256 of a row's locked texts as a JSON list: what a return signs for each row."""
    encoded = json.dumps(texts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def chunks(text: str, size: int = MANIFEST_CHUNK) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def table(grid: Sequence[Sequence[object]], header_row: int = 0) -> list[dict[str, str]]:
    """Rows below `header_row` as heading -> text, up to the first empty row."""
    headings = [str(v).strip() for v in grid[header_row]]
    out = []
    for row in grid[header_row + 1 :]:
        if all(str(v).strip() == "" for v in row):
            break
        out.append({h: str(v) for h, v in zip(headings, row, strict=False) if h})
    return out


@dataclass(frozen=True)
class Master:
    headings: list[str]  # the Plan sheet's headings, in order
    areas: list[dict[str, str]]  # heading -> text, one per area
    agencies: dict[str, str]  # agency name -> key, in plan order
    round_name: str


def read_master(path: Path) -> Master:
    """The master's Plan, Agencies and Details sheets: what issue and merge start from."""
    wb = CalamineWorkbook.from_path(str(path))
    plan = wb.get_sheet_by_name(PLAN_SHEET).to_python()
    agencies = table(wb.get_sheet_by_name(AGENCIES_SHEET).to_python())
    details = table(wb.get_sheet_by_name(DETAILS_SHEET).to_python())
    round_name = next((d.get("Value", "") for d in details if d.get("Detail") == "Round"), "")
    return Master(
        headings=[str(h).strip() for h in plan[0]],
        areas=table(plan),
        agencies={a["Name"]: a["Key"] for a in agencies},
        round_name=round_name,
    )


def slug(key: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "-", key).strip("-").lower() or "x"


def review_problem(text: str, round_month: int) -> bool:
    """True when a month-year review date is not after the round's month (year*12+month)."""
    m = _MONTH_YEAR.fullmatch(text.strip())
    if m is None or m.group(1).casefold() not in _MONTHS:
        return False  # a day, "Not required" or empty: the floor does not parse those
    return int(m.group(2)) * 12 + _MONTHS[m.group(1).casefold()] <= round_month
