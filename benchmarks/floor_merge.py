"""Floor for `ipt merge`: the check floor's work, then one new master with bare xlsxwriter.

    python benchmarks/floor_merge.py --workspace WS --out MASTER.xlsx FILE...

Includes: everything floor_check.py does for every file; reading the master's Plan and
Agencies sheets with python-calamine; deriving each area's new update values from every
valid return (one agency's change is taken as it is, several agencies' text is listed with
each agency's name, the RAG is the worst given, the date of next review the first); and
writing one master of the same shape: a Plan sheet with the master's headings and one row
per area (wrapped text, a row height from the text, changed cells highlighted, RAG colours
and a RAG dropdown on a hidden Lists sheet, frozen header) and an Agency updates sheet with
one row per area and agency that returned it.

Leaves out: the workspace lock, the ledger (receipts, changes, conflicts, snapshot), keeping
a copy of each file received and of the old master, feedback workbooks, conflict detection,
cell notes, and the Summary, Changes, Conflicts, Agencies, Glossary and Details sheets.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from floor_check import Checked, check_all
from floor_common import LISTS_SHEET, PLAN_SHEET, RAG_SCALE, UPDATE_HEADINGS, Master, read_master

UPDATES_SHEET = "Agency updates"
UPDATES_HEADINGS = (
    "ID",
    "Agency",
    "Round",
    *UPDATE_HEADINGS.values(),
    "Updated at",
    "Fields updated",
    "Source SHA-256",
)
WORST_FIRST = ("RED", "AMBER", "GREEN")


def _derive(field: str, given: list[tuple[str, str]]) -> str:
    """The master's value from each (agency name, value) that changed `field`."""
    if field == "rag":
        return min((v for _, v in given), key=lambda v: WORST_FIRST.index(v.upper()))
    if len(given) == 1 or field == "next_review":
        return given[0][1]
    return "\n\n".join(f"{name}: {value}" for name, value in given)


def merged_areas(
    master: Master, returns: list[Checked]
) -> tuple[list[dict[str, str]], set[tuple[str, str]]]:
    """The areas with every valid return applied, and the (area ID, heading) cells changed."""
    names = {k: n for n, k in master.agencies.items()}
    order = {k: i for i, k in enumerate(master.agencies.values())}
    given: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
    for r in returns:
        for rid, (values, changed) in r.rows.items():
            for f in changed:
                entry = (order.get(r.agency, 1 << 30), names.get(r.agency, r.agency), values[f])
                given.setdefault((rid, f), []).append(entry)
    areas, changed_cells = [], set()
    for area in master.areas:
        new = dict(area)
        for f, heading in UPDATE_HEADINGS.items():
            entries = sorted(given.get((area["ID"], f), []))
            if entries:
                new[heading] = _derive(f, [(n, v) for _, n, v in entries])
                if new[heading] != area.get(heading, ""):
                    changed_cells.add((area["ID"], heading))
        areas.append(new)
    return areas, changed_cells


def _plan_sheet(
    wb: Any, master: Master, areas: list[dict[str, str]], changed: set[tuple[str, str]]
) -> None:
    wrap = {"text_wrap": True, "valign": "top", "font_name": "Arial", "font_size": 10}
    text = wb.add_format(wrap)
    highlight = wb.add_format({**wrap, "bg_color": "#FFF2CC"})
    header = wb.add_format({**wrap, "bold": True})
    ws = wb.add_worksheet(PLAN_SHEET)
    for c, h in enumerate(master.headings):
        ws.set_column(c, c, 20)
        ws.write_string(0, c, h, header)
    for r, area in enumerate(areas, start=1):
        values = [area.get(h, "") for h in master.headings]
        lines = max(sum(len(p) // 20 + 1 for p in v.split("\n")) for v in values)
        ws.set_row(r, min(lines * 12.75 + 4, 409))
        for c, (h, v) in enumerate(zip(master.headings, values, strict=True)):
            ws.write_string(r, c, v, highlight if (area["ID"], h) in changed else text)
    rag = master.headings.index(UPDATE_HEADINGS["rag"])
    last = max(len(areas), 1)
    for word, colour in zip(RAG_SCALE, ("#FFC7CE", "#FFEB9C", "#C6EFCE"), strict=True):
        rule = {"type": "cell", "criteria": "==", "value": f'"{word}"'}
        ws.conditional_format(
            1, rag, last, rag, {**rule, "format": wb.add_format({"bg_color": colour})}
        )
    source = f"={LISTS_SHEET}!$A$1:$A${len(RAG_SCALE)}"
    ws.data_validation(1, rag, last, rag, {"validate": "list", "source": source})
    ws.freeze_panes(1, 1)


def _updates_sheet(wb: Any, master: Master, returns: list[Checked], now: str) -> None:
    names = {k: n for n, k in master.agencies.items()}
    ws = wb.add_worksheet(UPDATES_SHEET)
    ws.write_row(0, 0, UPDATES_HEADINGS)
    r = 1
    for ret in returns:
        for rid, (values, changed) in ret.rows.items():
            if changed:
                row = [rid, names.get(ret.agency, ret.agency), ret.round_name]
                row += [values[f] for f in UPDATE_HEADINGS]
                row += [now, ", ".join(changed), ret.sha256]
                for c, v in enumerate(row):
                    ws.write_string(r, c, v)
                r += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    results = check_all(args.workspace, args.files)
    valid = [r for r in results if r.valid]
    master = read_master(args.workspace / "master.xlsx")
    areas, changed = merged_areas(master, valid)
    wb = xlsxwriter.Workbook(str(args.out), {"strings_to_formulas": False})
    _plan_sheet(wb, master, areas, changed)
    _updates_sheet(wb, master, valid, datetime.now().isoformat(timespec="seconds"))
    lists = wb.add_worksheet(LISTS_SHEET)
    lists.write_column(0, 0, RAG_SCALE)
    lists.hide()
    wb.close()
    print(f"{len(valid)} of {len(results)} returns merged, {len(changed)} cells changed")
    sys.exit(0 if len(valid) == len(results) else 1)


if __name__ == "__main__":
    main()
