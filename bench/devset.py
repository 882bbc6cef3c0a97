"""What a curator receives, scored on the hand-labelled devsets, on a fixed tune / report split.

Usage: python bench/devset.py [CV_DIR] [--verbose] [--part tune|report|fresh|both|all]
       python bench/devset.py --freeze [--into tune|report|fresh]

Papers: the twelve of `../shared/figure-devset/cv/` (`labels.json`, PDFs beside it) and devset2,
`bench/devset2/labels-*.json` and the light labels `bench/devset2/light-*.json` (code, diagram, parents,
topic and abstract; `figures` null: they count for everything but figures and kinds), with PDFs in
`cache/devset2/<arxiv id>.pdf` (git-ignored; rebuild it from `bench/devset2/manifest-*.json`: each PDF's
source repository, path, blob id and sha256, see `python bench/devset_cache.py`).
`bench/devset_split.json` assigns each paper to `tune` (rules and models are fitted on these),
`report` or `fresh` (numbers read only to report them: those parts print their totals and no line per
paper, with or without `--verbose`; `fresh` is a batch labelled later and kept whole). The split is
fixed: `--freeze` adds papers not yet in it, each to the part with fewer papers of its topic (ties by
a hash of the arXiv id), or all to one part with `--into`, and never moves a paper already there. The
twelve `cv/` papers are all `tune`: the hand rules were tuned on them for weeks. Given a CV_DIR, only
that folder is scored (no split).

Each paper goes through the draft path of `alphatree ingest` offline (GitHub unreachable): extraction,
code candidates from the paper, parents and topic from the tree, the diagram suggestion. The learned
parts (the diagram ranker, the parents model, the papers that describe each subtopic) use the tune
part's papers alone, though the shipped tables hold the report part's too (and a tune paper is
placed without its own row of the subtopic table, which would place it by itself). Reported per
paper and in total, with the labels' scoring rules (README of the devset):
figures precision/recall (same page, same number, IoU >= 0.8), kind accuracy (on matched figures),
diagram agreement, first code link agreement (owner/name) among papers that state one, false
"official" links, parents recall at 3 (papers with labelled parents), topic agreement, abstracts
correct (first and last words). And what a curator would have to undo: parents precision (suggested
parents that are labelled) and exact parents (the suggested set is the labelled one, empty included),
and papers that state no code but get a code link. Exits 2 when the devset is missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alphatree_ingest.catalog import Catalog  # noqa: E402
from alphatree_ingest.drafting.diagram import fit_only  # noqa: E402
from alphatree_ingest.drafting.draft import build_entry  # noqa: E402
from alphatree_ingest.drafting.parents import fit_only as parents_fit_only  # noqa: E402
from alphatree_ingest.drafting.subtopic import fit_only as subtopic_fit_only  # noqa: E402
from alphatree_ingest.models import Paper, Translation  # noqa: E402
from alphatree_ingest.pdf.extract import extract  # noqa: E402
from bench.figure_quality import iou  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "figure-devset" / "cv"


def repo_key(url: str | None) -> str | None:
    if not url:
        return None
    match = re.search(r"github\.com/([\w.\-]+)/([\w.\-]+)", url, re.IGNORECASE)
    if match:
        return f"{match.group(1)}/{match.group(2)}".lower().removesuffix(".git")
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip().lower()).rstrip("/")  # a lab page


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def abstract_ok(abstract: str, first: str, last: str) -> bool:
    got = _words(abstract)
    want_first, want_last = _words(first), _words(last)
    return got[: len(want_first)] == want_first and got[-len(want_last) :] == want_last


@dataclass
class Totals:
    tp: int = 0
    predicted: int = 0
    gold: int = 0
    kinds_right: int = 0
    kinds_seen: int = 0
    diagram: int = 0
    code_right: int = 0
    code_stated: int = 0
    false_official: int = 0
    parents_found: int = 0
    parents_papers: int = 0
    parents_suggested: int = 0
    parents_right: int = 0
    parents_exact: int = 0
    code_unstated: int = 0
    code_invented: int = 0
    topic: int = 0
    topics: int = 0
    abstracts: int = 0
    papers: int = 0
    notes: list[str] = field(default_factory=list)

    def report(self) -> dict[str, object]:
        def ratio(a: int, b: int) -> float:
            return round(a / b, 3) if b else 0.0

        return {
            "papers": self.papers,
            "figures_precision": ratio(self.tp, self.predicted),
            "figures_recall": ratio(self.tp, self.gold),
            "kind_accuracy": ratio(self.kinds_right, self.kinds_seen),
            "diagram_agreement": ratio(self.diagram, self.papers),
            "first_code_link": ratio(self.code_right, self.code_stated),
            "false_official": self.false_official,
            "parents_recall_at_3": ratio(self.parents_found, self.parents_papers),
            "parents_precision": ratio(self.parents_right, self.parents_suggested),
            "parents_exact": ratio(self.parents_exact, self.papers),
            "code_link_without_stated_code": f"{self.code_invented} of {self.code_unstated}",
            "topic_agreement": ratio(self.topic, self.topics),
            "abstracts_correct": ratio(self.abstracts, self.papers),
        }


def score_figures(figures: list, label: dict, totals: Totals, verbose: bool) -> None:  # type: ignore[type-arg]
    """Figures found against the labelled ones: same page and number, IoU >= 0.8, and their kinds."""
    predicted = {(f.page, f.number): f for f in figures}
    gold = {(f["page"], f["number"]): f for f in label["figures"]}
    totals.predicted += len(predicted)
    totals.gold += len(gold)
    for key, fig in predicted.items():
        want = gold.get(key)
        overlap = iou(list(fig.bbox), want["bbox"]) if want else 0.0
        totals.tp += overlap >= 0.8
        if want and overlap >= 0.8:
            totals.kinds_seen += 1
            totals.kinds_right += fig.kind == want["kind"]
            if verbose and fig.kind != want["kind"]:
                print(f"  kind p{key[0]} fig {key[1]}: got {fig.kind}, want {want['kind']}")
        elif verbose:
            box = [round(v) for v in fig.bbox]
            print(f"  wrong p{key[0]} fig {key[1]}: iou {overlap:.2f} got {box} want {want and want['bbox']}")
    for key in gold.keys() - predicted.keys():
        if verbose:
            print(f"  missed p{key[0]} fig {key[1]} ({gold[key]['kind']})")


def score_paper(
    pdf: Path,
    label: dict,  # type: ignore[type-arg]
    tree: list,  # type: ignore[type-arg]
    totals: Totals,
    verbose: bool,
    topics: dict | None = None,  # type: ignore[type-arg]
    *,
    quiet: bool = False,
) -> None:
    """Score one paper into `totals`; print its line (and with `verbose` its misses) unless `quiet`."""
    verbose = verbose and not quiet
    result = extract(pdf)
    if label["figures"] is not None:  # a light label (code, diagram, parents, topic) has no boxes
        score_figures(result.figures, label, totals, verbose)
    paper = Paper(
        arxiv_id=label["arxiv_id"],
        title=label["title"],
        authors=[],
        abstract=result.abstract,
        published=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        pdf_url=f"https://arxiv.org/pdf/{label['arxiv_id']}",
    )
    files = {f.key: f"figures/{label['arxiv_id']}/fig-{f.key}.png" for f in result.figures}  # as stored
    translation = Translation(title_zh="", abstract_zh="", model="none", backend="none")
    entry = build_entry(
        paper,
        result,
        translation,
        topic=(label["topic"] or "none").split("/")[0],  # no topic: a paper outside the tree
        tree=tree,
        taken_slugs=set(),
        figure_files=files,
        **({"topics": topics} if "topics" in inspect.signature(build_entry).parameters else {}),
    )
    diagram = next((n for n, f in files.items() if f == entry.diagram), None)
    totals.diagram += diagram == label["diagram"]
    first = entry.code[0].url if entry.code else None
    if label["code"]:
        totals.code_stated += 1
        totals.code_right += repo_key(first) == repo_key(label["code"])
    official = [c.url for c in entry.code if c.official and repo_key(c.url) != repo_key(label["code"])]
    totals.false_official += len(official)
    if label["parents"]:
        totals.parents_papers += 1
        totals.parents_found += bool(set(entry.parents[:3]) & set(label["parents"]))
    # what a curator must undo: parents that are not the paper's, a code link for a paper without code
    totals.parents_suggested += len(entry.parents)
    totals.parents_right += len(set(entry.parents) & set(label["parents"]))
    totals.parents_exact += set(entry.parents) == set(label["parents"])
    if not label["code"]:
        totals.code_unstated += 1
        totals.code_invented += bool(entry.code)
    if label["topic"]:  # a paper outside the tree's topics (NLP, RL) has no topic to get right
        totals.topics += 1
        totals.topic += entry.topic == label["topic"]
    ok_abstract = abstract_ok(result.abstract, label["abstract_first"], label["abstract_last"])
    totals.abstracts += ok_abstract
    totals.papers += 1
    if quiet:
        return
    print(
        f"{label['arxiv_id']}: diagram {diagram} (want {label['diagram']}); code {repo_key(first)} "
        f"(want {repo_key(label['code'])}){' FALSE OFFICIAL ' + str(official) if official else ''}; "
        f"parents {entry.parents[:3]} (want {label['parents']}); "
        f"topic {entry.topic} (want {label['topic']}); "
        f"abstract {'ok' if ok_abstract else 'WRONG: ' + result.abstract[:60]!r}"
    )


def run(folder: Path, *, verbose: bool = False) -> dict[str, object]:
    """Score every labelled paper of the devset folder; the totals as in `Totals.report`."""
    catalog = Catalog(REPO / "catalog").load()
    totals = Totals()
    for label in json.loads((folder / "labels.json").read_text()):
        score_paper(folder / label["file"], label, catalog.entries, totals, verbose, catalog.topics)
    return totals.report()


DEVSET2 = REPO / "bench" / "devset2"
CACHE2 = REPO / "cache" / "devset2"
SPLIT = REPO / "bench" / "devset_split.json"


@dataclass
class Labelled:
    arxiv_id: str
    topic: str
    pdf: Path
    label: dict  # type: ignore[type-arg]
    source: str


def labelled_papers(cv: Path = DEFAULT) -> list[Labelled]:
    """Every labelled paper of both devsets whose PDF is here (devset2 papers without a cached PDF are
    named on stderr and left out); a paper labelled twice keeps its first label."""
    found: dict[str, Labelled] = {}
    sources = [(cv / "labels.json", cv, "cv")] + [
        (f, CACHE2, f"devset2/{f.stem}")
        for f in sorted(DEVSET2.glob("labels-*.json")) + sorted(DEVSET2.glob("light-*.json"))
    ]
    for labels, pdfs, source in sources:
        if not labels.is_file():
            continue
        try:
            items = json.loads(labels.read_text())
        except json.JSONDecodeError as err:  # a file being written: the papers before are still read
            print(f"warning: {labels} is not valid JSON yet ({err}); skipped", file=sys.stderr)
            continue
        for label in items:
            arxiv_id = label["arxiv_id"]
            name = label.get("file") if source == "cv" else None
            pdf = pdfs / (name or f"{arxiv_id}.pdf")
            if arxiv_id in found:
                continue
            if not pdf.is_file():
                print(f"warning: {arxiv_id} ({source}) has no PDF at {pdf}; skipped", file=sys.stderr)
                continue
            found[arxiv_id] = Labelled(arxiv_id, label["topic"], pdf, label, source)
    return list(found.values())


PARTS = ("tune", "report", "fresh")
"""tune: rules and models are fitted on it; report: read only as totals; fresh: a batch labelled later
and kept whole, read only as totals, for a measure that no count of the report part's misses touched."""


def _hash(arxiv_id: str) -> str:
    return hashlib.sha256(arxiv_id.encode()).hexdigest()


def read_split() -> dict[str, str]:
    return json.loads(SPLIT.read_text()) if SPLIT.is_file() else {}


def freeze(papers: list[Labelled], into: str | None = None) -> dict[str, str]:
    """The split with every new paper added: `cv/` papers to tune; each devset2 paper to the part with
    fewer papers of its topic so far, ties by the hash of its arXiv id; with `into`, every new paper to
    that part (a batch kept whole as a fresh unseen part). Papers already split stay."""
    split = read_split()
    for paper in sorted(papers, key=lambda p: _hash(p.arxiv_id)):
        if paper.arxiv_id in split:
            continue
        if into is not None:
            split[paper.arxiv_id] = into
            continue
        if paper.source == "cv":
            split[paper.arxiv_id] = "tune"
            continue
        same = [
            split[p.arxiv_id]
            for p in papers
            if p.topic == paper.topic and p.arxiv_id in split and p.source != "cv"
        ]
        tune, report = same.count("tune"), same.count("report")
        if tune != report:
            split[paper.arxiv_id] = "tune" if tune < report else "report"
        else:
            split[paper.arxiv_id] = "tune" if int(_hash(paper.arxiv_id), 16) % 2 == 0 else "report"
    return dict(sorted(split.items()))


def run_split(
    papers: list[Labelled], split: dict[str, str], parts: list[str], *, verbose: bool = False
) -> dict[str, dict[str, object]]:
    """Both parts scored apart (papers not in the split are named and left out)."""
    catalog = Catalog(REPO / "catalog").load()
    results: dict[str, dict[str, object]] = {}
    missing = [p.arxiv_id for p in papers if p.arxiv_id not in split]
    if missing:
        print(f"warning: not in the split (run --freeze): {', '.join(missing)}", file=sys.stderr)
    tune = {p for p, where in split.items() if where == "tune"}
    for part in parts:
        totals = Totals()
        chosen = [p for p in papers if split.get(p.arxiv_id) == part]
        print(f"--- {part}: {len(chosen)} papers", flush=True)
        for paper in chosen:
            # a tune paper's own row in the subtopic table would place it by itself: it is left out
            subtopic_fit_only(tune - {paper.arxiv_id})
            try:
                # the unseen parts print their totals only: no line per paper to pick a rule from
                quiet = part != "tune"
                entries, topics = catalog.entries, catalog.topics
                score_paper(paper.pdf, paper.label, entries, totals, verbose, topics, quiet=quiet)
            except Exception as err:  # one broken label or PDF must not hide the others' numbers
                print(f"error: {paper.arxiv_id}: {type(err).__name__}: {err}", file=sys.stderr)
        results[part] = totals.report()
    subtopic_fit_only(tune)
    return results


def _option(argv: list[str], flag: str) -> tuple[str | None, list[str]]:
    """The value after `flag` ("" when it is last; None when absent) and the arguments without both."""
    if flag not in argv:
        return None, argv
    at = argv.index(flag)
    return (argv[at + 1] if at + 1 < len(argv) else ""), argv[:at] + argv[at + 2 :]


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    part, argv = _option(argv, "--part")
    part = "all" if part is None else part
    if part not in (*PARTS, "both", "all"):
        print("error: --part takes tune, report, fresh, both (tune and report) or all", file=sys.stderr)
        return 2
    into, argv = _option(argv, "--into")
    if into is not None and (into not in PARTS or "--freeze" not in argv):
        print("error: --into takes tune, report or fresh, with --freeze", file=sys.stderr)
        return 2
    tune = [p for p, where in read_split().items() if where == "tune"]
    # the diagram ranker, the parents model, the subtopics' papers: the report part stays unseen
    fit_only(tune)
    parents_fit_only(tune)
    subtopic_fit_only(tune)
    args = [a for a in argv if not a.startswith("--")]
    if args:
        folder = Path(args[0])
        if not (folder / "labels.json").is_file():
            print(f"error: no devset at {folder} (labels.json missing); give its folder", file=sys.stderr)
            return 2
        print(json.dumps(run(folder, verbose=verbose), indent=1))
        return 0
    if not (DEFAULT / "labels.json").is_file():
        print(f"error: no devset at {DEFAULT} (labels.json missing); give its folder", file=sys.stderr)
        return 2
    papers = labelled_papers()
    if "--freeze" in argv:
        split = freeze(papers, into)
        SPLIT.write_text(json.dumps(split, indent=1) + "\n")
        counts = {k: list(split.values()).count(k) for k in PARTS}
        print(f"split written to {SPLIT}: {counts}")
        return 0
    split = read_split()
    present = [p for p in PARTS if p in split.values()]
    parts = {"both": ["tune", "report"], "all": present}.get(part, [part])
    print(json.dumps(run_split(papers, split, parts, verbose=verbose), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
