"""`ipt check`: read returned files, identify and validate each one, and report.

This is the I/O edge around the pure validator: it reads the master, the signing key and the
ledger once, then passes every file through the safe-open gate, the return reader and
validate.validate_return. Nothing in the workspace is written: the ledger is only read, and
the workspace lock (which writes a pid file) is not taken.

The paths given pass through the intake first (ipt_excel/intake): a folder is expanded, an
e-mail (.eml, .msg, mbox) gives each workbook attached, and every file is read once; the gate
is given those bytes. Every file gets a CheckResult. A file refused as a whole (not a
workbook, macros, no manifest, damaged, an e-mail with no return attached, ...) has exactly
one problem row, with its file name, an empty sheet and cell, and the reason code as its
rule, so the report alone says what happened to every file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ipt_excel.core.columns import DEFAULT_COLUMNS, ColumnSet
from ipt_excel.core.problems import PROBLEM_HEADERS, Problem, Severity
from ipt_excel.core.rule_codes import UNTRUSTED, Rule
from ipt_excel.core.text import plural
from ipt_excel.core.validate import (
    ToValidate,
    file_problem,
    no_manifest_message,
    validate_returns,
)
from ipt_excel.errors import UsageError, WorkspaceError
from ipt_excel.workspace import Workspace, atomic_write

if TYPE_CHECKING:
    from ipt_excel.core.merge import AcceptedReturn
    from ipt_excel.core.model import Plan
    from ipt_excel.core.records import IssuedRecord
    from ipt_excel.core.returned import ReturnData
    from ipt_excel.intake import IntakeLimits, Mail, Received

UNTRUSTED_RULES = UNTRUSTED
UNEXPECTED_RULE = Rule.UNEXPECTED_ERROR
OK_RULE = Rule.OK
REPORT_VALUE_LIMIT = 1000  # characters of "Value found" in a report; the cell says the rest
_REPORT_WIDTHS = {
    "file": 26,
    "agency": 22,
    "sheet": 9,
    "cell": 7,
    "area_id": 6,
    "column": 18,
    "severity": 9,
    "rule": 18,
    "value": 32,
    "message": 70,
}
# A CSV cell starting with one of these is run as a formula by Excel when the CSV is opened.
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CheckResult:
    path: Path
    file_name: str
    sha256: str  # of the file's bytes; "" when it could not be read
    agency: str  # Agency key from the signed manifest, "" when unknown or not signed
    agency_name: str
    round: str  # round name from the manifest, "" when unknown
    problems: tuple[Problem, ...]
    accepted: AcceptedReturn | None  # set only for a valid return
    data: ReturnData | None  # what the reader found; None for a file refused as a whole
    workspace_root: Path | None = None  # the workspace it was checked against
    content: bytes = field(default=b"", repr=False)  # exactly the bytes that were checked
    mail: Mail | None = None  # the e-mail it came in (kept in the archive too), if it did

    @property
    def columns(self) -> ColumnSet:
        """The columns the return was issued with (the default set when unknown)."""
        m = self.data.manifest if self.data is not None else None
        return m.columns if m is not None else DEFAULT_COLUMNS

    @property
    def valid(self) -> bool:
        return self.accepted is not None and not any(p.is_error for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.is_error)

    @property
    def trusted(self) -> bool:
        """Read as a return whose signed manifest is the latest issued for this round."""
        return (
            self.data is not None
            and self.data.manifest is not None
            and not any(p.rule in UNTRUSTED_RULES for p in self.problems)
        )

    @property
    def summary(self) -> str:
        """One line for the report's row about a valid file."""
        if not self.valid:
            return f"Not accepted: {plural(len(self.errors), 'error')} to fix."
        if self.warnings:
            return (
                f"No errors found. {plural(len(self.warnings), 'warning')} to look at: they do "
                f"not stop it being merged."
            )
        return "No problems found."


@dataclass(frozen=True)
class _Context:
    plan: Plan
    key: bytes
    current_round: str
    issued: dict[str, IssuedRecord]  # agency key -> latest return issued for the current round
    today: date
    root: Path


def _load(ws: Workspace, today: date, plan: Plan | None = None) -> _Context:
    from ipt_excel.services.master import current_plan
    from ipt_excel.workspace.ledger import Ledger

    ws.require()
    key = ws.key()
    if not ws.ledger_path.is_file():
        # Opening a missing ledger would create it: a check must change nothing.
        raise WorkspaceError(
            f"The workspace's ledger {ws.ledger_path} is missing, so returns cannot be matched "
            f"to what was issued. Restore it from a backup."
        )
    if plan is None:
        plan = current_plan(ws, repair=False)
    with Ledger(ws.ledger_path) as ledger:  # read only: no method that writes is called
        current = ledger.current_round()
        current_round = current.name if current is not None else plan.round.name
        issued = {r.agency: r for r in ledger.issued(current_round)}
    return _Context(plan, key, current_round, issued, today, ws.root)


def _sha256_of_bytes(data: bytes) -> str:
    """The hash of a refused file, for the record; "" when none of it was read."""
    return hashlib.sha256(data).hexdigest() if data else ""


def _sha256_of(item: Received, data: bytes) -> str:
    """The hash of a refused file: of the bytes read, else of the file given as is (an empty
    one, or one too large to keep, is hashed as it is on disk), "" when it cannot be read."""
    if data or item.mail is not None:
        return _sha256_of_bytes(data)
    digest = hashlib.sha256()
    if not item.path.is_file():  # a folder, a missing file, or a pipe that would block a read
        return ""
    try:
        with item.path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def _refused(
    path: Path,
    name: str,
    sha256: str,
    rule: str,
    message: str,
    root: Path,
    content: bytes = b"",
    mail: Mail | None = None,
) -> CheckResult:
    return CheckResult(
        content=content,
        mail=mail,
        path=path,
        file_name=name,
        sha256=sha256,
        agency="",
        agency_name="",
        round="",
        problems=(file_problem(name, rule, message),),
        accepted=None,
        data=None,
        workspace_root=root,
    )


@dataclass(frozen=True)
class _Read:
    """A file read as a return, waiting for the validator."""

    path: Path
    file_name: str
    sha256: str
    content: bytes
    data: ReturnData
    mail: Mail | None = None


def _read_one(item: Received, ctx: _Context) -> CheckResult | _Read:
    """The file through the gate and the reader: a refusal, or what the validator needs."""
    from ipt_excel.core.rounds import MANIFEST_SHEET
    from ipt_excel.errors import ReturnReadError, UnsafeWorkbookError
    from ipt_excel.excel.return_reader import read_return
    from ipt_excel.excel.safe_open import check_workbook_bytes

    path, name, mail = item.path, item.label, item.mail
    if item.refusal is not None:  # nothing to check: a file or an e-mail refused as a whole
        sha = _sha256_of(item, item.data or (mail.data if mail else b""))
        return _refused(
            path, name, sha, item.refusal.rule, item.refusal.message, ctx.root, item.data, mail
        )
    try:
        safe = check_workbook_bytes(item.data, path, label=name if mail else None)
    except UnsafeWorkbookError as exc:
        sha = _sha256_of(item, exc.data)
        return _refused(path, name, sha, exc.reason, exc.message, ctx.root, exc.data, mail)
    # The gate lists the sheets without parsing any: a workbook with no manifest sheet (the
    # template, any other spreadsheet) is refused before the reader reads it.
    if not any(s.casefold() == MANIFEST_SHEET.casefold() for s in safe.sheet_names):
        return _refused(
            path,
            name,
            safe.sha256,
            Rule.NO_MANIFEST,
            no_manifest_message(name),
            ctx.root,
            safe.data,
            mail,
        )
    try:
        data = read_return(safe, name)
    except ReturnReadError as exc:
        return _refused(
            path, name, safe.sha256, Rule.NOT_A_RETURN, str(exc), ctx.root, safe.data, mail
        )
    except Exception:  # a damaged file must give a row, never a traceback
        return _refused(
            path,
            name,
            safe.sha256,
            Rule.UNREADABLE_WORKBOOK,
            f"{name} is damaged and could not be read as a return. Open it in Excel, save it "
            f"as an Excel Workbook (.xlsx) and send it again, or send back the return you "
            f"were sent.",
            ctx.root,
            safe.data,
            mail,
        )
    return _Read(path, name, safe.sha256, safe.data, data, mail)


def _to_validate(read: _Read, ctx: _Context) -> ToValidate:
    m = read.data.manifest
    return ToValidate(read.data, ctx.issued.get(m.agency) if m is not None else None, read.sha256)


def _result(
    read: _Read, ctx: _Context, problems: list[Problem], accepted: AcceptedReturn | None
) -> CheckResult:
    m = read.data.manifest
    # Who the file is from is known only when its manifest is signed by this workspace.
    if m is not None and any(p.rule == Rule.SIGNATURE for p in problems):
        m = None
    agency_name = ""
    if m is not None:
        try:
            agency_name = ctx.plan.agency(m.agency).name
        except KeyError:
            agency_name = ""
    return CheckResult(
        path=read.path,
        file_name=read.file_name,
        sha256=read.sha256,
        agency=m.agency if m is not None else "",
        agency_name=agency_name or (m.agency_name if m is not None else ""),
        round=m.round_name if m is not None else "",
        problems=tuple(problems),
        accepted=accepted,
        data=read.data,
        workspace_root=ctx.root,
        content=read.content,
        mail=read.mail,
    )


def _validate(reads: list[_Read], ctx: _Context) -> list[CheckResult]:
    """Validate every return read, the value rules batched (validate.validate_returns).
    Should the batch fail on a fault of ours, each return is validated alone, so the fault
    is a row for the file that causes it and the others are checked as usual."""
    try:
        verdicts = _verdicts(reads, ctx)
    except Exception:
        return [_validate_alone(r, ctx) for r in reads]
    return [_result(r, ctx, *v) for r, v in zip(reads, verdicts, strict=True)]


def _verdicts(
    reads: list[_Read], ctx: _Context
) -> list[tuple[list[Problem], AcceptedReturn | None]]:
    return validate_returns(
        [_to_validate(r, ctx) for r in reads],
        plan=ctx.plan,
        key=ctx.key,
        current_round=ctx.current_round,
        today=ctx.today,
    )


def _validate_alone(read: _Read, ctx: _Context) -> CheckResult:
    try:
        (verdict,) = _verdicts([read], ctx)
    except Exception as exc:
        return _refused(
            read.path,
            read.file_name,
            read.sha256,
            UNEXPECTED_RULE,
            unexpected_message(read.file_name, exc),
            ctx.root,
            read.content,
            read.mail,
        )
    return _result(read, ctx, *verdict)


def check_files(
    ws: Workspace,
    paths: Sequence[Path],
    *,
    today: date | None = None,
    plan: Plan | None = None,
) -> list[CheckResult]:
    """Check each file against the workspace; one CheckResult per file received, in order.

    A path may be a workbook, a saved e-mail (.eml, .msg, mbox: one result for each workbook
    attached, or one for the e-mail when it has none) or a folder of these (see
    ipt_excel/intake). `plan` is the master's plan when the caller has already read it
    (read once, used twice).
    Raises WorkspaceError (or PlanFileError for a master that cannot be read) when the
    workspace cannot be used; a problem with a file is always a row in its result.
    """
    from ipt_excel.intake import gather

    ctx = _load(ws, today or date.today(), plan)
    read = [_read_guarded(item, ctx) for item in gather([Path(p) for p in paths], intake_limits())]
    reads = [r for r in read if isinstance(r, _Read)]
    checked = iter(_validate(reads, ctx)) if reads else iter(())
    return [next(checked) if isinstance(r, _Read) else r for r in read]


def intake_limits() -> IntakeLimits:
    """The intake's limits, with a workbook's size the gate's own."""
    from ipt_excel.excel.safe_open import Limits
    from ipt_excel.intake import IntakeLimits

    return IntakeLimits(max_attachment_bytes=Limits().max_file_bytes)


def _read_guarded(item: Received, ctx: _Context) -> CheckResult | _Read:
    """Read one file; whatever goes wrong with it is a row for it, never the batch's end."""
    try:
        return _read_one(item, ctx)
    except Exception as exc:  # one agency's file must never stop the others being checked
        name = item.label
        return _refused(
            item.path,
            name,
            _sha256_of(item, item.data),
            UNEXPECTED_RULE,
            unexpected_message(name, exc),
            ctx.root,
            item.data,
            item.mail,
        )


def unexpected_message(name: str, exc: BaseException) -> str:
    return (
        f"{name} could not be checked because of a fault in ipt_excel "
        f"({type(exc).__name__}). The other files were checked as usual. Report the fault "
        f"with a copy of the file, and ask the agency to send its return again."
    )


# -- the report ---------------------------------------------------------------------------------
def _report_rows(results: Sequence[CheckResult]) -> list[Problem]:
    """Every problem of every file, plus one "ok" row for each valid file, in file order.

    The "ok" rows exist only for the report (their severity is shown empty there).
    """
    rows: list[Problem] = []
    for r in results:
        rows.extend(r.problems)
        if r.valid:
            rows.append(
                Problem(
                    file=r.file_name,
                    sheet="",
                    cell="",
                    column="",
                    rule=OK_RULE,
                    value="",
                    message=r.summary,
                    agency=r.agency_name,
                )
            )
    return rows


def report_table(results: Sequence[CheckResult]) -> tuple[list[str], list[list[str]]]:
    """The report's headings and rows, as text. An "ok" row has an empty severity."""
    headings = list(PROBLEM_HEADERS.values())
    rows: list[list[str]] = []
    for p in _report_rows(results):
        row: list[str] = []
        for key in PROBLEM_HEADERS:
            value = getattr(p, key)
            if key == "severity":
                value = "" if p.rule == OK_RULE else Severity(value).value
            text = str(value)
            if key == "value" and len(text) > REPORT_VALUE_LIMIT:
                text = text[: REPORT_VALUE_LIMIT - 1] + "…"
            row.append(text)
        rows.append(row)
    return headings, rows


def _csv_safe(text: str) -> str:
    # A leading apostrophe keeps agency text such as "=HYPERLINK(...)" from running when the
    # coordinator opens the CSV in Excel.
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text


def _csv_bytes(headings: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows([[_csv_safe(t) for t in row] for row in rows])
    return buf.getvalue().encode("utf-8-sig")  # the BOM makes Excel read it as UTF-8


def _xlsx_bytes(headings: list[str], rows: list[list[str]]) -> bytes:
    import xlsxwriter

    from ipt_excel.excel.master_writer import write_table_sheet
    from ipt_excel.excel.styles import Formats

    buf = io.BytesIO()
    # Everything is written as text: a value that starts with '=' stays text.
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    ws = wb.add_worksheet("Check report")
    widths = [float(_REPORT_WIDTHS[k]) for k in PROBLEM_HEADERS]
    write_table_sheet(ws, Formats(wb), headings, rows, widths)
    wb.close()
    return buf.getvalue()


def write_report(results: Sequence[CheckResult], path: Path) -> Path:
    """Write the report to `path`: .csv (UTF-8 with a BOM, for Excel) or .xlsx.

    One row per problem, with the headings of problems.PROBLEM_HEADERS, and one row with
    rule "ok" for each valid file, so every file checked appears in the report.
    """
    suffix = path.suffix.lower()
    headings, rows = report_table(results)
    if suffix == ".csv":
        data = _csv_bytes(headings, rows)
    elif suffix == ".xlsx":
        data = _xlsx_bytes(headings, rows)
    else:
        raise UsageError(
            f"The report {path.name} must end in .xlsx or .csv, for example --report "
            f"check-report.xlsx."
        )
    atomic_write(path, data)
    return path
