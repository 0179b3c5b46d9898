"""Small text facts every layer shares: Excel's cell limit, how Excel counts, slugs, ID order."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Excel's hard limit for the text in one cell, in UTF-16 code units (see excel_length).
EXCEL_CELL_LIMIT = 32_767


def excel_length(text: str) -> int:
    """Length as Excel counts it: UTF-16 code units, so an emoji counts 2."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def excel_cut(text: str, units: int = EXCEL_CELL_LIMIT) -> str:
    """The longest start of `text` within `units` UTF-16 units, never half a character."""
    if len(text) * 2 <= units:
        return text
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            return text[:i]
    return text


def slugify(text: str) -> str:
    """A file-name-safe slug: 'Children's Social Care' -> 'childrens-social-care'."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    norm = norm.replace("'", "").replace("’", "")
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", norm).strip("-").lower()
    return slug or "x"


def id_sort_key(area_id: str) -> tuple[tuple[int, str], ...]:
    """Sort '1.2' before '1.10' and '2.2.1' after '2.2'."""
    parts = re.split(r"[.\s]+", area_id.strip())
    return tuple((int(p), "") if p.isdigit() else (1 << 30, p) for p in parts)


def norm_name(text: str) -> str:
    """A name as compared: case, spacing and curly apostrophes aside."""
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().casefold()


def plural(n: int, word: str, many: str = "") -> str:
    """'1 problem', '2 problems'; `many` for a word that does not just take an s."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def long_date(d: date) -> str:
    """A day as GOV.UK writes it: '1 May 2024', no leading zero."""
    return f"{d.day} {d:%B %Y}"
