"""Each cell's value as openpyxl would give it, from python-calamine and the gate's scan.

The return reader used to load every return with openpyxl (data_only=False). It now reads
values with python-calamine, which is many times faster, and takes from the safe-open gate's
one XML scan (`sheet_scan.SheetScan`) what calamine does not say: which cells hold formulas
(and their text), which hold an Excel error, and every value that is not a shared string
exactly as written (`SheetScan.typed`). This module turns those into the values openpyxl
gave, so the validator sees the same data:

- a shared string: calamine's text; an inline string: its text as the scan read it;
- a formula: its text as openpyxl shows it ("=A1*2"; an array formula's text; a data
  table's "=TABLE(r1,r2)"), flagged as a formula;
- a number: int or float as openpyxl casts the written text, or, in a cell whose number
  format is a date or time format, the datetime, time or timedelta openpyxl makes of it
  (the rules and the built-in formats below follow openpyxl 3.1's
  `worksheet/_reader.py`, `styles/numbers.py` and `utils/datetime.py`, MIT licence);
- a boolean, an error ("#N/A", flagged), a formula's cached string, an ISO date: as openpyxl.

One difference is deliberate: in text, calamine decodes Excel's `_xHHHH_` escapes (a
carriage return is stored as `_x000D_`), as the Open XML standard says, where openpyxl
leaves them in the text. A plan text holding such a character now reads back as it was
issued instead of failing its locked-text check.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from defusedxml import ElementTree

from ipt_excel.excel.sheet_scan import SheetScan

# openpyxl/styles/numbers.py
BUILTIN_FORMATS: dict[int, str] = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)',
    7: '"$"#,##0.00_);("$"#,##0.00)',
    8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    37: "#,##0_);(#,##0)",
    38: "#,##0_);[Red](#,##0)",
    39: "#,##0.00_);(#,##0.00)",
    40: "#,##0.00_);[Red](#,##0.00)",
    41: r'_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)',
    42: r'_("$"* #,##0_);_("$"* \(#,##0\);_("$"* "-"_);_(@_)',
    43: r'_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)',
    44: r'_("$"* #,##0.00_)_("$"* \(#,##0.00\)_("$"* "-"??_)_(@_)',
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
    48: "##0.0E+0",
    49: "@",
}
_LITERAL_GROUP = r'".*?"'  # anything in quotes
# anything in square brackets, except hours or minutes or seconds
_LOCALE_GROUP = r"\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]"
_STRIP_RE = re.compile(f"{_LITERAL_GROUP}|{_LOCALE_GROUP}")
_DATE_RE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA_RE = re.compile(
    r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.IGNORECASE
)

# openpyxl/utils/datetime.py
WINDOWS_EPOCH = datetime.datetime(1899, 12, 30)
MAC_EPOCH = datetime.datetime(1904, 1, 1)
_SECS_PER_DAY = 86400
_ISO_REGEX = re.compile(
    r"""
(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?
(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(?P<microsecond>\.\d{1,3})?)?)?Z?""",
    re.VERBOSE,
)
_ISO_DURATION = re.compile(
    r"PT((?P<hours>\d+)H)?((?P<minutes>\d+)M)?((?P<seconds>\d+(\.\d{1,3})?)S)?"
)
_STYLES_PART = "xl/styles.xml"  # where openpyxl looks, and only there
_STRINGS_PART = "xl/sharedstrings.xml"
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

Value = object  # str, int, float, bool, datetime, date, time, timedelta or None


def is_date_format(fmt: str | None) -> bool:
    if fmt is None:
        return False
    fmt = _STRIP_RE.sub("", fmt.split(";")[0])
    return _DATE_RE.search(fmt) is not None


def is_timedelta_format(fmt: str | None) -> bool:
    if fmt is None:
        return False
    return _TIMEDELTA_RE.search(fmt.split(";")[0]) is not None


def cast_number(text: str) -> int | float:
    """Numbers as written, to an int or a float, as openpyxl casts them."""
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def from_excel(
    value: float, epoch: datetime.datetime, *, timedelta: bool = False
) -> datetime.datetime | datetime.time | datetime.timedelta:
    """An Excel serial number as openpyxl converts it."""
    if timedelta:
        td = datetime.timedelta(days=value)
        if td.microseconds:  # round to millisecond precision
            td = datetime.timedelta(
                seconds=td.total_seconds() // 1, microseconds=round(td.microseconds, -3)
            )
        return td
    day, fraction = divmod(value, 1)
    diff = datetime.timedelta(milliseconds=round(fraction * _SECS_PER_DAY * 1000))
    if 0 <= value < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return datetime.time(hours, minutes, seconds, diff.microseconds)
    if 0 < value < 60 and epoch == WINDOWS_EPOCH:
        day += 1
    return epoch + datetime.timedelta(days=day) + diff


def from_iso8601(text: str) -> Value:
    """A cell of type "d" (an ISO 8601 date, time or duration), as openpyxl reads it."""
    if not text:
        return None
    match = _ISO_REGEX.match(text)
    if match and any(match.groups()):
        parts: dict[str, object] = match.groupdict(0)
        for key in ["year", "month", "day", "hour", "minute", "second"]:
            if parts[key]:
                parts[key] = int(str(parts[key]))
        if parts["microsecond"]:
            parts["microsecond"] = int(float(str(parts["microsecond"])) * 1_000_000)
        ints = {k: v for k, v in parts.items() if isinstance(v, int)}
        if not parts["date"]:
            return datetime.time(
                ints["hour"], ints["minute"], ints["second"], ints.get("microsecond", 0)
            )
        if not parts["time"]:
            return datetime.date(ints["year"], ints["month"], ints["day"])
        return datetime.datetime(
            ints["year"],
            ints["month"],
            ints["day"],
            ints["hour"],
            ints["minute"],
            ints["second"],
            ints.get("microsecond", 0),
        )
    duration = _ISO_DURATION.match(text)
    if duration and any(duration.groups()):
        found = {k: float(v) for k, v in duration.groupdict(0).items() if v}
        return datetime.timedelta(**found)
    raise ValueError(f"Invalid datetime value {text}")


@dataclass(frozen=True)
class DateStyles:
    """The cell styles (indexes into cellXfs) whose number format is a date, or a duration."""

    dates: frozenset[int] = frozenset()
    durations: frozenset[int] = frozenset()


def date_styles(data: bytes) -> DateStyles:
    """Which styles of a workbook show dates, from its xl/styles.xml (openpyxl's
    Stylesheet._normalise_numbers). `data` is the workbook's bytes, already through the gate."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            source = archive.read(_STYLES_PART)
        except KeyError:
            return DateStyles()
    root = ElementTree.fromstring(source, forbid_dtd=True)
    custom: dict[int, str] = {}
    for element in root.findall(f"{_MAIN_NS}numFmts/{_MAIN_NS}numFmt"):
        custom[int(element.get("numFmtId", ""))] = element.get("formatCode", "")
    dates: set[int] = set()
    durations: set[int] = set()
    for index, xf in enumerate(root.findall(f"{_MAIN_NS}cellXfs/{_MAIN_NS}xf")):
        number = int(xf.get("numFmtId", "0"))
        fmt = custom[number] if number in custom else BUILTIN_FORMATS.get(number)
        if is_date_format(fmt):
            dates.add(index)
        if is_timedelta_format(fmt):
            durations.add(index)
    return DateStyles(frozenset(dates), frozenset(durations))


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def shared_strings(data: bytes) -> list[str]:
    """The shared-strings table, read here only when calamine cannot read a sheet (it
    panics on some values openpyxl reads, such as a huge number in a duration format).
    Each string's text as calamine gives it: its plain text and its runs' (phonetic
    guides left out), Excel's _xHHHH_ escapes decoded."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = {n.lower(): n for n in archive.namelist()}
        name = names.get(_STRINGS_PART)
        if name is None:
            return []
        root = ElementTree.fromstring(archive.read(name), forbid_dtd=True)
    out: list[str] = []
    for si in root.findall(f"{_MAIN_NS}si"):
        parts = [t.text or "" for t in si.findall(f"{_MAIN_NS}t")]
        parts += [t.text or "" for t in si.findall(f"{_MAIN_NS}r/{_MAIN_NS}t")]
        text = "".join(parts)
        out.append(_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text)
    return out


@dataclass(frozen=True)
class Cell:
    value: Value
    is_formula: bool = False
    is_error: bool = False


EMPTY = Cell(None)


class SheetValues:
    """One sheet's cells, each as openpyxl would give it, looked up by (row, column).

    Every cell that is not a shared string is converted when the sheet is made, so a value
    openpyxl could not have read either fails here, once, rather than in the middle of
    reading the rows."""

    def __init__(
        self,
        scan: SheetScan,
        grid: Sequence[Sequence[object]] | None,
        epoch: datetime.datetime,
        styles: DateStyles,
        strings: Sequence[str] = (),
    ) -> None:
        self.scan = scan
        # python-calamine's values from A1; None when calamine could not read the sheet,
        # and `strings` (the shared-strings table) are looked up by each cell's index.
        self._grid = grid
        self._strings = strings
        self._values = scan.values
        self._cells: dict[tuple[int, int], Cell] = {
            at: _typed(kind, style, text, epoch, styles)
            for at, (kind, style, text) in scan.typed.items()
        }
        for at, text in formula_texts(scan).items():
            self._cells[at] = Cell(text, is_formula=True)

    def row(self, row: int, width: int) -> list[Cell]:
        """Cells 1 to `width` of a row (the loop of `cell`, written out: it runs for every
        cell of every return)."""
        cells, values, grid = self._cells, self._values, self._grid
        line = grid[row - 1] if grid is not None and row <= len(grid) else None
        out: list[Cell] = []
        for column in range(1, width + 1):
            at = (row, column)
            found = cells.get(at)
            if found is None:
                if at not in values:
                    found = EMPTY
                elif line is not None:
                    value = line[column - 1] if column <= len(line) else ""
                    found = Cell(value if isinstance(value, str) else str(value))
                else:
                    found = self.cell(row, column)
            out.append(found)
        return out

    def cell(self, row: int, column: int) -> Cell:
        at = (row, column)
        found = self._cells.get(at)
        if found is not None:
            return found
        if at not in self._values:
            return EMPTY
        # A shared string: calamine's text.
        grid = self._grid
        if grid is None:
            return Cell(self._strings[int(self.scan.strings[at])])
        line = grid[row - 1] if row <= len(grid) else ()
        value = line[column - 1] if column <= len(line) else ""
        return Cell(value if isinstance(value, str) else str(value))


def _typed(
    kind: str, style: str, text: str | None, epoch: datetime.datetime, styles: DateStyles
) -> Cell:
    """A value that is not a string, as written in the file, as openpyxl reads it."""
    assert text is not None
    if kind == "n":
        number = cast_number(text)
        style_id = int(style) if style else 0
        if style_id in styles.dates:
            try:
                return Cell(from_excel(number, epoch, timedelta=style_id in styles.durations))
            except (OverflowError, ValueError):
                return Cell("#VALUE!", is_error=True)  # openpyxl: beyond the dates it knows
        return Cell(number)
    if kind == "e":
        return Cell(text, is_error=True)
    if kind == "b":
        return Cell(bool(int(text)))
    if kind == "d":
        return Cell(from_iso8601(text))
    # An inline string as the scan read it (openpyxl's rules), a formula's cached string
    # ("str"), or a type openpyxl keeps as written.
    return Cell(text)


def formula_texts(scan: SheetScan) -> dict[tuple[int, int], str]:
    """Each formula cell's text as openpyxl shows it, by (row, column)."""
    if not scan.formulas:
        return {}
    from ipt_excel.excel.sheet_scan import parse_cell_ref

    shared = any(f.kind == "shared" for f in scan.formulas)
    texts = scan.formula_texts() if shared else {}  # imports openpyxl's Translator
    out: dict[tuple[int, int], str] = {}
    for formula in scan.formulas:
        if formula.kind == "dataTable":
            r1, r2 = formula.inputs
            text = f"=TABLE({r1},{r2})"
        elif formula.kind == "shared":
            text = texts[formula.ref]
        else:
            text = "=" + formula.text
        out[parse_cell_ref(formula.ref)] = text
    return out
