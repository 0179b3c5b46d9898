"""Render a workbook to PDF through a headless LibreOffice, when one is installed."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ipt_excel.errors import RenderError

INSTALL_HINT = (
    "Install LibreOffice to make PDFs (on Debian or Ubuntu: "
    "apt-get install libreoffice-calc-nogui), then run the command again."
)


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def render_pdf(src: Path, pdf: Path, *, timeout: float = 180) -> Path:
    """Convert `src` to `pdf`. Each call gets its own LibreOffice profile, so calls never
    collide with each other or with a LibreOffice the user has open."""
    soffice = find_soffice()
    if soffice is None:
        raise RenderError(f"No PDF made: LibreOffice is not installed. {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="ipt-render-") as tmp:
        profile = Path(tmp) / "profile"
        outdir = Path(tmp) / "out"
        cmd = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(src),
        ]
        # soffice starts soffice.bin as a child: run it in its own session so a timeout can
        # stop the whole group, not just the launcher.
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RenderError(f"No PDF made: LibreOffice took over {timeout:.0f} s.") from exc
        made = outdir / (src.stem + ".pdf")
        # soffice exits 0 even when conversion fails: the file is the only proof.
        if not made.is_file() or made.stat().st_size == 0:
            detail = (stderr or stdout).strip().splitlines()
            raise RenderError(
                f"No PDF made: LibreOffice could not convert {src.name}"
                + (f" ({detail[-1]})" if detail else "")
                + "."
            )
        pdf.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(made), pdf)
    return pdf
