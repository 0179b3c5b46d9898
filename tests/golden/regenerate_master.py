"""The script that rewrites the golden master, tests/golden/master_example.xlsx.

The golden file is the master workbook of the bundled example plan
(templates/banes-2012/plan.yaml), written with no ledger extras and a fixed creation time.
tests/excel/test_master_writer.py compares a fresh master with it part by part
(tests/golden/compare.py), so any change to the master's layout shows up as a failing test.
When the change is intended, rewrite the file and review it::

    .venv/bin/python tests/golden/regenerate_master.py

then open it in Excel or LibreOffice (and read it back with openpyxl) before committing it.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from ipt_excel.core.facts import MasterExtras
from ipt_excel.excel.master_writer import write_master
from ipt_excel.services.plan_source import example_plan_path, load_plan

GOLDEN_MASTER = Path(__file__).with_name("master_example.xlsx")
CREATED = datetime(2012, 7, 2, 9, 0, 0)


def golden_master_bytes() -> bytes:
    plan = load_plan(example_plan_path())
    return write_master(plan, MasterExtras(), created=CREATED)


def main() -> int:
    GOLDEN_MASTER.write_bytes(golden_master_bytes())
    print(f"Wrote {GOLDEN_MASTER}. Open it and check it before committing it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
