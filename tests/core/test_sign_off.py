"""The sign-off block (core/sign_off.py): where it goes, what a manifest may say, each rule."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ipt_excel.core.returned import CellValue
from ipt_excel.core.sign_off import (
    HEADING,
    SignOff,
    SignOffBlock,
    block_at,
    block_from_dict,
    check_sign_off,
    read_day,
    split_address,
)

BLOCK = block_at(11)  # the first update column is L, as in a return of the default columns
ISSUED_ON = date(2012, 9, 1)
TODAY = date(2012, 9, 27)
GOOD: dict[str, object] = {
    "name": "Sam Jones",
    "role": "Head of Service",
    "date": datetime(2012, 9, 20),
    "confirmed": "Yes",
}


def cells(**values: object) -> dict[str, CellValue]:
    given = {**GOOD, **values}
    out = {}
    for field, raw in given.items():
        text = raw.strftime("%d/%m/%Y") if isinstance(raw, datetime) else str(raw or "")
        out[field] = CellValue(BLOCK.cell(field), raw, False, text)
    return out


def check(**values: object) -> tuple[list[tuple[str, str, str]], SignOff | None]:
    findings, signed = check_sign_off(BLOCK, cells(**values), issued_on=ISSUED_ON, today=TODAY)
    return [(f.field, f.rule, f.message) for f in findings], signed


# -- where it goes ---------------------------------------------------------------------------------
def test_labels_left_of_the_first_update_column_values_in_it_rows_3_to_7() -> None:
    assert dict(BLOCK.cells) == {"name": "L4", "role": "L5", "date": "L6", "confirmed": "L7"}
    assert BLOCK.labels == (
        ("L3", HEADING),
        ("K4", "Completed by"),
        ("K5", "Role"),
        ("K6", "Date"),
        ("K7", "I confirm this update is accurate"),
    )
    assert BLOCK.field_at("L6") == "date" and BLOCK.field_at("K6") is None
    assert BLOCK.addresses == {"L3", "K4", "K5", "K6", "K7", "L4", "L5", "L6", "L7"}


def test_never_in_column_b_where_the_title_block_is() -> None:
    assert dict(block_at(2).cells)["name"] == "D4"  # labels in C, not B
    assert dict(block_at(0).cells)["name"] == "D4"


def test_addresses() -> None:
    assert split_address("L4") == (4, 11)
    assert split_address("AA10") == (10, 26)
    for bad in ("l4", "A0", "4L", "", "A1:B2"):
        with pytest.raises(ValueError):
            split_address(bad)


# -- in a manifest ---------------------------------------------------------------------------------
def test_a_block_reads_back_from_its_dict_in_one_order() -> None:
    raw = BLOCK.to_dict()
    assert list(raw) == ["labels", "cells"]
    back = block_from_dict(
        {"cells": raw["cells"], "labels": dict(reversed(raw["labels"].items()))}, 9
    )
    assert back == BLOCK
    assert block_from_dict({}, 9) is None


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ([], "not a mapping"),
        ({"cells": {}}, "where its cells are"),
        ({"labels": {}, "cells": {"name": "L4"}}, "where its cells are"),
        (
            {"labels": {}, "cells": {"name": "L4", "role": "L5", "date": "L6", "confirmed": 7}},
            "read",
        ),
        (
            {"labels": {}, "cells": {"name": "L4", "role": "L4", "date": "L6", "confirmed": "L7"}},
            "twice",
        ),
        (
            {"labels": {}, "cells": {"name": "L9", "role": "L5", "date": "L6", "confirmed": "L7"}},
            "above",
        ),
        ({"labels": {"B3": "x"}, "cells": dict(BLOCK.cells)}, "above"),
        ({"labels": {"K4": 1}, "cells": dict(BLOCK.cells)}, "read"),
        (
            {"labels": {}, "cells": {"name": "L4 ", "role": "L5", "date": "L6", "confirmed": "L7"}},
            "cell",
        ),
    ],
)
def test_a_block_that_is_not_one_is_refused(raw: object, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        block_from_dict(raw, 9)


# -- the rules ------------------------------------------------------------------------------------
def test_a_good_sign_off_passes_and_says_who() -> None:
    findings, signed = check()
    assert findings == []
    assert signed == SignOff("Sam Jones", "Head of Service", date(2012, 9, 20), True)
    assert signed.text == "Sam Jones (Head of Service), 20 September 2012"


def test_every_empty_cell_is_named_and_says_what_to_type() -> None:
    findings, signed = check(name=None, role="  ", date=None, confirmed="")
    assert signed is None
    assert findings == [
        (
            "name",
            "sign-off-missing",
            "The sign-off's 'Completed by' (L4) is empty. Type the name of the person who "
            "completed this return.",
        ),
        (
            "role",
            "sign-off-missing",
            "The sign-off's 'Role' (L5) is empty. Type the job title of the person who "
            "completed this return.",
        ),
        (
            "date",
            "sign-off-missing",
            "The sign-off's 'Date' (L6) is empty. Type the date the return was completed, like "
            "27/09/2012.",
        ),
        (
            "confirmed",
            "sign-off-missing",
            "The sign-off's 'I confirm this update is accurate' (L7) is empty. Choose Yes from "
            "the list to confirm this update is accurate.",
        ),
    ]


def test_no_is_not_a_confirmation() -> None:
    assert check(confirmed="No") == (
        [
            (
                "confirmed",
                "sign-off-not-confirmed",
                "The sign-off says No in L7, so nobody has confirmed this update is accurate. "
                "Check the update, then choose Yes in L7.",
            )
        ],
        None,
    )
    findings, _ = check(confirmed="Maybe")
    assert findings == [
        (
            "confirmed",
            "sign-off-not-confirmed",
            "'Maybe' in L7 is not Yes or No. Choose Yes from the list to confirm this update is "
            "accurate.",
        )
    ]
    assert check(confirmed=" yes ")[1] is not None  # pasted in lower case: fine
    assert check(confirmed=True)[0][0][1] == "sign-off-not-confirmed"  # TRUE is not Yes


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        (datetime(2012, 9, 20), date(2012, 9, 20)),
        (date(2012, 9, 20), date(2012, 9, 20)),
        ("20/09/2012", date(2012, 9, 20)),
        ("20 September 2012", date(2012, 9, 20)),
        ("2012-09-20", date(2012, 9, 20)),
        (41172, date(2012, 9, 20)),  # an Excel date number, pasted without its format
        ("September 2012", None),  # a month is not a day
        ("Not required", None),
        ("soon", None),
        (None, None),
    ],
)
def test_a_day_is_read_from_a_date_a_number_or_text(raw: object, day: date | None) -> None:
    assert read_day(raw) == day


def test_the_date_is_a_day_from_the_issue_to_today() -> None:
    assert check(date="01/09/2012")[1] is not None  # the day it was issued
    assert check(date=datetime(2012, 9, 27))[1] is not None  # today
    assert check(date="28/09/2012")[0] == [
        (
            "date",
            "sign-off-date",
            "The sign-off's date in L6, 28 September 2012, is after today. Type the date the "
            "return was completed, like 27/09/2012.",
        )
    ]
    assert check(date="31/08/2012")[0] == [
        (
            "date",
            "sign-off-date",
            "The sign-off's date in L6, 31 August 2012, is before this return was sent out on "
            "1 September 2012. Type the date the return was completed.",
        )
    ]
    assert check(date="20/09/2002")[0][0][1] == "sign-off-date"  # absurdly old: a slip
    assert check(date="September 2012")[0] == [
        (
            "date",
            "sign-off-date",
            "'September 2012' in L6, the sign-off's date, is not a date. Type the date the return "
            "was completed, like 27/09/2012.",
        )
    ]


def test_a_name_or_role_longer_than_a_name_is_refused() -> None:
    findings, signed = check(role="x" * 201)
    assert signed is None
    assert findings == [
        (
            "role",
            "too-long",
            "The role in L5 is longer than 200 characters. Type the job title of the person who "
            "completed this return.",
        )
    ]
    assert check(name="  Sam   Jones ")[1] == SignOff(
        "Sam Jones", "Head of Service", date(2012, 9, 20)
    )


def test_a_formula_is_left_to_the_formula_check_and_an_excel_error_is_named() -> None:
    found = cells()
    found["name"] = CellValue("L4", "=A1", True, "=A1")
    findings, signed = check_sign_off(BLOCK, found, issued_on=ISSUED_ON, today=TODAY)
    assert findings == [] and signed is None  # reported as a formula; never accepted
    found["name"] = CellValue("L4", "#N/A", False, "#N/A", is_error=True)
    findings, _ = check_sign_off(BLOCK, found, issued_on=ISSUED_ON, today=TODAY)
    assert [(f.rule, f.message) for f in findings] == [
        (
            "sign-off-missing",
            "The sign-off's 'Completed by' (L4) shows an Excel error (#N/A), not a value. Type "
            "the name of the person who completed this return.",
        )
    ]


def test_a_block_is_frozen_data() -> None:
    assert isinstance(BLOCK, SignOffBlock)
    assert hash(BLOCK) == hash(block_at(11))
