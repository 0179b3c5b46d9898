"""`ipt demo`: the whole round on the bundled example, end to end, the way a newcomer runs it.

The demo runs twice: through the CLI in-process, and as `python -m ipt_excel demo` in a fresh
process with no --workspace (what `make demo` does). The two runs are then compared part by
part: same input, same output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from golden.compare import compare_xlsx
from typer.testing import CliRunner

from ipt_excel.cli import app
from ipt_excel.excel.master_reader import read_master
from ipt_excel.excel.styles import CHANGED, CONFLICT
from ipt_excel.services.demo import MARKER, run_demo
from ipt_excel.services.status import workspace_status
from ipt_excel.workspace import Workspace
from ipt_excel.workspace.ledger import Ledger

ROUND = "Third review of progress"
SLUG = "third-review-of-progress"
WIDE = {"COLUMNS": "200"}  # so Rich does not wrap table rows in the middle of a name
MERGED = ("CSC", "HEALTH", "SIRONA", "LSCB", "CS")
REJECTED = ("RUH", "SCHOOLS")


@dataclass(frozen=True)
class Run:
    root: Path
    exit_code: int
    stdout: str
    stderr: str

    @property
    def ws(self) -> Workspace:
        return Workspace(self.root / "workspace")


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("cli") / "demo"
    result = CliRunner().invoke(app, ["demo", "--workspace", str(root)], env=WIDE)
    return Run(root, result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def process_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`python -m ipt_excel demo` from a fresh folder, with the default workspace."""
    cwd = tmp_path_factory.mktemp("process")
    env = {**os.environ, **WIDE}
    env.pop("IPT_WORKSPACE", None)
    done = subprocess.run(
        [sys.executable, "-m", "ipt_excel", "demo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    return Run(cwd / "workbooks" / "demo", done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def master(cli_run: Run) -> Any:
    assert cli_run.exit_code == 0, cli_run.stdout + cli_run.stderr
    return openpyxl.load_workbook(cli_run.ws.master)


def plan_cell(master: Any, area_id: str, header: str) -> Any:
    sheet = master["Plan"]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == area_id:
            return row[headers.index(header)]
    raise AssertionError(f"no row for area {area_id}")


# -- the run --------------------------------------------------------------------------------------
def test_cli_demo_exits_0_and_says_where_everything_is(cli_run: Run) -> None:
    assert cli_run.exit_code == 0, cli_run.stdout + cli_run.stderr
    ws = cli_run.ws
    circulation = ws.root / "circulation" / f"{SLUG}.xlsx"
    lines = cli_run.stdout.splitlines()
    assert f"  Master plan:        {ws.master}" in lines
    assert f"  Circulation copy:   {circulation}" in lines
    assert f"  Returns issued:     {ws.root / 'returns' / SLUG}" in lines
    assert f"  Returns received:   {cli_run.root / 'inbox'}" in lines
    assert f"  Feedback to send:   {cli_run.root / 'feedback'}" in lines
    assert f"Next: ipt status -w {ws.root}" in lines
    assert ws.master.is_file() and circulation.is_file()
    # Progress goes to stderr, so the summary on stdout can be read or piped on its own.
    assert "Checking and merging every return" in cli_run.stderr
    assert "Checking and merging" not in cli_run.stdout


@pytest.mark.slow
def test_python_m_demo_from_a_fresh_folder_uses_the_default_workspace(process_run: Run) -> None:
    assert process_run.exit_code == 0, process_run.stderr
    master = process_run.ws.master
    assert master.is_file()
    assert f"Master plan:        {master.relative_to(master.parents[3])}" in process_run.stdout
    assert (process_run.root / MARKER).is_file()


def test_the_summary_says_what_happened_to_each_return(cli_run: Run) -> None:
    out = cli_run.stdout
    assert "Workspace created from the example plan: 32 areas." in out
    assert f"Issued '{ROUND}': 19 returns in" in out
    assert "7 returns came back to" in out
    for agency in MERGED:
        assert f"  {agency.lower()}-return.xlsx (" in out
    outcome = {
        line.split()[0]: line.split("): ", 1)[1].split(".")[0]
        for line in out.splitlines()
        if line.startswith("  ") and "-return.xlsx (" in line
    }
    assert outcome == {
        "csc-return.xlsx": "merged",
        "health-return.xlsx": "merged",
        "sirona-return.xlsx": "merged",
        "lscb-return.xlsx": "merged",
        "cs-return.xlsx": "merged",
        "ruh-return.xlsx": "rejected",
        "schools-return.xlsx": "rejected",
    }


# -- the workspace it leaves ----------------------------------------------------------------------
def test_status_of_every_agency(cli_run: Run) -> None:
    ws = cli_run.ws
    plan = read_master(ws.master)
    with Ledger(ws.ledger_path) as ledger:
        st = workspace_status(plan, ledger)
    assert (st.round_name, st.open_conflicts) == (ROUND, 1)
    state = {a.agency: a for a in st.agencies}
    assert len(state) == 19
    assert {k for k, a in state.items() if a.state == "received"} == {
        "CSC",
        "HEALTH",
        "SIRONA",
        "CS",
    }
    assert {k for k, a in state.items() if a.state == "conflicts"} == {"LSCB"}
    assert {k for k, a in state.items() if a.state == "rejected"} == set(REJECTED)
    assert all(a.state == "outstanding" for k, a in state.items() if k not in (*MERGED, *REJECTED))
    # RUH's return says No in its sign-off (above the table, so it is the first problem).
    assert state["RUH"].detail.startswith("The sign-off says No in L7")
    assert "(and 3 more problems)" in state["RUH"].detail
    assert state["RUH"].sign_off is None
    assert state["CSC"].sign_off is not None
    assert state["CSC"].sign_off.text == (
        "Jo Hughes (Head of Children's Social Care), 10 September 2012"
    )
    assert state["LSCB"].sign_off is not None and state["LSCB"].sign_off.name == "Helen Price"
    assert "Actions text for area 2.4 has been changed" in state["SCHOOLS"].detail


def test_ipt_status_prints_the_same(cli_run: Run) -> None:
    result = CliRunner().invoke(app, ["status", "-w", str(cli_run.ws.root)], env=WIDE)
    assert result.exit_code == 0, result.output
    # The Returns table: from its title to the next table's title.
    lines = result.stdout.splitlines()
    returns = lines[lines.index("Returns") : lines.index("RAG by theme")]
    rows = {
        cells[1].strip(): cells[2].strip()
        for line in returns
        if len(cells := line.split("│")) > 3 and cells[1].strip()
    }
    assert len(rows) == 19
    assert rows["Royal United Hospital"] == "rejected"
    assert rows["Schools and Academies"] == "rejected"
    assert rows["Local Safeguarding Children Board"] == "conflicts"
    for name in (
        "Children's Social Care Service",
        "Health Services",
        "Sirona Care and Health",
        "Children's Service",
    ):
        assert rows[name] == "received", name
    assert rows["Police"] == "overdue"  # the demo's returns were due in September 2012
    header = next(line for line in returns if "Agency" in line and "State" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == [
        "Agency",
        "State",
        "Detail",
        "Signed off by",
    ]
    signed = {
        cells[1].strip(): cells[4].strip()
        for line in returns
        if len(cells := line.split("│")) > 5 and cells[1].strip()
    }
    assert signed["Sirona Care and Health"].startswith("Mark Ellis (Service Manager")
    assert signed["Royal United Hospital"] == ""
    assert "To chase: 12 overdue, 2 rejected and not sent again." in result.stdout
    assert "Open conflicts: 1 (see the master's Conflicts sheet)" in result.stdout


def test_lscb_has_one_conflict_on_2_10_and_the_hand_edit_stands(cli_run: Run, master: Any) -> None:
    with Ledger(cli_run.ws.ledger_path) as ledger:
        conflicts = ledger.open_conflicts(ROUND)
    assert [(c.agency, c.area_id, c.column) for c in conflicts] == [("LSCB", "2.10", "evidence")]
    cell = plan_cell(master, "2.10", "Evidence of impact")
    assert cell.value == "To be determined: section 11 audit due December 2012."
    assert cell.fill.fgColor.rgb == "FF" + CONFLICT[0].lstrip("#")
    assert cell.comment is not None and cell.comment.text.startswith("Conflict: ")
    assert "AWP audit of supervision completed in August." in cell.comment.text
    rows = list(master["Conflicts"].iter_rows(min_row=2, values_only=True))
    # Named, not by key: the sheet is read by people.
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("Local Safeguarding Children Board", "2.10", "Evidence of impact")
    ]
    # LSCB's other fields on 2.10 merged.
    assert plan_cell(master, "2.10", "Date of next review").value == "December 2012"


def test_shared_area_1_3_shows_the_worst_rag_and_both_agencies_words(master: Any) -> None:
    rag = plan_cell(master, "1.3", "RAG")
    assert rag.value == "AMBER"  # CSC said GREEN, Health AMBER: the worst wins
    progress = plan_cell(master, "1.3", "Progress")
    assert "Children's Social Care Service: Same-day notification" in progress.value
    assert "Health Services: Health visitors and school nurses" in progress.value
    for cell in (rag, progress):
        assert cell.fill.fgColor.rgb == "FF" + CHANGED[0].lstrip("#")
        assert cell.comment is not None and cell.comment.text.startswith("Was: ")


def test_shared_area_1_3_has_a_disagreement_note(master: Any) -> None:
    # CSC kept the issued GREEN while Health moved to AMBER: that is a disagreement too.
    note = plan_cell(master, "1.3", "RAG note").value or ""
    assert note == (
        "Agencies disagree: Children's Social Care Service GREEN, Health Services AMBER"
    )


def test_every_merged_change_is_highlighted_with_a_note(cli_run: Run, master: Any) -> None:
    with Ledger(cli_run.ws.ledger_path) as ledger:
        changes = [c for c in ledger.changes(ROUND) if not c.superseded]
    assert {c.agency for c in changes} == set(MERGED)
    headers = {
        "progress": "Progress",
        "rag": "RAG",
        "evidence": "Evidence of impact",
        "next_review": "Date of next review",
    }
    for ch in changes:
        cell = plan_cell(master, ch.area_id, headers[ch.column])
        assert cell.fill.fgColor.rgb == "FF" + CHANGED[0].lstrip("#"), (ch.area_id, ch.column)
        assert cell.comment is not None and cell.comment.text.startswith("Was: ")


def test_rejected_returns_changed_nothing(master: Any) -> None:
    assert plan_cell(master, "1.16", "RAG").value == "AMBER"  # not RUH's 'Purple'
    assert "IT alert function live" not in plan_cell(master, "1.16", "Progress").value
    assert plan_cell(master, "2.11", "RAG").value != "GREEN"
    assert "Results: 5 of 9" not in plan_cell(master, "2.4", "Progress").value
    assert "(done)" not in plan_cell(master, "2.4", "Actions").value
    for area_id, header in (("1.16", "RAG"), ("2.4", "Progress"), ("2.4", "Actions")):
        assert plan_cell(master, area_id, header).comment is None


def _return_cell(path: Path, area_id: str, header: str) -> Any:
    sheet = openpyxl.load_workbook(path)["Return"]
    for row in sheet.iter_rows():
        if row[0].value == "ID":
            headers = [c.value for c in row]
        elif row[0].value == area_id:
            return row[headers.index(header)]
    raise AssertionError(f"{path.name} has no row for {area_id}")


def test_feedback_goes_to_the_two_rejected_agencies(cli_run: Run) -> None:
    feedback = cli_run.root / "feedback"
    ruh = feedback / f"ruh-{SLUG}-feedback.xlsx"
    schools = feedback / f"schools-{SLUG}-feedback.xlsx"
    assert sorted(feedback.iterdir()) == sorted([ruh, schools])
    rag = _return_cell(ruh, "1.16", "RAG")
    assert rag.value == "Purple"
    assert rag.comment is not None and "'Purple' is not a RAG rating" in rag.comment.text
    # The edited plan text is put back, and its cell says so (not the update beside it).
    actions = _return_cell(schools, "2.4", "Actions")
    assert "(done)" not in actions.value
    assert actions.comment is not None
    assert "plan text in this cell had been changed" in actions.comment.text
    progress = _return_cell(schools, "2.4", "Progress")
    assert progress.value == "Results: 5 of 9 achieved 5 GCSEs A*-C."
    assert progress.comment is None


# -- same input, same output ----------------------------------------------------------------------
def _compare(a: Path, b: Path) -> list[str]:
    return [f"{a.name}: {d}" for d in compare_xlsx(a, b)]


@pytest.mark.slow
def test_issued_returns_are_identical_across_runs(cli_run: Run, process_run: Run) -> None:
    a_dir = cli_run.ws.root / "returns" / SLUG
    b_dir = process_run.ws.root / "returns" / SLUG
    names = sorted(p.name for p in a_dir.iterdir())
    assert len(names) == 19
    assert names == sorted(p.name for p in b_dir.iterdir())
    assert [d for n in names for d in _compare(a_dir / n, b_dir / n)] == []


@pytest.mark.slow
def test_circulation_copy_is_identical_across_runs(cli_run: Run, process_run: Run) -> None:
    copy = Path("circulation") / f"{SLUG}.xlsx"
    assert _compare(cli_run.ws.root / copy, process_run.ws.root / copy) == []


@pytest.mark.slow
def test_feedback_is_identical_across_runs(cli_run: Run, process_run: Run) -> None:
    a_dir, b_dir = cli_run.root / "feedback", process_run.root / "feedback"
    names = sorted(p.name for p in a_dir.iterdir())
    assert names == sorted(p.name for p in b_dir.iterdir())
    assert [d for n in names for d in _compare(a_dir / n, b_dir / n)] == []


@pytest.mark.slow
def test_master_is_identical_across_runs(cli_run: Run, process_run: Run) -> None:
    assert _compare(cli_run.ws.master, process_run.ws.master) == []


@pytest.mark.slow
def test_filled_returns_are_byte_identical_across_runs(cli_run: Run, process_run: Run) -> None:
    a_dir, b_dir = cli_run.root / "inbox", process_run.root / "inbox"
    names = sorted(p.name for p in a_dir.iterdir())
    assert len(names) == 7
    differ = [n for n in names if (a_dir / n).read_bytes() != (b_dir / n).read_bytes()]
    assert differ == []


# -- where it may run -----------------------------------------------------------------------------
def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_refuses_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    real = tmp_path / "plan"
    real.mkdir()
    (real / "master.xlsx").write_bytes(b"the coordinator's real master")
    (real / "notes.txt").write_text("keep me")
    before = _snapshot(real)
    result = CliRunner().invoke(app, ["demo", "--workspace", str(real)])
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert f"{real} holds files that are not from the demo." in message
    assert "ipt demo --workspace DIR" in message
    assert _snapshot(real) == before
    assert not (real / MARKER).exists()


def test_refuses_a_file_in_place_of_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    target.write_text("not a folder")
    result = CliRunner().invoke(app, ["demo", "--workspace", str(target)])
    assert result.exit_code == 2
    assert str(target) in result.stderr
    assert target.read_text() == "not a folder"


@pytest.mark.slow
def test_a_second_run_in_a_demo_folder_starts_afresh(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    root.mkdir()
    (root / MARKER).write_text("made by ipt demo\n")
    (root / "stale.xlsx").write_bytes(b"left over from an older run")
    done = run_demo(root)
    assert not (root / "stale.xlsx").exists()
    assert (root / MARKER).is_file()
    assert done.master == root / "workspace" / "master.xlsx" and done.master.is_file()
