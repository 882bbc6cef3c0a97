"""The feature table the model of figure kinds is fitted on (`alphatree_ingest/pdf/kinds_table.json`).

Usage: python bench/kinds_table.py [--check]

Every labelled figure of the devsets' `tune` part (`bench/devset_split.json`) that extraction finds:
its features and its hand-given kind. A paper with figure boxes gives the figures extraction finds on
the same page with the same number and IoU >= 0.5 with the labelled box (so the features are of the
right region); a paper with light labels gives the figures labelled by eye on the crops extraction
made (`bench/devset2/kinds-*.json`, from the sheets of `bench/kinds_sheets.py`; `skip` for a crop that
is not a figure). Papers of the `report` and `fresh` parts are never read. The model is
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
from alphatree_ingest.pdf.kinds import KINDS, TABLE, KindModel  # noqa: E402
from bench.devset import DEVSET2, labelled_papers, read_split  # noqa: E402
from bench.figure_quality import iou  # noqa: E402


def eye_kinds() -> dict[str, dict[tuple[int, str], str]]:
    """The kinds labelled by eye on extraction's crops, by paper and (page, number)."""
    found: dict[str, dict[tuple[int, str], str]] = {}
    for path in sorted(DEVSET2.glob("kinds-*.json")):
        for paper in json.loads(path.read_text()):
            figures = found.setdefault(paper["arxiv_id"], {})
            for fig in paper["figures"]:
                figures.setdefault((int(fig["page"]), str(fig["number"])), fig["kind"])
    return found


def rows_of(paper: Any, eye: dict[tuple[int, str], str] | None = None) -> list[dict[str, Any]]:
    """The rows of one paper: by its boxes, or with `eye` (a light label) by the kinds given by eye."""
    sink: list[dict[str, Any]] = []
    result = extract(paper.pdf, kind_features=sink)
    boxes = {(f.page, f.number): list(f.bbox) for f in result.figures}
    if eye is not None:
        gold = {key: {"kind": kind} for key, kind in eye.items() if kind in KINDS}
    else:
        gold = {(f["page"], str(f["number"])): f for f in paper.label["figures"]}
    rows = []
    seen = set()
    for item in sink:
        key = (item["page"], item["number"])
        want = gold.get(key)
        if want is None or key in seen or key not in boxes:
            continue
        if eye is None and iou(boxes[key], want["bbox"]) < 0.5:
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


def cross_validate(
    rows: list[dict[str, Any]], folds: int | None = None, *, scored: set[str] | None = None
) -> float:
    """Kind accuracy with papers held out fold by fold (a paper's figures never train its own kinds);
    by default one fold per paper (leave one paper out). With `scored`, only those papers' figures are
    held out and counted (the others always train)."""
    papers = sorted({r["paper"] for r in rows} if scored is None else scored)
    folds = folds or len(papers)
    right = seen = 0
    for fold in range(folds):
        held = set(papers[fold::folds])
        model = KindModel([r for r in rows if r["paper"] not in held])
        for r in rows:
            if r["paper"] in held:
                seen += 1
                right += model.predict(r["caption"], r["features"]) == r["kind"]
    return right / max(1, seen)


def main(argv: list[str]) -> int:
    split = read_split()
    eye = eye_kinds()
    papers = [  # a light label has no figure boxes: its kinds come from the labels by eye, if any
        p
        for p in labelled_papers()
        if split.get(p.arxiv_id) == "tune" and (p.label["figures"] is not None or p.arxiv_id in eye)
    ]
    if not papers:
        print("error: no tune papers (run python bench/devset.py --freeze first)", file=sys.stderr)
        return 2
    rows: list[dict[str, Any]] = []
    for n, paper in enumerate(papers, start=1):
        got = rows_of(paper, None if paper.label["figures"] is not None else eye[paper.arxiv_id])
        print(f"[{n}/{len(papers)}] {paper.arxiv_id}: {len(got)} figures", file=sys.stderr, flush=True)
        rows += got
    print(f"{len(rows)} figures: {dict(Counter(r['kind'] for r in rows))}")
    print(f"leave one paper out (tune part): kind accuracy {cross_validate(rows):.3f}")
    boxed = {p.arxiv_id for p in papers if p.label["figures"] is not None}
    if len(boxed) < len(papers):  # do the kinds labelled by eye help on the figures labelled with boxes?
        alone = cross_validate([r for r in rows if r["paper"] in boxed])
        both = cross_validate(rows, scored=boxed)
        print(f"on the boxed papers' figures: {alone:.3f} trained on boxed papers alone, {both:.3f} with")
        print(f"  the {len(papers) - len(boxed)} papers labelled by eye as well")
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
