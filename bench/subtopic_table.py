"""The papers placed by hand that describe the subtopics (`alphatree_ingest/drafting/subtopic_table.json`).

Usage: python bench/subtopic_table.py [--check]

Every labelled paper of the devsets, tune and report parts (`bench/devset_split.json`), whose topic is
a topic with subtopics or one of them (`classification`, `classification/lightweight`, `gan`,
`gan/applications`, ...): its labelled topic and the words of its title and abstract
(`subtopic.tokens`, counted). `subtopic.place` adds each row to the documents of its topic. The product
reads every row; `bench/devset.py` keeps the tune part's alone (`subtopic.fit_only`), and only the tune
part is cross-validated and printed here (the report part's rows are written, never read to choose
anything). Prints, leaving one tune paper out, how many of them `place` files where they are labelled,
from their title, abstract and body names (no parents: the same count for both), with the table and
without it (the tree's entries and the topics' own words alone). With `--check` the table is not
written. Extractions are cached with the diagram table's (`cache/diagram_table.pickle`).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alphatree_ingest.catalog import Catalog  # noqa: E402
from alphatree_ingest.drafting import subtopic  # noqa: E402
from bench.devset import REPO, read_split  # noqa: E402
from bench.diagram_table import extracted, labelled_parts, write_table  # noqa: E402


def families(topics: dict[str, Any]) -> set[str]:
    """The topics with subtopics, and those subtopics: where a paper's place is chosen by content."""
    roots = {t.parent for t in topics.values() if t.parent}
    return roots | {t.id for t in topics.values() if t.parent in roots}


def main(argv: list[str]) -> int:
    split = read_split()
    papers = labelled_parts(split)
    if papers is None:
        return 2
    catalog = Catalog(REPO / "catalog").load()
    placed = families(catalog.topics)
    papers = [p for p in papers if p.label["topic"] in placed]
    got = extracted(papers)
    rows = []
    for paper in papers:
        result = got[paper.arxiv_id]["result"]
        words = Counter(subtopic.tokens(f"{paper.label['title']} {result.abstract}"))
        rows.append(
            {"paper": paper.arxiv_id, "topic": paper.label["topic"], "words": dict(sorted(words.items()))}
        )
    tune = [p for p in papers if split[p.arxiv_id] == "tune"]
    with tempfile.TemporaryDirectory() as folder:  # the cross-validation reads a table of its own
        shipped, subtopic.TABLE = subtopic.TABLE, Path(folder) / "table.json"
        subtopic.TABLE.write_text(json.dumps({"papers": rows}))
        for name, use in (("without the table", False), ("with the table", True)):
            right = 0
            for paper in tune:
                subtopic.fit_only({q.arxiv_id for q in tune} - {paper.arxiv_id} if use else ())
                result = got[paper.arxiv_id]["result"]
                root = paper.label["topic"].split("/")[0]
                text = f"{paper.label['title']} {result.abstract}"
                where = subtopic.place(text, root, catalog.topics, catalog.entries, [], result.names)
                right += where is not None and where.topic == paper.label["topic"]
            print(f"{name}, leave one tune paper out: {right}/{len(tune)} = {right / len(tune):.3f}")
        subtopic.TABLE = shipped
        subtopic.fit_only(None)
    if "--check" not in argv:
        about = (
            "Title and abstract words of the labelled papers of topics with subtopics, tune and report parts "
            "(bench/subtopic_table.py); bench/devset.py keeps the tune part's alone."
        )
        write_table(subtopic.TABLE, about, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
