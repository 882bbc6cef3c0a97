"""Figure extraction quality on a labelled set (pdffigures2 protocol).

Usage: python bench/figure_quality.py [DEVSET_DIR]   (default ../shared/figure-devset)
A prediction is correct when page and figure number match and IoU >= 0.8 with an `agree` label.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from alphatree_ingest.pdf.extract import extract

sys.path.insert(0, str(Path(__file__).resolve().parent))
import data  # noqa: E402


def iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def score(devset: Path, verbose: bool = False) -> dict[str, float]:
    labels = json.loads((devset / "figures.json").read_text())
    tp = predicted = gold = captions_found = captions_all = 0
    for arxiv_id, item in sorted(labels.items()):
        figs = [f for f in item["figures"] if f["figure_type"] == "Figure"]
        result = extract(devset / f"{arxiv_id}.pdf")
        found = {(f.page, f.number): list(f.bbox) for f in result.figures}
        captions_all += len(figs)
        captions_found += sum(1 for f in figs if (f["page"], f["name"]) in found)
        agree = {(f["page"], f["name"]): f["region_bb"] for f in figs if f["silver_status"] == "agree"}
        gold += len(agree)
        # precision is counted over predictions whose label is trustworthy (agree)
        for key, box in found.items():
            if key in agree:
                predicted += 1
                ok = iou(box, agree[key]) >= 0.8
                tp += ok
                if verbose and not ok:
                    print(
                        f"  miss {arxiv_id} p{key[0]} fig {key[1]}: iou {iou(box, agree[key]):.2f}"
                        f" got {[round(v) for v in box]} want {[round(v) for v in agree[key]]}"
                    )
        if verbose:
            for key in agree.keys() - found.keys():
                print(f"  not found {arxiv_id} p{key[0]} fig {key[1]}")
    return {
        "precision": tp / predicted if predicted else 0.0,
        "recall": tp / gold if gold else 0.0,
        "captions_found": captions_found,
        "captions_all": captions_all,
    }


if __name__ == "__main__":
    folder = data.devset(sys.argv, need="figures.json")
    print(json.dumps(score(folder, verbose=True), indent=1))
