"""Feedback for invalid returns: which ones get a workbook, where it goes, written once.

The workbook itself is built by excel/feedback_writer.py; this module decides whether a
checked file can be sent back (a trusted return of this workspace, not valid), keeps the
feedback folder out of the workspace, and writes the file atomically.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ipt_excel.core.model import Agency, Plan, slugify
from ipt_excel.errors import UsageError, WorkspaceError
from ipt_excel.services.check import CheckResult
from ipt_excel.workspace import DEFAULT_FEEDBACK_DIR, Workspace, atomic_write


def feedback_path(out_dir: Path, agency: Agency, round_name: str) -> Path:
    return out_dir / f"{agency.slug}-{slugify(round_name)}-feedback.xlsx"


def check_feedback_dir(out_dir: Path, workspace: Workspace | Path) -> None:
    """Refuse a feedback folder inside the workspace: the workspace holds only its own files.

    Call it before doing anything else, so a bad --feedback stops a command at once.
    """
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    try:
        ws.guard_output(out_dir, what="feedback folder", folder=True)
    except WorkspaceError as exc:
        raise UsageError(
            f"The feedback folder {out_dir} is inside the workspace {ws.root}. Choose a "
            f"folder outside it, for example --feedback {DEFAULT_FEEDBACK_DIR}."
        ) from exc


def write_feedback(
    result: CheckResult,
    plan: Plan,
    out_dir: Path,
    *,
    created: datetime,
    password: str | None = None,
    workspace: Workspace | None = None,
    taken: set[Path] | None = None,
) -> Path | None:
    """Write the feedback workbook for one checked file; None when there is none to write.

    The file is out_dir/<agency>-<round>-feedback.xlsx, written atomically. `taken` holds the
    paths already written in this batch: a second file from the same agency gets
    <agency>-<round>-feedback-2.xlsx rather than replacing the first one's feedback. An `out_dir`
    inside the workspace (`workspace`, or else the one the result was checked against)
    raises UsageError.
    """
    root = workspace.root if workspace is not None else result.workspace_root
    if root is not None:
        check_feedback_dir(out_dir, root)
    if result.valid or not result.trusted or result.data is None:
        return None
    # Imported here: the writer (and xlsxwriter) load only when there is feedback to write.
    from ipt_excel.excel.feedback_writer import feedback_workbook

    made = feedback_workbook(result.data, result.problems, plan, created=created, password=password)
    if made is None:
        return None
    agency, content = made
    assert result.data.manifest is not None  # a trusted result has one
    path = feedback_path(out_dir, agency, result.data.manifest.round_name)
    if taken is not None:
        n = 1
        while path in taken:
            n += 1
            path = feedback_path(out_dir, agency, result.data.manifest.round_name)
            path = path.with_name(f"{path.stem}-{n}{path.suffix}")
        taken.add(path)
    atomic_write(path, content)
    return path
