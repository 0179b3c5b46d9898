"""Malformed, forged and copied manifests (issue 10, item 1, and the classes that already hold).

The manifest is column A of the very hidden `_manifest` sheet: A1 a marker, A2 the signature,
A3 onwards the canonical JSON in chunks. Each variant below is a CSC return, validly filled,
whose manifest has been rewritten; it is checked and merged beside a valid Health return.
Expected: the Health return merges, and the variant is exactly one rejected row: the manifest
cannot be read ("manifest-damaged"), or it reads but its signature does not hold
("signature"), or it was never a return ("no-manifest").

Item 1 says which variants are malformed today and end the batch with a traceback (a lone
surrogate escape); the rest already hold.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .cases import (
    Case,
    Expect,
    accepted,
    check,
    check_problems,
    merge,
    merge_problems,
    try_case,
    whole_file,
)
from .conftest import GOOD_HEALTH
from .helpers import (
    MANIFEST_SHEET,
    WS,
    chunks,
    dumps_compact,
    fill,
    good_update,
    ipt_process,
    judge,
    load,
    manifest_cells,
    receipts,
    rewrite_manifest,
)

CSC_UPDATE = good_update("Audit of 30 cases in August: 26 compliant.", rag="GREEN")
DAMAGED = ("manifest-damaged",)
DAMAGED_OR_UNSIGNED = ("manifest-damaged", "signature")


def good_expect() -> Expect:
    return accepted(
        "HEALTH",
        **{f"1_11__{f}": str(v) for f, v in GOOD_HEALTH.items()},
    )


def csc_return(ws: WS, folder: Path) -> Path:
    return fill(ws.issued("csc"), folder / "csc-base.xlsx", {"1.4": CSC_UPDATE})


CellsEdit = Callable[[list[Any], dict[str, Any], str], list[Any]]


def variant(name: str, edit: CellsEdit, *rules: str) -> Case:
    """A case whose manifest column is `edit(cells, parsed JSON, JSON text)`."""

    def make(ws: WS, folder: Path) -> Path:
        base = csc_return(ws, folder)
        cells = manifest_cells(base)
        text = "".join(c for c in cells[2:] if isinstance(c, str))
        new = edit(list(cells), json.loads(text), text)
        return rewrite_manifest(base, folder / f"{name}.xlsx", new)

    return Case(name, make, whole_file(*(rules or DAMAGED_OR_UNSIGNED)))


def with_json(text: str) -> CellsEdit:
    return lambda cells, _j, _t: [cells[0], cells[1], *chunks(text)]


def json_edit(fn: Callable[[dict[str, Any]], Any]) -> CellsEdit:
    """Change the parsed manifest, write it back as compact JSON (the signature is kept)."""

    def edit(cells: list[Any], j: dict[str, Any], _t: str) -> list[Any]:
        fn(j)
        return [cells[0], cells[1], *chunks(dumps_compact(j))]

    return edit


def text_edit(fn: Callable[[str], str]) -> CellsEdit:
    """Change the JSON text itself (for what json.dumps cannot write: escapes, duplicates)."""
    return lambda cells, _j, t: [cells[0], cells[1], *chunks(fn(t))]


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def fn(j: dict[str, Any]) -> None:
        target: Any = j
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return fn


def _drop(*path: Any) -> Callable[[dict[str, Any]], None]:
    def fn(j: dict[str, Any]) -> None:
        target: Any = j
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return fn


def _insert_after(marker: str, extra: str) -> Callable[[str], str]:
    def fn(t: str) -> str:
        assert marker in t, marker
        return t.replace(marker, marker + extra, 1)

    return fn


def _sub(pattern: str, replacement: str) -> Callable[[str], str]:
    """Replace the first match of `pattern` in the JSON text; a variant that changes nothing
    would test nothing, so the pattern must be there."""

    def fn(t: str) -> str:
        new, n = re.subn(pattern, replacement, t, count=1)
        assert n == 1, f"{pattern} is not in the manifest"
        return new

    return fn


def _nested(depth: int) -> Callable[[str], str]:
    return _sub(r'"rows":\[', '"rows":[' + "[" * depth + "]" * depth + ",")


def _split(parts: Callable[[str], list[Any]]) -> CellsEdit:
    return lambda cells, _j, t: [cells[0], cells[1], *parts(t)]


def _half(t: str) -> int:
    return len(t) // 2


def _forge_with(key: bytes) -> CellsEdit:
    """Rewrite the manifest (agency CSC -> another round) and sign it with `key`, the way the
    workspace signs: HMAC-SHA256 over the canonical JSON (sorted keys, no spaces, UTF-8)."""

    def edit(cells: list[Any], j: dict[str, Any], _t: str) -> list[Any]:
        j["issued_at"] = "2012-08-01T09:00:00"
        text = dumps_compact(j)
        sig = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        return [cells[0], sig, *chunks(text)]

    return edit


MALFORMED: list[Case] = [
    # -- not JSON, or not a manifest ------------------------------------------------------------
    variant("json-truncated", text_edit(lambda t: t[:-7]), *DAMAGED),
    variant("json-garbage", with_json("this is not json {"), *DAMAGED),
    variant("json-empty-object", with_json("{}"), *DAMAGED),
    variant("json-array", with_json("[1, 2, 3]"), *DAMAGED),
    variant("json-null", with_json("null"), *DAMAGED),
    variant("json-string", with_json('"a manifest"'), *DAMAGED),
    variant("json-number", with_json("42"), *DAMAGED),
    variant("json-bom", text_edit(lambda t: "\ufeff" + t), *DAMAGED),
    # -- lone surrogates: the item-1 traceback (UnicodeEncodeError when signing) -----------------
    variant(
        "surrogate-in-title",
        text_edit(_insert_after('"plan_title":"', "\\ud800")),
    ),
    variant(
        "surrogate-in-agency-name",
        text_edit(_insert_after('"agency_name":"', "\\udfff")),
    ),
    variant("surrogate-in-row-id", text_edit(_insert_after('"id":"', "\\ud800"))),
    variant(
        "surrogate-in-issued-value",
        text_edit(_insert_after('"progress":"', "\\udbff\\u0041")),
    ),
    variant("surrogate-as-key", text_edit(_insert_after("{", '"\\ud800":1,'))),
    variant("nul-in-title", text_edit(_insert_after('"plan_title":"', "\\u0000"))),
    # -- wrong types ------------------------------------------------------------------------------
    variant("version-string", json_edit(_set(("version",), "1")), *DAMAGED),
    variant("version-bool", json_edit(_set(("version",), True)), *DAMAGED),
    variant("version-newer", json_edit(lambda j: j.update(version=j["version"] + 1)), *DAMAGED),
    variant("header-row-string", json_edit(_set(("header_row",), "9")), *DAMAGED),
    variant("header-row-float", json_edit(_set(("header_row",), 9.0)), *DAMAGED),
    variant("rows-object", json_edit(_set(("rows",), {"0": {}})), *DAMAGED),
    variant("rows-empty", json_edit(_set(("rows",), []))),
    variant("row-id-number", json_edit(_set(("rows", 0, "id"), 1.1)), *DAMAGED),
    variant("row-id-empty", json_edit(_set(("rows", 0, "id"), "")), *DAMAGED),
    variant(
        "row-hash-upper-case",
        json_edit(
            lambda j: _set(("rows", 0, "locked_sha256"), j["rows"][0]["locked_sha256"].upper())(j)
        ),
        *DAMAGED,
    ),
    variant("issued-value-number", json_edit(_set(("rows", 0, "issued", "progress"), 5)), *DAMAGED),
    variant("issued-value-null", json_edit(_set(("rows", 0, "issued", "rag"), None)), *DAMAGED),
    variant("issued-field-missing", json_edit(_drop("rows", 0, "issued", "rag")), *DAMAGED),
    variant("row-not-object", json_edit(_set(("rows", 0), ["1.1"])), *DAMAGED),
    variant("row-extra-key", json_edit(_set(("rows", 0, "admin"), True)), *DAMAGED),
    variant("title-object", json_edit(_set(("plan_title",), {"x": 1})), *DAMAGED),
    # -- numbers: huge, NaN, infinite, negative ---------------------------------------------------
    variant(
        "header-row-5000-digits",
        text_edit(_sub(r'"header_row":\d+', '"header_row":' + "9" * 5000)),
        *DAMAGED,
    ),
    variant("header-row-1e20", json_edit(_set(("header_row",), 10**20))),
    variant("header-row-zero", json_edit(_set(("header_row",), 0))),
    variant("header-row-negative", json_edit(_set(("header_row",), -1))),
    variant(
        "header-row-nan",
        text_edit(_sub(r'"header_row":\d+', '"header_row":NaN')),
        *DAMAGED,
    ),
    variant(
        "version-infinity",
        text_edit(_sub(r'"version":\d+', '"version":Infinity')),
        *DAMAGED,
    ),
    variant(
        "header-row-exponent",
        text_edit(_sub(r'"header_row":(\d+)', r'"header_row":\1e0')),
        *DAMAGED,
    ),
    # -- structure: nesting, missing, extra and duplicate keys -------------------------------------
    variant("nested-100000-deep", text_edit(_nested(100_000))),
    variant("key-missing", json_edit(_drop("agency")), *DAMAGED),
    variant("key-extra", json_edit(_set(("admin",), True)), *DAMAGED),
    # Python keeps the last of duplicate keys, other parsers the first: a manifest that says
    # two things must not be read as either.
    variant(
        "key-duplicated-other-agency",
        text_edit(_sub('"agency":"CSC"', '"agency":"HEALTH","agency":"CSC"')),
    ),
    variant(
        "key-duplicated-other-round",
        text_edit(
            _sub('"round_name":"', '"round_name":"Second review of progress","round_name":"')
        ),
    ),
    # -- the chunks: split wrongly, a gap, a number among them ------------------------------------
    variant("chunks-gap", _split(lambda t: [t[: _half(t)], None, t[_half(t) :]]), *DAMAGED),
    variant("chunks-swapped", _split(lambda t: [t[_half(t) :], t[: _half(t)]]), *DAMAGED),
    variant(
        "chunks-number-between", _split(lambda t: [t[: _half(t)], 12345, t[_half(t) :]]), *DAMAGED
    ),
    variant("chunks-repeated", _split(lambda t: [t, t]), *DAMAGED),
    variant("chunks-none", _split(lambda t: []), *DAMAGED),
    variant("chunk-formula", _split(lambda t: ["=" + json.dumps(t)]), *DAMAGED),
    variant("chunk-is-number", _split(lambda t: [42]), *DAMAGED),
    # -- the marker and the signature cells --------------------------------------------------------
    variant("marker-changed", lambda c, _j, _t: ["ipt_excel manifest v0", *c[1:]], *DAMAGED),
    variant("marker-empty", lambda c, _j, _t: [None, *c[1:]], *DAMAGED),
    variant("marker-number", lambda c, _j, _t: [1, *c[1:]], *DAMAGED),
    variant("signature-number", lambda c, _j, _t: [c[0], 12345, *c[2:]], *DAMAGED),
    variant("signature-empty", lambda c, _j, _t: [c[0], None, *c[2:]], *DAMAGED),
    variant("signature-bool", lambda c, _j, _t: [c[0], True, *c[2:]], *DAMAGED),
    variant("signature-zeros", lambda c, _j, _t: [c[0], "0" * 64, *c[2:]], "signature"),
    variant("signature-non-ascii", lambda c, _j, _t: [c[0], "é" * 64, *c[2:]], "signature"),
    variant("signature-huge", lambda c, _j, _t: [c[0], "a" * 32_000, *c[2:]], "signature"),
    # -- fields the reader uses before the signature is checked ------------------------------------
    variant(
        "sheet-is-lists",
        json_edit(_set(("sheet",), "Lists")),
        "manifest-damaged",
        "signature",
        "not-a-return",
    ),
    variant(
        "sheet-missing",
        json_edit(_set(("sheet",), "No such sheet")),
        "manifest-damaged",
        "signature",
        "not-a-return",
    ),
]

FORGED: list[Case] = [
    variant("edited-agency-signature-kept", json_edit(_set(("agency",), "HEALTH")), "signature"),
    variant("edited-row-dropped", json_edit(_drop("rows", -1)), "signature"),
    variant(
        "edited-issued-value", json_edit(_set(("rows", 0, "issued", "rag"), "RED")), "signature"
    ),
    variant("edited-round", json_edit(_set(("round_name",), "Fourth review")), "signature"),
    variant("signed-with-another-key", _forge_with(secrets.token_bytes(32)), "signature"),
]


def _copy_manifest_from(source: Callable[[WS], Path], into: str) -> Callable[[WS, Path], Path]:
    """A return of agency `into` carrying the manifest sheet of another return."""

    def make(ws: WS, folder: Path) -> Path:
        donor_cells = manifest_cells(source(ws))

        def edit(wb: Any, _sheet: Any, _where: Any) -> None:
            m = wb[MANIFEST_SHEET]
            for row in range(1, m.max_row + 1):
                m.cell(row=row, column=1).value = None
            for i, v in enumerate(donor_cells, start=1):
                m.cell(row=i, column=1).value = v

        return fill(ws.issued(into), folder / f"{into}-with-copied-manifest.xlsx", {}, edit)

    return make


COPIED: list[Case] = [
    # CSC's manifest in Police's return: identified as CSC, with Police's rows.
    Case(
        "csc-manifest-in-police-return",
        _copy_manifest_from(lambda ws: ws.issued("csc"), "police"),
        Expect(
            "refused",
            frozenset({"row-missing", "row-added", "agency-mismatch", "locked-text-changed"}),
        ),
    ),
    # The Health return's manifest on an identical CSC return: everything else is CSC's.
    Case(
        "health-manifest-in-csc-return",
        _copy_manifest_from(lambda ws: ws.issued("health"), "csc"),
        Expect(
            "refused",
            frozenset({"row-missing", "row-added", "agency-mismatch", "locked-text-changed"}),
        ),
    ),
]


@pytest.mark.parametrize("case", MALFORMED + FORGED + COPIED, ids=str)
def test_manifest_case_is_one_row_and_the_batch_goes_on(ws: WS, good: Path, case: Case) -> None:
    try_case(ws, good, good_expect(), case)


def test_every_malformed_manifest_in_one_batch(ws: WS, good: Path) -> None:
    """Item 1: all the malformed variants at once, beside the good return. One row each; the
    good one merges; every file is archived and has its receipt."""
    folder = ws.root.parent / "batch"
    folder.mkdir()
    cases = MALFORMED + FORGED
    files = [c.make(ws, folder) for c in cases]
    files = [f.rename(f.with_name(f"{i:02d}-{f.name}")) for i, f in enumerate(files)]
    expected = {
        good.name: good_expect(),
        **{f.name: c.expect for f, c in zip(files, cases, strict=True)},
    }
    names = [good.name, *(f.name for f in files)]
    checked = check(ws, [good, *files])
    problems = check_problems(checked, expected, names)
    merged = merge(ws, [good, *files])
    problems += merge_problems(merged, expected, names)
    archived = {p.name for p in ws.received.iterdir()} if ws.received.exists() else set()
    for f in [good, *files]:
        if f"{hashlib.sha256(f.read_bytes()).hexdigest()}.xlsx" not in archived:
            problems.append(f"{f.name} was not archived in received/")
    assert not problems, "\n".join(problems)


def test_a_manifest_that_moves_the_header_to_the_last_row_is_refused_promptly(
    ws: WS, good: Path
) -> None:
    """The reader uses the manifest's header_row before the signature is checked. A header
    row of 1,048,576 (the last row of a sheet) makes it build a million rows of empty cells: a
    20 KB file costs tens of seconds and gigabytes. Run as a real process under the suite's
    guard (helpers.ipt_process: 60 s, 1.5 GB of address space) so the suite cannot hang or take
    the machine; the outcome asserted is one row, and the good return valid."""
    folder = ws.root.parent / "cases"
    folder.mkdir()
    case = variant("header-row-last-row", json_edit(_set(("header_row",), 1_048_576)))
    bad = case.make(ws, folder)
    report = ws.outside / "r.csv"
    run = ipt_process(
        "check",
        good,
        bad,
        "-w",
        ws.root,
        "--feedback",
        ws.feedback,
        "--report",
        report,
    )
    from .helpers import errors_by_file, ok_files, report_rows

    rows = report_rows(report) if report.exists() else []
    errors = errors_by_file(rows)
    right = (
        run.code == 1
        and good.name in ok_files(rows)
        and len(errors.get(bad.name, [])) == 1
        and errors[bad.name][0]["Rule"] in DAMAGED_OR_UNSIGNED
    )
    judge(run, refused=True, right=right)
    assert not run.crashed, run.describe()
    assert right, f"{run.describe()}\nerrors: {errors}\nvalid: {ok_files(rows)}"
    assert receipts(ws) == []


def test_a_return_from_another_workspace_is_refused(ws: WS, good: Path, other_root: Path) -> None:
    """Same plan, same round, same agency, another workspace (another key): signature."""
    other = WS(other_root)

    def make(_ws: WS, folder: Path) -> Path:
        return fill(
            other.issued("csc"), folder / "csc-from-another-workspace.xlsx", {"1.4": CSC_UPDATE}
        )

    try_case(ws, good, good_expect(), Case("another-workspace", make, whole_file("signature")))


def test_protection_removed_and_manifest_unhidden_is_still_accepted(ws: WS, good: Path) -> None:
    """Sheet protection and hiding are courtesies: removing them changes no value, so the
    return is accepted (and its update merged)."""

    def make(_ws: WS, folder: Path) -> Path:
        def edit(wb: Any, sheet: Any, _where: Any) -> None:
            for s in wb.worksheets:
                s.protection.sheet = False
            wb[MANIFEST_SHEET].sheet_state = "visible"
            wb["Lists"].sheet_state = "visible"

        return fill(ws.issued("csc"), folder / "csc-unprotected.xlsx", {"1.4": CSC_UPDATE}, edit)

    expect = accepted("CSC", **{f"1_4__{f}": str(v) for f, v in CSC_UPDATE.items()})
    try_case(ws, good, good_expect(), Case("unprotected-unhidden", make, expect))


def test_the_signature_is_checked_against_the_workspace_key(ws: WS) -> None:
    """The manifest the workspace issued verifies with HMAC-SHA256 under .ipt/key, as
    SECURITY.md says; a manifest signed with that key but never issued is still refused."""
    cells = manifest_cells(ws.issued("csc"))
    key = bytes.fromhex(ws.key.read_text().strip())
    text = "".join(c for c in cells[2:] if isinstance(c, str))
    assert hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest() == cells[1]
    wb = load(ws.issued("csc"))
    assert wb[MANIFEST_SHEET].sheet_state == "veryHidden"


def test_a_manifest_signed_with_the_workspace_key_but_not_issued_is_refused(
    ws: WS, good: Path
) -> None:
    """Even someone who has the key (a leaked .ipt/key) cannot make a return the ledger did not
    issue: the manifest must be the one recorded for that agency and round."""
    key = bytes.fromhex(ws.key.read_text().strip())
    case = variant(
        "signed-with-the-workspace-key", _forge_with(key), "superseded", "not-issued", "signature"
    )
    try_case(ws, good, good_expect(), case)
