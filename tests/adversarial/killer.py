"""Run `ipt ARGS` and SIGKILL it at one stage of its work: a test helper, run as a script.

    python killer.py STAGE -- merge FILE... -w WS --feedback DIR

The stages are found at the standard library, not in ipt_excel, so they survive a refactor of
the package: the process kills itself (SIGKILL: no cleanup, no `finally`, like a power cut or
the OOM killer) when it is about to do, or has just done, one of these:

    replace-received-before / -after   os.replace of a file into received/ (the archive)
    replace-feedback-after             os.replace of a feedback workbook
    commit-before / commit-after       the ledger's COMMIT (sqlite3)
    replace-master-before / -after     os.replace of master.xlsx (the temporary master is
                                       written and flushed; then it is renamed into place)

If the stage never comes, the command runs to its end and the exit code says so (a killed
process exits -9 to its parent).
"""

from __future__ import annotations

import fnmatch
import os
import signal
import sqlite3
import sys
from typing import Any

STAGES = (
    "replace-received-before",
    "replace-received-after",
    "replace-feedback-after",
    "commit-before",
    "commit-after",
    "replace-master-before",
    "replace-master-after",
)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _patch_replace(pattern: str, when: str) -> None:
    original = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        hit = fnmatch.fnmatch(os.fspath(dst), pattern)
        if hit and when == "before":
            _die()
        original(src, dst, *args, **kwargs)
        if hit and when == "after":
            _die()

    os.replace = replace  # type: ignore[assignment]


def _patch_commit(when: str) -> None:
    def is_commit(sql: str) -> bool:
        return sql.strip().upper().startswith(("COMMIT", "END"))

    class Connection(sqlite3.Connection):
        def execute(self, sql: str, *args: Any, **kwargs: Any) -> sqlite3.Cursor:  # type: ignore[override]
            if is_commit(sql) and when == "before":
                _die()
            cursor = super().execute(sql, *args, **kwargs)
            if is_commit(sql) and when == "after":
                _die()
            return cursor

        def commit(self) -> None:
            if self.in_transaction and when == "before":
                _die()
            pending = self.in_transaction
            super().commit()
            if pending and when == "after":
                _die()

    original = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs.setdefault("factory", Connection)
        return original(*args, **kwargs)

    sqlite3.connect = connect  # type: ignore[assignment]


def main(argv: list[str]) -> None:
    stage, sep, *args = argv
    assert stage in STAGES and sep == "--", argv
    if stage.startswith("replace-"):
        _, where, when = stage.split("-")
        pattern = {
            "received": "*/received/*",
            "feedback": "*/feedback/*",
            "master": "*/master.xlsx",
        }[where]
        _patch_replace(pattern, when)
    else:
        _patch_commit(stage.split("-")[1])
    from ipt_excel.cli import main as ipt

    sys.argv = ["ipt", *args]
    ipt()


if __name__ == "__main__":
    main(sys.argv[1:])
