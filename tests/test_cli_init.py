"""`ipt init`: through typer's CliRunner, and once for real with `python -m ipt_excel`."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import xlsxwriter
from plans import with_values
from typer.testing import CliRunner, Result

from ipt_excel.cli import app
from ipt_excel.core.model import Plan
from ipt_excel.core.plan_data import dump_plan
from ipt_excel.excel.master_reader import read_master
from ipt_excel.services.plan_source import example_plan_path, load_plan

runner = CliRunner()

SEED_HEADERS = [
    "Area for improvement",
    "Actions",
    "Lead",
    "Date for completion",
    "Assurance measures",
    "Desired outcome",
    "Progress at (Inc RAG rating)",
    "Evidence of impact",
    "Date of next review",
    "Agency",
]


@pytest.fixture(scope="module")
def example() -> Plan:
    return load_plan(example_plan_path())


def seed_table(plan: Plan) -> list[list[str]]:
    rows = [SEED_HEADERS]
    for a in plan.areas:
        rows.append(
            [
                f"{a.id} {a.value('title')}",
                a.value("actions"),
                a.value("leads"),
                a.value("completion"),
                a.value("assurance"),
                a.value("outcome"),
                f"{a.value('progress')} {a.value('rag')}".strip()
                if a.value("rag")
                else a.value("progress"),
                a.value("evidence"),
                a.value("next_review"),
                "\n".join(plan.agency(k).name for k in a.agencies),
            ]
        )
    return rows


def rag_counts(plan: Plan) -> Counter[str]:
    return Counter(a.value("rag") for a in plan.areas)


def init(*args: str) -> Result:
    return runner.invoke(app, ["init", *args])


# -- --example -----------------------------------------------------------------------------------
def test_init_example_writes_the_whole_seed(example: Plan, tmp_path: Path) -> None:
    ws = tmp_path / "W"
    result = init("--example", "--workspace", str(ws))
    assert result.exit_code == 0, result.output
    master = read_master(ws / "master.xlsx")
    assert master == example  # every text verbatim, as in the YAML
    assert len(master.areas) == 32
    assert rag_counts(master) == {"GREEN": 5, "AMBER": 20, "": 7}
    out = result.stdout
    assert "32 areas for improvement (25 rated)" in out
    assert str(ws / "master.xlsx") in out
    assert (ws / ".ipt" / "key").exists()


def test_init_uses_the_workspace_environment_variable(example: Plan, tmp_path: Path) -> None:
    ws = tmp_path / "from-env"
    result = runner.invoke(app, ["init", "--example"], env={"IPT_WORKSPACE": str(ws)})
    assert result.exit_code == 0, result.output
    assert read_master(ws / "master.xlsx") == example


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    ws = tmp_path / "W"
    assert init("--example", "-w", str(ws)).exit_code == 0
    before = (ws / "master.xlsx").read_bytes()
    result = init("--example", "-w", str(ws))
    assert result.exit_code == 2
    err = result.stderr
    assert "already exists" in err and "--force" in err
    assert str(ws / "master.xlsx") in err
    assert (ws / "master.xlsx").read_bytes() == before
    assert not (ws / "history").exists()


def test_init_force_keeps_the_old_master_in_history(tmp_path: Path) -> None:
    ws = tmp_path / "W"
    assert init("--example", "-w", str(ws)).exit_code == 0
    before = (ws / "master.xlsx").read_bytes()
    key = (ws / ".ipt" / "key").read_bytes()
    result = init("--example", "-w", str(ws), "--force")
    assert result.exit_code == 0, result.output
    kept = list((ws / "history").iterdir())
    assert len(kept) == 1 and kept[0].name.startswith("master-") and kept[0].suffix == ".xlsx"
    assert kept[0].read_bytes() == before
    assert (ws / ".ipt" / "key").read_bytes() == key


@pytest.mark.parametrize("args", [[], ["--example", "--from", "__FILE__"]])
def test_exactly_one_source(tmp_path: Path, args: list[str]) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(example_plan_path().read_text(encoding="utf-8"), encoding="utf-8")
    args = [str(plan) if a == "__FILE__" else a for a in args]
    result = init(*args, "-w", str(tmp_path / "W"))
    assert result.exit_code == 2
    assert "Give exactly one of --example or --from FILE." in result.stderr
    assert not (tmp_path / "W").exists()


# -- --from --------------------------------------------------------------------------------------
def test_init_from_a_seed_csv(example: Plan, tmp_path: Path) -> None:
    table = tmp_path / "our plan.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(seed_table(example))
    ws = tmp_path / "W"
    result = init(
        "--from", str(table), "-w", str(ws),
        "--title", "Ofsted improvement plan", "--round", "June review", "--date", "2012-06-26",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    master = read_master(ws / "master.xlsx")
    assert master.title == "Ofsted improvement plan"
    assert (master.round.name, master.round.date.isoformat()) == ("June review", "2012-06-26")
    assert [a.id for a in master.areas] == [a.id for a in example.areas]
    assert rag_counts(master) == {"GREEN": 5, "AMBER": 20, "": 7}
    for got, want in zip(master.areas, example.areas, strict=True):
        assert (
            got.value("title"),
            got.value("actions"),
            got.value("progress"),
            got.value("evidence"),
        ) == (
            want.value("title"),
            want.value("actions"),
            want.value("progress"),
            want.value("evidence"),
        )


def test_init_from_a_seed_xlsx(example: Plan, tmp_path: Path) -> None:
    table = tmp_path / "plan.xlsx"
    wb = xlsxwriter.Workbook(str(table), {"strings_to_formulas": False})
    sheet = wb.add_worksheet()
    for r, row in enumerate(seed_table(example)):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    wb.close()
    ws = tmp_path / "W"
    result = init("--from", str(table), "-w", str(ws))
    assert result.exit_code == 0, result.output
    master = read_master(ws / "master.xlsx")
    assert master.title == "plan"
    assert master.round.name == "Baseline"
    assert rag_counts(master) == {"GREEN": 5, "AMBER": 20, "": 7}
    assert master.area("2.14").value("evidence") == example.area("2.14").value(
        "evidence"
    )  # starts with "-"


def test_init_from_a_table_with_an_unknown_column(example: Plan, tmp_path: Path) -> None:
    table = tmp_path / "plan.csv"
    rows = seed_table(example)[:3]
    rows[0] = [*rows[0], "Comments"]
    rows[1] = [*rows[1], "Linked to 2.1"]
    with table.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    result = init("--from", str(table), "-w", str(tmp_path / "W"))
    assert result.exit_code == 0, result.output
    assert "  Comments                      kept as plan text" in result.stdout
    master = read_master(tmp_path / "W" / "master.xlsx")
    assert master.areas[0].value("comments") == "Linked to 2.1"
    assert ("map", "Comments=text") in master.imported


def test_a_table_with_errors_writes_nothing_and_names_every_cell(tmp_path: Path) -> None:
    table = tmp_path / "plan.csv"
    rows = [["Ref", "Recommendation", "Agency", "RAG"], ["1", "One", "Police", "Purple"],
            ["2", "Two", "Police", "Red and Green"]]  # fmt: skip
    with table.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    result = init("--from", str(table), "-w", str(tmp_path / "W"))
    assert result.exit_code == 2
    out = " ".join(result.stdout.split())
    assert "error plan.csv, D2: 'Purple' is not a RAG rating." in out
    assert "error plan.csv, D3: 'Red and Green' gives two ratings." in out
    assert "plan.csv: 2 problems to fix in the table. Nothing was written" in " ".join(
        result.stderr.split()
    )
    assert not (tmp_path / "W").exists()


def test_a_failed_reimport_leaves_the_workspace_as_it_was(example: Plan, tmp_path: Path) -> None:
    ws = tmp_path / "W"
    assert init("--example", "-w", str(ws)).exit_code == 0
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}
    table = tmp_path / "plan.csv"
    table.write_text("Ref,Recommendation,Agency,RAG\n1,One,Police,Purple\n")
    result = init("--from", str(table), "--force", "-w", str(ws))
    assert result.exit_code == 2
    assert {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()} == before


def test_init_from_a_missing_file(tmp_path: Path) -> None:
    result = init("--from", str(tmp_path / "nope.csv"), "-w", str(tmp_path / "W"))
    assert result.exit_code == 2
    assert "nope.csv" in result.output


def test_init_with_a_bad_date(example: Plan, tmp_path: Path) -> None:
    table = tmp_path / "plan.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(seed_table(example)[:3])
    result = init("--from", str(table), "--date", "26/06/2012", "-w", str(tmp_path / "W"))
    assert result.exit_code == 2
    assert "--date must be a date like 2012-09-26, not '26/06/2012'" in result.stderr


def test_init_from_yaml(example: Plan, tmp_path: Path) -> None:
    source = tmp_path / "plan.yaml"
    other = replace(example, title="Edited copy")
    source.write_text(dump_plan(other), encoding="utf-8")
    result = init("--from", str(source), "-w", str(tmp_path / "W"))
    assert result.exit_code == 0, result.output
    assert read_master(tmp_path / "W" / "master.xlsx") == other


@pytest.mark.parametrize(
    ("index", "change"),
    [
        (0, {"agencies": ("FIRE",)}),  # an agency key missing from the registry
        (1, {"id": "1.1"}),  # a duplicate ID
        (0, {"rag": "PURPLE"}),  # a RAG off the plan's scale
    ],
    ids=["unknown-agency", "duplicate-id", "rag-off-scale"],
)
def test_init_refuses_a_plan_whose_master_could_not_be_read_back(
    example: Plan, tmp_path: Path, index: int, change: dict[str, object]
) -> None:
    # Whatever init accepts, the master it writes must read back: otherwise every later
    # command fails on a master the coordinator never touched.
    areas = list(example.areas)
    areas[index] = with_values(areas[index], **change)
    source = tmp_path / "plan.yaml"
    source.write_text(dump_plan(replace(example, areas=tuple(areas))), encoding="utf-8")
    ws = tmp_path / "W"
    result = init("--from", str(source), "-w", str(ws))
    assert result.exit_code == 2, "init wrote a master that cannot be read back"
    assert not (ws / "master.xlsx").exists()


# -- for real ------------------------------------------------------------------------------------
def test_python_dash_m_ipt_excel_init(example: Plan, tmp_path: Path) -> None:
    ws = tmp_path / "W"
    env = {k: v for k, v in os.environ.items() if k != "IPT_WORKSPACE"}
    cmd = [sys.executable, "-m", "ipt_excel", "init", "--example", "--workspace", str(ws)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "32 areas for improvement" in done.stdout
    assert read_master(ws / "master.xlsx") == example
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr
