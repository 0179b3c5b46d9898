"""Render a workbook to PDF through a headless LibreOffice, when one is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ipt_excel.errors import IptError

INSTALL_HINT = (
    "Install LibreOffice to make PDFs (on Debian or Ubuntu: "
    "apt-get install libreoffice-calc-nogui), then run the command again."
)


class RenderError(IptError):
    """LibreOffice is missing, or did not produce the PDF."""


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
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RenderError(f"No PDF made: LibreOffice took over {timeout:.0f} s.") from exc
        made = outdir / (src.stem + ".pdf")
        # soffice exits 0 even when conversion fails: the file is the only proof.
        if not made.is_file() or made.stat().st_size == 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise RenderError(
                f"No PDF made: LibreOffice could not convert {src.name}"
                + (f" ({detail[-1]})" if detail else "")
                + "."
            )
        pdf.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(made), pdf)
    return pdf
