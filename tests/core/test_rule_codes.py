"""The rule codes: one enum, every code a check gives, each in one group."""

from __future__ import annotations

from ipt_excel.core.problems import Severity
from ipt_excel.core.rule_codes import RULES, UNTRUSTED, Group, Rule, info
from ipt_excel.excel.safe_open import REASONS


def test_every_reason_the_gate_gives_is_a_file_rule() -> None:
    for reason in REASONS:
        assert info(reason).group is Group.FILE, reason


def test_warnings_are_warnings_and_everything_else_an_error() -> None:
    for rule, meta in RULES.items():
        expected = Severity.WARNING if meta.group is Group.WARNING else Severity.ERROR
        assert meta.severity is expected, rule
    assert info(Rule.NO_UPDATE).summary == "no update given for"


def test_a_plans_own_rule_is_a_value_error() -> None:
    assert info("risks-and-issues-required").group is Group.VALUE
    assert info("risks-and-issues-required").severity is Severity.ERROR


def test_only_file_and_identity_problems_make_a_file_untrusted() -> None:
    assert Rule.SIGNATURE in UNTRUSTED and Rule.ZIP_BOMB in UNTRUSTED
    assert Rule.FORMULA not in UNTRUSTED and Rule.RAG_IN_SCALE not in UNTRUSTED
