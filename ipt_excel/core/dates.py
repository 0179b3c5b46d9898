"""Dates as plan authors and agencies write them.

Two jobs, both pure (no I/O, no Excel library):

1. Completion-date phrases. A "Date for completion" cell holds one phrase per action, run
   together with no separator: "April 2012 From June 2012 May 2012 and ongoing". We find the
   date expressions in the cell ("cores"), cut the cell into phrases around them and read each
   phrase into a `CompletionDate`.

2. Review dates. A "Date of next review" cell holds a month ("September 2012"), a day
   ("26/06/2012"), "Not required", or whatever Excel turned the typed value into (a date or a
   serial number). `parse_review_date` reads all of these into a `ReviewDate`.

Readings chosen for phrases the plan uses (kept here so they are written down once):

- "April 2012" on its own means "done by the end of April 2012": BY, start = end = April 2012.
- "March 2012 for June 2012" (e.g. "LSCB Chair to require a report in June 2012"): the first
  month is when the action starts (the request is made), the second when it must be delivered
  (the report is presented). BY, start = March 2012, end = June 2012; `due` is the later month.
- "May 2012 and ongoing", "March 2012 and henceforth", "June 2012 and quarterly thereafter":
  FROM the stated month, with nothing due; the last also records `recurring = "quarterly"`.
- "During 2012/13" is the UK financial year: April 2012 to March 2013 (RANGE).
- "With all staff during 2012 PRs" (performance reviews held through 2012): RANGE over the
  calendar year, January to December 2012. Words around a date ("With all staff", "PRs",
  "Introduced") are kept in the phrase text but do not change its meaning.
- "Introduced 09.02.2012" (already done on a given day): BY February 2012.
- "Review annually": ONGOING with `recurring = "annually"`.
- "As above", "As detailed in 1.10 and 1.11 above", "As above (1.8)": CROSS_REFERENCE with the
  area or action IDs in `refs` (empty when the phrase names none).

Readings added for plans kept in Excel by councils today:

- Quarters are quarters of the UK financial year: Q1 is April to June, Q4 January to March of
  the next calendar year. "Q3 2024/25", "Q3 24/25", "2024/25 Q3", "Quarter 3 2024-25" are
  1 October to 31 December 2024 (RANGE, due by the end of December 2024). "Q3 2024" is not
  read: it may be the calendar quarter (July to September) or the financial one.
- "FY 2024/25", "FY24/25", "2024-25" are the financial year, April 2024 to March 2025.
- "Dec-24" and "31-Dec-24" (Excel's mmm-yy and d-mmm-yy) are December 2024; "31.05.24" and
  "2024-05-31" are days, BY May 2024. Completion dates are read to the month, as before.
- "w/c 3 June 2024" (week commencing; also "w/b", "week beginning") is BY the end of that
  week: June 2024, or the next month when the week runs into it.
- A date cell (a `date` or `datetime`, see `read_completion_value`) is BY its month, and its
  text is the day the plan's way, "30 June 2024" (`format_plan_date`).

Two readings need a context date (the round's date, say), given as `context=`; without one
they are not read, as before:

- "Q2", "by the end of Q2", "end of Q2": the quarter of the financial year the context date
  falls in ("end of Q2" with a round on 10 May 2024 is BY September 2024).
- "Dec 24", "June 12": month and two-digit year, read only when that year is within
  `CONTEXT_YEARS` of the context date's year; without a context "June 12" could as well be
  the 12th of June, so it is refused rather than guessed.

A review date given as a period ("Q3 2024/25", "2024/25", "end of Q2") reads as the period's
last month: the review is due by its end.
"""

from __future__ import annotations

import calendar
import functools
import math
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

__all__ = [
    "CONTEXT_YEARS",
    "NOT_REQUIRED",
    "CompletionDate",
    "DateKind",
    "Month",
    "ReviewDate",
    "financial_quarter",
    "financial_year_of",
    "format_plan_date",
    "format_review",
    "month_choices",
    "review_is_before",
    "review_is_too_far",
    "review_horizon",
    "REVIEW_HORIZON_YEARS",
    "first_review_month",
    "normalise_cell",
    "parse_completion",
    "parse_review_date",
    "read_completion_value",
    "split_completion_phrases",
]

NOT_REQUIRED = "Not required"

# English names whatever the process locale (calendar.month_name follows LC_TIME).
_MONTH_NAMES = (
    "January February March April May June July August September October November December".split()
)


# --------------------------------------------------------------------------------------------
# Month


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month. Field order (year, month) gives chronological ordering."""

    year: int
    month: int

    def __post_init__(self) -> None:
        # A bad Month is a programming error, not a user's input problem: parsers check first.
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1 to 12, not {self.month}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be 1 to 9999, not {self.year}")

    def __str__(self) -> str:
        return f"{_MONTH_NAMES[self.month - 1]} {self.year}"

    @classmethod
    def of(cls, d: date) -> Month:
        """The month a date falls in."""
        return cls(d.year, d.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def plus(self, months: int) -> Month:
        """This month moved on (or back, if negative) by a number of months."""
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)


# --------------------------------------------------------------------------------------------
# Shared text pieces

_MONTH_NUMBERS = {name[:3].lower(): number for number, name in enumerate(_MONTH_NAMES, 1)}

# Full names, three-letter forms, "Sept"; an optional full stop. No \b after the name, because
# the seed has "September2012"; instead the next character must not be a letter.
_MONTH = (
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])"
)
_YEAR = r"(?:19|20|21)\d\d(?!\d)"
_MY = rf"{_MONTH}\s*,?\s*{_YEAR}"
# Hyphen, en dash, em dash and their relatives, or "to"; "/" joins two months ("May/June 2012").
_RANGE_SEP = r"(?:\s*[-\u2010-\u2015/]\s*|\s+to\s+)"
_FY = rf"{_YEAR}\s*[/\-\u2013]\s*(?:\d{{4}}|\d\d)(?!\d)"
_DAY_DATE = (
    rf"(?:\d{{1,2}}[./-]\d{{1,2}}[./-](?:\d{{4}}|\d\d)(?!\d)"
    rf"|{_YEAR}-\d\d-\d\d(?!\d)"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s*,?\s*{_YEAR})"
)
_FREQ = (
    r"(?:annually|yearly|quarterly|monthly|weekly|fortnightly|termly"
    r"|six[-\s]?monthly|bi-?annually)"
)
_ONGOING = r"\b(?:on\s*[-\u2010-\u2015]?\s*going|continuous(?:ly)?|continuing)(?![a-z])"
_HENCEFORTH = r"\b(?:hence\s*forth|with\s+immediate\s+effect|from\s+now\s+on)(?![a-z])"
# Area/action IDs such as 1.8, 1.10, 2.2.1.
_ID = r"\d+(?:\.\d+)+[a-z]?(?![\d.]*\d)"
_IDS = rf"{_ID}(?:(?:\s*,\s*(?:and\s+)?|\s*&\s*|\s+and\s+){_ID})*"

_FROM_KW = r"from|starting(?:\s+(?:from|in))?|commencing|beginning|with\s+effect\s+from"
_BY_KW = r"by(?:\s+the)?(?:\s+end\s+of)?|(?:the\s+)?end\s+of|before|until|till|no\s+later\s+than"
_DURING_KW = r"during|throughout"
_KW = rf"(?:{_FROM_KW}|{_BY_KW}|{_DURING_KW})"

# What may follow a date to make it open-ended: "and ongoing", "and quarterly thereafter".
_SUFFIX = (
    rf"(?:\s*,?\s*(?:and|then)\s+(?:(?P<freq>{_FREQ})(?:\s+thereafter)?|{_ONGOING}"
    rf"|henceforth|thereafter)|\s+onwards?)(?![a-z])"
)


def _unnamed(pattern: str) -> str:
    return re.sub(r"\(\?P<[a-z]+>", "(?:", pattern)


# Quarters of the UK financial year, and financial years with a two-digit first year, which
# are only read next to a quarter or "FY" ("24/25" alone could be anything).
_QUARTER = r"\bq(?:uarter)?\s*[1-4](?![0-9])"
# Not the start of a day such as 2024-06-30.
_FY2 = r"(?:(?:19|20|21)\d\d|\d\d)\s*[/\-\u2013]\s*(?:\d{4}|\d\d)(?!\d)(?!\s*[/\-.]\s*\d)"
_FY_ANY = rf"(?:fy\s*)?{_FY2}"
# A year or financial year, but not the start of a day such as 2024-06-30.
_YEARISH = rf"(?:{_FY2}|{_YEAR})(?!\s*[/\-.]\s*\d)"
_WEEK_OF = r"(?:w/[cb]|week\s+(?:commencing|beginning)(?:\s+on)?)"
_MON_YY = rf"{_MONTH}-\d\d(?!\d)"
_D_MON_Y = rf"\d{{1,2}}-{_MONTH}-(?:\d{{4}}|\d\d)(?!\d)"

# Period shapes, most specific first (alternation takes the first that fits, not the longest).
_PERIOD_SHAPES: tuple[tuple[str, str], ...] = (
    ("for", rf"(?P<a>{_MY})\s+for\s+(?P<b>{_MY})"),
    ("my_my", rf"(?P<a>{_MY}){_RANGE_SEP}(?P<b>{_MY})"),
    ("m_m_y", rf"(?P<a>{_MONTH}){_RANGE_SEP}(?P<b>{_MONTH})\s*,?\s*(?P<y>{_YEAR})"),
    ("q_fy", rf"(?P<q>{_QUARTER})\s*(?:of\s+)?(?P<a>{_FY_ANY})"),
    ("fy_q", rf"(?P<a>{_FY_ANY})\s*(?P<q>{_QUARTER})"),
    # "Q5 2024/25" is no quarter: caught here so it is not read as the whole year.
    ("not_q", rf"\bq(?:uarter)?\s*\d+\s*(?:of\s+)?{_FY_ANY}"),
    # Not the start of a day such as 2012-06-26.
    ("fy", rf"(?P<a>(?:fy\s*)?{_FY}|fy\s*{_FY2})(?!\s*[/\-.]\s*\d)"),
    ("week", rf"{_WEEK_OF}\s+(?P<a>{_DAY_DATE})"),
    ("d_mon_y", rf"(?P<a>{_D_MON_Y})"),
    ("day", rf"(?P<a>{_DAY_DATE})"),
    ("my", rf"(?P<a>{_MY})"),
    ("mon_yy", rf"(?P<a>{_MON_YY})"),
)
# Shapes read only with a context date (see the module docstring).
_CONTEXT_SHAPES: tuple[tuple[str, str], ...] = (
    (
        "mon_yy_space",
        rf"(?P<a>{_MONTH}\s+\d\d)(?![0-9]|st|nd|rd|th|\s*,?\s*\d|\s*[/.:]\s*\d)",
    ),
    # Not followed by a year: "Q3 2024" may be a calendar quarter, and is not read.
    ("quarter", rf"(?P<q>{_QUARTER})(?!\s*(?:of\s+)?(?:fy\s*)?{_YEARISH})"),
)

_XREF = (
    r"(?:\(\s*)?\b(?:"
    rf"as(?:\s+(?:detailed|described|set\s+out|stated|outlined|shown))?(?:\s+(?:in|at|under))?"
    rf"(?:\s+{_IDS})?\s+above(?:\s*\(\s*(?:see\s+)?{_IDS}\s*\))?"
    rf"|as\s+(?:detailed|described|set\s+out|stated|outlined|shown)\s+(?:in|at|under)\s+{_IDS}"
    rf"|as\s+per\s+{_IDS}(?:\s+above)?"
    rf"|see\s+(?:also\s+)?{_IDS}(?:\s+above)?"
    r")(?![a-z])(?:\s*\))?"
)
_RECUR = rf"\b(?:(?:to\s+be\s+)?review(?:ed)?\s+)?{_FREQ}(?![a-z])"
# A bare year is too common in free text ("Working Together 2010") to be a date on its own;
# with a keyword ("during 2012", "by 2013") it is one.
_YEAR_ONLY = rf"\b(?P<kw>{_KW})\s+(?P<year>{_YEAR})(?!\s*[/\-\u2013]\s*\d)(?P<suffix>{_SUFFIX})?"

_FLAGS = re.IGNORECASE


@dataclass(frozen=True)
class _Grammar:
    """The compiled patterns for one set of period shapes (with or without a context date)."""

    core_kinds: tuple[tuple[str, re.Pattern[str]], ...]  # each core kind, in priority order
    finder: re.Pattern[str]  # their union without group names
    shapes: tuple[tuple[str, re.Pattern[str]], ...]


def _grammar(shapes: tuple[tuple[str, str], ...]) -> _Grammar:
    period = "|".join(f"(?:{_unnamed(p)})" for _, p in shapes)
    dated = rf"\b(?:(?P<kw>{_KW})\s+)?(?P<period>{period})(?P<suffix>{_SUFFIX})?"
    kinds = tuple(
        (name, re.compile(p, _FLAGS))
        for name, p in (
            ("xref", _XREF),
            ("dated", dated),
            ("year_only", _YEAR_ONLY),
            ("recur", _RECUR),
            ("ongoing", _ONGOING),
            ("henceforth", _HENCEFORTH),
        )
    )
    finder = re.compile("|".join(f"(?:{_unnamed(p.pattern)})" for _, p in kinds), _FLAGS)
    return _Grammar(kinds, finder, tuple((n, re.compile(p, _FLAGS)) for n, p in shapes))


@functools.cache
def _grammar_for(context: date | None) -> _Grammar:
    """The completion-date grammar, compiled on first use (a tenth of a second of regular
    expressions that `ipt check`, which reads only review dates, never needs)."""
    if context is None:
        return _grammar(_PERIOD_SHAPES)
    return _grammar_with_context()


@functools.cache
def _grammar_with_context() -> _Grammar:
    return _grammar(_PERIOD_SHAPES + _CONTEXT_SHAPES)


# How far from the context date's year a two-digit year ("Dec 24") may be and still be read.
CONTEXT_YEARS = 10
_ID_RE = re.compile(_ID, _FLAGS)
_FREQ_RE = re.compile(_FREQ, _FLAGS)
_FROM_KW_RE = re.compile(rf"(?:{_FROM_KW})", _FLAGS)
_BY_KW_RE = re.compile(rf"(?:{_BY_KW})", _FLAGS)
_SPACE_RE = re.compile(r"\s+")


def normalise_cell(cell: str) -> str:
    """Whitespace (newlines, tabs, non-breaking spaces) collapsed to single spaces, ends trimmed."""
    return _SPACE_RE.sub(" ", cell).strip()


def _month_number(name: str) -> int:
    return _MONTH_NUMBERS[name.strip(". ").lower()[:3]]


def _read_my(text: str) -> Month:
    m = re.match(rf"(?P<mon>{_MONTH})\s*,?\s*(?P<y>{_YEAR})", text, _FLAGS)
    assert m is not None  # only called on text the period regex already matched
    return Month(int(m["y"]), _month_number(m["mon"]))


def _valid_day(d: int, m: int, y: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _two_digit_year(yy: int) -> int:
    # Plans and returns are dated this century; "12" means 2012.
    return 2000 + yy


def _read_day(text: str) -> date | None:
    m = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d\d)", text)
    if m:
        y = int(m[3]) if len(m[3]) == 4 else _two_digit_year(int(m[3]))
        return _valid_day(int(m[1]), int(m[2]), y)
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", text)
    if m:
        return _valid_day(int(m[3]), int(m[2]), int(m[1]))
    m = re.fullmatch(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<my>{_MY})", text, _FLAGS)
    if m:
        month = _read_my(m["my"])
        return _valid_day(int(m[1]), month.month, month.year)
    return None


def financial_year_of(d: date) -> int:
    """The first calendar year of the UK financial year `d` falls in: 2024 for 2024/25."""
    return d.year if d.month >= 4 else d.year - 1


def financial_quarter(first_year: int, quarter: int) -> tuple[Month, Month]:
    """The first and last month of a quarter of the UK financial year `first_year`/`+1`.

    Q1 is April to June of `first_year`; Q4 is January to March of the year after.
    """
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter must be 1 to 4, not {quarter}")
    first = Month(first_year, 4).plus(3 * (quarter - 1))
    return first, first.plus(2)


def _read_fy(text: str) -> int | None:
    """The first year of a financial year written "2024/25", "FY24/25", "2024-2025"; None if
    the two years do not follow each other."""
    m = re.search(r"(\d{2,4})\s*[/\-\u2013]\s*(\d{2,4})", text)
    assert m is not None  # only called on text the period regex already matched
    first, second = m[1], m[2]
    start = int(first) if len(first) == 4 else _two_digit_year(int(first))
    # A financial year runs across two consecutive years: 2012/13, 2012/2013, 1999/00.
    follows = int(second) == (start + 1 if len(second) == 4 else (start + 1) % 100)
    return start if follows else None


def _quarter_number(text: str) -> int:
    m = re.search(r"[1-4]", text)
    assert m is not None
    return int(m[0])


def _read_mon_yy(text: str, context: date | None) -> Month | None:
    """ "Dec-24" (always) or "Dec 24" (near the context date's year only)."""
    m = re.fullmatch(rf"(?P<mon>{_MONTH})\s*-?\s*(?P<yy>\d\d)", text, _FLAGS)
    assert m is not None
    year = _two_digit_year(int(m["yy"]))
    if "-" not in text and (context is None or abs(year - context.year) > CONTEXT_YEARS):
        return None
    return Month(year, _month_number(m["mon"]))


def _read_d_mon_y(text: str) -> date | None:
    day, mon, year = text.split("-")
    y = int(year) if len(year) == 4 else _two_digit_year(int(year))
    return _valid_day(int(day), _month_number(mon), y)


def _read_period(
    text: str, grammar: _Grammar | None = None, context: date | None = None
) -> tuple[str, Month, Month] | None:
    """The shape of a period and its first and last month; None if the numbers are impossible."""
    for shape, regex in (grammar or _grammar_for(None)).shapes:
        m = regex.fullmatch(text)
        if m is None:
            continue
        return _period_of(shape, m, context)
    return None


def _period_of(
    shape: str, m: re.Match[str], context: date | None
) -> tuple[str, Month, Month] | None:
    if shape in ("for", "my_my"):
        a, b = _read_my(m["a"]), _read_my(m["b"])
        if shape == "for":
            return shape, min(a, b), max(a, b)
        return (shape, a, b) if a <= b else None
    if shape == "m_m_y":
        year = int(m["y"])
        first, last = _month_number(m["a"]), _month_number(m["b"])
        # "November – February 2013" runs across the turn of the year.
        start_year = year if first <= last else year - 1
        return shape, Month(start_year, first), Month(year, last)
    if shape == "not_q":
        return None
    if shape in ("q_fy", "fy_q", "quarter"):
        if shape == "quarter":
            assert context is not None  # the shape is only in the grammar with a context
            fy: int | None = financial_year_of(context)
        else:
            fy = _read_fy(m["a"])
        return (shape, *financial_quarter(fy, _quarter_number(m["q"]))) if fy else None
    if shape == "fy":
        fy = _read_fy(m["a"])
        # UK financial year: April of the first year to March of the second.
        return (shape, Month(fy, 4), Month(fy + 1, 3)) if fy else None
    if shape in ("day", "week", "d_mon_y"):
        d = _read_d_mon_y(m["a"]) if shape == "d_mon_y" else _read_day(m["a"])
        if d is None:
            return None
        # A week is done by its last day, which may fall in the next month.
        done_by = d + timedelta(days=6) if shape == "week" else d
        return shape, Month.of(d), Month.of(done_by)
    if shape in ("mon_yy", "mon_yy_space"):
        month = _read_mon_yy(m["a"], context)
        return (shape, month, month) if month else None
    month = _read_my(m["a"])
    return shape, month, month


# --------------------------------------------------------------------------------------------
# Completion dates


class DateKind(StrEnum):
    BY = "by"  # to be done by the end of `end`
    FROM = "from"  # starts in `start` and carries on; nothing falls due
    ONGOING = "ongoing"  # continuous; no month given
    HENCEFORTH = "henceforth"  # from now on; no month given
    RANGE = "range"  # done over `start` to `end`; due by the end of `end`
    CROSS_REFERENCE = "cross-reference"  # the date is given elsewhere in the plan (`refs`)
    UNKNOWN = "unknown"  # not read; `text` keeps what was written


@dataclass(frozen=True)
class CompletionDate:
    """One completion-date phrase. `text` is the phrase as written (whitespace tidied)."""

    text: str
    kind: DateKind
    start: Month | None = None
    end: Month | None = None
    refs: tuple[str, ...] = ()
    recurring: str = ""

    @property
    def due(self) -> Month | None:
        """The month by whose end the action should be complete, or None if nothing falls due."""
        if self.kind in (DateKind.BY, DateKind.RANGE):
            return self.end
        return None


def _unknown(text: str) -> CompletionDate:
    return CompletionDate(text, DateKind.UNKNOWN)


def _tidy_freq(word: str) -> str:
    word = _SPACE_RE.sub("-", word.lower())
    if word == "yearly":
        return "annually"
    if word.replace("-", "") == "biannually":
        return "six-monthly"
    return word


def _read_core(text: str, core: str, grammar: _Grammar, context: date | None) -> CompletionDate:
    """Read a phrase from its one core; `text` (the whole phrase) is kept as written."""
    for name, regex in grammar.core_kinds:
        m = regex.fullmatch(core)
        if m is None:
            continue
        if name == "xref":
            return CompletionDate(text, DateKind.CROSS_REFERENCE, refs=tuple(_ID_RE.findall(core)))
        if name == "ongoing":
            return CompletionDate(text, DateKind.ONGOING)
        if name == "henceforth":
            return CompletionDate(text, DateKind.HENCEFORTH)
        if name == "recur":
            freq = _FREQ_RE.search(core)
            assert freq is not None
            return CompletionDate(text, DateKind.ONGOING, recurring=_tidy_freq(freq[0]))
        if name == "year_only":
            year = int(m["year"])
            period: tuple[str, Month, Month] | None = ("year", Month(year, 1), Month(year, 12))
        else:
            period = _read_period(m["period"], grammar, context)
        if period is None:
            return _unknown(text)
        return _dated(text, m, *period)
    return _unknown(text)


def _dated(text: str, m: re.Match[str], shape: str, start: Month, end: Month) -> CompletionDate:
    kw = m["kw"] or ""
    if m["suffix"]:
        # "and ongoing", "and henceforth", "onwards", "and quarterly thereafter": open-ended.
        freq = m["freq"]
        return CompletionDate(
            text, DateKind.FROM, start=start, recurring=_tidy_freq(freq) if freq else ""
        )
    if kw and _FROM_KW_RE.fullmatch(kw):
        # "From April 2012 to March 2013" has an end; "From June 2012" does not.
        if shape in ("my_my", "m_m_y"):
            return CompletionDate(text, DateKind.RANGE, start=start, end=end)
        return CompletionDate(text, DateKind.FROM, start=start)
    if kw and _BY_KW_RE.fullmatch(kw):
        return CompletionDate(text, DateKind.BY, start=start if shape == "for" else end, end=end)
    if kw:  # during, throughout
        return CompletionDate(text, DateKind.RANGE, start=start, end=end)
    is_range = shape in ("my_my", "m_m_y", "fy", "year", "q_fy", "fy_q", "quarter")
    return CompletionDate(text, DateKind.RANGE if is_range else DateKind.BY, start=start, end=end)


def parse_completion(text: str, *, context: date | None = None) -> CompletionDate:
    """Read ONE completion-date phrase. Anything that is not exactly one date is UNKNOWN.

    Words around the date ("Introduced", "With all staff ... PRs", a stray "Date for
    completion" label) are allowed and kept in `text`. `context` (the round's date, say) lets
    "end of Q2" and "Dec 24" be read; see the module docstring.
    """
    phrase = normalise_cell(text)
    grammar = _grammar_for(context)
    cores = list(grammar.finder.finditer(phrase))
    if len(cores) != 1:
        return _unknown(phrase)
    return _read_core(phrase, cores[0].group(0), grammar, context)


def _starts_phrase(word: str) -> bool:
    """True for a word written as the start of a new phrase: "With", "Introduced", "A".

    Lower-case words ("thereafter"), acronyms ("PRs") and numbers carry on the phrase before.
    """
    bare = word.lstrip("(\"'\u2018\u201c[")
    if not bare or not bare[0].isupper():
        return False
    return len(bare) == 1 or not bare[1].isupper()


def split_completion_phrases(cell: str, *, context: date | None = None) -> list[CompletionDate]:
    """Cut a whole "Date for completion" cell into its phrases, in order, dropping nothing.
    (Worked out once per text: a master write, the round's facts and lint ask for the same
    cells again; plans repeat completion texts.)"""
    if len(cell) > _CACHED_COMPLETION_TEXT:  # a long cell is read, not kept
        return _split(cell, context=context)
    return list(_split_completion_phrases(cell, context))


_CACHED_COMPLETION_TEXT = 2_000  # characters


@functools.lru_cache(maxsize=8192)
def _split_completion_phrases(cell: str, context: date | None) -> tuple[CompletionDate, ...]:
    return tuple(_split(cell, context=context))


def _split(cell: str, *, context: date | None = None) -> list[CompletionDate]:
    """split_completion_phrases, worked out.

    `" ".join(p.text for p in result) == normalise_cell(cell)` always holds. Free words between
    two dates go with the date before them while they are lower case or acronyms, and with the
    date after them from the first capitalised word on ("... 2012 PRs By March 2013").
    Capitalised words after the last date, with no date of their own, become an UNKNOWN phrase
    so that they are seen rather than silently attached.
    """
    norm = normalise_cell(cell)
    if not norm:
        return []
    words: list[tuple[int, int]] = [(m.start(), m.end()) for m in re.finditer(r"\S+", norm)]

    # Word index ranges [first, last] covered by each core; overlapping ranges are merged
    # (two dates written with no space between them make one phrase, which then reads UNKNOWN).
    groups: list[list[int]] = []
    for core in _grammar_for(context).finder.finditer(norm):
        covered = [i for i, (s, e) in enumerate(words) if s < core.end() and e > core.start()]
        first, last = covered[0], covered[-1]
        if groups and first <= groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], last)
        else:
            groups.append([first, last])
    if not groups:
        return [_unknown(norm)]

    # Phrase boundaries as word index ranges; start with the cores, then hand out the gaps.
    bounds = [list(g) for g in groups]
    bounds[0][0] = 0  # anything before the first date introduces it
    for i, group in enumerate(groups):
        gap = range(group[1] + 1, groups[i + 1][0] if i + 1 < len(groups) else len(words))
        cut = next((w for w in gap if _starts_phrase(norm[slice(*words[w])])), gap.stop)
        bounds[i][1] = cut - 1
        if i + 1 < len(groups):
            bounds[i + 1][0] = cut
        elif cut < gap.stop:
            bounds.append([cut, gap.stop - 1])

    return [
        parse_completion(norm[words[first][0] : words[last][1]], context=context)
        for first, last in bounds
    ]


def format_plan_date(d: date) -> str:
    """A day the way plans write it: "30 June 2024" (the time of a datetime is left out)."""
    return f"{d.day} {_MONTH_NAMES[d.month - 1]} {d.year}"


def read_completion_value(value: object, *, context: date | None = None) -> list[CompletionDate]:
    """The completion phrases of a cell value as a reader gives it (typed, not text).

    A date or datetime cell is one phrase, BY its month, whose text is the day the plan's way
    ("30 June 2024"), which `parse_completion` reads back to the same. Text is split into its
    phrases (`split_completion_phrases`). An empty cell has none. Anything else (a number, a
    time of day, TRUE) is one UNKNOWN phrase with the value as text, so it is seen, not lost.
    """
    if value is None:
        return []
    if isinstance(value, date):  # datetime is a date too
        month = Month.of(value)
        return [CompletionDate(format_plan_date(value), DateKind.BY, month, month)]
    if isinstance(value, str):
        return split_completion_phrases(value, context=context)
    return [_unknown(normalise_cell(str(value)))]


# --------------------------------------------------------------------------------------------
# Review dates


@dataclass(frozen=True)
class ReviewDate:
    """A "Date of next review" value.

    `text` is the value as typed for text input, and the date written dd/mm/yyyy for date and
    serial-number input. `month` is set whenever a date was read; `day` only when a day was
    given. Excel turns a typed "June 2012" into the date 1 June 2012, so a caller that can see
    the cell's number format should use `month` when the format shows no day.
    """

    text: str
    month: Month | None
    day: date | None
    not_required: bool

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and self.month is None and not self.not_required


_LABEL_RE = re.compile(
    r"^(?:date\s+of\s+next\s+review|next\s+review(?:\s+date)?|review\s+date)\s*:?\s*", _FLAGS
)
_NOT_REQUIRED_RE = re.compile(r"not\s+required\.?", _FLAGS)
_TIME = r"(?:[T\s]\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?)?"
_END = r"(?![a-z0-9])"

_ReviewItem = tuple[Month, date | None]


def _item_iso(m: re.Match[str], context: date | None) -> _ReviewItem | None:
    d = _valid_day(int(m["d"]), int(m["m"]), int(m["y"]))
    return (Month.of(d), d) if d else None


def _item_dmy(m: re.Match[str], context: date | None) -> _ReviewItem | None:
    y = int(m["y"]) if len(m["y"]) == 4 else _two_digit_year(int(m["y"]))
    d = _valid_day(int(m["d"]), int(m["m"]), y)
    return (Month.of(d), d) if d else None


def _item_d_mon_y(m: re.Match[str], context: date | None) -> _ReviewItem | None:
    y = int(m["y"]) if len(m["y"]) == 4 else _two_digit_year(int(m["y"]))
    d = _valid_day(int(m["d"]), _month_number(m["mon"]), y)
    return (Month.of(d), d) if d else None


def _item_mon_y(m: re.Match[str], context: date | None) -> _ReviewItem | None:
    y = int(m["y4"]) if m["y4"] else _two_digit_year(int(m["y2"]))
    return Month(y, _month_number(m["mon"])), None


def _item_m_y(m: re.Match[str], context: date | None) -> _ReviewItem | None:
    month = int(m["m"])
    return (Month(int(m["y"]), month), None) if 1 <= month <= 12 else None


def _item_quarter(m: re.Match[str], context: date | None) -> _ReviewItem | None:
    # A bare "Q2" (no year after it) is a quarter of the context date's financial year.
    if m["fy"]:
        fy = _read_fy(m["fy"])
    else:
        fy = financial_year_of(context) if context else None
    return (financial_quarter(fy, _quarter_number(m["q"]))[1], None) if fy else None


def _item_fy(m: re.Match[str], context: date | None) -> _ReviewItem | None:
    fy = _read_fy(m["fy"])
    return (Month(fy + 1, 3), None) if fy else None


def _item_mon_yy(m: re.Match[str], context: date | None) -> _ReviewItem | None:
    month = _read_mon_yy(m[0], context)
    return (month, None) if month else None


_ReviewReader = Callable[[re.Match[str], date | None], _ReviewItem | None]

_REVIEW_ITEMS: tuple[tuple[re.Pattern[str], _ReviewReader], ...] = (
    (re.compile(rf"(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){_TIME}{_END}"), _item_iso),
    (
        re.compile(
            rf"(?P<d>\d{{1,2}})(?P<sep>[/.\-])(?P<m>\d{{1,2}})(?P=sep)(?P<y>\d{{4}}|\d\d){_TIME}{_END}"
        ),
        _item_dmy,
    ),
    (
        re.compile(
            rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-]*(?P<mon>{_MONTH})[\s\-,]*"
            rf"(?P<y>\d{{4}}|\d\d){_END}",
            _FLAGS,
        ),
        _item_d_mon_y,
    ),
    # Periods read as their last month: "Q3 2024/25", "2024/25 Q3", "FY 2024/25", "2024-25".
    (
        re.compile(rf"(?P<q>{_QUARTER})\s*(?:of\s+)?(?P<fy>{_FY_ANY}){_END}", _FLAGS),
        _item_quarter,
    ),
    (re.compile(rf"(?P<fy>{_FY_ANY})\s*(?P<q>{_QUARTER}){_END}", _FLAGS), _item_quarter),
    (re.compile(rf"(?P<fy>(?:fy\s*)?{_FY}|fy\s*{_FY2}){_END}", _FLAGS), _item_fy),
    # "June 2012", "September2012", "Sept 2012", and Excel's "Jun-12" (mmm-yy).
    (
        re.compile(rf"(?P<mon>{_MONTH})(?:\s*,?\s*(?P<y4>{_YEAR})|-(?P<y2>\d\d)){_END}", _FLAGS),
        _item_mon_y,
    ),
    (re.compile(rf"(?P<m>\d{{1,2}})/(?P<y>\d{{4}}){_END}"), _item_m_y),
)


# Read only with a context date: "Dec 24", and a quarter of the context's financial year.
_REVIEW_CONTEXT_ITEMS: tuple[tuple[re.Pattern[str], _ReviewReader], ...] = (
    (
        re.compile(rf"{_MONTH}\s+\d\d{_END}(?!\s*[/.:]\s*\d)", _FLAGS),
        _item_mon_yy,
    ),
    (
        re.compile(
            rf"(?P<q>{_QUARTER})(?!\s*(?:of\s+)?(?:fy\s*)?{_YEARISH})(?P<fy>){_END}", _FLAGS
        ),
        _item_quarter,
    ),
)
# Words before a date that do not change it: "end of Q2" is due by the end of Q2; "w/c 3 June
# 2024" (week commencing) is the Monday the review week starts, so a day must follow.
_REVIEW_END_OF = re.compile(r"(?:by\s+)?(?:the\s+)?end\s+of\s+", _FLAGS)
_REVIEW_WEEK_OF = re.compile(rf"{_WEEK_OF}\s+", _FLAGS)


_REVIEW_SEP = re.compile(r"\s*(?:[,;&]|\band\b|\bthen\b)?\s*", _FLAGS)


def _read_review_text(text: str, context: date | None = None) -> list[_ReviewItem] | None:
    """All the dates in `text`, which must hold nothing else; None if any part is unreadable."""
    readers = _REVIEW_ITEMS if context is None else _REVIEW_ITEMS + _REVIEW_CONTEXT_ITEMS
    items: list[_ReviewItem] = []
    pos = 0
    while pos < len(text):
        if items:
            # Every item ends before a non-alphanumeric character, so items cannot run together.
            sep = _REVIEW_SEP.match(text, pos)
            assert sep is not None  # the pattern can match empty
            pos = sep.end()
        end_of, week_of = _REVIEW_END_OF.match(text, pos), _REVIEW_WEEK_OF.match(text, pos)
        if prefix := end_of or week_of:
            pos = prefix.end()
        for regex, reader in readers:
            m = regex.match(text, pos)
            if m:
                item = reader(m, context)
                # "end of" needs a month or period after it, "w/c" a day.
                if item is None or (end_of and item[1]) or (week_of and not item[1]):
                    return None
                items.append(item)
                pos = m.end()
                break
        else:
            return None
    return items or None


def _dmy(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def _from_date(d: date) -> ReviewDate:
    return ReviewDate(_dmy(d), Month.of(d), d, False)


def parse_review_date(
    value: object, *, epoch_1904: bool = False, context: date | None = None
) -> ReviewDate | None:
    """Read a "Date of next review" value; None means it could not be read.

    Accepts date and datetime objects; Excel serial numbers (days since 30 December 1899, or
    since 1 January 1904 when `epoch_1904`); and text: "26/06/2012" (day first, also d/m/yy,
    d-m-Y, d.m.Y), "2012-06-26", "26 June 2012", "June 2012", "Jun 2012", "Sept 2012",
    "September2012", "Jun-12", "Dec-24", "06/2012", "w/c 3 June 2024" (that day), and "Not
    required" in any case. Periods read as their last month: "Q3 2024/25" (December 2024),
    "2024/25 Q3", "FY 2024/25" and "2024-25" (March 2025), "end of March 2025". With a
    `context` date, also "Dec 24" and "end of Q2" (see the module docstring). A leading "Date
    of next review" label is ignored. Empty input (None or blank text) gives an empty
    ReviewDate.

    A cell with several dates ("May 2012 August 2012") was updated by adding the new date after
    the old one, so the LAST date is the next review; `text` keeps the whole value.
    """
    if value is None:
        return ReviewDate("", None, None, False)
    if isinstance(value, datetime):
        return _from_date(value.date())
    if isinstance(value, date):
        return _from_date(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        serial = float(value)
        if not math.isfinite(serial) or serial < 1:
            return None
        base = date(1904, 1, 1) if epoch_1904 else date(1899, 12, 30)
        try:
            return _from_date(base + timedelta(days=math.floor(serial)))
        except OverflowError:
            return None
    if not isinstance(value, str):
        return None
    if len(value) > _CACHED_REVIEW_TEXT:  # an agency's long text is read, not kept
        return _read_review(value, context)
    return _review_from_text(value, context)


_CACHED_REVIEW_TEXT = 200  # characters: any real date of next review is far shorter


@functools.lru_cache(maxsize=8192)
def _review_from_text(value: str, context: date | None) -> ReviewDate | None:
    """parse_review_date of text, worked out once per text (a check of a round reads the
    same few months in thousands of cells, several rules each; a ReviewDate is frozen)."""
    return _read_review(value, context)


def _read_review(value: str, context: date | None) -> ReviewDate | None:
    text = normalise_cell(value)
    if not text:
        return ReviewDate(value, None, None, False)
    text = _LABEL_RE.sub("", text).rstrip(".").strip()
    if _NOT_REQUIRED_RE.fullmatch(text):
        return ReviewDate(value, None, None, True)
    items = _read_review_text(text, context)
    if not items:
        return None
    month, day = items[-1]
    return ReviewDate(value, month, day, False)


def format_review(r: ReviewDate) -> str:
    """Canonical text: "September 2012", "26/06/2012", "Not required", or "" when empty."""
    if r.not_required:
        return NOT_REQUIRED
    if r.day is not None:
        return _dmy(r.day)
    if r.month is not None:
        return str(r.month)
    return ""


def review_is_before(reading: ReviewDate, review_day: date) -> bool:
    """The one rule for a date of next review, against a review held on `review_day`.

    A day counts if it is on or after that day. A month counts only if it is a later month:
    the next review cannot be the review being held, so "June 2012" is too early for a
    review on 26 June 2012. Used by both `ipt check` and `ipt lint`.
    """
    if reading.not_required or reading.month is None:
        return False
    if reading.day is not None:
        return reading.day < review_day
    return reading.month <= Month.of(review_day)


REVIEW_HORIZON_YEARS = 5  # a next review further off than this is a slip, like 2102 for 2012


def review_is_too_far(reading: ReviewDate, review_day: date) -> bool:
    """True when a next review is more than REVIEW_HORIZON_YEARS after the review held on
    `review_day`. Used by both `ipt check` and `ipt lint`."""
    if reading.not_required or reading.month is None:
        return False
    return reading.month > Month.of(review_day).plus(12 * REVIEW_HORIZON_YEARS)


def review_horizon(review_day: date) -> date:
    """The last day a next review may be on (see review_is_too_far)."""
    return Month.of(review_day).plus(12 * REVIEW_HORIZON_YEARS).last_day


def first_review_month(review_day: date) -> Month:
    """The earliest month a next review may be in: the month after the review."""
    return Month.of(review_day).plus(1)


def month_choices(start: date, count: int = 18) -> list[str]:
    """Month names for a drop-down: the month of `start` and the `count - 1` after it."""
    if count < 0:
        raise ValueError(f"count must not be negative, not {count}")
    first = Month.of(start)
    return [str(first.plus(i)) for i in range(count)]
