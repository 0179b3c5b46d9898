"""Floor for `ipt check`: identify and validate returns with bare python-calamine + hashlib.

    python benchmarks/floor_check.py --workspace WS FILE...

Includes, for each file: reading its bytes and their SHA-256; opening it with
python-calamine; reading the manifest from its hidden sheet and verifying the HMAC-SHA256
signature with the workspace key; refusing a return of another round than the master's
current one (from the master's Details sheet, read once); finding the header row and the
update columns by heading; matching each row's ID to the manifest; hashing each row's locked
text against the manifest; and the value rules: a RAG from the scale, progress given with a
RAG, evidence of impact with GREEN, a month-year review date after the round's month.
Prints one line per file. Exit code 0 when every file is valid, 1 otherwise.

Leaves out: the safe-open gate's checks on the zip (sizes, macros, external links), formula
detection, the ledger lookup of which return was issued last, dates typed as days, the
warnings, and the report and feedback workbooks for invalid returns.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import json
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from floor_common import (
    DETAILS_SHEET,
    MANIFEST_MARKER,
    MANIFEST_SHEET,
    RAG_SCALE,
    RETURN_SHEET,
    UPDATE_HEADINGS,
    locked_hash,
    read_key,
    review_problem,
    sign,
    table,
)
from python_calamine import CalamineWorkbook


@dataclass
class Checked:
    """One file's verdict, and what a merge needs from a valid one."""

    name: str
    sha256: str
    problems: list[str] = field(default_factory=list)
    agency: str = ""
    round_name: str = ""
    # area ID -> (the agency's update values, the fields changed since issue), in row order
    rows: dict[str, tuple[dict[str, str], list[str]]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems


def current_round(workspace: Path) -> str:
    wb = CalamineWorkbook.from_path(str(workspace / "master.xlsx"))
    details = table(wb.get_sheet_by_name(DETAILS_SHEET).to_python())
    return next((d.get("Value", "") for d in details if d.get("Detail") == "Round"), "")


def _manifest(wb: Any, key: bytes) -> dict[str, Any] | str:
    """The verified manifest, or why it cannot be trusted."""
    if MANIFEST_SHEET not in wb.sheet_names:
        return "no manifest sheet"
    cells = [str(r[0]) if r else "" for r in wb.get_sheet_by_name(MANIFEST_SHEET).to_python()]
    if len(cells) < 3 or cells[0] != MANIFEST_MARKER:
        return "manifest sheet changed"
    text = "".join(c for c in cells[2:] if c)
    if not hmac.compare_digest(sign(text.encode("utf-8"), key), cells[1].strip()):
        return "signature does not verify"
    try:
        manifest = json.loads(text)
    except ValueError:
        return "manifest is not JSON"
    return manifest if isinstance(manifest, dict) else "manifest is not an object"


def _round_month(manifest: dict[str, Any]) -> int:
    d = date.fromisoformat(str(manifest.get("round_date", "1900-01-01")))
    return d.year * 12 + d.month


def _check_rows(out: Checked, grid: list[list[Any]], manifest: dict[str, Any]) -> None:
    header = int(manifest.get("header_row", 9)) - 1
    headings = [str(v).strip() for v in grid[header]] if len(grid) > header else []
    if not headings or headings[0] != "ID":
        out.problems.append("no header row")
        return
    cols = {f: headings.index(h) for f, h in UPDATE_HEADINGS.items() if h in headings}
    if len(cols) != len(UPDATE_HEADINGS):
        out.problems.append("an update column is missing")
        return
    locked = [i for i, h in enumerate(headings) if h and i not in cols.values()]
    issued = {r["id"]: r for r in manifest["rows"]}
    month = _round_month(manifest)
    for row in grid[header + 1 : header + 1 + len(issued)]:
        rid = str(row[0]).strip()
        was = issued.get(rid)
        if was is None:
            out.problems.append(f"row {rid!r} was not issued")
            continue
        if locked_hash([str(row[i]) for i in locked]) != was["locked_sha256"]:
            out.problems.append(f"{rid}: locked text changed")
        values = {f: str(row[c]).strip() for f, c in cols.items()}
        rag = values["rag"].upper()
        if rag and rag not in RAG_SCALE:
            out.problems.append(f"{rid}: RAG {rag!r}")
        if rag and not values["progress"]:
            out.problems.append(f"{rid}: RAG without progress")
        if rag == "GREEN" and not values["evidence"]:
            out.problems.append(f"{rid}: GREEN without evidence")
        if review_problem(values["next_review"], month) and values["next_review"] != (
            was["issued"].get("next_review", "")
        ):
            out.problems.append(f"{rid}: review date not after the round")
        changed = [f for f, v in values.items() if v != was["issued"].get(f, "").strip()]
        out.rows[rid] = (values, changed)
    if len(out.rows) != len(issued):
        out.problems.append("rows missing")


def check_file(path: Path, key: bytes, round_name: str) -> Checked:
    data = path.read_bytes()
    out = Checked(path.name, hashlib.sha256(data).hexdigest())
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # a damaged file is a verdict, not a crash
        out.problems.append(f"not a workbook: {exc}")
        return out
    manifest = _manifest(wb, key)
    if isinstance(manifest, str):
        out.problems.append(manifest)
        return out
    out.agency = str(manifest.get("agency", ""))
    out.round_name = str(manifest.get("round_name", manifest.get("round", "")))
    if out.round_name != round_name:
        out.problems.append(f"return for {out.round_name!r}, not the current round")
        return out
    _check_rows(out, wb.get_sheet_by_name(RETURN_SHEET).to_python(), manifest)
    return out


def check_all(workspace: Path, paths: list[Path]) -> list[Checked]:
    key = read_key(workspace)
    round_name = current_round(workspace)
    return [check_file(p, key, round_name) for p in paths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    results = check_all(args.workspace, args.files)
    for r in results:
        verdict = "valid" if r.valid else "not valid: " + "; ".join(r.problems[:3])
        print(f"{r.name}: {verdict}")
    sys.exit(0 if all(r.valid for r in results) else 1)


if __name__ == "__main__":
    main()
