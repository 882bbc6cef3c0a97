"""Which figure a curator shows as the entry's diagram (图示): a learned ranker over readable features.

Each paper's figures are compared with one another and with "no diagram" (a paper that shows only
results or samples gets none): a conditional logit, the softmax over the paper's candidates of a linear
score. The score reads features a reviewer can check (`FEATURES`): how sure the kind model is that the
figure is an architecture or an illustration of the idea (and whether it is the paper's surest one),
what the caption says (architecture words, the paper's own method), where the figure sits (overviews
come early: first figure, first three, first pages) and how large it is.

Like the kinds model, it is not shipped as a pickle: it is fitted deterministically, the first time a
diagram is asked for, from the committed table `diagram_table.json` (one row per extracted figure of
every labelled paper of the devsets, tune and report parts, with the kind probabilities the kinds
model gives it when its own paper is held out, so the ranker learns how far to trust kinds on papers
it has not seen). The product fits it on all of them: its agreement still rose from 14 to 22 to 29
training papers (leave one tune paper out), so more papers serve unseen ones. The devset bench fits it
on the tune part alone (`fit_only`), so the report part's numbers stay those of unseen papers. `python
bench/diagram_table.py` rebuilds the table and prints the ranker's agreement cross-validated by paper
on the tune part.
Without the table the hand-weighted `draft.diagram_score` ranks the figures.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

TABLE = Path(__file__).resolve().parent / "diagram_table.json"

FEATURES = (
    "p_arch",
    "p_other",
    "p_shown",
    "surest_arch",
    "cap_arch",
    "own",
    "first",
    "early",
    "order",
    "page",
    "size",
    "arch_first",
    "arch_early",
    "idea_first",
    "overall",
    "part",
    "late",
)
"""`p_arch`, `p_other`: the kinds model's probability of architecture and of other (an illustration);
`p_shown` of plot or images (results, samples); `surest_arch`: the figure is the paper's most likely
architecture; `cap_arch`: how plainly the caption says architecture (0 to 1); `own`: the caption names
the paper's method or says "our" / "proposed"; `first`: the paper's first figure; `early`: among its
first three; `order`: its place among the figures (0 first, 1 last); `page`: 1 / page number; `size`:
its share of a page (capped at one half); `arch_first`, `arch_early`, `idea_first`: `p_arch` when
the figure is the first, `p_arch` when among the first three, `p_other` when the first (an early
figure counts for a diagram only when it looks like one); `overall`: the caption's opening words say
the whole ("Overview of", "The overall schema", "full network"); `part`: they name a part and not the
whole ("Inception module", "The attention mechanism", "Multi-resolution block"); `late`: the figure
comes after the page of the conclusion (an appendix's detail, not the paper's diagram)."""

OVERALL = re.compile(r"\b(overview|overall|whole|entire|full|complete|end-to-end|general)\b", re.IGNORECASE)
PART = re.compile(
    r"\b(modules?|blocks?|layers?|units?|cells?|stem|operations?|operators?|mechanisms?|loss(es)?|"
    r"heads?|components?|sub-?networks?|stages?|branch(es)?|kernels?)\b",
    re.IGNORECASE,
)
CONCLUSION = re.compile(r"\bconclu(?:sions?|ding)\b", re.IGNORECASE)


def end_page(sections: Iterable[Any]) -> int | None:
    """The page of the paper's (last) conclusion heading ("Conclusion", "Concluding remarks"); None when
    no heading says so."""
    pages = [s.page for s in sections if CONCLUSION.search(s.title)]
    return max(pages) if pages else None


NONE = "none"
"""The candidate "no diagram": a score of its own (a learned constant) against every figure."""


def figure_features(
    figures: Sequence[Any],
    names: Sequence[str],
    probs: Sequence[dict[str, float]],
    *,
    end: int | None = None,
) -> list[dict[str, float]]:
    """The ranker's features of each figure of one paper (`figures`: objects with `caption`, `page`,
    `bbox`; `probs`: each figure's kind probabilities; `end`: the conclusion's page, `end_page`)."""
    from ..pdf.figures import architecture_words, caption_body, opening_words

    archs = [p.get("architecture", 0.0) for p in probs]
    surest = max(archs, default=0.0)
    rows = []
    n = len(figures)
    for i, (fig, p) in enumerate(zip(figures, probs, strict=True)):
        body = caption_body(fig.caption)
        opening = opening_words(fig.caption)
        own = bool(re.search(r"\b(our|ours|proposed)\b", body, re.IGNORECASE)) or any(
            name.lower() in body.lower() for name in names
        )
        x0, y0, x1, y1 = fig.bbox
        rows.append(
            {
                "p_arch": p.get("architecture", 0.0),
                "p_other": p.get("other", 0.0),
                "p_shown": p.get("plot", 0.0) + p.get("images", 0.0),
                "surest_arch": float(archs[i] >= surest and surest > 0),
                "cap_arch": architecture_words(fig.caption) / 2.5,
                "own": float(own),
                "first": float(i == 0),
                "early": float(i < 3),
                "order": i / max(1, n - 1),
                "page": 1.0 / max(1, fig.page),
                "size": min(0.5, max(0.0, (x1 - x0) * (y1 - y0)) / (612 * 792)),
                "overall": float(bool(OVERALL.search(opening))),
                "part": float(bool(PART.search(opening)) and not OVERALL.search(opening)),
                "late": float(end is not None and fig.page > end),
            }
        )
        row = rows[-1]
        row["arch_first"] = row["p_arch"] * row["first"]
        row["arch_early"] = row["p_arch"] * row["early"]
        row["idea_first"] = row["p_other"] * row["first"]
    return rows


PENALTY = 0.1
"""The ranker's L2 penalty: the one `bench/diagram_table.py` finds best leaving one tune paper out
(2026-12-07, 327 papers: 273 right at 0.1, 272 at 0.3, 268 at 1.0, 267 at 3.0, 266 at 10.0)."""


class Ranker:
    """A conditional logit over each paper's figures plus "no diagram", with an L2 penalty `l2`."""

    def __init__(
        self, papers: list[dict[str, Any]], *, l2: float = PENALTY, features: Sequence[str] = FEATURES
    ) -> None:
        import numpy as np
        from scipy.optimize import minimize

        self._np = np
        self.features = tuple(features)
        groups = []
        for paper in papers:
            x = np.array([self._row(row) for row in paper["figures"]] + [self._none()])
            groups.append((x, self._target(paper)))

        def loss(w: Any) -> tuple[float, Any]:
            total, grad = 0.5 * l2 * float(w @ w), l2 * w
            for x, target in groups:
                s = x @ w
                s = s - s.max()
                p = np.exp(s) / np.exp(s).sum()
                total -= float(s[target] - math.log(float(np.exp(s).sum())))
                grad = grad + x.T @ p - x[target]
            return total, grad

        start = np.zeros(len(self.features) + 1)
        self.w = minimize(loss, start, jac=True, method="L-BFGS-B").x

    def _row(self, row: dict[str, float]) -> list[float]:
        return [float(row[k]) for k in self.features] + [0.0]

    def _none(self) -> list[float]:
        return [0.0] * len(self.features) + [1.0]

    @staticmethod
    def _target(paper: dict[str, Any]) -> int:
        chosen = [i for i, row in enumerate(paper["figures"]) if row.get("diagram")]
        return chosen[0] if chosen else len(paper["figures"])

    def scores(self, rows: list[dict[str, float]]) -> tuple[list[float], float]:
        """Each figure's score, and the score of "no diagram"."""
        np = self._np
        x = np.array([self._row(row) for row in rows] + [self._none()])
        s = x @ self.w
        return [round(float(v), 3) for v in s[:-1]], round(float(s[-1]), 3)

    def choose(self, rows: list[dict[str, float]]) -> int | None:
        """The index of the chosen figure; None for no diagram."""
        figures, none = self.scores(rows)
        if not figures or max(figures) <= none:
            return None
        return figures.index(max(figures))

    def weights(self) -> dict[str, float]:
        return {k: round(float(v), 3) for k, v in zip((*self.features, NONE), self.w, strict=True)}


def read_table(path: Path = TABLE) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text())["papers"])


_FIT_ONLY: frozenset[str] | None = None


def fit_only(papers: Iterable[str] | None) -> None:
    """Fit the ranker on these papers of the table alone (None: every paper). The devset bench fits it
    on the tune part, so the report part it scores stays unseen although the shipped table holds it."""
    global _FIT_ONLY
    _FIT_ONLY = None if papers is None else frozenset(papers)
    ranker.cache_clear()


@lru_cache(maxsize=1)
def ranker() -> Ranker | None:
    """The ranker fitted on the committed table (or its papers named by `fit_only`); None when it is
    missing or lacks a feature."""
    try:
        papers = [p for p in read_table() if _FIT_ONLY is None or p["paper"] in _FIT_ONLY]
        if not papers or any(set(FEATURES) - row.keys() for p in papers for row in p["figures"]):
            return None
        return Ranker(papers)
    except (OSError, ValueError, KeyError, ImportError):
        return None
