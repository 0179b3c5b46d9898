"""The circulation copy: the master as boards and partners should receive it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ipt_excel.errors import RenderError, UsageError
from ipt_excel.excel.master_writer import write_master
from ipt_excel.services.master import current_plan, extras_from_ledger
from ipt_excel.services.render import render_pdf
from ipt_excel.workspace import Workspace, atomic_write
from ipt_excel.workspace.ledger import Ledger


@dataclass(frozen=True)
class CirculateResult:
    path: Path
    pdf: Path | None
    pdf_note: str  # why there is no PDF, when one was asked for and not made


def circulate(
    ws: Workspace, *, out: Path | None = None, pdf: bool = False, now: datetime
) -> CirculateResult:
    """Write the read-only, accessible copy of the current master (and a PDF if asked)."""
    ws.require()
    if out is not None and out.suffix.lower() == ".pdf":
        raise UsageError(
            f"The circulation copy {out} must end in .xlsx, for example "
            f"{out.with_suffix('.xlsx').name}. For a PDF as well, add --pdf: it is written "
            f"beside the copy."
        )
    if out is not None:  # before any work: a slip in the name is caught at once
        ws.guard_output(
            out, what="circulation copy", allowed=ws.root / "circulation", suffixes=(".xlsx",)
        )
    plan = current_plan(ws, repair=True)
    with Ledger(ws.ledger_path) as ledger:
        extras = extras_from_ledger(ledger, plan, as_of=now.date())  # overdue as at now
    data = write_master(plan, extras, created=now, circulation=True)
    path = out or ws.circulation_path(plan.round.slug)
    ws.guard_output(
        path, what="circulation copy", allowed=ws.root / "circulation", suffixes=(".xlsx",)
    )
    atomic_write(path, data)
    if not pdf:
        return CirculateResult(path, None, "")
    try:
        return CirculateResult(path, render_pdf(path, path.with_suffix(".pdf")), "")
    except RenderError as exc:
        return CirculateResult(path, None, str(exc))
