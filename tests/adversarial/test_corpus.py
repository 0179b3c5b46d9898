"""Every workbook of the shared corpus of real Excel-made files, in one batch with a good return.

/work/shared/corpus/excel-made (`../shared/corpus/excel-made` from the repository) holds 177
workbooks Microsoft Excel made for XlsxWriter's comparison tests: charts, images, tables,
comments, hyperlinks, protection, macros, UTF-8... None is a return: each must be one
rejected row, never a traceback, and the good return beside them must merge.

What `ipt merge` records for a file it rejects, by design (receive.py): the file is archived
unchanged as received/<sha256><suffix>, and the ledger gets one receipt with outcome
"rejected". Nothing else: no change, no conflict, no snapshot, no feedback workbook (the file
is not a return of this plan, so there is nothing to mark), and the master is not rewritten
when nothing merged.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from .cases import check
from .conftest import GOOD_HEALTH
from .helpers import TALLY, WS, ledger_tables, live_changes, receipts, tree, tree_diff

REPO = Path(__file__).resolve().parents[2]
# `../shared/corpus/excel-made` from the main checkout; a worktree sits one level deeper.
CANDIDATES = [
    Path(os.environ["IPT_CORPUS"]) if os.environ.get("IPT_CORPUS") else None,
    REPO.parent / "shared" / "corpus" / "excel-made",
    REPO.parent.parent / "shared" / "corpus" / "excel-made",
]
CORPUS = next((c for c in CANDIDATES if c is not None and c.is_dir()), REPO.parent / "shared")
FILES = sorted(p for p in CORPUS.glob("*") if p.suffix.lower() in (".xlsx", ".xlsm"))

pytestmark = pytest.mark.skipif(not FILES, reason=f"no corpus at {CORPUS}")


def expected_rule(path: Path) -> str:
    return "macro" if path.suffix.lower() == ".xlsm" else "no-manifest"


def test_the_corpus_is_all_there() -> None:
    assert len(FILES) == 177


def test_check_refuses_every_corpus_file_with_one_row(ws: WS, good: Path) -> None:
    out = check(ws, [good, *FILES])
    wrong = []
    for f in FILES:
        rows = out.errors.get(f.name, [])
        rules = [r["Rule"] for r in rows]
        right = not out.run.crashed and rules == [expected_rule(f)]
        TALLY.add("crashed" if out.run.crashed else "refused rightly" if right else "wrong outcome")
        if not right:
            wrong.append(f"{f.name}: {rules}")
    assert not out.run.crashed, out.run.describe()
    assert out.run.code == 1
    assert not out.changed, out.changed
    assert good.name in out.ok
    assert not wrong, wrong


def test_merge_rejects_every_corpus_file_and_merges_the_good_one(ws: WS, good: Path) -> None:
    tables_before = ledger_tables(ws)
    history_before = {p.name for p in ws.history.iterdir()}
    run = ws.merge(good, *FILES)
    assert not run.crashed, run.describe()
    assert run.code == 1, run.describe()
    by_file: dict[str, list[str]] = {}
    for r in receipts(ws):
        by_file.setdefault(r["file_name"], []).append(r["outcome"])
    wrong = []
    for f in FILES:
        right = by_file.get(f.name) == ["rejected"]
        TALLY.add("refused rightly" if right else "wrong outcome")
        if not right:
            wrong.append(f"{f.name}: {by_file.get(f.name)}")
    assert not wrong, wrong
    assert by_file[good.name] == ["merged"]
    changes = live_changes(ws)
    assert {c["agency"] for c in changes} == {"HEALTH"}
    assert {(c["area_id"], c["field"]) for c in changes} == {("1.11", f) for f in GOOD_HEALTH}
    # Every file received is archived, unchanged, under its hash.
    for f in [good, *FILES]:
        archived = ws.received / f"{hashlib.sha256(f.read_bytes()).hexdigest()}{f.suffix.lower()}"
        assert archived.read_bytes() == f.read_bytes(), f.name
    # No feedback for files that are not returns of this plan.
    assert not ws.feedback.exists() or not any(ws.feedback.iterdir())
    # Conflicts, rounds and issued returns untouched; one snapshot and one history copy added.
    tables = ledger_tables(ws)
    for name in ("conflicts", "rounds", "issued"):
        assert tables[name] == tables_before[name], name
    assert len(tables["snapshots"]) == len(tables_before["snapshots"]) + 1
    assert len({p.name for p in ws.history.iterdir()} - history_before) == 1


def test_merge_of_the_corpus_alone_changes_only_the_archive_and_the_receipts(ws: WS) -> None:
    before = tree(ws.root)
    tables_before = ledger_tables(ws)
    run = ws.merge(*FILES)
    assert not run.crashed, run.describe()
    assert run.code == 1
    changed = tree_diff(before, tree(ws.root))
    archive = {
        f"added received/{hashlib.sha256(f.read_bytes()).hexdigest()}{f.suffix.lower()}"
        for f in FILES
    }
    # The lock file holds the pid of the last command that changed the workspace.
    assert set(changed) - archive - {"changed .ipt/lock"} == {"changed .ipt/ledger.sqlite"}
    assert archive <= set(changed)
    tables = ledger_tables(ws)
    assert {k: v for k, v in tables.items() if k != "receipts"} == {
        k: v for k, v in tables_before.items() if k != "receipts"
    }
    new = tables["receipts"][len(tables_before["receipts"]) :]
    assert len(new) == len(FILES)
    assert all("rejected" in row for row in new)
