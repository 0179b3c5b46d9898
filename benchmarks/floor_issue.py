"""Floor for `ipt issue`: every agency's locked return, with bare python-calamine + xlsxwriter.

    python benchmarks/floor_issue.py --workspace WS --layout LAYOUT.json --out DIR
        --round NAME --date YYYY-MM-DD

Includes what a return needs: the master's Plan and Agencies sheets read once; per agency,
the same cells as the tool's return (a title block, the header row where the layout says, one
row per area with every column of the layout's headings: locked plan text, the other agencies
sharing the area, the values at last review, the open update cells), cell formats (locked
grey, open white, wrapped), a row height estimated from the text, column widths, list data
validations referencing a hidden Lists sheet (RAG and date of next review) and input messages,
RAG colours as conditional formats, frozen panes, sheet protection, and a JSON manifest (row
IDs, a SHA-256 of each row's locked text, the values as issued) signed with HMAC-SHA256 and
kept on a very hidden sheet.

Leaves out: the workspace lock, the ledger (recording the round and what was issued),
rewriting the master for the new round, print setup, document properties, text-length checks
and the fsync of atomic writes.
"""

from __future__ import annotations

import argparse
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter
from floor_common import (
    LISTS_SHEET,
    MANIFEST_MARKER,
    MANIFEST_SHEET,
    RAG_SCALE,
    RETURN_SHEET,
    UPDATE_HEADINGS,
    Master,
    canonical,
    chunks,
    locked_hash,
    read_key,
    read_master,
    sign,
    slug,
)

WIDTH = 24  # one width for every column: the floor does not keep the tool's table of widths
# Return headings filled from a master column of another name (the rest share the name).
FROM_MASTER = {"Progress at last review": "Progress", "RAG at last review": "RAG"}
MONTHS = (
    "January February March April May June July August September October November December"
).split()


def review_choices(round_date: date, count: int = 18) -> list[str]:
    year, month = round_date.year, round_date.month
    out = []
    for _ in range(count):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        out.append(f"{MONTHS[month - 1]} {year}")
    return [*out, "Not required"]


def _formats(wb: Any) -> dict[str, Any]:
    base = {"font_name": "Arial", "font_size": 10, "valign": "top", "text_wrap": True}
    return {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "line": wb.add_format({"font_name": "Arial", "font_size": 10}),
        "header": wb.add_format({**base, "bold": True, "bg_color": "#1F4E78", "border": 1}),
        "locked": wb.add_format({**base, "bg_color": "#F2F2F2", "border": 1}),
        "open": wb.add_format({**base, "locked": False, "border": 1}),
        "RED": wb.add_format({"bg_color": "#FFC7CE"}),
        "AMBER": wb.add_format({"bg_color": "#FFEB9C"}),
        "GREEN": wb.add_format({"bg_color": "#C6EFCE"}),
    }


def _height(texts: list[str]) -> float:
    lines = max((sum(len(p) // WIDTH + 1 for p in t.split("\n")) for t in texts), default=1)
    return min(lines * 12.75 + 4, 409)


def _cells(area: dict[str, str], headings: list[str], names: dict[str, str], key: str) -> list[str]:
    """One return row's texts, in the layout's column order."""
    row = []
    for h in headings:
        if h == "Shared with":
            others = [n for n in area.get("Agencies", "").split("\n") if names.get(n) != key]
            row.append("\n".join(others))
        else:
            row.append(area.get(FROM_MASTER.get(h, h), ""))
    return row


def _validations(
    ws: Any, headings: list[str], first: int, last: int, fmt: dict[str, Any], n_dates: int
) -> None:
    for c, h in enumerate(headings):
        if h == UPDATE_HEADINGS["rag"]:
            rule = {"validate": "list", "source": f"={LISTS_SHEET}!$A$1:$A${len(RAG_SCALE)}"}
        elif h == UPDATE_HEADINGS["next_review"]:
            rule = {
                "validate": "list",
                "source": f"={LISTS_SHEET}!$B$1:$B${n_dates}",
                "error_type": "warning",
            }
        elif h in UPDATE_HEADINGS.values():
            rule = {"validate": "any"}
        else:
            continue
        rule |= {"input_title": h[:32], "input_message": f"Fill in {h}."}
        ws.data_validation(first, c, last, c, rule)
    for c, h in enumerate(headings):
        if h in ("RAG", "RAG at last review"):
            for word in RAG_SCALE:
                ws.conditional_format(
                    first,
                    c,
                    last,
                    c,
                    {"type": "cell", "criteria": "==", "value": f'"{word}"', "format": fmt[word]},
                )


def write_return(
    master: Master,
    key: str,
    name: str,
    areas: list[dict[str, str]],
    layout: dict[str, Any],
    signing_key: bytes,
    rnd: tuple[str, date],
) -> bytes:
    headings: list[str] = layout["headings"]
    header = int(layout["header_row"]) - 1
    locked = [i for i, h in enumerate(headings) if h not in UPDATE_HEADINGS.values()]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
    fmt = _formats(wb)
    ws = wb.add_worksheet(RETURN_SHEET)
    ws.write_string(0, 1, f"{name}: {rnd[0]}, {rnd[1]:%d %B %Y}", fmt["title"])
    for r in range(1, header - 1):
        ws.write_string(r, 1, "How to fill in this return: the white cells only.", fmt["line"])
    for c, h in enumerate(headings):
        ws.set_column(c, c, WIDTH)
        ws.write_string(header, c, h, fmt["header"])
    rows = []
    for r, area in enumerate(areas, start=header + 1):
        texts = _cells(area, headings, master.agencies, key)
        ws.set_row(r, _height(texts))
        for c, text in enumerate(texts):
            ws.write_string(r, c, text, fmt["locked"] if c in locked else fmt["open"])
        rows.append(
            {
                "id": area["ID"],
                "locked_sha256": locked_hash([texts[i] for i in locked]),
                "issued": {f: area.get(h, "") for f, h in UPDATE_HEADINGS.items()},
            }
        )
    last = header + max(len(areas), 1)
    choices = review_choices(rnd[1])
    _validations(ws, headings, header + 1, last, fmt, len(choices))
    ws.freeze_panes(header + 1, 1)
    ws.protect("", {"format_columns": True, "format_rows": True})
    lists = wb.add_worksheet(LISTS_SHEET)
    lists.write_column(0, 0, RAG_SCALE)
    lists.write_column(0, 1, choices)
    lists.protect("")
    lists.hide()
    manifest = {"agency": key, "round": rnd[0], "header_row": header + 1, "rows": rows}
    payload = canonical(manifest)
    hidden = wb.add_worksheet(MANIFEST_SHEET)
    hidden.write_string(0, 0, MANIFEST_MARKER)
    hidden.write_string(1, 0, sign(payload, signing_key))
    hidden.write_column(2, 0, chunks(payload.decode()))
    hidden.protect("")
    hidden.very_hidden()
    wb.close()
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--layout", type=Path, required=True, help="header_row and headings")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--round", required=True)
    parser.add_argument("--date", type=date.fromisoformat, required=True)
    args = parser.parse_args()
    layout = json.loads(args.layout.read_text(encoding="utf-8"))
    master = read_master(args.workspace / "master.xlsx")
    signing_key = read_key(args.workspace)
    by_agency: dict[str, list[dict[str, str]]] = {k: [] for k in master.agencies.values()}
    for area in master.areas:
        for agency in area.get("Agencies", "").split("\n"):
            if agency in master.agencies:
                by_agency[master.agencies[agency]].append(area)
    args.out.mkdir(parents=True, exist_ok=True)
    names = {k: n for n, k in master.agencies.items()}
    for key, areas in by_agency.items():
        if areas:
            data = write_return(
                master, key, names[key], areas, layout, signing_key, (args.round, args.date)
            )
            (args.out / f"{slug(key)}.xlsx").write_bytes(data)


if __name__ == "__main__":
    main()
