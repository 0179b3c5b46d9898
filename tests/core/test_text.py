"""Small text facts (core/text.py): Excel's length, cutting to it, plurals, slugs, ID order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipt_excel.core.text import excel_cut, excel_length, id_sort_key, plural, slugify


def test_excel_counts_utf16_units() -> None:
    assert excel_length("abc") == 3
    assert excel_length("😀") == 2
    assert excel_length("é") == 1


@given(st.text(), st.integers(min_value=0, max_value=40))
def test_a_cut_fits_and_never_splits_a_character(text: str, units: int) -> None:
    cut = excel_cut(text, units)
    assert text.startswith(cut)
    assert excel_length(cut) <= units
    longer = text[: len(cut) + 1]
    assert cut == text or excel_length(longer) > units


def test_sixteen_thousand_emoji_are_cut_to_what_a_cell_holds() -> None:
    cut = excel_cut("😀" * 16_384)
    assert excel_length(cut) == 32_766 and len(cut) == 16_383


@pytest.mark.parametrize(
    ("n", "word", "many", "out"),
    [(0, "return", "", "0 returns"), (1, "return", "", "1 return"),
     (2, "warning", "", "2 warnings"), (1_200, "area", "", "1,200 areas"),
     (2, "agency", "agencies", "2 agencies")],
)  # fmt: skip
def test_plural(n: int, word: str, many: str, out: str) -> None:
    assert plural(n, word, many) == out


def test_slug_and_id_order() -> None:
    assert slugify("Children's Social Care") == "childrens-social-care"
    assert slugify("!!!") == "x"
    assert sorted(["1.10", "1.2", "2.2.1", "2.2"], key=id_sort_key) == [
        "1.2",
        "1.10",
        "2.2",
        "2.2.1",
    ]
