"""One test per silent failure the store redesign removed; each docstring names the bug it pins."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alphatree_ingest.config import Settings
from tests.conftest import InProcessCli, cli_env
from tests.support import ArxivServer, FeedEntry, days_ago, make_paper_pdf, save_yaml


@pytest.fixture
def quick(flow_env: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The flow environment with a short request timeout and short retry delays (read by each run)."""
    monkeypatch.setenv("ALPHATREE_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("ALPHATREE_RETRY_DELAYS", "0.1,0.1")
    return flow_env


def _paper(server: ArxivServer, arxiv_id: str, name: str, days: float) -> None:
    title = f"{name}: A Paper"
    server.add(
        FeedEntry(arxiv_id, title, f"We propose {name}.", published=days_ago(days)),
        make_paper_pdf(title, f"We propose {name}."),
    )


def test_a_half_edited_draft_never_costs_other_papers(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    """Bug: `write_draft` read drafts strictly, so one broken draft failed every new paper of the topic."""
    from flows.ingest import ingest

    broken = home / "catalog" / "drafts" / "2611.09999.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("id: half-edited\ntitle_zh: [unclosed\n")
    _paper(arxiv_server, "2611.00801", "OneGAN", 2)
    _paper(arxiv_server, "2611.00802", "TwoGAN", 1)
    summary = ingest(topic="gan")
    assert [d.id for d in summary.drafted] == ["2611.00801", "2611.00802"]
    assert summary.failed == []
    (problem,) = summary.problems
    assert problem.path.endswith("drafts/2611.09999.yaml") and "not valid YAML" in problem.reason
    assert broken.read_text() == "id: half-edited\ntitle_zh: [unclosed\n"


def test_a_fetch_that_times_out_twice_is_retried_by_the_same_run(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    """Bug: the fetch task's retry predicate looked for requests errors the source had already turned
    into PdfError, so its retries never fired."""
    from flows.ingest import ingest

    _paper(arxiv_server, "2611.00901", "SlowGAN", 1)
    arxiv_server.delays["/pdf/2611.00901"] = [1.5, 1.5]  # two stalls past the 0.5 s timeout
    summary = ingest(topic="gan")
    assert [d.id for d in summary.drafted] == ["2611.00901"], summary.failed
    tries = [path for _, path in arxiv_server.requests if path.startswith("/pdf/2611.00901")]
    assert len(tries) == 3


def test_a_pdf_that_is_not_there_is_not_retried(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer
) -> None:
    """Retries are for transient faults only: a 404 answer will not change within a run."""
    from flows.ingest import ingest

    arxiv_server.add(FeedEntry("2611.00902", "GoneGAN: No PDF", "Nothing.", published=days_ago(1)))
    summary = ingest(topic="gan")
    assert [f.id for f in summary.failed] == ["2611.00902"]
    tries = [path for _, path in arxiv_server.requests if path.startswith("/pdf/2611.00902")]
    assert len(tries) == 1


@pytest.mark.slow
def test_min_relevance_zero_from_the_cli_recovers_a_held_back_paper(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, cli: InProcessCli
) -> None:
    """Bug: the CLI validated --min-relevance but never passed it to the flow, so the summary's own
    advice ("recover with --min-relevance 0 --since") recovered nothing."""
    topics = home / "catalog" / "topics.yaml"
    topics.write_text(topics.read_text().replace("- id: gan\n", "- id: gan\n  min_relevance: 0.15\n", 1))
    stars = "We measure rotation curves of dwarf galaxies with radio telescopes to constrain dark matter."
    arxiv_server.add(
        FeedEntry("2611.01001", "Dwarf Galaxy Rotation Curves", stars, published=days_ago(1)),
        make_paper_pdf("Dwarf Galaxy Rotation Curves", stars),
    )
    env = cli_env(home, arxiv_server, tiny_model)
    first = cli(["ingest", "--topic", "gan"], env)
    assert first.returncode == 0, first.stderr
    assert "low relevance" in first.stdout and "0 drafted" in first.stdout
    since = days_ago(3)[:10]
    again = cli(["ingest", "--topic", "gan", "--min-relevance", "0", "--since", since], env)
    assert again.returncode == 0, again.stderr
    assert "1 drafted" in again.stdout
    assert (home / "catalog" / "drafts" / "2611.01001.yaml").exists()


def _draft_yaml(arxiv_id: str, slug: str, *, chinese: bool = True) -> str:
    entry = {
        "id": slug,
        "name": "OldNet",
        "arxiv": arxiv_id,
        "version": 1,
        "title": "An Old Style Identifier Network",
        "title_zh": "一个旧式编号的网络" if chinese else "",
        "year": 1999,
        "topic": "gan",
        "level": "advanced",
        "parents": ["gan"],
        "abstract": "We test old identifiers.",
        "abstract_zh": "我们测试旧式编号。",
        "diagram": "none",
        "code": [{"url": "https://github.com/example/oldnet", "framework": "pytorch", "official": True}],
        "status": "draft",
    }
    return yaml.safe_dump(entry, allow_unicode=True, sort_keys=False)


def test_old_style_arxiv_ids_can_be_approved_and_rejected(home: Path, cli: InProcessCli) -> None:
    """Bug: `review reject hep-th/9901001` applied safe_filename twice and ended in a traceback."""
    drafts = home / "catalog" / "drafts"
    drafts.mkdir(parents=True)
    (drafts / "hep-th_9901001.yaml").write_text(_draft_yaml("hep-th/9901001", "oldnet"))
    (drafts / "math.GT_0309136.yaml").write_text(_draft_yaml("math.GT/0309136", "othernet"))
    env = cli_env(home, None, None)

    rejected = cli(["review", "reject", "hep-th/9901001", "--reason", "off topic"], env)
    assert rejected.returncode == 0, rejected.stderr
    assert "Traceback" not in rejected.stderr
    data = yaml.safe_load((home / "catalog" / "rejected" / "hep-th_9901001.yaml").read_text())
    assert data["status"] == "rejected" and data["provenance"]["rejected_reason"] == "off topic"

    approved = cli(["review", "approve", "math.GT/0309136"], env)
    assert approved.returncode == 0, approved.stderr
    assert (home / "catalog" / "tree" / "gan" / "othernet.yaml").exists()
    # no PDF was cached for this paper: the approval stands and says how to make the reading page later
    assert "no reading page yet (no PDF of math.GT/0309136v1" in approved.stdout
    assert "`alphatree read othernet` makes it later" in approved.stdout
    assert not list(drafts.glob("*.yaml"))


def test_approving_a_flagged_entry_clears_its_flag(home: Path, cli: InProcessCli) -> None:
    """Bug: flags in catalog/flags/ were never cleared, by approval or by any command."""
    tree = home / "catalog" / "tree" / "gan"
    entry = yaml.safe_load(_draft_yaml("2611.01101", "flagnet"))
    entry["status"] = "approved"
    save_yaml((tree / "flagnet.yaml"), entry)
    flags = home / "catalog" / "flags"
    flags.mkdir(parents=True)
    (flags / "2611.01101.yaml").write_text(
        "arxiv: '2611.01101'\nentry: tree/gan/flagnet.yaml\napproved_version: 1\n"
        "new_version: 2\nseen: 2026-11-28\n"
    )
    env = cli_env(home, None, None)
    assert "new arXiv version v2" in cli(["review", "list"], env).stdout

    approved = cli(["review", "approve", "2611.01101"], env)
    assert approved.returncode == 0, approved.stderr
    assert not (flags / "2611.01101.yaml").exists()
    assert yaml.safe_load((tree / "flagnet.yaml").read_text())["version"] == 2
    assert "new arXiv version" not in cli(["review", "list"], env).stdout


@pytest.mark.parametrize(
    "backend",
    # the random model decodes every piece to the window's end: 10-25 s on torch, a second on CTranslate2
    [pytest.param("transformers", marks=pytest.mark.slow), "ctranslate2"],
)
def test_a_sentence_longer_than_the_model_window_is_split_not_truncated(tmp_path: Path, backend: str) -> None:
    """Bug: source truncation and max_decoding_length were hard-coded to 512, so a model with 128
    positions failed every paper ("No position encodings are defined for positions >= 128")."""
    from alphatree_ingest.mt.marian import MarianTranslator
    from tests.support import build_tiny_marian

    model = build_tiny_marian(tmp_path / "short-window", positions=128)
    translator = MarianTranslator(str(model), backend=backend, cache_dir=tmp_path).load()
    assert translator.window == 128
    words = " ".join(f"generator{i % 7} discriminator network image" for i in range(75))
    assert len(translator.tokens(words)) > 300
    (out,) = translator.translate_batch([words])
    assert out.strip()
    pieces = translator.pieces(words)
    assert len(pieces) >= 3 and all(len(translator.tokens(p)) < 128 for p in pieces)
    assert " ".join(pieces).split() == words.split()  # nothing dropped
