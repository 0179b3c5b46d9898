"""The safe-open gate: good workbooks pass, and every broken or hostile file is refused with
one plain-English line that names the file and says what to do."""

from __future__ import annotations

import hashlib
import io
import shutil
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import broken_files as bf
import defusedxml.ElementTree as DefusedET
import openpyxl
import pytest
from defusedxml import EntitiesForbidden
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipt_excel.errors import IptError, UnsafeWorkbookError
from ipt_excel.excel.safe_open import (
    REASONS,
    Limits,
    SafeWorkbook,
    open_workbook_safely,
    parse_part,
)

CORPUS = Path("/work/shared/corpus/excel-made")

# What each refusal must tell the reader to do (a fragment of the message).
ADVICE = {
    "missing": "Check the file name and folder",
    "not-a-file": "Give the path of the workbook itself",
    "unreadable": "check you have permission",
    "empty": "Send the return workbook again",
    "too-large": "then send it again",
    "xls": "save it as an Excel Workbook (.xlsx), then send it again",
    "encrypted": "send it again",
    "not-zip": "Send back the return workbook you were sent",
    "corrupt-zip": "Send the return workbook again",
    "not-workbook": "Excel Workbook (.xlsx)",
    "strict-ooxml": "save it as an Excel Workbook (.xlsx), then send it again",
    "macro": "save it as an Excel Workbook (.xlsx), which removes the macros",
    "zip-bomb": "Check it is the return workbook you were sent",
    "xml-bomb": "Send back the return workbook you were sent",
    "too-many-cells": "remove any sheets, rows or columns that were added to it",
    "too-much-text": "remove any sheets or text that were added to it",
    "too-complex": "remove any sheets, pictures or charts that were added to it",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files")


@pytest.fixture(scope="module")
def good(files: Path) -> Path:
    return bf.make_good_xlsx(files)


def refusal(path: Path, limits: Limits | None = None) -> UnsafeWorkbookError:
    """Open `path`, expect a refusal, and check what every refusal must have."""
    with pytest.raises(UnsafeWorkbookError) as caught:
        open_workbook_safely(path, limits or Limits())
    error = caught.value
    assert isinstance(error, IptError)
    assert error.path == path
    assert error.reason in REASONS
    assert str(error) == error.message
    assert error.message.startswith(path.name + " ")
    assert "\n" not in error.message
    assert ADVICE[error.reason] in error.message
    return error


# --- good workbooks -----------------------------------------------------------------------


def test_good_workbook_passes_with_sheets_states_and_hash(good: Path) -> None:
    workbook = open_workbook_safely(good)

    assert isinstance(workbook, SafeWorkbook)
    assert workbook.path == good
    assert workbook.data == good.read_bytes()
    assert workbook.sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
    assert workbook.sheet_names == ["Return", "Lists", "Manifest"]
    assert workbook.sheet_states == {
        "Return": "visible",
        "Lists": "hidden",
        "Manifest": "veryHidden",
    }


def test_good_workbook_data_is_what_openpyxl_reads(good: Path) -> None:
    workbook = open_workbook_safely(good)
    loaded = openpyxl.load_workbook(io.BytesIO(workbook.data))
    assert loaded.sheetnames == workbook.sheet_names
    assert loaded["Return"]["B2"].value == "On track"


def test_parse_part_reads_a_checked_part_and_returns_none_for_a_missing_one(good: Path) -> None:
    workbook = open_workbook_safely(good)
    sheet = parse_part(workbook, "/xl/worksheets/sheet1.xml")
    assert sheet is not None
    assert sheet.tag.endswith("}worksheet")
    assert parse_part(workbook, "xl/no-such-part.xml") is None


def test_parse_part_refuses_a_dtd(files: Path, good: Path) -> None:
    bomb = bf.make_xml_bomb(files, good)
    unchecked = SafeWorkbook(bomb, bomb.read_bytes(), "", [], {})
    with pytest.raises(UnsafeWorkbookError) as caught:
        parse_part(unchecked, "xl/workbook.xml")
    assert caught.value.reason == "xml-bomb"


# --- the file on disk ---------------------------------------------------------------------


def test_missing_file_names_the_folder(tmp_path: Path) -> None:
    error = refusal(tmp_path / "Police return.xlsx")
    assert error.reason == "missing"
    assert str(tmp_path) in error.message


def test_missing_parent_folder(good: Path) -> None:
    # A file used as a folder: the operating system says "not a directory".
    assert refusal(good / "return.xlsx").reason == "missing"


def test_folder(tmp_path: Path) -> None:
    folder = tmp_path / "returns.xlsx"
    folder.mkdir()
    error = refusal(folder)
    assert error.reason == "not-a-file"
    assert "is a folder" in error.message


@pytest.mark.skipif(sys.platform == "win32", reason="needs /dev/null")
def test_device_is_not_a_file() -> None:
    assert refusal(Path("/dev/null")).reason == "not-a-file"


def test_unreadable_file(good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    assert refusal(good).reason == "unreadable"


def test_empty_file(files: Path) -> None:
    error = refusal(bf.make_empty(files))
    assert error.reason == "empty"
    assert "0 bytes" in error.message


def test_file_too_large(good: Path) -> None:
    error = refusal(good, Limits(max_file_bytes=1024))
    assert error.reason == "too-large"
    assert "1 KB limit" in error.message


# --- OLE2 containers ----------------------------------------------------------------------


def test_legacy_xls(files: Path) -> None:
    path = bf.make_xls(files)
    error = refusal(path)
    assert error.reason == "xls"
    assert error.message == (
        "legacy.xls is an Excel 97-2003 workbook (.xls). Open it in Excel and save it as an "
        "Excel Workbook (.xlsx), then send it again."
    )


def test_xls_whose_directory_cannot_be_read_is_still_xls(files: Path) -> None:
    assert refusal(bf.make_xls_header_only(files)).reason == "xls"


def test_password_encrypted_workbook(files: Path) -> None:
    error = refusal(bf.make_encrypted(files))
    assert error.reason == "encrypted"
    assert "protected with a password" in error.message
    assert "File > Info > Protect Workbook > Encrypt with Password" in error.message


def test_encrypted_workbook_with_damaged_directory_found_by_stream_names(files: Path) -> None:
    path = bf.make_encrypted(files, damaged_directory=True)
    error = refusal(path)
    assert error.reason == "encrypted"
    assert "password" in error.message


def test_sensitivity_label_encryption(files: Path) -> None:
    error = refusal(bf.make_rights_managed(files))
    assert error.reason == "encrypted"
    assert "sensitivity label" in error.message


def test_word_97_document_is_not_a_workbook(files: Path) -> None:
    error = refusal(bf.make_word97(files))
    assert error.reason == "not-zip"
    assert "older Office file" in error.message


# --- not a zip ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        (bf.make_csv, "(it looks like a CSV or text file)"),
        (bf.make_pdf, "(it is a PDF)"),
        (bf.make_not_zip, "is not an Excel workbook."),
    ],
)
def test_not_a_zip(files: Path, make: Callable[[Path], Path], hint: str) -> None:
    error = refusal(make(files))
    assert error.reason == "not-zip"
    assert "is not an Excel workbook" in error.message
    assert hint in error.message


# --- damaged or wrong zips ----------------------------------------------------------------


def test_truncated_zip(files: Path, good: Path) -> None:
    error = refusal(bf.make_truncated(files, good))
    assert error.reason == "corrupt-zip"
    assert "is damaged" in error.message


def test_crc_error_in_a_part(files: Path, good: Path) -> None:
    path = bf.make_crc_error(files, good)
    with zipfile.ZipFile(path) as archive:  # the generator really made a CRC error
        assert archive.testzip() == "xl/worksheets/sheet1.xml"
    assert refusal(path).reason == "corrupt-zip"


def test_duplicate_part_names_are_refused(files: Path, good: Path) -> None:
    path = files / "duplicate.xlsx"
    shutil.copy(good, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate: that is the point
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
    assert refusal(path).reason == "corrupt-zip"


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        (bf.make_docx_like, "(it is a Word document)"),
        (bf.make_plain_zip, "is not an Excel workbook."),
        (bf.make_ods_like, "OpenDocument spreadsheet (.ods)"),
        (bf.make_xlsb_like, "Excel Binary Workbook (.xlsb)"),
    ],
)
def test_zip_that_is_not_a_workbook(files: Path, make: Callable[[Path], Path], hint: str) -> None:
    error = refusal(make(files))
    assert error.reason == "not-workbook"
    assert hint in error.message


def test_workbook_without_workbook_part(files: Path, good: Path) -> None:
    path = files / "no-workbook-part.xlsx"
    with zipfile.ZipFile(good) as old, zipfile.ZipFile(path, "w") as new:
        for info in old.infolist():
            if info.filename != "xl/workbook.xml":
                new.writestr(info.filename, old.read(info))
    assert refusal(path).reason == "not-workbook"


def test_strict_open_xml(files: Path, good: Path) -> None:
    error = refusal(bf.make_strict(files, good))
    assert error.reason == "strict-ooxml"
    assert "Strict Open XML Spreadsheet" in error.message


def test_macro_enabled_workbook(files: Path) -> None:
    path = bf.make_xlsm(files)
    with zipfile.ZipFile(path) as archive:
        assert "xl/vbaProject.bin" in archive.namelist()
    error = refusal(path)
    assert error.reason == "macro"
    assert "contains macros" in error.message


def test_macro_content_type_alone_is_refused(files: Path, good: Path) -> None:
    path = files / "macro-type.xlsx"
    macro_type = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    bf.rewrite_zip(
        good,
        path,
        transform={
            "[Content_Types].xml": lambda xml: xml.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                macro_type,
            )
        },
    )
    assert refusal(path).reason == "macro"


# --- zip bombs ----------------------------------------------------------------------------


def test_realistic_zip_bomb(files: Path, good: Path) -> None:
    path = bf.make_zip_bomb(files, good)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet9.xml")
        assert info.file_size == 300 * 1024 * 1024
        assert info.file_size > 1000 * info.compress_size
    error = refusal(path)
    assert error.reason == "zip-bomb"
    assert "expands more than 100 times" in error.message


def test_too_many_parts(files: Path, good: Path) -> None:
    path = bf.make_many_parts(files, good, extra=20)
    open_workbook_safely(path)  # fine with default limits
    error = refusal(path, Limits(max_members=10))
    assert error.reason == "zip-bomb"
    assert "the limit is 10" in error.message


def test_total_expanded_size(good: Path) -> None:
    error = refusal(good, Limits(max_total_uncompressed=2000))
    assert error.reason == "zip-bomb"
    assert "would take up more than" in error.message


def test_compression_ratio(files: Path, good: Path) -> None:
    path = files / "zeros.xlsx"
    bf.rewrite_zip(good, path, add={"xl/media/zeros.bin": bytes(100_000)})
    open_workbook_safely(path)  # under ratio_min_bytes, so allowed
    error = refusal(path, Limits(ratio_min_bytes=50_000, max_ratio=50))
    assert error.reason == "zip-bomb"
    assert "xl/media/zeros.bin expands more than 50 times" in error.message


def test_part_that_lies_about_its_size(files: Path, good: Path) -> None:
    path = bf.make_lying_sizes(files, good)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet9.xml").file_size == 1000
    error = refusal(path)
    assert error.reason == "zip-bomb"
    assert "bigger than the zip says" in error.message


# --- XML bombs ----------------------------------------------------------------------------


def test_billion_laughs_in_workbook_xml(files: Path, good: Path) -> None:
    path = bf.make_xml_bomb(files, good)
    with zipfile.ZipFile(path) as archive:  # a real bomb: the parser sees the entities
        with pytest.raises(EntitiesForbidden):
            DefusedET.fromstring(archive.read("xl/workbook.xml"))
    error = refusal(path)
    assert error.reason == "xml-bomb"
    assert "contains content that is not allowed in a workbook" in error.message


@pytest.mark.parametrize(
    ("part", "encoding"),
    [
        ("xl/worksheets/sheet1.xml", "utf-8"),
        ("xl/worksheets/sheet1.xml", "utf-16"),
        ("[Content_Types].xml", "utf-8"),
        ("xl/_rels/workbook.xml.rels", "utf-8"),
    ],
)
def test_doctype_in_other_parts(files: Path, good: Path, part: str, encoding: str) -> None:
    error = refusal(bf.make_xml_bomb(files, good, part=part, encoding=encoding))
    assert error.reason == "xml-bomb"
    assert f"(in {part})" in error.message


def test_a_part_name_with_a_line_break_still_gives_one_line(files: Path, good: Path) -> None:
    path = files / "odd-part-name.xlsx"
    content = b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><x/>'
    bf.rewrite_zip(good, path, add={"xl/a\nb.xml": content})
    error = refusal(path)
    assert error.reason == "xml-bomb"
    assert "(in xl/a b.xml)" in error.message


def test_utf16_doctype_in_workbook_xml(files: Path, good: Path) -> None:
    path = bf.make_xml_bomb(files, good, encoding="utf-16")
    assert refusal(path).reason == "xml-bomb"


def test_doctype_split_across_read_chunks(files: Path, good: Path) -> None:
    path = bf.make_doctype_across_chunks(files, good, boundary=1024)
    assert refusal(path, Limits(chunk_bytes=1024)).reason == "xml-bomb"


# --- all together -------------------------------------------------------------------------


def test_all_broken_gives_each_expected_reason(tmp_path: Path, good: Path) -> None:
    cases = bf.all_broken(tmp_path, good)
    assert set(cases) == set(REASONS) - {"too-large", "unreadable"}
    for reason, path in cases.items():
        assert refusal(path).reason == reason, path


@pytest.fixture(scope="module")
def originals(files: Path, good: Path) -> dict[str, bytes]:
    return {"xlsx": good.read_bytes(), "cfb": bf.make_encrypted(files).read_bytes()}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_files_are_refused_not_crashed(
    data: st.DataObject, originals: dict[str, bytes], files: Path
) -> None:
    """Whatever bytes are changed or cut, the gate passes the file or refuses it cleanly."""
    damaged = bytearray(originals[data.draw(st.sampled_from(sorted(originals)))])
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(damaged) - 1))
        damaged[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(damaged)))
    path = files / "damaged.xlsx"
    path.write_bytes(bytes(damaged[:cut]))
    try:
        open_workbook_safely(path)
    except UnsafeWorkbookError as error:
        assert error.message.startswith("damaged.xlsx ")


# --- real Excel-made workbooks ------------------------------------------------------------

CORPUS_FILES = sorted(CORPUS.iterdir()) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_FILES, reason=f"no corpus at {CORPUS}")
def test_corpus_xlsx_pass_and_xlsm_are_refused() -> None:
    assert any(p.suffix == ".xlsm" for p in CORPUS_FILES)
    for path in CORPUS_FILES:
        if path.suffix == ".xlsm":
            assert refusal(path).reason == "macro", path
            continue
        workbook = open_workbook_safely(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about features it drops
            loaded = openpyxl.load_workbook(io.BytesIO(workbook.data), read_only=True)
            expected = {name: loaded[name].sheet_state for name in loaded.sheetnames}
            loaded.close()
        assert workbook.sheet_names == list(expected), path
        assert workbook.sheet_states == expected, path


# --- importing a plan table: the allow_* keywords -------------------------------------------


def test_macros_pass_only_when_allowed(files: Path) -> None:
    path = bf.make_xlsm(files)
    assert refusal(path).reason == "macro"
    workbook = open_workbook_safely(path, allow_macros=True)
    assert (workbook.format, workbook.sheet_names) == ("xlsm", ["Return"])
    assert workbook.data == path.read_bytes()


def test_a_plain_workbook_is_still_xlsx_with_every_keyword(good: Path) -> None:
    workbook = open_workbook_safely(good, allow_macros=True, allow_xls=True, allow_ods=True)
    assert workbook.format == "xlsx"
    assert workbook.sheet_names == ["Return", "Lists", "Manifest"]
    assert open_workbook_safely(good).format == "xlsx"


def test_allowing_macros_keeps_every_other_check(files: Path) -> None:
    xlsm = bf.make_xlsm(files)
    bomb = bf.make_xml_bomb(files, xlsm)
    with pytest.raises(UnsafeWorkbookError) as caught:
        open_workbook_safely(bomb, allow_macros=True)
    assert caught.value.reason == "xml-bomb"
    big = bf.make_zip_bomb(files, xlsm, megabytes=30)
    with pytest.raises(UnsafeWorkbookError) as caught:
        open_workbook_safely(big, Limits(max_total_uncompressed=20 * 2**20), allow_macros=True)
    assert caught.value.reason == "zip-bomb"


def test_xls_passes_only_when_allowed(files: Path) -> None:
    path = bf.make_xls(files)
    assert refusal(path).reason == "xls"
    workbook = open_workbook_safely(path, allow_xls=True)
    assert (workbook.format, workbook.sheet_names, workbook.sheet_states) == ("xls", [], {})


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (bf.make_encrypted, "encrypted"),
        (bf.make_rights_managed, "encrypted"),
        (bf.make_word97, "not-zip"),
    ],
)
def test_allowing_xls_still_refuses_other_ole_files(
    files: Path, make: Callable[[Path], Path], reason: str
) -> None:
    with pytest.raises(UnsafeWorkbookError) as caught:
        open_workbook_safely(make(files), allow_xls=True)
    assert caught.value.reason == reason


def _ods(directory: Path, name: str, content: str, *, encrypted: bool = False) -> Path:
    path = directory / name
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        + ('<manifest:encryption-data manifest:checksum="x"/>' if encrypted else "")
        + "</manifest:file-entry></manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


_ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body>'
    '<office:spreadsheet><table:table table:name="Action plan"/><table:table table:name="Key"/>'
    "</office:spreadsheet></office:body></office:document-content>"
)


def test_ods_passes_only_when_allowed(files: Path) -> None:
    path = _ods(files, "plan.ods", _ODS_CONTENT)
    assert refusal(path).reason == "not-workbook"
    workbook = open_workbook_safely(path, allow_ods=True)
    assert workbook.format == "ods"
    assert workbook.sheet_names == ["Action plan", "Key"]
    assert workbook.sheet_states == {"Action plan": "visible", "Key": "visible"}
    content = parse_part(workbook, "content.xml")
    assert content is not None and content.tag.endswith("}document-content")


def test_ods_gets_every_zip_and_xml_check(files: Path) -> None:
    def refused(path: Path, limits: Limits | None = None) -> str:
        with pytest.raises(UnsafeWorkbookError) as caught:
            open_workbook_safely(path, limits or Limits(), allow_ods=True)
        assert caught.value.message.startswith(path.name + " ")
        return caught.value.reason

    doctype = _ODS_CONTENT.replace("?>", '?><!DOCTYPE x [<!ENTITY a "b">]>', 1)
    assert refused(_ods(files, "bomb.ods", doctype)) == "xml-bomb"
    assert refused(_ods(files, "locked.ods", _ODS_CONTENT, encrypted=True)) == "encrypted"
    assert refused(_ods(files, "empty.ods", "<office:document-content/>")) == "corrupt-zip"
    huge = _ods(files, "huge.ods", _ODS_CONTENT + " " * (3 * 2**20))
    assert refused(huge, Limits(max_total_uncompressed=2 * 2**20)) == "zip-bomb"
    assert refused(bf.make_ods_like(files)) == "corrupt-zip"  # no sheet in it
    with zipfile.ZipFile(files / "no-content.ods", "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert refused(files / "no-content.ods") == "not-workbook"


def test_bytes_already_read_pass_the_same_gate_and_a_label_names_them(good: Path) -> None:
    from ipt_excel.excel.safe_open import check_workbook_bytes

    data = good.read_bytes()
    safe = check_workbook_bytes(data, Path("good.xlsx"))
    assert safe.data == data and safe.sha256 == hashlib.sha256(data).hexdigest()
    label = 'x.xlsx (from "RE: Return" in inbox/x.eml)'
    with pytest.raises(UnsafeWorkbookError) as caught:
        check_workbook_bytes(b"a,b\n", Path("x.xlsx"), label=label)
    assert caught.value.message.startswith(label + " is not an Excel workbook")
    assert str(caught.value) == caught.value.message and caught.value.data == b"a,b\n"
    with pytest.raises(UnsafeWorkbookError) as caught:
        check_workbook_bytes(data, Path("x.xlsx"), Limits(max_file_bytes=100))
    assert caught.value.reason == "too-large" and caught.value.data == b""  # only its start
    with pytest.raises(UnsafeWorkbookError) as caught:
        check_workbook_bytes(b"", Path("x.xlsx"))
    assert caught.value.reason == "empty"
