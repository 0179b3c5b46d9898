"""A synthetic plan at any scale, written as a plan .yaml in the bundled plan's format.

Texts are made of words from the bundled plan (templates/banes-2012/plan.yaml), each as long
as the same field of a randomly drawn bundled area, so cell sizes follow a real plan's while
every text is new (a real plan has no repeated paragraphs, and repeats would let xlsxwriter's
shared-string table shrink the files). Short coded fields (timescale, completion dates, RAG,
date of next review) are copied verbatim, because the tool parses them. Seeded: the same
arguments always give the same file.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SEED_PLAN = Path(__file__).resolve().parent.parent / "templates" / "banes-2012" / "plan.yaml"

# Made of new words, as long as a bundled sample; the rest are copied as they are.
FREE_TEXT = ("title", "action", "leads", "assurance", "outcome", "progress", "evidence")
VERBATIM = ("timescale", "practice_standards", "completion", "rag", "next_review")
LISTS = ("underpinned_by", "supplemented_by")

try:  # libyaml, where PyYAML was built with it: a 10,000-area plan dumps in seconds
    _Dumper: Any = yaml.CSafeDumper
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Dumper, _Loader = yaml.SafeDumper, yaml.SafeLoader


@dataclass(frozen=True)
class Corpus:
    """What the bundled plan offers to sample from."""

    raw: dict[str, Any]  # the whole bundled plan, for its header, themes and glossary
    words: tuple[str, ...]
    fields: dict[str, tuple[str, ...]]  # field -> every bundled area's value of it
    list_sizes: dict[str, tuple[int, ...]]  # list field -> every bundled area's item count
    list_items: tuple[str, ...]  # every underpinned_by/supplemented_by item
    agency_names: tuple[str, ...]


def load_corpus(path: Path = SEED_PLAN) -> Corpus:
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    areas = raw["areas"]
    texts = [str(a.get(f) or "") for a in areas for f in FREE_TEXT]
    words = tuple(w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", t))
    return Corpus(
        raw=raw,
        words=words,
        fields={f: tuple(str(a.get(f) or "") for a in areas) for f in (*FREE_TEXT, *VERBATIM)},
        list_sizes={f: tuple(len(a.get(f) or ()) for a in areas) for f in LISTS},
        list_items=tuple(str(x) for a in areas for f in LISTS for x in a.get(f) or ()),
        agency_names=tuple(str(ag["name"]) for ag in raw["agencies"]),
    )


class TextMaker:
    """New texts shaped like the bundled plan's, from one seeded generator."""

    def __init__(self, corpus: Corpus, rng: random.Random) -> None:
        self.corpus = corpus
        self.rng = rng

    def words(self, length: int) -> str:
        """Random bundled words, about `length` characters (0 gives "")."""
        if length <= 0:
            return ""
        out: list[str] = []
        size = 0
        while size < length:
            word = self.rng.choice(self.corpus.words)
            out.append(word)
            size += len(word) + 1
        text = " ".join(out)
        return text[0].upper() + text[1:]

    def like(self, field: str, minimum: int = 0) -> str:
        """A new text as long as a random bundled area's `field` (at least `minimum`)."""
        return self.words(max(minimum, len(self.rng.choice(self.corpus.fields[field]))))

    def verbatim(self, field: str) -> str:
        return self.rng.choice(self.corpus.fields[field])

    def items(self, field: str) -> list[str]:
        count = self.rng.choice(self.corpus.list_sizes[field])
        return [self.words(len(self.rng.choice(self.corpus.list_items))) for _ in range(count)]


@dataclass(frozen=True)
class SynthPlan:
    path: Path
    areas: int
    agency_keys: tuple[str, ...]
    sharers: dict[str, tuple[str, ...]]  # area ID -> its agencies' keys, in plan order


def _agencies(corpus: Corpus, n: int, rng: random.Random) -> list[dict[str, Any]]:
    # Numbered names drawn from the bundled ones: realistic lengths, never two alike.
    return [
        {
            "key": f"AG{i:03d}",
            "name": f"{rng.choice(corpus.agency_names)} {i:03d}",
            "aliases": [],
            "email": "",
        }
        for i in range(1, n + 1)
    ]


def _area(text: TextMaker, area_id: str, theme: str, agencies: list[str]) -> dict[str, Any]:
    return {
        "id": area_id,
        "theme": theme,
        "title": text.like("title"),
        "timescale": text.verbatim("timescale"),
        "practice_standards": text.verbatim("practice_standards"),
        "agencies": agencies,
        "action": text.like("action"),
        "underpinned_by": text.items("underpinned_by"),
        "supplemented_by": text.items("supplemented_by"),
        "leads": text.like("leads"),
        "completion": text.verbatim("completion"),
        "assurance": text.like("assurance"),
        "outcome": text.like("outcome"),
        "progress": text.like("progress"),
        "rag": text.verbatim("rag"),
        "evidence": text.like("evidence"),
        "next_review": text.verbatim("next_review"),
    }


def _share(i: int, keys: list[str], rng: random.Random) -> list[str]:
    """1 to 3 agencies; the first goes round-robin so every agency has areas to return."""
    first = keys[i % len(keys)]
    others = [k for k in rng.sample(keys, min(3, len(keys))) if k != first]
    count = rng.randint(1, min(3, len(keys)))
    chosen = {first, *others[: count - 1]}
    return [k for k in keys if k in chosen]  # plan order, as a coordinator would list them


def write_plan(path: Path, *, areas: int, agencies: int, seed: int = 2012) -> SynthPlan:
    """Write a plan of `areas` areas shared among `agencies` agencies to `path`."""
    corpus = load_corpus()
    rng = random.Random(f"{seed}:{areas}:{agencies}")
    text = TextMaker(corpus, rng)
    raw = corpus.raw
    agency_rows = _agencies(corpus, agencies, rng)
    keys = [a["key"] for a in agency_rows]
    themes = [str(t["id"]) for t in raw["themes"]]
    per_theme = -(-areas // len(themes))
    area_rows = []
    for i in range(areas):
        theme = themes[i // per_theme]
        area_id = f"{theme}.{i % per_theme + 1}"
        area_rows.append(_area(text, area_id, theme, _share(i, keys, rng)))
    plan = {
        **raw["plan"],
        "title": f"Synthetic improvement plan: {areas:,} areas, {agencies} agencies",
    }
    doc = {
        "plan": plan,
        "themes": raw["themes"],
        "agencies": agency_rows,
        "areas": area_rows,
        "glossary": raw["glossary"],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    return SynthPlan(
        path=path,
        areas=areas,
        agency_keys=tuple(keys),
        sharers={a["id"]: tuple(a["agencies"]) for a in area_rows},
    )
