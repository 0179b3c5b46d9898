"""One cell of a returned workbook, as read: a leaf type, so the sign-off's checks and the
return's data (core/returned.py) can both use it without depending on each other."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)  # slots: a round's check holds hundreds of thousands
class CellValue:
    address: str  # "N12"
    raw: object  # as openpyxl gives it: str, datetime, int, float, bool, None, or a formula
    is_formula: bool
    text: str  # what a person would read: "" for empty, dates as 26/06/2012
    is_error: bool = False  # an Excel error value such as #N/A, not text
