"""The `ipt` command: thin. Each command parses its options, calls one library function,
renders the result and maps the library's exceptions to exit codes:

    0  done, everything valid
    1  done, but something needs attention (an invalid return, a conflict, lint problems)
    2  could not do it: a usage, file or workspace problem

Heavy libraries are imported inside the commands, so `ipt --help` is instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from ipt_excel.problems import Problem

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Run an improvement plan's update loop through Excel: issue locked returns to "
    "agencies, check what comes back, merge it into the master and circulate it.",
)

WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace", "-w", help="The workspace folder.", envvar="IPT_WORKSPACE", show_default=True
    ),
]
DEFAULT_WS = Path("workbooks")


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _fail(message: str, code: int = 2) -> NoReturn:
    _console(stderr=True).print(f"[bold red]Error:[/] {message}", markup=True)
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Map the library's exceptions to a one-line message and exit code 2."""
    from ipt_excel.errors import IptError, PlanInvalidError

    try:
        yield
    except PlanInvalidError as exc:
        _print_problems(exc.problems)  # type: ignore[arg-type]
        _fail(str(exc))
    except IptError as exc:
        _fail(str(exc))


def _parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"{option} must be a date like 2012-09-26, not '{text}'.")


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _print_problems(problems: list[Problem]) -> None:
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    for heading in (
        "File",
        "Sheet",
        "Cell",
        "ID",
        "Column",
        "Severity",
        "Rule",
        "Value",
        "What to do",
    ):
        table.add_column(heading, overflow="fold")
    for p in problems:
        value = p.value if len(p.value) <= 40 else p.value[:39] + "…"
        table.add_row(
            p.file, p.sheet, p.cell, p.area_id, p.column, str(p.severity), p.rule, value, p.message
        )
    _console().print(table)


def _version(value: bool) -> None:
    if value:
        from ipt_excel import __version__

        typer.echo(f"ipt_excel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Run an improvement plan's update loop through Excel."""


# -- init -----------------------------------------------------------------------------------------
@app.command()
def init(
    workspace: WorkspaceOpt = DEFAULT_WS,
    example: Annotated[
        bool, typer.Option("--example", help="Start from the bundled example plan.")
    ] = False,
    from_: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Start from your own plan: a .yaml plan file, or an .xlsx or .csv table with "
            "the seed's headings.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing master (the old one is kept).")
    ] = False,
    title: Annotated[str | None, typer.Option(help="Plan title, for an .xlsx/.csv table.")] = None,
    round_name: Annotated[
        str, typer.Option("--round", help="Name of the current round, for an .xlsx/.csv table.")
    ] = "Baseline",
    round_date: Annotated[
        str | None, typer.Option("--date", help="Date of the current round (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Create a workspace and its master workbook from a plan.

    Examples:

      ipt init --example

      ipt init --from our-plan.xlsx --title "Ofsted improvement plan" --date 2024-03-01 -w plan
    """
    if example == (from_ is not None):
        _fail("Give exactly one of --example or --from FILE.")
    with _errors():
        from ipt_excel.master import init_workspace, load_plan_source
        from ipt_excel.plan_file import example_plan_path, load_plan

        if example:
            plan = load_plan(example_plan_path())
        else:
            assert from_ is not None
            plan = load_plan_source(
                from_,
                title=title,
                round_name=round_name,
                round_date=_parse_date(round_date, "--date"),
            )
        result = init_workspace(workspace, plan, force=force, now=_now())
    rated = sum(1 for a in plan.areas if a.rag)
    _console().print(
        f"Created the workspace [bold]{workspace}[/] for “{plan.title[:80]}”.\n"
        f"Master: {result.workspace.master}\n"
        f"{len(plan.areas)} areas for improvement ({rated} rated), {len(plan.agencies)} agencies, "
        f"round: {plan.round.name}.\n"
        f"Next: ipt issue --round NAME --date YYYY-MM-DD -w {workspace}",
        markup=True,
    )


def main() -> None:
    """Console-script entry point."""
    app()
