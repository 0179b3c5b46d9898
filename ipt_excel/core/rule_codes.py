"""Every rule code a check can give, with its group, its severity and, for warnings, the
words a summary line uses. One place: the validator, the check, the feedback writer and
the CLI all take them from here.

A plan's own cross-column rules add codes of their own ("risks-and-issues-required"); those
are errors of the value group.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ipt_excel.core.problems import Severity


class Group(StrEnum):
    FILE = "file"  # the file as a whole could not be read as a return
    IDENTITY = "identity"  # not this workspace's latest return for the round
    STRUCTURE = "structure"  # the table or the workbook was changed where it must not be
    VALUE = "value"  # an update value breaks a rule
    SIGN_OFF = "sign-off"  # the sign-off is not filled in, or not confirmed
    WARNING = "warning"  # worth a look; does not stop a return being merged
    OK = "ok"  # the report's row for a valid file


class Rule(StrEnum):
    # A file refused before it is read (the safe-open gate's reasons, then the reader's).
    MISSING = "missing"
    NOT_A_FILE = "not-a-file"
    UNREADABLE = "unreadable"
    EMPTY = "empty"
    TOO_LARGE = "too-large"
    XLS = "xls"
    ENCRYPTED = "encrypted"
    NOT_ZIP = "not-zip"
    CORRUPT_ZIP = "corrupt-zip"
    NOT_WORKBOOK = "not-workbook"
    STRICT_OOXML = "strict-ooxml"
    MACRO = "macro"
    ZIP_BOMB = "zip-bomb"
    XML_BOMB = "xml-bomb"
    TOO_MANY_CELLS = "too-many-cells"
    TOO_MUCH_TEXT = "too-much-text"
    TOO_COMPLEX = "too-complex"
    NOT_A_RETURN = "not-a-return"
    UNREADABLE_WORKBOOK = "unreadable-workbook"
    UNEXPECTED_ERROR = "unexpected-error"
    # An e-mail the returns came in (ipt_excel/intake), refused before any file is checked.
    NO_ATTACHMENT = "no-attachment"
    MAIL_UNREADABLE = "mail-unreadable"
    MAIL_TOO_LARGE = "mail-too-large"
    ATTACHMENT_DAMAGED = "attachment-damaged"
    # Which return it is.
    NO_MANIFEST = "no-manifest"
    MANIFEST_DAMAGED = "manifest-damaged"
    SIGNATURE = "signature"
    STALE_ROUND = "stale-round"
    AGENCY_MISMATCH = "agency-mismatch"
    NOT_ISSUED = "not-issued"
    SUPERSEDED = "superseded"
    # What the agency may not change.
    HEADER_CHANGED = "header-changed"
    ROW_ADDED = "row-added"
    ROW_MISSING = "row-missing"
    ROW_DUPLICATED = "row-duplicated"
    ROW_ORDER = "row-order"
    FORMULA = "formula"
    LOCKED_TEXT_CHANGED = "locked-text-changed"
    CONTENT_OUTSIDE_TABLE = "content-outside-table"
    TITLE_CHANGED = "title-changed"
    LISTS_CHANGED = "lists-changed"
    SHEET_ADDED = "sheet-added"
    EXCEL_ERROR = "excel-error"
    # Values (the kinds' checks; a plan's cross-column rules add their own codes).
    RAG_IN_SCALE = "rag-in-scale"
    CHOICE_IN_LIST = "choice-in-list"
    REVIEW_DATE_FORMAT = "review-date-format"
    REVIEW_DATE_PAST = "review-date-past"
    REVIEW_DATE_TOO_FAR = "review-date-too-far"
    DATE_FORMAT = "date-format"
    NUMBER_FORMAT = "number-format"
    PERCENT_RANGE = "percent-range"
    TOO_LONG = "too-long"
    PROGRESS_REQUIRED = "progress-required"
    EVIDENCE_REQUIRED = "evidence-required"
    # The sign-off block (a return issued with manifest version 4 or later asks for one).
    SIGN_OFF_MISSING = "sign-off-missing"
    SIGN_OFF_DATE = "sign-off-date"
    SIGN_OFF_NOT_CONFIRMED = "sign-off-not-confirmed"
    # Warnings.
    NO_UPDATE = "no-update"
    VALUE_EMPTIED = "value-emptied"
    REVIEW_DATE_STALE = "review-date-stale"
    COLUMN_REMOVED = "column-removed"
    # The report's row for a valid file.
    OK = "ok"


@dataclass(frozen=True)
class RuleInfo:
    group: Group
    summary: str = ""  # for warnings: "no update given for" + the area IDs

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self.group is Group.WARNING else Severity.ERROR


_FILE = {
    Rule.MISSING, Rule.NOT_A_FILE, Rule.UNREADABLE, Rule.EMPTY, Rule.TOO_LARGE, Rule.XLS,
    Rule.ENCRYPTED, Rule.NOT_ZIP, Rule.CORRUPT_ZIP, Rule.NOT_WORKBOOK, Rule.STRICT_OOXML,
    Rule.MACRO, Rule.ZIP_BOMB, Rule.XML_BOMB, Rule.TOO_MANY_CELLS, Rule.TOO_MUCH_TEXT,
    Rule.TOO_COMPLEX,
    Rule.NOT_A_RETURN, Rule.UNREADABLE_WORKBOOK, Rule.UNEXPECTED_ERROR,
    Rule.NO_ATTACHMENT, Rule.MAIL_UNREADABLE, Rule.MAIL_TOO_LARGE, Rule.ATTACHMENT_DAMAGED,
}  # fmt: skip
_IDENTITY = {
    Rule.NO_MANIFEST, Rule.MANIFEST_DAMAGED, Rule.SIGNATURE, Rule.STALE_ROUND,
    Rule.AGENCY_MISMATCH, Rule.NOT_ISSUED, Rule.SUPERSEDED,
}  # fmt: skip
_STRUCTURE = {
    Rule.HEADER_CHANGED, Rule.ROW_ADDED, Rule.ROW_MISSING, Rule.ROW_DUPLICATED,
    Rule.ROW_ORDER, Rule.FORMULA, Rule.LOCKED_TEXT_CHANGED, Rule.CONTENT_OUTSIDE_TABLE,
    Rule.TITLE_CHANGED,
    Rule.LISTS_CHANGED, Rule.SHEET_ADDED, Rule.EXCEL_ERROR,
}  # fmt: skip
_SIGN_OFF = {Rule.SIGN_OFF_MISSING, Rule.SIGN_OFF_DATE, Rule.SIGN_OFF_NOT_CONFIRMED}
_WARNINGS = {
    Rule.NO_UPDATE: "no update given for",
    Rule.VALUE_EMPTIED: "a value was emptied for",
    Rule.REVIEW_DATE_STALE: "the date of next review has passed for",
    Rule.COLUMN_REMOVED: "",
}


def _group(rule: Rule) -> Group:
    if rule in _FILE:
        return Group.FILE
    if rule in _IDENTITY:
        return Group.IDENTITY
    if rule in _STRUCTURE:
        return Group.STRUCTURE
    if rule in _SIGN_OFF:
        return Group.SIGN_OFF
    if rule in _WARNINGS:
        return Group.WARNING
    if rule is Rule.OK:
        return Group.OK
    return Group.VALUE


RULES: dict[Rule, RuleInfo] = {r: RuleInfo(_group(r), _WARNINGS.get(r, "")) for r in Rule}


def info(code: str) -> RuleInfo:
    """What a code means; a plan's own rule ("...-required") is a value error."""
    try:
        return RULES[Rule(code)]
    except ValueError:
        return RuleInfo(Group.VALUE)


def in_group(*groups: Group) -> frozenset[Rule]:
    return frozenset(r for r, i in RULES.items() if i.group in groups)


# After these the file cannot be trusted as a return issued for this round: no feedback.
UNTRUSTED = in_group(Group.FILE, Group.IDENTITY)
