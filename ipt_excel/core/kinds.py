"""What each kind of column does, written once.

For every kind: how a cell's value (as openpyxl or python-calamine gives it, typed text, or an
Excel date number) becomes text (`cell_text`), its canonical form for the merge and for
comparing (`normalise`), what an entered value must be (`value_rules`, which schemas.py turns
into pandera checks), how several agencies' values on a shared row are combined (`combine`),
and how it is written to a workbook (`cell_spec`: number format, validation, input message,
written as text, a date or a number). The writers and readers in excel/ ask these; nothing
else decides what a kind means. Pure: no I/O, no Excel library.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from ipt_excel.core.columns import Column, Combine, Kind
from ipt_excel.core.dates import (
    NOT_REQUIRED,
    REVIEW_HORIZON_YEARS,
    Month,
    first_review_month,
    format_review,
    parse_review_date,
    review_horizon,
    review_is_before,
    review_is_too_far,
)
from ipt_excel.core.problems import Severity
from ipt_excel.core.rule_codes import Rule
from ipt_excel.core.text import EXCEL_CELL_LIMIT, excel_length, long_date

WriteAs = Literal["text", "date", "number"]


@dataclass(frozen=True)
class KindContext:
    """What a kind needs to know about the plan and the round to check or write a value."""

    rag_scale: tuple[str, ...]
    round_date: date
    today: date | None = None  # for "has passed" warnings: the later of this and the round


@dataclass(frozen=True)
class ValueRule:
    """One check on a column's values. `check` takes the cell text and says if it is fine.

    `entered` rules judge only values the agency entered (changed from the value as issued);
    the others judge only values it left as issued (a pre-filled review date that has passed).
    """

    code: str
    check: Callable[[str], bool]
    message: str  # may use {value} and {header}
    severity: Severity = Severity.ERROR
    entered: bool = True


@dataclass(frozen=True)
class CellSpec:
    """How an update cell is written: format, validation and message, as plain data (the
    validation dict is XlsxWriter's; `list` names the Lists range it draws from)."""

    write_as: WriteAs
    num_format: str = "@"
    validation: dict[str, Any] = field(default_factory=dict)
    input_message: str = ""
    list_values: tuple[str, ...] = ()  # the dropdown's values, kept on the hidden Lists sheet


# -- reading ------------------------------------------------------------------------------------
def display_text(value: object) -> str:
    """A cell's value as text, the way a UK reader would see it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M:%S" if value.second else "%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    return str(value)


def _is_number(raw: object) -> bool:
    return isinstance(raw, numbers.Real) and not isinstance(raw, bool)


def cell_text(column: Column, raw: object, *, epoch_1904: bool = False) -> str:
    """The text of a cell as read, for this column's kind.

    A review date that arrives as a real date (or an Excel serial number) on the 1st of a month
    is read as that month: Excel turns a typed or picked "September 2012" into 1 September
    2012, and the reader does not see number formats. A day column reads any real date as
    that day. Everything else is the cell's text as a person reads it.
    """
    if column.kind is Kind.REVIEW and not isinstance(raw, str) and raw is not None:
        if isinstance(raw, datetime | date) or _is_number(raw):
            reading = parse_review_date(raw, epoch_1904=epoch_1904)
            if reading is not None and reading.day is not None:
                return (
                    str(Month.of(reading.day)) if reading.day.day == 1 else format_review(reading)
                )
    if column.kind is Kind.DATE and (isinstance(raw, datetime | date) or _is_number(raw)):
        reading = parse_review_date(raw, epoch_1904=epoch_1904)
        if reading is not None and reading.day is not None:
            return reading.day.isoformat()
    if column.kind is Kind.PERCENT and _is_number(raw):
        value = Decimal(str(raw))
        # A number cell given "45%" holds 0.45: a fraction is read as the percentage typed.
        if 0 < value < 1:
            value *= 100
        return _number_text(value)
    if column.kind is Kind.NUMBER and _is_number(raw):
        return _number_text(Decimal(str(raw)))
    return display_text(raw)


# -- normalising --------------------------------------------------------------------------------
def normalise_text(text: str) -> str:
    """Text as it is merged: line ends made "\\n", trailing whitespace removed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip()


def normalise_rag(text: str) -> str:
    """A RAG rating as typed in any case or with spaces around it: "  green " -> "GREEN"."""
    return text.strip().upper()


def _choice(column: Column, text: str) -> str | None:
    wanted = " ".join(text.split()).casefold()
    return next((c for c in column.choices if " ".join(c.split()).casefold() == wanted), None)


def _number(text: str, *, percent: bool = False) -> Decimal | None:
    cleaned = text.strip().replace(",", "").replace("\u00a0", "")
    if percent:
        cleaned = cleaned.removesuffix("%").strip()
    if not cleaned or not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", cleaned):
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _number_text(value: Decimal) -> str:
    """12 -> "12", 12.50 -> "12.5", 1E+3 -> "1000": one spelling for one number."""
    text = format(value.normalize(), "f")
    return text if text not in ("-0", "+0") else "0"


def _day(text: str) -> date | None:
    reading = parse_review_date(text)
    if reading is None or reading.not_required or reading.day is None:
        return None
    return reading.day


def normalise(column: Column, text: str) -> str:
    """One value as merged and compared. A value that is not valid is kept as typed (tidied),
    so a check can still show it; valid values get one spelling."""
    kind = column.kind
    if kind is Kind.RAG:
        return normalise_rag(text)
    if kind is Kind.CHOICE:
        return _choice(column, text) or normalise_text(text).strip()
    if kind is Kind.REVIEW:
        reading = parse_review_date(text)
        return format_review(reading) if reading is not None else normalise_text(text)
    if kind is Kind.DATE:
        day = _day(text)
        return day.isoformat() if day is not None else normalise_text(text).strip()
    if kind in (Kind.NUMBER, Kind.PERCENT):
        value = _number(text, percent=kind is Kind.PERCENT)
        return _number_text(value) if value is not None else normalise_text(text).strip()
    return normalise_text(text)


# -- checking -----------------------------------------------------------------------------------
def _words(items: Sequence[str], conjunction: str = "or") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def example_date(round_date: date) -> str:
    """A date three months after the round, as an agency in the UK would type it."""
    month = Month.of(round_date).plus(3)
    day = min(round_date.day, month.last_day.day)
    return date(month.year, month.month, day).strftime("%d/%m/%Y")


def _review_before(text: str, cutoff: date) -> bool:
    reading = parse_review_date(text)
    return reading is not None and review_is_before(reading, cutoff)


def _review_too_far(text: str, round_date: date) -> bool:
    reading = parse_review_date(text)
    return reading is not None and review_is_too_far(reading, round_date)


def value_rules(column: Column, ctx: KindContext) -> list[ValueRule]:
    """The checks on one update column's values, in the order they are reported."""
    kind, rd = column.kind, ctx.round_date
    rules: list[ValueRule] = []
    if kind is Kind.RAG:
        allowed = {*ctx.rag_scale, ""}
        rules.append(
            ValueRule(
                Rule.RAG_IN_SCALE,
                lambda t: normalise_rag(t) in allowed,
                f"'{{value}}' is not a RAG rating. Choose {_words(ctx.rag_scale)} from the "
                "list, or leave the cell empty.",
            )
        )
    elif kind is Kind.CHOICE:
        rules.append(
            ValueRule(
                Rule.CHOICE_IN_LIST,
                lambda t: not t.strip() or _choice(column, t) is not None,
                f"'{{value}}' is not one of the choices for {{header}}. Choose "
                f"{_words(column.choices)} from the list, or leave the cell empty.",
            )
        )
    elif kind is Kind.REVIEW:
        stale_cutoff = max(rd, ctx.today) if ctx.today is not None else rd
        rules += [
            ValueRule(
                Rule.REVIEW_DATE_FORMAT,
                lambda t: parse_review_date(t) is not None,
                "'{value}' is not a date of next review. Pick a month from the list, type a "
                f"date like {example_date(rd)}, or pick Not required.",
            ),
            ValueRule(
                Rule.REVIEW_DATE_PAST,
                lambda t: not _review_before(t, rd),
                f"{{value}} is not after this review ({long_date(rd)}). Pick "
                f"{first_review_month(rd)} or a later month, type a date on or after "
                f"{long_date(rd)}, or pick Not required.",
            ),
            ValueRule(
                Rule.REVIEW_DATE_TOO_FAR,
                lambda t: not _review_too_far(t, rd),
                f"{{value}} is more than {REVIEW_HORIZON_YEARS} years after this review. Pick a "
                f"month from the list, or type a date on or before "
                f"{long_date(review_horizon(rd))}.",
            ),
            ValueRule(
                Rule.REVIEW_DATE_STALE,
                lambda t: not _review_before(t, stale_cutoff),
                "The date of next review, {value}, has passed. Pick the month of the next "
                "review, type its date, or pick Not required.",
                severity=Severity.WARNING,
                entered=False,
            ),
        ]
    elif kind is Kind.DATE:
        rules.append(
            ValueRule(
                Rule.DATE_FORMAT,
                lambda t: not t.strip() or _day(t) is not None,
                f"'{{value}}' is not a date. Type a date like {example_date(rd)}, or leave the "
                "cell empty.",
            )
        )
    elif kind is Kind.NUMBER:
        rules.append(
            ValueRule(
                Rule.NUMBER_FORMAT,
                lambda t: not t.strip() or _number(t) is not None,
                "'{value}' is not a number. Type a number, like 12 or 12.5, or leave the cell "
                "empty.",
            )
        )
    elif kind is Kind.PERCENT:

        def percent_ok(t: str) -> bool:
            value = _number(t, percent=True)
            return not t.strip() or (value is not None and 0 <= value <= 100)

        rules.append(
            ValueRule(
                Rule.PERCENT_RANGE,
                percent_ok,
                "'{value}' is not a percentage from 0 to 100. Type a number from 0 to 100, "
                "like 45, or leave the cell empty.",
            )
        )
    if kind is Kind.TEXT:  # other kinds refuse a value that long as not of their kind
        rules.append(
            ValueRule(
                Rule.TOO_LONG,
                lambda t: excel_length(t) <= EXCEL_CELL_LIMIT,
                f"This text is longer than an Excel cell can hold. Shorten it to "
                f"{EXCEL_CELL_LIMIT:,} characters or fewer.",
            )
        )
    return rules


def is_filled(column: Column, text: str) -> bool:
    return normalise(column, text).strip() != ""


# -- combining a shared row ---------------------------------------------------------------------
@dataclass(frozen=True)
class Contribution:
    """One agency's value for a shared row: `changed` when it changed this column."""

    label: str  # the agency's name
    value: str
    changed: bool


def _sort_day(column: Column, text: str) -> tuple[int, str]:
    """Soonest first; 'Not required' and unreadable values last, then by text for stability."""
    if column.kind is Kind.DATE:
        day = _day(text)
        return (day.toordinal(), text) if day is not None else (1 << 30, text)
    reading = parse_review_date(text)
    if reading is None or reading.month is None:
        return (1 << 30, text)
    m = reading.month
    return (m.year * 12 + m.month, text)


def combine(
    column: Column,
    contributions: Sequence[Contribution],
    *,
    rag_scale: Sequence[str],
    labelled: Callable[[list[tuple[str, str]]], str],
) -> str | None:
    """The shared row's value from its agencies' values; None when nobody changed it.

    `contributions` come in a stable order (the agencies' order in the plan). WORST weighs
    every agency that updated the row, changed this column or not, because each one stands
    by its rating; the others use only the agencies that changed this column. `labelled`
    joins kept texts ("Name: text", never longer than a cell).
    """
    changed = [c for c in contributions if c.changed]
    if not changed:
        return None
    how = column.combine_rule
    if how is Combine.WORST:
        order = list(rag_scale) if column.kind is Kind.RAG else list(column.choices)
        ranked = [c.value for c in contributions if c.value in order]
        return min(ranked, key=order.index) if ranked else changed[0].value
    if len(changed) == 1:
        return changed[0].value
    values = [c.value for c in changed]
    if how is Combine.SOONEST:
        return min(values, key=lambda t: _sort_day(column, t))
    if how is Combine.LATEST:
        readable = [v for v in values if _sort_day(column, v)[0] < 1 << 30]
        return max(readable, key=lambda t: _sort_day(column, t)) if readable else values[0]
    if how is Combine.MEAN:
        numbers_ = [_number(v, percent=column.kind is Kind.PERCENT) for v in values]
        known = [n for n in numbers_ if n is not None]
        if not known:
            return values[0]
        mean = sum(known, Decimal(0)) / len(known)
        return _number_text(round(mean, 1))
    return labelled([(c.label, c.value) for c in changed])


# -- writing ------------------------------------------------------------------------------------
def review_choices(round_date: date, months: int = 18) -> list[str]:
    """The 'Date of next review' dropdown: months from the month after the round (the
    earliest a next review can be), then Not required."""
    first = first_review_month(round_date)
    return [*(str(first.plus(i)) for i in range(months)), NOT_REQUIRED]


def cell_spec(column: Column, ctx: KindContext) -> CellSpec:
    """How an open update cell of this column is written in a return."""
    kind, rd = column.kind, ctx.round_date
    help_text = column.help
    if kind is Kind.RAG:
        return CellSpec(
            "text",
            validation={
                "validate": "list",
                "error_type": "stop",
                "error_message": f"Choose {_words(ctx.rag_scale)} from the list, or leave the "
                "cell empty.",
            },
            input_message=help_text or f"Pick {_words(ctx.rag_scale)} from the list.",
            list_values=ctx.rag_scale,
        )
    if kind is Kind.CHOICE:
        return CellSpec(
            "text",
            validation={
                "validate": "list",
                "error_type": "stop",
                "error_message": f"Choose {_words(column.choices)} from the list, or leave "
                "the cell empty.",
            },
            input_message=help_text or f"Pick {_words(column.choices)} from the list.",
            list_values=column.choices,
        )
    if kind is Kind.REVIEW:
        # A list under a "stop" error would refuse a typed date, which is allowed, so this
        # column warns instead and says plainly that a typed date can be kept.
        ex = example_date(rd)
        return CellSpec(
            "text",
            validation={
                "validate": "list",
                "error_type": "warning",
                "error_message": f"That is not one of the months in the list. If you typed a "
                f"date, like {ex}, that is fine: choose Yes (in LibreOffice, OK) to keep it. "
                "Otherwise choose No, then pick a month or Not required.",
            },
            input_message=help_text
            or f"Pick a month from the list, type a date like {ex}, or pick Not required.",
            list_values=tuple(review_choices(rd)),
        )
    if kind is Kind.DATE:
        return CellSpec(
            "date",
            num_format="dd/mm/yyyy",
            validation={
                "validate": "date",
                "criteria": "between",
                "minimum": date(1900, 1, 1),
                "maximum": date(9999, 12, 31),
                "error_type": "stop",
                "error_message": f"Type a date, like {example_date(rd)}.",
            },
            input_message=help_text or f"Type a date, like {example_date(rd)}.",
        )
    if kind is Kind.NUMBER:
        return CellSpec(
            "number",
            num_format="General",
            validation={
                "validate": "decimal",
                "criteria": "between",
                "minimum": -1e15,
                "maximum": 1e15,
                "error_type": "stop",
                "error_message": "Type a number, like 12 or 12.5.",
            },
            input_message=help_text or "Type a number, like 12 or 12.5.",
        )
    if kind is Kind.PERCENT:
        # A text cell: typed into a number cell, "45%" is stored as 0.45 (by Excel and
        # LibreOffice alike) and a typed 45 as 45 or 0.45 depending on the program, so the
        # cell would show what was not meant. As text, what is typed is what is read; the
        # range is checked on ingest.
        return CellSpec(
            "text",
            input_message=help_text or "Type a number from 0 to 100, like 45 or 45%.",
        )
    return CellSpec("text", input_message=help_text)


def write_value(column: Column, text: str) -> str | date | float:
    """What a cell holding `text` is given: a real date or number where the kind is one and
    the text reads as one, else the text itself (never a formula: writers write it as text)."""
    if column.kind is Kind.DATE:
        day = _day(text) if not re.fullmatch(r"\d{4}-\d\d-\d\d", text) else date.fromisoformat(text)
        return day if day is not None else text
    if column.kind in (Kind.NUMBER, Kind.PERCENT):
        value = _number(text, percent=column.kind is Kind.PERCENT)
        if value is not None and math.isfinite(float(value)):
            return float(value)
    return text


def master_text(column: Column, raw: object) -> str:
    """A master cell's value (as python-calamine reads it) back to the stored text."""
    if column.kind is Kind.DATE and isinstance(raw, datetime | date):
        return (raw.date() if isinstance(raw, datetime) else raw).isoformat()
    if column.kind in (Kind.NUMBER, Kind.PERCENT) and _is_number(raw):
        return _number_text(Decimal(str(raw)))
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, datetime):
        return raw.isoformat(sep=" ") if raw.time() != time() else raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    return display_text(raw)


def show(column: Column, text: str) -> str:
    """A stored value as a person reads it in a sentence: dates in words."""
    if column.kind is Kind.DATE:
        day = _day(text) if not re.fullmatch(r"\d{4}-\d\d-\d\d", text) else date.fromisoformat(text)
        if day is not None:
            return long_date(day)
    if column.kind is Kind.PERCENT and _number(text, percent=True) is not None:
        return f"{normalise(column, text)}%"
    return text
