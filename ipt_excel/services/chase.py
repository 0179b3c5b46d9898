"""`ipt chase`: a ready-to-send e-mail for each agency that owes a return. Sends nothing.

Who owes a return comes from the round's facts (core/facts.py), as `ipt status` shows them:
outstanding, overdue (as of the day given), or rejected with nothing sent since. Each draft
is an .eml file (RFC 5322, built with the standard library) from the coordinator to the
agency's contact, with the return issued to it attached, or for a rejected return its
feedback workbook: the one in the feedback folder, or rebuilt from the archived file exactly
as `ipt check` would. One CSV lists the same for a mail merge. Nothing in the workspace is
written; a rebuilt feedback workbook goes to the feedback folder, as `ipt check` would put it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from ipt_excel.core.chase import chase_text
from ipt_excel.core.facts import REJECTED, AgencyState
from ipt_excel.core.model import Agency, Plan, slugify
from ipt_excel.core.records import IssuedRecord
from ipt_excel.core.rounds import resolve_agencies
from ipt_excel.errors import UsageError
from ipt_excel.services.feedback import check_feedback_dir, feedback_path, write_feedback
from ipt_excel.workspace import DEFAULT_FEEDBACK_DIR, Workspace, atomic_write

DEFAULT_CHASE_DIR = Path("chase")
CSV_HEADINGS = ("agency", "to", "subject", "body", "attachment")
_XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_ADDRESS = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]+")
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Draft:
    """One agency's chasing e-mail, as written (or why it could not be)."""

    agency: str  # key
    agency_name: str
    state: str  # outstanding / overdue / rejected
    to: str  # the agency's contact, "" when the master has none
    subject: str
    body: str
    attachment: Path | None  # the file attached
    path: Path | None  # the .eml written; None when it could not be written
    note: str = ""  # what the coordinator should know: no address, a file missing


@dataclass(frozen=True)
class ChaseResult:
    round_name: str
    drafts: tuple[Draft, ...]
    csv: Path | None  # the mail-merge list, when any draft was written
    owe_nothing: tuple[str, ...] = ()  # agencies asked for with --agency that owe nothing

    @property
    def complete(self) -> bool:
        """Every agency that owes a return has its draft."""
        return all(d.path is not None for d in self.drafts)


def chase(
    ws: Workspace,
    *,
    out_dir: Path = DEFAULT_CHASE_DIR,
    today: date,
    now: datetime,
    agencies: Sequence[str] | None = None,
    sender: str | None = None,
    feedback_dir: Path = DEFAULT_FEEDBACK_DIR,
    password: str | None = None,
) -> ChaseResult:
    """Write a draft for each agency that owes a return (or each of `agencies` that does).

    `today` judges which returns are overdue; `now` dates the e-mails and any feedback
    workbook rebuilt. `sender` replaces the plan's coordinator e-mail. Raises UsageError
    when there is no From address, an agency is unknown, or `out_dir` is inside the
    workspace.
    """
    from ipt_excel.services.master import current_plan, facts_from_ledger
    from ipt_excel.workspace.ledger import Ledger

    ws.require()
    ws.guard_output(out_dir, what="chase folder", folder=True)
    check_feedback_dir(feedback_dir, ws)
    plan = current_plan(ws, repair=False)  # changes nothing in the workspace
    from_address = _sender(sender, plan)
    wanted = None
    if agencies:
        wanted = [a.key for a in resolve_agencies(plan, list(agencies))]
    with Ledger(ws.ledger_path) as ledger:
        facts = facts_from_ledger(ledger, plan, as_of=today)
        issued = {r.agency: r for r in ledger.issued(plan.round.name)}
    states = {a.agency: a for a in facts.agencies}
    owe_nothing: list[str] = []
    chosen: list[AgencyState] = []
    for key in wanted if wanted is not None else [a.agency for a in facts.agencies]:
        st = states.get(key)
        name = plan.agency_name(key)
        if st is None:
            owe_nothing.append(f"{name}: no return was issued to it for {plan.round.name}.")
        elif not st.owes:
            owe_nothing.append(f"{name}: its return is {st.state}; nothing to chase.")
        else:
            chosen.append(st)
    drafts = []
    for st in chosen:
        context = _Context(ws, plan, from_address, feedback_dir, password, today, now, out_dir)
        drafts.append(_draft(context, st, issued[st.agency]))
    written = [d for d in drafts if d.path is not None]
    csv_path = None
    if written:
        csv_path = out_dir / f"chase-{plan.round.slug}.csv"
        atomic_write(csv_path, _csv_bytes(written))
    return ChaseResult(plan.round.name, tuple(drafts), csv_path, tuple(owe_nothing))


@dataclass(frozen=True)
class _Context:
    ws: Workspace
    plan: Plan
    sender: str
    feedback_dir: Path
    password: str | None
    today: date
    now: datetime
    out_dir: Path


def _draft(ctx: _Context, st: AgencyState, record: IssuedRecord) -> Draft:
    plan = ctx.plan
    agency = _agency(plan, st)
    to, note = _recipient(agency)
    returned = ctx.ws.root / record.path
    attachment: Path | None = returned
    to_fix: int | None = None
    if st.state == REJECTED:
        feedback, to_fix = _feedback(ctx, st, agency)
        if feedback is not None:
            attachment = feedback
    if attachment is None or not attachment.is_file():
        missing = (
            f"Its return {returned} is missing from the workspace, so no e-mail was written. "
            f'Issue it again: ipt issue --round "{plan.round.name}" --date '
            f'{plan.round.date.isoformat()} --agency "{agency.key}"'
        )
        return Draft(agency.key, agency.name, st.state, to, "", "", None, None, missing)
    text = chase_text(
        state=st.state,
        agency_name=agency.name,
        round_name=plan.round.name,
        due=plan.round.due,
        as_of=ctx.today,
        reply_to=ctx.sender,
        attachment=attachment.name,
        to_fix=to_fix,
        reason=st.detail,
        sign_off=plan.return_sign_off and to_fix is None,
    )
    content = attachment.read_bytes()
    message = _message(ctx.sender, to, text.subject, text.body, attachment.name, content, ctx.now)
    path = ctx.out_dir / f"{agency.slug}-{slugify(plan.round.name)}.eml"
    atomic_write(path, message)
    return Draft(
        agency.key, agency.name, st.state, to, text.subject, text.body, attachment, path, note
    )


def _agency(plan: Plan, st: AgencyState) -> Agency:
    return next((a for a in plan.agencies if a.key == st.agency), Agency(st.agency, st.name))


def _feedback(ctx: _Context, st: AgencyState, agency: Agency) -> tuple[Path | None, int | None]:
    """The rejected return's feedback workbook and how many things it asks to fix, or (None, None)
    when there is none to send (the file could not be trusted as this agency's latest
    return, or is no longer archived): the issued return is sent instead."""
    from ipt_excel.services.check import check_files

    archived = ctx.ws.received / f"{st.sha256}.xlsx"
    if not st.sha256 or not archived.is_file():
        return None, None
    (result,) = check_files(ctx.ws, [archived], today=ctx.today, plan=ctx.plan)
    if result.valid or not result.trusted or result.data is None:
        return None, None
    manifest = result.data.manifest
    assert manifest is not None  # a trusted result has one
    found = feedback_path(ctx.feedback_dir, agency, manifest.round_name)
    if not found.is_file():
        written = write_feedback(
            result, ctx.plan, ctx.feedback_dir, created=ctx.now, password=ctx.password
        )
        if written is None:
            return None, None
        found = written
    from ipt_excel.excel.feedback_writer import must_fix

    return found, must_fix(result.data, result.problems)


def _addresses(text: str) -> tuple[list[str], list[str]]:
    """The e-mail addresses in a cell ("a@x.org; b@x.org", "Name <a@x.org>"), and the parts
    that are not addresses."""
    good, bad = [], []
    for part in re.split(r"[;,\n]", text):
        part = " ".join(part.split())
        if not part:
            continue
        _, address = parseaddr(part)
        if _ADDRESS.fullmatch(address):
            good.append(address)
        else:
            bad.append(part)
    return good, bad


def _sender(given: str | None, plan: Plan) -> str:
    text = given if given is not None else plan.coordinator_email
    if not text.strip():
        raise UsageError(
            "The plan has no coordinator e-mail, so the drafts would have no From address. "
            "Add it on the master's Details sheet (Coordinator e-mail), or give --from ADDRESS."
        )
    good, bad = _addresses(text)
    if len(good) != 1 or bad:
        where = "--from" if given is not None else "the master's Details sheet (Coordinator e-mail)"
        raise UsageError(
            f"'{' '.join(text.split())}' in {where} is not one e-mail address. Give one "
            f"address, like coordinator@council.gov.uk."
        )
    return good[0]


def _recipient(agency: Agency) -> tuple[str, str]:
    good, bad = _addresses(agency.email)
    if not agency.email.strip():
        return "", (
            f"{agency.name} has no e-mail address on the master's Agencies sheet: the draft "
            f"has an empty To. Add the address there, or fill in To before sending."
        )
    if bad:
        shown = ", ".join(f"'{b}'" for b in bad)
        return ", ".join(good), (
            f"{agency.name}'s e-mail on the master's Agencies sheet has {shown}, which is not "
            f"an address: the draft leaves it out. Correct it there, or fill in To before "
            f"sending."
        )
    return ", ".join(good), ""


def _message(
    sender: str, to: str, subject: str, body: str, file_name: str, content: bytes, now: datetime
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now.astimezone() if now.tzinfo is None else now)
    message["X-Unsent"] = "1"  # Outlook opens it as a draft to send, not as a received e-mail
    message.set_content(body)
    message.add_attachment(content, maintype=_XLSX[0], subtype=_XLSX[1], filename=file_name)
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as RFC 5322 has them


def _csv_bytes(drafts: Sequence[Draft]) -> bytes:
    def safe(text: str) -> str:
        return "'" + text if text.startswith(_CSV_FORMULA_START) else text

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADINGS)
    for d in drafts:
        attachment = str(d.attachment.resolve()) if d.attachment else ""
        writer.writerow([safe(d.agency_name), safe(d.to), safe(d.subject), d.body, attachment])
    return buf.getvalue().encode("utf-8-sig")  # the BOM makes Excel read it as UTF-8
