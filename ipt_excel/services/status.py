"""`ipt status`: the round's facts from the master and the ledger (core/facts.py)."""

from __future__ import annotations

from datetime import date

from ipt_excel.core.facts import RoundFacts
from ipt_excel.core.model import Plan
from ipt_excel.workspace.ledger import Ledger


def workspace_status(
    plan: Plan, ledger: Ledger, today: date | None = None, *, as_of: date | None = None
) -> RoundFacts:
    """`as_of`: the day returns are judged overdue on (the CLI gives today's date)."""
    from ipt_excel.services.master import facts_from_ledger

    return facts_from_ledger(ledger, plan, today, as_of=as_of)
