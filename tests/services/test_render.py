"""PDFs through a headless LibreOffice: a real conversion, and a stand-in soffice for failures."""

from __future__ import annotations

import io
import os
import shutil
import signal
import stat
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter
from libreoffice import LIBREOFFICE_MARKS, lo, pdf_page_count  # noqa: F401 - fixture

from ipt_excel.errors import IptError, RenderError
from ipt_excel.excel.master_writer import write_master
from ipt_excel.services import render
from ipt_excel.services.plan_source import example_plan_path, load_plan
from ipt_excel.services.render import find_soffice, render_pdf


def _workbook(path: Path) -> Path:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Plan")
    ws.write_row(0, 0, ["ID", "Progress", "RAG"])
    ws.write_row(1, 0, ["1.1", "Protocol agreed.", "GREEN"])
    wb.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return path


def _fake_soffice(tmp_path: Path, body: str) -> Path:
    """A stand-in soffice: a shell script. It logs its arguments, one per line, to args.log."""
    script = tmp_path / "bin" / "soffice"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(
        "#!/bin/sh\n"
        f'for a in "$@"; do echo "$a" >> "{tmp_path}/args.log"; done\n'
        # The two arguments after --outdir and the source are the last two.
        'for a in "$@"; do prev2="$prev1"; prev1="$a"; done\n'
        'outdir="$prev2"; src="$prev1"\n'
        'stem=$(basename "$src"); stem="${stem%.*}"\n' + body
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def _use(monkeypatch: pytest.MonkeyPatch, soffice: Path | None) -> None:
    monkeypatch.setattr(render, "find_soffice", lambda: None if soffice is None else str(soffice))


# -- finding LibreOffice --------------------------------------------------------------------------
def test_find_soffice_tries_soffice_then_libreoffice(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def which(name: str) -> str | None:
        asked.append(name)
        return "/opt/lo/libreoffice" if name == "libreoffice" else None

    monkeypatch.setattr(shutil, "which", which)
    assert find_soffice() == "/opt/lo/libreoffice"
    assert asked == ["soffice", "libreoffice"]
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert find_soffice() is None


def test_without_libreoffice_it_says_so_and_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, None)
    with pytest.raises(RenderError) as err:
        render_pdf(_workbook(tmp_path / "plan.xlsx"), tmp_path / "plan.pdf")
    assert isinstance(err.value, IptError)  # so the CLI reports it, not a traceback
    assert str(err.value).startswith("No PDF made: LibreOffice is not installed.")
    assert "apt-get install libreoffice-calc-nogui" in str(err.value)
    assert not (tmp_path / "plan.pdf").exists()


# -- with a stand-in soffice ----------------------------------------------------------------------
def test_converts_with_a_private_profile_and_moves_the_pdf_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(
        monkeypatch,
        _fake_soffice(
            tmp_path, 'mkdir -p "$outdir"; echo "%PDF-1.4 $stem" > "$outdir/$stem.pdf"\n'
        ),
    )
    src = _workbook(tmp_path / "in" / "circulation copy.xlsx")
    out = tmp_path / "new" / "folder" / "board.pdf"
    assert render_pdf(src, out) == out
    assert out.read_text() == "%PDF-1.4 circulation copy\n"
    args = (tmp_path / "args.log").read_text().splitlines()
    assert args[args.index("--convert-to") + 1] == "pdf"
    assert "--headless" in args and "--norestore" in args
    assert args[-1] == str(src)
    profile = next(a for a in args if a.startswith("-env:UserInstallation=file://"))
    # The profile and the scratch output folder are temporary: both are gone afterwards.
    scratch = Path(args[args.index("--outdir") + 1])
    assert not scratch.exists()
    assert not Path(profile.split("file://", 1)[1]).exists()


def test_each_conversion_gets_its_own_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, _fake_soffice(tmp_path, 'mkdir -p "$outdir"; echo x > "$outdir/$stem.pdf"\n'))
    src = _workbook(tmp_path / "plan.xlsx")
    render_pdf(src, tmp_path / "a.pdf")
    render_pdf(src, tmp_path / "b.pdf")
    args = (tmp_path / "args.log").read_text().splitlines()
    profiles = [a for a in args if a.startswith("-env:UserInstallation=")]
    assert len(profiles) == 2 and profiles[0] != profiles[1]


def test_no_output_is_a_failure_even_when_soffice_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(
        monkeypatch,
        _fake_soffice(tmp_path, 'echo "Error: source file could not be loaded" >&2\nexit 0\n'),
    )
    with pytest.raises(RenderError) as err:
        render_pdf(_workbook(tmp_path / "plan.xlsx"), tmp_path / "plan.pdf")
    assert str(err.value) == (
        "No PDF made: LibreOffice could not convert plan.xlsx "
        "(Error: source file could not be loaded)."
    )
    assert not (tmp_path / "plan.pdf").exists()


def test_an_empty_pdf_is_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, _fake_soffice(tmp_path, 'mkdir -p "$outdir"; : > "$outdir/$stem.pdf"\n'))
    with pytest.raises(
        RenderError, match=r"^No PDF made: LibreOffice could not convert plan\.xlsx\.$"
    ):
        render_pdf(_workbook(tmp_path / "plan.xlsx"), tmp_path / "plan.pdf")
    assert not (tmp_path / "plan.pdf").exists()


def test_a_hung_libreoffice_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, _fake_soffice(tmp_path, "exec sleep 60\n"))
    with pytest.raises(RenderError, match=r"^No PDF made: LibreOffice took over 1 s\.$"):
        render_pdf(_workbook(tmp_path / "plan.xlsx"), tmp_path / "plan.pdf", timeout=1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()


def test_a_timeout_stops_libreoffice_s_child_processes_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Like the real soffice script: a launcher that starts soffice.bin and waits for it.
    pid_file = tmp_path / "child.pid"
    _use(
        monkeypatch,
        _fake_soffice(
            tmp_path, f'sleep 60 >/dev/null 2>&1 </dev/null &\necho $! > "{pid_file}"\nwait\n'
        ),
    )
    try:
        with pytest.raises(RenderError, match="took over"):
            render_pdf(_workbook(tmp_path / "plan.xlsx"), tmp_path / "plan.pdf", timeout=1)
        child = int(pid_file.read_text())
        assert not _alive(child), "LibreOffice's child process was left running"
    finally:
        if pid_file.exists() and _alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


# -- the real LibreOffice -------------------------------------------------------------------------
def _lo(fn: Callable[..., None]) -> Callable[..., None]:
    """The harness marks, on one test: the rest of the module needs no LibreOffice."""
    for mark in LIBREOFFICE_MARKS:
        fn = mark(fn)
    return fn


@_lo
def test_real_libreoffice_makes_a_pdf_of_the_master(tmp_path: Path) -> None:
    plan = load_plan(example_plan_path())
    src = tmp_path / "with space" / "master.xlsx"
    src.parent.mkdir()
    src.write_bytes(write_master(plan, created=datetime(2012, 7, 2, 10, 0)))
    pdf = render_pdf(src, tmp_path / "out" / "master.pdf")
    assert pdf == tmp_path / "out" / "master.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf_page_count(pdf) >= 2


@_lo
def test_real_libreoffice_conversions_can_run_at_the_same_time(tmp_path: Path) -> None:
    sources = [_workbook(tmp_path / f"plan{i}.xlsx") for i in range(3)]
    errors: list[BaseException] = []

    def convert(src: Path) -> None:
        try:
            render_pdf(src, src.with_suffix(".pdf"))
        except BaseException as exc:  # collected and re-raised by the test
            errors.append(exc)

    threads = [threading.Thread(target=convert, args=(s,)) for s in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for s in sources:
        assert pdf_page_count(s.with_suffix(".pdf")) == 1
