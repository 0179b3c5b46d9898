"""The "What to fix" list of a feedback workbook: one row per problem, in words that print.

A feedback workbook marks each cell to fix in colour, with a note; neither a colour nor a
note says anything on paper. Its first sheet, "What to fix", lists every problem as a row:
"Must fix" or "Check" in words, the cell, the column, the area, what is wrong and what to
do, errors first. Pure: the feedback writer (excel/feedback_writer.py) says where each
problem is in the rebuilt workbook, the return writer writes the sheet.

`ipt check` accepts the sheet, whatever it holds, on a return whose title block carries a
feedback notice (core/return_title.py): it is the list the workbook was sent back with. On
any other return it is a sheet added, like any other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

FIX_SHEET = "What to fix"
MUST_FIX = "Must fix"
CHECK = "Check"
FIX_HEADERS = ("Must fix or check", "Cell", "Column", "Area", "What is wrong", "What to do")


@dataclass(frozen=True)
class Fix:
    must: bool  # an error still in the workbook: it must be fixed before the return is valid
    sheet: str  # where it is in the feedback workbook ("" for the whole file)
    cell: str  # "L12", or "" when it is not one cell
    column: str
    area_id: str
    wrong: str  # what is wrong
    to_do: str  # what to do

    @property
    def label(self) -> str:
        return MUST_FIX if self.must else CHECK

    @property
    def where(self) -> str:
        """The cell as a person finds it: "L12", or "A1 on the sheet 'Lists'"."""
        if not self.cell:
            return ""
        return self.cell if self.sheet in ("", "Return") else f"{self.cell} ({self.sheet})"


# A sentence starting with one of these says what to do, not what is wrong.
_IMPERATIVE = frozenset(
    "add ask check choose delete enter fill give leave pick put remove save say send shorten "
    "type use".split()
)


def _is_instruction(sentence: str) -> bool:
    first = sentence.split(" ", 1)[0].strip(",.:;").casefold()
    return first in _IMPERATIVE


def split_message(message: str) -> tuple[str, str]:
    """A problem's message as (what is wrong, what to do): its first sentence, then the rest.

    A full stop inside quotes ('Dr. Smith') or brackets, or not followed by a space and a
    capital letter (area 1.3), does not end a sentence. A message that starts by saying what
    to do ("Enter the evidence. An area rated GREEN needs it.") is turned round; one that only
    says what to do is all "what to do"; any other single sentence is all "what is wrong".
    """
    wrong, to_do = _sentences(message)
    if not _is_instruction(wrong):
        return wrong, to_do
    if to_do and not _is_instruction(to_do):
        return to_do, wrong
    return "", f"{wrong} {to_do}".strip()


def _sentences(message: str) -> tuple[str, str]:
    """The first sentence of `message`, and the rest."""
    text = message.strip()
    depth = 0
    quoted = False
    for i, ch in enumerate(text):
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        if ch == "'":
            if not quoted and not before.isalnum():
                quoted = True
            elif quoted and not after.isalnum():
                quoted = False
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch in ".?!" and depth == 0 and after == " ":
            rest = text[i + 1 :].strip()
            if rest[:1].isupper():
                return text[: i + 1], rest
    return text, ""


def _order(cell: str) -> tuple[int, int]:
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = "".join(ch for ch in cell if ch.isdigit())
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return (int(digits) if digits else 0, col)


def ordered(fixes: Iterable[Fix]) -> tuple[Fix, ...]:
    """Errors first; within each, the Return sheet's cells from the top, then other sheets;
    the same row given twice kept once."""
    unique = list(dict.fromkeys(fixes))
    return tuple(
        sorted(
            unique,
            key=lambda f: (not f.must, f.sheet not in ("", "Return"), f.sheet, _order(f.cell)),
        )
    )


def counts_line(fixes: Iterable[Fix]) -> str:
    """ "2 things to fix and 1 to check." for the sheet's opening line."""
    items = list(fixes)
    must = sum(1 for f in items if f.must)
    check = len(items) - must
    parts = []
    if must:
        parts.append(f"{must} {'thing' if must == 1 else 'things'} to fix")
    if check:
        parts.append(
            f"{check} to check"
            if must
            else f"{check} {'thing' if check == 1 else 'things'} to check"
        )
    return (" and ".join(parts) or "Nothing to fix") + "."
