"""Read a coordinator's plan table file, once, into plain data (`plan_table.SourceFile`).

- **.xlsx, .xlsm, .xls, .ods** pass the safe-open gate first (`safe_open.open_workbook_safely`
  with the import-only `allow_*` keywords: size, zip-bomb and XML-bomb limits, encrypted files
  refused), then python-calamine reads the checked bytes. Calamine reads cell values only: it
  never runs anything, so a macro-enabled workbook is safe to read and its macros are ignored.
  Excel 97-2003 (.xls) workbooks are read too: calamine parses them in memory-safe Rust, the
  gate refuses encrypted ones and caps the size, and nothing in them runs.
- Cells keep their type: text, whole numbers as `int` (Excel stores every number as a float,
  so an ID typed 2 reads "2"), other numbers as `float`, TRUE/FALSE as `bool`, dates as `date`,
  dates with a time as `datetime`, times as `time`; an empty cell is None. A duration (rare)
  becomes a time of day when under 24 hours, else its text.
- Merged ranges come from calamine for .xlsx and .xls, and from content.xml for .ods, which
  calamine does not report (content.xml also says which .ods cells are TRUE/FALSE, which
  calamine gives as 1.0 and 0.0).
- **.csv, .tsv, .txt**: the encoding is UTF-8 (with or without a byte order mark), UTF-16 with
  a byte order mark (Excel's "Unicode Text"), else Windows-1252 (Excel's "CSV (Comma
  delimited)" on a UK or European PC). These cover what Excel writes, so a detection library
  such as charset-normalizer would only add guesses. The delimiter is `,`, `;`, tab or `|`:
  an Excel "sep=;" first line says which; otherwise, among those the first rows parse with
  strictly (as Excel quotes them), the one that splits most of them into the same number of
  columns, with csv.Sniffer's choice winning a tie. A CSV is one
  sheet named after the file, as Excel names it.

Every problem with the file raises TableFileError, one line that names the file and says what
to do. Problems with the plan inside it are `plan_table`'s.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from ipt_excel.core.plan_table import (
    AgencyRegistry,
    CellValue,
    MergedRange,
    SourceCell,
    SourceFile,
    SourceSheet,
    parse_agency_registry,
)
from ipt_excel.errors import TableFileError
from ipt_excel.excel.safe_open import (
    Limits,
    SafeWorkbook,
    UnsafeWorkbookError,
    open_workbook_safely,
    parse_part,
)

__all__ = [
    "DELIMITERS",
    "MAX_CELLS",
    "TABLE_SUFFIXES",
    "TableFileError",
    "decode_text",
    "detect_delimiter",
    "parse_csv",
    "read_agency_registry",
    "read_table",
]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
TABLE_SUFFIXES = WORKBOOK_SUFFIXES + TEXT_SUFFIXES
DELIMITERS = (",", ";", "\t", "|")
# More cells than any plan has; a sheet formatted to its last row would otherwise be read whole.
MAX_CELLS = 2_000_000

_ZIP_SIGNATURE = b"PK"
_CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_SAVE_AS_XLSX = "Open it in Excel, save it as an Excel Workbook (.xlsx), then try again."
_SAVE_AS_CSV_UTF8 = (
    "Open it in Excel, choose File > Save As and pick 'CSV UTF-8 (Comma delimited)', then try "
    "again."
)
_KINDS = (
    "an Excel workbook (.xlsx, .xlsm or .xls), an OpenDocument spreadsheet (.ods) or a CSV file "
    "(.csv or .tsv)"
)


def _error(path: Path, text: str) -> TableFileError:
    return TableFileError(path, f"{path.name or path} {text}")


# --------------------------------------------------------------------------------------------
# The one entry point


def read_table(path: Path, *, limits: Limits | None = None) -> SourceFile:
    """Read a plan table file into sheets of typed cells (see the module docstring)."""
    path, limits = Path(path), limits or Limits()
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        kind = f"a {suffix} file" if suffix else "a file with no extension"
        raise _error(path, f"is {kind}. Import a plan from {_KINDS}.")
    if suffix in TEXT_SUFFIXES:
        return parse_csv(_read_text_file(path, limits), path.name, stem=path.stem, path=path)
    safe = _open_workbook(path, limits)
    return _read_workbook(path, safe)


def read_agency_registry(path: Path, *, limits: Limits | None = None) -> AgencyRegistry:
    """Read an agency list (`--agencies FILE`): a table with a name, short name and e-mail
    column. Problems with its rows are in `AgencyRegistry.problems`."""
    return parse_agency_registry(read_table(path, limits=limits))


# --------------------------------------------------------------------------------------------
# Workbooks


def _open_workbook(path: Path, limits: Limits) -> SafeWorkbook:
    try:
        return open_workbook_safely(path, limits, allow_macros=True, allow_xls=True, allow_ods=True)
    except UnsafeWorkbookError as exc:
        raise _error(path, _import_advice(exc)) from exc


def _import_advice(exc: UnsafeWorkbookError) -> str:
    """The gate's reasons, told to a coordinator importing their own plan (not a return)."""
    reason = exc.reason
    if reason == "missing":
        where = f" in {exc.path.parent}" if str(exc.path.parent) not in ("", ".") else ""
        return f"could not be found{where}. Check the file name and folder, then try again."
    if reason == "not-a-file":
        return "is not a file. Give the path of the plan table itself."
    if reason == "unreadable":
        return (
            "could not be read. Close it if it is open in another program, check you have "
            "permission to open it, then try again."
        )
    if reason == "empty":
        return "is empty (0 bytes). Check it is the plan table, saved, then try again."
    if reason == "too-large":
        return (
            "is too large to be a plan table. Copy the plan's sheet into a new workbook, "
            "save it, then try again."
        )
    if reason == "encrypted":
        return (
            "is protected with a password or a sensitivity label, so it cannot be read. Save "
            "a copy without the protection, then try again."
        )
    if reason == "not-zip" and "CSV or text" in exc.message:
        return "is a CSV or text file with a workbook's name. Rename it to .csv, then try again."
    if reason in ("not-zip", "not-workbook"):
        return f"is not a spreadsheet. Import a plan from {_KINDS}."
    if reason in ("strict-ooxml",):
        return f"is saved as a Strict Open XML Spreadsheet, which cannot be read. {_SAVE_AS_XLSX}"
    if reason in ("zip-bomb", "xml-bomb"):
        return (
            "is not a normal spreadsheet: it holds content that is not allowed, or expands "
            f"to far more than a plan. {_SAVE_AS_XLSX}"
        )
    return f"is damaged and cannot be opened. {_SAVE_AS_XLSX}"  # corrupt-zip and the rest


def _read_workbook(path: Path, safe: SafeWorkbook) -> SourceFile:
    from python_calamine import (
        CalamineError,
        CalamineWorkbook,
        PasswordError,
        SheetTypeEnum,
        SheetVisibleEnum,
    )

    ods = _OdsExtras(safe) if safe.format == "ods" else None
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(safe.data))
        sheets = []
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # charts, dialogs and macro sheets hold no table
            sheet = book.get_sheet_by_name(meta.name)
            visible = meta.visible == SheetVisibleEnum.Visible
            end = sheet.end or (0, 0)  # the last cell with data, 0-based; grids start at A1
            if (end[0] + 1) * (end[1] + 1) > MAX_CELLS:
                raise _error(
                    path,
                    f"has a sheet ('{meta.name}') with more than {MAX_CELLS:,} cells. Copy the "
                    "plan's table into a new workbook, save it, then try again.",
                )
            grid = sheet.to_python(skip_empty_area=False)
            merged = sheet.merged_cell_ranges
            sheets.append(_sheet(meta.name, grid, merged, visible, ods))
    except PasswordError as exc:
        raise _error(
            path,
            "is protected with a password, so it cannot be read. Save a copy without the "
            "password, then try again.",
        ) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise _error(path, f"could not be read: it may be damaged. {_SAVE_AS_XLSX}") from exc
    if not sheets:
        raise _error(path, "has no worksheets. Check it is the plan table, then try again.")
    return SourceFile(path.name, safe.format, tuple(sheets))


def _sheet(
    name: str,
    grid: list[list[Any]],
    merged: list[tuple[tuple[int, int], tuple[int, int]]] | None,
    visible: bool,
    ods: _OdsExtras | None,
) -> SourceSheet:
    booleans = ods.booleans.get(name, set()) if ods else set()
    rows = tuple(
        tuple(
            SourceCell(name, r, c, _cell_value(v, (r, c) in booleans))
            for c, v in enumerate(row, start=1)
        )
        for r, row in enumerate(grid, start=1)
    )
    if ods is not None:
        ranges = ods.merged.get(name, ())
    else:
        ranges = tuple(
            MergedRange(r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in merged or ()
        )
    return SourceSheet(name, rows, ranges, visible)


def _cell_value(value: Any, is_bool: bool = False) -> CellValue:
    if value is None or value == "":
        return None
    if is_bool and isinstance(value, int | float):
        return bool(value)
    if isinstance(value, bool | str | datetime | date | time):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, timedelta):
        if timedelta(0) <= value < timedelta(days=1):
            return (datetime.min + value).time()
        return str(value)
    return str(value)


class _OdsExtras:
    """What calamine does not report for an .ods: merged ranges and TRUE/FALSE cells."""

    def __init__(self, safe: SafeWorkbook) -> None:
        self.merged: dict[str, tuple[MergedRange, ...]] = {}
        self.booleans: dict[str, set[tuple[int, int]]] = {}
        root = parse_part(safe, "content.xml")
        if root is None:
            return
        for table in root.iter(f"{{{_TABLE}}}table"):
            name = table.get(f"{{{_TABLE}}}name", "")
            merged, booleans = _ods_table(table)
            self.merged[name] = tuple(merged)
            self.booleans[name] = booleans


_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_CELLS = (f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell")
# A row or cell may be "repeated" a million times (a formatted empty row to the sheet's end);
# positions are counted, never looped over, and spans are only taken this far down.
_ODS_MAX_SPAN_ROWS = 100_000


def _ods_table(table: Element) -> tuple[list[MergedRange], set[tuple[int, int]]]:
    merged: list[MergedRange] = []
    booleans: set[tuple[int, int]] = set()
    row = 1
    for row_el in table.iter(f"{{{_TABLE}}}table-row"):
        repeat = int(row_el.get(f"{{{_TABLE}}}number-rows-repeated", "1"))
        if row <= _ODS_MAX_SPAN_ROWS:
            col = 1
            for cell in row_el:
                if cell.tag not in _ODS_CELLS:
                    continue
                col_repeat = int(cell.get(f"{{{_TABLE}}}number-columns-repeated", "1"))
                rows_spanned = int(cell.get(f"{{{_TABLE}}}number-rows-spanned", "1"))
                cols_spanned = int(cell.get(f"{{{_TABLE}}}number-columns-spanned", "1"))
                if cell.tag == _ODS_CELLS[0] and (rows_spanned > 1 or cols_spanned > 1):
                    merged.append(
                        MergedRange(row, col, row + rows_spanned - 1, col + cols_spanned - 1)
                    )
                if cell.get(f"{{{_OFFICE}}}value-type") == "boolean" and col_repeat < 1000:
                    booleans.update(
                        (r, c)
                        for r in range(row, row + min(repeat, 1000))
                        for c in range(col, col + col_repeat)
                    )
                col += col_repeat
        row += repeat
    return merged, booleans


# --------------------------------------------------------------------------------------------
# CSV and other text tables


def _read_text_file(path: Path, limits: Limits) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except (FileNotFoundError, NotADirectoryError) as exc:
        where = f" in {path.parent}" if str(path.parent) not in ("", ".") else ""
        raise _error(
            path, f"could not be found{where}. Check the file name and folder, then try again."
        ) from exc
    except IsADirectoryError as exc:
        raise _error(path, "is a folder, not a file. Give the path of the plan table.") from exc
    except OSError as exc:
        raise _error(
            path,
            "could not be read. Close it if it is open in another program, check you have "
            "permission to open it, then try again.",
        ) from exc
    if len(data) > limits.max_file_bytes:
        raise _error(path, "is too large to be a plan table. Check it is the right file.")
    if data.startswith((_ZIP_SIGNATURE, _CFB_SIGNATURE)):
        raise _error(
            path,
            "is a workbook with a CSV file's name. Rename it to .xlsx (or .xls), then try again.",
        )
    return data


def decode_text(data: bytes, name: str = "", *, path: Path | None = None) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in (see the module docstring)."""
    where = path or Path(name or "file")
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise _error(where, f"is saved in UTF-32, which cannot be read. {_SAVE_AS_CSV_UTF8}")
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16"), "utf-16"
    except UnicodeDecodeError as exc:
        raise _error(where, f"is not in the encoding it says it is. {_SAVE_AS_CSV_UTF8}") from exc
    if b"\x00" in data[:4096]:
        raise _error(where, f"is not a text file. Import a plan from {_KINDS}.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise _error(
            where, f"is not in a text encoding that can be read. {_SAVE_AS_CSV_UTF8}"
        ) from exc


def _sample_rows(text: str, delimiter: str, *, strict: bool = False) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    return list(itertools.islice(reader, 50))


def _parses_strictly(text: str, delimiter: str) -> bool:
    """Whether the first rows are well quoted for this delimiter, as Excel always writes them;
    a wrong delimiter usually leaves a closing quote followed by something else."""
    try:
        _sample_rows(text, delimiter, strict=True)
    except csv.Error:
        return False
    return True


def _consistency(text: str, delimiter: str) -> tuple[int, int, int, int]:
    """How well a delimiter splits the first rows: how many rows have the most common number
    of columns and no quote mark left in a cell, that number, and how many rows have it at
    all; (0, 0, 0) when it makes one column. A wrong delimiter leaves the quote marks that
    wrapped cells in the cells (and may break rows at line ends inside them), so rows are
    counted, clean ones first, rather than taken as a share."""
    rows = [r for r in _sample_rows(text, delimiter) if any(f.strip() for f in r)]
    if not rows:
        return 0, 0, 0, 0
    width, n = max(Counter(map(len, rows)).items(), key=lambda item: (item[1], item[0]))
    if width < 2:
        return 0, 0, 0, 0
    clean = sum(1 for r in rows if len(r) == width and not any('"' in f for f in r))
    # A wrong delimiter that happens to split every row alike ("a;;|b;;" at ';') leaves
    # empty cells between its repeats; the right one rarely makes more of them.
    filled = sum(1 for r in rows for f in r if f) * 4 // max(sum(len(r) for r in rows), 1)
    return clean, filled, width, n


def detect_delimiter(text: str, *, prefer: str = ",") -> str:
    """The delimiter of a CSV text: `,`, `;`, tab or `|` (see the module docstring)."""
    try:
        sniffed = csv.Sniffer().sniff(text[:65536], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = ""
    scores = {d: _consistency(text, d) for d in DELIMITERS}
    best = max(
        DELIMITERS,
        key=lambda d: (
            scores[d][2] > 0 and _parses_strictly(text, d),
            scores[d],
            d == sniffed,
            d == prefer,
            -DELIMITERS.index(d),
        ),
    )
    return best if scores[best][2] else prefer


def _sep_line(text: str) -> tuple[str, str]:
    """Excel's optional first line "sep=;" : the delimiter it gives and the rest of the text."""
    first, newline, rest = text.partition("\n")
    line = first.rstrip("\r")
    if line.lower().startswith("sep=") and len(line) == 5:
        return line[4], rest
    return "", text


def parse_csv(
    data: bytes, name: str, *, stem: str | None = None, path: Path | None = None
) -> SourceFile:
    """A CSV (or TSV) file's bytes as a one-sheet SourceFile."""
    where = path or Path(name)
    text, encoding = decode_text(data, name, path=where)
    delimiter, body = _sep_line(text)
    if not delimiter:
        prefer = "\t" if name.lower().endswith(".tsv") else ","
        delimiter = detect_delimiter(body, prefer=prefer)
    if not body.strip():
        raise _error(where, "has no rows. Check it is the plan table, saved, then try again.")
    try:
        records = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _error(
            where,
            "is not a table that can be read (a quote mark may be missing). Open it in Excel, "
            "save it as CSV UTF-8, then try again.",
        ) from exc
    sheet_name = stem if stem is not None else Path(name).stem
    width = max((len(r) for r in records), default=0)
    if len(records) * max(width, 1) > MAX_CELLS:
        raise _error(where, f"has more than {MAX_CELLS:,} cells. Check it is the plan table.")
    rows = tuple(
        tuple(
            SourceCell(sheet_name, r, c, _csv_value(record[c - 1] if c <= len(record) else ""))
            for c in range(1, width + 1)
        )
        for r, record in enumerate(records, start=1)
    )
    return SourceFile(name, "csv", (SourceSheet(sheet_name, rows),), encoding, delimiter)


def _csv_value(field: str) -> str | None:
    # A cell's line breaks as Excel keeps them in a cell: "\n".
    return field.replace("\r\n", "\n").replace("\r", "\n") if field else None
