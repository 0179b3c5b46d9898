"""The scripted demo round: the whole loop on the bundled example, start to finish.

Deterministic: a fixed clock and a fixed demo signing key, so the same input gives the same
files. (A real workspace gets a random key from `ipt init`; the demo's key is public, which
is fine for a demo and wrong for anything else, so the demo refuses to touch a folder that
holds a real workspace.)
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ipt_excel.errors import WorkspaceError
from ipt_excel.excel.return_filler import CellInput
from ipt_excel.workspace import Workspace, atomic_write

ROUND = "Third review of progress"
ROUND_DATE = date(2012, 9, 26)
DUE = date(2012, 9, 12)
ISSUED_AT = datetime(2012, 8, 29, 9, 0)
FILLED_AT = datetime(2012, 9, 10, 15, 0)
MERGED_AT = datetime(2012, 9, 14, 10, 30)
CIRCULATED_AT = datetime(2012, 9, 14, 11, 0)
MARKER = ".ipt-demo"
DEMO_KEY = hashlib.sha256(b"ipt_excel demo key: public, never for real use").digest()

# What each agency sends back: area ID -> {field: value}. Realistic updates for September
# 2012; dates arrive as real dates, as text and as month names, as they do from real users.
UPDATES: dict[str, dict[str, dict[str, CellInput]]] = {
    "CSC": {
        "1.2": {
            "progress": "Quality standards embedded in supervision. Off-line audit of 40 "
            "assessments in August found 34 of good quality or better.",
            "rag": "GREEN",
            "evidence": "August audit: 85% of assessments good or better, up from 60% in March.",
            "next_review": "December 2012",
        },
        "1.3": {
            "progress": "Same-day notification in place for all new protection plans and care "
            "episodes; lists sent weekly.",
            "rag": "GREEN",
            "evidence": "Audit of 25 notifications: all sent the same day.",
        },
        "1.6": {
            "progress": "Chronology workshop held 18 July. Off-line audit of chronologies "
            "completed in August.",
            "next_review": datetime(2012, 12, 5),
        },
        "1.8": {
            "progress": "Service Manager sign-off of all reports now routine; new care "
            "episodes still the weaker area.",
            "next_review": "28/11/2012",
        },
    },
    "HEALTH": {
        "1.3": {
            "progress": "Health visitors and school nurses do not yet receive every same-day "
            "notification: two missed in August.",
            "rag": "AMBER",
        },
        "1.11": {
            "progress": "Protocol with the reviewing service agreed 3 September.",
            "evidence": "Health staff attended 9 of 11 reviews in August.",
            "next_review": "November 2012",
        },
        "1.13": {
            "progress": "Health assessment tracker introduced; weekly checks by the admin team.",
            "rag": "AMBER",
            "next_review": "October 2012",
        },
    },
    "SIRONA": {
        "1.13": {"progress": "New LAC health team recruited; in post from 1 October."},
        "2.8": {
            "progress": "Designated Doctor and Designated Nurse for looked after children "
            "appointed in August 2012.",
            "rag": "GREEN",
            "evidence": "Both in post; first quarterly report due to the LSCB in December.",
            "next_review": "Not required",
        },
    },
    "LSCB": {
        "2.10": {
            "progress": "AWP report received at the LSCB on 11 September. Training package agreed.",
            # The coordinator has corrected this cell in the master since issue: a conflict.
            "evidence": "AWP audit of supervision completed in August.",
            "next_review": "December 2012",
        },
        "2.13": {
            "progress": "Supervision arrangements confirmed by all providers at the LSCB "
            "on 11 September.",
            "rag": "GREEN",
            "evidence": "Section 11 returns show supervision in place in all health providers.",
            "next_review": "March 2013",
        },
    },
    "CS": {
        "2.3": {
            "progress": "- Pilot with 3 schools complete\n- Integrated processes rolled out to "
            "all secondary schools",
            "next_review": "January 2013",
        },
    },
}

# Returned with mistakes: a RAG not on the scale, GREEN with no evidence, a past date.
MISTAKES: dict[str, dict[str, CellInput]] = {
    "1.16": {"rag": "Purple", "progress": "IT alert function live in the Emergency Department."},
    "2.11": {
        "rag": "GREEN",
        "progress": "Performance framework reported to the LSCB.",
        "evidence": "",
    },
    "2.9": {"next_review": "June 2012", "progress": "Report presented in June."},
}

# Who signs off each return: name and role, on the day it was filled in. The return with
# mistakes was filled in but not yet confirmed as accurate.
SIGN_OFFS: dict[str, tuple[str, str]] = {
    "CSC": ("Jo Hughes", "Head of Children's Social Care"),
    "HEALTH": ("Priya Shah", "Head of Safeguarding, NHS B&NES"),
    "SIRONA": ("Mark Ellis", "Service Manager, Children's Health"),
    "LSCB": ("Helen Price", "LSCB Business Manager"),
    "CS": ("Tom Baker", "Head of Inclusion"),
    "RUH": ("Sarah Green", "Named Nurse for Safeguarding"),
    "SCHOOLS": ("David Cole", "Virtual School Head"),
}
NOT_CONFIRMED = ("RUH",)

# An agency that unprotected the sheet and rewrote its own action.
LOCKED_EDIT = {"2.4": {"actions": "Implement the Virtual School plan (done)"}}

# The coordinator corrects the master by hand before merging: LSCB's change to the same
# field becomes a conflict, not an overwrite.
HAND_EDIT = ("2.10", "evidence", "To be determined: section 11 audit due December 2012.")


@dataclass(frozen=True)
class DemoResult:
    workspace: Path
    master: Path
    circulation: Path
    returns_dir: Path
    inbox: Path
    feedback: Path
    lines: tuple[str, ...]  # what happened, for the CLI to print


def _prepare(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} is a file. Give the demo a folder: ipt demo --workspace DIR")
    if root.exists() and any(root.iterdir()) and not (root / MARKER).exists():
        raise WorkspaceError(
            f"{root} holds files that are not from the demo. Run the demo in another folder: "
            f"ipt demo --workspace DIR"
        )
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / MARKER).write_text("This folder was made by 'ipt demo' and is rebuilt on each run.\n")


def run_demo(root: Path, *, progress: Callable[[str], None] | None = None) -> DemoResult:
    from dataclasses import replace

    from ipt_excel.excel.master_reader import read_master
    from ipt_excel.excel.return_filler import fill_return_bytes
    from ipt_excel.services.circulate import circulate
    from ipt_excel.services.issue import issue_round
    from ipt_excel.services.master import init_workspace, save_master
    from ipt_excel.services.plan_source import example_plan_path, load_plan
    from ipt_excel.services.receive import receive_returns
    from ipt_excel.workspace.ledger import Ledger

    def step(text: str) -> None:
        if progress is not None:
            progress(text)

    _prepare(root)
    ws_root = root / "workspace"
    inbox, feedback = root / "inbox", root / "feedback"
    ws = Workspace(ws_root)
    lines: list[str] = []

    step("Creating the workspace from the bundled example plan")
    plan = load_plan(example_plan_path())
    init_workspace(ws_root, plan, force=False, now=ISSUED_AT, key=DEMO_KEY)
    lines.append(f"Workspace created from the example plan: {len(plan.areas)} areas.")

    step(f"Issuing '{ROUND}' to every agency")
    issued = issue_round(
        ws,
        round_name=ROUND,
        round_date=ROUND_DATE,
        due=DUE,
        agencies=None,
        password=None,
        now=ISSUED_AT,
    )
    lines.append(f"Issued '{ROUND}': {len(issued.files)} returns in {issued.directory}.")
    by_key = {f.agency: f.path for f in issued.files}

    step("Agencies fill in their returns")
    sent: list[Path] = []

    def fill(agency: str, name: str, updates: Any, **kw: Any) -> Path:
        who, role = SIGN_OFFS[agency]
        sign_off: dict[str, CellInput] = {
            "name": who,
            "role": role,
            "date": FILLED_AT.replace(hour=0),
            "confirmed": "No" if agency in NOT_CONFIRMED else "Yes",
        }
        src = by_key[agency]
        data = fill_return_bytes(
            src.read_bytes(), src.name, updates, saved_at=FILLED_AT, sign_off=sign_off, **kw
        )
        atomic_write(inbox / name, data)
        return inbox / name

    for agency, updates in UPDATES.items():
        sent.append(fill(agency, f"{agency.lower()}-return.xlsx", updates))
    sent.append(fill("RUH", "ruh-return.xlsx", MISTAKES))
    sent.append(
        fill(
            "SCHOOLS",
            "schools-return.xlsx",
            {"2.4": {"progress": "Results: 5 of 9 achieved 5 GCSEs A*-C."}},
            locked_edits=LOCKED_EDIT,
        )
    )
    lines.append(f"{len(sent)} returns came back to {inbox}.")

    step("The coordinator corrects the master by hand")
    area_id, field, text = HAND_EDIT
    current = read_master(ws.master)
    edited = replace(
        current,
        areas=tuple(a.with_updates({field: text}) if a.id == area_id else a for a in current.areas),
    )
    with ws.locked(), Ledger(ws.ledger_path) as ledger:
        save_master(ws, edited, ledger, reason="hand-edit", now=ISSUED_AT)
    lines.append(f"The coordinator corrected {area_id} ({field}) in the master by hand.")

    step("Checking and merging every return")
    result = receive_returns(ws, sent, now=MERGED_AT, feedback_dir=feedback, today=ROUND_DATE)
    for o in result.outcomes:
        lines.append(f"  {o.file_name} ({o.agency or 'unknown'}): {o.outcome}. {o.detail}")

    step("Writing the circulation copy")
    circ = circulate(ws, now=CIRCULATED_AT)
    lines.append(f"Circulation copy: {circ.path}")
    return DemoResult(
        workspace=ws_root,
        master=ws.master,
        circulation=circ.path,
        returns_dir=issued.directory,
        inbox=inbox,
        feedback=feedback,
        lines=tuple(lines),
    )
