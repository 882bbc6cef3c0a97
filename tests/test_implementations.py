"""Code candidates and their verification against a loopback GitHub API; placement in the tree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from alphatree_ingest.catalog import Catalog
from alphatree_ingest.draft import suggest_parents, suggest_topic
from alphatree_ingest.implementations import GitHub, find_implementations
from alphatree_ingest.models import Extraction, Paper, Reference
from alphatree_ingest.references import find_code_links
from tests.support import GitHubServer

PAPER = Paper(
    arxiv_id="2611.00001",
    title="FooGAN: Stable Adversarial Training at Scale",
    authors=["Ada Lovelace", "Alan Turing"],
    abstract="We propose FooGAN.",
    published=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
    pdf_url="http://x/pdf",
)
(OFFICIAL,) = find_code_links(
    ["Our code is available at https://github.com/lab/foogan (PyTorch)."], front_page=False
)


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        server.add_repo(
            "lab/foogan",
            {"README.md": "# FooGAN\nCode for arXiv:2611.00001.", "requirements.txt": "numpy\ntorch>=2.0\n"},
        )
        server.add_repo(
            "someone/foogan-tf",
            {
                "README.md": "FooGAN: Stable Adversarial Training at Scale, in TF",
                "requirements.txt": "tensorflow\n",
            },
        )
        server.add_repo(
            "adalovelace/foogan-extra",
            {"README.md": "Extra code for 2611.00001", "setup.py": "install_requires=['torch']"},
        )
        server.add_repo("other/empty", {}, size=0)
        server.add_repo("other/forked", {"README.md": "2611.00001", "requirements.txt": "torch"}, fork=True)
        server.search_results["2611.00001"] = ["adalovelace/foogan-extra", "other/empty", "other/forked"]
        server.search_results["FooGAN: Stable"] = ["someone/foogan-tf"]
        yield server


def test_candidates_are_verified_ranked_and_explained(github: GitHubServer) -> None:
    (missing,) = find_code_links(["See https://github.com/lab/deleted for more."], front_page=False)
    found = find_implementations(PAPER, [OFFICIAL, missing], GitHub(github.url))
    urls = [c.url for c in found]
    assert urls[0] == "https://github.com/lab/foogan"
    best = found[0]
    assert best.verified and best.official and best.pytorch and best.cites_paper and best.confidence == 1.0
    assert "torch in requirements.txt" in best.reasons
    extra = next(c for c in found if c.url.endswith("adalovelace/foogan-extra"))
    assert extra.official and "owner is an author" in " ".join(extra.reasons) and extra.pytorch
    tf = next(c for c in found if c.url.endswith("someone/foogan-tf"))
    assert tf.pytorch is False and not tf.official and tf.confidence < best.confidence
    forked = next(c for c in found if c.url.endswith("other/forked"))
    assert "a fork" in forked.reasons
    assert "https://github.com/lab/deleted" not in urls and "https://github.com/other/empty" not in urls


def test_offline_everything_stays_unverified_and_nothing_fails() -> None:
    found = find_implementations(PAPER, [OFFICIAL], GitHub("http://127.0.0.1:9"))
    (only,) = found
    assert not only.verified and only.official and only.pytorch
    assert only.reasons == ["unverified: GitHub unreachable", "the paper presents it as its code"]


def test_rate_limit_headers_stop_the_calls(github: GitHubServer) -> None:
    github.remaining = 2
    client = GitHub(github.url)
    found = find_implementations(PAPER, [OFFICIAL], client)
    calls = len(github.requests)
    assert calls <= 3 and found and not client.usable
    assert any("unverified" in r for c in found for r in c.reasons)


def test_a_forbidden_repository_is_unverified_not_dropped(github: GitHubServer) -> None:
    github.forbidden.add("lab/foogan")
    found = find_implementations(PAPER, [OFFICIAL], GitHub(github.url))
    named = next(c for c in found if c.url == OFFICIAL.url)
    assert not named.verified and named.official and "GitHub answered 403" in named.reasons[0]


def test_parents_from_references_and_abstract_and_topic_from_parents() -> None:
    tree = Catalog(Path(__file__).resolve().parent.parent / "catalog").load().entries
    paper = PAPER.model_copy(update={"abstract": "Our model builds on WGAN-GP and uses a ResNet generator."})
    extraction = Extraction(
        references=[
            Reference(text="...", arxiv="1704.00028"),
            Reference(text="...", title="Wasserstein GAN"),
            Reference(text="...", title="ImageNet classification with deep convolutional neural networks"),
        ]
    )
    parents, evidence = suggest_parents(paper, extraction, tree)
    # cited once and named nowhere (AlexNet) is background: kept only while fewer than three stronger
    assert parents == ["wgan-gp", "resnet", "wgan"]
    assert "abstract: builds on / extends WGAN-GP" in evidence["wgan-gp"]
    assert suggest_topic("gan", ["wgan-gp", "wgan"], tree)[0] == "gan/training"
    assert suggest_topic("gan", ["resnet"], tree)[0] == "gan"
