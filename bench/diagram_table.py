"""The table the diagram ranker is fitted on (`alphatree_ingest/drafting/diagram_table.json`), and its check.

Usage: python bench/diagram_table.py [--check]

Every labelled paper of the devsets, tune and report parts (`bench/devset_split.json`): each figure
extraction finds, with the ranker's features (`alphatree_ingest.drafting.diagram.FEATURES`) and whether it is
the labelled diagram. The product fits the ranker on all of them; `bench/devset.py` fits it on the
tune part alone (`diagram.fit_only`), and only the tune part is cross-validated and printed here (the
report part's rows are written, never read to choose anything). The kind probabilities in those
features come from a kinds model fitted with the paper's own figures left out (the kinds table holds
the tune part only), as on a paper it has never seen. Prints the ranker's agreement with the labels
cross-validated by paper (leave one paper out), beside the hand-weighted score it replaces
(`draft.diagram_score`, with the same held-out kinds). With `--check` the table is not written.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alphatree_ingest.drafting.diagram import PENALTY, TABLE, Ranker, end_page, figure_features  # noqa: E402
from alphatree_ingest.drafting.draft import method_names, suggest_diagram  # noqa: E402
from alphatree_ingest.models import Paper  # noqa: E402
from alphatree_ingest.pdf.extract import extract  # noqa: E402
from alphatree_ingest.pdf.kinds import KindModel, read_table  # noqa: E402
from bench.devset import REPO, labelled_papers, read_split  # noqa: E402

CACHE = REPO / "cache" / "diagram_table.pickle"


def extracted(papers: list[Any]) -> dict[str, Any]:
    """Each paper's figures and their kind features (cached by PDF size and mtime)."""
    cache: dict[str, Any] = pickle.loads(CACHE.read_bytes()) if CACHE.is_file() else {}
    for n, paper in enumerate(papers, start=1):
        stamp = (paper.pdf.stat().st_size, paper.pdf.stat().st_mtime)
        if paper.arxiv_id in cache and cache[paper.arxiv_id]["stamp"] == stamp:
            continue
        sink: list[dict[str, Any]] = []
        result = extract(paper.pdf, kind_features=sink)
        cache[paper.arxiv_id] = {"stamp": stamp, "result": result, "sink": sink}
        print(f"[{n}/{len(papers)}] {paper.arxiv_id}: {len(result.figures)} figures", file=sys.stderr)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_bytes(pickle.dumps(cache))
    return cache


def labelled_parts(split: dict[str, str]) -> list[Any] | None:
    """The labelled papers of the tune and report parts; None (and a message) without tune papers."""
    papers = [p for p in labelled_papers() if split.get(p.arxiv_id) in ("tune", "report")]
    if not any(split[p.arxiv_id] == "tune" for p in papers):
        print("error: no tune papers (run python bench/devset.py --freeze first)", file=sys.stderr)
        return None
    return papers


def public(papers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The papers' rows without the bench's own keys (those starting with `_`), as the table holds them."""
    return [{k: v for k, v in p.items() if not k.startswith("_")} for p in papers]


def write_table(path: Path, about: str, papers: list[dict[str, Any]]) -> None:
    """The table as committed: its `about`, then one paper per line (diffs stay readable)."""
    rows = ",\n".join(json.dumps(p, sort_keys=True) for p in papers)
    path.write_text(json.dumps({"about": about})[:-1] + ', "papers": [\n' + rows + "\n]}\n")
    print(f"written {path}")


def ship(
    argv: list[str],
    fit: Callable[[list[dict[str, Any]]], Any],
    tune: list[dict[str, Any]],
    every: list[dict[str, Any]],
    path: Path,
    about: str,
) -> None:
    """Print the weights of `fit` on the tune part's rows (what bench/devset.py scores with) and on
    every labelled paper's (what ships), and write the table of every paper unless `--check`."""
    print("weights (tune papers, what bench/devset.py scores with):", fit(tune).weights())
    shipped = public(every)
    print(f"weights (all {len(shipped)} labelled papers, what ships):", fit(shipped).weights())
    if "--check" not in argv:
        write_table(path, about, shipped)


def paper_rows(paper: Any, got: dict[str, Any], kinds: KindModel) -> dict[str, Any]:
    result = got["result"]
    features = {}
    for item in got["sink"]:
        features.setdefault((item["page"], item["number"]), item)
    probs = []
    for fig in result.figures:
        item = features.get((fig.page, fig.number))
        probs.append(kinds.probabilities(item["caption"], item["features"]) if item else {})
    meta = Paper(
        arxiv_id=paper.arxiv_id,
        title=paper.label["title"],
        authors=[],
        abstract=result.abstract,
        published=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        pdf_url=f"https://arxiv.org/pdf/{paper.arxiv_id}",
    )
    names = method_names(meta)
    end = end_page(result.sections)
    rows = figure_features(result.figures, names, probs, end=end)
    want = paper.label["diagram"]
    marked = False
    for fig, row in zip(result.figures, rows, strict=True):
        row["figure"] = fig.number
        row["diagram"] = not marked and want is not None and fig.number == str(want)
        marked = marked or row["diagram"]
        row.update({k: round(v, 4) for k, v in row.items() if isinstance(v, float)})
    return {
        "paper": paper.arxiv_id,
        "want": None if want is None else str(want),
        "figures": rows,
        "_figs": result.figures,
        "_probs": probs,
        "_names": names,
        "_end": end,
    }


def choice(ranker: Ranker, paper: dict[str, Any]) -> str | None:
    index = ranker.choose(paper["figures"])
    return None if index is None else paper["figures"][index]["figure"]


def hand_choice(paper: dict[str, Any]) -> str | None:
    figs = []
    for fig, probs in zip(paper["_figs"], paper["_probs"], strict=True):
        kind = max(probs, key=lambda k: probs[k]) if probs else "other"
        figs.append(fig.model_copy(update={"kind": kind}))
    files = {f.number: f"fig-{f.number}" for f in figs}
    chosen, _ = suggest_diagram(figs, files, paper["_names"], learned=False, end=paper["_end"])
    return None if chosen == "none" else str(chosen).removeprefix("fig-")


def main(argv: list[str]) -> int:
    split = read_split()
    papers = labelled_parts(split)
    if papers is None:
        return 2
    got = extracted(papers)
    kind_rows = read_table()
    every = []
    for paper in papers:
        held_out = KindModel([r for r in kind_rows if r["paper"] != paper.arxiv_id])
        every.append(paper_rows(paper, got[paper.arxiv_id], held_out))
    # only the tune part is cross-validated and printed; the report part only joins the shipped fit
    table = [p for p in every if split[p["paper"]] == "tune"]
    clean = public(table)
    hand = sum(hand_choice(p) == p["want"] for p in table)
    print(f"hand-weighted score, held-out kinds: {hand}/{len(table)} = {hand / len(table):.3f}")
    for l2 in (0.1, 0.3, 1.0, 3.0, 10.0):
        right = 0
        misses = []
        for i, paper in enumerate(table):
            fitted = Ranker(clean[:i] + clean[i + 1 :], l2=l2)
            got_choice = choice(fitted, clean[i])
            right += got_choice == paper["want"]
            if got_choice != paper["want"] and "--verbose" in argv:
                misses.append(f"{paper['paper']}: {got_choice} (want {paper['want']})")
        shipped = " (shipped)" if l2 == PENALTY else ""
        score = f"{right}/{len(table)} = {right / len(table):.3f}"
        print(f"ranker l2={l2}{shipped}, leave one paper out: {score}")
        for miss in misses:
            print(f"  {miss}")
    about = (
        "Diagram ranker features of the labelled papers' figures, tune and report parts "
        "(bench/diagram_table.py); bench/devset.py fits on the tune part alone."
    )
    ship(argv, Ranker, clean, every, TABLE, about)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
