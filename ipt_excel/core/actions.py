"""Each action of an area with its completion date (and lead), where the source allows it.

Pure: no I/O. A plan row holds several actions (the main action, then the "Underpinned by"
and "Supplemented by" items) but one "Date for completion" cell and one "Lead" cell, written
as one phrase or name per action with nothing between them. Pairing them up is a guess, so
it is only made when it cannot go wrong by much:

- **Dates** are paired with actions only when the cell splits into exactly as many phrases
  (`dates.split_completion_phrases`) as the area has actions, in order: main action first,
  then the underpinning items, then the supplementing items. Otherwise the area has no
  schedule (`None`) and readers see the plain text, as written.
- **Leads** are paired only when the Lead cell has exactly as many lines (split on new lines
  or ";") as the area has actions. Lead cells usually run names together with no separator
  ("Maurice Lindsay Trina Shane Charlie Moat"), so one name per action cannot be told apart;
  such a cell is left as it is and no action gets a lead. A one-line lead for a one-action
  area is that action's lead.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ipt_excel.core.dates import CompletionDate, DateKind, normalise_cell, split_completion_phrases
from ipt_excel.core.model import Area

__all__ = [
    "BULLET",
    "SUPPLEMENTED",
    "UNDERPINNED",
    "ActionList",
    "ScheduledAction",
    "actions_text",
    "parse_actions",
    "action_schedule",
    "actions_of",
    "describe_completion",
    "schedule_text",
]


@dataclass(frozen=True)
class ScheduledAction:
    """One action, its completion date, and its lead ("" when the Lead cell cannot be split)."""

    text: str
    completion: CompletionDate | None
    lead: str = ""


UNDERPINNED = "Underpinned by:"
SUPPLEMENTED = "Supplemented by:"
BULLET = "• "


@dataclass(frozen=True)
class ActionList:
    """An Actions cell as the bundled plan writes it: the main action, then two lists."""

    action: str
    underpinned_by: tuple[str, ...] = ()
    supplemented_by: tuple[str, ...] = ()

    def all(self) -> list[str]:
        return [t for t in (self.action, *self.underpinned_by, *self.supplemented_by) if t.strip()]


def actions_text(
    action: str, underpinned_by: tuple[str, ...] = (), supplemented_by: tuple[str, ...] = ()
) -> str:
    """The Actions cell: the main action, then the underpinning and supplementing lists."""
    parts = [action]
    for heading, items in ((UNDERPINNED, underpinned_by), (SUPPLEMENTED, supplemented_by)):
        if items:
            parts.append(heading)
            parts.extend(BULLET + item for item in items)
    return "\n".join(parts)


def parse_actions(text: str) -> ActionList:
    """Invert `actions_text`. Lines that are exactly a heading start a list; bullets are items."""
    main: list[str] = []
    lists: dict[str, list[str]] = {UNDERPINNED: [], SUPPLEMENTED: []}
    current: list[str] | None = None
    for line in text.split("\n"):
        if line in lists:
            current = lists[line]
        elif current is not None and line.startswith(BULLET):
            current.append(line[len(BULLET) :])
        elif current is not None and current:
            current[-1] += "\n" + line  # a hand-typed continuation of the last item
        else:
            main.append(line)
    return ActionList("\n".join(main), tuple(lists[UNDERPINNED]), tuple(lists[SUPPLEMENTED]))


def actions_of(area: Area) -> list[str]:
    """The area's actions in order: main action, underpinning items, supplementing items."""
    return parse_actions(area.value("actions")).all()


def _lead_lines(leads: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n;]", leads) if part.strip()]


def action_schedule(area: Area) -> list[ScheduledAction] | None:
    """The actions paired with their completion dates, or None when they do not pair up."""
    actions = actions_of(area)
    phrases = split_completion_phrases(area.value("completion"))
    if not actions or len(phrases) != len(actions):
        return None
    leads = _lead_lines(area.value("leads"))
    if len(leads) != len(actions):
        leads = [""] * len(actions)
    return [
        ScheduledAction(text, phrase, lead)
        for text, phrase, lead in zip(actions, phrases, leads, strict=True)
    ]


def _and_list(items: tuple[str, ...]) -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe_completion(c: CompletionDate) -> str:
    """A short reading of a phrase: "by April 2012", "from June 2012", "ongoing", "see 1.8"."""
    if c.kind is DateKind.BY and c.end is not None:
        return f"by {c.end}"
    if c.kind is DateKind.RANGE and c.start is not None and c.end is not None:
        return f"during {c.end}" if c.start == c.end else f"{c.start} to {c.end}"
    if c.kind is DateKind.FROM and c.start is not None:
        return f"from {c.start}, then {c.recurring}" if c.recurring else f"from {c.start}"
    if c.kind is DateKind.ONGOING:
        return c.recurring or "ongoing"
    if c.kind is DateKind.HENCEFORTH:
        return "from now on"
    if c.kind is DateKind.CROSS_REFERENCE:
        return f"see {_and_list(c.refs)}" if c.refs else "see above"
    return c.text  # not read: show what was written


def schedule_text(area: Area) -> str:
    """One line per action, "• <action> — by April 2012 (lead: Liz Price)"; "" if not paired.

    Worked out once per (actions, completion, leads): every master and every return of a
    round shows it, for each agency an area is shared with."""
    texts = (area.value("actions"), area.value("completion"), area.value("leads"))
    if sum(map(len, texts)) > _CACHED_SCHEDULE_TEXT:  # worked out, not kept
        return _schedule_text.__wrapped__(*texts)
    return _schedule_text(*texts)


_CACHED_SCHEDULE_TEXT = 20_000  # characters, the three texts together


@functools.lru_cache(maxsize=4096)
def _schedule_text(actions: str, completion: str, leads: str) -> str:
    area = Area("", text={"actions": actions, "completion": completion, "leads": leads})
    schedule = action_schedule(area)
    if schedule is None:
        return ""
    lines = []
    for item in schedule:
        line = f"{BULLET}{normalise_cell(item.text)}"
        if item.completion is not None:
            line += f" — {describe_completion(item.completion)}"
        if item.lead:
            line += f" (lead: {normalise_cell(item.lead)})"
        lines.append(line)
    return "\n".join(lines)
