"""A plan table as a council keeps it, turned into mapped plan rows. Pure: no I/O, no Excel.

`excel.table_reader.read_table` reads a file into a `SourceFile` (sheets of typed cells, each
with its address, and the merged ranges); `map_table` finds the plan's table in it, maps its
headings to plan columns and reads its rows into areas (and actions), returning a `PlanTable`
with every problem as a data row. Nothing here stops at the first problem.

The modules, in the order a table goes through them; each imports only modules above it:

- `source`: the source grid as plain data (`SourceFile`, `make_sheet`, `value_text`).
- `targets`: the plan columns a heading can mean and their usual names; `--map`.
- `rag`: a RAG cell read onto the plan's scale.
- `agencies`: agency cells split into agencies.
- `result`: the `PlanTable` and all it holds, as plain data.
- `problems`: problems named by their place in the file, and their order.
- `header`: finding the header row and its sheet.
- `headings`: the headings mapped to plan columns.
- `rows`: the rows read and grouped under their IDs.
- `build`: the areas and actions built from those groups.
- `map`: `map_table`, the one entry point.
- `mapping_text`: the mapping, printed.
- `registry`: an agency registry (`--agencies FILE`) read.

Each decision on how a table is read is written down once, in the module that implements it:
finding the table in `header`; headings in `targets` (recognised) and `headings` (mapped); IDs
and rows in `rows`; areas or actions, values and dates in `build`; RAG in `rag`; agencies in
`agencies`.
"""

from __future__ import annotations

from ipt_excel.core.plan_table.agencies import (
    AgencyRegistry,
    AgencySplit,
    RegistryAgency,
    split_agencies,
)
from ipt_excel.core.plan_table.build import generated_action_id
from ipt_excel.core.plan_table.header import HEADER_SEARCH_ROWS
from ipt_excel.core.plan_table.map import map_table
from ipt_excel.core.plan_table.mapping_text import format_mapping, mapping_rows
from ipt_excel.core.plan_table.rag import RAG_WORDS, RagReading, read_rag
from ipt_excel.core.plan_table.registry import parse_agency_registry
from ipt_excel.core.plan_table.result import (
    TABLE_RULES,
    HeadingMap,
    NoteRow,
    PlanTable,
    RowsMode,
    TableAction,
    TableArea,
    TableColumn,
    Value,
)
from ipt_excel.core.plan_table.rows import id_in_text
from ipt_excel.core.plan_table.source import (
    CellValue,
    MergedRange,
    SourceCell,
    SourceFile,
    SourceSheet,
    cell_address,
    make_sheet,
    parse_range,
    value_text,
)
from ipt_excel.core.plan_table.targets import (
    IGNORE,
    KEEP,
    TARGETS,
    TARGETS_BY_KEY,
    Level,
    Role,
    Target,
    heading_key,
    parse_map_option,
)

__all__ = [
    "HEADER_SEARCH_ROWS",
    "IGNORE",
    "KEEP",
    "RAG_WORDS",
    "TABLE_RULES",
    "TARGETS",
    "TARGETS_BY_KEY",
    "AgencyRegistry",
    "AgencySplit",
    "CellValue",
    "HeadingMap",
    "Level",
    "MergedRange",
    "NoteRow",
    "PlanTable",
    "RagReading",
    "RegistryAgency",
    "Role",
    "RowsMode",
    "SourceCell",
    "SourceFile",
    "SourceSheet",
    "TableAction",
    "TableArea",
    "TableColumn",
    "Target",
    "Value",
    "cell_address",
    "format_mapping",
    "generated_action_id",
    "heading_key",
    "id_in_text",
    "make_sheet",
    "map_table",
    "mapping_rows",
    "parse_agency_registry",
    "parse_map_option",
    "parse_range",
    "read_rag",
    "split_agencies",
    "value_text",
]
