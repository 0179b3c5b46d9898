"""Issuing a round into a workspace: files where they belong, the ledger updated, all signed."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from golden.regenerate import small_plan

from ipt_excel.core.manifest import from_json, verify
from ipt_excel.core.model import Plan
from ipt_excel.core.rounds import HEADER_ROW
from ipt_excel.errors import IssueNeedsForceError, UsageError, WorkspaceError
from ipt_excel.excel import master_reader
from ipt_excel.excel.master_writer import write_master
from ipt_excel.excel.return_reader import read_return
from ipt_excel.services.issue import IssueResult, issue_round
from ipt_excel.services.master import init_workspace
from ipt_excel.services.plan_source import EXAMPLE_PLAN, load_plan
from ipt_excel.workspace import Workspace
from ipt_excel.workspace.ledger import Ledger

NOW = datetime(2012, 9, 3, 10, 0, 0)
ROUND = "Third review of progress"


def _workspace(tmp_path: Path, plan: Plan) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    ws.root.mkdir()
    ws.master.write_bytes(write_master(plan, created=NOW))
    ws.create_key()
    return ws


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace whose master reads as the small plan (the master reader is tested alone)."""
    plan = small_plan()
    monkeypatch.setattr(master_reader, "read_master", lambda path, **kw: plan)
    return _workspace(tmp_path, plan)


def _issue(ws: Workspace, **kwargs: object) -> IssueResult:
    args: dict[str, object] = {
        "round_name": ROUND,
        "round_date": date(2012, 9, 25),
        "due": date(2012, 9, 14),
        "agencies": None,
        "password": None,
        "now": NOW,
    }
    args.update(kwargs)
    return issue_round(ws, **args)  # type: ignore[arg-type]


def test_one_file_per_agency_in_the_round_folder(ws: Workspace) -> None:
    seen: list[str] = []
    result = issue_round(
        ws,
        round_name=ROUND,
        round_date=date(2012, 9, 25),
        due=date(2012, 9, 14),
        agencies=None,
        password=None,
        now=NOW,
        progress=seen.append,
    )
    folder = ws.root / "returns" / "third-review-of-progress"
    assert result.directory == folder
    assert [(f.agency, f.agency_name, f.path, f.rows) for f in result.files] == [
        ("A", "Children's Social Care", folder / "a.xlsx", 3),
        ("B", "Health Services", folder / "b.xlsx", 2),
    ]
    assert sorted(p.name for p in folder.iterdir()) == ["a.xlsx", "b.xlsx"]  # no temp files left
    assert seen == ["Children's Social Care", "Health Services"]
    assert result.skipped == ("Police",)
    assert (result.round.name, result.round.date, result.round.due) == (
        ROUND,
        date(2012, 9, 25),
        date(2012, 9, 14),
    )


def test_the_new_round_becomes_current(ws: Workspace) -> None:
    _issue(ws)
    with Ledger(ws.ledger_path) as ledger:
        current = ledger.current_round()
    assert current is not None
    assert (current.name, current.slug, current.date, current.due) == (
        ROUND,
        "third-review-of-progress",
        date(2012, 9, 25),
        date(2012, 9, 14),
    )


def test_each_return_is_recorded_signed_and_matches_its_file(ws: Workspace) -> None:
    _issue(ws)
    key = ws.key()
    with Ledger(ws.ledger_path) as ledger:
        records = ledger.issued(ROUND)
    assert [(r.agency, r.path) for r in records] == [
        ("A", "returns/third-review-of-progress/a.xlsx"),
        ("B", "returns/third-review-of-progress/b.xlsx"),
    ]
    for record in records:
        manifest = from_json(record.manifest)
        assert verify(manifest, record.signature, key)
        assert record.issued_at == NOW and manifest.issued_at == NOW.isoformat()
        assert (manifest.round_name, manifest.round_date) == (ROUND, "2012-09-25")
        got = read_return((ws.root / record.path).read_bytes(), record.path)
        assert got.manifest == manifest and got.signature == record.signature


def test_returns_show_the_new_round_and_due_date(ws: Workspace) -> None:
    result = _issue(ws)
    wb = openpyxl.load_workbook(io.BytesIO(result.files[0].path.read_bytes()))
    lines = [wb["Return"].cell(row=r, column=2).value for r in range(1, HEADER_ROW)]
    assert lines[0] == f"Children's Social Care: {ROUND}, 25 September 2012"
    assert "by Friday 14 September 2012." in lines[2]
    months = [wb["Lists"].cell(row=r, column=2).value for r in (1, 18, 19)]
    # The next review cannot be this one: the list starts the month after the round.
    assert months == ["October 2012", "March 2014", "Not required"]


def test_password_protects_every_return(ws: Workspace) -> None:
    result = _issue(ws, password="letmein")
    for f in result.files:
        sheet = openpyxl.load_workbook(io.BytesIO(f.path.read_bytes()))["Return"]
        assert sheet.protection.sheet and sheet.protection.password


def test_named_agencies_only(ws: Workspace) -> None:
    result = _issue(ws, agencies=["health", "Police"])
    assert [f.agency for f in result.files] == ["B"]
    assert result.skipped == ("Police",)
    with Ledger(ws.ledger_path) as ledger:
        assert [r.agency for r in ledger.issued(ROUND)] == ["B"]


def test_an_empty_agency_list_means_every_agency(ws: Workspace) -> None:
    assert [f.agency for f in _issue(ws, agencies=[]).files] == ["A", "B"]


def test_unknown_agency_writes_nothing(ws: Workspace) -> None:
    with pytest.raises(UsageError, match="Did you mean 'Health'"):
        _issue(ws, agencies=["Helth"])
    assert not (ws.root / "returns").exists()
    with Ledger(ws.ledger_path) as ledger:
        assert ledger.rounds() == []


def test_nothing_to_issue_is_an_error(ws: Workspace) -> None:
    with pytest.raises(UsageError, match="No return was written"):
        _issue(ws, agencies=["Police"])


def test_reissuing_a_round_replaces_its_files_and_records(ws: Workspace) -> None:
    _issue(ws)
    _issue(ws, agencies=["A"], now=datetime(2012, 9, 4, 8, 0))
    with Ledger(ws.ledger_path) as ledger:
        assert len(ledger.rounds()) == 1
        a, b = ledger.issued(ROUND)
    assert a.issued_at == datetime(2012, 9, 4, 8, 0) and b.issued_at == NOW


def test_a_round_name_that_clashes_with_another_rounds_folder(ws: Workspace) -> None:
    _issue(ws)
    with pytest.raises(UsageError, match="would share the folder"):
        _issue(ws, round_name="Third review of progress!")


def test_blank_round_name(ws: Workspace) -> None:
    with pytest.raises(UsageError, match="Give the round a name"):
        _issue(ws, round_name="  ")


def test_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError):
        _issue(Workspace(tmp_path / "nowhere"))


def test_the_bundled_example_end_to_end(tmp_path: Path) -> None:
    """The real master reader on the example's master: one checked return per agency."""
    plan = load_plan(EXAMPLE_PLAN)
    ws = _workspace(tmp_path, plan)
    result = _issue(
        ws, round_name="Second review of progress", round_date=plan.round.date, due=None
    )
    files = result.files
    with_areas = [a for a in plan.agencies if plan.areas_for(a.key)]
    assert [f.agency for f in files] == [a.key for a in with_areas]
    key = ws.key()
    for f in files:
        got = read_return(f.path.read_bytes(), f.path.name)
        assert got.manifest is not None and verify(got.manifest, got.signature, key)
        assert [r.text("id") for r in got.rows] == [a.id for a in plan.areas_for(f.agency)]
        assert got.sheet_states == {
            "Return": "visible",
            "Lists": "hidden",
            "_manifest": "veryHidden",
        }
        sheet = openpyxl.load_workbook(io.BytesIO(f.path.read_bytes()))["Return"]
        assert sheet.protection.sheet
        # One per update column, and one for each of the sign-off's four cells.
        assert len(sheet.data_validations.dataValidation) == 8


def test_issuing_again_says_which_return_it_replaces(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ipt_excel.cli import app

    root = tmp_path / "ws"
    init_workspace(root, load_plan(EXAMPLE_PLAN), force=False, now=datetime(2012, 8, 1, 9, 0))
    args = ["issue", "--round", "Third", "--date", "2012-09-26", "--agency", "Police"]
    first = CliRunner().invoke(app, [*args, "-w", str(root)], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    assert "replaces" not in first.stdout
    again = CliRunner().invoke(app, [*args, "-w", str(root)], env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output
    assert "replaces the return issued on" in again.stdout


# -- issuing part of a round, and dates that look like a slip ---------------------------------
NEXT = "Fourth review of progress"


def _merged(ws: Workspace, agency: str) -> None:
    """Record that `agency`'s return for the current round has been merged."""
    with Ledger(ws.ledger_path) as ledger, ledger.transaction():
        current = ledger.current_round()
        assert current is not None
        ledger.add_receipt(
            at=NOW, file_name="x.xlsx", sha256="0" * 64, round_name=current.name,
            agency=agency, outcome="merged", detail="1 change merged.",
        )  # fmt: skip


def test_a_new_round_for_some_agencies_is_refused_while_others_returns_are_out(
    ws: Workspace,
) -> None:
    _issue(ws)
    with pytest.raises(IssueNeedsForceError) as info:
        _issue(ws, round_name=NEXT, round_date=date(2012, 12, 5), due=None, agencies=["Health"])
    message = str(info.value)
    assert f"'{NEXT}' is a new round, and it would go only to the agencies named" in message
    assert (
        f"To send one agency its return again, use the current round's name: --round '{ROUND}'"
        in message
    )
    assert "Nothing was issued." in message and "--force" in message
    with Ledger(ws.ledger_path) as ledger:
        assert ledger.current_round().name == ROUND  # type: ignore[union-attr]
    forced = _issue(
        ws, round_name=NEXT, round_date=date(2012, 12, 5), due=None, agencies=["Health"],
        force=True,
    )  # fmt: skip
    assert [f.agency for f in forced.files] == ["B"]


def test_reissuing_one_agency_in_the_current_round_keeps_the_others(ws: Workspace) -> None:
    first = _issue(ws)
    again = _issue(ws, agencies=["Health"])
    assert [f.agency for f in again.files] == ["B"]
    with Ledger(ws.ledger_path) as ledger:
        issued = {r.agency: r.issued_at for r in ledger.issued(ROUND)}
    assert set(issued) == {f.agency for f in first.files}  # everyone is still in the round


def test_reissuing_one_agency_without_a_due_date_keeps_the_round_s(ws: Workspace) -> None:
    _issue(ws)
    again = _issue(ws, agencies=["Health"], due=None)
    assert again.notes == ()  # nothing changed: nothing to say
    with Ledger(ws.ledger_path) as ledger:
        current = ledger.current_round()
    assert current is not None and current.due == date(2012, 9, 14)


def test_a_new_round_for_some_agencies_when_nothing_is_out(ws: Workspace) -> None:
    first = _issue(ws)
    for f in first.files:
        if f.agency != "B":
            _merged(ws, f.agency)
    done = _issue(ws, round_name=NEXT, round_date=date(2012, 12, 5), due=None, agencies=["Health"])
    assert [f.agency for f in done.files] == ["B"]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"round_name": NEXT, "round_date": date(2012, 6, 1), "due": None},
         f"The new round '{NEXT}' is for 1 June 2012, before the current round"),
        ({"due": date(2012, 9, 30)},
         "The returns would be due on 30 September 2012, after the review on 25 September 2012"),
        ({"round_date": date(2012, 9, 28), "due": None},
         "Issuing it for 28 September 2012 changes the date for every agency in it"),
    ],
    ids=["round-before-current", "due-after-review", "current-round-new-date"],
)  # fmt: skip
def test_dates_that_look_like_a_slip_need_force(
    ws: Workspace, kwargs: dict[str, object], words: str
) -> None:
    _issue(ws)
    with pytest.raises(IssueNeedsForceError, match=words):
        _issue(ws, **kwargs)
    assert _issue(ws, force=True, **kwargs).files


def test_issuing_an_earlier_round_again_needs_force(ws: Workspace) -> None:
    _issue(ws)
    for f in _issue(ws).files:
        _merged(ws, f.agency)
    _issue(ws, round_name=NEXT, round_date=date(2012, 12, 5), due=None)
    with pytest.raises(IssueNeedsForceError, match=f"'{ROUND}' is an earlier round"):
        _issue(ws)
