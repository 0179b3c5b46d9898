"""What the safe-open gate learns about a workbook's sheets while it expands them.

The gate streams every part of an agency's file through its checks. This module holds the
two things that ride along:

- `MarkupCounter`: counts start tags in any XML part at C speed (one regex `findall` per
  chunk), so a huge sheet, string table or style sheet is refused before anything does
  per-element Python work on it.
- `SheetScanner`: reads a worksheet part that passed the counts (expanded a second time)
  incrementally with the C expat pull parser, and keeps small facts (`SheetScan`): which
  cells hold values, every formula, the used range, sheet protection. It follows openpyxl's
  reading rules exactly (cells are the children of `<row>`, a cell without `r` follows the
  previous one), so the facts match what openpyxl would load, without loading it.

Nothing here knows about limits or messages: the gate reads the running totals after each
chunk and refuses the file when one is passed. The parser is only ever fed bytes the gate has
already checked for DTDs, decoded to text so no other encoding can slip one past that check.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from ipt_excel.errors import ScanError

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW = f"{{{MAIN_NS}}}row"
_F = f"{{{MAIN_NS}}}f"
_V = f"{{{MAIN_NS}}}v"
_IS = f"{{{MAIN_NS}}}is"
_MERGE = f"{{{MAIN_NS}}}mergeCell"
_HYPERLINK = f"{{{MAIN_NS}}}hyperlink"
_DIMENSION = f"{{{MAIN_NS}}}dimension"
_PROTECTION = f"{{{MAIN_NS}}}sheetProtection"
_COMMENT = f"{{{MAIN_NS}}}comment"

MAX_COLUMN = 18_278  # "ZZZ": the largest column openpyxl accepts (Excel stops at 16,384)
FormulaKind = Literal["normal", "shared", "array", "dataTable"]
# openpyxl reads a `t` it does not know as a normal formula.
_FORMULA_KINDS: dict[str, FormulaKind] = {
    "normal": "normal",
    "shared": "shared",
    "array": "array",
    "dataTable": "dataTable",
}


# --- facts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """One cell with an `<f>` element, as written in the file."""

    ref: str  # the cell holding it, "B3"
    text: str  # the formula without "=", entities unescaped; "" in a shared formula's followers
    kind: FormulaKind  # the `t` attribute: "normal", "shared", "array" or "dataTable"
    range: str = ""  # `ref` attribute: the cells a shared, array or data-table formula covers
    shared_index: str = ""  # `si` attribute of a shared formula, which ties followers to it
    # A data table's input cells (`r1`, `r2`), which is all openpyxl shows of one.
    inputs: tuple[str, str] = field(default=("", ""), compare=False)


@dataclass(frozen=True)
class SheetScan:
    """Small facts about one sheet, learnt by the gate without loading the workbook.

    A cell "holds a value" when openpyxl would give it a value other than None: it has a
    formula, a non-empty `<v>`, or (for an inline string) an `<is>` element. A cell that is
    only formatted holds no value, but still counts towards the used range, because readers
    create it.
    """

    name: str
    part: str  # the zip part, "xl/worksheets/sheet1.xml"; "" when the workbook names none
    state: str  # "visible", "hidden" or "veryHidden"
    # "worksheet"; "chartsheet" (no cells); "missing" (no part: openpyxl skips the sheet)
    kind: str = field(default="worksheet", compare=False)
    cells: int = 0  # cells holding a value or formula
    max_row: int = 0  # used range: the last row and column a reader creates a cell in, from
    max_column: int = 0  # cells, merged ranges, hyperlinks and comments; 0 for an empty sheet
    dimension: str = ""  # the `<dimension ref>` as written, "" when absent
    protected: bool = False  # `<sheetProtection sheet="1">`: the sheet is locked
    formulas: tuple[Formula, ...] = ()  # in the order the file holds them
    values: frozenset[tuple[int, int]] = field(default=frozenset(), repr=False)  # (row, col)
    # Every cell holding a value that is not a shared string (numbers, dates, booleans,
    # errors, inline and formula strings), as written: (row, col) -> (`t` as openpyxl reads
    # it, "n" when absent; `s`, the style index, "" when absent; the `<v>` text, unescaped,
    # or an inline string's text). Few in a return from Excel or LibreOffice: what a reader
    # needs to give each one the value openpyxl would, where a shared string needs nothing
    # more than its text.
    typed: dict[tuple[int, int], tuple[str, str, str | None]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # Each shared-string cell's index into the strings table, as written.
    strings: dict[tuple[int, int], str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def used_range(self) -> str:
        """ "A1:O23", or "" for a sheet with no cells."""
        if not self.max_row:
            return ""
        return f"A1:{cell_ref(self.max_row, self.max_column)}"

    def value_refs(self) -> list[str]:
        """The cells holding a value or formula, as "A1" references, in row order."""
        return [cell_ref(row, column) for row, column in sorted(self.values)]

    def outside(self, rows: int, columns: int) -> list[str]:
        """The cells holding a value or formula beyond A1 to (`rows`, `columns`), in row
        order: content where a return issued with that many rows and columns had none."""
        return [
            cell_ref(row, column)
            for row, column in sorted(self.values)
            if row > rows or column > columns
        ]

    def formula_texts(self) -> dict[str, str]:
        """Each formula cell's formula as openpyxl shows it ("=A3*2"), by cell reference.

        Followers of a shared formula hold no text in the file, so theirs is worked out from
        the first cell of the group the way openpyxl does (which imports openpyxl, hence only
        on request). A formula openpyxl cannot translate is given as written.
        """
        from openpyxl.formula.translate import Translator

        masters: dict[str, Translator] = {}
        texts: dict[str, str] = {}
        for formula in self.formulas:
            value = "=" + formula.text
            if formula.kind == "shared":
                master = masters.get(formula.shared_index)
                try:
                    if master is not None:
                        value = master.translate_formula(formula.ref)
                    elif formula.text:
                        masters[formula.shared_index] = Translator(value, formula.ref)
                except Exception:  # openpyxl's tokenizer raises several kinds on odd text
                    pass
            texts[formula.ref] = value
        return texts


# --- cell references ----------------------------------------------------------------------

_CELL_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_RANGE_RE = re.compile(r"\$?([A-Za-z]{1,3})?\$?(\d+)?(?::\$?([A-Za-z]{1,3})?\$?(\d+)?)?")


def column_letter(column: int) -> str:
    """1 -> "A", 28 -> "AB"."""
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_ref(row: int, column: int) -> str:
    """(3, 2) -> "B3"."""
    return f"{column_letter(column)}{row}"


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


# Every cell of a sheet is looked up here, so the usual spelling ("AB12") takes a dict.
_LETTERS = [chr(65 + i) for i in range(26)]
_COLUMNS = {
    name: n
    for n, name in enumerate(
        [
            *_LETTERS,
            *(a + b for a in _LETTERS for b in _LETTERS),
            *(a + b + c for a in _LETTERS for b in _LETTERS for c in _LETTERS),
        ][:16_384],
        start=1,
    )
}  # "A" -> 1 ... "XFD" -> 16,384, built without 16,384 calls of column_letter
_DIGITS = "0123456789"
# Cell references already read, across sheets and files: a return's refs repeat ("L12").
# Bounded, so a file full of distinct references cannot grow it without end.
_REFS: dict[str, tuple[int, int]] = {}
_REFS_KEPT = 200_000
_HUGE = 10**15  # any row number longer than this is only ever refused for its size


def _int(digits: str) -> int:
    """A row number from the file, without Python's refusal of a 5,000-digit string."""
    return int(digits) if len(digits) < 16 else _HUGE


def parse_cell_ref(ref: str) -> tuple[int, int]:
    """ "B3" or "$B$3" -> (3, 2), as openpyxl accepts them; ScanError for anything else."""
    letters = ref.rstrip(_DIGITS)
    column = _COLUMNS.get(letters)
    digits = ref[len(letters) :]
    if column is not None and digits.isascii() and digits.isdigit() and digits[0] != "0":
        return _int(digits), column
    match = _CELL_RE.fullmatch(ref)
    if match is None:
        raise ScanError(f"bad cell reference {ref[:20]!r}")
    row, column = _int(match.group(2)), _column_number(match.group(1))
    if row < 1 or column > MAX_COLUMN:
        raise ScanError(f"bad cell reference {ref[:20]!r}")
    return row, column


def _range_bounds(ref: str, max_row: int, max_column: int) -> tuple[int, int, int, int] | None:
    """(first row, first column, last row, last column) of "A1:C3", "B2", "A:C" or "2:4".

    A whole column or row reaches as far as the sheet does so far, which is what openpyxl
    iterates over. None for text that is not a range at all (openpyxl then fails to load).
    """
    match = _RANGE_RE.fullmatch(ref.strip())
    if match is None or not any(match.groups()):
        return None
    col1, row1, col2, row2 = match.groups()
    if ":" not in ref:
        col2, row2 = col1, row1
    first_row = _int(row1) if row1 else 1
    last_row = _int(row2) if row2 else max(max_row, first_row)
    first_col = _column_number(col1) if col1 else 1
    last_col = _column_number(col2) if col2 else max(max_column, first_col)
    rows = sorted((max(first_row, 1), max(last_row, 1)))
    cols = sorted((max(first_col, 1), max(last_col, 1)))
    return rows[0], cols[0], rows[1], cols[1]


def dimension_extent(ref: str) -> tuple[int, int]:
    """The last row and column a `<dimension ref>` claims, (0, 0) when it cannot be read."""
    bounds = _range_bounds(ref, 0, 0)
    return (bounds[2], bounds[3]) if bounds else (0, 0)


# --- counting markup at C speed -----------------------------------------------------------

# A start tag's local name (prefix dropped): "<x:row r=" -> b"row". "</", "<?" and "<!" are
# not start tags.
_START_TAG = re.compile(rb"<(?![/?!])(?:[^\s/>:]*:)?([^\s/>:]*)")
_TAG_LOOKAHEAD = 128  # a tag name is never longer than this, so a chunk's tail is this short
PartKind = Literal["sheet", "strings", "other"]
# Tags that the cell and string limits already account for; every other tag is "markup".
_PLAIN: dict[PartKind, tuple[bytes, ...]] = {
    "sheet": (b"row", b"c", b"v", b"f", b"is", b"t"),
    "strings": (b"si", b"t"),
    "other": (),
}


class MarkupCounter:
    """Counts the start tags in one XML part, a chunk at a time, without parsing it.

    Over-counts rather than under-counts: text that looks like a tag (in a comment or a
    CDATA section) counts, and a part in UTF-16 counts every tag as markup.
    """

    def __init__(self, kind: PartKind) -> None:
        self.kind = kind
        self.cells = 0  # <c> tags
        self.rows = 0  # <row> tags
        self.strings = 0  # <si> tags
        self.markup = 0  # tags not in _PLAIN[kind]
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        window = self._tail + chunk
        # Count up to the last "<" unless it may start a tag cut off by the chunk's end.
        cut = window.rfind(b"<")
        if cut < 0 or len(window) - cut > _TAG_LOOKAHEAD:
            cut = len(window)
        self._count(window[:cut])
        self._tail = window[cut:]

    def close(self) -> None:
        self._count(self._tail)
        self._tail = b""

    def _count(self, text: bytes) -> None:
        names = _START_TAG.findall(text)
        plain = 0
        for name in _PLAIN[self.kind]:
            found = names.count(name)
            plain += found
            if name == b"c":
                self.cells += found
            elif name == b"row":
                self.rows += found
            elif name == b"si":
                self.strings += found
        self.markup += len(names) - plain


# --- decoding -----------------------------------------------------------------------------

_DECLARED_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
# Encodings in which "<!DOCTYPE" can only be the ASCII bytes the gate scans for (and
# UTF-16, which it also scans for). expat reads these; anything else is refused.
_SAFE_CODECS = frozenset({"utf-8", "utf-16", "utf-16-le", "utf-16-be", "ascii", "latin-1"})
_SAFE_CODEC_PREFIXES = ("iso8859-", "cp125")
_HEAD_BYTES = 512  # enough to see a byte order mark and the XML declaration


def _codec_for(head: bytes) -> str:
    """The encoding to decode a part with, chosen the way an XML parser would."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00<"):
        return "utf-16-be"
    declared = _DECLARED_ENCODING.match(head)
    if declared is None:
        return "utf-8"
    try:
        name = codecs.lookup(declared.group(1).decode("ascii")).name
    except LookupError as exc:
        raise ScanError("unknown encoding") from exc
    if name not in _SAFE_CODECS and not name.startswith(_SAFE_CODEC_PREFIXES):
        raise ScanError(f"encoding {name} is not allowed")
    return name


class _PullScanner:
    """Feeds a part's bytes to the C pull parser as text and hands each finished element on."""

    def __init__(self) -> None:
        self._parser: XMLPullParser[Element] = XMLPullParser(events=("end",))
        self._decoder: codecs.IncrementalDecoder | None = None
        self._head = b""

    def feed(self, chunk: bytes) -> None:
        if self._decoder is None:
            self._head += chunk
            if len(self._head) < _HEAD_BYTES:
                return
            chunk, self._head = self._head, b""
            self._decoder = codecs.getincrementaldecoder(_codec_for(chunk))()
        self._feed_text(chunk, final=False)

    def close(self) -> None:
        if self._decoder is None:
            self._decoder = codecs.getincrementaldecoder(_codec_for(self._head))()
        self._feed_text(self._head, final=True)
        self._head = b""
        try:
            self._parser.close()
        except ParseError as exc:
            raise ScanError(str(exc)) from exc
        self._handle()

    def _feed_text(self, data: bytes, *, final: bool) -> None:
        assert self._decoder is not None
        try:
            # Text, not bytes: the parser then reads it as UTF-8 whatever the part declares.
            self._parser.feed(self._decoder.decode(data, final))
        except (UnicodeDecodeError, ParseError) as exc:
            raise ScanError(str(exc)) from exc
        self._handle()

    def _handle(self) -> None:
        tags = self.tags
        # The pull parser hands back a syntax error as one of its events.
        try:
            for event in self._parser.read_events():
                element = event[-1]
                assert isinstance(element, Element)  # "end" events carry the element
                if element.tag in tags:
                    self.element(element)
        except ParseError as exc:
            raise ScanError(str(exc)) from exc

    tags: frozenset[str] = frozenset()  # the elements `element` is given, when they end

    def element(self, element: Element) -> None:
        raise NotImplementedError


# --- worksheets ---------------------------------------------------------------------------


class SheetScanner(_PullScanner):
    """Reads one worksheet part and keeps the facts of a `SheetScan`, plus running totals
    for the gate's limits."""

    def __init__(self) -> None:
        super().__init__()
        # openpyxl creates a cell for every child of a row (elements) and for every cell a
        # merged range, a hyperlink or a comment covers (covered).
        self.elements = 0
        self.covered = 0
        self.cells = 0
        self.rows = 0  # <row> elements
        self.merges = 0
        self.max_row = 0
        self.max_column = 0
        self.dimension = ""
        self.protected = False
        self.formulas: list[Formula] = []
        self.values: set[tuple[int, int]] = set()
        self.typed: dict[tuple[int, int], tuple[str, str, str | None]] = {}
        self.strings: dict[tuple[int, int], str] = {}
        self._row = 0  # openpyxl's row counter, for rows and cells without a reference

    tags = frozenset({_ROW, _MERGE, _HYPERLINK, _DIMENSION, _PROTECTION})

    def element(self, element: Element) -> None:
        tag = element.tag
        if tag == _ROW:
            self._read_row(element)
            element.clear()  # the row is done with: keep memory flat
        else:
            self._other(tag.rsplit("}", 1)[-1], element.attrib)

    def _other(self, tag: str, attributes: Mapping[str, str]) -> None:
        """A merged range, hyperlink, dimension or protection element (by local name)."""
        if tag == "mergeCell":
            self.merges += 1
            self._cover(attributes.get("ref", ""))
        elif tag == "hyperlink":
            self._cover(attributes.get("ref", ""))
        elif tag == "dimension":
            self.dimension = attributes.get("ref", "")
        elif tag == "sheetProtection":
            self.protected = attributes.get("sheet", "").strip().lower() in ("1", "true")

    @property
    def created(self) -> int:
        """Cells openpyxl would create for this sheet."""
        return self.elements + self.covered

    def facts(self, name: str, part: str, state: str) -> SheetScan:
        return SheetScan(
            name=name,
            part=part,
            state=state,
            cells=self.cells,
            max_row=self.max_row,
            max_column=self.max_column,
            dimension=self.dimension,
            protected=self.protected,
            formulas=tuple(self.formulas),
            values=frozenset(self.values),
            typed=self.typed,
            strings=self.strings,
        )

    def cover(self, ref: str) -> None:
        """A range a reader fills with cells from outside the sheet part (a comment)."""
        self._cover(ref)

    def _read_row(self, row: Element) -> None:
        self.rows += 1
        number = row.get("r")
        self._row = _row_number(number) if number is not None else self._row + 1
        row_number = last_row = self._row
        column = last_column = 0
        values, typed, strings, refs = self.values, self.typed, self.strings, _REFS
        for cell in row:  # openpyxl reads every child of a row as a cell, whatever its tag
            ref = cell.get("r")
            if ref:
                at = refs.get(ref)
                if at is None:
                    at = parse_cell_ref(ref)
                    if len(refs) < _REFS_KEPT:
                        refs[ref] = at
                row_number, column = at
                if row_number > last_row:
                    last_row = row_number
            else:
                row_number, column = self._row, column + 1
                at = (row_number, column)
            if column > last_column:
                last_column = column
            formula = cell.find(_F)
            kind = cell.get("t")
            if formula is not None:
                self.formulas.append(_formula(cell_ref(row_number, column), formula))
                typed.pop(at, None)
                strings.pop(at, None)
            elif kind == "inlineStr":
                inline = cell.find(_IS)
                if inline is None:
                    continue
                typed[at] = (kind, cell.get("s", ""), _inline_text(inline))
                strings.pop(at, None)
            else:
                text = cell.findtext(_V)
                if not text:
                    continue
                if kind == "s":
                    strings[at] = text
                    if typed:
                        typed.pop(at, None)
                else:
                    written = "n" if kind is None else kind  # openpyxl: element.get("t", "n")
                    typed[at] = (written, cell.get("s", ""), text)
                    strings.pop(at, None)
            values.add(at)
        count = len(row)
        if count:
            self.elements += count
            self._extend(last_row, last_column)
        self.cells = len(values)

    def _cover(self, ref: str) -> None:
        bounds = _range_bounds(ref, self.max_row, self.max_column)
        if bounds is None:
            return
        first_row, first_col, last_row, last_col = bounds
        self.covered += (last_row - first_row + 1) * (last_col - first_col + 1)
        self._extend(last_row, last_col)

    def _extend(self, row: int, column: int) -> None:
        if row > self.max_row:
            self.max_row = row
        if column > self.max_column:
            self.max_column = column


def _row_number(text: str) -> int:
    """A row's `r`, read as openpyxl reads it ("3", or "3.0")."""
    try:
        return _int(text.strip()) if text.strip().isdigit() else int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        number = 0.5
    if not number.is_integer() or number < 1:
        raise ScanError(f"bad row number {text[:20]!r}")
    return int(number)


def _inline_text(inline: Element) -> str:
    """An inline string's text as openpyxl reads it (Text.content): the last plain <t>, then
    the last <t> of each run, elements matched by local name; phonetic runs left out."""
    plain: str | None = None
    runs: list[str] = []
    for child in inline:
        name = child.tag.rsplit("}", 1)[-1]
        if name == "t":
            plain = child.text
        elif name == "r":
            run: str | None = None
            for part in child:
                if part.tag.rsplit("}", 1)[-1] == "t":
                    run = part.text
            if run is not None:
                runs.append(run)
    return "".join([plain, *runs] if plain is not None else runs)


def _formula(ref: str, element: Element) -> Formula:
    return Formula(
        ref=ref,
        text=element.text or "",
        kind=_FORMULA_KINDS.get(element.get("t", "normal"), "normal"),
        range=element.get("ref", ""),
        shared_index=element.get("si", ""),
        inputs=(element.get("r1", ""), element.get("r2", "")),
    )


# --- comments -----------------------------------------------------------------------------


class CommentScanner(_PullScanner):
    """Reads a comments part for the cells its comments sit in: openpyxl creates each one
    (a whole range, for a comment on a range), so they count towards a sheet's cells."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    tags = frozenset({_COMMENT})

    def element(self, element: Element) -> None:
        if element.tag == _COMMENT:
            self.refs.append(element.get("ref", ""))
            element.clear()
