"""main's relevance scorer before issue #22 (commit 4770608), kept verbatim for bench/ranking.py's
"before" column: TF-IDF nearest neighbours among the topic's entries, pushed down by rejected papers."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from alphatree_ingest.models import CatalogEntry, Topic

_STOP = set(
    "the and for with that this from are our its their these those into over under using use used based "
    "which while where when than then also can may not but all any each such via both more most very new "
    "paper propose proposed method methods approach show results work study model models task tasks "
    # words every deep-learning abstract uses: they say nothing about the topic
    "training train trained learning learn learned network networks neural deep large scale technique "
    "techniques improved improving improve some data performance state art towards simple efficient "
    "large-scale we they has have been was were how what one two three first".split()
)


def tokens(text: str) -> list[str]:
    words = re.findall(r"[a-z][a-z0-9\-]{2,}", text.lower())
    return [w.rstrip("s") if len(w) > 4 else w for w in words if w not in _STOP]


def entry_text(entry: CatalogEntry) -> str:
    return " ".join([entry.name, entry.title, entry.abstract, entry.notes])


@dataclass
class Scorer:
    """Scores texts against one topic's positive documents and rejected papers."""

    positives: list[tuple[str, Counter[str]]] = field(default_factory=list)
    negatives: list[tuple[str, Counter[str]]] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)

    @classmethod
    def for_topic(cls, topic: Topic, approved: list[CatalogEntry], rejected: list[CatalogEntry]) -> Scorer:
        inside = [e for e in approved if e.topic == topic.id or e.topic.startswith(topic.id + "/")]
        docs = [(e.id, Counter(tokens(entry_text(e)))) for e in inside]
        query_words = re.sub(r"\b(cat|ti|abs|AND|OR|ANDNOT)\b|[:()\"]|cs\.\w+|stat\.\w+", " ", topic.query)
        docs.append((f"topic:{topic.id}", Counter(tokens(f"{topic.name_en} {query_words}"))))
        negatives = [
            (e.arxiv or e.id, Counter(tokens(entry_text(e))))
            for e in rejected
            if e.topic == topic.id or e.topic.startswith(topic.id + "/")
        ]
        every = docs + negatives
        df: Counter[str] = Counter()
        for _, counts in every:
            df.update(counts.keys())
        n = len(every) + 1
        idf = {w: math.log(n / (1 + c)) + 1 for w, c in df.items()}
        return cls(docs, negatives, idf)

    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        vec = {w: (1 + math.log(c)) * self.idf.get(w, 0.0) for w, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {w: v / norm for w, v in vec.items()}

    def _sims(self, vec: dict[str, float], docs: list[tuple[str, Counter[str]]]) -> list[tuple[float, str]]:
        sims = []
        for doc_id, counts in docs:
            other = self._vector(counts)
            sims.append((sum(v * other.get(w, 0.0) for w, v in vec.items()), doc_id))
        return sorted(sims, reverse=True)

    def score(self, text: str) -> tuple[float, list[str]]:
        """A score in [0, 1] (higher is more relevant) and the nearest tree entries, as evidence."""
        vec = self._vector(Counter(tokens(text)))
        if not vec:
            return 0.0, []
        near = self._sims(vec, self.positives)
        top = [s for s, _ in near[:3]]
        value = sum(top) / len(top) if top else 0.0
        if self.negatives:
            worst = self._sims(vec, self.negatives)[0][0]
            value -= 0.5 * max(0.0, worst - value)
        nearest = [doc for s, doc in near[:3] if s > 0 and not doc.startswith("topic:")]
        return round(max(0.0, min(1.0, value)), 3), nearest
