"""Generators of broken and hostile files, the kind agencies (or attackers) could send back.

Every `make_*` function writes one file into `directory` and returns its path. They are quick:
the realistic zip bomb (300 MB of zeros) takes well under a second to stream out, and the
1.5-million-cell sheet about a second (its XML is written from one template per row).
`all_broken` makes one file for each reason code the safe-open gate can give.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import xlsxwriter

CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_FREE, _END_OF_CHAIN, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_SHEET_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MACRO_MAIN_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LISTS_PART = "xl/worksheets/sheet2.xml"  # the hidden "Lists" sheet of make_good_xlsx


# --- good workbooks -----------------------------------------------------------------------


def make_good_xlsx(directory: Path, name: str = "good.xlsx") -> Path:
    """A plain workbook: "Return" (visible), "Lists" (hidden), "Manifest" (very hidden)."""
    path = directory / name
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": dt.datetime(2025, 1, 6, 9, 0)})  # same bytes every run
    ws = workbook.add_worksheet("Return")
    ws.write_row(0, 0, ["Action", "Status"])
    ws.write_row(1, 0, ["1.1", "On track"])
    workbook.add_worksheet("Lists").hide()
    workbook.add_worksheet("Manifest").very_hidden()
    workbook.close()
    return path


def make_xlsm(directory: Path) -> Path:
    """A real xlsxwriter workbook with xl/vbaProject.bin and the macro-enabled content type.

    The VBA project is a fake (a CFB signature and padding): nothing here ever runs it.
    """
    path = directory / "macro.xlsm"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("Return").write(0, 0, "Action")
    vba: Any = io.BytesIO(CFB_SIGNATURE + bytes(504))
    workbook.add_vba_project(vba, is_stream=True)
    workbook.close()
    return path


# --- not a workbook at all ----------------------------------------------------------------


def make_empty(directory: Path) -> Path:
    path = directory / "empty.xlsx"
    path.write_bytes(b"")
    return path


def make_not_zip(directory: Path) -> Path:
    """Random bytes (seeded, so the file is the same every run) behind an .xlsx name."""
    path = directory / "random.xlsx"
    path.write_bytes(random.Random(1234).randbytes(4096))
    return path


def make_csv(directory: Path) -> Path:
    path = directory / "return.csv"
    path.write_text("Action,Status\n1.1,On track\n1.2,Delayed\n", encoding="utf-8")
    return path


def make_pdf(directory: Path) -> Path:
    path = directory / "return.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
    return path


# --- OLE2 / Compound File Binary ----------------------------------------------------------


def cfb_bytes(entries: list[tuple[str, int]]) -> bytes:
    """A minimal but well-formed Compound File (version 3, 512-byte sectors).

    Sector 0 is the only FAT sector; the directory follows in sectors 1, 2, ... A root entry
    comes first, then `entries` as (name, kind). What it fakes: every stream has size 0 and
    no data, and all entries hang off the root as one chain of right siblings instead of a
    balanced red-black tree. The header, FAT and directory chain are real, so a reader that
    follows them (as the safe-open gate does) finds exactly these names.
    """
    all_entries = [("Root Entry", _ROOT), *entries]
    per_sector = 512 // 128
    n_dir_sectors = -(-len(all_entries) // per_sector)
    fat = [_FAT_SECTOR] + [sid + 1 for sid in range(1, n_dir_sectors)] + [_END_OF_CHAIN]
    fat += [_FREE] * (128 - len(fat))

    directory = b""
    for index in range(n_dir_sectors * per_sector):
        if index >= len(all_entries):
            directory += bytes(128)  # an unused slot
            continue
        name, kind = all_entries[index]
        child = 1 if index == 0 and len(all_entries) > 1 else _NO_STREAM
        right = index + 1 if 0 < index < len(all_entries) - 1 else _NO_STREAM
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded),
            kind,
            1,  # black
            _NO_STREAM,  # left sibling
            right,
            child,
            bytes(16),  # CLSID
            0,  # state bits
            0,  # created
            0,  # modified
            _END_OF_CHAIN,  # start sector: no data
            0,  # size
        )

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        CFB_SIGNATURE,
        bytes(16),
        0x003E,  # minor version
        3,  # major version
        0xFFFE,  # little-endian
        9,  # 512-byte sectors
        6,  # 64-byte mini sectors
        bytes(6),
        0,  # directory sectors (always 0 in version 3)
        1,  # FAT sectors
        1,  # first directory sector
        0,  # transaction signature
        4096,  # mini stream cutoff
        _END_OF_CHAIN,  # first mini FAT sector
        0,  # mini FAT sectors
        _END_OF_CHAIN,  # first DIFAT sector
        0,  # DIFAT sectors
    )
    header += struct.pack("<109I", 0, *([_FREE] * 108))
    return header + struct.pack("<128I", *fat) + directory


def make_xls(directory: Path) -> Path:
    """An Excel 97-2003 workbook: a CFB whose directory holds a "Workbook" stream."""
    path = directory / "legacy.xls"
    path.write_bytes(cfb_bytes([("Workbook", _STREAM), ("\x05SummaryInformation", _STREAM)]))
    return path


def make_xls_header_only(directory: Path) -> Path:
    """Just the 512-byte CFB header of an .xls: no directory to read at all."""
    path = directory / "header-only.xls"
    path.write_bytes(cfb_bytes([("Workbook", _STREAM)])[:512])
    return path


def make_word97(directory: Path) -> Path:
    """A Word 97-2003 document: a CFB with a "WordDocument" stream and no workbook."""
    path = directory / "letter.doc"
    path.write_bytes(cfb_bytes([("WordDocument", _STREAM), ("1Table", _STREAM)]))
    return path


def make_encrypted(directory: Path, *, damaged_directory: bool = False) -> Path:
    """A password-protected .xlsx as Excel saves it: a CFB holding EncryptionInfo and
    EncryptedPackage (plus the \\x06DataSpaces storage Excel adds). The streams are empty.

    With `damaged_directory` the header points the directory at a sector past the end of the
    file, so a reader must fall back to finding the UTF-16 stream names in the raw bytes.
    """
    path = directory / ("encrypted-damaged.xlsx" if damaged_directory else "encrypted.xlsx")
    data = bytearray(
        cfb_bytes(
            [
                ("\x06DataSpaces", _STORAGE),
                ("DataSpaceMap", _STREAM),
                ("StrongEncryptionDataSpace", _STREAM),
                ("EncryptionInfo", _STREAM),
                ("EncryptedPackage", _STREAM),
            ]
        )
    )
    if damaged_directory:
        struct.pack_into("<I", data, 48, 0x7FFF)
    path.write_bytes(bytes(data))
    return path


def make_rights_managed(directory: Path) -> Path:
    """An .xlsx encrypted by a sensitivity label (IRM): EncryptedPackage with DRM transforms."""
    path = directory / "labelled.xlsx"
    path.write_bytes(
        cfb_bytes(
            [
                ("\x06DataSpaces", _STORAGE),
                ("DRMEncryptedDataSpace", _STREAM),
                ("DRMEncryptedTransform", _STORAGE),
                ("\x06Primary", _STREAM),
                ("EncryptedPackage", _STREAM),
            ]
        )
    )
    return path


# --- damaged zips -------------------------------------------------------------------------


def make_truncated(directory: Path, good_xlsx: Path) -> Path:
    """The first half of a real workbook, as from an interrupted download."""
    data = good_xlsx.read_bytes()
    path = directory / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def make_crc_error(directory: Path, good_xlsx: Path) -> Path:
    """A real workbook with its parts stored uncompressed and one byte of a sheet changed,
    so the zip directory is fine but the part fails its CRC check."""
    path = directory / "bad-crc.xlsx"
    rewrite_zip(good_xlsx, path, compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    marker = data.find(b"<sheetData")
    data[marker + 1] ^= 0x20  # "s" -> "S": still XML-ish, but not what the CRC says
    path.write_bytes(bytes(data))
    return path


def make_docx_like(directory: Path) -> Path:
    """A zip laid out like a Word document: content types, but word/ instead of xl/."""
    path = directory / "report.docx"
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("word/document.xml", "<document/>")
    return path


def make_plain_zip(directory: Path) -> Path:
    path = directory / "returns.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "Our return is attached.")
    return path


def make_ods_like(directory: Path) -> Path:
    """The start of an OpenDocument spreadsheet: a stored "mimetype" first, then content."""
    path = directory / "return.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return path


def make_xlsb_like(directory: Path) -> Path:
    """The outline of an Excel Binary Workbook: xl/workbook.bin and its content type."""
    path = directory / "return.xlsb"
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Override PartName="/xl/workbook.bin" '
        'ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("xl/workbook.bin", bytes(64))
    return path


def make_strict(directory: Path, good_xlsx: Path) -> Path:
    """A workbook as Excel's "Strict Open XML Spreadsheet" writes xl/workbook.xml."""
    path = directory / "strict.xlsx"

    def to_strict(xml: bytes) -> bytes:
        return xml.replace(
            b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        ).replace(b"<workbook ", b'<workbook conformance="strict" ', 1)

    rewrite_zip(good_xlsx, path, transform={"xl/workbook.xml": to_strict})
    return path


# --- hostile zips -------------------------------------------------------------------------


def make_zip_bomb(directory: Path, good_xlsx: Path | None = None, megabytes: int = 300) -> Path:
    """A workbook with an extra "worksheet" of `megabytes` MB of zeros (about 1000:1).

    Streamed out a megabyte at a time at compression level 9, so it is quick to make and
    never holds the whole thing in memory. Without `good_xlsx` the zip holds only that part.
    """
    path = directory / "bomb.xlsx"
    if good_xlsx is not None:
        rewrite_zip(good_xlsx, path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("xl/worksheets/sheet9.xml", "w") as part:
            zeros = bytes(1024 * 1024)
            for _ in range(megabytes):
                part.write(zeros)
    return path


def make_lying_sizes(directory: Path, good_xlsx: Path, megabytes: int = 20) -> Path:
    """A workbook whose extra part says it expands to 1,000 bytes but expands to `megabytes`
    MB: its sizes in the zip directory and local header are patched after writing."""
    path = directory / "lying.xlsx"
    name = b"xl/worksheets/sheet9.xml"
    rewrite_zip(good_xlsx, path, add={name.decode(): bytes(megabytes * 1024 * 1024)})
    data = bytearray(path.read_bytes())
    patched = 0
    for signature, size_at, name_len_at, name_at in (
        (b"PK\x01\x02", 24, 28, 46),  # central directory entry
        (b"PK\x03\x04", 22, 26, 30),  # local file header
    ):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            (name_len,) = struct.unpack_from("<H", data, start + name_len_at)
            if data[start + name_at : start + name_at + name_len] == name:
                struct.pack_into("<I", data, start + size_at, 1000)
                patched += 1
            start += 4
    assert patched == 2, "the part's two headers were not both found"
    path.write_bytes(bytes(data))
    return path


def make_many_parts(directory: Path, good_xlsx: Path, extra: int = 50) -> Path:
    """A workbook with `extra` tiny extra parts (set a small Limits.max_members to trip it)."""
    path = directory / "many-parts.xlsx"
    rewrite_zip(good_xlsx, path, add={f"xl/extra/part{i}.txt": b"x" for i in range(extra)})
    return path


def make_xml_bomb(
    directory: Path,
    good_xlsx: Path,
    part: str = "xl/workbook.xml",
    encoding: str = "utf-8",
) -> Path:
    """A "billion laughs" DOCTYPE at the top of `part` of an otherwise valid workbook.

    In xl/workbook.xml the first sheet is renamed to the top entity, so a parser that expanded
    entities would build a 3 GB sheet name. `encoding="utf-16"` re-encodes the part, the way
    an attacker would try to slip past a byte scan for "<!DOCTYPE".
    """
    path = directory / f"xml-bomb-{part.replace('/', '-')}-{encoding}.xlsx"
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )

    def add_doctype(xml: bytes) -> bytes:
        text = xml.decode("utf-8")
        declaration_end = text.index("?>") + 2
        root = text[declaration_end:].lstrip().split()[0].lstrip("<").rstrip(">")
        text = f"{text[:declaration_end]}<!DOCTYPE {root} [{entities}]>{text[declaration_end:]}"
        if part == "xl/workbook.xml":
            text = text.replace('name="Return"', 'name="&lol9;"', 1)
        if encoding != "utf-8":
            text = text.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"', 1)
        return text.encode(encoding)

    rewrite_zip(good_xlsx, path, transform={part: add_doctype})
    return path


def make_doctype_across_chunks(directory: Path, good_xlsx: Path, boundary: int = 1024) -> Path:
    """A stored XML part with "<!DOCTYPE" split across the `boundary`-byte chunk edge."""
    path = directory / "split-doctype.xlsx"
    # An external DTD only, so no "<!ENTITY" elsewhere in the part gives it away.
    content = b" " * (boundary - 4) + b'<!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><x/>'
    rewrite_zip(good_xlsx, path, add={"xl/extra.xml": content}, compression=zipfile.ZIP_STORED)
    return path


# --- files that are small on disk but a lot of work to read --------------------------------


def worksheet_xml(rows: str, *, before: str = "", after: str = "") -> bytes:
    """A worksheet part: `before` <sheetData>, the `rows`, then `after` it."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r='
        '"http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"{before}<sheetData>{rows}</sheetData>{after}</worksheet>"
    ).encode()


def column_letters(count: int) -> list[str]:
    """["A", "B", ..., ] for the first `count` columns."""
    letters: list[str] = []
    for n in range(1, count + 1):
        name = ""
        while n:
            n, rest = divmod(n - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def with_lists_sheet(
    directory: Path,
    good_xlsx: Path,
    name: str,
    sheet: bytes,
    *,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """A copy of `good_xlsx` whose hidden Lists sheet is `sheet`."""
    path = directory / name
    rewrite_zip(
        good_xlsx,
        path,
        transform={LISTS_PART: lambda _: sheet},
        compression=compression,
        compresslevel=1,
    )
    return path


def make_many_cells(
    directory: Path,
    good_xlsx: Path,
    cells: int = 1_500_000,
    columns: int = 20,
    name: str = "many-cells.xlsx",
) -> Path:
    """The adversarial return: its hidden Lists sheet holds `cells` numbers, `columns` to a
    row (1.5 million cells is about 45 MB of XML, under 10 MB on disk)."""
    letters = column_letters(columns)
    template = '<row r="{0}">' + "".join(f'<c r="{c}{{0}}"><v>{{0}}</v></c>' for c in letters)
    template += "</row>"
    rows = "".join(template.format(r) for r in range(1, cells // columns + 1))
    return with_lists_sheet(directory, good_xlsx, name, worksheet_xml(rows))


def make_far_cell(directory: Path, good_xlsx: Path) -> Path:
    """One empty, formatted cell at XFD1048576 on the hidden Lists sheet: a file of a few
    kilobytes on which a reader that walks the used range creates 17 billion cells."""
    rows = '<row r="1048576"><c r="XFD1048576" s="0"/></row>'
    return with_lists_sheet(directory, good_xlsx, "far-cell.xlsx", worksheet_xml(rows))


def make_huge_shared_strings(directory: Path, good_xlsx: Path, megabytes: int = 21) -> Path:
    """`megabytes` MB of text added to the shared strings as 1,000 strings of hex digits,
    which compress only about 2:1, so no ratio check stops them."""
    text = random.Random(5).randbytes(megabytes * 1024 * 1024 // 2).hex()
    step = len(text) // 1000
    extra = "".join(f"<si><t>{text[i : i + step]}</t></si>" for i in range(0, len(text), step))
    path = directory / "huge-strings.xlsx"
    rewrite_zip(
        good_xlsx,
        path,
        transform={
            "xl/sharedStrings.xml": lambda xml: xml.replace(b"</sst>", extra.encode() + b"</sst>")
        },
        compresslevel=1,
    )
    return path


def make_many_strings(
    directory: Path, good_xlsx: Path, count: int = 60_000, name: str = "many-strings.xlsx"
) -> Path:
    """`count` short strings added to the shared strings (about 1 MB)."""
    extra = "".join(f"<si><t>{i}</t></si>" for i in range(count)).encode()
    path = directory / name
    rewrite_zip(
        good_xlsx,
        path,
        transform={"xl/sharedStrings.xml": lambda xml: xml.replace(b"</sst>", extra + b"</sst>")},
    )
    return path


def make_much_markup(directory: Path, good_xlsx: Path, styles: int = 60_000) -> Path:
    """`styles` cell formats added to xl/styles.xml (stored, so no ratio check stops them):
    openpyxl spends about 20 microseconds on each."""
    extra = "".join(
        f'<xf numFmtId="{i % 164}" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        for i in range(styles)
    ).encode()
    path = directory / "much-markup.xlsx"
    rewrite_zip(
        good_xlsx,
        path,
        transform={"xl/styles.xml": lambda xml: xml.replace(b"</cellXfs>", extra + b"</cellXfs>")},
        compression=zipfile.ZIP_STORED,
    )
    return path


# --- helpers ------------------------------------------------------------------------------


def rewrite_zip(
    source: Path,
    target: Path,
    *,
    transform: Mapping[str, Callable[[bytes], bytes]] | None = None,
    add: Mapping[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    compresslevel: int | None = None,
) -> None:
    """Copy a zip part by part, changing some parts and adding others."""
    transform = transform or {}
    with (
        zipfile.ZipFile(source) as old,
        zipfile.ZipFile(target, "w", compression, compresslevel=compresslevel) as new,
    ):
        for info in old.infolist():
            content = old.read(info)
            if info.filename in transform:
                content = transform[info.filename](content)
            new.writestr(info.filename, content)
        for name, content in (add or {}).items():
            new.writestr(name, content)


def all_broken(directory: Path, good_xlsx: Path) -> dict[str, Path]:
    """One file for each reason code the safe-open gate gives with default limits, keyed by
    that code. ("too-large" needs a small Limits.max_file_bytes; "unreadable" needs the
    operating system to refuse a read, so neither has a file here.) Each is quick to make: the
    ones that are a lot of work to read are the small kinds (one far cell, short strings)."""
    return {
        "missing": directory / "no-such-file.xlsx",
        "not-a-file": _make_folder(directory),
        "empty": make_empty(directory),
        "xls": make_xls(directory),
        "encrypted": make_encrypted(directory),
        "not-zip": make_csv(directory),
        "corrupt-zip": make_truncated(directory, good_xlsx),
        "not-workbook": make_docx_like(directory),
        "strict-ooxml": make_strict(directory, good_xlsx),
        "macro": make_xlsm(directory),
        "zip-bomb": make_lying_sizes(directory, good_xlsx),
        "xml-bomb": make_xml_bomb(directory, good_xlsx),
        "too-many-cells": make_far_cell(directory, good_xlsx),
        "too-much-text": make_many_strings(directory, good_xlsx),
        "too-complex": make_much_markup(directory, good_xlsx),
    }


def _make_folder(directory: Path) -> Path:
    path = directory / "a-folder.xlsx"
    path.mkdir(exist_ok=True)
    return path
