"""The gate every agency-supplied workbook passes before any Excel library parses it.

Agencies e-mail their returns back, so anything can arrive: an old .xls, a CSV, a password-
protected or macro-enabled workbook, a half-downloaded file, or something hostile (a zip bomb,
an XML "billion laughs"). `open_workbook_safely` reads the file once, checks it is a plain .xlsx
workbook that is safe to hand to openpyxl or calamine, and otherwise raises
`UnsafeWorkbookError` with one plain-English line that names the file and says what to do.

Every check runs on the bytes read once from disk, so later readers use `SafeWorkbook.data`
and never see a different file from the one that was checked.

The gate bounds the work a file would cause, not only its bytes: while it expands each part it
counts cells, rows, columns, formulas, text and other markup (see `Limits`), and refuses the
file as soon as one passes what a return could hold, long before openpyxl would have spent
seconds and gigabytes on it. What it learns on the way about each sheet is kept in
`SafeWorkbook.sheets` (see `sheet_scan.SheetScan`), so a caller can ask about formulas or
stray content without loading the workbook.

Importing a coordinator's own plan table is the one other use, and it may let through three
kinds of file a return never may (keywords of `open_workbook_safely`, all off by default):
a macro-enabled workbook (.xlsm: calamine reads cell values and never runs or even reads the
VBA), an Excel 97-2003 workbook (.xls) that is not encrypted, and an OpenDocument spreadsheet
(.ods) after the same zip and XML checks as an .xlsx.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

from ipt_excel.errors import ScanError, UnsafeWorkbookError
from ipt_excel.excel.sheet_scan import (
    CommentScanner,
    MarkupCounter,
    PartKind,
    SheetScan,
    SheetScanner,
    column_letter,
    dimension_extent,
)

# Short machine codes for why a file was refused; the CLI maps them to exit codes.
Reason = Literal[
    "missing",  # no such file
    "not-a-file",  # a folder or a device, not a regular file
    "unreadable",  # exists but the operating system would not let us read it
    "empty",  # 0 bytes
    "too-large",  # bigger on disk than Limits.max_file_bytes
    "xls",  # Excel 97-2003 binary workbook
    "encrypted",  # password or sensitivity-label encryption
    "not-zip",  # not a zip at all: CSV, PDF, HTML, random bytes
    "corrupt-zip",  # truncated or damaged zip, or damaged XML in a key part
    "not-workbook",  # a zip, but not an .xlsx (Word, ODS, .xlsb, plain zip)
    "strict-ooxml",  # saved as "Strict Open XML Spreadsheet", which openpyxl cannot read
    "macro",  # macro-enabled (.xlsm) or contains VBA / Excel 4 macro sheets
    "zip-bomb",  # too many parts, expands too much, or lies about its sizes
    "xml-bomb",  # a DOCTYPE or entity declaration in an XML part
    "too-many-cells",  # more cells, rows, columns, formulas or merged cells than a return has
    "too-much-text",  # more text, or bigger sheets, than a return has
    "too-complex",  # more sheets, styles, drawings or other markup than a return has
]
REASONS: tuple[str, ...] = get_args(Reason)
# What a workbook that passed is; only "xlsx" unless an `allow_*` keyword let another through.
Format = Literal["xlsx", "xlsm", "xls", "ods"]

_MB = 1024 * 1024
_CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_CONTENT_TYPES = "[Content_Types].xml"
_DEFAULT_WORKBOOK_PART = "xl/workbook.xml"
_STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_WORKBOOK_MAIN_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        "application/vnd.ms-excel.sheet.macroenabled.main+xml",
        "application/vnd.ms-excel.template.macroenabled.main+xml",
    }
)
_XLSB_MAIN_TYPE = "application/vnd.ms-excel.sheet.binary.macroenabled.main"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ODS_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
# Declarations that make entity expansion possible, in every encoding an XML parser autodetects.
_DTD_MARKERS: tuple[bytes, ...] = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
_DTD_OVERLAP = max(len(m) for m in _DTD_MARKERS) - 1
_XML_SUFFIXES = (".xml", ".rels", ".vml")  # always scanned, whatever their type
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHARED_STRINGS_TYPE = "sharedstrings+xml"  # in a lower-cased content type
_DEFAULT_SHARED_STRINGS = "xl/sharedstrings.xml"  # where readers look without being told

# What zipfile raises on a damaged directory (not all of it is documented).
_ZIP_OPEN_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    ValueError,
    OSError,
    EOFError,
    NotImplementedError,
    struct.error,
)

_SAVE_AS_XLSX = "Open it in Excel and save it as an Excel Workbook (.xlsx), then send it again."
_SEND_RETURN = "Send back the return workbook you were sent, saved as an Excel Workbook (.xlsx)."
_SEND_AGAIN = "Send the return workbook again."
_CHECK_IT = "Check it is the return workbook you were sent, "
_REMOVE_ROWS = (
    _CHECK_IT + "remove any sheets, rows or columns that were added to it, then send it again."
)
_REMOVE_TEXT = _CHECK_IT + "remove any sheets or text that were added to it, then send it again."
_REMOVE_EXTRAS = (
    _CHECK_IT + "remove any sheets, pictures or charts that were added to it, then send it again."
)


@dataclass(frozen=True)
class Limits:
    """How much a workbook may hold before it is treated as a zip bomb.

    The defaults are far above any real return workbook (tens of kilobytes) and far below
    what would hurt the coordinator's machine.
    """

    max_file_bytes: int = 50 * _MB  # size on disk
    max_members: int = 10_000  # parts in the zip
    max_total_uncompressed: int = 200 * _MB  # all parts, expanded (declared and actually read)
    max_ratio: float = 100.0  # expanded / compressed, for any one part ...
    ratio_min_bytes: int = 1 * _MB  # ... that expands to more than this
    chunk_bytes: int = 256 * 1024  # how much to expand at a time while counting

    # The work a reader would do. A real return is one sheet of at most a few thousand rows
    # by about 20 columns, tens of kilobytes in all. openpyxl spends about 12 microseconds
    # and 550 bytes on each cell it reads, and as much or more on each piece of text, style
    # or merged range (measured with benchmarks/hostile_files.py), so each limit below is
    # far above a real return, and `max_work` keeps a file that nears several of them at
    # once to about 3 s and 300 MB for the whole of `ipt check`.
    max_sheets: int = 200  # sheets the workbook lists
    # Cells: every <c>, and every cell a merged range, hyperlink or comment covers (openpyxl
    # creates each one).
    max_sheet_cells: int = 80_000  # in any one sheet
    max_cells: int = 100_000  # in the whole workbook
    max_rows: int = 50_000  # the last row any sheet reaches, and <row> elements in a sheet
    max_columns: int = 1_000  # the last column any sheet reaches ("ALL")
    # Rows x columns of a sheet's used range (and of its <dimension>): readers that go
    # through a sheet row by row create a cell for every position in it.
    max_sheet_area: int = 300_000
    max_formulas: int = 10_000  # cells with a formula, whole workbook
    max_merged_ranges: int = 1_000  # whole workbook; openpyxl is slow on each
    max_shared_strings: int = 50_000  # entries in the shared-strings table
    max_shared_string_bytes: int = 10 * _MB  # the shared-strings part, expanded
    max_sheet_bytes: int = 20 * _MB  # all worksheet parts, expanded (inline text included)
    # XML elements other than rows, cells and plain text: styles, drawings, charts,
    # comments, rich-text runs, column settings and so on, whole workbook.
    max_markup: int = 50_000
    # The other XML parts together, expanded: openpyxl holds their text (a title, a
    # comment, a defined name) in memory.
    max_other_xml_bytes: int = 10 * _MB
    # All of it together, in cells' worth of openpyxl reading time (see _Totals.work).
    max_work: int = 100_000


@dataclass(frozen=True)
class SafeWorkbook:
    """A workbook that passed the gate, with the bytes that were checked."""

    path: Path
    data: bytes = field(repr=False)
    sha256: str
    sheet_names: list[str]  # in workbook order, hidden ones included
    sheet_states: dict[str, str]  # name -> "visible" / "hidden" / "veryHidden"
    # What the gate learnt about each sheet while checking it, by name in workbook order
    # (every name in sheet_names; a chart sheet, or a sheet whose part is missing, is empty).
    sheets: dict[str, SheetScan] = field(default_factory=dict)
    shared_strings: int = 0  # entries in the shared-strings table
    format: Format = "xlsx"
    # The workbook counts dates from 1904 (Excel for Mac's old default), as openpyxl reads
    # xl/workbook.xml's <workbookPr date1904>.
    date1904: bool = False

    def sheet(self, name: str) -> SheetScan | None:
        """The facts about sheet `name`, matched case-insensitively as Excel matches it."""
        if name in self.sheets:
            return self.sheets[name]
        folded = name.casefold()
        return next((s for n, s in self.sheets.items() if n.casefold() == folded), None)

    def exceeds(
        self,
        sheet: str,
        issued_rows: int,
        issued_columns: int,
        *,
        spare_rows: int = 500,
        spare_columns: int = 26,
    ) -> str | None:
        """Whether `sheet` is far larger than it was when issued, as one line to show the
        sender, or None when it is not (or there is no such sheet).

        `issued_rows` and `issued_columns` are the last row and column of the sheet as it
        was sent (title and header rows included). "Far larger" means its used range (any
        cell a reader would create, formatted or filled in) reaches more than `spare_rows`
        rows or `spare_columns` columns beyond that: a few added rows are left for the
        row-by-row checks to report, a sheet grown by thousands is refused before it is
        loaded.
        """
        scan = self.sheet(sheet)
        if scan is None:
            return None
        too_deep = scan.max_row > issued_rows + spare_rows
        too_wide = scan.max_column > issued_columns + spare_columns
        if not (too_deep or too_wide):
            return None
        return (
            f"{_file_name(self.path)} is much larger than the return you were sent: sheet "
            f"{_quote(scan.name)} reaches row {scan.max_row:,} and column "
            f"{column_letter(scan.max_column)}, but it was sent with {issued_rows:,} rows "
            f"and {issued_columns:,} columns. {_CHECK_IT}delete any rows or columns that "
            "were added to it, then send it again."
        )


def open_workbook_safely(
    path: Path,
    limits: Limits = Limits(),
    *,
    allow_macros: bool = False,
    allow_xls: bool = False,
    allow_ods: bool = False,
) -> SafeWorkbook:
    """Check that `path` is a plain, unencrypted, macro-free .xlsx that is safe to parse.

    Raises UnsafeWorkbookError (never anything else on purpose) when it is not. For importing
    a plan table only (never a return): `allow_macros` lets a macro-enabled workbook through;
    `allow_xls` an unencrypted Excel 97-2003 workbook (its sheet names are left to calamine,
    so `sheet_names` is empty); `allow_ods` an OpenDocument spreadsheet, with its sheet names
    read from content.xml. Every size, zip and XML check still applies.
    """
    path = Path(path)
    data = _read_file(path, limits)
    try:
        return _check_bytes(path, data, limits, allow_macros, allow_xls, allow_ods)
    except UnsafeWorkbookError as exc:
        exc.data = data  # so the caller keeps exactly what was received, without reading again
        raise


def check_workbook_bytes(
    data: bytes,
    path: Path,
    limits: Limits = Limits(),
    *,
    label: str | None = None,
) -> SafeWorkbook:
    """The gate for bytes already read (a file read once, an e-mail's attachment): every
    check of `open_workbook_safely` but the read, the size limit included.

    `path` is the file's own name (a file given as is, or an attachment's file name); the
    messages start with `label` instead of its name when given, so an attachment's message
    says where it came from. Raises UnsafeWorkbookError, with `data` set, like the gate.
    """
    path = Path(path)
    try:
        _check_size(path, data, limits)
        return _check_bytes(path, data, limits)
    except UnsafeWorkbookError as exc:
        # Bytes over the size limit may be only the start of the file: not kept as received.
        exc.data = data if exc.reason != "too-large" else b""
        if label is not None:
            exc.message = label + exc.message.removeprefix(_file_name(path))
            exc.args = (exc.message,)
        raise


def check_bytes(data: bytes, file_name: str, limits: Limits = Limits()) -> SafeWorkbook:
    """The gate's checks on bytes already in hand (a return as a test or the demo makes
    it), named `file_name` in messages. Raises UnsafeWorkbookError as open_workbook_safely."""
    return check_workbook_bytes(data, Path(file_name), limits)


def _check_bytes(
    path: Path,
    data: bytes,
    limits: Limits,
    allow_macros: bool = False,
    allow_xls: bool = False,
    allow_ods: bool = False,
) -> SafeWorkbook:
    if data.startswith(_CFB_SIGNATURE):
        error = _classify_cfb(path, data)
        if allow_xls and error.reason == "xls":
            return _passed(path, data, [], "xls")
        raise error
    if not data.startswith(b"PK"):
        raise _refuse(path, "not-zip", f"is not an Excel workbook{_sniff(data)}. {_SEND_RETURN}")
    # zipfile builds an object per directory entry before we can count them, so first count
    # the entry signatures (an upper bound on the entries) in the bytes.
    if (entries := data.count(b"PK\x01\x02")) > limits.max_members:
        raise _too_many_parts(path, entries, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_OPEN_ERRORS as exc:
        raise _corrupt(path) from exc
    with archive:
        gate = _ZipGate(path, data, archive, limits, allow_macros=allow_macros)
        if allow_ods and gate.is_ods():
            names = gate.check_ods()
            return _passed(path, data, names, "ods")
        sheets = gate.check()
    return SafeWorkbook(
        path=path,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        sheet_names=[sheet.name for sheet in sheets],
        sheet_states={sheet.name: sheet.state for sheet in sheets},
        sheets={sheet.name: sheet for sheet in sheets},
        shared_strings=gate.budget.strings,
        format="xlsm" if gate.has_macros else "xlsx",
        date1904=gate.date1904,
    )


def _passed(path: Path, data: bytes, names: list[str], kind: Format) -> SafeWorkbook:
    """An .xls or .ods let through for import: checked, but not scanned sheet by sheet."""
    return SafeWorkbook(
        path=path,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        sheet_names=names,
        sheet_states=dict.fromkeys(names, "visible"),
        format=kind,
    )


def parse_part(
    workbook: SafeWorkbook,
    part_name: str,
    limits: Limits = Limits(),
) -> Element | None:
    """Parse one XML part of a checked workbook with DTDs and entities forbidden.

    Returns None when the workbook has no such part.
    """
    with zipfile.ZipFile(io.BytesIO(workbook.data)) as archive:
        gate = _ZipGate(workbook.path, workbook.data, archive, limits)
        info = gate.find(part_name.lstrip("/"))
        if info is None:
            return None
        # The workbook passed the gate already: only the DTD check is repeated here.
        content = gate.read(info, keep=True, count=False)
        return _parse_xml(workbook.path, info.filename, content)


# --- the file on disk ---------------------------------------------------------------------


def _read_file(path: Path, limits: Limits) -> bytes:
    data = read_file(path, limits.max_file_bytes)
    _check_size(path, data, limits)
    return data


def read_file(path: Path, max_bytes: int) -> bytes:
    """Read a regular file once, at most `max_bytes` + 1 bytes (one over says it is too
    large, even if it is growing); the caller judges the size.

    Raises UnsafeWorkbookError (missing, not-a-file, unreadable) with one plain line.
    """
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError) as exc:
        where = f" in {path.parent}" if str(path.parent) not in ("", ".") else ""
        raise _refuse(
            path,
            "missing",
            f"could not be found{where}. Check the file name and folder, then try again.",
        ) from exc
    except OSError as exc:
        raise _unreadable(path) from exc
    if stat.S_ISDIR(mode):
        raise _refuse(
            path, "not-a-file", "is a folder, not a file. Give the path of the workbook itself."
        )
    if not stat.S_ISREG(mode):
        raise _refuse(path, "not-a-file", "is not a file. Give the path of the workbook itself.")
    try:
        with path.open("rb") as handle:
            # One byte over the limit is enough to know it is too large, even if it is growing.
            return handle.read(max_bytes + 1)
    except OSError as exc:
        raise _unreadable(path) from exc


def _check_size(path: Path, data: bytes, limits: Limits) -> None:
    if not data:
        raise _refuse(
            path,
            "empty",
            f"is empty (0 bytes): it may not have saved or attached properly. {_SEND_AGAIN}",
        )
    if len(data) > limits.max_file_bytes:
        raise _refuse(
            path,
            "too-large",
            f"is larger than the {_size(limits.max_file_bytes)} limit for a return workbook. "
            "Check it is the return workbook you were sent, remove any pictures or sheets "
            "that were added to it, then send it again.",
        )


def _unreadable(path: Path) -> UnsafeWorkbookError:
    return _refuse(
        path,
        "unreadable",
        "could not be read. Close it if it is open in another program, check you have "
        "permission to open it, then try again.",
    )


# --- OLE2 / Compound File Binary: legacy .xls and encrypted OOXML -------------------------

_ENCRYPTION_STREAMS = frozenset({"EncryptionInfo", "EncryptedPackage"})
_DRM_NAMES = frozenset({"DRMEncryptedDataSpace", "DRMEncryptedTransform", "DRMDataSpace"})
_WORKBOOK_STREAMS = frozenset({"Workbook", "Book"})
_END_OF_CHAIN = 0xFFFFFFFE
_MAX_SECTOR = 0xFFFFFFFA  # ids at or above this are markers, not sectors


def _classify_cfb(path: Path, data: bytes) -> UnsafeWorkbookError:
    """Excel saves both .xls files and password-protected .xlsx files as OLE2 containers."""
    names = _cfb_entry_names(data)
    if names is None:
        # The directory could not be followed; the stream names are still in the bytes.
        names = {
            name for name in _ENCRYPTION_STREAMS | _DRM_NAMES if name.encode("utf-16-le") in data
        }
        parsed = False
    else:
        parsed = True
    if names & _ENCRYPTION_STREAMS:
        if names & _DRM_NAMES:
            return _refuse(
                path,
                "encrypted",
                "is protected by a sensitivity label or rights management, so it cannot be "
                "read. Open it in Excel, change the sensitivity label to one that does not "
                "encrypt the file and save it, then send it again.",
            )
        return _refuse(
            path,
            "encrypted",
            "is protected with a password, so it cannot be read. Open it in Excel, go to "
            "File > Info > Protect Workbook > Encrypt with Password, clear the password "
            "and save, then send it again.",
        )
    if parsed and not names & _WORKBOOK_STREAMS:
        # A Word 97-2003 document, an Outlook message and so on.
        return _refuse(
            path,
            "not-zip",
            f"is not an Excel workbook (it is an older Office file). {_SEND_RETURN}",
        )
    return _refuse(path, "xls", f"is an Excel 97-2003 workbook (.xls). {_SAVE_AS_XLSX}")


def _cfb_entry_names(data: bytes) -> set[str] | None:
    """Names of the storages and streams in a Compound File's directory, or None if the
    header, FAT or directory chain is inconsistent. Reads only the directory, never streams.
    """
    try:
        if len(data) < 512:
            return None
        shift = struct.unpack_from("<H", data, 30)[0]
        if shift not in (9, 12):
            return None
        size = 1 << shift
        first_dir, _, _, _, first_difat, n_difat = struct.unpack_from("<6I", data, 48)
        max_sectors = len(data) // size

        def sector(sid: int) -> bytes | None:
            start = (sid + 1) * size
            return data[start : start + size] if sid < max_sectors else None

        # The DIFAT lists the FAT sectors: 109 in the header, then a chain of DIFAT sectors.
        # Every chain is bounded by the file's sector count, so a looping or lying header
        # costs no more than one pass over the file.
        fat_ids = list(struct.unpack_from("<109I", data, 76))
        sid = first_difat
        difat_seen: set[int] = set()
        while sid < _MAX_SECTOR and len(difat_seen) < n_difat and sid not in difat_seen:
            difat_seen.add(sid)
            block = sector(sid)
            if block is None or len(block) < size:
                return None
            entries = struct.unpack(f"<{size // 4}I", block)
            fat_ids.extend(entries[:-1])
            sid = entries[-1]
        fat: list[int] = []
        for fat_sid in [fid for fid in fat_ids if fid < _MAX_SECTOR][:max_sectors]:
            block = sector(fat_sid)
            if block is None or len(block) < size:
                return None
            fat.extend(struct.unpack(f"<{size // 4}I", block))

        names: set[str] = set()
        sid = first_dir
        visited: set[int] = set()
        while sid != _END_OF_CHAIN:
            if sid >= len(fat) or sid in visited:
                return None
            visited.add(sid)
            block = sector(sid)
            if block is None or len(block) < size:
                return None
            for offset in range(0, size, 128):
                name_len, kind = struct.unpack_from("<HB", block, offset + 64)
                if kind in (1, 2, 5) and 2 <= name_len <= 64:  # storage, stream, root
                    raw = block[offset : offset + name_len - 2]
                    names.add(raw.decode("utf-16-le", errors="replace").lstrip("\x06"))
            sid = fat[sid]
        return names
    except struct.error:
        return None


# --- the zip ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SheetEntry:
    """One <sheet> of xl/workbook.xml."""

    name: str
    state: str
    rel_id: str


class _ZipGate:
    """Checks one zip held in memory, expanding parts itself so no declared size is trusted."""

    def __init__(
        self,
        path: Path,
        data: bytes,
        archive: zipfile.ZipFile,
        limits: Limits,
        *,
        allow_macros: bool = False,
    ) -> None:
        self.path = path
        self.data = data
        self.archive = archive
        self.limits = limits
        self.allow_macros = allow_macros
        self.has_macros = False  # set by check(): macros found and allowed
        self.date1904 = False  # set by check()
        self.expanded = 0  # bytes actually produced by expanding parts, across all parts
        self.content_types: dict[str, str] = {}  # lower-case part name or ".ext" -> type
        self.budget = _Budget(path, limits)
        self._by_lower = {info.filename.lower(): info for info in archive.infolist()}
        self._read_parts: set[str] = set()  # lower-case names of the parts expanded so far
        self._rels: dict[str, dict[str, tuple[str, str]]] = {}  # part -> its relationships
        # What the workbook says each part is, by lower-case name, found before the parts
        # themselves are expanded so each is expanded once, by the right scanner.
        self._sheet_part: dict[str, str] = {}  # sheet name -> its part (real name)
        self._sheet_names: dict[str, list[str]] = {}  # worksheet part -> sheet names
        self._string_parts: set[str] = set()
        self._comment_owners: dict[str, list[str]] = {}  # comments part -> worksheet parts
        self._scanners: dict[str, SheetScanner] = {}
        self._comments: dict[str, CommentScanner] = {}

    def check(self) -> list[SheetScan]:
        """Run every check on every part; return what was learnt about each sheet."""
        infos = self.archive.infolist()
        self._check_directory(infos)
        types_info = self.find(_CONTENT_TYPES)
        if types_info is None:
            raise self._not_workbook()
        self._read_content_types(self.read(types_info, keep=True))
        self._check_kind()
        workbook_info = self.find(self._workbook_part_name())
        if workbook_info is None:
            raise self._not_workbook()
        workbook_xml = self.read(workbook_info, keep=True)
        sheets, self.date1904 = _read_sheets(self.path, workbook_info.filename, workbook_xml)
        if len(sheets) > self.limits.max_sheets:
            raise self.budget.too_complex(
                f"it has {len(sheets):,} sheets (the limit is {self.limits.max_sheets:,})"
            )
        self._map_parts(workbook_info.filename, sheets)
        for info in infos:
            if info.filename.lower() not in self._read_parts:
                self._scan(info)
        self._add_comments()
        return [self._facts(sheet) for sheet in sheets]

    def _map_parts(self, workbook_part: str, sheets: list[_SheetEntry]) -> None:
        """Find each sheet's part, the shared strings and each sheet's comments, as
        openpyxl does: through the relationships, which are small and read first."""
        relationships = self._relationships(workbook_part)
        for sheet in sheets:
            rel_type, target = relationships.get(sheet.rel_id, ("", ""))
            info = self.find(target) if target else None
            if info is None:
                continue  # openpyxl skips a sheet whose part is missing
            self._sheet_part[sheet.name] = info.filename
            if "chartsheet" not in rel_type:  # openpyxl reads anything else as a worksheet
                self._sheet_names.setdefault(info.filename.lower(), []).append(sheet.name)
        self._string_parts = {
            target.lower()
            for rel_type, target in relationships.values()
            if rel_type.endswith("/sharedstrings")
        }
        self._string_parts |= {
            part.lstrip("/")
            for part, content_type in self.content_types.items()
            if part.startswith("/") and content_type.endswith(_SHARED_STRINGS_TYPE)
        }
        self._string_parts.add(_DEFAULT_SHARED_STRINGS)
        for part in list(self._sheet_names):
            for rel_type, target in self._relationships(part).values():
                if rel_type.endswith("/comments"):
                    self._comment_owners.setdefault(target.lower(), []).append(part)
        if set(self._sheet_names) & self._read_parts:
            raise _corrupt(self.path)  # a "sheet" that is the workbook or a list of links

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id -> (lower-case type, target part) for `part`, from its .rels part."""
        lower = part.lower()
        if lower in self._rels:
            return self._rels[lower]
        folder, base = posixpath.split(part)
        info = self.find(posixpath.join(folder, "_rels", base + ".rels"))
        found: dict[str, tuple[str, str]] = {}
        self._rels[lower] = found
        if info is None or info.filename.lower() in self._read_parts:
            return found
        root = _parse_xml(self.path, info.filename, self.read(info, keep=True))
        for item in root:
            target = item.get("Target", "")
            if _local(item.tag) != "Relationship" or item.get("TargetMode") == "External":
                continue
            if target.startswith("/"):
                target = target.lstrip("/")
            else:  # relative to the folder of the part the links belong to
                target = posixpath.normpath(posixpath.join(folder, target))
            found[item.get("Id", "")] = (item.get("Type", "").lower(), target)
        return found

    def _scan(self, info: zipfile.ZipInfo) -> None:
        """Expand one part with the scanner its role calls for."""
        lower = info.filename.lower()
        if lower in self._sheet_names:
            sheet = self._scanners[lower] = SheetScanner()
            self.read(info, keep=False, kind="sheet", scanner=sheet)
        elif lower in self._comment_owners:
            comments = self._comments[lower] = CommentScanner()
            self.read(info, keep=False, scanner=comments)
        elif lower in self._string_parts:
            self.read(info, keep=False, kind="strings")
        elif self._is_worksheet(lower):
            # A worksheet no sheet points to: counted, so it cannot hide bulk, not read.
            self.read(info, keep=False, kind="sheet")
        else:
            self.read(info, keep=False)

    def _is_worksheet(self, lower: str) -> bool:
        content_type = self.content_types.get("/" + lower, "")
        return "worksheet+xml" in content_type or (
            lower.startswith("xl/worksheets/") and lower.endswith(".xml")
        )

    def _add_comments(self) -> None:
        """openpyxl creates the cell each comment sits in: count them with their sheet."""
        for part, comments in self._comments.items():
            for owner in self._comment_owners[part]:
                sheet = self._scanners.get(owner)
                if sheet is None:
                    continue
                cells, area = sheet.created, sheet.max_row * sheet.max_column
                for ref in comments.refs:
                    sheet.cover(ref)
                refs = len(self._sheet_names[owner])
                added = _Totals(
                    cells=(sheet.created - cells) * refs,
                    area=(sheet.max_row * sheet.max_column - area) * refs,
                )
                self.budget.add_cells(self._label(owner), sheet, added)

    def _facts(self, sheet: _SheetEntry) -> SheetScan:
        part = self._sheet_part.get(sheet.name, "")
        scanner = self._scanners.get(part.lower())
        if scanner is None:
            kind = "chartsheet" if part else "missing"
            return SheetScan(name=sheet.name, part=part, state=sheet.state, kind=kind)
        return scanner.facts(sheet.name, part, sheet.state)

    def _label(self, lower: str) -> str:
        """How a message names a worksheet part: by its sheet's name when it has one."""
        names = self._sheet_names.get(lower)
        if names:
            return f"sheet {_quote(names[0])}"
        info = self.find(lower)
        return _quote(info.filename if info is not None else lower)

    def find(self, name: str) -> zipfile.ZipInfo | None:
        # OPC part names are case-insensitive; zip names are not.
        return self._by_lower.get(name.lower())

    def is_ods(self) -> bool:
        """An OpenDocument spreadsheet: a small "mimetype" part that says so, and no OPC."""
        info = self.find("mimetype")
        if info is None or self.find(_CONTENT_TYPES) is not None or info.file_size > 100:
            return False
        return self.read(info, keep=True).strip() == _ODS_MIMETYPE

    def check_ods(self) -> list[str]:
        """Run every zip-level check on an OpenDocument spreadsheet; return its sheet names."""
        infos = self.archive.infolist()
        self._check_directory(infos)
        manifest, content = self.find("META-INF/manifest.xml"), self.find("content.xml")
        if content is None:
            raise self._not_workbook()
        kept: dict[str, bytes] = {}
        for info in infos:
            keep = info is content or info is manifest
            data = self.read(info, keep=keep)
            if keep:
                kept[info.filename] = data
        if manifest is not None and b"encryption-data" in kept[manifest.filename]:
            raise _refuse(
                self.path,
                "encrypted",
                "is protected with a password, so it cannot be read. Remove the password, "
                "then send it again.",
            )
        root = _parse_xml(self.path, content.filename, kept[content.filename])
        names = [
            table.get(f"{{{_ODS_TABLE_NS}}}name", "")
            for table in root.iter(f"{{{_ODS_TABLE_NS}}}table")
        ]
        if not names or not all(names) or len(set(names)) != len(names):
            raise _corrupt(self.path)
        return names

    def _check_directory(self, infos: list[zipfile.ZipInfo]) -> None:
        limits = self.limits
        if len(infos) > limits.max_members:
            raise _too_many_parts(self.path, len(infos), limits)
        if len(self._by_lower) != len(infos):
            # Two parts with one name: different readers could see different content.
            raise _corrupt(self.path)
        declared = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise _refuse(
                    self.path,
                    "encrypted",
                    "is protected with a password, so it cannot be read. Remove the password, "
                    "then send it again.",
                )
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _corrupt(self.path)  # Excel and LibreOffice never use other methods
            declared += info.file_size
            self._check_ratio(info, info.file_size)
        if declared > limits.max_total_uncompressed:
            raise self._too_big()

    def _check_ratio(self, info: zipfile.ZipInfo, expanded: int) -> None:
        limits = self.limits
        if expanded > limits.ratio_min_bytes and expanded > limits.max_ratio * max(
            info.compress_size, 1
        ):
            name = _printable(info.filename)
            raise self._bomb(f"part {name} expands more than {limits.max_ratio:g} times")

    def read(
        self,
        info: zipfile.ZipInfo,
        *,
        keep: bool,
        kind: PartKind = "other",
        scanner: SheetScanner | CommentScanner | None = None,
        count: bool = True,
    ) -> bytes:
        """Expand one part, checking sizes, CRC and (for XML) DTDs as the bytes arrive.

        With `count`, XML is also counted against the work limits, which stops the
        expansion as soon as one is passed. Only a part that passed all of that is expanded
        a second time for `scanner` to read, so a huge sheet is never parsed at all.
        """
        self._read_parts.add(info.filename.lower())
        # A part the workbook names as a sheet is XML to openpyxl, whatever its type says.
        scan = kind != "other" or scanner is not None or self._may_be_parsed_as_xml(info.filename)
        counter = MarkupCounter(kind) if scan and count else None
        usage = _PartUsage(
            self._label(info.filename.lower()),
            kind,
            len(self._sheet_names.get(info.filename.lower(), ())) or 1,
        )
        kept: list[bytes] = []
        produced = 0
        crc = 0
        tail = b""
        for chunk in self._expand(info):
            produced += len(chunk)
            self.expanded += len(chunk)
            if produced > info.file_size:
                raise self._bomb(f"part {_printable(info.filename)} is bigger than the zip says")
            if self.expanded > self.limits.max_total_uncompressed:
                raise self._too_big()
            self._check_ratio(info, produced)
            crc = zlib.crc32(chunk, crc)
            if scan:
                window = tail + chunk
                # Every marker holds "<!" or, in UTF-16 and UTF-32, a zero byte.
                if (b"<!" in window or b"\x00" in window) and any(
                    marker in window for marker in _DTD_MARKERS
                ):
                    raise _xml_bomb(self.path, info.filename)
                tail = window[-_DTD_OVERLAP:]
            if counter is not None:
                counter.feed(chunk)
                self.budget.check(usage, counter, None, produced)
            if keep:
                kept.append(chunk)
        if produced != info.file_size or crc != info.CRC:
            raise _corrupt(self.path)
        if counter is not None:
            counter.close()
            self.budget.check(usage, counter, None, produced)
            if scanner is not None:
                # The same bytes again: inflating is cheap next to parsing.
                for chunk in self._expand(info):
                    self._feed(scanner, chunk)
                    self.budget.check(usage, counter, scanner, produced)
                self._feed(scanner, None)
                self.budget.check(usage, counter, scanner, produced)
            self.budget.done(usage, counter, scanner, produced)
        return b"".join(kept)

    def _feed(self, scanner: SheetScanner | CommentScanner, chunk: bytes | None) -> None:
        """Give the scanner the next chunk (None: the end of the part)."""
        try:
            if chunk is None:
                scanner.close()
            else:
                scanner.feed(chunk)
        except ScanError as exc:
            raise _corrupt(self.path) from exc

    def _expand(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        data, step = self.data, max(self.limits.chunk_bytes, 1024)
        start = info.header_offset
        if start < 0 or start + 30 > len(data) or data[start : start + 4] != b"PK\x03\x04":
            raise _corrupt(self.path)
        name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
        local_name = data[start + 30 : start + 30 + name_len]
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        if local_name.decode(encoding, errors="replace") != info.orig_filename:
            raise _corrupt(self.path)  # local and central names differ: a parser trick
        begin = start + 30 + name_len + extra_len
        packed = memoryview(data)[begin : begin + info.compress_size]
        if len(packed) != info.compress_size:
            raise _corrupt(self.path)
        if info.compress_type == zipfile.ZIP_STORED:
            for offset in range(0, len(packed), step):
                yield bytes(packed[offset : offset + step])
            return
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        position, pending = 0, b""
        try:
            while True:
                if not pending and position < len(packed):
                    pending = bytes(packed[position : position + step])
                    position += len(pending)
                # max_length caps each step, so a bomb is only ever expanded a chunk at a time.
                out = inflater.decompress(pending, step)
                pending = inflater.unconsumed_tail
                if out:
                    yield out
                if inflater.eof or (not out and not pending and position >= len(packed)):
                    break
        except zlib.error as exc:
            raise _corrupt(self.path) from exc
        if not inflater.eof:
            raise _corrupt(self.path)

    def _may_be_parsed_as_xml(self, name: str) -> bool:
        """Whether to scan a part for DTDs: anything but an image, because openpyxl finds
        worksheets through relationships and will parse a part whatever it is called."""
        lower = name.lower()
        if lower.endswith(_XML_SUFFIXES):
            return True
        base = lower.rsplit("/", 1)[-1]
        extension = "." + base.rsplit(".", 1)[-1] if "." in base else ""
        content_type = self.content_types.get("/" + lower) or self.content_types.get(extension)
        return not (content_type or "").startswith("image/")

    def _read_content_types(self, content: bytes) -> None:
        root = _parse_xml(self.path, _CONTENT_TYPES, content)
        for item in root:
            tag = _local(item.tag)
            content_type = item.get("ContentType", "").strip().lower()
            if tag == "Default":
                self.content_types["." + item.get("Extension", "").lower()] = content_type
            elif tag == "Override":
                part = "/" + item.get("PartName", "").lstrip("/").lower()
                self.content_types[part] = content_type

    def _check_kind(self) -> None:
        types = set(self.content_types.values())
        names = set(self._by_lower)
        if _XLSB_MAIN_TYPE in types or "xl/workbook.bin" in names:
            raise _refuse(
                self.path,
                "not-workbook",
                f"is an Excel Binary Workbook (.xlsb). {_SAVE_AS_XLSX}",
            )
        if any("macroenabled" in t or "vbaproject" in t or "macrosheet" in t for t in types) or any(
            n.endswith("vbaproject.bin") or n.startswith("xl/macrosheets/") for n in names
        ):
            if self.allow_macros:
                self.has_macros = True
                return
            raise _refuse(
                self.path,
                "macro",
                "contains macros (it is a macro-enabled workbook). Open it in Excel and save "
                "it as an Excel Workbook (.xlsx), which removes the macros, then send it again.",
            )

    def _workbook_part_name(self) -> str:
        for part, content_type in self.content_types.items():
            if part.startswith("/") and content_type in _WORKBOOK_MAIN_TYPES:
                return part.lstrip("/")
        return _DEFAULT_WORKBOOK_PART

    def _not_workbook(self) -> UnsafeWorkbookError:
        names = set(self._by_lower)
        if b"application/vnd.oasis.opendocument.spreadsheet" in self.data[:200]:
            return _refuse(
                self.path,
                "not-workbook",
                "is an OpenDocument spreadsheet (.ods). Save it as an Excel Workbook (.xlsx) "
                "(in LibreOffice choose File > Save As and pick Excel 2007-365), then send it "
                "again.",
            )
        if "word/document.xml" in names:
            hint = " (it is a Word document)"
        elif "ppt/presentation.xml" in names:
            hint = " (it is a PowerPoint presentation)"
        else:
            hint = ""
        return _refuse(self.path, "not-workbook", f"is not an Excel workbook{hint}. {_SEND_RETURN}")

    def _bomb(self, detail: str) -> UnsafeWorkbookError:
        return _zip_bomb(self.path, detail)

    def _too_big(self) -> UnsafeWorkbookError:
        limit = _size(self.limits.max_total_uncompressed)
        return self._bomb(f"it would take up more than {limit} when opened")


# --- XML ----------------------------------------------------------------------------------


def _parse_xml(path: Path, part: str, content: bytes) -> Element:
    try:
        root: Element = DefusedET.fromstring(content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise _xml_bomb(path, part) from exc
    except ParseError as exc:
        raise _corrupt(path) from exc
    return root


def _read_sheets(path: Path, part: str, workbook_xml: bytes) -> tuple[list[_SheetEntry], bool]:
    """The workbook's sheets, and whether it counts dates from 1904."""
    root = _parse_xml(path, part, workbook_xml)
    if root.tag.startswith("{" + _STRICT_MAIN_NS + "}") or root.get("conformance") == "strict":
        raise _refuse(
            path,
            "strict-ooxml",
            f"is saved as a Strict Open XML Spreadsheet, which cannot be read. {_SAVE_AS_XLSX}",
        )
    if _local(root.tag) != "workbook":
        raise _corrupt(path)
    sheets: dict[str, _SheetEntry] = {}
    date1904 = False
    for group in root:
        if _local(group.tag) == "workbookPr":
            # openpyxl's Bool: any text but "false", "f", "0" (and "") is true.
            flag = group.get("date1904")
            date1904 = flag is not None and flag not in ("false", "f", "0") and bool(flag)
        if _local(group.tag) != "sheets":
            continue
        for sheet in group:
            if _local(sheet.tag) != "sheet":
                continue
            name = sheet.get("name")
            if not name or name in sheets:
                raise _corrupt(path)
            state = sheet.get("state", "visible")
            sheets[name] = _SheetEntry(name, state, sheet.get(f"{{{_REL_NS}}}id", ""))
    if not sheets:
        raise _corrupt(path)
    return list(sheets.values()), date1904


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --- the work limits ----------------------------------------------------------------------


@dataclass(frozen=True)
class _PartUsage:
    label: str  # how messages name the part: "sheet 'Lists'" or its part name
    kind: PartKind
    refs: int  # sheets that use the part: openpyxl loads it once for each


@dataclass
class _Totals:
    """What a workbook, or the part being expanded, would cost a reader."""

    cells: int = 0  # cells openpyxl creates
    area: int = 0  # rows x columns of the sheets' used ranges
    formulas: int = 0
    merges: int = 0
    strings: int = 0
    markup: int = 0
    string_bytes: int = 0
    sheet_bytes: int = 0
    other_bytes: int = 0  # of the other XML parts

    def add(self, other: _Totals) -> _Totals:
        # Written out: this runs after every chunk of every part, and astuple() deep-copies.
        return _Totals(
            self.cells + other.cells,
            self.area + other.area,
            self.formulas + other.formulas,
            self.merges + other.merges,
            self.strings + other.strings,
            self.markup + other.markup,
            self.string_bytes + other.string_bytes,
            self.sheet_bytes + other.sheet_bytes,
            self.other_bytes + other.other_bytes,
        )

    @property
    def work(self) -> int:
        """Reading time in cells' worth: openpyxl's cost of each thing, relative to a cell's
        (about 12 microseconds), as measured on the hostile files of the benchmark."""
        return (
            self.cells
            + self.area // 3  # a reader walking the used range creates each empty cell
            + (3 * (self.strings + self.markup + self.formulas)) // 2
            + 25 * self.merges  # openpyxl redraws the borders of each merged range
        )


class _Budget:
    """Running totals over the workbook, checked against Limits after every chunk."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self.total = _Totals()  # of the parts already expanded

    @property
    def strings(self) -> int:
        return self.total.strings

    def check(
        self,
        part: _PartUsage,
        counter: MarkupCounter,
        scanner: SheetScanner | CommentScanner | None,
        produced: int,
    ) -> None:
        """Refuse the file if this part, counted so far, takes a total past a limit."""
        limits = self.limits
        current = self._current(part, counter, scanner, produced)
        total = self.total.add(current)
        if total.markup > limits.max_markup:
            raise self.too_complex(
                f"it has more than {limits.max_markup:,} styles, drawings, charts, comments "
                f"or pieces of styled text (in {part.label})"
            )
        if total.string_bytes > limits.max_shared_string_bytes:
            raise self._too_much_text(f"more than {_size(limits.max_shared_string_bytes)} of text")
        if total.strings > limits.max_shared_strings:
            raise self._too_much_text(
                f"more than {limits.max_shared_strings:,} different pieces of text"
            )
        if total.sheet_bytes > limits.max_sheet_bytes:
            raise self._too_much_text(
                f"its sheets take up more than {_size(limits.max_sheet_bytes)}"
            )
        if total.other_bytes > limits.max_other_xml_bytes:
            raise self.too_complex(
                f"its styles, drawings, comments and other parts take up more than "
                f"{_size(limits.max_other_xml_bytes)} (in {part.label})"
            )
        if part.kind == "sheet":
            if counter.rows > limits.max_rows:
                raise self._too_big(f"{part.label} has more than {limits.max_rows:,} rows")
            if isinstance(scanner, SheetScanner):
                self._check_extent(part, scanner)
            self._check_cells(part, current.cells // part.refs, total)
        self._check_work(total)

    def done(
        self,
        part: _PartUsage,
        counter: MarkupCounter,
        scanner: SheetScanner | CommentScanner | None,
        produced: int,
    ) -> None:
        """Add a part that passed to the totals."""
        self.total = self.total.add(self._current(part, counter, scanner, produced))

    def add_cells(self, label: str, sheet: SheetScanner, added: _Totals) -> None:
        """Cells a sheet gained from outside its part (its comments), and the area they
        stretch its used range by."""
        part = _PartUsage(label, "sheet", 1)
        self._check_extent(part, sheet)
        self.total = self.total.add(added)
        self._check_cells(part, sheet.created, self.total)
        self._check_work(self.total)

    def _current(
        self,
        part: _PartUsage,
        counter: MarkupCounter,
        scanner: SheetScanner | CommentScanner | None,
        produced: int,
    ) -> _Totals:
        """What the part being expanded costs so far (each sheet that uses it counted)."""
        current = _Totals(markup=counter.markup)
        if part.kind == "other":
            current.other_bytes = produced
        elif part.kind == "strings":
            current.strings, current.string_bytes = counter.strings, produced
        elif part.kind == "sheet":
            refs = part.refs
            current.sheet_bytes = produced
            current.cells = counter.cells * refs  # the tags, counted before the parser runs
            if isinstance(scanner, SheetScanner):
                current.cells = (max(counter.cells, scanner.elements) + scanner.covered) * refs
                current.area = scanner.max_row * scanner.max_column * refs
                current.formulas = len(scanner.formulas) * refs
                current.merges = scanner.merges * refs
        return current

    def _check_cells(self, part: _PartUsage, cells: int, total: _Totals) -> None:
        limits = self.limits
        if cells > limits.max_sheet_cells:
            raise self._too_big(f"{part.label} has more than {limits.max_sheet_cells:,} cells")
        if total.cells > limits.max_cells:
            raise self._too_big(f"its sheets have more than {limits.max_cells:,} cells")
        if total.formulas > limits.max_formulas:
            raise self._too_big(f"it has more than {limits.max_formulas:,} formulas")
        if total.merges > limits.max_merged_ranges:
            raise self._too_big(
                f"it has more than {limits.max_merged_ranges:,} sets of merged cells"
            )

    def _check_extent(self, part: _PartUsage, sheet: SheetScanner) -> None:
        """The used range, and the one the sheet's <dimension> claims, for readers that
        trust it."""
        limits = self.limits
        dim_rows, dim_cols = dimension_extent(sheet.dimension)
        rows, cols = max(sheet.max_row, dim_rows), max(sheet.max_column, dim_cols)
        if rows > limits.max_rows:
            raise self._too_big(
                f"{part.label} reaches row {rows:,} (the limit is row {limits.max_rows:,})"
            )
        if cols > limits.max_columns:
            raise self._too_big(
                f"{part.label} reaches column {column_letter(cols)} (the limit is column "
                f"{column_letter(limits.max_columns)})"
            )
        if rows * cols > limits.max_sheet_area:
            raise self._too_big(
                f"{part.label} spreads over {rows:,} rows by {cols:,} columns (the limit is "
                f"{limits.max_sheet_area:,} cells)"
            )

    def _check_work(self, total: _Totals) -> None:
        if total.work > self.limits.max_work:
            raise self._refuse(
                "too-complex",
                f"has too much in it to be a return workbook: {total.cells:,} cells, "
                f"{total.strings:,} pieces of text and {total.markup:,} styles and other "
                f"items together would take too long to read. {_REMOVE_ROWS}",
            )

    def too_complex(self, detail: str) -> UnsafeWorkbookError:
        return self._refuse(
            "too-complex",
            f"has too much formatting or other content to be a return workbook: {detail}. "
            + _REMOVE_EXTRAS,
        )

    def _too_big(self, detail: str) -> UnsafeWorkbookError:
        return self._refuse(
            "too-many-cells", f"is too big to be a return workbook: {detail}. {_REMOVE_ROWS}"
        )

    def _too_much_text(self, detail: str) -> UnsafeWorkbookError:
        return self._refuse(
            "too-much-text",
            f"holds too much text to be a return workbook: {detail}. {_REMOVE_TEXT}",
        )

    def _refuse(self, reason: Reason, text: str) -> UnsafeWorkbookError:
        return _refuse(self.path, reason, text)


# --- messages -----------------------------------------------------------------------------


def _refuse(path: Path, reason: Reason, text: str) -> UnsafeWorkbookError:
    return UnsafeWorkbookError(path, reason, f"{_file_name(path)} {text}")


def _file_name(path: Path) -> str:
    return path.name or str(path)


def _printable(name: str) -> str:
    """A name from the file with no line break or other control character in it."""
    return "".join(ch if ch.isprintable() else " " for ch in name)


def _quote(name: str, limit: int = 40) -> str:
    """A sheet or part name from the file, short and safe to put in a one-line message."""
    clean = _printable(name).strip()
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return f"'{clean}'"


def _corrupt(path: Path) -> UnsafeWorkbookError:
    return _refuse(
        path,
        "corrupt-zip",
        "is damaged and cannot be opened (it may not have finished saving or downloading). "
        + _SEND_AGAIN,
    )


def _zip_bomb(path: Path, detail: str) -> UnsafeWorkbookError:
    return _refuse(
        path,
        "zip-bomb",
        f"is not a normal Excel workbook: {detail}. Check it is the return workbook you "
        "were sent, then send it again.",
    )


def _too_many_parts(path: Path, count: int, limits: Limits) -> UnsafeWorkbookError:
    return _zip_bomb(path, f"it has {count:,} parts (the limit is {limits.max_members:,})")


def _xml_bomb(path: Path, part: str) -> UnsafeWorkbookError:
    return _refuse(
        path,
        "xml-bomb",
        f"contains content that is not allowed in a workbook (in {_printable(part)}). "
        + _SEND_RETURN,
    )


def _sniff(data: bytes) -> str:
    """A short hint about what a non-zip file really is, for the error message."""
    head = data[:4096]
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%PDF"):
        return " (it is a PDF)"
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return " (it is an XML Spreadsheet 2003 file)"
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:1024]:
        return " (it is a web page)"
    if text.startswith(b"{\\rtf"):
        return " (it is a Rich Text document)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\x00" not in head and _is_text(head)):
        return " (it looks like a CSV or text file)"
    return ""


def _is_text(head: bytes) -> bool:
    printable = sum(1 for byte in head if byte >= 32 or byte in (9, 10, 13))
    return printable >= 0.95 * len(head)


def _size(n_bytes: int) -> str:
    if n_bytes >= _MB:
        return f"{n_bytes / _MB:,.0f} MB"
    if n_bytes >= 1024:
        return f"{n_bytes / 1024:,.0f} KB"
    return f"{n_bytes:,} bytes"
