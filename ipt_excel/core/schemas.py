"""pandera schemas, built from the one column specification, and their failures as Problems.

Frames validated here have one column per Column.key holding the cell text, and an index of
Excel row numbers, so every failure maps back to a cell like "M12". Validation is always lazy:
every problem is collected, none hidden behind the first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from ipt_excel.core.columns import Column, Kind
from ipt_excel.core.dates import (
    REVIEW_HORIZON_YEARS,
    Month,
    first_review_month,
    parse_review_date,
    review_horizon,
    review_is_before,
    review_is_too_far,
)
from ipt_excel.core.model import EXCEL_CELL_LIMIT, Plan, excel_length
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


def validate(
    frame: pd.DataFrame,
    rules: Mapping[str, Sequence[Rule]],
    columns: Sequence[Column],
    ctx: FrameContext,
) -> list[Problem]:
    """Run the schema lazily; return one Problem per failing cell, in sheet order."""
    schema = build_schema(rules, columns)
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        return _problems(err.failure_cases, frame, rules, ctx)
    return []


def _problems(
    cases: pd.DataFrame, frame: pd.DataFrame, rules: Mapping[str, Sequence[Rule]], ctx: FrameContext
) -> list[Problem]:
    by_name = {r.name: r for rs in rules.values() for r in rs}
    out: list[Problem] = []
    for case in cases.to_dict("records"):
        key = str(case.get("column"))
        check = str(case.get("check"))
        rule = by_name.get(check)
        index = case.get("index")
        if rule is None or index is None or pd.isna(index):
            continue  # a structural failure: callers check structure before validating
        row = int(index)
        value = str(frame.at[row, key]) if key in frame.columns else str(case.get("failure_case"))
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
GREEN = "GREEN"


def normalise_text(text: str) -> str:
    """Update text as it is merged: line ends made "\n", trailing whitespace removed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip()


def normalise_rag(text: str) -> str:
    """A RAG rating as typed in any case or with spaces around it: "  green " -> "GREEN"."""
    return text.strip().upper()


def review_too_far(text: str, round_date: date) -> bool:
    """True when `text` is a next review further off than anyone plans (dates.review_is_too_far)."""
    reading = parse_review_date(text)
    return reading is not None and review_is_too_far(reading, round_date)


def review_before(text: str, cutoff: date) -> bool:
    """True when `text` is too early for a review held on `cutoff` (dates.review_is_before)."""
    reading = parse_review_date(text)
    return reading is not None and review_is_before(reading, cutoff)


def _long_date(d: date) -> str:
    return f"{d.day} {Month.of(d)}"


def _example_date(round_date: date) -> str:
    month = Month.of(round_date).plus(3)
    return f"{min(round_date.day, month.last_day.day):02d}/{month.month:02d}/{month.year}"


def return_rules(
    plan: Plan,
    round_date: date,
    *,
    frame: pd.DataFrame,
    entered: pd.DataFrame | None = None,
    today: date | None = None,
) -> dict[str, list[Rule]]:
    """Rules for the update cells of a return.

    `frame` is the frame being validated (cell texts by column key, indexed by Excel row): the
    rules that join two columns (a RAG needs progress; GREEN needs evidence) read it.
    `entered` has the same shape, True where the agency changed the cell from the value as
    issued. Values the agency did not enter are not its errors: they are only checked for a
    review date that has passed (a warning, against the later of `round_date` and `today`).
    `entered=None` treats every cell as entered.
    """
    scale = list(plan.rag_scale)
    allowed = {*scale, ""}
    words = ", ".join(scale[:-1]) + f" or {scale[-1]}" if len(scale) > 1 else "".join(scale)
    stale_cutoff = max(round_date, today) if today is not None else round_date

    def was_entered(*keys: str) -> pd.Series:
        if entered is None:
            return pd.Series(True, index=frame.index)
        out = pd.Series(False, index=frame.index)
        for key in keys:
            out = out | entered[key].astype(bool)
        return out

    rag = frame["rag"].map(normalise_rag)

    def filled(key: str) -> pd.Series:
        return frame[key].map(lambda t: normalise_text(t) != "")

    def fits(s: pd.Series) -> pd.Series:
        return s.map(lambda t: excel_length(t) <= EXCEL_CELL_LIMIT) | ~was_entered(str(s.name))

    too_long = Rule(
        "too-long",
        fits,
        f"This text is longer than an Excel cell can hold. Shorten it to "
        f"{EXCEL_CELL_LIMIT:,} characters or fewer.",
    )
    rules: dict[str, list[Rule]] = {
        "rag": [
            Rule(
                "rag-in-scale",
                lambda s: s.map(normalise_rag).isin(allowed) | ~was_entered("rag"),
                f"'{{value}}' is not a RAG rating. Choose {words} from the list, "
                "or leave the cell empty.",
            )
        ],
        "progress": [
            Rule(
                "progress-required",
                lambda s: (rag == "") | filled("progress") | ~was_entered("rag", "progress"),
                "Enter the progress made since the last review. An area with a RAG rating "
                "needs a progress update.",
            ),
            too_long,
        ],
        "evidence": [too_long],
        "next_review": [
            Rule(
                "review-date-format",
                lambda s: (
                    s.map(lambda t: parse_review_date(t) is not None) | ~was_entered("next_review")
                ),
                "'{value}' is not a date of next review. Pick a month from the list, type a "
                f"date like {_example_date(round_date)}, or pick Not required.",
            ),
            Rule(
                "review-date-past",
                lambda s: (
                    ~s.map(lambda t: review_before(t, round_date)) | ~was_entered("next_review")
                ),
                f"{{value}} is not after this review ({_long_date(round_date)}). Pick "
                f"{first_review_month(round_date)} or a later month, type a date on or after "
                f"{round_date:%d/%m/%Y}, or pick Not required.",
            ),
            Rule(
                "review-date-too-far",
                lambda s: (
                    ~s.map(lambda t: review_too_far(t, round_date)) | ~was_entered("next_review")
                ),
                f"{{value}} is more than {REVIEW_HORIZON_YEARS} years after this review. Pick a "
                f"month from the list, or type a date on or before "
                f"{review_horizon(round_date):%d/%m/%Y}.",
            ),
            Rule(
                "review-date-stale",
                lambda s: (
                    ~s.map(lambda t: review_before(t, stale_cutoff)) | was_entered("next_review")
                ),
                "The date of next review, {value}, has passed. Pick the month of the next "
                "review, type its date, or pick Not required.",
                severity=Severity.WARNING,
            ),
        ],
    }
    if plan.evidence_required_for_green and GREEN in scale:
        rules["evidence"].insert(
            0,
            Rule(
                "evidence-required",
                lambda s: (rag != GREEN) | filled("evidence") | ~was_entered("rag", "evidence"),
                "Enter the evidence of impact. An area rated GREEN needs evidence of the "
                "difference the work has made.",
            ),
        )
    return rules
