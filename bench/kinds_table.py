"""The feature table the model of figure kinds is fitted on (`alphatree_ingest/pdf/kinds_table.json`).

Usage: python bench/kinds_table.py [--check]

Every labelled figure of the devsets' `tune` part (`bench/devset_split.json`) that extraction finds
(same page and number, IoU >= 0.5 with the labelled box, so the features are of the right region):
its features and its hand-given kind. Papers of the `report` part are never read. The model is
cross-validated on the tune part, leaving one paper out at a time; with `--check` the table is not
written. Deterministic: the same PDFs and labels give the same table.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alphatree_ingest.pdf.extract import extract  # noqa: E402
from alphatree_ingest.pdf.kinds import TABLE, KindModel  # noqa: E402
from bench.devset import labelled_papers, read_split  # noqa: E402
from bench.figure_quality import iou  # noqa: E402


def rows_of(paper: Any) -> list[dict[str, Any]]:
    sink: list[dict[str, Any]] = []
    result = extract(paper.pdf, kind_features=sink)
    boxes = {(f.page, f.number): list(f.bbox) for f in result.figures}
    gold = {(f["page"], str(f["number"])): f for f in paper.label["figures"]}
    rows = []
    seen = set()
    for item in sink:
        key = (item["page"], item["number"])
        want = gold.get(key)
        if want is None or key in seen or key not in boxes or iou(boxes[key], want["bbox"]) < 0.5:
            continue
        seen.add(key)
        rows.append(
            {
                "paper": paper.arxiv_id,
                "figure": item["number"],
                "kind": want["kind"],
                "caption": item["caption"],
                "features": {k: round(v, 4) for k, v in item["features"].items()},
            }
        )
    return rows


def dump(table: dict[str, Any]) -> str:
    """The table as JSON with one figure a line (small diffs when papers are added)."""
    head = {k: v for k, v in table.items() if k != "rows"}
    rows = ",\n".join(json.dumps(r, sort_keys=True) for r in table["rows"])
    return json.dumps(head, sort_keys=True)[:-1] + ', "rows": [\n' + rows + "\n]}\n"


def cross_validate(rows: list[dict[str, Any]], folds: int | None = None) -> float:
    """Kind accuracy with papers held out fold by fold (a paper's figures never train its own kinds);
    by default one fold per paper (leave one paper out)."""
    papers = sorted({r["paper"] for r in rows})
    folds = folds or len(papers)
    right = 0
    for fold in range(folds):
        held = set(papers[fold::folds])
        train = [r for r in rows if r["paper"] not in held]
        model = KindModel(train)
        for r in rows:
            if r["paper"] in held:
                right += model.predict(r["caption"], r["features"]) == r["kind"]
    return right / max(1, len(rows))


def main(argv: list[str]) -> int:
    split = read_split()
    papers = [  # a light label has no figure boxes, so no kinds
        p for p in labelled_papers() if split.get(p.arxiv_id) == "tune" and p.label["figures"] is not None
    ]
    if not papers:
        print("error: no tune papers (run python bench/devset.py --freeze first)", file=sys.stderr)
        return 2
    rows: list[dict[str, Any]] = []
    for n, paper in enumerate(papers, start=1):
        got = rows_of(paper)
        print(f"[{n}/{len(papers)}] {paper.arxiv_id}: {len(got)} figures", file=sys.stderr, flush=True)
        rows += got
    print(f"{len(rows)} figures: {dict(Counter(r['kind'] for r in rows))}")
    print(f"leave one paper out (tune part): kind accuracy {cross_validate(rows):.3f}")
    if "--check" not in argv:
        table = {
            "about": "Features and hand-given kinds of the tune part's figures (bench/kinds_table.py).",
            "papers": sorted({r["paper"] for r in rows}),
            "rows": rows,
        }
        TABLE.write_text(dump(table))
        print(f"written {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
