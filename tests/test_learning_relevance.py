"""Learning paths through the seed tree, and relevance scores against a topic."""

from __future__ import annotations

from pathlib import Path

from alphatree_ingest.catalog import Catalog
from alphatree_ingest.discover.relevance import Scorer
from alphatree_ingest.models import CatalogEntry
from alphatree_ingest.site.learning import path_to, topic_plan
from tests.conftest import InProcessCli, cli_env

SEED = Catalog(Path(__file__).resolve().parent.parent / "catalog")
ENTRIES = [e for e in SEED.load().entries]


def test_path_to_stylegan_follows_its_lineage_in_order() -> None:
    assert [e.id for e in path_to("stylegan", ENTRIES)] == ["gan", "wgan", "wgan-gp", "progan", "stylegan"]


def test_every_path_puts_parents_before_children_and_ends_at_the_entry() -> None:
    for entry in ENTRIES:
        steps = [e.id for e in path_to(entry.id, ENTRIES)]
        assert steps[-1] == entry.id
        for e in path_to(entry.id, ENTRIES):
            assert all(steps.index(p) < steps.index(e.id) for p in e.parents)


def test_beginner_plan_for_gan_starts_with_gan_and_holds_only_what_it_needs() -> None:
    plan = [e.id for e in topic_plan("gan", "beginner", ENTRIES)]
    assert plan[0] == "gan" and set(plan) == {"gan", "cgan", "gan-tutorial", "infogan", "lsgan"}


def test_path_command(home: Path, cli: InProcessCli) -> None:
    out = cli(["path", "wgan-gp"], cli_env(home, None, None))
    assert out.returncode == 0 and out.stdout.splitlines()[0].startswith("1. GAN（2014，入门）生成对抗网络")
    missing = cli(["path", "nope"], cli_env(home, None, None))
    assert missing.returncode == 2 and "no entry 'nope'" in missing.stderr


GAN_ABSTRACT = (
    "We study generative adversarial networks and propose a new loss that stabilises "
    "adversarial training of the generator and discriminator, improving FID on CelebA-HQ."
)
OFF_TOPIC = (
    "We measure the rotation curves of dwarf galaxies with radio telescopes and constrain "
    "the distribution of dark matter halos in the local universe."
)


def test_relevant_papers_score_higher_and_name_their_nearest_entries() -> None:
    topic = SEED.topics()["gan"]
    scorer = Scorer.for_topic(topic, ENTRIES, [])
    relevant, nearest = scorer.score(GAN_ABSTRACT)
    unrelated, _ = scorer.score(OFF_TOPIC)
    assert relevant > 0.1 > unrelated
    assert nearest and all(n in {e.id for e in ENTRIES} for n in nearest)


def test_rejections_push_similar_papers_down() -> None:
    topic = SEED.topics()["gan"]
    rejected = CatalogEntry(
        id="spam",
        name="Spam",
        arxiv="2611.09999",
        year=2026,
        topic="gan",
        title="Adversarial spam for crypto coins",
        abstract="crypto coin token airdrop adversarial",
    )
    base, _ = Scorer.for_topic(topic, ENTRIES, []).score("adversarial crypto coin airdrop token")
    after, _ = Scorer.for_topic(topic, ENTRIES, [rejected]).score("adversarial crypto coin airdrop token")
    assert after < base
