"""Render the README's pictures from real output: run the demo, convert through LibreOffice.

Usage: python docs/render_pictures.py   (needs LibreOffice and poppler-utils)

Writes docs/return-plan-text.png and docs/return-updates.png (pages 1 and 2 of a return: the
plan text, then the update cells and the sign-off), docs/master.png (the merged master's Plan
sheet, its second page width: this round's changes), docs/what-to-fix.png and
docs/feedback.png (a rejected return's feedback: its "What to fix" sheet, then its marked
update cells), docs/summary.png and docs/summary-returns.png (the circulation copy's Summary:
its first page, and the returns this round beside it).

The pictures are made with the fonts .ci/run installs: Liberation Sans (fonts-liberation2)
draws Arial, the workbooks' font, with Arial's widths, so a page looks as it prints from
Excel. With another font standing in, text wraps elsewhere and the pictures differ.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from ipt_excel.services.demo import run_demo  # noqa: E402
from ipt_excel.services.render import render_pdf  # noqa: E402


def png(
    pdf: Path, out: Path, *, page: int, dpi: int, crop: tuple[int, int, int, int] | None
) -> None:
    """Page `page` of `pdf` to `out`; crop is (x, y, width, height) in pixels at `dpi`."""
    cmd = ["pdftoppm", "-png", "-singlefile", "-r", str(dpi), "-f", str(page), "-l", str(page)]
    if crop:
        x, y, w, h = crop
        cmd += ["-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h)]
    subprocess.run([*cmd, str(pdf), str(out.with_suffix(""))], check=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = run_demo(Path(tmp) / "demo")
        pdfs = Path(tmp) / "pdf"
        ret = render_pdf(result.returns_dir / "health.xlsx", pdfs / "return.pdf")
        png(ret, DOCS / "return-plan-text.png", page=1, dpi=80, crop=None)
        png(ret, DOCS / "return-updates.png", page=2, dpi=80, crop=None)
        master = render_pdf(result.master, pdfs / "master.pdf")
        png(master, DOCS / "master.png", page=2, dpi=100, crop=(15, 50, 1090, 610))
        feedback = render_pdf(
            result.feedback / "ruh-third-review-of-progress-feedback.xlsx", pdfs / "fb.pdf"
        )
        png(feedback, DOCS / "what-to-fix.png", page=1, dpi=80, crop=(0, 0, 935, 320))
        png(feedback, DOCS / "feedback.png", page=3, dpi=80, crop=None)
        circ = render_pdf(result.circulation, pdfs / "circ.pdf")
        png(circ, DOCS / "summary.png", page=1, dpi=80, crop=None)
        png(circ, DOCS / "summary-returns.png", page=2, dpi=80, crop=None)
    print("Wrote the pictures in", DOCS)


if __name__ == "__main__":
    main()
