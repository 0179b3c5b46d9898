"""Saving the master (history, snapshot, atomic write), rebuilding it, and creating a workspace."""

from __future__ import annotations

import csv
import json
import stat
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from golden.compare import compare_xlsx
from plans import with_values

from ipt_excel.core.model import Plan, Round
from ipt_excel.core.plan_data import dump_plan, plan_from_dict
from ipt_excel.errors import PlanFileError, WorkspaceError
from ipt_excel.excel.master_reader import read_master
from ipt_excel.services.master import init_workspace, plan_json, rebuild_master, save_master
from ipt_excel.services.plan_source import example_plan_path, load_plan, load_plan_source
from ipt_excel.workspace.ledger import Ledger

T0 = datetime(2012, 7, 2, 9, 0, 0)
T1 = datetime(2012, 7, 3, 10, 0, 0)


@pytest.fixture(scope="module")
def example() -> Plan:
    return load_plan(example_plan_path())


# -- plan sources --------------------------------------------------------------------------------
def test_load_plan_source_yaml(example: Plan, tmp_path: Path) -> None:
    assert load_plan_source(example_plan_path()).plan == example
    path = tmp_path / "plan.yml"
    path.write_text(dump_plan(example), encoding="utf-8")
    assert load_plan_source(path).plan == example


def test_load_plan_source_table_with_title_and_round(example: Plan, tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Area for improvement", "Actions", "Progress at (Inc RAG rating)", "Agency"])
        for a in example.areas[:3]:
            w.writerow(
                [
                    f"{a.id} {a.value('title')}",
                    a.value("actions"),
                    f"{a.value('progress')} {a.value('rag')}".strip(),
                    "Police",
                ]
            )
    plan = load_plan_source(
        path, title="Our plan", round_name="June", round_date=date(2012, 6, 1)
    ).plan
    assert (plan.title, plan.round) == ("Our plan", Round("June", date(2012, 6, 1)))
    assert [a.value("rag") for a in plan.areas] == [a.value("rag") for a in example.areas[:3]]
    default = load_plan_source(path).plan
    assert default.round.name == "Baseline" and default.round.date == date.today()


def test_load_plan_source_refuses_other_files(tmp_path: Path) -> None:
    path = tmp_path / "plan.docx"
    path.write_bytes(b"x")
    with pytest.raises(PlanFileError, match=r"plan.docx: start from a plan .yaml file"):
        load_plan_source(path)


def test_plan_json_is_canonical_and_round_trips(example: Plan) -> None:
    text = plan_json(example)
    assert text == plan_json(load_plan(example_plan_path()))
    assert "Children’s" in text or "Children's" in text  # not \u-escaped
    assert plan_from_dict(json.loads(text)) == example


# -- init ----------------------------------------------------------------------------------------
def test_init_creates_the_workspace(example: Plan, tmp_path: Path) -> None:
    root = tmp_path / "new" / "ws"
    result = init_workspace(root, example, force=False, now=T0)
    ws = result.workspace
    assert ws.root == root and result.plan == example
    assert ws.require() is ws
    assert read_master(ws.master) == example
    assert stat.S_IMODE(ws.key_path.stat().st_mode) == 0o600
    assert len(ws.key()) == 32
    with Ledger(ws.ledger_path) as ledger:
        current = ledger.current_round()
        assert current is not None
        assert (current.name, current.date) == ("Second review of progress", date(2012, 6, 26))
        snaps = ledger.snapshots()
        assert [(s[1], s[2], s[3]) for s in snaps] == [(T0, "init", "Second review of progress")]
        assert plan_from_dict(ledger.snapshot(snaps[0][0])) == example
    assert not ws.history.exists()  # nothing to keep yet
    assert [p.name for p in root.iterdir() if p.name.endswith(".tmp")] == []


def test_init_refuses_to_overwrite_without_force(example: Plan, tmp_path: Path) -> None:
    first = init_workspace(tmp_path, example, force=False, now=T0).workspace
    before = first.master.read_bytes()
    key = first.key()
    other = replace(example, title="Another plan")
    with pytest.raises(WorkspaceError) as info:
        init_workspace(tmp_path, other, force=False, now=T1)
    assert f"{first.master} already exists. Use --force" in str(info.value)
    assert first.master.read_bytes() == before
    assert first.key() == key


def test_init_with_force_keeps_the_old_master_and_the_key(example: Plan, tmp_path: Path) -> None:
    ws = init_workspace(tmp_path, example, force=False, now=T0).workspace
    before = ws.master.read_bytes()
    key = ws.key()
    other = replace(example, title="Another plan", areas=example.areas[:3])
    init_workspace(tmp_path, other, force=True, now=T1)
    assert read_master(ws.master) == other
    kept = sorted(ws.history.iterdir())
    assert [p.name for p in kept] == ["master-20120703T100000-before-init.xlsx"]
    assert kept[0].read_bytes() == before
    assert ws.key() == key  # returns already issued can still be verified


# -- save and rebuild ----------------------------------------------------------------------------
def test_save_master_keeps_every_previous_master(example: Plan, tmp_path: Path) -> None:
    ws = init_workspace(tmp_path, example, force=False, now=T0).workspace
    versions = [ws.master.read_bytes()]
    with Ledger(ws.ledger_path) as ledger:
        for n in range(3):
            changed = replace(example, areas=(with_values(example.areas[0], progress=f"v{n}"),))
            save_master(ws, changed, ledger, reason="merge", now=T1)  # same second every time
            versions.append(ws.master.read_bytes())
        assert len(ledger.snapshots()) == 4
    names = sorted(p.name for p in ws.history.iterdir())
    assert names == [
        "master-20120703T100000-before-merge-2.xlsx",
        "master-20120703T100000-before-merge-3.xlsx",
        "master-20120703T100000-before-merge.xlsx",
    ]
    kept = {
        (ws.history / "master-20120703T100000-before-merge.xlsx").read_bytes(),
        (ws.history / "master-20120703T100000-before-merge-2.xlsx").read_bytes(),
        (ws.history / "master-20120703T100000-before-merge-3.xlsx").read_bytes(),
    }
    assert kept == set(versions[:3])
    assert read_master(ws.master).areas[0].value("progress") == "v2"


def test_a_failed_write_leaves_the_old_master(
    example: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    ws = init_workspace(tmp_path, example, force=False, now=T0).workspace
    before = ws.master.read_bytes()

    def broken(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    with Ledger(ws.ledger_path) as ledger:
        monkeypatch.setattr(os, "replace", broken)
        with pytest.raises(OSError):
            save_master(ws, replace(example, title="New"), ledger, reason="merge", now=T1)
        monkeypatch.undo()
    assert ws.master.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_rebuild_master_from_the_ledger(example: Plan, tmp_path: Path) -> None:
    ws = init_workspace(tmp_path, example, force=False, now=T0).workspace
    with Ledger(ws.ledger_path) as ledger:
        first_id = ledger.snapshots()[0][0]
        save_master(ws, replace(example, title="Changed"), ledger, reason="merge", now=T1)
    original = ws.history / "master-20120703T100000-before-merge.xlsx"
    rebuilt = rebuild_master(ws, first_id, created=T0)
    assert compare_xlsx(rebuilt, original) == []


def test_rebuild_keeps_text_exactly_as_saved(example: Plan, tmp_path: Path) -> None:
    # A hand-edited master may hold text with leading or trailing spaces and newlines;
    # the snapshot must give it back unchanged, or the rebuilt master differs.
    area = with_values(example.areas[0], progress="Done.\n", evidence="  indented", title="Title ")
    plan = replace(example, areas=(area,), notes=(" note ",))
    ws = init_workspace(tmp_path, plan, force=False, now=T0).workspace
    with Ledger(ws.ledger_path) as ledger:
        sid = ledger.snapshots()[0][0]
        assert plan_from_dict(ledger.snapshot(sid)) == plan
    assert compare_xlsx(rebuild_master(ws, sid, created=T0), ws.master) == []


def test_unknown_snapshot(example: Plan, tmp_path: Path) -> None:
    ws = init_workspace(tmp_path, example, force=False, now=T0).workspace
    with pytest.raises(KeyError):
        rebuild_master(ws, 999, created=T0)


def test_next_round_shows_last_rounds_counts(example: Plan, tmp_path: Path) -> None:
    import io

    import openpyxl

    ws = init_workspace(tmp_path, example, force=False, now=T0).workspace
    third = replace(
        example,
        round=Round("Third review of progress", date(2012, 9, 26)),
        areas=tuple(with_values(a, rag="GREEN") for a in example.areas),
    )
    with Ledger(ws.ledger_path) as ledger:
        save_master(ws, third, ledger, reason="round", now=T1)
    summary = openpyxl.load_workbook(io.BytesIO(ws.master.read_bytes()))["Summary"]
    rows = list(summary.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "All areas")
    table = {r[0]: r[1:3] for r in rows[at + 2 : at + 6]}
    assert table["GREEN"] == (32, 5)
    assert table["AMBER"] == (0, 20)
    assert table["Not rated"] == (0, 7)
