"""Reference matching on real papers: precision and recall of the tree entries found in the reference
list, the first step of parent suggestions.

Usage: python bench/placement.py [PDF_DIR]   (default ../shared/figure-devset)
Ground truth for a paper: the tree entries whose arXiv id or full title (case-insensitive, spaces
collapsed) occurs anywhere in the text of its reference pages, found by plain string search, which is
independent of how `extract` splits references. Found: the entries `draft` matches to the extracted
references (by arXiv id or title, variants tolerated). Whether a cited entry is a *parent* is another
question, scored against hand labels by `bench/devset.py` (parents precision, recall at 3, exact).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import data  # noqa: E402

from alphatree_ingest.catalog import Catalog  # noqa: E402
from alphatree_ingest.drafting.draft import _cited  # noqa: E402
from alphatree_ingest.pdf.extract import extract, open_pdf  # noqa: E402


def _flat(text: str) -> str:
    return " ".join(re.sub(r"-\s+", "", text).lower().split())


def main() -> None:
    folder = data.devset(sys.argv, need="*.pdf")
    tree = Catalog(Path(__file__).resolve().parent.parent / "catalog").load().entries
    tp = fp = fn = 0
    for pdf in sorted(folder.glob("*.pdf")):
        doc = open_pdf(pdf)
        text = _flat(" ".join(page.get_text() for page in doc))
        doc.close()
        refs = text[text.rfind(" references ") :] if " references " in text else text
        truth = {e.id for e in tree if (e.arxiv and e.arxiv in refs) or _flat(e.title) in refs}
        others = [e for e in tree if e.arxiv != pdf.stem]
        suggested = list(dict.fromkeys(found.entry_id for found in _cited(extract(pdf), others)))
        got = set(suggested)
        tp += len(got & truth)
        fp += len(got - truth)
        fn += len(truth - got)
        print(f"{pdf.stem}: cites {sorted(truth) or '-'}; found {suggested or '-'}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"precision {precision:.2f}, recall {recall:.2f} ({tp} right, {fp} wrong, {fn} missed)")


if __name__ == "__main__":
    main()
