"""Relevance and placement measured on the seed tree.

Usage: python bench/relevance.py [DEVSET_DIR]
1. Relevance for topic `gan` at its `min_relevance` (topics.yaml): relevant papers are synthetic GAN
   abstracts written for this benchmark; off-topic papers are the devset's real abstracts (NLP and
   meta-learning, read from the PDFs) and synthetic abstracts from other sciences. Reports precision
   of what passes, and how many relevant papers would be held back (target: none).
2. Leave-one-out parent recovery: each seed entry with parents is removed from the tree, the rest of
   the tree scores it (title, name, notes), and a hit is a true parent among its 3 nearest entries.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import data  # noqa: E402

from alphatree_ingest.catalog import Catalog  # noqa: E402
from alphatree_ingest.discover.relevance import Scorer, entry_text  # noqa: E402
from alphatree_ingest.models import Topic  # noqa: E402
from alphatree_ingest.pdf.extract import extract  # noqa: E402

RELEVANT = [
    "We propose a generative adversarial network whose discriminator uses spectral normalization, improving FID and Inception Score on ImageNet.",
    "A conditional GAN for image-to-image translation that learns mappings between domains without paired data.",
    "We stabilise GAN training with a gradient penalty on the discriminator and study mode collapse of the generator.",
    "A style-based generator architecture for high resolution face synthesis with progressive growing and adaptive instance normalization.",
    "We introduce a Wasserstein loss variant for adversarial training and show better convergence of generator and critic.",
    "Super-resolution with generative adversarial networks: a perceptual loss and an adversarial loss recover photo-realistic textures.",
    "Large scale GAN training with class-conditional batch normalization and orthogonal regularization reaches state-of-the-art FID.",
    "Self-attention layers in the generator and discriminator let GANs model long range dependencies in images.",
    "Image inpainting with a contextual attention GAN fills missing regions with plausible content.",
    "We analyse the latent space of generative adversarial networks and edit attributes of generated faces.",
]
OFF_TOPIC = [
    "We measure rotation curves of dwarf galaxies with radio telescopes to constrain dark matter halos.",
    "A randomized controlled trial of a new drug for hypertension in elderly patients over two years.",
    "We prove new bounds for the chromatic number of sparse random graphs using the probabilistic method.",
    "Ocean temperature records from floating buoys reveal a change in the Gulf Stream over four decades.",
]


def main() -> None:
    devset = data.devset(sys.argv, need="*.pdf")
    catalog = Catalog(Path(__file__).resolve().parent.parent / "catalog")
    entries = catalog.load().entries
    topic = catalog.topics()["gan"]
    threshold = topic.min_relevance or 0.0
    scorer = Scorer.for_topic(topic, entries, [])
    real_off = [f"{x.title} {x.abstract}" for x in (extract(p) for p in sorted(devset.glob("*.pdf")))]
    rel = [scorer.score(t)[0] for t in RELEVANT]
    off = [scorer.score(t)[0] for t in real_off + OFF_TOPIC]
    passed_rel = sum(s >= threshold for s in rel)
    passed_off = sum(s >= threshold for s in off)
    precision = passed_rel / (passed_rel + passed_off) if passed_rel + passed_off else 1.0
    print(f"topic gan, threshold {threshold}: relevant scores {sorted(rel)}")
    print(f"  off-topic scores {sorted(off)}")
    print(
        f"  precision {precision:.2f} ({passed_rel} relevant and {passed_off} off-topic pass); "
        f"relevant held back: {len(rel) - passed_rel} of {len(rel)}"
    )

    hits = total = 0
    for left in entries:
        if not left.parents:
            continue
        rest = [e for e in entries if e.id != left.id]
        whole = Topic(id="classification", name_zh="-", name_en="", query="")  # placeholder, topic-free
        scorer = Scorer.for_topic(whole, [e.model_copy(update={"topic": "classification"}) for e in rest], [])
        _, nearest = scorer.score(entry_text(left))
        total += 1
        hits += any(p in nearest[:3] for p in left.parents)
    print(
        f"leave-one-out parent recovery (a true parent among the 3 nearest): {hits}/{total} = {hits / total:.2f}"
    )


if __name__ == "__main__":
    main()
