"""Which subtopic a paper belongs to by what it says, not only by whom it cites.

Each candidate (the queried topic and its subtopics) is described by its own words: its English name,
the words of its arXiv query and its `keywords` (topics.yaml), the titles and abstracts of the tree's
entries filed exactly there, and those of the devsets' papers labelled there by hand
(`subtopic_table.json`, rebuilt by `python bench/subtopic_table.py`): a channel-pruning paper finds
the pruning papers labelled `classification/lightweight`, where the tree's few entries are all
mobile architectures.
The paper's title and abstract are compared with each description (TF-IDF over all the documents;
the mean cosine of the two nearest). A compact network ends in `classification/lightweight` because
it speaks of mobile devices, FLOPs and efficiency as those entries do, even when its parents (ResNet)
are in `classification`; an image-translation GAN ends in `gan/applications` by its task's words.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..discover.relevance import _STOP as STOP_WORDS
from ..discover.relevance import entry_text
from ..models import CatalogEntry, Topic

CLOSE = 0.85
"""Two candidates whose scores are within this ratio are shown both (the draft says they are close)."""
LINEAGE = 0.25
"""How much the share of suggested parents filed in a candidate adds to its content score (the best
content score counts 1)."""
NEAREST = 2
NAMED = 5
"""A model name the body repeats counts as a word of the paper up to this many times."""


@dataclass
class Placement:
    topic: str
    scores: dict[str, float]
    """Every candidate's score, best first."""
    close: list[str]
    """Candidates whose score is close to the best one's (the best first); one when it is clear."""
    evidence: str


_WORD = re.compile(r"[a-z][a-z0-9\-]{2,}")


def tokens(text: str) -> list[str]:
    """Words for content similarity: hyphenated terms kept whole (`super-resolution` is one subject,
    not `super` and `resolution`), plural -s removed, stop words dropped. The ranker splits as arXiv's
    search does instead (`relevance.tokens`), because it must see what the topic query matched."""
    found = _WORD.findall(text.lower())
    return [w.rstrip("s") if len(w) > 4 else w for w in found if w not in STOP_WORDS]


def _query_words(query: str) -> str:
    return re.sub(r"\b(cat|ti|abs|AND|OR|ANDNOT)\b|[:()\"]|cs\.\w+|stat\.\w+", " ", query)


def _vector(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    vec = {w: (1 + math.log(c)) * idf.get(w, 0.0) for w, c in counts.items() if c > 0}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {w: v / norm for w, v in vec.items()}


TABLE = Path(__file__).resolve().parent / "subtopic_table.json"
_ONLY: frozenset[str] | None = None


def fit_only(papers: Iterable[str] | None) -> None:
    """Describe the subtopics with these papers of the table alone (None: every paper). The devset
    bench keeps the tune part, so the report part it scores stays unseen although the table holds it."""
    global _ONLY
    only = None if papers is None else frozenset(papers)
    if only != _ONLY:  # the bench names the same papers for every report paper: the table stays read
        _ONLY = only
        placed_by_hand.cache_clear()


@lru_cache(maxsize=1)
def placed_by_hand() -> tuple[tuple[str, Counter[str]], ...]:
    """(topic, words of the title and abstract) of each paper labelled by hand; none when the
    table is missing or unreadable (the tree's entries still describe each candidate)."""
    try:
        rows = json.loads(TABLE.read_text())["papers"]
        return tuple(
            (str(r["topic"]), Counter({str(w): int(n) for w, n in r["words"].items()}))
            for r in rows
            if _ONLY is None or r["paper"] in _ONLY
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return ()


def _documents(candidates: list[Topic], root: str, tree: list[CatalogEntry]) -> dict[str, list[Counter[str]]]:
    """Each candidate's documents: its own words (first), then the entries filed under it and the
    papers placed there by hand."""
    docs: dict[str, list[Counter[str]]] = {}
    for topic in candidates:
        filed = [Counter(tokens(entry_text(e))) for e in tree if e.topic == topic.id]
        filed += [words for placed, words in placed_by_hand() if placed == topic.id]
        if topic.id == root:
            # the root's query finds every paper of its subtopics too: the root is described by the
            # entries filed at it alone, and is no candidate without any
            if filed:
                docs[topic.id] = [Counter(), *filed]
            continue
        own = Counter(tokens(f"{topic.name_en} {_query_words(topic.query)} {topic.keywords}"))
        docs[topic.id] = [own, own, *filed]  # the topic's own words: in the IDF twice, as two entries
    return docs


def place(
    text: str,
    root: str,
    topics: dict[str, Topic],
    tree: list[CatalogEntry],
    parents: list[str],
    names: dict[str, int] | None = None,
    built: set[str] | frozenset[str] = frozenset(),
) -> Placement | None:
    """The candidate under `root` the paper's `text` (title and abstract) resembles most, its parents'
    places adding to it (a parent the paper says it builds on, `built`, votes twice); None when `root`
    has no subtopics (nothing to choose)."""
    candidates = [t for t in topics.values() if t.id == root or t.parent == root]
    if len(candidates) < 2:
        return None
    docs = _documents(candidates, root, tree)
    every = [d for ds in docs.values() for d in ds]
    df: Counter[str] = Counter()
    for d in every:
        df.update(d.keys())
    idf = {w: math.log((len(every) + 1) / (1 + c)) + 1 for w, c in df.items()}
    words = Counter(tokens(text))
    for name, times in (names or {}).items():  # the models its body names again and again
        if times >= 2 and name in df:
            words[name] += min(times, NAMED)
    paper = _vector(words, idf)
    if not paper:
        return None
    where = {e.id: e.topic for e in tree}
    content: dict[str, float] = {}
    for topic_id, ds in docs.items():
        sims = sorted((_cosine(paper, _vector(d, idf)) for d in ds[1:]), reverse=True)
        # the topic's own words and its nearest entries: a big topic's many entries do not outvote
        # a small one's few, nor does a topic without entries lose for having none (mean of the two
        # nearest, the topic's words counting as one of them)
        content[topic_id] = sum(sims[:NEAREST]) / max(1, min(NEAREST, len(sims)))
    top = max(content.values()) or 1.0
    # a parent that many entries build on (GAN under every GAN paper) says little about where a paper
    # belongs: each parent's vote is worth 1 / (1 + the entries that already build on it)
    children: Counter[str] = Counter(p for e in tree for p in e.parents)
    scores: dict[str, float] = {}
    for topic_id in docs:
        votes = [(2 if p in built else 1) / (1 + children[p]) for p in parents if where.get(p) == topic_id]
        share = sum(votes) / max(1, len(parents))
        scores[topic_id] = round(content[topic_id] / top + LINEAGE * share, 4)
    ranked = sorted(scores, key=lambda k: (-scores[k], k))
    best = ranked[0]
    close = [k for k in ranked if scores[k] >= CLOSE * scores[best] and scores[best] > 0]
    shown = ", ".join(f"{k} {scores[k]:.2f}" for k in ranked)
    evidence = f"the title and abstract resemble {best} most (with the parents' places: {shown})"
    if len(close) > 1:
        evidence = f"close between {' and '.join(close)}: " + evidence
    return Placement(best, {k: scores[k] for k in ranked}, close, evidence)


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(v * b.get(w, 0.0) for w, v in a.items())
