"""ipt chase's drafts: .eml files that parse back with their headers, body and attachment,
the mail-merge CSV, the feedback workbook for a rejected return, and its refusals."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from filling import fill_return

from ipt_excel.core.model import slugify
from ipt_excel.errors import UsageError, WorkspaceError
from ipt_excel.excel.master_reader import read_master
from ipt_excel.services.chase import chase
from ipt_excel.services.issue import issue_round
from ipt_excel.services.master import init_workspace, save_master
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.services.receive import receive_returns
from ipt_excel.workspace import Workspace
from ipt_excel.workspace.ledger import Ledger

ROUND = "Third review of progress"
ISSUED_AT = datetime(2012, 8, 29, 9, 0)
NOW = datetime(2012, 9, 14, 10, 30, tzinfo=UTC)
BEFORE_DUE, AFTER_DUE = date(2012, 9, 10), date(2012, 9, 14)
COORDINATOR = "plan@bathnes.gov.uk"


@pytest.fixture(scope="module")
def chased_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Health has an address and owes its return; CSC has merged; RUH was rejected."""
    from dataclasses import replace

    root = tmp_path_factory.mktemp("chase") / "ws"
    plan = load_plan(EXAMPLE_PLAN)
    agencies = tuple(
        replace(a, email="Health team <health@nhs.example>; bad address")
        if a.key == "HEALTH"
        else replace(a, email="ruh@nhs.example")
        if a.key == "RUH"
        else a
        for a in plan.agencies
    )
    init_workspace(root, replace(plan, agencies=agencies), force=False, now=ISSUED_AT)
    ws = Workspace(root)
    issue_round(
        ws,
        round_name=ROUND,
        round_date=date(2012, 9, 26),
        due=date(2012, 9, 12),
        agencies=["HEALTH", "CSC", "RUH"],
        password=None,
        now=ISSUED_AT,
    )
    inbox = root.parent / "inbox"
    returns = ws.returns_dir(slugify(ROUND))
    csc = fill_return(returns / "csc.xlsx", inbox / "csc.xlsx", {"1.3": {"progress": "Done."}})
    ruh = fill_return(returns / "ruh.xlsx", inbox / "ruh.xlsx", {"1.16": {"rag": "Purple"}})
    receive_returns(ws, [csc, ruh], now=ISSUED_AT, feedback_dir=root.parent / "feedback")
    return root


@pytest.fixture
def ws(chased_ws: Path, tmp_path: Path) -> Workspace:
    shutil.copytree(chased_ws, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def parse(path: Path) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    return message


def run(ws: Workspace, today: date = AFTER_DUE, **kw: object):  # type: ignore[no-untyped-def]
    kw.setdefault("sender", COORDINATOR)
    return chase(
        ws,
        out_dir=ws.root.parent / "chase",
        today=today,
        now=NOW,
        feedback_dir=ws.root.parent / "feedback-now",
        **kw,  # type: ignore[arg-type]
    )


def test_a_draft_for_each_agency_that_owes_a_return_that_parses_back(ws: Workspace) -> None:
    result = run(ws)
    assert [(d.agency, d.state) for d in result.drafts] == [
        ("HEALTH", "overdue"),
        ("RUH", "rejected"),
    ]
    health = result.drafts[0]
    assert health.path == ws.root.parent / "chase" / "health-third-review-of-progress.eml"
    message = parse(health.path)
    assert message["From"] == COORDINATOR
    assert message["To"] == "health@nhs.example"
    assert message["Subject"] == "Third review of progress: your return is overdue"
    assert message["X-Unsent"] == "1"
    assert message["Date"].datetime == NOW
    assert message.defects == []
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == health.body  # CRLF, as RFC 5322 says
    (attachment,) = list(message.iter_attachments())
    issued = ws.returns_dir(slugify(ROUND)) / "health.xlsx"
    assert attachment.get_filename() == "health.xlsx"
    assert attachment.get_content() == issued.read_bytes()
    assert "'bad address'" in health.note  # the part of the cell that is not an address
    assert result.complete


def test_a_rejected_return_gets_its_feedback_workbook_rebuilt_from_the_archive(
    ws: Workspace,
) -> None:
    result = run(ws, agencies=["Royal United Hospital"])
    (ruh,) = result.drafts
    feedback = ws.root.parent / "feedback-now" / "ruh-third-review-of-progress-feedback.xlsx"
    assert ruh.attachment == feedback and feedback.is_file()  # rebuilt: it was not there
    assert ruh.subject == "Third review of progress: your return has 1 thing to fix"
    (attachment,) = list(parse(ruh.path).iter_attachments())  # type: ignore[arg-type]
    assert attachment.get_content() == feedback.read_bytes()
    assert attachment.get_filename() == feedback.name
    # Rebuilt exactly as ipt check writes it: the same sheets and cells.
    before = feedback.read_bytes()
    again = run(ws, agencies=["RUH"])
    assert again.drafts[0].attachment == feedback and feedback.read_bytes() == before


def test_the_csv_holds_the_same_for_a_mail_merge(ws: Workspace) -> None:
    result = run(ws)
    assert result.csv == ws.root.parent / "chase" / "chase-third-review-of-progress.csv"
    text = result.csv.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["agency", "to", "subject", "body", "attachment"]
    assert [r[:3] for r in rows[1:]] == [[d.agency_name, d.to, d.subject] for d in result.drafts]
    assert rows[1][3] == result.drafts[0].body
    assert rows[1][4] == str(result.drafts[0].attachment.resolve())  # type: ignore[union-attr]


def test_before_the_due_date_an_outstanding_return_is_only_outstanding(ws: Workspace) -> None:
    (health,) = run(ws, today=BEFORE_DUE, agencies=["HEALTH"]).drafts
    assert health.state == "outstanding"
    assert (
        health.subject
        == "Third review of progress: your return is due by Wednesday 12 September 2012"
    )


def test_an_agency_that_owes_nothing_is_said_so(ws: Workspace) -> None:
    result = run(ws, agencies=["CSC"])
    assert result.drafts == () and result.csv is None
    assert result.owe_nothing == (
        "Children's Social Care Service: its return is received; nothing to chase.",
    )


def test_an_agency_with_no_address_gets_a_draft_with_an_empty_to(ws: Workspace) -> None:
    from dataclasses import replace

    plan = read_master(ws.master)
    agencies = tuple(replace(a, email="") if a.key == "HEALTH" else a for a in plan.agencies)
    with Ledger(ws.ledger_path) as ledger:
        save_master(ws, replace(plan, agencies=agencies), ledger, reason="edit", now=ISSUED_AT)
    (health,) = run(ws, agencies=["HEALTH"]).drafts
    assert health.to == "" and parse(health.path)["To"] == ""  # type: ignore[arg-type]
    assert "no e-mail address on the master's Agencies sheet" in health.note


def test_no_from_address_is_refused_saying_where_to_set_it(ws: Workspace) -> None:
    with pytest.raises(UsageError, match="Details sheet \\(Coordinator e-mail\\), or give --from"):
        run(ws, sender=None)
    with pytest.raises(UsageError, match="is not one e-mail address"):
        run(ws, sender="plan@x.org\nBcc: everyone@x.org")


def test_drafts_are_never_written_inside_the_workspace(ws: Workspace) -> None:
    with pytest.raises(WorkspaceError, match="inside the workspace"):
        chase(ws, out_dir=ws.root / "chase", today=AFTER_DUE, now=NOW, sender=COORDINATOR)
