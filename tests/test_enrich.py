"""Bringing the tree up to the standard through the real CLI: `enrich` drafts what a seed entry lacks
from its paper (served by the loopback arXiv), review merges only that; `add` drafts a classic by id."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alphatree_ingest.drafting.enrich import CURATED, lacks, merge
from alphatree_ingest.models import CatalogEntry
from tests.conftest import InProcessCli, cli_env
from tests.support import ArxivServer, FeedEntry, make_paper_pdf, save_yaml

DPN_ABSTRACT = (
    "We present Dual Path Networks (DPN), a simple and modular architecture for image classification. "
    "It reuses features like ResNeXt and explores new features like DenseNet. "
    "Our code is available at https://github.com/example/dpn."
)
DPN_ZH = (
    "我们提出双路径网络（DPN），一种用于图像分类的简单模块化结构。"
    "它像 ResNeXt 一样复用特征，又像 DenseNet 一样探索新特征。"
    "代码发布在 https://github.com/example/dpn。"
)
NIN_ABSTRACT = "We propose Network In Network (NIN), micro networks inside convolutional layers."
FASTER = "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks"
FASTER_ABSTRACT = (
    "We introduce a Region Proposal Network (RPN) that shares full-image convolutional features with "
    "the detection network. Code is available at https://github.com/example/faster-rcnn."
)


def _serve_seed_papers(server: ArxivServer) -> None:
    """The papers of two seed entries (DPN, NIN) and an old detection classic, as arXiv has them."""
    server.add(
        FeedEntry(
            "1707.01629", "Dual Path Networks", DPN_ABSTRACT, version=4, published="2017-07-06T10:00:00Z"
        ),
        make_paper_pdf("Dual Path Networks", DPN_ABSTRACT, code_url="https://github.com/example/dpn"),
    )
    server.add(
        FeedEntry(
            "1312.4400", "Network In Network", NIN_ABSTRACT, version=3, published="2013-12-16T10:00:00Z"
        ),
        make_paper_pdf("Network In Network", NIN_ABSTRACT, code_url="https://github.com/example/nin"),
    )
    server.add(
        FeedEntry("1506.01497", FASTER, FASTER_ABSTRACT, version=3, published="2015-06-04T10:00:00Z"),
        make_paper_pdf(FASTER, FASTER_ABSTRACT, code_url="https://github.com/example/faster-rcnn"),
    )


def _tree_files(home: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted((home / "catalog" / "tree").rglob("*.yaml"))}


@pytest.mark.slow
def test_enrich_drafts_what_an_entry_lacks_and_approval_merges_only_that(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, cli: InProcessCli
) -> None:
    _serve_seed_papers(arxiv_server)
    env = cli_env(home, arxiv_server, tiny_model)
    entry_file = home / "catalog" / "tree" / "classification" / "dpn.yaml"
    before = yaml.safe_load(entry_file.read_text())
    tree_before = _tree_files(home)

    result = cli(["enrich", "dpn"], env)
    assert result.returncode == 0, result.stderr
    assert "[1/1] dpn: arXiv 1707.01629v4 Dual Path Networks" in result.stderr
    assert "[1/1] dpn  drafted" in result.stdout and "1 drafted" in result.stdout, result.stdout
    # the lookup went by id, through the limiter, once; then the PDF
    asked = [path for _, path in arxiv_server.requests]
    assert asked[0].startswith("/api/query?") and "id_list=1707.01629" in asked[0], asked
    assert asked[1:] == ["/pdf/1707.01629v4"]

    draft_file = home / "catalog" / "drafts" / "1707.01629.yaml"
    text = draft_file.read_text()
    assert text.startswith("# ENRICHMENT of the tree entry dpn (tree/classification/dpn.yaml)")
    draft = yaml.safe_load(text)
    assert draft["provenance"]["enriches"]["entry"] == "dpn"
    assert draft["provenance"]["enriches"]["adds"] == [
        "diagram",
        "figures",
        "abstract",
        "abstract_zh",
        "code",
    ]
    assert draft["code"][0]["url"] == "https://github.com/example/dpn"
    assert draft["diagram"] == draft["figures"][0]["file"]
    for field in CURATED:
        assert draft.get(field) == before.get(field), field
    assert _tree_files(home) == tree_before  # nothing in the tree before approval

    listed = cli(["review", "list"], env)
    assert "1707.01629" in listed.stdout and "enriches dpn" in listed.stdout
    shown = cli(["review", "show", "1707.01629"], env)
    assert "ENRICHMENT of tree entry dpn" in shown.stdout

    # the reviewer corrects the machine Chinese abstract, and tries to retitle the entry in passing
    draft["abstract_zh"] = DPN_ZH
    draft["title_zh"] = "双通道网络"
    save_yaml(draft_file, draft)
    refused = cli(["review", "approve", "1707.01629"], env)
    assert refused.returncode == 2
    assert "enrichment changes title_zh, a field of the entry's own" in refused.stderr
    assert _tree_files(home) == tree_before

    draft["title_zh"] = before["title_zh"]
    save_yaml(draft_file, draft)
    ok = cli(["review", "approve", "1707.01629"], env)
    assert ok.returncode == 0, ok.stderr
    assert (
        "Enriched the entry in its own file with: diagram, figures, abstract, abstract_zh, code" in ok.stdout
    )

    after = yaml.safe_load(entry_file.read_text())
    assert sorted(_tree_files(home)) == sorted(tree_before)  # no new tree file: the entry kept its file
    for field in CURATED:
        assert after.get(field) == before.get(field), field
    assert after["status"] == "approved" and after["provenance"]["reviewed_by"] == "seed"
    assert after["provenance"]["enriched"]["from"] == "arXiv 1707.01629v4"
    assert after["abstract"] == DPN_ABSTRACT and after["abstract_zh"] == DPN_ZH
    assert any(c["framework"] == "pytorch" for c in after["code"])
    assert after["diagram"] in [f["file"] for f in after["figures"]] and after["version"] == 4
    for fig in after["figures"]:
        assert (home / "catalog" / fig["file"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not draft_file.exists()
    # approval made the reading page, as for a new entry
    assert (home / "catalog" / "reading" / "dpn.md").is_file(), ok.stdout

    # never drafted twice
    asked = len(arxiv_server.requests)
    again = cli(["enrich", "dpn"], env)
    assert again.returncode == 0, again.stderr
    assert len(arxiv_server.requests) == asked
    assert "skipped  dpn: enriched before, from arXiv 1707.01629v4" in again.stdout
    assert not draft_file.exists()
    published = cli(["publish"], env)
    assert published.returncode == 0, published.stderr
    assert "Dual Path" in (home / "site" / "entries" / "dpn.md").read_text()


@pytest.mark.slow
def test_a_rejected_enrichment_is_remembered(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, cli: InProcessCli
) -> None:
    _serve_seed_papers(arxiv_server)
    env = cli_env(home, arxiv_server, tiny_model)
    tree_before = _tree_files(home)
    first = cli(["enrich", "nin"], env)
    assert first.returncode == 0 and "[1/1] nin  drafted" in first.stdout, first.stderr
    rejected = cli(["review", "reject", "1312.4400", "--reason", "figures unreadable"], env)
    assert rejected.returncode == 0, rejected.stderr
    assert _tree_files(home) == tree_before

    asked = len(arxiv_server.requests)
    again = cli(["enrich", "nin"], env)
    assert again.returncode == 0, again.stderr
    assert "skipped  nin: rejected by a reviewer" in again.stdout and "0 drafted" in again.stdout
    assert not (home / "catalog" / "drafts" / "1312.4400.yaml").exists()
    assert len(arxiv_server.requests) == asked  # not even looked up again


@pytest.mark.slow
def test_add_drafts_an_old_paper_by_id_and_never_twice(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, cli: InProcessCli
) -> None:
    _serve_seed_papers(arxiv_server)
    env = cli_env(home, arxiv_server, tiny_model)
    result = cli(["add", "1506.01497", "1512.03385", "--topic", "detection"], env)
    assert result.returncode == 1  # this arXiv does not serve ResNet: one paper failed, said so
    assert "[1/1] 1506.01497  drafted" in result.stdout, result.stdout
    assert "1512.03385  FAILED  arXiv does not know 1512.03385" in result.stdout
    draft = yaml.safe_load((home / "catalog" / "drafts" / "1506.01497.yaml").read_text())
    assert draft["topic"] == "detection" and draft["year"] == 2015 and draft["version"] == 3
    assert draft["code"][0]["url"] == "https://github.com/example/faster-rcnn"
    assert "enriches" not in draft["provenance"]

    again = cli(["add", "1506.01497", "1707.01629", "--topic", "detection"], env)
    assert again.returncode == 0, again.stdout
    assert "skipped  1506.01497: already drafted, waiting for review" in again.stdout
    assert "skipped  1707.01629: already in the tree as dpn; `alphatree enrich dpn`" in again.stdout
    assert "0 drafted" in again.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["enrich", "no-such-entry"], "error: no entry 'no-such-entry' in the tree"),
        (["enrich", "lenet"], "error: entry lenet has no arXiv id"),
        (["enrich", "--topic", "no-such-topic"], "error: unknown topic 'no-such-topic'"),
        (["add", "1506.01497", "--topic", "no-such-topic"], "error: unknown topic 'no-such-topic'"),
        (["add", "not-an-id", "--topic", "detection"], "error: 'not-an-id' is not an arXiv id"),
    ],
)
def test_bad_names_stop_in_one_sentence(home: Path, args: list[str], message: str, cli: InProcessCli) -> None:
    result = cli(args, cli_env(home, None, None, ALPHATREE_ARXIV_API="http://127.0.0.1:9/api/query"))
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert not (home / "catalog" / "drafts").exists()


@pytest.mark.slow
def test_unreachable_arxiv_stops_enrich_in_one_sentence(
    home: Path, tiny_model: Path, cli: InProcessCli
) -> None:
    env = cli_env(
        home, None, tiny_model, ALPHATREE_ARXIV_API="http://127.0.0.1:9/api/query", ALPHATREE_ARXIV_DELAY="0"
    )
    result = cli(["enrich", "dpn", "nin"], env, timeout=120)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot reach 127.0.0.1:9" in errors[0].lower(), result.stderr
    assert "Traceback" not in result.stderr
    assert not list((home / "catalog" / "drafts").glob("*.yaml"))


# --- the pure parts: what an entry lacks, the merge, the gate ------------------------------------


def _seed(**changes: object) -> CatalogEntry:
    data = {
        "id": "dpn",
        "name": "DPN",
        "arxiv": "1707.01629",
        "title": "Dual Path Networks",
        "title_zh": "双路径网络",
        "year": 2017,
        "venue": "NIPS 2017",
        "topic": "classification",
        "parents": ["resnext", "densenet"],
        "summary_zh": "双路径。",
        "notes": "two paths",
        "metrics": {"top1_error": 18.5},
        "code": [{"url": "https://github.com/cypw/DPNs", "framework": "mxnet"}],
        "status": "approved",
        "provenance": {"source": "seed", "reviewed_by": "seed"},
    }
    data.update(changes)
    return CatalogEntry.model_validate(data)


def _offer(base: CatalogEntry | None = None, **changes: object) -> CatalogEntry:
    data = (base or _seed()).model_dump()
    data.update(
        title_zh="双通道网络（机器）",
        parents=["resnet"],
        version=4,
        abstract=DPN_ABSTRACT,
        abstract_zh=DPN_ZH,
        figures=[
            {"file": "figures/1707.01629/fig1.png", "caption": "Figure 1: Overview", "kind": "architecture"},
            {"file": "figures/1707.01629/fig2.png", "caption": "Figure 2: Curves", "kind": "plot"},
        ],
        diagram="figures/1707.01629/fig1.png",
        code=[
            {"url": "https://github.com/cypw/DPNs", "framework": "mxnet"},
            {"url": "https://github.com/example/dpn", "framework": "pytorch"},
        ],
        status="draft",
        provenance={"enriches": {"entry": "dpn", "file": "tree/classification/dpn.yaml"}},
    )
    data.update(changes)
    return CatalogEntry.model_validate(data)


def test_merge_takes_only_what_the_entry_lacks_and_keeps_every_curated_field() -> None:
    entry = _seed()
    assert lacks(entry) == ["diagram", "figures", "abstract_zh", "code"]
    merged, added = merge(entry, _offer())
    assert added == ["diagram", "figures", "abstract", "abstract_zh", "code"]
    for field in CURATED:
        assert getattr(merged, field) == getattr(entry, field), field
    assert merged.provenance == entry.provenance and merged.status == "approved"
    assert [c.url for c in merged.code] == ["https://github.com/cypw/DPNs", "https://github.com/example/dpn"]
    assert merged.version == 4 and lacks(merged) == []

    # what the entry has stays its own: its Chinese abstract, its figures (the diagram's figure joins
    # them), its PyTorch link
    own = _seed(
        abstract_zh="已有的摘要。",
        figures=[{"file": "figures/dpn/own.png"}],
        code=[{"url": "https://github.com/own/dpn", "framework": "pytorch"}],
    )
    merged, added = merge(own, _offer())
    assert added == ["diagram", "figures", "abstract"]
    assert merged.abstract_zh == "已有的摘要。" and [c.url for c in merged.code] == [
        "https://github.com/own/dpn"
    ]
    assert [f.file for f in merged.figures] == ["figures/dpn/own.png", "figures/1707.01629/fig1.png"]
    assert merge(merged, _offer())[1] == []


def test_the_gate_of_an_enrichment_checks_what_it_adds_and_refuses_curated_edits(home: Path) -> None:
    from alphatree_ingest.catalog import Catalog
    from alphatree_ingest.review.gate import gate

    snapshot = Catalog(home / "catalog").load()
    dpn = next(s.entry for s in snapshot.tree if s.entry.id == "dpn")
    curated = {"title_zh": dpn.title_zh, "parents": dpn.parents}
    assert gate(_offer(dpn, **curated), snapshot) == []
    problems = gate(_offer(dpn), snapshot)  # the offer changes title_zh and parents
    assert [p.split(",")[0] for p in problems] == [
        "enrichment changes title_zh",
        "enrichment changes parents",
    ]
    problems = gate(_offer(dpn, **curated, code=[], abstract_zh="We present DPN."), snapshot)
    assert "no code link with framework: pytorch" in problems
    assert any(p.startswith("abstract_zh") for p in problems), problems
    gone = _offer(dpn, **curated, provenance={"enriches": {"entry": "no-such-entry"}})
    assert gate(gone, snapshot) == [
        "the entry 'no-such-entry' this enriches is not in the tree with arXiv 1707.01629"
    ]


def test_a_rejected_enrichment_is_no_negative_example_for_relevance(home: Path) -> None:
    import datetime as dt

    from alphatree_ingest.catalog import Catalog, entry_to_yaml
    from alphatree_ingest.discover import night, planning
    from alphatree_ingest.models import Paper, TopicState

    catalog = Catalog(home / "catalog")
    paper = Paper(
        arxiv_id="2611.00009",
        title="Dual Path Networks Revisited",
        authors=["A"],
        abstract="Dual path networks share and explore features for image classification.",
        published=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        pdf_url="https://arxiv.org/pdf/2611.00009v1",
    )

    def score() -> float:
        snapshot = catalog.load()
        ranker = night.ranker_for(catalog, snapshot)  # as the flow, the dry run and decisions get it
        found = planning.plan(
            snapshot, [paper], TopicState(), topic="classification", min_relevance=0, ranker=ranker
        )
        return found.relevance[paper.arxiv_id][0]

    before = score()
    rejected = _offer(status="rejected")
    (home / "catalog" / "rejected").mkdir()
    (home / "catalog" / "rejected" / "1707.01629.yaml").write_text(entry_to_yaml(rejected))
    assert score() == before


def test_the_review_form_says_what_an_enrichment_adds_and_how_to_fix_a_curated_edit() -> None:
    from alphatree_ingest.review.form import context, hint

    problem = "enrichment changes title_zh, a field of the entry's own: put it back as in tree/x.yaml"
    text = context(
        _offer(provenance={"enriches": {"entry": "dpn", "file": "tree/x.yaml", "adds": ["code"]}}),
        [problem],
        "catalog/drafts/1707.01629.yaml",
    )
    assert "**Enrichment of the tree entry `dpn`** (`tree/x.yaml`): approval adds only code" in text
    assert hint(problem).startswith("leave the entry's own fields as they are")


def test_an_untouched_review_form_changes_no_field_of_a_seed_entry_without_level(home: Path) -> None:
    """Seed entries have no `level`; the form offers `advanced` first. Submitted untouched, the form of
    their enrichment must not write a level into the draft (the gate would refuse it as a curated edit,
    round after round)."""
    from alphatree_ingest.catalog import Catalog
    from alphatree_ingest.review.form import edits, form_fields
    from alphatree_ingest.review.gate import gate

    snapshot = Catalog(home / "catalog").load()
    dpn = next(s.entry for s in snapshot.tree if s.entry.id == "dpn")
    assert dpn.level is None
    draft = _offer(dpn, title_zh=dpn.title_zh, parents=dpn.parents)
    answer = {name: value for name, (_, value) in form_fields(draft, snapshot).items()}
    changed = edits(draft, answer)
    assert "level" not in changed
    assert gate(CatalogEntry.model_validate({**draft.model_dump(), **changed}), snapshot) == []


def test_a_broken_enrichment_draft_is_listed_and_named_not_hidden_by_its_tree_entry(home: Path) -> None:
    """A reviewer's half-edited enrichment draft (not YAML) shares its arXiv id with a tree entry: the
    queue still lists it with the reason, and approving it says it does not validate."""
    from alphatree_ingest.catalog import Catalog
    from alphatree_ingest.review.gate import ReviewError, decide, queue

    catalog = Catalog(home / "catalog")
    catalog.drafts_dir.mkdir()
    (catalog.drafts_dir / "1707.01629.yaml").write_text("id: dpn\nname: [unclosed\n")
    items = queue(catalog, catalog.load())
    assert [(i.arxiv, i.entry) for i in items] == [("1707.01629", None)]
    assert "not valid YAML" in items[0].problems[0]
    with pytest.raises(ReviewError, match="does not validate"):
        decide(catalog, "1707.01629", "approve", reviewer="r")


def test_a_review_run_started_after_the_decision_says_what_became_of_the_enrichment(home: Path) -> None:
    from alphatree_ingest.catalog import Catalog, entry_to_yaml
    from alphatree_ingest.review.gate import decide
    from flows.review import _decided_elsewhere

    catalog = Catalog(home / "catalog")
    dpn = next(s.entry for s in catalog.load().tree if s.entry.id == "dpn")
    offer = _offer(dpn, title_zh=dpn.title_zh, parents=dpn.parents)
    catalog.drafts_dir.mkdir()
    (catalog.drafts_dir / "1707.01629.yaml").write_text(entry_to_yaml(offer))
    decide(catalog, "1707.01629", "reject", reviewer="ada", reason="blurry figures")
    assert _decided_elsewhere(catalog, "1707.01629").startswith("1707.01629 was rejected (decided by ada")

    nin = next(s.entry for s in catalog.load().tree if s.entry.id == "nin")
    offer = _offer(nin, title_zh=nin.title_zh, parents=nin.parents, provenance={"enriches": {"entry": "nin"}})
    (catalog.drafts_dir / "1312.4400.yaml").write_text(entry_to_yaml(offer))
    decide(catalog, "1312.4400", "approve", reviewer="alan")
    assert _decided_elsewhere(catalog, "1312.4400").startswith("1312.4400 was approved (decided by alan")


@pytest.mark.slow
def test_add_names_the_stage_a_paper_failed_at_and_drafts_the_rest(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, cli: InProcessCli
) -> None:
    """`add` runs the flow's per-paper sequence (`stages.one_paper`): a missing PDF fails at fetch,
    another paper behind the link fails at extract, and the good paper is drafted."""
    for n, title in enumerate(["Region Pooling Nets", "Anchor Free Boxes", "Dense Proposal Heads"], 1):
        abstract = f"We propose {title} for object detection."
        pdf = make_paper_pdf(title, abstract)
        if n == 2:
            pdf = make_paper_pdf("Quantum Annealing of Spin Glasses in Cold Atoms", "We cool atoms. " * 40)
        arxiv_server.add(FeedEntry(f"2611.0000{n}", title, abstract, published="2026-11-02T10:00:00Z"), pdf)
    del arxiv_server.pdfs["2611.00003v1"]
    env = cli_env(home, arxiv_server, tiny_model)
    result = cli(["add", "2611.00001", "2611.00002", "2611.00003", "--topic", "detection"], env)
    assert result.returncode == 1, result.stderr
    assert "2611.00001  drafted  " in result.stdout, result.stdout
    assert "2611.00002  FAILED  failed at extract: the PDF is a different paper" in result.stdout
    assert "2611.00003  FAILED  failed at fetch: " in result.stdout and "HTTP 404" in result.stdout
    assert {p.stem for p in (home / "catalog" / "drafts").glob("*.yaml")} == {"2611.00001"}
