"""The `ipt` command: thin. Each command parses its options, calls one library function,
renders the result and maps the library's exceptions to exit codes:

    0  done, everything valid
    1  done, but something needs attention (an invalid return, a conflict, lint problems)
    2  could not do it: a usage, file or workspace problem

Heavy libraries are imported inside the commands, so `ipt --help` is instant.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperArgument, TyperOption

from ipt_excel.core.text import long_date, plural
from ipt_excel.workspace import DEFAULT_FEEDBACK_DIR, DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from rich.console import Console

    from ipt_excel.core.problems import Problem


def _argument_placeholder(self: TyperArgument, ctx: Any) -> str | None:
    """Nothing beside an argument named in words (FILE...) in --help: typer would add its
    Python type there (<list[Path]>) however its metavar is set."""
    return None if self.metavar else _typer_placeholder(self, ctx)


def _option_placeholder(self: TyperOption, ctx: Any) -> str | None:
    """Nothing beside a flag (--force, --help) in --help, where typer would put <bool>."""
    return None if self.is_flag and not self.metavar else _typer_option_placeholder(self, ctx)


_typer_placeholder = TyperArgument.display_type_rich
_typer_option_placeholder = TyperOption.display_type_rich
TyperArgument.display_type_rich = _argument_placeholder  # type: ignore[method-assign,assignment]
TyperOption.display_type_rich = _option_placeholder  # type: ignore[method-assign]


app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="markdown",
    add_completion=False,
    help="Run an improvement plan's update loop through Excel: issue locked returns to "
    "agencies, check what comes back, merge it into the master and circulate it.",
)

WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        help="The workspace folder.",
        envvar="IPT_WORKSPACE",
        show_default=True,
        metavar="DIR",
    ),
]
DEFAULT_WS = DEFAULT_WORKSPACE
FeedbackOpt = typer.Option(
    "--feedback",
    help="Where to write feedback workbooks for returns that are not valid.",
    metavar="DIR",
)
PasswordOpt = typer.Option(
    "--password",
    help="Protect feedback workbooks with this password (the one the returns were issued with).",
    metavar="TEXT",
)


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    # Markup off by default: paths like x/[draft]/plan.xlsx must print as they are.
    return Console(stderr=stderr, highlight=False, soft_wrap=True, markup=False)


# Below this many columns (or piped, where Rich assumes 80), a table of text would wrap each
# row over many lines: each record prints as a block instead, its first cells as a heading.
NARROW = 100


def _print_records(
    out: Console,
    headings: tuple[str, ...],
    rows: list[tuple[str, ...]],
    *,
    title: str = "",
    head: int = 1,
    show_lines: bool = False,
) -> None:
    from rich.table import Table
    from rich.text import Text

    if out.width >= NARROW:
        table = Table(
            title=title or None, header_style="bold", title_justify="left", show_lines=show_lines
        )
        for heading in headings:
            table.add_column(heading, overflow="fold")
        for row in rows:
            table.add_row(*row)
        out.print(table)
        return
    if title:
        out.print(Text(title, style="bold"))
    for row in rows:
        out.print(Text(" · ".join(v for v in row[:head] if v), style="bold"), soft_wrap=False)
        for heading, value in zip(headings[head:], row[head:], strict=True):
            if value:
                out.print(Text(_wrap(out, f"{heading}: {value}", "  ", "  ")), soft_wrap=True)


def _wrap(out: Console, text: str, first: str, rest: str) -> str:
    """`text` wrapped to the terminal, indented, without trailing spaces; a long path or
    address is left whole for the terminal to wrap, so it can still be copied."""
    import textwrap

    return "\n".join(
        textwrap.wrap(
            text,
            width=max(out.width, 20),
            initial_indent=first,
            subsequent_indent=rest,
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


def _fail(message: str, code: int = 2) -> NoReturn:
    from rich.markup import escape

    _console(stderr=True).print(f"[bold red]Error:[/] {escape(message)}", markup=True)
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


def _shorten(text: str, limit: int) -> str:
    """Cut at a word boundary, with an ellipsis, for one-line messages."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _print_problems(problems: list[Problem]) -> None:
    """Errors one short line each; warnings one line per kind. Grouped by file.

    Every row, warnings included, is in the --report file.
    """
    from rich.markup import escape

    from ipt_excel.core.rule_codes import info

    out = _console()
    files: dict[str, list[Problem]] = {}
    for p in problems:
        files.setdefault(p.file, []).append(p)
    for name, rows in files.items():
        out.print(f"[bold]{escape(name)}[/]", markup=True)
        for p in rows:
            if not p.is_error:
                continue
            where = " ".join(
                x for x in (f"{p.sheet}!{p.cell}" if p.cell else p.sheet, p.column) if x
            )
            # Problems in a plan table already lead with their file, sheet and cell.
            named = bool(p.file) and p.message.startswith(p.file)
            place = f" {where}:" if where and not named else ""
            text = _wrap(out, f"error{place} {p.message}", "  ", "    ")
            out.print("  [red]error[/]" + escape(text.removeprefix("  error")), markup=True)
        by_rule: dict[str, list[Problem]] = {}
        for p in rows:
            if not p.is_error:
                by_rule.setdefault(p.rule, []).append(p)
        for rule, group in by_rule.items():
            ids = ", ".join(dict.fromkeys(p.area_id for p in group if p.area_id))
            what = info(rule).summary
            text = f"{what} {ids}" if what and ids else group[0].message
            if len(group) > 1 and not what:
                text += f" (and {len(group) - 1} more like it)"
            wrapped = _wrap(out, f"warning {text}", "  ", "    ")
            out.print(
                "  [yellow]warning[/]" + escape(wrapped.removeprefix("  warning")), markup=True
            )


def _version(value: bool) -> None:
    if value:
        from ipt_excel import __version__

        typer.echo(f"ipt_excel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version.", metavar=""
        ),
    ] = False,
) -> None:
    """Run an improvement plan's update loop through Excel."""


# -- init -----------------------------------------------------------------------------------------
@app.command()
def init(
    workspace: WorkspaceOpt = DEFAULT_WS,
    example: Annotated[
        bool, typer.Option("--example", help="Start from the bundled example plan.", metavar="")
    ] = False,
    from_: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Start from your own plan: a .yaml plan file, or the table your plan is kept "
            "in (.xlsx, .xlsm, .ods, .xls, .csv or .tsv), with your own headings.",
            exists=True,
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace an existing master (the old one is kept).", metavar=""
        ),
    ] = False,
    title: Annotated[
        str | None,
        typer.Option(
            help="Plan title, for a table \\[default: the title above the table, or the "
            "file's name].",
            metavar="TEXT",
        ),
    ] = None,
    round_name: Annotated[
        str | None,
        typer.Option(
            "--round",
            help="Name of the current round, for a table \\[default: Baseline].",
            metavar="NAME",
        ),
    ] = None,
    round_date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Date of the current round (YYYY-MM-DD), for a table \\[default: today].",
            metavar="YYYY-MM-DD",
        ),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option(
            "--sheet",
            help="The sheet the table is on \\[default: the one that looks most like a plan].",
            metavar="NAME",
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help='What one of your headings means, as "Heading=column": a column such as '
            "leads or rag, text to keep it as plan text, ignore to leave it out (repeat).",
            metavar="HEADING=COLUMN",
        ),
    ] = None,
    rows: Annotated[
        str,
        typer.Option(
            "--rows",
            help="areas: one row per area; actions: one row per action, grouped under its "
            "recommendation; auto: tell from the table.",
            metavar="areas|actions|auto",
        ),
    ] = "auto",
    agencies: Annotated[
        Path | None,
        typer.Option(
            "--agencies",
            help="A table of the plan's agencies (name, short name, e-mail), read first.",
            exists=True,
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Create a workspace and its master workbook from a plan.

    From a table, the headings are matched to the plan's columns (Ref, Recommendation,
    Action, Owner, Organisation, Target date, RAG, Update and their usual variants), every
    other heading is kept as plan text, and the mapping used is printed and recorded, so a
    later --force re-import reads the table the same way. Nothing is written unless the
    whole table imports.

    Examples:

      ipt init --example

      ipt init --from cqc-plan.xlsx --title "CQC action plan" --date 2024-06-01 -w plan

      ipt init --from plan.csv --map "Lead officer=leads" --map "Notes=ignore" --rows actions
    """
    if example == (from_ is not None):
        _fail("Give exactly one of --example or --from FILE.")
    is_table = from_ is not None and from_.suffix.lower() not in (".yaml", ".yml")
    table_only = title or round_name or round_date or sheet or map_ or agencies or rows != "auto"
    if not is_table and table_only:
        _fail(
            "--title, --round, --date, --sheet, --map, --rows and --agencies are for a plan "
            "kept in a table. A .yaml plan, and the example, carry their own: leave them out."
        )
    with _errors():
        from ipt_excel.services.master import init_workspace, previous_plan_in
        from ipt_excel.services.plan_source import (
            LoadedPlan,
            example_plan_path,
            load_plan,
            load_plan_source,
        )

        if example:
            loaded = LoadedPlan(load_plan(example_plan_path()))
        else:
            assert from_ is not None
            loaded = load_plan_source(
                from_,
                title=title,
                round_name=round_name or "Baseline",
                round_date=_parse_date(round_date, "--date"),
                sheet=sheet,
                mapping=map_ or [],
                rows=rows,
                agencies=agencies,
                previous=previous_plan_in(workspace) if force else None,
            )
        plan = loaded.plan
        result = init_workspace(workspace, plan, force=force, now=_now())
    out = _console()
    if loaded.mapping_text:
        out.print(loaded.mapping_text)
    for split in loaded.splits:
        hint = (
            " To split it, list its agencies in an --agencies file."
            if split.how.startswith("kept whole: its parts")
            else ""
        )
        out.print(f"Agencies in {split.cell}: {' | '.join(split.names)} ({split.how}).{hint}")
    if loaded.warnings:
        _print_problems(list(loaded.warnings))
    rated = sum(1 for a in plan.areas if a.value("rag"))
    rows_word = "rows" if any(a.parent for a in plan.areas) else "areas for improvement"
    out.print(
        f"Created the workspace {workspace} for “{_shorten(plan.title, 80)}”.\n"
        f"Master: {result.workspace.master}\n"
        f"{len(plan.areas)} {rows_word} ({rated} rated), {len(plan.agencies)} agencies, "
        f"round: {plan.round.name}.\n"
        f"Next: ipt issue --round NAME --date YYYY-MM-DD -w {workspace}"
    )


def main() -> None:
    """Console-script entry point."""
    # pandera's built-in checks import hypothesis, where it is installed (a developer's
    # machine), to offer data synthesis strategies, which ipt never uses: a twentieth of a
    # second of every command that validates. Mark it absent for this process (pandera then
    # goes without its strategies), unless something has imported it already.
    sys.modules.setdefault("hypothesis", None)  # type: ignore[arg-type]
    app()


# -- issue ----------------------------------------------------------------------------------------
@app.command()
def issue(
    round_name: Annotated[
        str,
        typer.Option(
            "--round", help="The round's name, e.g. 'Third review of progress'.", metavar="NAME"
        ),
    ],
    round_date: Annotated[
        str,
        typer.Option(
            "--date",
            help="The date of the review meeting these updates are for (YYYY-MM-DD).",
            metavar="YYYY-MM-DD",
        ),
    ],
    due: Annotated[
        str | None,
        typer.Option(
            "--due",
            help="When returns are due back (YYYY-MM-DD). Issuing the current round again "
            "without it keeps the round's due date.",
            metavar="YYYY-MM-DD",
        ),
    ] = None,
    agency: Annotated[
        list[str] | None,
        typer.Option(
            "--agency",
            help="Issue only to this agency: its name, short name or another name it goes by "
            "(repeat for several).",
            metavar="NAME",
        ),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            "--password", help="Protect the returns' sheets with this password.", metavar="TEXT"
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Issue even though it strands returns already out (an earlier round again, "
            "a new round for only some agencies) or the dates look wrong (a round before the "
            "current one or more than 2 years after it or today, a new round on the current "
            "round's date, returns due after the review or already overdue).",
            metavar="",
        ),
    ] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Write a locked return for each agency and make this the current round.

    Each agency gets only its own areas: the plan text locked, the update cells open, with
    dropdowns for RAG and the date of next review, and a sign-off to fill in (who completed
    it, their role, the date, and Yes to confirm it is accurate) unless the plan's Details
    sheet says "Return sign-off: No". With --agency and the current round's name, only those
    agencies get a new return; every other agency's return stays valid.

    Examples:

      ipt issue --round "Third review of progress" --date 2012-09-26 --due 2012-09-12

      ipt issue --round "Third review of progress" --date 2012-09-26 --agency Health
    """
    from rich.progress import Progress

    with _errors():
        from ipt_excel.services.issue import issue_round
        from ipt_excel.workspace import Workspace

        parsed = _parse_date(round_date, "--date")
        assert parsed is not None
        with Progress(transient=True, console=_console(stderr=True)) as bar:
            task = bar.add_task("Writing returns", total=None)
            result = issue_round(
                Workspace(workspace),
                round_name=round_name,
                round_date=parsed,
                due=_parse_date(due, "--due"),
                agencies=agency,
                password=password,
                now=_now(),
                progress=lambda name: bar.update(task, description=f"Wrote {name}"),
                force=force,
            )
    out = _console()
    out.print(
        f"Issued “{result.round.name}” ({plural(len(result.files), 'return')}) to "
        f"{result.directory}:"
    )
    for f in result.files:
        again = (
            f"; replaces the return issued on {long_date(f.replaces)} at {f.replaces:%H:%M}, which "
            f"will now be "
            f"refused as out of date"
            if f.replaces
            else ""
        )
        out.print(f"  {f.agency_name}: {f.path} ({plural(f.rows, 'row')}{again})")
    for name in result.skipped:
        out.print(f"  Skipped {name}: it has no areas in the plan.")
    for note in result.notes:
        out.print(note)
    out.print(
        "Send each agency its file. When they come back: ipt check FILE... then ipt merge FILE..."
    )


# -- check ----------------------------------------------------------------------------------------
FilesArg = Annotated[
    list[Path],
    typer.Argument(
        help="Returned workbooks, saved e-mails (.eml, Outlook .msg, mbox) with the returns "
        "attached, or folders of these (every file in them and their subfolders, in name "
        "order; hidden files and ~$ lock files skipped).",
        show_default=False,
        metavar="FILE",
    ),
]


@app.command()
def check(
    files: FilesArg,
    workspace: WorkspaceOpt = DEFAULT_WS,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Also write the problems to a .xlsx or .csv.", metavar="FILE"
        ),
    ] = None,
    feedback: Annotated[Path, FeedbackOpt] = DEFAULT_FEEDBACK_DIR,
    password: Annotated[str | None, PasswordOpt] = None,
) -> None:
    """Check returned workbooks without changing anything in the workspace.

    Each file is identified by its signed manifest and every rule is checked, the sign-off
    too; each problem is one row naming the file, sheet and cell and saying what to do.
    Invalid returns get a feedback workbook to send straight back: it opens on a sheet
    'What to fix' listing every problem. A saved e-mail gives each workbook attached
    to it (forwarded e-mails included); an e-mail with none is one row. Exit code 0 when
    every file is valid, 1 when any is not.

    Examples:

      ipt check returned/*.xlsx

      ipt check inbox/

      ipt check health.xlsx --report problems.xlsx --feedback to-send-back
    """
    with _errors():
        from ipt_excel.services.check import check_files, write_report
        from ipt_excel.services.feedback import check_feedback_dir, write_feedback
        from ipt_excel.services.master import current_plan
        from ipt_excel.workspace import Workspace

        ws = Workspace(workspace).require()
        check_feedback_dir(feedback, ws)
        if report is not None:
            ws.guard_output(report, what="report", inputs=files, suffixes=(".xlsx", ".csv"))
        plan = current_plan(ws, repair=False)
        results = check_files(ws, files, plan=plan)
        problems = [p for r in results for p in r.problems]
        written: list[Path] = []
        taken: set[Path] = set()  # two files from one agency: each its own feedback
        for r in results:
            if not r.valid:
                path = write_feedback(
                    r, plan, feedback, created=_now(), password=password, taken=taken
                )
                if path is not None:
                    written.append(path)
        if report is not None:
            write_report(results, report)
    from rich.markup import escape

    out = _console()
    if problems:
        _print_problems(problems)
    for r in results:
        verdict = "[green]valid[/]" if r.valid else "[red]not valid[/]"
        who = f"{r.agency_name}: " if r.agency_name else ""
        n = sum(1 for p in r.problems if p.is_error)
        w = len(r.problems) - n
        counts = f"{plural(n, 'error')}, {plural(w, 'warning')}"
        # The agency first: a file's name may carry its own brackets ("(from ... in x.eml)").
        line = f"{escape(who)}{escape(r.file_name)}: {verdict}, {counts}"
        out.print(line, markup=True)
    for path in written:
        out.print(f"Feedback to send back: {path}")
    if report is not None:
        out.print(f"Report: {report}")
    raise typer.Exit(0 if all(r.valid for r in results) else 1)


# -- merge ----------------------------------------------------------------------------------------
@app.command()
def merge(
    files: FilesArg,
    workspace: WorkspaceOpt = DEFAULT_WS,
    feedback: Annotated[Path, FeedbackOpt] = DEFAULT_FEEDBACK_DIR,
    password: Annotated[str | None, PasswordOpt] = None,
) -> None:
    """Check returns and merge every valid one into the master.

    Each changed cell is highlighted in the master with a note of what it was and who
    changed it; every change is listed on the Changes sheet and kept in the ledger. A value
    the master changed since issue is not overwritten: it becomes a conflict. Exit code 0
    when everything merged, 1 when any file was rejected or had conflicts.

    Examples:

      ipt merge returns-back/*.xlsx

      ipt merge inbox/ "RE Return.msg"

      ipt merge health.xlsx -w plan-workspace
    """

    with _errors():
        from ipt_excel.services.receive import receive_returns
        from ipt_excel.workspace import Workspace

        result = receive_returns(
            Workspace(workspace), files, now=_now(), feedback_dir=feedback, password=password
        )
    problems = [p for o in result.outcomes for p in o.problems]
    if problems:
        _print_problems(problems)
    out = _console()
    _print_records(
        out,
        ("File", "Agency", "Outcome", "Changes", "Conflicts", "Detail"),
        [(o.file_name, o.agency, o.outcome, str(o.changes), str(o.conflicts), o.detail)
         for o in result.outcomes],
        head=2,
    )  # fmt: skip
    for o in result.outcomes:
        if o.feedback is not None:
            out.print(f"Feedback to send back to {o.agency}: {o.feedback}")
    if result.master is not None:
        out.print(f"Master updated: {result.master}")
    else:
        out.print("The master is unchanged.")
    raise typer.Exit(0 if result.all_merged else 1)


# -- status ---------------------------------------------------------------------------------------
@app.command()
def status(workspace: WorkspaceOpt = DEFAULT_WS) -> None:
    """Show the current round: each agency's return (and who signed it off), RAG counts and
    overdue actions.

    Examples:

      ipt status

      ipt status -w plan-workspace
    """
    from rich.table import Table

    with _errors():
        from ipt_excel.services.master import current_plan
        from ipt_excel.services.status import workspace_status
        from ipt_excel.workspace import Workspace
        from ipt_excel.workspace.ledger import Ledger

        ws = Workspace(workspace).require()
        plan = current_plan(ws, repair=True)
        with Ledger(ws.ledger_path) as ledger:
            st = workspace_status(plan, ledger, as_of=date.today())
    from rich.markup import escape

    from ipt_excel.core.facts import OVERDUE, REJECTED

    out = _console()
    due = f", returns due {long_date(st.due)}" if st.due else ""
    out.print(f"[bold]{escape(st.round_name)}[/] ({long_date(st.round_date)}{due})", markup=True)
    if st.agencies:
        signed = any(a.sign_off for a in st.agencies)
        _print_records(
            out,
            ("Agency", "State", "Detail", *(("Signed off by",) if signed else ())),
            [
                (
                    a.name,
                    a.state,
                    a.detail,
                    *((a.sign_off.text if a.sign_off else "",) if signed else ()),
                )
                for a in st.agencies
            ],
            title="Returns",
        )
        words = {OVERDUE: "overdue", REJECTED: "rejected and not sent again"}
        owing = [f"{n} {words.get(state, state)}" for state, n in st.owing_counts().items()]
        if owing:
            out.print(f"To chase: {', '.join(owing)}. Draft the e-mails with: ipt chase")
        else:
            out.print("Every agency has sent its return.")
    else:
        out.print("No returns issued for this round yet. Run: ipt issue --round NAME --date DATE")
    for title, counts, before in (
        ("RAG by theme", st.by_theme, st.previous_by_theme),
        ("RAG by agency", st.by_agency, st.previous_by_agency),
    ):
        last = dict(before.rows) if before else None
        t = Table(
            title=title,
            caption="Last round's figures are in brackets." if last is not None else None,
            header_style="bold",
            title_justify="left",
        )
        t.add_column("")
        for label in counts.labels:
            t.add_column(label, justify="right")
        t.add_column("Worst")
        for name, by in counts.rows:
            cells = []
            for label in counts.labels:
                cell = str(by.get(label, 0))
                if last is not None:
                    cell += f" ({last.get(name, {}).get(label, 0)})"
                cells.append(cell)
            t.add_row(name, *cells, _worst_label(counts.labels, by))
        out.print(t)
    if st.recommendations:
        labels = st.by_theme.labels
        t = Table(title="RAG by recommendation", header_style="bold", title_justify="left")
        t.add_column("")
        for label in labels:
            t.add_column(label, justify="right")
        t.add_column("Worst")
        for r in st.recommendations:
            t.add_row(
                _shorten(f"{r.id} {r.title}", 40),
                *(str(r.counts.get(label, 0)) for label in labels),
                _worst_label(labels, r.counts),
            )
        out.print(t)
    totals = Table(title="All areas", header_style="bold", title_justify="left")
    totals.add_column("RAG")
    totals.add_column("This round", justify="right")
    totals.add_column("Last round", justify="right")
    for label in st.by_theme.labels:
        was = str(st.previous_counts.get(label, 0)) if st.previous_counts else "–"
        totals.add_row(label, str(st.counts.get(label, 0)), was)
    out.print(totals)
    if st.overdue:
        out.print(f"[bold]Overdue actions[/] (areas not GREEN): {len(st.overdue)}", markup=True)
        for area_id, phrases in st.overdue.items():
            out.print(f"  {area_id}: {phrases}")
    if st.open_conflicts:
        out.print(f"Open conflicts: {st.open_conflicts} (see the master's Conflicts sheet)")


def _worst_label(labels: tuple[str, ...], by: dict[str, int]) -> str:
    """The worst rating held: the labels run worst first, "Not rated" last."""
    return next((label for label in labels if by.get(label)), "")


# -- chase ----------------------------------------------------------------------------------------
@app.command()
def chase(
    workspace: WorkspaceOpt = DEFAULT_WS,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Where to write the drafts (never in the workspace).", metavar="DIR"
        ),
    ] = Path("chase"),
    agency: Annotated[
        list[str] | None,
        typer.Option(
            "--agency",
            help="Only this agency: its name, short name or another name it goes by (repeat "
            "for several).",
            metavar="NAME",
        ),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Send from this address \\[default: the Coordinator e-mail on the master's "
            "Details sheet].",
            metavar="ADDRESS",
        ),
    ] = None,
    feedback: Annotated[
        Path,
        typer.Option(
            "--feedback",
            help="Where feedback workbooks are; one missing for a rejected return is rebuilt "
            "there.",
            metavar="DIR",
        ),
    ] = DEFAULT_FEEDBACK_DIR,
    password: Annotated[str | None, PasswordOpt] = None,
) -> None:
    """Draft an e-mail to each agency that owes a return. Nothing is sent.

    An agency owes a return when it is outstanding, overdue (the due date has passed), or
    its return was rejected and it has sent nothing since. Each draft is an .eml file to
    open in your e-mail program, check and send: from the coordinator, to the agency's
    e-mail on the master's Agencies sheet, with its return attached, or for a rejected
    return its feedback workbook. A CSV lists the same for a mail merge. Exit code 0 when
    the drafts were written or nobody owes anything, 1 when a draft could not be written.

    Examples:

      ipt chase

      ipt chase --agency Health --agency Police --out to-send

      ipt chase --from improvement.plan@council.gov.uk -w plan
    """
    with _errors():
        from ipt_excel.services.chase import chase as draft_all
        from ipt_excel.workspace import Workspace

        result = draft_all(
            Workspace(workspace),
            out_dir=out,
            today=date.today(),
            now=_now(),
            agencies=agency,
            sender=sender,
            feedback_dir=feedback,
            password=password,
        )
    console = _console()
    if not result.drafts:
        for line in result.owe_nothing:
            console.print(line)
        if not agency:
            console.print(
                f"Nobody owes a return for {result.round_name}: every agency issued one has "
                f"sent it, or is waiting on a decision. Nothing to draft."
            )
        raise typer.Exit(0)
    console.print(f"Drafts for {result.round_name}, one e-mail per agency:")
    for d in result.drafts:
        if d.path is None:
            console.print(f"  {d.agency_name} ({d.state}): no draft. {d.note}")
            continue
        to = d.to or "no address"
        console.print(f"  {d.agency_name} ({d.state}), to {to}: {d.path}")
        console.print(f"    attached: {d.attachment}")
        if d.note:
            console.print(f"    note: {d.note}")
    if result.owe_nothing:  # agencies asked for by name that owe nothing, after the drafts
        console.print("Nothing to chase:")
        for line in result.owe_nothing:
            console.print(f"  {line}")
    if result.csv is not None:
        console.print(f"Mail-merge list: {result.csv}")
        console.print(
            "Nothing has been sent. Open each .eml file in your e-mail program, check it and "
            "send it."
        )
    raise typer.Exit(0 if result.complete else 1)


# -- circulate ------------------------------------------------------------------------------------
@app.command()
def circulate(
    workspace: WorkspaceOpt = DEFAULT_WS,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write it \\[default: circulation/ROUND.xlsx in the workspace].",
            metavar="FILE",
        ),
    ] = None,
    pdf: Annotated[
        bool,
        typer.Option(
            "--pdf", help="Also make a PDF through LibreOffice, if installed.", metavar=""
        ),
    ] = False,
) -> None:
    """Write the circulation copy of the master for boards and partners.

    Summary first, every sheet protected read-only, accessible (real tables, RAG in words
    as well as colour, alt text on the chart), with nothing from the workspace inside. It
    prints on A4 landscape throughout, the Plan across two page widths with the ID on each,
    and says how each return stands, never what an agency was asked to fix.

    Examples:

      ipt circulate

      ipt circulate --pdf --out board-pack/plan.xlsx
    """
    with _errors():
        from ipt_excel.services.circulate import circulate as make_copy
        from ipt_excel.workspace import Workspace

        result = make_copy(Workspace(workspace), out=out, pdf=pdf, now=_now())
    out_console = _console()
    out_console.print(f"Circulation copy: {result.path}")
    if result.pdf is not None:
        out_console.print(f"PDF: {result.pdf}")
    elif pdf:
        out_console.print(result.pdf_note)


# -- lint -----------------------------------------------------------------------------------------
@app.command()
def lint(
    workspace: WorkspaceOpt = DEFAULT_WS,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="Lint this plan file (.yaml, .xlsx or .csv) instead of the workspace's master.",
            exists=True,
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Find plan-quality problems before a board does.

    Missing RAG ratings, review dates before the round, unreadable completion dates,
    unknown agencies, names spelt two ways, abbreviations missing from the glossary, text
    copied between areas, empty assurance measures or outcomes, references to areas that do
    not exist. Exit code 1 when problems are found.

    Examples:

      ipt lint

      ipt lint --plan templates/banes-2012/plan.yaml
    """

    with _errors():
        from ipt_excel.core.lint import lint_plan

        if plan_file is not None:
            from ipt_excel.services.plan_source import load_plan_source

            plan = load_plan_source(plan_file).plan
            source = str(plan_file)
        else:
            from ipt_excel.services.master import current_plan
            from ipt_excel.workspace import Workspace

            ws = Workspace(workspace).require()
            plan = current_plan(ws, repair=True)
            source = str(ws.master)
        findings = lint_plan(plan)
    out = _console()
    if not findings:
        out.print(f"No problems found in {source}.")
        return
    _print_records(
        out,
        ("ID", "Field", "Problem", "Suggestion"),
        [(f.area_id or "Whole plan", f.field or ("" if not f.area_id else "Whole area"),
          f.problem, f.suggestion) for f in findings],
        head=2,
        show_lines=True,
    )  # fmt: skip
    out.print(f"{plural(len(findings), 'problem')} found in {source}.")
    raise typer.Exit(1)


# -- demo -----------------------------------------------------------------------------------------
@app.command()
def demo(
    workspace: Annotated[
        Path,
        typer.Option(
            "--workspace", "-w", help="Folder for the demo; rebuilt on every run.", metavar="DIR"
        ),
    ] = Path("workbooks/demo"),
) -> None:
    """Run one whole review round on the bundled example plan, start to finish.

    Creates a workspace, issues the next round to every agency, plays several agencies
    filling in their returns (one with mistakes, one that edited locked text), checks and
    merges them, and writes the circulation copy. Same input, same output.

    Examples:

      ipt demo

      ipt demo --workspace /tmp/ipt-demo
    """
    with _errors():
        from ipt_excel.services.demo import run_demo

        err = _console(stderr=True)
        result = run_demo(workspace, progress=lambda text: err.print(f"· {text}"))
    out = _console()
    for line in result.lines:
        out.print(line, markup=False)
    out.print(
        "\nWhere everything is:\n"
        f"  Master plan:        {result.master}\n"
        f"  Circulation copy:   {result.circulation}\n"
        f"  Returns issued:     {result.returns_dir}\n"
        f"  Returns received:   {result.inbox}\n"
        f"  Feedback to send:   {result.feedback}\n"
        f"Next: ipt status -w {result.workspace}",
        markup=False,
    )


# -- history --------------------------------------------------------------------------------------
@app.command()
def history(
    workspace: WorkspaceOpt = DEFAULT_WS,
    rebuild: Annotated[
        int | None,
        typer.Option(
            "--rebuild", help="Rebuild the master as it was at this snapshot number.", metavar="N"
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the rebuilt master \\[default: ./master-N.xlsx].",
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """List every master written, or rebuild a past one from the ledger alone.

    Each write of the master (init, issue, merge) is recorded as a numbered snapshot of the
    plan in the workspace's ledger, so any past master can be rebuilt, even if its copy in
    history/ is lost.

    Examples:

      ipt history

      ipt history --rebuild 3 --out master-before-september.xlsx
    """
    from rich.table import Table

    with _errors():
        from ipt_excel.errors import UsageError
        from ipt_excel.services.master import rebuild_master
        from ipt_excel.workspace import Workspace, atomic_write
        from ipt_excel.workspace.ledger import Ledger

        ws = Workspace(workspace).require()
        with Ledger(ws.ledger_path) as ledger:
            snapshots = ledger.snapshots()
        if rebuild is not None:
            found = next((s for s in snapshots if s[0] == rebuild), None)
            if found is None:
                raise UsageError(
                    f"There is no snapshot {rebuild}. Run 'ipt history' to see the numbers."
                )
            target = out or Path(f"master-{rebuild}.xlsx")
            ws.guard_output(target, what="rebuilt master", suffixes=(".xlsx",))
            atomic_write(target, rebuild_master(ws, rebuild, created=found[1]))
    out_console = _console()
    if rebuild is not None:
        out_console.print(f"Rebuilt the master as at snapshot {rebuild}: {target}")
        return
    table = Table(header_style="bold")
    for heading in ("Snapshot", "Written at", "Why", "Round"):
        table.add_column(heading)
    for sid, at, reason, rnd in snapshots:
        table.add_row(str(sid), f"{long_date(at)} {at:%H:%M}", reason, rnd)
    out_console.print(table)
