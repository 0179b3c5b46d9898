"""Fill a return file as an agency would, for tests: excel.return_filler works on bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ipt_excel.excel.return_filler import CellInput, fill_return_bytes
from ipt_excel.workspace import atomic_write

__all__ = ["CellInput", "fill_return"]


def fill_return(src: Path, dst: Path, updates: Any, **kw: Any) -> Path:
    """Copy the return `src` to `dst` with the given cells filled in (see fill_return_bytes)."""
    atomic_write(dst, fill_return_bytes(src.read_bytes(), src.name, updates, **kw))
    return dst
