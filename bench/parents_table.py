"""The table the parents model is fitted on (`alphatree_ingest/drafting/parents_table.json`), and its check.

Usage: python bench/parents_table.py [--check]

Every labelled paper of the devsets, tune and report parts (`bench/devset_split.json`): each tree
entry the paper cites, names or builds on (`draft.parent_candidates`), with the model's features
(`alphatree_ingest.drafting.parents.FEATURES`) and whether it is a labelled parent. The product fits the
model on all of them; `bench/devset.py` fits it on the tune part alone (`parents.fit_only`), and only
the tune part is cross-validated and printed here (the report part's rows are written, never read to
choose anything). Prints, leaving one tune paper out, the papers with a labelled parent among the first
three suggested and the share of suggestions that are labelled parents, for each penalty and
threshold, beside the hand rule it replaces. With `--check` the table is not written.
Extractions are cached with the diagram table's (`cache/diagram_table.pickle`).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alphatree_ingest.catalog import Catalog  # noqa: E402
from alphatree_ingest.drafting.draft import _rule_parents, parent_candidates  # noqa: E402
from alphatree_ingest.drafting.parents import PENALTY, TABLE, THRESHOLD, ParentModel, features  # noqa: E402
from alphatree_ingest.models import Paper  # noqa: E402
from bench.devset import REPO, read_split  # noqa: E402
from bench.diagram_table import extracted, labelled_parts, public, ship  # noqa: E402


def paper_rows(paper: Any, result: Any, tree: list[Any]) -> dict[str, Any]:
    label = paper.label
    meta = Paper(
        arxiv_id=paper.arxiv_id,
        title=label["title"],
        authors=[],
        abstract=result.abstract,
        published=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        pdf_url=f"https://arxiv.org/pdf/{paper.arxiv_id}",
    )
    topic = (label["topic"] or "none").split("/")[0]  # as bench/devset.py drafts it
    found = parent_candidates(meta, result, tree, topic)
    candidates = [c for c, _ in found]
    want = list(label["parents"] or [])
    rows = []
    for entry_id, row in features(candidates).items():
        rows.append(
            {"entry": entry_id, **{k: round(v, 4) for k, v in row.items()}, "parent": entry_id in want}
        )
    evidence = {c.entry_id: list(what) for c, what in found}
    return {
        "paper": paper.arxiv_id,
        "want": want,
        "candidates": rows,
        "_rule": _rule_parents(result, tree, candidates, evidence, topic),
    }


def measure(picks: list[list[str]], papers: list[dict[str, Any]]) -> tuple[int, int, int, int]:
    """(papers with a labelled parent among the first three, papers with labelled parents,
    suggestions that are labelled parents, suggestions)."""
    found = labelled = right = suggested = 0
    for pick, paper in zip(picks, papers, strict=True):
        want = set(paper["want"])
        if want:
            labelled += 1
            found += bool(set(pick[:3]) & want)
        suggested += len(pick)
        right += len(set(pick) & want)
    return found, labelled, right, suggested


def line(name: str, counts: tuple[int, int, int, int]) -> str:
    found, labelled, right, suggested = counts
    return (
        f"{name}: parent among the first 3 {found}/{labelled} = {found / max(1, labelled):.3f}; "
        f"suggestions right {right}/{suggested} = {right / max(1, suggested):.3f}"
    )


def main(argv: list[str]) -> int:
    split = read_split()
    papers = labelled_parts(split)
    if papers is None:
        return 2
    got = extracted(papers)
    tree = Catalog(REPO / "catalog").load().entries
    every = [paper_rows(p, got[p.arxiv_id]["result"], tree) for p in papers]
    # only the tune part is cross-validated and printed; the report part only joins the shipped fit
    table = [p for p in every if split[p["paper"]] == "tune"]
    clean = public(table)
    print(line("hand rule", measure([p["_rule"] for p in table], table)))
    for c in (0.3, 1.0, 3.0):
        held_out = [ParentModel(clean[:i] + clean[i + 1 :], c=c) for i in range(len(clean))]
        for threshold in (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5):
            picks = []
            for fitted, paper in zip(held_out, clean, strict=True):
                rows = {r["entry"]: r for r in paper["candidates"]}
                picks.append(fitted.choose(rows, threshold))
            mark = " (shipped)" if c == PENALTY and threshold == THRESHOLD else ""
            print(
                line(f"model c={c} threshold {threshold}{mark}, leave one paper out", measure(picks, table))
            )
    about = (
        "Parent candidates of the labelled papers, tune and report parts, with the parents "
        "model's features (bench/parents_table.py); bench/devset.py fits on the tune part alone."
    )
    ship(argv, ParentModel, clean, every, TABLE, about)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
