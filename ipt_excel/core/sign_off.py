"""The sign-off on a return: who completed it, their role, the date, and "I confirm this update
is accurate". Pure: no I/O, no Excel.

A plan asks for it unless it says `return_sign_off: false` (the master's Details sheet:
"Return sign-off" No). Where the block sits is decided once, when the return is issued, and
written into the signed manifest (version 4): the reader reads exactly those cells, the
checks of content outside the table expect exactly those, and the feedback workbook writes
them back in the same place. A return issued before sign-off existed (manifest version 1 to
3) has no block and is not asked for one.

The block sits above the update columns, beside the title block and clear of the table:
the labels right-aligned in the column just left of the first update column, the values in
that update column, rows 3 to 7 (the title block's own text is in column B, and the plan's
title on row 2 runs across the sheet). The values are open cells; the labels are locked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ipt_excel.core.dates import parse_review_date
from ipt_excel.core.rule_codes import Rule
from ipt_excel.core.text import long_date

if TYPE_CHECKING:
    from ipt_excel.core.cell_value import CellValue

NAME, ROLE, DATE, CONFIRMED = "name", "role", "date", "confirmed"
FIELDS: tuple[str, ...] = (NAME, ROLE, DATE, CONFIRMED)
LABELS: dict[str, str] = {
    NAME: "Completed by",
    ROLE: "Role",
    DATE: "Date",
    CONFIRMED: "I confirm this update is accurate",
}
HEADING = "Sign-off: fill in before you send this return"
YES, NO = "Yes", "No"
CONFIRM_CHOICES: tuple[str, ...] = (YES, NO)
# The Lists sheet key of the Yes/No list: not a column key (those are [a-z0-9_]).
LIST_KEY = "sign-off"
FIRST_ROW = 3  # the heading's row (1-based); the four fields are on the rows below it
TITLE_COLUMN = 1  # column B (0-based): the title block's lines, never part of the block
MAX_TEXT = 200  # characters in a name or a role: more is not a name


def input_message(field: str, example: date) -> str:
    """The message shown when the cell is selected; `example` is a day to show a date by."""
    return {
        NAME: "Type the name of the person who completed this return.",
        ROLE: "Type their job title, like Head of Service.",
        DATE: f"Type the date the return was completed, like {example:%d/%m/%Y}.",
        CONFIRMED: "Choose Yes once the update has been checked and is accurate.",
    }[field]


_ADDRESS = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def split_address(address: str) -> tuple[int, int]:
    """ "L4" -> (4, 11): the 1-based row and the 0-based column. ValueError for anything else."""
    m = _ADDRESS.fullmatch(address)
    if m is None:
        raise ValueError(f"{address!r} is not a cell")
    col = 0
    for ch in m[1]:
        col = col * 26 + ord(ch) - 64
    return int(m[2]), col - 1


def _label_order(label: tuple[str, str]) -> tuple[int, int]:
    try:
        return split_address(label[0])
    except ValueError:
        return (0, 0)


@dataclass(frozen=True)
class SignOffBlock:
    """Where a return's sign-off is: its locked labels (the heading too) and its open cells."""

    labels: tuple[tuple[str, str], ...]  # (address, text), from the top (the heading first)
    cells: tuple[tuple[str, str], ...]  # (field, address), in FIELDS order

    def __post_init__(self) -> None:
        # One order however it was made: a manifest read back sorts its keys.
        object.__setattr__(self, "labels", tuple(sorted(self.labels, key=_label_order)))

    def cell(self, field: str) -> str:
        return dict(self.cells)[field]

    def field_at(self, address: str) -> str | None:
        return next((f for f, a in self.cells if a == address), None)

    @property
    def addresses(self) -> frozenset[str]:
        return frozenset(a for a, _ in self.labels) | frozenset(a for _, a in self.cells)

    def label(self, field: str) -> str:
        return LABELS[field]

    def to_dict(self) -> dict[str, Any]:
        return {"labels": dict(self.labels), "cells": dict(self.cells)}


def block_at(first_open: int) -> SignOffBlock:
    """The block for a return whose first update column is `first_open` (0-based): labels in
    the column to its left (never column B, the title's), values beside them."""
    label_col = max(first_open - 1, TITLE_COLUMN + 1)
    labels_at, values_at = column_letter(label_col), column_letter(label_col + 1)
    labels = [(f"{values_at}{FIRST_ROW}", HEADING)]
    cells = []
    for row, field in enumerate(FIELDS, start=FIRST_ROW + 1):
        labels.append((f"{labels_at}{row}", LABELS[field]))
        cells.append((field, f"{values_at}{row}"))
    return SignOffBlock(tuple(labels), tuple(cells))


def block_from_dict(raw: object, header_row: int) -> SignOffBlock | None:
    """A manifest's block ({} when the return asks for no sign-off); ValueError for anything
    that is not one: cells it does not name, a cell in the table or the title's column."""
    if not isinstance(raw, dict):
        raise ValueError("the sign-off is not a mapping")
    if not raw:
        return None
    if set(raw) != {"labels", "cells"}:
        raise ValueError("the sign-off does not say where its cells are")
    labels, cells = raw["labels"], raw["cells"]
    if not isinstance(labels, dict) or not isinstance(cells, dict) or set(cells) != set(FIELDS):
        raise ValueError("the sign-off does not say where its cells are")
    addresses = [*labels, *cells.values()]
    if not all(isinstance(a, str) for a in addresses) or not all(
        isinstance(t, str) for t in labels.values()
    ):
        raise ValueError("the sign-off's cells cannot be read")
    if len(set(addresses)) != len(addresses):
        raise ValueError("the sign-off names a cell twice")
    for address in addresses:
        row, col = split_address(address)
        if row >= header_row or col == TITLE_COLUMN:
            raise ValueError(f"the sign-off cell {address} is not above the table")
    return SignOffBlock(
        tuple((a, t) for a, t in labels.items()), tuple((f, cells[f]) for f in FIELDS)
    )


@dataclass(frozen=True)
class SignOff:
    """Who vouched for a return, as it was accepted."""

    name: str
    role: str
    signed_on: date
    confirmed: bool = True

    @property
    def text(self) -> str:
        """ "Sam Jones (Head of Service), 20 September 2012": for status and the master."""
        role = f" ({self.role})" if self.role else ""
        return f"{self.name}{role}, {long_date(self.signed_on)}"


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the sign-off: the field, its rule, what to do, the value found."""

    field: str
    rule: str
    message: str
    value: str


def read_day(raw: object, *, epoch_1904: bool = False) -> date | None:
    """A day from a sign-off date cell: a real date, an Excel date number, or text such as
    "20/09/2012", "20 September 2012" or "2012-09-20"; None when it names no single day."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    reading = parse_review_date(raw, epoch_1904=epoch_1904)
    if reading is None or reading.not_required:
        return None
    return reading.day


def _shown(text: str, limit: int = 40) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def check_sign_off(
    block: SignOffBlock,
    found: Mapping[str, CellValue],
    *,
    issued_on: date,
    today: date,
    epoch_1904: bool = False,
) -> tuple[list[Finding], SignOff | None]:
    """Every problem with the sign-off as found, and the sign-off when there is none.

    `found` is the block's cells as read, by field (a field missing is an empty cell); a
    formula in one is reported elsewhere, as a formula, and not judged here. The date must
    be a day from the day the return was issued (`issued_on`) to `today`.
    """
    out: list[Finding] = []
    texts: dict[str, str] = {}
    day: date | None = None
    for field in FIELDS:
        cell = found.get(field)
        if cell is not None and cell.is_formula:
            continue
        at, label = block.cell(field), LABELS[field]
        text = "" if cell is None else cell.text
        raw = None if cell is None else cell.raw

        def add(rule: str, message: str) -> None:
            out.append(Finding(field, rule, message, text))  # noqa: B023 - used at once

        if cell is not None and cell.is_error:
            add(
                Rule.SIGN_OFF_MISSING,
                f"The sign-off's '{label}' ({at}) shows an Excel error ({text}), not a value. "
                f"{_what_to_type(field, today)}",
            )
        elif raw is None or (isinstance(raw, str) and not raw.strip()):
            add(
                Rule.SIGN_OFF_MISSING,
                f"The sign-off's '{label}' ({at}) is empty. {_what_to_type(field, today)}",
            )
        elif field in (NAME, ROLE):
            texts[field] = " ".join(text.split())
            if len(texts[field]) > MAX_TEXT:
                add(
                    Rule.TOO_LONG,
                    f"The {'name' if field == NAME else 'role'} in {at} is longer than "
                    f"{MAX_TEXT} characters. {_what_to_type(field, today)}",
                )
        elif field == DATE:
            day = read_day(raw, epoch_1904=epoch_1904)
            like = f"like {today:%d/%m/%Y}"
            if day is None:
                add(
                    Rule.SIGN_OFF_DATE,
                    f"'{_shown(text)}' in {at}, the sign-off's date, is not a date. Type the "
                    f"date the return was completed, {like}.",
                )
            elif day > today:
                add(
                    Rule.SIGN_OFF_DATE,
                    f"The sign-off's date in {at}, {long_date(day)}, is after today. Type the "
                    f"date the return was completed, {like}.",
                )
            elif day < issued_on:
                add(
                    Rule.SIGN_OFF_DATE,
                    f"The sign-off's date in {at}, {long_date(day)}, is before this return was "
                    f"sent out on {long_date(issued_on)}. Type the date the return was completed.",
                )
        else:
            word = text.strip().casefold()
            if word == YES.casefold():
                texts[field] = YES
            elif word == NO.casefold():
                add(
                    Rule.SIGN_OFF_NOT_CONFIRMED,
                    f"The sign-off says No in {at}, so nobody has confirmed this update is "
                    f"accurate. Check the update, then choose Yes in {at}.",
                )
            else:
                add(
                    Rule.SIGN_OFF_NOT_CONFIRMED,
                    f"'{_shown(text)}' in {at} is not Yes or No. Choose Yes from the list to "
                    f"confirm this update is accurate.",
                )
    if out or day is None or set(texts) != {NAME, ROLE, CONFIRMED}:
        return out, None
    return out, SignOff(texts[NAME], texts[ROLE], day, True)


def _what_to_type(field: str, today: date) -> str:
    return {
        NAME: "Type the name of the person who completed this return.",
        ROLE: "Type the job title of the person who completed this return.",
        DATE: f"Type the date the return was completed, like {today:%d/%m/%Y}.",
        CONFIRMED: "Choose Yes from the list to confirm this update is accurate.",
    }[field]
