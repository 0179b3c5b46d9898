"""pandera schemas, built from the one column specification, and their failures as Problems.

Frames validated here have one column per Column.key holding the cell text, and an index of
Excel row numbers, so every failure maps back to a cell like "M12". Validation is always lazy:
every problem is collected, none hidden behind the first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from ipt_excel.core.columns import Column, ColumnSet, Kind
from ipt_excel.core.kinds import KindContext, ValueRule, is_filled, normalise, value_rules
from ipt_excel.core.problems import Problem, Severity, cell_ref


@dataclass(frozen=True)
class Rule:
    """A named check on one column, with the plain-English message a person reads."""

    name: str
    check: Callable[[pd.Series], pd.Series]
    message: str  # may use {value} and {header}
    severity: Severity = Severity.ERROR
    element_wise: bool = False


@dataclass(frozen=True)
class FrameContext:
    """Where the frame came from: for turning failures into cell-addressed problems."""

    file: str
    sheet: str
    positions: dict[str, int]  # column key -> zero-based column index in the sheet
    headers: dict[str, str]  # column key -> header text
    agency: str = ""
    ids: dict[int, str] | None = None  # Excel row -> area ID


def build_schema(
    rules: Mapping[str, Sequence[Rule]], columns: Sequence[Column]
) -> pa.DataFrameSchema:
    cols = {}
    for col in columns:
        checks = [
            pa.Check(r.check, name=r.name, element_wise=r.element_wise)
            for r in rules.get(col.key, ())
        ]
        cols[col.key] = pa.Column(str, checks=checks, nullable=False, required=False)
    return pa.DataFrameSchema(cols, coerce=False, strict=False)


@dataclass(frozen=True)
class Failure:
    """One cell that failed one rule: the frame's index, the column key, the rule, the text."""

    index: int
    key: str
    rule: Rule
    value: str


def failures(
    frame: pd.DataFrame, rules: Mapping[str, Sequence[Rule]], columns: Sequence[Column]
) -> list[Failure]:
    """Run the schema lazily over the whole frame; every failing cell, in pandera's order.

    The frame may hold the rows of many returns (one validation for a batch, see
    validate.validate_returns): a return's rules look only at its own rows."""
    schema = build_schema(rules, columns)
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        return _failures(err.failure_cases, frame, rules)
    return []


def validate(
    frame: pd.DataFrame,
    rules: Mapping[str, Sequence[Rule]],
    columns: Sequence[Column],
    ctx: FrameContext,
) -> list[Problem]:
    """Run the schema lazily; return one Problem per failing cell, in sheet order. The
    frame's index is the Excel row."""
    return problems(failures(frame, rules, columns), ctx)


def _failures(
    cases: pd.DataFrame, frame: pd.DataFrame, rules: Mapping[str, Sequence[Rule]]
) -> list[Failure]:
    by_name = {r.name: r for rs in rules.values() for r in rs}
    out: list[Failure] = []
    for case in cases.to_dict("records"):
        key = str(case.get("column"))
        check = str(case.get("check"))
        rule = by_name.get(check)
        index = case.get("index")
        if rule is None or index is None or pd.isna(index):
            continue  # a structural failure: callers check structure before validating
        row = int(index)
        value = str(frame.at[row, key]) if key in frame.columns else str(case.get("failure_case"))
        out.append(Failure(row, key, rule, value))
    return out


def problems(
    found: Sequence[Failure], ctx: FrameContext, rows: Mapping[int, int] | None = None
) -> list[Problem]:
    """The failures of one file's rows as cell-addressed problems, in sheet order.
    `rows` maps the frame's index to the Excel row (the index is the row when None)."""
    out: list[Problem] = []
    for failure in found:
        key, rule, value = failure.key, failure.rule, failure.value
        row = failure.index if rows is None else rows[failure.index]
        header = ctx.headers.get(key, key)
        out.append(
            Problem(
                file=ctx.file,
                sheet=ctx.sheet,
                cell=cell_ref(row, ctx.positions[key]) if key in ctx.positions else "",
                column=header,
                rule=rule.name,
                value=value,
                message=rule.message.format(value=value, header=header),
                severity=rule.severity,
                agency=ctx.agency,
                area_id=(ctx.ids or {}).get(row, ""),
            )
        )
    out.sort(key=lambda p: (_row_of(p.cell), p.cell))
    return out


def _row_of(cell: str) -> int:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return int(digits) if digits else 0


# -- the master's rules ---------------------------------------------------------------------------
def master_rules(
    rag_scale: Sequence[str], agency_names: Callable[[str], bool]
) -> dict[str, list[Rule]]:
    """Rules for a master Plan sheet, which a coordinator may have edited by hand."""
    allowed = {*rag_scale, ""}
    scale = ", ".join(rag_scale)

    def agencies_known(s: pd.Series) -> pd.Series:
        return s.map(lambda text: all(agency_names(n) for n in text.split("\n") if n.strip()))

    return {
        "id": [
            Rule(
                "id-present",
                lambda s: s.str.strip() != "",
                "Every row needs an ID. Type the area's ID, like 1.4, or delete the row.",
            ),
            Rule(
                "id-unique",
                lambda s: ~(s.str.strip().duplicated(keep=False) & (s.str.strip() != "")),
                "The ID {value} is used more than once. Give each area its own ID.",
            ),
        ],
        "rag": [
            Rule(
                "rag-in-scale",
                lambda s: s.str.strip().str.upper().isin(allowed),
                "'{value}' is not a RAG rating. Use one of " + scale + ", or leave it empty.",
            )
        ],
        "agencies": [
            Rule(
                "agency-known",
                agencies_known,
                "'{value}' names an agency that is not on the Agencies sheet. Add it there, "
                "or use a name that is.",
            )
        ],
        "theme": [],
    }


def kinds(columns: Sequence[Column], kind: Kind) -> list[Column]:
    return [c for c in columns if c.kind is kind]


# -- a return's rules -----------------------------------------------------------------------------
def return_rules(
    columns: ColumnSet,
    ctx: KindContext,
    *,
    frame: pd.DataFrame,
    entered: pd.DataFrame | None = None,
) -> dict[str, list[Rule]]:
    """Rules for the update cells of a return, built from its columns' kinds and rules.

    `frame` is the frame being validated (cell texts by column key, indexed by Excel row): the
    rules that join two columns (a RAG needs progress; GREEN needs evidence) read it.
    `entered` has the same shape, True where the agency changed the cell from the value as
    issued. Values the agency did not enter are not its errors: they are only checked by the
    kinds' warnings for values left as issued (a review date that has passed). `entered=None`
    treats every cell as entered.
    """

    def was_entered(*keys: str) -> pd.Series:
        if entered is None:
            return pd.Series(True, index=frame.index)
        out = pd.Series(False, index=frame.index)
        for key in keys:
            if key in entered.columns:
                out = out | entered[key].astype(bool)
        return out

    def kind_rule(column: Column, rule: ValueRule) -> Rule:
        check = rule.check

        def series(s: pd.Series) -> pd.Series:
            passes = s.map(check).astype(bool)
            return passes | (~was_entered(column.key) if rule.entered else was_entered(column.key))

        return Rule(rule.code, series, rule.message, rule.severity)

    rules: dict[str, list[Rule]] = {}
    for column in columns.updates:
        if column.key in frame.columns:
            rules[column.key] = [kind_rule(column, r) for r in value_rules(column, ctx)]
    for cross in columns.rules:
        if cross.needs not in frame.columns or cross.when not in frame.columns:
            continue
        needs, when = columns[cross.needs], columns[cross.when]
        condition = frame[when.key].map(lambda t, c=when: normalise(c, t))
        applies = (
            (condition == normalise(when, cross.equals)) if cross.equals else (condition != "")
        )
        filled = frame[needs.key].map(lambda t, c=needs: is_filled(c, t))

        def check(
            s: pd.Series,
            applies: pd.Series = applies,
            filled: pd.Series = filled,
            keys: tuple[str, str] = (cross.needs, cross.when),
        ) -> pd.Series:
            return ~applies | filled | ~was_entered(*keys)

        # The cross rule comes first on its column: it is the first thing to fix.
        rules.setdefault(needs.key, []).insert(0, Rule(cross.code, check, cross.text_for(columns)))
    return rules
