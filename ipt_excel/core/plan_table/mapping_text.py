"""The mapping, printed: each heading and the plan column it became, for the terminal and the
import record.
"""

from __future__ import annotations

from ipt_excel.core.plan_table.result import PlanTable
from ipt_excel.core.problems import column_letter


def mapping_rows(table: PlanTable) -> list[tuple[str, str]]:
    """(your heading, our column) for each heading, as the CLI prints and records them."""
    rows = []
    for m in table.mapping:
        heading = m.heading or f"(column {column_letter(m.column - 1)}, no heading)"
        meaning = m.meaning
        if m.how == "duplicate":
            meaning += " (its column is taken by an earlier heading)"
        elif m.how == "mapped":
            meaning += " (from --map)"
        rows.append((heading, meaning))
    return rows


def format_mapping(table: PlanTable) -> str:
    """The mapping as plain text, for the terminal and the import record."""
    if not table.header_row:
        return f"{table.file}: no table found."
    rows = [("Your heading", "Our column"), *mapping_rows(table)]
    width = max(len(h) for h, _ in rows)
    lines = [f"{table.file}, sheet '{table.sheet}', headings in row {table.header_row}:"]
    lines += [f"  {h.ljust(width)}  {m}" for h, m in rows]
    actions = sum(len(a.actions) for a in table.areas)
    how = "found in the table" if table.mode == table.detected_mode else "as asked"
    if table.mode == "actions":
        lines.append(
            f"Rows: one action per row ({actions} actions under {len(table.areas)} "
            f"recommendations), {how}."
        )
    else:
        lines.append(f"Rows: one area per ID ({len(table.areas)} areas), {how}.")
    return "\n".join(lines)
