"""Agency cells split into agencies, against the known names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipt_excel.core.plan_table import RegistryAgency, split_agencies


@pytest.mark.parametrize(
    ("cells", "registry", "expected"),
    [
        (["A, B"], (), [(["A", "B"], "split at ','")]),
        (["A / B"], (), [(["A", "B"], "split at '/'")]),
        (["A; B\nC"], (), [(["A", "B", "C"], "split at new lines and ';'")]),
        (["Sirona Care and Health"], (), [(["Sirona Care and Health"], "kept whole: its parts "
                                          "are not all known agencies")]),
        (["Police and Health", "Police", "Health"], (),
         [(["Police", "Health"], "split at 'and'"), (["Police"], ""), (["Health"], "")]),
        (["Health & Care"], [RegistryAgency("Health & Care")],
         [(["Health & Care"], "kept whole: a known agency")]),
        (["YJS & Police"], [RegistryAgency("Youth Justice Service", "YJS"),
                            RegistryAgency("Northshire Police", aliases=("Police",))],
         [(["Youth Justice Service", "Northshire Police"], "split at '&'")]),
        (["EDT/South Glos"], [RegistryAgency("Emergency Duty Team", aliases=("EDT/South Glos",))],
         [(["Emergency Duty Team"], "kept whole: a known agency")]),
        (["A, B and C", "B", "C"], (),
         [(["A", "B", "C"], "split at ',' and 'and'"), (["B"], ""), (["C"], "")]),
    ],
)  # fmt: skip
def test_split_agencies(
    cells: list[str], registry: list[RegistryAgency], expected: list[tuple[list[str], str]]
) -> None:
    assert split_agencies(cells, registry) == expected


@given(st.lists(st.text(alphabet="AB ,/;&\nand", max_size=20), max_size=5))
def test_split_agencies_never_loses_a_name(cells: list[str]) -> None:
    for cell, (names, _) in zip(cells, split_agencies(cells), strict=True):
        assert all(n.strip() for n in names)
        assert set("".join(names).replace(" ", "")) <= set(cell.replace(" ", ""))
