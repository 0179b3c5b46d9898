"""Plan lint: plan-quality problems a coordinator wants to find before a board does.

Pure: takes a `Plan`, returns `LintFinding`s; no I/O. Each rule has a stable code (`RULES`),
and every text a user reads says what is wrong and what to do.

Decisions written down once:

- **Next review before the round.** A review date with a day is compared with the round's
  date. A month with no day ("June 2012") counts as the 1st of that month, as Excel stores a
  typed "June 2012": so "June 2012" is before a round on 26 June 2012 (the seed's 1.8), but
  not before a round on 1 June 2012. A cell with several dates is read by its last date (see
  `dates.parse_review_date`).
- **Lead spelling.** Lead cells run names together ("Maurice Lindsay Trina Shane"), so the
  text cannot be split into people reliably. Instead every pair of neighbouring capitalised
  words in every Lead cell is counted across the plan. Two pairs with the same first word and
  second words that are nearly the same (`difflib` ratio >= 0.8, ignoring case) are one
  person spelt two ways when one spelling is used at least twice as often as the other; the
  rarer spelling is reported. Pairs that straddle two names ("Shane Charlie") are counted too
  but, being surname-then-first-name, rarely look alike.
- **Glossary.** An abbreviation is a word of 2 to 6 capital letters, with an optional plural
  "s" ("IROs" is IRO). A glossary term such as "IRO/IRS" defines each part. `STOP_WORDS`
  lists ordinary words written in capitals, and RAG words; roman numerals are ignored too.
  Well-known abbreviations (NHS, GCSE, IT) are still reported: a plan is read by the public.
  One written out where it is used, its capitals in brackets after the words they stand for
  ("Education, Health and Care (EHC)"), is defined there and not reported.
- **Duplicated text.** A passage of 60 or more characters repeated in the same field of two
  or more areas (compared ignoring case, spacing and punctuation). Areas linked by repeated
  passages are reported together, once per field, on the first of them. Practice standards,
  timescales, leads and dates are not checked: repeating those is normal.
- **Cross-references.** An area ID counts as a reference only where the wording says so:
  "see 1.8", "(1.8)", "1.10 and 1.11 above", "linked to 1.8", "as detailed in 1.10", and the
  references read from the "Date for completion" cell. This keeps dates such as "20.6.12" out.
  A reference exists when it names an area, a parent of areas ("2.2" for 2.2.1 and 2.2.2) or
  a numbered part of an area ("1.8.2", "1.8a").
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ipt_excel.core.actions import parse_actions
from ipt_excel.core.columns import Kind
from ipt_excel.core.dates import (
    REVIEW_HORIZON_YEARS,
    DateKind,
    Month,
    first_review_month,
    format_review,
    normalise_cell,
    parse_review_date,
    review_horizon,
    review_is_before,
    review_is_too_far,
    split_completion_phrases,
)
from ipt_excel.core.kinds import example_date
from ipt_excel.core.model import BLUE, NOT_RATED, Area, Plan, id_sort_key
from ipt_excel.core.text import long_date

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LINT_HEADERS", "RULES", "STOP_WORDS", "LintFinding", "lint_frame", "lint_plan"]

# Every rule's stable code, in the order findings for one area are listed.
RULES: tuple[str, ...] = (
    "rag-missing",
    "rag-unknown",
    "review-missing",
    "review-unreadable",
    "review-spelling",
    "review-before-round",
    "review-too-far",
    "completion-unreadable",
    "agency-unknown",
    "lead-spelling",
    "assurance-empty",
    "outcome-empty",
    "cross-reference-unknown",
    "duplicate-text",
    "glossary-missing",
)

LINT_HEADERS: dict[str, str] = {
    "area_id": "ID",
    "field": "Field",
    "problem": "Problem",
    "suggestion": "Suggestion",
    "rule": "Rule",
}

# Words of capital letters that are not abbreviations: ordinary words written in capitals and
# RAG words. Roman numerals (II, IV, XII) are recognised separately.
STOP_WORDS: frozenset[str] = frozenset(
    (
        f"RED AMBER GREEN {BLUE} "
        "ALL AN AND ARE AS AT BE BUT BY DO FOR FROM HAS IF IN IS NEW NO NONE NOT NOTE NOW OF ON "
        "OR SO THE TO UP WE WILL YES"
    ).split()
)

MIN_DUPLICATE_CHARS = 60
_SIMILAR_NAME = 0.8  # difflib ratio above which two surnames look like one spelt two ways
_COMMONER = 2  # the usual spelling is used at least this many times as often as the rare one


@dataclass(frozen=True)
class LintFinding:
    """One plan-quality problem. `field` is a column header ("" for the whole plan)."""

    area_id: str
    field: str
    problem: str
    suggestion: str
    rule: str


def lint_plan(plan: Plan) -> list[LintFinding]:
    """Every plan-quality problem in `plan`, in plan order of area, then rule.

    Findings about the whole plan (such as glossary gaps) come after all the areas.
    """
    findings: list[LintFinding] = []
    # An update column no area has a value in yet (a plan just imported from a table without
    # it, before its first round) is not a gap in every area: agencies fill it in.
    unfilled = frozenset(
        c.key for c in plan.columns.updates if not any(a.value(c.key).strip() for a in plan.areas)
    )
    for area in plan.areas:
        if "rag" not in unfilled:
            findings.extend(_rag(plan, area))
        findings.extend(_review(plan, area, unfilled))
        findings.extend(_completion(plan, area))
        findings.extend(_agencies(plan, area))
        findings.extend(_empty(plan, area))
        findings.extend(_cross_references(plan, area))
    findings.extend(_lead_spelling(plan))
    findings.extend(_duplicates(plan))
    findings.extend(_glossary(plan))

    order = {a.id: i for i, a in enumerate(plan.areas)}
    rank = {rule: i for i, rule in enumerate(RULES)}

    def key(f: LintFinding) -> tuple[int, int]:
        # The sort is stable, so findings under one area and rule keep the order found.
        return (order.get(f.area_id, len(order)), rank[f.rule])

    return sorted(findings, key=key)


def lint_frame(findings: list[LintFinding]) -> pd.DataFrame:
    """One row per finding with human headings: ID, Field, Problem, Suggestion, Rule."""
    import pandas as pd

    rows = [{k: str(getattr(f, k)) for k in LINT_HEADERS} for f in findings]
    frame = pd.DataFrame(rows, columns=list(LINT_HEADERS))
    return frame.rename(columns=LINT_HEADERS)


# --------------------------------------------------------------------------------------------
# Helpers


def _header(plan: Plan, key: str) -> str:
    return plan.columns.header(key)


def _quote(text: str, limit: int = 80) -> str:
    text = normalise_cell(text)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"“{text}”"


def _and_list(items: list[str]) -> str:
    """Join IDs in English: 1.1, 1.2 and 1.3."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _or_list(items: tuple[str, ...]) -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _in_plan_order(plan: Plan, ids: set[str]) -> list[str]:
    position = {a.id: i for i, a in enumerate(plan.areas)}
    return sorted(ids, key=lambda i: (position.get(i, len(position)), id_sort_key(i)))


_TEXT_KINDS = (Kind.TEXT, Kind.ACTIONS, Kind.REVIEW, Kind.CHOICE)


def _text_fields(plan: Plan, area: Area) -> Iterator[tuple[str, str]]:
    """(column key, text) for every piece of text in an area; list items one by one."""
    for column in plan.columns:
        if column.kind not in _TEXT_KINDS:
            continue
        if column.kind is Kind.ACTIONS:
            for item in parse_actions(area.value(column.key)).all():
                yield column.key, item
        else:
            yield column.key, area.value(column.key)


# --------------------------------------------------------------------------------------------
# Per-area rules


def _rag(plan: Plan, area: Area) -> Iterator[LintFinding]:
    scale = _or_list(plan.rag_scale)
    rag = area.value("rag")
    if rag == NOT_RATED:
        yield LintFinding(
            area.id,
            _header(plan, "rag"),
            "This area has no RAG rating.",
            f"Give it a rating: {scale}.",
            "rag-missing",
        )
    elif rag not in plan.rag_scale:
        yield LintFinding(
            area.id,
            _header(plan, "rag"),
            f"The RAG rating {_quote(rag)} is not one of this plan's ratings.",
            f"Use {scale}.",
            "rag-unknown",
        )


def _review(plan: Plan, area: Area, unfilled: frozenset[str]) -> Iterator[LintFinding]:
    for column in plan.columns.updates:
        if column.kind is Kind.REVIEW and column.key not in unfilled:
            yield from _review_column(plan, area, column.key)


def _review_column(plan: Plan, area: Area, key: str) -> Iterator[LintFinding]:
    field = _header(plan, key)
    round_day = plan.round.date
    round_text = long_date(round_day)
    text = area.value(key)
    review = parse_review_date(text, context=round_day)  # as the import read it
    if review is None:
        yield LintFinding(
            area.id,
            field,
            f"The date of next review {_quote(text)} cannot be read as a date.",
            f"Write a month and year such as {first_review_month(round_day)}, a date such as "
            f"{example_date(round_day)}, "
            "or Not required.",
            "review-unreadable",
        )
        return
    if review.is_empty:
        yield LintFinding(
            area.id,
            field,
            "There is no date of next review.",
            f"Give the month of the next review, such as {first_review_month(round_day)}, or "
            "write Not required.",
            "review-missing",
        )
        return
    canonical = format_review(review)
    written = normalise_cell(text)

    def squash(s: str) -> str:
        return re.sub(r"\s+", "", s).casefold()

    if squash(written) == squash(canonical) and written.count(" ") < canonical.count(" "):
        yield LintFinding(
            area.id,
            field,
            f"The date of next review {_quote(written)} is missing a space.",
            f"Write it as {canonical}.",
            "review-spelling",
        )
    if review_is_too_far(review, round_day):  # the same rule as `ipt check`
        yield LintFinding(
            area.id,
            field,
            f"The next review, {canonical}, is more than {REVIEW_HORIZON_YEARS} years after this "
            f"review, {round_text}.",
            f"Check the year: give a month or date on or before "
            f"{long_date(review_horizon(round_day))}, or Not required.",
            "review-too-far",
        )
    if review_is_before(review, round_day):  # the same rule as `ipt check`
        yield LintFinding(
            area.id,
            field,
            f"The next review, {canonical}, is not after this review, {round_text}.",
            f"Give {first_review_month(round_day)} or a later month, a date on or after "
            f"{round_text}, or Not required.",
            "review-before-round",
        )


def _completion(plan: Plan, area: Area) -> Iterator[LintFinding]:
    if "completion" not in plan.columns:
        return

    def ahead(months: int) -> str:  # an example drawn from the plan's own round
        return str(Month.of(plan.round.date).plus(months))

    for phrase in split_completion_phrases(area.value("completion")):
        if phrase.kind is DateKind.UNKNOWN:
            yield LintFinding(
                area.id,
                _header(plan, "completion"),
                f"{_quote(phrase.text)} cannot be read as a completion date.",
                f"Write a month and year for each action, such as {ahead(3)}, From {ahead(1)} "
                "or Ongoing.",
                "completion-unreadable",
            )


def _agencies(plan: Plan, area: Area) -> Iterator[LintFinding]:
    known = {ag.key for ag in plan.agencies}
    for key in area.agencies:
        if key not in known:
            yield LintFinding(
                area.id,
                _header(plan, "agencies"),
                f"The agency {_quote(key)} is not in the plan's list of agencies.",
                f"Add {key} to the list of agencies, or change it to an agency on the list.",
                "agency-unknown",
            )


def _empty(plan: Plan, area: Area) -> Iterator[LintFinding]:
    if "assurance" in plan.columns and not area.value("assurance").strip():
        yield LintFinding(
            area.id,
            _header(plan, "assurance"),
            "There are no assurance measures.",
            "Say how you will check that the actions are working, and who will check.",
            "assurance-empty",
        )
    if "outcome" in plan.columns and not area.value("outcome").strip():
        yield LintFinding(
            area.id,
            _header(plan, "outcome"),
            "There is no desired outcome.",
            "Say what will be different for the people the plan serves when this area is done.",
            "outcome-empty",
        )


# --------------------------------------------------------------------------------------------
# Cross-references

_ID = r"(?<![\w.])\d+(?:\.\d+)+[a-z]?(?![\w%]|\.\d)"
_IDS = rf"{_ID}(?:(?:\s*,\s*(?:and\s+)?|\s*&\s*|\s+(?:and|or)\s+){_ID})*"
_CUE = (
    r"\b(?:see(?:\s+also)?|(?:also\s+)?link(?:ed|s)?\s+(?:to|with)|re|as\s+per|as\s+in"
    r"|(?:detailed|described|set\s+out|stated|outlined|shown|noted|referred\s+to)\s+(?:in|at|under)"
    r"|(?:area|action)s?)"
)
_REF_RES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"{_CUE}\s+(?P<ids>{_IDS})",
        rf"(?P<ids>{_IDS})\s*\(?\s*(?:above|below)\b",
        rf"\(\s*(?P<ids>{_IDS})\s*\)",
    )
)
_ONE_ID = re.compile(_ID, re.IGNORECASE)


def references(text: str) -> list[str]:
    """Area IDs that `text` refers to, in order of first mention, each once."""
    found: dict[str, None] = {}
    for regex in _REF_RES:
        for m in regex.finditer(text):
            for ref in _ONE_ID.findall(m["ids"]):
                found.setdefault(ref, None)
    return list(found)


def _reference_exists(ref: str, ids: set[str]) -> bool:
    bare = ref.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return any(i == bare or i.startswith(bare + ".") or bare.startswith(i + ".") for i in ids)


def _cross_references(plan: Plan, area: Area) -> Iterator[LintFinding]:
    ids = {a.id for a in plan.areas}
    seen: set[tuple[str, str]] = set()
    mentions: list[tuple[str, str]] = []
    for key, text in _text_fields(plan, area):
        mentions.extend((key, ref) for ref in references(text))
    for phrase in split_completion_phrases(area.value("completion")):
        mentions.extend(("completion", ref) for ref in phrase.refs)
    for key, ref in mentions:
        if (key, ref) in seen or _reference_exists(ref, ids):
            continue
        seen.add((key, ref))
        yield LintFinding(
            area.id,
            _header(plan, key),
            f"The text refers to {ref}, but the plan has no area {ref}.",
            "Correct the number, or remove the reference.",
            "cross-reference-unknown",
        )


# --------------------------------------------------------------------------------------------
# Lead spelling

_NAME_WORD = re.compile(r"[A-Z][a-z]+(?:['’-][A-Za-z][a-z]*)*")
_LEAD_SPLIT = re.compile(r"[\s/,;()&]+")


def name_pairs(lead: str) -> list[tuple[str, str]]:
    """Neighbouring capitalised words in a Lead cell: possible (first name, surname) pairs."""
    words = [w for w in _LEAD_SPLIT.split(lead) if w]
    return [
        (a, b)
        for a, b in zip(words, words[1:], strict=False)
        if _NAME_WORD.fullmatch(a) and _NAME_WORD.fullmatch(b)
    ]


def _lead_spelling(plan: Plan) -> Iterator[LintFinding]:
    counts: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], set[str]] = defaultdict(set)
    for area in plan.areas:
        for pair in name_pairs(area.value("leads")):
            counts[pair] += 1
            where[pair].add(area.id)
    by_first: dict[str, list[str]] = defaultdict(list)
    for first, last in counts:
        by_first[first].append(last)

    for first, lasts in by_first.items():
        for rare in lasts:
            usual = _usual_spelling(first, rare, lasts, counts)
            if usual is None:
                continue
            right = f"{first} {usual}"
            used_in = _and_list(_in_plan_order(plan, where[(first, usual)]))
            for area_id in _in_plan_order(plan, where[(first, rare)]):
                yield LintFinding(
                    area_id,
                    _header(plan, "leads"),
                    f"“{first} {rare}” looks like a different spelling of “{right}”, "
                    f"which is used in {used_in}.",
                    f"If they are the same person, write {right}.",
                    "lead-spelling",
                )


def _usual_spelling(
    first: str, rare: str, lasts: list[str], counts: Counter[tuple[str, str]]
) -> str | None:
    """The commoner, nearly identical surname `rare` looks like a misspelling of, if any."""
    best: tuple[int, str] | None = None
    for other in lasts:
        if other == rare or counts[(first, other)] < _COMMONER * counts[(first, rare)]:
            continue
        ratio = difflib.SequenceMatcher(None, rare.casefold(), other.casefold()).ratio()
        if ratio >= _SIMILAR_NAME and (best is None or counts[(first, other)] > best[0]):
            best = (counts[(first, other)], other)
    return best[1] if best else None


# --------------------------------------------------------------------------------------------
# Glossary

_ABBREVIATION = re.compile(r"(?<![\w&])([A-Z]{2,6})(?:s|['’]s)?(?![\w&])")
_ROMAN = re.compile(r"(?=[IVX])X{0,3}(?:IX|IV|V?I{0,3})")


def abbreviations(text: str) -> list[str]:
    """Words of 2 to 6 capital letters in `text` (plural "s" dropped), less the stop words."""
    found: list[str] = []
    for m in _ABBREVIATION.finditer(text):
        word = m[1]
        if word in STOP_WORDS or _ROMAN.fullmatch(word):
            continue
        found.append(word)
    return found


def glossary_terms(plan: Plan) -> set[str]:
    """Every term the glossary defines; "IRO/IRS" defines both IRO and IRS."""
    terms: set[str] = set()
    for entry in plan.glossary:
        terms.update(part.strip().upper() for part in entry.term.split("/") if part.strip())
    return terms


_IN_BRACKETS = re.compile(r"\(([A-Z]{2,6})s?\)")


def defined_inline(text: str) -> set[str]:
    """Abbreviations written out in `text`: "(EHC)" right after words whose capitals are
    E, H and C, in that order ("Education, Health and Care (EHC)")."""
    found: set[str] = set()
    for m in _IN_BRACKETS.finditer(text):
        word = m[1]
        before = re.findall(r"[A-Za-z][\w'’-]*", text[max(0, m.start() - 200) : m.start()])
        initials = "".join(w[0] for w in before if w[0].isupper())
        if initials.endswith(word):
            found.add(word)
    return found


def _glossary(plan: Plan) -> Iterator[LintFinding]:
    known = set(glossary_terms(plan))
    for area in plan.areas:
        for _key, text in _text_fields(plan, area):
            if "(" in text:
                known |= defined_inline(text)
    where: dict[str, set[str]] = {}
    for area in plan.areas:
        for _key, text in _text_fields(plan, area):
            for word in abbreviations(text):
                if word.upper() not in known:
                    where.setdefault(word, set()).add(area.id)
    for word in sorted(where):
        areas = _and_list(_in_plan_order(plan, where[word]))
        yield LintFinding(
            "",
            "",
            f"{word} is used in {areas} but is not in the glossary.",
            f"Add {word} to the glossary with what it stands for, or write it out in full.",
            "glossary-missing",
        )


# --------------------------------------------------------------------------------------------
# Duplicated text

_DUPLICATE_FIELDS = ("title", "actions", "assurance", "outcome", "progress", "evidence")
_TOKEN = re.compile(r"\d+(?:\s?(?:st|nd|rd|th)\b)?|[^\W\d_]+", re.IGNORECASE)
_SHINGLE = 4  # words; a 60-character passage is longer than this


@dataclass(frozen=True)
class _Doc:
    area_id: str
    text: str
    words: tuple[str, ...]  # compared form: lower case, no spaces or punctuation
    spans: tuple[tuple[int, int], ...]  # where each word is in `text`


def _doc(area_id: str, text: str) -> _Doc:
    matches = list(_TOKEN.finditer(text))
    return _Doc(
        area_id,
        text,
        tuple(re.sub(r"\s", "", m.group()).casefold() for m in matches),
        tuple(m.span() for m in matches),
    )


def _shared_passage(a: _Doc, b: _Doc) -> str:
    """The longest passage of `a` also in `b`, if it is long enough to matter; else ""."""
    matcher = difflib.SequenceMatcher(None, a.words, b.words, autojunk=False)
    m = matcher.find_longest_match(0, len(a.words), 0, len(b.words))
    if m.size == 0:
        return ""
    compared = sum(len(w) for w in a.words[m.a : m.a + m.size]) + m.size - 1
    if compared < MIN_DUPLICATE_CHARS:
        return ""
    return a.text[a.spans[m.a][0] : a.spans[m.a + m.size - 1][1]]


def _duplicates(plan: Plan) -> Iterator[LintFinding]:
    for key in _DUPLICATE_FIELDS:
        if key not in plan.columns:
            continue
        # An action row repeats its recommendation's text: compare one row per recommendation.
        seen: set[tuple[str, str]] = set()
        docs = []
        for a in plan.areas:
            if a.parent and (a.parent, a.value(key)) in seen:
                continue
            seen.add((a.parent, a.value(key)))
            docs.append(_doc(a.id, a.value(key)))
        # Only areas sharing a run of words can share a passage; find them without comparing
        # every pair.
        by_shingle: dict[tuple[str, ...], set[int]] = defaultdict(set)
        for i, d in enumerate(docs):
            for j in range(len(d.words) - _SHINGLE + 1):
                by_shingle[d.words[j : j + _SHINGLE]].add(i)
        candidates = sorted(
            {(i, j) for group in by_shingle.values() for i in group for j in group if i < j}
        )
        edges = [(i, j, p) for i, j in candidates if (p := _shared_passage(docs[i], docs[j]))]
        for members in _components(len(docs), [(i, j) for i, j, _ in edges]):
            passage = max((p for i, _, p in edges if i in members), key=len)
            ids = _in_plan_order(plan, {docs[m].area_id for m in members})
            field = _header(plan, key)
            yield LintFinding(
                ids[0],
                field,
                f"{_and_list(ids)} repeat the same text in {field}, for example {_quote(passage)}.",
                "Check each area says what is true for that area. If the text is about shared "
                "work, keep it in one area and refer to that area from the others.",
                "duplicate-text",
            )


def _components(count: int, edges: list[tuple[int, int]]) -> list[set[int]]:
    """Groups of two or more nodes joined by `edges`, ordered by their smallest node."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in edges:
        ri, rj = root(i), root(j)
        parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, set[int]] = defaultdict(set)
    for i in range(count):
        groups[root(i)].add(i)
    return [g for _, g in sorted(groups.items()) if len(g) > 1]
