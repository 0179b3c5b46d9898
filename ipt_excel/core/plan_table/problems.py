"""Problems named by their place in the source file (the file, a cell or an address), the
message led by where to look; and the order they are listed in.
"""

from __future__ import annotations

from ipt_excel.core.plan_table.source import _RANGE, SourceCell, SourceFile, _column_number
from ipt_excel.core.problems import Problem, Severity


def _unquote(sheet: str) -> str:
    if sheet.startswith("'") and sheet.endswith("'"):
        return sheet[1:-1].replace("''", "'")
    return sheet


def _where(source: SourceFile, address: str) -> str:
    """ "cqc-plan.xlsx, Sheet1!G10"; a CSV's one sheet is not named: "plan.csv, G10"."""
    if source.format == "csv":
        return f"{source.name}, {address.rpartition('!')[2]}"
    return f"{source.name}, {address}"


def _address_problem(
    source: SourceFile,
    address: str,
    heading: str,
    rule: str,
    value: str,
    message: str,
    severity: Severity = Severity.ERROR,
    area_id: str = "",
) -> Problem:
    sheet, _, ref = address.rpartition("!")
    return Problem(
        source.name,
        _unquote(sheet),
        ref,
        heading,
        rule,
        value,
        f"{_where(source, address)}: {message}",
        severity,
        area_id=area_id,
    )


def _cell_problem(
    source: SourceFile,
    cell: SourceCell,
    heading: str,
    rule: str,
    value: str,
    message: str,
    severity: Severity = Severity.ERROR,
    area_id: str = "",
) -> Problem:
    return _address_problem(source, cell.address, heading, rule, value, message, severity, area_id)


def _file_problem(
    source: SourceFile,
    rule: str,
    value: str,
    message: str,
    severity: Severity = Severity.ERROR,
    *,
    sheet: str = "",
) -> Problem:
    return Problem(source.name, sheet, "", "", rule, value, f"{source.name}: {message}", severity)


def _problem_order(problem: Problem) -> tuple[int, int, int]:
    """The whole file first, then by row and column, as the coordinator reads the sheet."""
    m = _RANGE.fullmatch(problem.cell)
    if m is None:
        return (0, 0, 0)
    return (1, int(m[2]), _column_number(m[1]))
