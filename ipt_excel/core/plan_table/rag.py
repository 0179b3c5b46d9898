"""A RAG cell read onto the plan's scale, through the one table of rating words (`RAG_WORDS`).

Decisions, written down once:

- **RAG** is read by `read_rag` through `RAG_WORDS`: R, A, G, B, Red, "amber ", "Green -
  complete". "Complete", "Completed", "Done" and "Achieved" are BLUE on a scale with BLUE, else
  GREEN. "On track", "Off track" and "At risk" are read as GREEN, RED and AMBER with a warning,
  so the reading is seen. Two ratings in one cell ("Amber/Green") and anything else are
  errors naming the cell. With no RAG column, a rating ending the progress text is taken from
  it, as the seed writes it ("… established practice. GREEN"). An area whose rows disagree
  takes the worst rating, with a warning; in "actions" mode an area's rating is the worst of
  its actions'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ipt_excel.core.model import BLUE, DEFAULT_RAG_SCALE
from ipt_excel.core.plan_table.source import CellValue, value_text

COMPLETE = "COMPLETE"  # a reading of RAG_WORDS: BLUE on a scale with BLUE, else GREEN

# Every way of writing a rating that is read, in one place (keys as `_rag_key` leaves them).
RAG_WORDS: dict[str, str] = {
    "r": "RED",
    "red": "RED",
    "a": "AMBER",
    "amber": "AMBER",
    "g": "GREEN",
    "green": "GREEN",
    "b": BLUE,
    "blue": BLUE,
    "complete": COMPLETE,
    "completed": COMPLETE,
    "done": COMPLETE,
    "achieved": COMPLETE,
    "green complete": COMPLETE,
    "complete green": COMPLETE,
    # Read, with a warning so the reading is seen.
    "on track": "GREEN",
    "off track": "RED",
    "at risk": "AMBER",
}
_WARNED_WORDS = frozenset({"on track", "off track", "at risk"})
_COLOUR_WORDS = frozenset({"red", "amber", "green", "blue"})
# "Green - complete", "Amber (on track)", "G: done"; a lone letter only before punctuation, so
# "A lot done" is not AMBER.
_LEADING_COLOUR = re.compile(
    r"^(?:(red|amber|green|blue)\b\s*[-–—:(,.]?|([ragb])\s*[-–—:(,.])\s*[^\W\d_]", re.I
)


def _rag_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


@dataclass(frozen=True)
class RagReading:
    """A RAG cell read: `rag` is on the scale ("" when blank or unread)."""

    rag: str
    ok: bool  # False: not a rating; the cell needs correcting
    warning: str = ""  # how it was read, when that should be shown: "is read as Green"
    problem: str = ""  # what is wrong, when not ok


def read_rag(value: CellValue, scale: Sequence[str] = DEFAULT_RAG_SCALE) -> RagReading:
    """Read a RAG cell against the plan's scale. See RAG_WORDS and the module docstring."""
    text = value_text(value).strip()
    if not text:
        return RagReading("", True)
    key = _rag_key(text)
    colours = {w for w in key.split() if w in _COLOUR_WORDS}
    if len(colours) > 1:
        return RagReading("", False, problem="two ratings")
    word = RAG_WORDS.get(key)
    if word is None and (m := _LEADING_COLOUR.match(text)):
        word = RAG_WORDS[(m[1] or m[2]).casefold()]
    if word is None:
        return RagReading("", False, problem="not a rating")
    has_blue = BLUE in scale
    if word == COMPLETE:
        return RagReading(BLUE if has_blue else "GREEN", True)
    if word == BLUE and not has_blue:
        return RagReading("GREEN", True, "is read as Green, as this plan's scale has no Blue")
    if word not in scale:
        return RagReading("", False, problem="not on the scale")
    return RagReading(word, True, f"is read as {word.title()}" if key in _WARNED_WORDS else "")


def _worst(ratings: Iterable[str], scale: Sequence[str]) -> str:
    rated = [r for r in ratings if r in scale]
    return min(rated, key=scale.index) if rated else ""


# The old importer's reading of a rating that ends the progress text.
_TRAILING_RAG = re.compile(r"[\s(]*\b(RED|AMBER|GREEN|BLUE)\b[).]*\s*$", re.I)
