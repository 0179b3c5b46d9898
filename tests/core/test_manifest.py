"""The manifest: canonical bytes, JSON round trip, strict reading, HMAC signing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from ipt_excel.core.columns import DEFAULT_COLUMNS, ColumnSet, apply_overrides
from ipt_excel.core.manifest import (
    MANIFEST_VERSION,
    Manifest,
    ManifestRow,
    canonical_bytes,
    from_json,
    locked_text_hash,
    sign,
    to_json,
    verify,
)
from ipt_excel.core.sign_off import SignOffBlock, block_at
from ipt_excel.errors import IptError, ManifestError

KEY = b"k" * 32
HASH = "0" * 64


def _manifest() -> Manifest:
    issued = {"progress": "Done.", "rag": "GREEN", "evidence": "Audit", "next_review": "July 2012"}
    return Manifest(
        version=1,
        plan_title="Improvement plan – Children’s services",
        round_name="Second review of progress",
        round_date="2012-06-26",
        agency="CSC",
        agency_name="Children's Social Care",
        issued_at="2012-07-01T09:00:00",
        sheet="Return",
        header_row=9,
        rows=(
            ManifestRow("1.1", HASH, issued),
            ManifestRow("1.10", "a" * 64, dict.fromkeys(issued, "")),
        ),
    )


def test_json_round_trip() -> None:
    m = _manifest()
    assert from_json(to_json(m)) == m
    assert from_json(to_json(m).encode("utf-8")) == m


def test_canonical_bytes_sorted_compact_utf8() -> None:
    raw = canonical_bytes(_manifest())
    text = raw.decode("utf-8")
    assert "Children’s" in text  # not \u2019: UTF-8, not ASCII escapes
    assert '", "' not in text and '": ' not in text  # no spaces after separators
    parsed = json.loads(text)
    assert list(parsed) == sorted(parsed)
    assert text == json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_row_ids_in_order() -> None:
    assert _manifest().row_ids == ("1.1", "1.10")


def test_locked_text_hash_is_sha256_of_a_json_list() -> None:
    expected = hashlib.sha256(b'["1.1","a\\nb"]').hexdigest()
    assert locked_text_hash(["1.1", "a\nb"]) == expected


def test_locked_text_hash_is_unambiguous() -> None:
    # Joining with a separator would make these equal; the JSON encoding does not.
    assert locked_text_hash(["a", "b"]) != locked_text_hash(['a","b'])
    assert locked_text_hash(["a\nb"]) != locked_text_hash(["a", "b"])
    assert locked_text_hash(["a", ""]) != locked_text_hash(["a"])


def test_sign_and_verify() -> None:
    m = _manifest()
    sig = sign(m, KEY)
    assert len(sig) == 64 and int(sig, 16) >= 0
    assert verify(m, sig, KEY)
    assert not verify(m, sig, b"x" * 32)


@pytest.mark.parametrize(
    "change",
    [
        {"agency": "CS"},
        {"round_name": "Third review"},
        {"header_row": 10},
        {"issued_at": "2012-07-01T09:00:01"},
    ],
)
def test_any_change_breaks_the_signature(change: dict[str, object]) -> None:
    m = _manifest()
    sig = sign(m, KEY)
    assert not verify(replace(m, **change), sig, KEY)


def test_changed_row_breaks_the_signature() -> None:
    m = _manifest()
    sig = sign(m, KEY)
    rows = (replace(m.rows[0], issued={**m.rows[0].issued, "rag": "RED"}), m.rows[1])
    assert not verify(replace(m, rows=rows), sig, KEY)
    assert not verify(replace(m, rows=m.rows[::-1]), sig, KEY)


@pytest.mark.parametrize("signature", ["", "zz", "é" * 64, "0" * 64])
def test_bad_signatures_are_false_not_errors(signature: str) -> None:
    assert verify(_manifest(), signature, KEY) is False


def test_signature_ignores_surrounding_whitespace() -> None:
    m = _manifest()
    assert verify(m, f" {sign(m, KEY)}\n", KEY)


def _raw() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(to_json(_manifest()))
    return loaded


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "not a manifest"),
        (json.dumps({k: v for k, v in _raw().items() if k != "agency"}), "missing agency"),
        (json.dumps({**_raw(), "extra": 1}), "unexpected extra"),
        (json.dumps({**_raw(), "header_row": "9"}), "'header_row' has the wrong type"),
        (json.dumps({**_raw(), "header_row": True}), "'header_row' has the wrong type"),
        (json.dumps({**_raw(), "version": 0}), "unknown manifest version 0"),
        (json.dumps({**_raw(), "rows": [1]}), "row 1 is not a manifest row"),
    ],
)
def test_garbage_is_a_plain_manifest_error(text: str, says: str) -> None:
    with pytest.raises(ManifestError, match=says) as err:
        from_json(text)
    assert isinstance(err.value, IptError)
    assert str(err.value).startswith("A hidden part of the return has been changed")


def _with_row(**row: object) -> str:
    raw = _raw()
    rows = raw["rows"]
    assert isinstance(rows, list)
    return json.dumps({**raw, "rows": [{**rows[0], **row}]})


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (_with_row(id=""), "row 1 has no ID"),
        (_with_row(id=1.1), "row 1 has no ID"),
        (_with_row(locked_sha256="abc"), "row 1.1 has no valid hash"),
        (_with_row(issued={"rag": "RED"}), "row 1.1 does not hold the values as issued"),
        (
            _with_row(issued={"progress": 1, "rag": "", "evidence": "", "next_review": ""}),
            "row 1.1 does not hold the values as issued",
        ),
    ],
)
def test_bad_rows_are_refused(text: str, says: str) -> None:
    with pytest.raises(ManifestError, match=says):
        from_json(text)


def test_repeated_row_id_is_refused() -> None:
    raw = _raw()
    rows = raw["rows"]
    assert isinstance(rows, list)
    with pytest.raises(ManifestError, match="listed twice"):
        from_json(json.dumps({**raw, "rows": [rows[0], rows[0]]}))


def test_newer_version_says_to_update() -> None:
    with pytest.raises(ManifestError, match="newer version of ipt_excel"):
        from_json(json.dumps({**_raw(), "version": MANIFEST_VERSION + 1}))


def test_a_field_given_twice_is_refused() -> None:
    text = to_json(_manifest())
    twice = text[:-1] + ',"agency":"OTHER"}'
    with pytest.raises(ManifestError, match="the field 'agency' is given twice"):
        from_json(twice)


def test_half_a_character_anywhere_is_refused_without_quoting_it() -> None:
    for text in ('{"\\ud800": 1}', to_json(_manifest()).replace('"rows"', '"\\udc00rows"', 1)):
        with pytest.raises(ManifestError) as info:
            from_json(text)
        assert "not valid Unicode" in str(info.value)
        str(info.value).encode("utf-8")  # printable, and writable to a report


def test_a_version_1_manifest_still_reads_with_the_default_columns() -> None:
    m = from_json(to_json(_manifest()))
    assert m.version == 1 and m.columns == DEFAULT_COLUMNS and m.rag_scale == ()
    assert "columns" not in json.loads(to_json(m))  # signed exactly as it was issued


def _v2(columns: ColumnSet = DEFAULT_COLUMNS) -> Manifest:
    m = _manifest()
    keys = [c.key for c in columns.updates]
    rows = tuple(replace(r, issued={k: r.issued.get(k, "") for k in keys}) for r in m.rows)
    return replace(m, version=2, columns=columns, rag_scale=("RED", "AMBER", "GREEN"), rows=rows)


def test_a_version_2_manifest_carries_its_columns_and_they_are_signed() -> None:
    extra = apply_overrides(DEFAULT_COLUMNS, [{"header": "Risks", "update": True}])
    m = _v2(extra)
    again = from_json(to_json(m))
    assert again == m and again.columns == extra
    assert set(again.rows[0].issued) == {c.key for c in extra.updates}
    signature = sign(m, KEY)
    assert not verify(replace(m, columns=DEFAULT_COLUMNS), signature, KEY)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda raw: raw.update(columns={"columns": [{"kind": "text"}]}), "columns cannot be read"),
        (lambda raw: raw.update(columns={"columns": [1, 2]}), "columns cannot be read"),
        (lambda raw: raw.update(rag_scale=["RED", 3]), "RAG scale cannot be read"),
        (lambda raw: raw.pop("rag_scale"), "missing rag_scale"),
        (lambda raw: raw["rows"][0]["issued"].pop("next_review"), "values as issued"),
    ],
)
def test_a_version_2_manifest_that_cannot_be_read_is_damaged(
    change: Callable[[dict[str, Any]], object], says: str
) -> None:
    raw = json.loads(to_json(_v2()))
    change(raw)
    with pytest.raises(ManifestError, match=says):
        from_json(json.dumps(raw))


def _text_with(old: str, new: str) -> str:
    text = to_json(_manifest())
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        # A JSON escape for half a character: decodes, but cannot be signed or shown.
        (_text_with('"CSC"', '"CSC\\ud800"'), "not valid Unicode"),
        (_text_with('"Done."', '"Done.\\udfff\\ud800"'), "not valid Unicode"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "not valid JSON"),
        (_text_with('"version":1', '"version":NaN'), "not valid JSON"),
        (_text_with('"version":1', '"version":Infinity'), "not valid JSON"),
        (_text_with('"version":1', '"version":' + "9" * 5000), "not valid JSON"),
        (_text_with('"header_row":9', '"header_row":0'), "header row 0"),
        (_text_with('"header_row":9', '"header_row":' + "9" * 30), "is not a row"),
        (_text_with('"header_row":9', '"header_row":9.0'), "'header_row' has the wrong type"),
        ("\ufeff" + to_json(_manifest()), "not valid JSON"),
        ("", "not valid JSON"),
        ("null", "not a manifest"),
        ('"text"', "not a manifest"),
    ],
)
def test_every_malformed_manifest_is_a_plain_manifest_error(text: str, says: str) -> None:
    with pytest.raises(ManifestError, match=says):
        from_json(text)


# -- version 4: the sign-off -----------------------------------------------------------------------
BLOCK = block_at(11)


def _v4(sign_off: SignOffBlock | None = BLOCK) -> Manifest:
    return replace(_v2(), version=4, title=("Line 1", "Line 2"), sign_off=sign_off)


def test_a_version_4_manifest_says_where_the_sign_off_is_and_it_is_signed() -> None:
    m = _v4()
    raw = json.loads(to_json(m))
    assert raw["sign_off"] == {
        "labels": {
            "L3": "Sign-off: fill in before you send this return",
            "K4": "Completed by",
            "K5": "Role",
            "K6": "Date",
            "K7": "I confirm this update is accurate",
        },
        "cells": {"name": "L4", "role": "L5", "date": "L6", "confirmed": "L7"},
    }
    again = from_json(to_json(m))
    assert again == m and again.sign_off == block_at(11)
    signature = sign(m, KEY)
    assert not verify(replace(m, sign_off=None), signature, KEY)
    assert not verify(replace(m, sign_off=block_at(12)), signature, KEY)


def test_a_version_4_manifest_of_a_plan_without_a_sign_off_says_so() -> None:
    m = _v4(None)
    assert json.loads(to_json(m))["sign_off"] == {}
    assert from_json(to_json(m)).sign_off is None


def test_a_version_3_manifest_still_reads_and_asks_for_no_sign_off() -> None:
    m = replace(_v2(), version=3, title=("Line 1",))
    text = to_json(m)
    assert "sign_off" not in json.loads(text)  # signed exactly as it was issued
    again = from_json(text)
    assert again == m and again.sign_off is None
    assert MANIFEST_VERSION == 4


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda raw: raw.pop("sign_off"), "missing sign_off"),
        (lambda raw: raw.update(sign_off=[]), "wrong type"),
        (lambda raw: raw["sign_off"]["cells"].pop("date"), "where its cells are"),
        (lambda raw: raw["sign_off"]["cells"].update(date="L20"), "not above the table"),
        (lambda raw: raw["sign_off"]["labels"].update(B2="x"), "not above the table"),
    ],
)
def test_a_version_4_manifest_whose_sign_off_cannot_be_read_is_damaged(
    change: Callable[[dict[str, Any]], object], says: str
) -> None:
    raw = json.loads(to_json(_v4()))
    change(raw)
    with pytest.raises(ManifestError, match=says):
        from_json(json.dumps(raw))


def test_a_version_3_manifest_with_a_sign_off_is_damaged() -> None:
    raw = json.loads(to_json(_v4()))
    raw["version"] = 3
    with pytest.raises(ManifestError, match="unexpected sign_off"):
        from_json(json.dumps(raw))
