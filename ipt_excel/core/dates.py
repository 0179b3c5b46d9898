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
"""

from __future__ import annotations

import calendar
import math
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

__all__ = [
    "NOT_REQUIRED",
    "CompletionDate",
    "DateKind",
    "Month",
    "ReviewDate",
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


# Period shapes, most specific first (alternation takes the first that fits, not the longest).
_PERIOD_SHAPES: tuple[tuple[str, str], ...] = (
    ("for", rf"(?P<a>{_MY})\s+for\s+(?P<b>{_MY})"),
    ("my_my", rf"(?P<a>{_MY}){_RANGE_SEP}(?P<b>{_MY})"),
    ("m_m_y", rf"(?P<a>{_MONTH}){_RANGE_SEP}(?P<b>{_MONTH})\s*,?\s*(?P<y>{_YEAR})"),
    ("fy", rf"(?P<a>{_FY})"),
    ("day", rf"(?P<a>{_DAY_DATE})"),
    ("my", rf"(?P<a>{_MY})"),
)
_PERIOD = "|".join(f"(?:{_unnamed(p)})" for _, p in _PERIOD_SHAPES)

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
_DATED = rf"\b(?:(?P<kw>{_KW})\s+)?(?P<period>{_PERIOD})(?P<suffix>{_SUFFIX})?"
# A bare year is too common in free text ("Working Together 2010") to be a date on its own;
# with a keyword ("during 2012", "by 2013") it is one.
_YEAR_ONLY = rf"\b(?P<kw>{_KW})\s+(?P<year>{_YEAR})(?!\s*[/\-\u2013]\s*\d)(?P<suffix>{_SUFFIX})?"

_FLAGS = re.IGNORECASE


# Each core kind, in priority order; the finder is their union without group names.
_CORE_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(p, _FLAGS))
    for name, p in (
        ("xref", _XREF),
        ("dated", _DATED),
        ("year_only", _YEAR_ONLY),
        ("recur", _RECUR),
        ("ongoing", _ONGOING),
        ("henceforth", _HENCEFORTH),
    )
)
_CORE_FINDER = re.compile("|".join(f"(?:{_unnamed(p.pattern)})" for _, p in _CORE_KINDS), _FLAGS)
_SHAPES = tuple((name, re.compile(p, _FLAGS)) for name, p in _PERIOD_SHAPES)
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


def _read_period(text: str) -> tuple[str, Month, Month] | None:
    """The shape of a period and its first and last month; None if the numbers are impossible."""
    for shape, regex in _SHAPES:
        m = regex.fullmatch(text)
        if m is None:
            continue
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
        if shape == "fy":
            y1, rest = re.split(r"\s*[/\-\u2013]\s*", m["a"])
            start = int(y1)
            # A financial year runs across two consecutive years: 2012/13, 2012/2013, 1999/00.
            follows = int(rest) == (start + 1 if len(rest) == 4 else (start + 1) % 100)
            # UK financial year: April of the first year to March of the second.
            return (shape, Month(start, 4), Month(start + 1, 3)) if follows else None
        if shape == "day":
            d = _read_day(m["a"])
            return (shape, Month.of(d), Month.of(d)) if d else None
        month = _read_my(m["a"])
        return shape, month, month
    return None


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


def _read_core(text: str, core: str) -> CompletionDate:
    """Read a phrase from its one core; `text` (the whole phrase) is kept as written."""
    for name, regex in _CORE_KINDS:
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
            period = _read_period(m["period"])
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
    is_range = shape in ("my_my", "m_m_y", "fy", "year")
    return CompletionDate(text, DateKind.RANGE if is_range else DateKind.BY, start=start, end=end)


def parse_completion(text: str) -> CompletionDate:
    """Read ONE completion-date phrase. Anything that is not exactly one date is UNKNOWN.

    Words around the date ("Introduced", "With all staff ... PRs", a stray "Date for
    completion" label) are allowed and kept in `text`.
    """
    phrase = normalise_cell(text)
    cores = list(_CORE_FINDER.finditer(phrase))
    if len(cores) != 1:
        return _unknown(phrase)
    return _read_core(phrase, cores[0].group(0))


def _starts_phrase(word: str) -> bool:
    """True for a word written as the start of a new phrase: "With", "Introduced", "A".

    Lower-case words ("thereafter"), acronyms ("PRs") and numbers carry on the phrase before.
    """
    bare = word.lstrip("(\"'\u2018\u201c[")
    if not bare or not bare[0].isupper():
        return False
    return len(bare) == 1 or not bare[1].isupper()


def split_completion_phrases(cell: str) -> list[CompletionDate]:
    """Cut a whole "Date for completion" cell into its phrases, in order, dropping nothing.

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
    for core in _CORE_FINDER.finditer(norm):
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

    return [parse_completion(norm[words[first][0] : words[last][1]]) for first, last in bounds]


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


def _item_iso(m: re.Match[str]) -> _ReviewItem | None:
    d = _valid_day(int(m["d"]), int(m["m"]), int(m["y"]))
    return (Month.of(d), d) if d else None


def _item_dmy(m: re.Match[str]) -> _ReviewItem | None:
    y = int(m["y"]) if len(m["y"]) == 4 else _two_digit_year(int(m["y"]))
    d = _valid_day(int(m["d"]), int(m["m"]), y)
    return (Month.of(d), d) if d else None


def _item_d_mon_y(m: re.Match[str]) -> _ReviewItem | None:
    y = int(m["y"]) if len(m["y"]) == 4 else _two_digit_year(int(m["y"]))
    d = _valid_day(int(m["d"]), _month_number(m["mon"]), y)
    return (Month.of(d), d) if d else None


def _item_mon_y(m: re.Match[str]) -> _ReviewItem | None:
    y = int(m["y4"]) if m["y4"] else _two_digit_year(int(m["y2"]))
    return Month(y, _month_number(m["mon"])), None


def _item_m_y(m: re.Match[str]) -> _ReviewItem | None:
    month = int(m["m"])
    return (Month(int(m["y"]), month), None) if 1 <= month <= 12 else None


_REVIEW_ITEMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], _ReviewItem | None]], ...] = (
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
    # "June 2012", "September2012", "Sept 2012", and Excel's "Jun-12" (mmm-yy).
    (
        re.compile(rf"(?P<mon>{_MONTH})(?:\s*,?\s*(?P<y4>{_YEAR})|-(?P<y2>\d\d)){_END}", _FLAGS),
        _item_mon_y,
    ),
    (re.compile(rf"(?P<m>\d{{1,2}})/(?P<y>\d{{4}}){_END}"), _item_m_y),
)


_REVIEW_SEP = re.compile(r"\s*(?:[,;&]|\band\b|\bthen\b)?\s*", _FLAGS)


def _read_review_text(text: str) -> list[_ReviewItem] | None:
    """All the dates in `text`, which must hold nothing else; None if any part is unreadable."""
    items: list[_ReviewItem] = []
    pos = 0
    while pos < len(text):
        if items:
            # Every item ends before a non-alphanumeric character, so items cannot run together.
            sep = _REVIEW_SEP.match(text, pos)
            assert sep is not None  # the pattern can match empty
            pos = sep.end()
        for regex, reader in _REVIEW_ITEMS:
            m = regex.match(text, pos)
            if m:
                item = reader(m)
                if item is None:
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


def parse_review_date(value: object, *, epoch_1904: bool = False) -> ReviewDate | None:
    """Read a "Date of next review" value; None means it could not be read.

    Accepts date and datetime objects; Excel serial numbers (days since 30 December 1899, or
    since 1 January 1904 when `epoch_1904`); and text: "26/06/2012" (day first, also d/m/yy,
    d-m-Y, d.m.Y), "2012-06-26", "26 June 2012", "June 2012", "Jun 2012", "Sept 2012",
    "September2012", "Jun-12", "06/2012", and "Not required" in any case. A leading "Date of
    next review" label is ignored. Empty input (None or blank text) gives an empty ReviewDate.

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
    text = normalise_cell(value)
    if not text:
        return ReviewDate(value, None, None, False)
    text = _LABEL_RE.sub("", text).rstrip(".").strip()
    if _NOT_REQUIRED_RE.fullmatch(text):
        return ReviewDate(value, None, None, True)
    items = _read_review_text(text)
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
