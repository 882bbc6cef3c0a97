"""Figure kinds learned from hand-labelled figures: a scikit-learn logistic regression over features a
reader can check (what the caption says, what the vector drawing holds, how the rasters look, where
and how large the figure is).

The model is not shipped as a pickle: it is fitted, deterministically and in well under a second, the
first time a kind is asked for, from the committed feature table `kinds_table.json` (one row per
labelled figure of the devsets' `tune` part: its features and its hand-given kind). `python
bench/kinds_table.py` rebuilds that table from the labelled PDFs; `python bench/devset.py` scores the
result on the `report` part, which the table never sees.

Why a linear model: with a few hundred labelled figures it generalises better than trees, and each
weight reads as a sentence ("a caption opening on `architecture` adds 2.1 to architecture"). The
caption's own opening words are features of their own (`cap_arch`), so that a diagram labelled with
feature-map sizes and channel counts stays an architecture when its caption says so. Features read
from a full render of each figure's pixels (axes in an L, ticks, glyph-sized marks, edges) were tried
and left out: leaving one tune paper out they scored 0.817 against 0.821 without them, and rendering
cost a quarter of extraction's time.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

KINDS = ("architecture", "plot", "images", "other")
TABLE = Path(__file__).resolve().parent / "kinds_table.json"

NUMERIC = (
    "cap_arch",
    "cap_arch_any",
    "cap_plot",
    "cap_image",
    "cap_other",
    "cap_parts",
    "image_share",
    "photo_like",
    "colour_variety",
    "white_share",
    "images",
    "boxes",
    "long_lines",
    "paths",
    "curves",
    "arrows",
    "filled",
    "ticks",
    "bars",
    "words",
    "numeric",
    "numeric_share",
    "alpha",
    "dims",
    "sublabels",
    "width",
    "height",
    "aspect",
    "top",
    "page",
)
"""The numeric features, each described in `alphatree_ingest.pdf.figures.kind_features`."""

_TOKEN = re.compile(r"[a-z][a-z\-]{1,}")


def caption_words(first_sentence: str) -> str:
    """The caption's first sentence as the model's words: lower case, no numbers."""
    return " ".join(_TOKEN.findall(first_sentence.lower()))


class KindModel:
    """Caption words (binary bag of words, words seen in at least two captions) and the scaled
    numeric features, into one multinomial logistic regression."""

    def __init__(self, rows: list[dict[str, Any]], *, c: float = 1.0) -> None:
        import numpy as np
        from scipy import sparse
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        self._np, self._sparse = np, sparse
        self.words = CountVectorizer(binary=True, min_df=2, token_pattern=r"[a-z][a-z\-]+")
        self.scale = StandardScaler()
        text = [r["caption"] for r in rows]
        numbers = np.array([[float(r["features"][k]) for k in NUMERIC] for r in rows])
        scaled = sparse.csr_matrix(self.scale.fit_transform(numbers))
        x = sparse.hstack([self.words.fit_transform(text), scaled])
        # unweighted: kind accuracy is what a curator meets, and weighting the rare `other` up made it
        # the answer for more plots and diagrams than it won back (leave one paper out, 148 -> 152 of 186)
        self.model = LogisticRegression(C=c, max_iter=5000)
        self.model.fit(x.tocsr(), [r["kind"] for r in rows])

    def _matrix(self, items: list[tuple[str, dict[str, float]]]) -> Any:
        numbers = self._np.array([[float(f[k]) for k in NUMERIC] for _, f in items])
        return self._sparse.hstack(
            [
                self.words.transform([c for c, _ in items]),
                self._sparse.csr_matrix(self.scale.transform(numbers)),
            ]
        ).tocsr()

    def probabilities(self, caption: str, features: dict[str, float]) -> dict[str, float]:
        probs = self.model.predict_proba(self._matrix([(caption, features)]))[0]
        return {str(k): float(p) for k, p in zip(self.model.classes_, probs, strict=True)}

    def predict(self, caption: str, features: dict[str, float]) -> str:
        probs = self.probabilities(caption, features)
        return max(probs, key=lambda k: probs[k])

    def weights(self) -> dict[str, dict[str, float]]:
        """Each class's weight of each feature (words prefixed `w:`), for reading the model."""
        names = [f"w:{w}" for w in self.words.get_feature_names_out()] + list(NUMERIC)
        return {
            str(kind): dict(zip(names, (float(v) for v in row), strict=True))
            for kind, row in zip(self.model.classes_, self.model.coef_, strict=True)
        }


def read_table(path: Path = TABLE) -> list[dict[str, Any]]:
    return [r for r in json.loads(path.read_text())["rows"] if r["kind"] in KINDS]


@lru_cache(maxsize=1)
def model() -> KindModel | None:
    """The model fitted on the committed table; None when the table is missing, has too few kinds or
    lacks a feature (figures then keep the hand-ruled kind)."""
    try:
        rows = read_table()
        if len({r["kind"] for r in rows}) < 3 or any(set(NUMERIC) - r["features"].keys() for r in rows):
            return None  # a table of other features (written before a feature was added): rebuild it
        return KindModel(rows)
    except (OSError, ValueError, KeyError, ImportError):  # no table, a broken one, no scikit-learn
        return None
