"""A small fixed plan for the return tests, and the script that rewrites the golden return.

The golden file tests/golden/return_small.xlsx is the return written for agency "A" of
`small_plan()` with a fixed creation time and key. tests/excel/test_return_writer.py
compares a fresh return with it part by part, so any change to the return's layout shows up
as a failing test. When the change is intended, rewrite the file and review it::

    .venv/bin/python tests/golden/regenerate.py

then open it in Excel or LibreOffice (and read it back with openpyxl) before committing it.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the tests folder holds its helpers
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from plans import make_area  # noqa: E402

from ipt_excel.core.manifest import sign
from ipt_excel.core.model import Agency, Plan, Round, Theme
from ipt_excel.core.rounds import IssuedReturn, plan_round
from ipt_excel.excel.return_writer import write_return

GOLDEN = Path(__file__).with_name("return_small.xlsx")
CREATED = datetime(2012, 7, 2, 9, 30, 0)
KEY = bytes(range(32))
ROUND = Round("Second review of progress", date(2012, 6, 26), due=date(2012, 7, 13))


def small_plan(*, marking: str = "OFFICIAL-SENSITIVE", email: str = "plan@example.gov.uk") -> Plan:
    """Three agencies: A has three areas (one shared with B), B one, C none."""
    return Plan(
        title="Improvement plan for the Example Council inspection (January 2012)",
        organisation="Example Council",
        inspection="Inspection of safeguarding (January 2012)",
        round=ROUND,
        protective_marking=marking,
        coordinator_email=email,
        themes=(Theme("1", "Practice and management"), Theme("2", "Service management")),
        agencies=(
            Agency("A", "Children's Social Care", aliases=("CSC", "Social Care")),
            Agency("B", "Health Services", aliases=("Health",)),
            Agency("C", "Police"),
        ),
        areas=(
            make_area(
                id="1.2",
                theme="1",
                title="Ensure that assessments are of a high quality",
                agencies=("A", "B"),
                action="Use supervision to check quality",
                underpinned_by=("Audit tool", "Refresher training"),
                leads="Team managers",
                completion="From June 2012",
                assurance="Supervision records",
                outcome="Consistently good assessments",
                progress="Audit started.\nTwo teams done.",
                rag="AMBER",
                evidence="Audit results",
                next_review="September 2012",
            ),
            make_area(
                id="1.10",
                theme="1",
                title="=SUM(A1:A2) is how the old tracker started this cell",
                agencies=("A",),
                action="+44 helpline number on all letters",
                leads="@duty team",
                completion="By March 2013",
                assurance="-1 complaints a month",
                outcome="Families know whom to call",
                progress="",
                rag="",
                evidence="",
                next_review="",
            ),
            make_area(
                id="2.1",
                theme="2",
                title="Workforce plan’s targets are met",
                agencies=("A",),
                action="Recruit six social workers",
                supplemented_by=("Agency staff until posts are filled",),
                leads="Head of service",
                completion="April 2012",
                assurance="Monthly vacancy report",
                outcome="Caseloads below 20",
                progress="Four of six posts filled.",
                rag="GREEN",
                evidence="Vacancy rate down from 18% to 6%.",
                next_review="Not required",
            ),
            make_area(
                id="2.2",
                theme="2",
                title="Health visitors attend case conferences",
                agencies=("B",),
                action="Include health visitors in invitations",
                leads="Named nurse",
                completion="June 2012",
                progress="Agreed.",
                rag="RED",
            ),
        ),
    )


def issued_for(plan: Plan, agency: str = "A") -> IssuedReturn:
    planned = plan_round(plan, plan.round, agencies=[agency], issued_at=CREATED)
    return planned.returns[0]


def golden_bytes() -> bytes:
    plan = small_plan()
    issued = issued_for(plan)
    return write_return(plan, issued, sign(issued.manifest, KEY), created=CREATED)


def main() -> int:
    GOLDEN.write_bytes(golden_bytes())
    print(f"Wrote {GOLDEN}. Open it and check it before committing it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
