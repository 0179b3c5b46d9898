"""What the ledger records about a round, as plain data: the core reasons over these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime

from ipt_excel.core.sign_off import SignOff


@dataclass(frozen=True)
class IssuedRecord:
    round: str
    agency: str
    path: str
    issued_at: datetime
    manifest: str  # canonical JSON, exactly as signed
    signature: str
    column_set: str = ""  # the fingerprint of the columns it was issued with


@dataclass(frozen=True)
class RoundRecord:
    name: str
    slug: str
    date: dt.date
    due: dt.date | None
    issued_at: datetime
    seq: int
    column_set: str = ""  # the fingerprint of the columns the round was issued with


@dataclass(frozen=True)
class Receipt:
    id: int
    received_at: datetime
    file_name: str
    sha256: str
    round: str | None
    agency: str | None
    outcome: str  # "merged", "rejected", "unchanged", "older" (than the return merged)
    detail: str
    changes: int
    conflicts: int
    sign_off: SignOff | None = None  # who vouched for an accepted return, when it was asked
    errors: int = 0  # of a rejected return: how many errors it had (0: not recorded)
