"""Validate one returned workbook, as read, against what was issued. Pure: no I/O, no Excel.

The caller (check.py) reads the file, the workspace key, the ledger and the master, and passes
plain data in. The checks run in this order; a problem in step 1 or 2 ends the check there,
because nothing after it could be trusted:

1. identity: a manifest sheet ("no-manifest"), a readable manifest ("manifest-damaged"), a
   signature made with this workspace's key ("signature"), the current round ("stale-round"),
   an agency in the plan ("agency-mismatch"), and the latest return issued to that agency for
   the round ("not-issued", "superseded");
2. headings exactly as sent ("header-changed"); if they are not, no cell can be read safely;
3. rows against the manifest's row IDs ("row-added", "row-missing", "row-duplicated",
   "row-order", and "agency-mismatch" for another agency's area); formulas anywhere in the
   table ("formula"); the locked plan text of every row ("locked-text-changed");
4. the sign-off, on a return whose manifest (version 4) says where it is: its labels as sent
   ("title-changed") and its four cells filled in ("sign-off-missing", "sign-off-date",
   "sign-off-not-confirmed"; core/sign_off.py);
5. the update cells, with pandera (schemas.return_rules), every problem collected; and two
   warnings that do not block a return: "no-update" and "review-date-stale".

Content outside the table is refused, except the sign-off's cells and, on a return sent back
as feedback (its title carries the notice), the "What to fix" sheet, which is never read.

Values the agency did not change are not its errors: a value is "entered" when, normalised,
it differs from the value as issued. Only entered values are checked (except for the stale
review date warning).

Dates. The reader gives raw values but not number formats, so a review date that arrives as
a real date (or an Excel serial number) on the 1st of a month is read as that month: Excel
turns a typed or picked "September 2012" into 1 September 2012. Any other day is a day.

Normalisation for the merge: RAG stripped and upper-cased; review dates as
dates.format_review gives them; text with "\\r\\n" made "\\n" and trailing whitespace removed;
an empty cell and an empty string are both "". A value left as issued is passed on as the
issued text, byte for byte, so the merge sees it unchanged.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from ipt_excel.core.columns import DEFAULT_COLUMNS, ColumnSet
from ipt_excel.core.fix_list import FIX_SHEET
from ipt_excel.core.kinds import KindContext, cell_text, normalise
from ipt_excel.core.manifest import Manifest, locked_text_hash, to_json, verify
from ipt_excel.core.merge import AcceptedReturn, ReturnedRow
from ipt_excel.core.model import Agency, Area, Plan
from ipt_excel.core.problems import Problem, Severity, cell_ref, column_letter
from ipt_excel.core.return_title import is_feedback, title_differences
from ipt_excel.core.rounds import (
    LISTS_SHEET,
    MANIFEST_SHEET,
    ReturnLayout,
    lists_values,
    locked_values,
    return_layout,
    scale_of,
)
from ipt_excel.core.rule_codes import Group, Rule, in_group
from ipt_excel.core.schemas import Failure, FrameContext, failures, problems, return_rules
from ipt_excel.core.sign_off import LABELS, SignOff, check_sign_off
from ipt_excel.core.text import long_date

if TYPE_CHECKING:  # types only: this module imports no Excel library and does no I/O
    from ipt_excel.core.records import IssuedRecord
    from ipt_excel.core.returned import ReturnData, ReturnRow

# Every rule code validate_return can give, by group, for reports and tests.
IDENTITY_RULES = tuple(sorted(in_group(Group.IDENTITY)))
STRUCTURE_RULES = tuple(sorted(in_group(Group.STRUCTURE)))
VALUE_RULES = tuple(sorted(in_group(Group.VALUE)))
WARNING_RULES = tuple(sorted(in_group(Group.WARNING)))
SIGN_OFF_RULES = tuple(sorted(in_group(Group.SIGN_OFF)))

_SEND_BACK = "send back the return you were sent"


class _Stop(Exception):
    """Raised inside the validator when nothing further can be checked."""


def no_manifest_message(file_name: str) -> str:
    return (
        f"{file_name} is not a return from this plan: it may be a blank template, another "
        f"spreadsheet, or a return whose hidden sheet was deleted. Find the return you were "
        f"sent, fill it in and send it back."
    )


def file_problem(file_name: str, rule: str, message: str, agency: str = "") -> Problem:
    """A problem with a whole file: no sheet, no cell."""
    return Problem(
        file=file_name,
        sheet="",
        cell="",
        column="",
        rule=rule,
        value="",
        message=message,
        agency=agency,
    )


def with_issued(area: Area, issued: Mapping[str, str]) -> Area:
    """The area with its update values as issued (shown locked as "... at last review")."""
    return area.with_updates(issued)


def _long_iso(day: str) -> str:
    """A manifest's ISO date written out ("26 June 2012"); as it is if it is not one."""
    try:
        return long_date(date.fromisoformat(day))
    except ValueError:
        return day


def _shorten(text: str, limit: int = 60) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _moved(sequence: list[int]) -> set[int]:
    """Positions in `sequence` outside one longest increasing run: the rows that were moved."""
    tails: list[int] = []  # smallest tail value of an increasing run of each length
    tail_at: list[int] = []  # the position of that tail
    back: list[int] = [-1] * len(sequence)
    for i, value in enumerate(sequence):
        k = bisect.bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[k] = value
            tail_at[k] = i
        back[i] = tail_at[k - 1] if k else -1
    keep: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        keep.add(i)
        i = back[i]
    return set(range(len(sequence))) - keep


@dataclass
class _Validator:
    data: ReturnData
    plan: Plan
    key: bytes
    current_round: str
    issued: IssuedRecord | None
    today: date
    problems: list[Problem] = field(default_factory=list)
    agency_name: str = ""
    layout: ReturnLayout = field(default_factory=lambda: return_layout(DEFAULT_COLUMNS))
    signed: SignOff | None = None

    def header(self, key: str) -> str:
        return next((c.header for c in self.layout.columns if c.key == key), key)

    # -- helpers ---------------------------------------------------------------------------------
    def whole(self, rule: str, message: str) -> _Stop:
        self.problems.append(file_problem(self.data.file_name, rule, message, self.agency_name))
        return _Stop()

    def at(
        self,
        rule: str,
        message: str,
        *,
        cell: str = "",
        column: str = "",
        value: str = "",
        area_id: str = "",
        severity: Severity = Severity.ERROR,
        sheet: str = "",
    ) -> None:
        self.problems.append(
            Problem(
                file=self.data.file_name,
                sheet=sheet or self.data.sheet,
                cell=cell,
                column=column,
                rule=rule,
                value=value,
                message=message,
                severity=severity,
                agency=self.agency_name,
                area_id=area_id,
            )
        )

    # -- 1. identity -----------------------------------------------------------------------------
    def identify(self) -> tuple[Manifest, Agency]:
        data, name = self.data, self.data.file_name
        if not data.has_manifest_sheet:
            raise self.whole(Rule.NO_MANIFEST, no_manifest_message(name))
        m = data.manifest
        if m is None:
            raise self.whole(
                Rule.MANIFEST_DAMAGED,
                data.manifest_problem
                or f"{name}: a hidden part of the return has been changed, so it cannot be "
                f"checked. {_SEND_BACK.capitalize()}.",
            )
        if not verify(m, data.signature, self.key):
            raise self.whole(
                Rule.SIGNATURE,
                f"{name} was not issued by this workspace or has been altered. Fill in the "
                f"return you were sent, changing only the white cells, and send that back.",
            )
        agency = next((a for a in self.plan.agencies if a.key == m.agency), None)
        self.agency_name = agency.name if agency else m.agency_name
        if m.round_name != self.current_round:
            raise self.whole(
                Rule.STALE_ROUND,
                f"{name} is the return for an earlier round, '{m.round_name}' "
                f"({_long_iso(m.round_date)}). Fill in the return for the current round, "
                f"'{self.current_round}', and send that instead.",
            )
        if agency is None:
            raise self.whole(
                Rule.AGENCY_MISMATCH,
                f"{name} was issued to '{m.agency_name}' ({m.agency}), which is no longer an "
                f"agency in the plan. Check the Agencies sheet of the master, then issue the "
                f"return again.",
            )
        issued = self.issued
        if issued is None or (issued.round, issued.agency) != (m.round_name, m.agency):
            raise self.whole(
                Rule.NOT_ISSUED,
                f"{name} has no record in this workspace of being issued to {agency.name} for "
                f"'{m.round_name}'. Issue the return again and send the new one to the agency.",
            )
        if issued.manifest != to_json(m) or issued.signature.strip() != data.signature.strip():
            raise self.whole(
                Rule.SUPERSEDED,
                f"{name} is not the latest return issued to {agency.name} for '{m.round_name}': "
                f"a newer one was issued on {long_date(issued.issued_at.date())} at "
                f"{issued.issued_at:%H:%M}. Fill in the "
                f"latest return and send that instead.",
            )
        return m, agency

    # -- 2. headings -----------------------------------------------------------------------------
    def headings(self, m: Manifest) -> None:
        data = self.data
        row = data.header_row
        if row != m.header_row:
            self.at(
                Rule.HEADER_CHANGED,
                f"The table's heading row is row {row}, but it was sent in row "
                f"{m.header_row}. Delete the rows added above the table, or {_SEND_BACK}.",
                cell=f"A{row}",
                value=str(row),
            )
        expected = list(self.layout.headers)
        found = list(data.headers)
        # Past the last column as sent, and not a heading moved there: outside the table,
        # where outside() reports it (a formula as a formula, text as content added).
        want_set = {" ".join(h.split()).casefold() for h in expected}
        while len(found) > len(expected) and (
            " ".join(found[-1].split()).casefold() not in want_set
        ):
            found.pop()
        norm = [" ".join(h.split()).casefold() for h in found]
        want = [" ".join(h.split()).casefold() for h in expected]
        missing = [i for i, w in enumerate(want) if w not in norm]
        seen: set[str] = set()
        extra: list[int] = []
        for i, n in enumerate(norm):
            if n not in want or n in seen:
                extra.append(i)
            seen.add(n)
        before = len(self.problems)
        if missing or extra:
            for i in missing:
                cell = cell_ref(row, i)
                if i in extra:
                    extra.remove(i)
                    msg = (
                        f"The heading in {cell} should be '{expected[i]}', not '{found[i]}'. "
                        f"Put back the heading that was sent, or {_SEND_BACK}."
                    )
                    value = found[i]
                else:
                    msg = (
                        f"The column '{expected[i]}' has been removed (it was sent as column "
                        f"{column_letter(i)}). Put it back, or {_SEND_BACK}."
                    )
                    value = ""
                self.at(Rule.HEADER_CHANGED, msg, cell=cell, column=expected[i], value=value)
            for i in extra:
                what = f"'{found[i]}'" if found[i] else "a column with no heading"
                self.at(
                    Rule.HEADER_CHANGED,
                    f"Column {column_letter(i)} is {what}, which was not in the return as "
                    f"sent. Delete the column, or {_SEND_BACK}.",
                    cell=cell_ref(row, i),
                    column=found[i],
                    value=found[i],
                )
        else:
            for i, (n, w) in enumerate(zip(norm, want, strict=True)):
                if n != w:
                    self.at(
                        Rule.HEADER_CHANGED,
                        f"The column '{found[i]}' has been moved: column {column_letter(i)} "
                        f"should be '{expected[i]}'. Put the columns back in the order they "
                        f"were sent, or {_SEND_BACK}.",
                        cell=cell_ref(row, i),
                        column=expected[i],
                        value=found[i],
                    )
        if len(self.problems) > before:
            raise _Stop()

    # -- 3. rows, formulas, locked text ------------------------------------------------------------
    def rows(self, m: Manifest, agency: Agency) -> dict[str, ReturnRow]:
        position = {rid: i for i, rid in enumerate(m.row_ids)}
        first: dict[str, ReturnRow] = {}
        find_area = self.plan.find_area  # the plan's index, not a dict of it per return
        for row in self.data.rows:
            text = row.text("id")
            rid = text.strip()
            cell = row.cells["id"].address
            if rid in position and rid not in first:
                first[rid] = row
            elif rid in position:
                self.at(
                    Rule.ROW_DUPLICATED,
                    f"Area {rid} appears more than once (rows {first[rid].excel_row} and "
                    f"{row.excel_row}). Delete the copy in row {row.excel_row}.",
                    cell=cell,
                    column=self.header("id"),
                    value=text,
                    area_id=rid,
                )
            elif (area := find_area(rid)) is not None and agency.key not in area.agencies:
                self.at(
                    Rule.AGENCY_MISMATCH,
                    f"Row {row.excel_row} is area {rid}, which is not one of "
                    f"{agency.name}'s areas. Delete the row: only the areas you were sent can "
                    f"be updated in this return.",
                    cell=cell,
                    column=self.header("id"),
                    value=text,
                    area_id=rid,
                )
            else:
                label = f"area {rid}" if rid else "a row with no ID"
                self.at(
                    Rule.ROW_ADDED,
                    f"Row {row.excel_row} ({label}) was not in the return as sent. Delete the "
                    f"row: only the areas you were sent can be updated in this return.",
                    cell=cell,
                    column=self.header("id"),
                    value=text,
                    area_id=rid,
                )
        for r in self.data.ignored_rows:
            self.at(
                Rule.ROW_ADDED,
                f"Row {r} is below an empty row, outside the table as sent. Delete it, and "
                f"any empty row added inside the table.",
                cell=f"A{r}",
            )
        for rid in m.row_ids:
            if rid not in first:
                self.at(
                    Rule.ROW_MISSING,
                    f"Area {rid} is missing from the return. Put its row back, or {_SEND_BACK}.",
                    column=self.header("id"),
                    area_id=rid,
                )
        found = list(first)
        for i in sorted(_moved([position[rid] for rid in found])):
            rid, row = found[i], first[found[i]]
            self.at(
                Rule.ROW_ORDER,
                f"Area {rid} has been moved to row {row.excel_row}; it was sent in row "
                f"{m.header_row + 1 + position[rid]}. Put the rows back in the order they "
                f"were sent.",
                cell=row.cells["id"].address,
                column=self.header("id"),
                value=rid,
                area_id=rid,
            )
        return first

    def formulas(self) -> None:
        for row in self.data.rows:
            rid = row.text("id").strip()
            for key, cell in row.cells.items():
                if cell.is_formula:
                    self.at(
                        Rule.FORMULA,
                        f"{cell.address} holds a formula ({_shorten(cell.text)}). Type the "
                        f"value instead of a formula.",
                        cell=cell.address,
                        column=self.header(key),
                        value=cell.text,
                        area_id=rid,
                    )

    def title(self, m: Manifest) -> None:
        """The title block holds what was issued (a version 3 return says what that was)."""
        if m.version < 3:
            return
        for i in title_differences(m.title, self.data.title):
            issued = m.title[i] if i < len(m.title) else ""
            put_back = f"Put back '{_shorten(issued, 60)}'" if issued else "Delete it"
            self.at(
                Rule.TITLE_CHANGED,
                f"B{i + 1} is part of the title above the table, and has been changed. "
                f"{put_back}, or send back the return you were sent.",
                cell=f"B{i + 1}",
                value=self.data.title[i] if i < len(self.data.title) else "",
            )

    def outside(self, m: Manifest) -> None:
        """Every cell the return never had content in: formulas anywhere, anything typed off
        the table, a changed Lists sheet, a sheet added."""
        expected_lists = lists_values(
            m.columns,
            scale_of(m, self.plan),
            date.fromisoformat(m.round_date),
            sign_off=m.sign_off is not None,
        )
        # A return sent back as feedback holds the list of what to fix, on a sheet of its own:
        # it is never read, whatever the agency did to it (a formula is still reported).
        fix_sheet = FIX_SHEET.casefold() if is_feedback(self.data.title) else None
        lists_found: dict[str, str] = {}
        lists_sheet = ""
        ignored = set(self.data.ignored_rows)
        for c in self.data.outside:
            where = f"{c.address} on the sheet '{c.sheet}'"
            if c.is_formula:
                self.at(
                    Rule.FORMULA,
                    f"{where} holds a formula ({_shorten(c.text)}). Delete it: a return holds "
                    f"only typed values.",
                    cell=c.address,
                    value=c.text,
                    sheet=c.sheet,
                )
            elif c.sheet.casefold() == fix_sheet:
                continue
            elif c.sheet == self.data.sheet:
                if int("".join(ch for ch in c.address if ch.isdigit())) in ignored:
                    continue  # reported already as a row added below the table
                self.at(
                    Rule.CONTENT_OUTSIDE_TABLE,
                    f"{c.address} has something typed in it ({_shorten(c.text, 40)}), outside "
                    f"the table as sent. Delete it: only the white cells of the table are read.",
                    cell=c.address,
                    value=c.text,
                )
            elif c.sheet.casefold() == LISTS_SHEET.casefold():
                lists_sheet = c.sheet
                lists_found[c.address] = c.text
            elif c.sheet.casefold() == MANIFEST_SHEET.casefold():
                self.at(
                    Rule.MANIFEST_DAMAGED,
                    f"{where} has something added to it. It is a hidden part of the return: "
                    f"{_SEND_BACK}.",
                    cell=c.address,
                    value=c.text,
                    sheet=c.sheet,
                )
            else:
                self.at(
                    Rule.SHEET_ADDED,
                    f"The sheet '{c.sheet}' was added to the return ({c.address} holds "
                    f"{_shorten(c.text, 40)}). Delete the sheet: only the white cells of the "
                    f"Return sheet are read.",
                    cell=c.address,
                    value=c.text,
                    sheet=c.sheet,
                )
        # A cleared cell only breaks a dropdown (values are checked here anyway); new or
        # different content is something the return never had.
        changed = sorted(
            (ref for ref, text in lists_found.items() if expected_lists.get(ref) != text),
            key=_cell_order,
        )
        if changed:
            self.at(
                Rule.LISTS_CHANGED,
                f"The hidden Lists sheet, which holds the choices for the dropdowns, has been "
                f"changed (at {', '.join(changed[:5])}{' and more' if len(changed) > 5 else ''})."
                f" {_SEND_BACK.capitalize()}.",
                cell=changed[0],
                value=lists_found.get(changed[0], ""),
                sheet=lists_sheet or LISTS_SHEET,
            )

    def sign_off(self, m: Manifest) -> None:
        """The sign-off block, on a return issued with one: its labels as sent, its cells
        filled in (core/sign_off.py)."""
        block = m.sign_off
        if block is None:
            return
        for address, text in block.labels:
            cell = self.data.sign_off_labels.get(address)
            found = cell.text if cell is not None else ""
            if (cell is not None and cell.is_formula) or found == text:
                continue
            self.at(
                Rule.TITLE_CHANGED,
                f"{address} is part of the sign-off above the table, and has been changed. Put "
                f"back '{_shorten(text, 60)}', or send back the return you were sent.",
                cell=address,
                value=found,
            )
        findings, self.signed = check_sign_off(
            block,
            self.data.sign_off,
            issued_on=datetime.fromisoformat(m.issued_at).date(),
            today=self.today,
            epoch_1904=self.data.epoch == 1904,
        )
        for f in findings:
            self.at(
                f.rule, f.message, cell=block.cell(f.field), column=LABELS[f.field], value=f.value
            )

    def locked_text(self, m: Manifest, agency: Agency, rows: dict[str, ReturnRow]) -> None:
        by_id = {r.id: r for r in m.rows}
        find_area = self.plan.find_area
        for rid, row in rows.items():
            found = [row.text(c.key) for c in self.layout.locked]
            if locked_text_hash(found) == by_id[rid].locked_sha256:
                continue
            expected: list[str] | None = None
            area = find_area(rid)
            if area is not None:
                as_issued = with_issued(area, by_id[rid].issued)
                candidate = locked_values(self.plan, as_issued, agency.key, self.layout)
                # Only a master unchanged since issue says exactly which cell was changed.
                if locked_text_hash(candidate) == by_id[rid].locked_sha256:
                    expected = candidate
            reported = False
            for col, text, want in zip(self.layout.locked, found, expected or found, strict=True):
                cell = row.cells[col.key]
                if cell.is_formula:
                    reported = True  # already reported as a formula
                elif text != want:
                    reported = True
                    self.at(
                        Rule.LOCKED_TEXT_CHANGED,
                        f"The {col.header} text for area {rid} has been changed. It is plan "
                        f"text, for reference only: put back the text that was sent, or "
                        f"{_SEND_BACK}.",
                        cell=cell.address,
                        column=col.header,
                        value=text,
                        area_id=rid,
                    )
            if not reported:
                self.at(
                    Rule.LOCKED_TEXT_CHANGED,
                    f"The plan text of area {rid} (row {row.excel_row}) has been changed. It "
                    f"is shown for reference only: put back the text that was sent, or "
                    f"{_SEND_BACK}.",
                    cell=row.cells["id"].address,
                    column=self.header("id"),
                    value=rid,
                    area_id=rid,
                )

    # -- 4. values -------------------------------------------------------------------------------
    def entries(self, m: Manifest, rows: dict[str, ReturnRow]) -> _Entries:
        """Each update cell's text and whether the agency entered it, for the value rules
        (schemas.return_rules), and each area's values as they would be merged."""
        issued = {r.id: r.issued for r in m.rows}
        columns = self.layout.open
        found = _Entries()
        epoch_1904 = self.data.epoch == 1904
        for rid, row in rows.items():
            was = issued[rid]
            texts: dict[str, str] = {}
            entered: dict[str, bool] = {}
            out: dict[str, str] = {}
            found.texts[row.excel_row], found.entered[row.excel_row], found.out[rid] = (
                texts,
                entered,
                out,
            )
            for column in columns:
                key = column.key
                cell = row.cells[key]
                if cell.is_formula:  # reported already; checked as if left as issued
                    text, changed = was[key], False
                elif cell.is_error:  # the cell shows #N/A or the like: not a value
                    self.at(
                        Rule.EXCEL_ERROR,
                        f"{cell.address} shows an Excel error ({cell.text}), not a value. Type "
                        f"the value in the cell instead.",
                        cell=cell.address,
                        column=column.header,
                        value=cell.text,
                        area_id=rid,
                    )
                    text, changed = was[key], False
                else:
                    text = cell_text(column, cell.raw, epoch_1904=epoch_1904)
                    changed = text != was[key] and normalise(column, text) != normalise(
                        column, was[key]
                    )
                if changed and was[key] and not text.strip():
                    # Emptying a cell clears the master's value: said, so it is not by slip.
                    self.at(
                        Rule.VALUE_EMPTIED,
                        f"{column.header} for {rid} was '{_shorten(was[key], 40)}' and is now "
                        f"empty, so the master's value will be cleared. Put it back if nothing "
                        f"has changed.",
                        cell=cell.address,
                        column=column.header,
                        value="",
                        area_id=rid,
                        severity=Severity.WARNING,
                    )
                texts[key] = text
                entered[key] = changed
                out[key] = normalise(column, text) if changed else was[key]
        return found

    def frame_context(self, rows: dict[str, ReturnRow]) -> FrameContext:
        return FrameContext(
            file=self.data.file_name,
            sheet=self.data.sheet,
            positions=dict(self.data.columns),
            headers={c.key: c.header for c in self.layout.columns},
            agency=self.agency_name,
            ids={row.excel_row: rid for rid, row in rows.items()},
        )

    def no_update(self, rows: dict[str, ReturnRow], found: _Entries) -> None:
        columns = self.layout.open
        keys = [c.key for c in columns]
        first = columns[0]
        for rid, row in rows.items():
            if not any(found.entered[row.excel_row].values()) and not any(
                row.cells[k].is_formula or row.cells[k].is_error for k in keys
            ):
                self.at(
                    Rule.NO_UPDATE,
                    f"No update given for {rid}. Fill in the white cells for this area, or "
                    f"leave them as they are if nothing has changed since the last review.",
                    cell=row.cells[first.key].address,
                    column=first.header,
                    area_id=rid,
                    severity=Severity.WARNING,
                )

    # -- all -------------------------------------------------------------------------------------
    def prepare(self) -> _Prepared | None:
        """Steps 1 to 3 and the update cells' entries; None when the check stopped early."""
        try:
            m, agency = self.identify()
            self.layout = return_layout(m.columns)
            self.headings(m)
        except _Stop:
            return None
        rows = self.rows(m, agency)
        self.formulas()
        self.outside(m)
        self.title(m)
        self.sign_off(m)
        self.locked_text(m, agency, rows)
        return _Prepared(m, agency, rows, self.entries(m, rows))

    def finish(
        self, prepared: _Prepared, value_problems: list[Problem], sha256: str
    ) -> AcceptedReturn | None:
        """The value rules' problems (from a batch), the warnings, the verdict."""
        m, agency = prepared.manifest, prepared.agency
        self.problems.extend(value_problems)
        # An emptied cell that is an error too (progress a RAG needs) is said once, as the error.
        wrong = {(p.sheet, p.cell) for p in self.problems if p.is_error}
        self.problems = [
            p
            for p in self.problems
            if not (p.rule == Rule.VALUE_EMPTIED and (p.sheet, p.cell) in wrong)
        ]
        self.no_update(prepared.rows, prepared.entries)
        self.problems.sort(key=_sheet_order)
        if any(p.is_error for p in self.problems):
            return None
        values = prepared.entries.out
        return AcceptedReturn(
            agency=agency.key,
            round=m.round_name,
            file_name=self.data.file_name,
            sha256=sha256,
            rows=tuple(
                ReturnedRow(area_id=r.id, issued=dict(r.issued), values=values[r.id])
                for r in m.rows
            ),
            sign_off=self.signed,
        )


@dataclass
class _Entries:
    texts: dict[int, dict[str, str]] = field(default_factory=dict)  # Excel row -> key -> text
    entered: dict[int, dict[str, bool]] = field(default_factory=dict)
    out: dict[str, dict[str, str]] = field(default_factory=dict)  # area ID -> key -> value


@dataclass(frozen=True)
class _Prepared:
    manifest: Manifest
    agency: Agency
    rows: dict[str, ReturnRow]
    entries: _Entries


def _sheet_order(p: Problem) -> tuple[int, int]:
    """Problems with no cell first, then by row, then by column."""
    return _cell_order(p.cell)


def _cell_order(cell: str) -> tuple[int, int]:
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = "".join(ch for ch in cell if ch.isdigit())
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch.upper()) - 64
    return (int(digits) if digits else 0, col)


def validate_return(
    data: ReturnData,
    *,
    plan: Plan,
    key: bytes,
    current_round: str,
    issued: IssuedRecord | None,
    today: date,
    sha256: str = "",
) -> tuple[list[Problem], AcceptedReturn | None]:
    """Every problem with one return, and what the merge needs when it has no errors.

    `plan` is the current master; `key` the workspace's signing key; `current_round` the
    ledger's current round; `issued` the ledger's record for the manifest's (round, agency),
    or None; `today` for the stale review date warning; `sha256` of the file's bytes.
    """
    (result,) = validate_returns(
        [ToValidate(data, issued, sha256)],
        plan=plan,
        key=key,
        current_round=current_round,
        today=today,
    )
    return result


@dataclass(frozen=True)
class ToValidate:
    """One return as read, with the ledger's record of it and its file's hash."""

    data: ReturnData
    issued: IssuedRecord | None
    sha256: str = ""


def validate_returns(
    returns: Sequence[ToValidate],
    *,
    plan: Plan,
    key: bytes,
    current_round: str,
    today: date,
) -> list[tuple[list[Problem], AcceptedReturn | None]]:
    """validate_return for each of `returns`, in order, with the value rules run by pandera
    once for every group of returns that share them (the same columns, round date and RAG
    scale: one schema over all their rows in one frame), not once per file. Each return's
    problems are exactly those validate_return gives it alone."""
    validators = [_Validator(r.data, plan, key, current_round, r.issued, today) for r in returns]
    prepared = [v.prepare() for v in validators]
    groups: dict[tuple[ColumnSet, str, tuple[str, ...]], list[int]] = {}
    for i, ready in enumerate(prepared):
        if ready is not None and ready.entries.texts:
            m = ready.manifest
            groups.setdefault((m.columns, m.round_date, scale_of(m, plan)), []).append(i)
    found: dict[int, list[Problem]] = {}
    for (columns, round_date, scale), members in groups.items():
        ctx = KindContext(rag_scale=scale, round_date=date.fromisoformat(round_date), today=today)
        found |= _value_problems(columns, ctx, [(i, validators[i], prepared[i]) for i in members])
    results: list[tuple[list[Problem], AcceptedReturn | None]] = []
    for i, (validator, ready) in enumerate(zip(validators, prepared, strict=True)):
        if ready is None:
            results.append((validator.problems, None))
            continue
        accepted = validator.finish(ready, found.get(i, []), returns[i].sha256)
        results.append((validator.problems, accepted))
    return results


def _value_problems(
    columns: ColumnSet,
    ctx: KindContext,
    members: list[tuple[int, _Validator, _Prepared | None]],
) -> dict[int, list[Problem]]:
    """The value rules over every member's rows in one frame; each member's problems."""
    open_columns = return_layout(columns).open
    keys = [c.key for c in open_columns]
    texts: dict[int, dict[str, str]] = {}
    entered: dict[int, dict[str, bool]] = {}
    owner: dict[int, int] = {}  # the frame's index -> the member
    excel_row: dict[int, int] = {}  # the frame's index -> the row in its return
    for i, _, ready in members:
        assert ready is not None
        for row, row_texts in ready.entries.texts.items():
            at = len(owner)
            texts[at], entered[at] = row_texts, ready.entries.entered[row]
            owner[at], excel_row[at] = i, row
    frame = pd.DataFrame.from_dict(texts, orient="index", columns=keys)
    flags = pd.DataFrame.from_dict(entered, orient="index", columns=keys)
    rules = return_rules(columns, ctx, frame=frame, entered=flags)
    by_member: dict[int, list[Failure]] = {i: [] for i, _, _ in members}
    for failure in failures(frame, rules, open_columns):
        by_member[owner[failure.index]].append(failure)
    out: dict[int, list[Problem]] = {}
    for i, validator, ready in members:
        assert ready is not None
        out[i] = problems(by_member[i], validator.frame_context(ready.rows), excel_row)
    return out
