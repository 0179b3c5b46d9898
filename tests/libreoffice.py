"""Drive a real headless LibreOffice from tests, the way a person at a desk would use it.

A test module that needs LibreOffice imports the marks and the ``lo`` fixture (the import
is what makes the fixture visible to the module)::

    from libreoffice import LIBREOFFICE_MARKS, convert, lo  # noqa: F401 - fixture

    pytestmark = LIBREOFFICE_MARKS

    def test_prints(tmp_path: Path) -> None:
        pdf = convert(workbook, "pdf", tmp_path)

``LIBREOFFICE_MARKS`` applies the ``libreoffice`` marker (so ``pytest -m "not libreoffice"``
leaves these tests out), ``requires_libreoffice``, which skips them when LibreOffice is
missing, and the ``lo`` fixture. With ``IPT_REQUIRE_LIBREOFFICE=1`` (set in CI) a missing
LibreOffice is a failure, raised by ``lo``, so CI cannot pass by skipping.

LibreOffice needs ``soffice`` and Debian's ``python3-uno``. UNO only loads in Debian's own
/usr/bin/python3, so fills run tests/uno_fill.py in that interpreter, not in the virtualenv.
Every call starts its own soffice with a fresh profile, so calls can run in parallel and never
touch the user's own LibreOffice settings.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from uno_fill import write_profile

SYSTEM_PYTHON = "/usr/bin/python3"
UNO_FILL = Path(__file__).with_name("uno_fill.py")
CONVERT_TIMEOUT_S = 120
FILL_TIMEOUT_S = 180
INSTALL_HINT = (
    "LibreOffice (soffice) and Debian's python3-uno are not installed: apt-get install -y "
    "--no-install-recommends libreoffice-calc-nogui python3-uno poppler-utils"
)
REQUIRE_ENV = "IPT_REQUIRE_LIBREOFFICE"


class LibreOfficeError(RuntimeError):
    """LibreOffice did not do what a test asked of it."""


def _have_uno() -> bool:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return False
    try:
        done = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import uno"],
            capture_output=True,
            timeout=30,
            env=_system_python_env(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _system_python_env() -> dict[str, str]:
    # The virtualenv's PYTHONPATH/PYTHONHOME would point Debian's python at the wrong stdlib.
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k not in drop}


SOFFICE: str | None = shutil.which("soffice") or shutil.which("libreoffice")
HAVE_LIBREOFFICE: bool = SOFFICE is not None and _have_uno()
REQUIRE_LIBREOFFICE: bool = os.environ.get(REQUIRE_ENV, "") == "1"

# When LibreOffice is required, never skip: the ``lo`` fixture fails instead.
requires_libreoffice = pytest.mark.skipif(
    not HAVE_LIBREOFFICE and not REQUIRE_LIBREOFFICE, reason=INSTALL_HINT
)
LIBREOFFICE_MARKS = [pytest.mark.libreoffice, requires_libreoffice, pytest.mark.usefixtures("lo")]


@pytest.fixture
def lo() -> str:
    """Path of soffice; fails (rather than skips) when IPT_REQUIRE_LIBREOFFICE=1."""
    if not HAVE_LIBREOFFICE or SOFFICE is None:
        if REQUIRE_LIBREOFFICE:
            pytest.fail(f"{INSTALL_HINT} ({REQUIRE_ENV}=1 is set, so this is a failure)")
        pytest.skip(INSTALL_HINT)
    return SOFFICE


def _soffice() -> str:
    if SOFFICE is None:
        raise LibreOfficeError(INSTALL_HINT)
    return SOFFICE


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _kill_stragglers(marker: str) -> None:
    """Kill processes whose command line holds ``marker`` (our unique profile URL)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def _run(
    cmd: list[str],
    *,
    timeout: float,
    input_: bytes | None = None,
    env: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """Run ``cmd`` in its own process group; on timeout kill the whole group and raise."""
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if input_ is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )
    try:
        out, err = proc.communicate(input_, timeout=timeout)
    except subprocess.TimeoutExpired:
        # SIGTERM first so uno_fill.py can stop its own soffice; then make sure.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            out, err = b"", b""
        _kill_group(proc)
        raise LibreOfficeError(
            f"{Path(cmd[0]).name} took longer than {timeout:g} seconds and was stopped.\n"
            f"stdout: {out.decode(errors='replace')}\nstderr: {err.decode(errors='replace')}"
        ) from None
    finally:
        if proc.returncode is None:
            _kill_group(proc)
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def convert(src: Path, fmt: str, outdir: Path, *, locale: str = "en-GB") -> Path:
    """Convert ``src`` with ``soffice --convert-to fmt`` into ``outdir``; return the new file.

    ``fmt`` is what --convert-to takes, e.g. "pdf", "csv" or "xlsx:Calc MS Excel 2007 XML".
    soffice exits 0 even when conversion fails, so success means a non-empty output file.
    """
    src = Path(src).resolve()
    outdir = Path(outdir).resolve()
    if not src.is_file():
        raise LibreOfficeError(f"Cannot convert {src}: the file does not exist")
    outdir.mkdir(parents=True, exist_ok=True)
    ext = fmt.split(":", 1)[0]
    out = outdir / f"{src.stem}.{ext}"
    if out == src:
        raise LibreOfficeError(f"Converting {src} to {fmt} in {outdir} would overwrite it")
    out.unlink(missing_ok=True)  # a stale file would hide a failed conversion

    profile = Path(tempfile.mkdtemp(prefix="ipt-lo-convert-"))
    try:
        profile_url = write_profile(profile, locale)
        cmd = [
            _soffice(),
            "--headless",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation={profile_url}",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(src),
        ]
        try:
            code, stdout, stderr = _run(cmd, timeout=CONVERT_TIMEOUT_S)
        finally:
            _kill_stragglers(profile_url)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if not out.is_file() or out.stat().st_size == 0:
        raise LibreOfficeError(
            f"LibreOffice did not convert {src} to {fmt} (exit code {code}).\n"
            f"stdout: {stdout}\nstderr: {stderr}"
        )
    return out


def pdf_page_count(pdf: Path) -> int:
    """Number of pages in ``pdf``, from poppler's pdfinfo."""
    code, stdout, stderr = _run(["pdfinfo", str(pdf)], timeout=60)
    if code != 0:
        raise LibreOfficeError(f"pdfinfo could not read {pdf}: {stderr}")
    for line in stdout.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Pages":
            return int(value)
    raise LibreOfficeError(f"pdfinfo gave no page count for {pdf}:\n{stdout}")


def pdf_to_png(
    pdf: Path, out_prefix: Path, first_page: int = 1, last_page: int = 1, dpi: int = 80
) -> list[Path]:
    """Render pages ``first_page``..``last_page`` of ``pdf`` to PNGs named ``out_prefix-N.png``."""
    out_prefix = Path(out_prefix)
    out_prefix.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        "pdftoppm",
        "-png",
        "-r",
        str(dpi),
        "-f",
        str(first_page),
        "-l",
        str(last_page),
        str(pdf),
        str(out_prefix),
    ]
    code, _, stderr = _run(cmd, timeout=120)
    # pdftoppm pads page numbers to the width of the page count (page-1.png or page-01.png).
    pngs = sorted(
        p
        for p in out_prefix.parent.glob(f"{out_prefix.name}-*.png")
        if p.stem.rpartition("-")[2].isdigit()
    )
    if code != 0 or not pngs:
        raise LibreOfficeError(f"pdftoppm could not render {pdf} (exit code {code}): {stderr}")
    return pngs


def fill_with_libreoffice(
    src: Path,
    dst: Path,
    edits: list[dict[str, Any]],
    *,
    sheet: str = "Return",
    unprotect: bool | str = False,
    locale: str = "en-GB",
    read: list[str] | None = None,
) -> dict[str, Any]:
    """Open ``src`` in LibreOffice, make ``edits`` on ``sheet`` as a person would, save to ``dst``.

    Each edit is ``{"cell": "B2", "text": "26/06/2012"}`` (typed, read in ``locale``),
    ``{"cell": ..., "formula": "=SUM(A1:A3)"}`` or ``{"cell": ..., "string": "literal"}``.
    Edits of locked cells on a protected sheet are refused, as LibreOffice refuses a person;
    ``unprotect=True`` (or a password) removes the protection first. Returns the result of
    tests/uno_fill.py: per-edit results under "edits", "sheets", "protected" and the values of
    the edited and ``read`` cells under "cells".
    """
    profile = Path(tempfile.mkdtemp(prefix="ipt-lo-fill-"))
    job = {
        "src": str(Path(src).resolve()),
        "dst": str(Path(dst).resolve()),
        "sheet": sheet,
        "edits": edits,
        "read": read or [],
        "unprotect": unprotect,
        "locale": locale,
        "profile_dir": str(profile),
        "pipe_name": f"ipt_lo_{uuid.uuid4().hex}",
    }
    try:
        code, stdout, stderr = _run(
            [SYSTEM_PYTHON, str(UNO_FILL)],
            timeout=FILL_TIMEOUT_S,
            input_=json.dumps(job).encode(),
            env=_system_python_env(),
        )
    finally:
        _kill_stragglers(profile.resolve().as_uri())
        shutil.rmtree(profile, ignore_errors=True)
    try:
        result: dict[str, Any] = json.loads(stdout)
    except json.JSONDecodeError:
        raise LibreOfficeError(
            f"uno_fill.py gave no result for {src} (exit code {code}).\n"
            f"stdout: {stdout}\nstderr: {stderr}"
        ) from None
    if code != 0 or "error" in result:
        raise LibreOfficeError(
            f"LibreOffice could not fill {src}: {result.get('error')}\nstderr: {stderr}"
        )
    return result


# -- reading a PDF without depending on fonts ------------------------------------------------------
# Where a cell's text wraps depends on the font a machine draws Arial with (Liberation Sans,
# DejaVu Sans, Carlito for Calibri...), and pdftotext interleaves a cell's wrapped lines with
# its neighbours' and joins a word broken at a hyphen to whatever text comes next. So tests
# match words, as drawn, or text that is on one line whatever the font (a heading, a footer);
# never a sentence from a cell.


def pdf_text(pdf: Path, page: int | None = None) -> str:
    """The PDF's text (one page, or all), with every run of whitespace made one space."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    code, stdout, stderr = _run(["pdftotext", *pages, str(pdf), "-"], timeout=60)
    if code != 0:
        raise LibreOfficeError(f"pdftotext could not read {pdf}: {stderr}")
    return " ".join(stdout.split())


def pdf_words(pdf: Path, page: int | None = None) -> set[str]:
    """Every word drawn on the PDF's pages (one page, or all), split as `words` splits."""
    return words(" ".join(text for text, _, _ in pdf_word_boxes(pdf, page)))


def pdf_word_boxes(pdf: Path, page: int | None = None) -> list[tuple[str, float, float]]:
    """Every word drawn on the pages (one page, or all) as drawn, with where it starts: (text,
    left, top) in points from the page's top left corner."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    code, stdout, stderr = _run(["pdftotext", "-tsv", *pages, str(pdf), "-"], timeout=60)
    if code != 0:
        raise LibreOfficeError(f"pdftotext could not read {pdf}: {stderr}")
    boxes = []
    for line in stdout.splitlines()[1:]:
        cells = line.split("\t")
        if cells[0] == "5" and len(cells) >= 12:  # level 5: a word
            boxes.append((cells[11], float(cells[6]), float(cells[7])))
    return boxes


def words(text: str) -> set[str]:
    """The words of `text`, split at hyphens and slashes as well as spaces (a line may break
    after either)."""
    return {w for w in re.split(r"[\s/\-‐–—]+", text) if w}


def pdf_page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Each page's width and height in points, from pdfinfo."""
    code, stdout, stderr = _run(["pdfinfo", "-f", "1", "-l", "100000", str(pdf)], timeout=60)
    if code != 0:
        raise LibreOfficeError(f"pdfinfo could not read {pdf}: {stderr}")
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", stdout, re.MULTILINE)
    return [(float(w), float(h)) for w, h in sizes]


def pdf_ink(pdf: Path, outdir: Path, dpi: int = 20) -> list[float]:
    """The share of each page that is not white (0 for a blank page), rendered in grey at
    `dpi`: a measure of how full a page is that no font changes much."""
    outdir.mkdir(parents=True, exist_ok=True)
    prefix = outdir / "ink"
    code, _, stderr = _run(
        ["pdftoppm", "-gray", "-r", str(dpi), str(pdf), str(prefix)], timeout=120
    )
    pages = sorted(outdir.glob("ink-*.pgm"), key=lambda p: int(p.stem.rpartition("-")[2]))
    if code != 0 or not pages:
        raise LibreOfficeError(f"pdftoppm could not render {pdf} (exit code {code}): {stderr}")
    return [_dark_share(p.read_bytes()) for p in pages]


def _dark_share(pgm: bytes) -> float:
    """The share of pixels darker than near-white in a binary PGM (P5, 8 bits) image."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, maxval; '#' starts a comment
        while pgm[pos : pos + 1].isspace():
            pos += 1
        if pgm[pos : pos + 1] == b"#":
            pos = pgm.index(b"\n", pos) + 1
            continue
        end = pos
        while not pgm[end : end + 1].isspace():
            end += 1
        fields.append(pgm[pos:end])
        pos = end
    if fields[0] != b"P5" or int(fields[3]) > 255:
        raise LibreOfficeError("not an 8-bit binary PGM image")
    width, height = int(fields[1]), int(fields[2])
    pixels = pgm[pos + 1 : pos + 1 + width * height]
    return sum(1 for v in pixels if v < 230) / max(len(pixels), 1)
