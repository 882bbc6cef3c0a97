"""`alphatree demo`: the whole ingest job, offline, in a tree of its own.

A loopback arXiv serves three small papers drawn on the spot; a tiny random-weight MarianMT is built
on the spot; the real `ingest` flow drafts them (with its temporary Prefect server); `publish` writes
the site. Nothing leaves 127.0.0.1. The Chinese is meaningless: the model is untrained.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..mt.marian import quiet_transformers
from .demo_kit import ArxivServer, FeedEntry, build_tiny_marian, days_ago, make_paper_pdf

CHECKOUT = Path(__file__).resolve().parents[2]

PAPERS = [
    (
        "2611.90001",
        "LatentBridgeGAN: Stable Adversarial Training through a Shared Latent Bridge",
        "We propose LatentBridgeGAN, a generative adversarial network (GAN) that builds on DCGAN: its "
        "generator and discriminator share a latent bridge. It improves the stability of adversarial "
        "training and the quality of generated images on ImageNet.",
        "https://github.com/alphatree-demo/latentbridgegan",
        [
            "I. Goodfellow et al. Generative Adversarial Nets. NeurIPS 2014. arXiv:1406.2661",
            "A. Radford et al. Unsupervised Representation Learning with Deep Convolutional Generative "
            "Adversarial Networks. arXiv:1511.06434",
        ],
    ),
    (
        "2611.90002",
        "StyleMixGAN: Style Mixing for Conditional Image Synthesis",
        "We propose StyleMixGAN, a conditional generative adversarial network that mixes styles across "
        "layers of the generator for controllable image synthesis.",
        None,
        [
            "T. Karras et al. A Style-Based Generator Architecture for Generative Adversarial Networks. "
            "arXiv:1812.04948",
            "M. Mirza and S. Osindero. Conditional Generative Adversarial Nets. arXiv:1411.1784",
        ],
    ),
    (
        "2611.90003",
        "TinyGAN: A Lightweight Generative Adversarial Network for Mobile Devices",
        "We propose TinyGAN, a lightweight generative adversarial network that generates images on mobile "
        "devices, with a generator ten times smaller than BigGAN.",
        "https://github.com/alphatree-demo/tinygan",
        [
            "A. Brock et al. Large Scale GAN Training for High Fidelity Natural Image Synthesis. "
            "arXiv:1809.11096"
        ],
    ),
]


@dataclass
class DemoResult:
    tree: Path
    summary: Any
    site: list[Path]
    seconds: float


def prepare_tree(tree: Path) -> None:
    """A new tree: the checkout's topics, seed entries and glossary."""
    if tree.exists() and any(tree.iterdir()):
        raise FileExistsError(f"{tree} is not empty; give a new folder")
    (tree / "catalog").mkdir(parents=True, exist_ok=True)
    source = CHECKOUT / "catalog"
    if not (source / "topics.yaml").is_file():
        raise FileNotFoundError(f"the demo needs a checkout of alphatree-ingest ({source} is missing)")
    shutil.copy(source / "topics.yaml", tree / "catalog" / "topics.yaml")
    shutil.copytree(source / "tree", tree / "catalog" / "tree")
    shutil.copytree(CHECKOUT / "translations", tree / "translations", dirs_exist_ok=True)
    memory = tree / "translations" / "memory.jsonl"
    memory.unlink(missing_ok=True)  # the demo's machine lines never mix with the checkout's memory


def remember_model(tree: Path) -> None:
    """The tree's settings file names the demo's model: every later command in the tree (an approval's
    reading page, `translate`, `read`) uses it instead of the hub's, which may be out of reach."""
    from ..config import TREE_SETTINGS

    (tree / TREE_SETTINGS).write_text(
        "# This tree's translation model (the environment's ALPHATREE_MT_MODEL wins over it).\n"
        "ALPHATREE_MT_MODEL=./model\n",
        encoding="utf-8",
    )


def run(tree: Path, say: Any = print) -> DemoResult:
    """Run the demo into `tree` (a new folder). Returns where everything is."""
    import time

    start = time.perf_counter()
    prepare_tree(tree)
    say(f"Building a tiny untrained MarianMT model in {tree / 'model'} ...")
    quiet_transformers()
    model = build_tiny_marian(tree / "model")
    remember_model(tree)
    with ArxivServer() as server:
        for n, (arxiv_id, title, abstract, code, refs) in enumerate(PAPERS):
            server.add(
                FeedEntry(arxiv_id, title, abstract, published=days_ago(3 - n)),
                make_paper_pdf(title, abstract, code_url=code, references=refs),
            )
        os.environ.pop("PREFECT_API_URL", None)  # a temporary server of the demo's own
        os.environ.update(
            ALPHATREE_HOME=str(tree),
            ALPHATREE_ARXIV_API=server.api,
            ALPHATREE_ARXIV_DELAY="0",  # loopback only: arXiv itself always gets 3 s
            ALPHATREE_MT_MODEL=str(model),
            ALPHATREE_GITHUB_API="http://127.0.0.1:9",  # nothing listens: code links stay unverified
            ALPHATREE_RETRY_DELAYS="0",
            HF_HUB_OFFLINE="1",
            PREFECT_HOME=str(tree / ".prefect"),
            PREFECT_LOGGING_LEVEL="WARNING",
        )
        say(
            f"Serving a local arXiv feed of {len(PAPERS)} papers at {server.url}; running the ingest flow ..."
        )
        from flows.ingest import ingest

        since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=5)).date()
        state: Any = ingest(topic="gan", since=since, min_relevance=0, return_state=True)
        if not state.is_completed():
            raise RuntimeError(f"the demo's ingest run failed: {state.message}")
        summary = state.result()
    from ..catalog import Catalog, write_pages
    from ..config import Settings
    from ..site.publish import render_site

    settings = Settings.from_env()
    site = list(
        write_pages(
            render_site(Catalog(settings.catalog_dir).load(), settings.site_dir, settings.prompts_dir)
        )
    )
    return DemoResult(tree, summary, site, time.perf_counter() - start)
