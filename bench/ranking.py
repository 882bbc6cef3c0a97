"""Ranking on the 12 real nights of /work/shared/real-nights (issue #22): can the curator finish a night?

Usage: python bench/ranking.py [REAL_NIGHTS_DIR] [--noop]
One night at a time in date order. Each night's matches (every (paper, topic) the topics' queries matched,
all labelled in labels.json) are scored by a ranker trained only on what the curator decided on earlier
nights: a tree-worthy match approved into the tree (positive), every other match rejected when it was
drafted or left among the held-back papers (negatives), plus the seed tree. Never a label of the night
being ranked, never the held-out nights (2025-05-28 onwards).

Reports, before (main's TF-IDF scorer, a draft for every match over its topic's min_relevance, one run per
topic) and after (the ranker, ranked across topics, one draft per paper, the nightly budget):
drafts a night, tree-worthy papers drafted (recall), AUC of tree-worthy vs the rest over all matches, and
on-topic precision of the drafts. Goals: <= 3 drafts a night, >= 90% recall, AUC >= 0.93, precision >= 0.9.
Also: the rule alone (nothing learned), and the last 6 nights ranked by a model frozen after the first 6.
With --noop: a no-op night of all 14 topics against the loopback arXiv (dry run, 3 s politeness delay),
wall time against the floor of 14 requests x 3 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import baseline_relevance  # noqa: E402

from alphatree_ingest.catalog import Catalog  # noqa: E402
from alphatree_ingest.discover.relevance import (  # noqa: E402
    BUDGET,
    DRAFT_AT,
    Example,
    Ranked,
    Ranker,
    examples_from,
    parent_of,
    select,
)
from alphatree_ingest.models import Topic  # noqa: E402

DEFAULT = Path("/work/shared/real-nights")
HELD_OUT_FROM = "2025-05-28"


def load(folder: Path) -> tuple[dict[str, dict], list[dict]]:
    papers: dict[str, dict] = {}
    for day in sorted((folder / "days").glob("*.jsonl")):
        assert day.stem < HELD_OUT_FROM, f"{day} is a held-out night"
        for line in day.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                papers.setdefault(row["id"], row)
    labels = [x for x in json.loads((folder / "labels.json").read_text()) if x["day"] < HELD_OUT_FROM]
    return papers, labels


def auc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def text(paper: dict) -> tuple[str, str]:
    return " ".join(paper["title"].split()), " ".join(paper["summary"].split())


class Result:
    def __init__(self, name: str) -> None:
        self.name = name
        self.nights: list[tuple[str, int]] = []
        self.scores: list[tuple[float, bool]] = []
        self.days: list[str] = []
        """The night of each score (after())."""
        self.drafted: set[tuple[str, str]] = set()
        self.on_topic_drafts = 0

    def report(self, labels: list[dict], nights: list[str]) -> dict[str, float]:
        mine = [x for x in labels if x["day"] in nights]
        worthy = {x["arxiv_id"] for x in mine if x["tree_worthy"]}
        worthy_pairs = {(x["arxiv_id"], x["topic"]) for x in mine if x["tree_worthy"]}
        found = {a for a, t in self.drafted if (a, t) in worthy_pairs}
        drafts = [n for d, n in self.nights if d in nights]
        pos = [s for s, w in self.scores if w]
        neg = [s for s, w in self.scores if not w]
        out = {
            "drafts_per_night": sum(drafts) / len(drafts),
            "max_drafts": max(drafts),
            "recall": len(found) / len(worthy) if worthy else float("nan"),
            "worthy_drafted": len(found),
            "worthy": len(worthy),
            "auc": auc(pos, neg),
            "precision_on_topic": self.on_topic_drafts / len(self.drafted) if self.drafted else float("nan"),
            "drafts": len(self.drafted),
        }
        print(
            f"{self.name:<34} drafts/night {out['drafts_per_night']:5.2f} (max {out['max_drafts']:2d})  "
            f"tree-worthy drafted {out['worthy_drafted']}/{out['worthy']} = {out['recall']:.2f}  "
            f"AUC {out['auc']:.3f}  on-topic precision {out['precision_on_topic']:.2f} "
            f"({self.on_topic_drafts}/{len(self.drafted)})"
        )
        return out


def before(topics: dict[str, Topic], catalog_entries: list, papers: dict, labels: list[dict]) -> Result:
    """main: one run per topic, every match over the topic's min_relevance drafted, rejections learned."""
    result = Result("before (main's TF-IDF, per topic)")
    rejected: list = []
    by_day: dict[str, list[dict]] = defaultdict(list)
    for x in labels:
        by_day[x["day"]].append(x)
    from alphatree_ingest.models import CatalogEntry

    tree = list(catalog_entries)
    for day in sorted(by_day):
        drafted_today: set[str] = set()
        for x in by_day[day]:
            topic = topics[x["topic"]]
            title, abstract = text(papers[x["arxiv_id"]])
            scorer = baseline_relevance.Scorer.for_topic(topic, tree, rejected)
            score, _ = scorer.score(f"{title} {abstract}")
            result.scores.append((score, x["tree_worthy"]))
            threshold = topic.min_relevance or 0.0
            if score >= threshold and x["arxiv_id"] not in drafted_today:
                # each topic's run drafts its matches; a paper drafted by an earlier topic is already known
                drafted_today.add(x["arxiv_id"])
                result.drafted.add((x["arxiv_id"], x["topic"]))
                result.on_topic_drafts += x["on_topic"]
        result.nights.append((day, len(drafted_today)))
        for x in by_day[day]:
            title, abstract = text(papers[x["arxiv_id"]])
            entry = CatalogEntry(
                id="p" + x["arxiv_id"].replace(".", "-"),
                name=title[:40],
                arxiv=x["arxiv_id"],
                year=2025,
                topic=x["topic"],
                title=title,
                abstract=abstract,
            )
            (tree if x["tree_worthy"] else rejected).append(entry)
    return result


def after(
    name: str,
    topics: dict[str, Topic],
    seed: list,
    papers: dict,
    labels: list[dict],
    *,
    learn: bool = True,
    freeze_after: str | None = None,
    budget: int | None = BUDGET,
) -> Result:
    """The ranker: trained before each night on the seed tree and every earlier night's decisions."""
    result = Result(name)
    by_day: dict[str, list[dict]] = defaultdict(list)
    for x in labels:
        by_day[x["day"]].append(x)
    learned: list[Example] = []
    ranker = Ranker.train(examples_from(topics, seed, []) if learn else [], seed)
    for day in sorted(by_day):
        if learn and (freeze_after is None or day <= freeze_after):
            ranker = Ranker.train(examples_from(topics, seed, []) + learned, seed)
        rows = []
        for x in by_day[day]:
            title, abstract = text(papers[x["arxiv_id"]])
            rows.append(
                Ranked(
                    x["arxiv_id"],
                    x["topic"],
                    ranker.explain(
                        topics[x["topic"]], title, abstract, parent_of(topics, topics[x["topic"]])
                    ),
                )
            )
        label = {(x["arxiv_id"], x["topic"]): x for x in by_day[day]}
        decided = select(rows, budget=budget, draft_at=DRAFT_AT)
        drafts = [r for r in decided if r.action == "draft"]
        result.nights.append((day, len(drafts)))
        for r in decided:
            x = label[(r.arxiv_id, r.topic)]
            result.scores.append((r.scored.score, x["tree_worthy"]))
            result.days.append(day)
        for r in drafts:
            result.drafted.add((r.arxiv_id, r.topic))
            result.on_topic_drafts += label[(r.arxiv_id, r.topic)]["on_topic"]
        # the curator: approves the tree-worthy (drafts, and held-back papers recovered), rejects the rest
        # of the drafts, leaves the other held-back papers
        drafted_ids = {(r.arxiv_id, r.topic) for r in drafts}
        for x in by_day[day]:
            title, abstract = text(papers[x["arxiv_id"]])
            weight = 1.0 if x["tree_worthy"] or (x["arxiv_id"], x["topic"]) in drafted_ids else 0.5
            learned.append(
                Example(
                    topics[x["topic"]],
                    title,
                    abstract,
                    x["tree_worthy"],
                    weight,
                    x["arxiv_id"],
                    parent=parent_of(topics, topics[x["topic"]]),
                )
            )
    return result


def noop_night(folder: Path, *, dry_run: bool) -> None:
    """All 14 topics against a loopback arXiv night that has nothing new (an empty listing), 3 s apart:
    the dry run, or the real all-topics flow run (Prefect's temporary server and the tiny test model)."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "catalog").mkdir()
        (home / "catalog" / "topics.yaml").write_text((REPO / "catalog" / "topics.yaml").read_text())
        empty = home / "empty.jsonl"
        empty.write_text("")
        ready, log = home / "port.txt", home / "requests.log"
        listing = [str(empty), "2025-05-12", "--log", str(log), "--ready", str(ready)]
        server = subprocess.Popen([sys.executable, str(folder / "night_arxiv.py"), *listing])
        try:
            for _ in range(100):
                if ready.exists() and ready.read_text().strip():
                    break
                time.sleep(0.1)
            env = {
                **os.environ,
                "ALPHATREE_HOME": str(home),
                "ALPHATREE_ARXIV_API": f"http://127.0.0.1:{ready.read_text().strip()}/api/query",
                "ALPHATREE_ARXIV_DELAY": "3",
                "PREFECT_HOME": str(home / ".prefect"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            }
            args = ["ingest", "--all-topics", "--since", "2025-05-12"]
            if dry_run:
                args += ["--dry-run", "--json"]
            else:
                from tests.support import build_tiny_marian

                env["ALPHATREE_MT_MODEL"] = str(build_tiny_marian(home / "model"))
            exe = Path(sys.executable).with_name("alphatree")
            start = time.monotonic()
            out = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, cwd=home)
            wall = time.monotonic() - start
        finally:
            server.terminate()
            server.wait()
        if out.returncode != 0:
            raise SystemExit(f"the run failed: {out.stderr.strip()[-500:]}")
        requests = sum(1 for line in log.read_text().splitlines() if line.strip())
    floor = 3.0 * 14
    what = "dry run" if dry_run else "flow run (Prefect start included; no model load: nothing to draft)"
    if not dry_run:
        inside = next((line for line in out.stdout.splitlines() if "arXiv API request(s)" in line), "")
        print(f"  the flow's own summary: {inside.strip()}")
    print(
        f"no-op night, 14 topics, {what}: {requests} arXiv requests, wall {wall:.1f} s (process start "
        f"included), floor {floor:.0f} s: {wall / floor:.2f}x  (goal <= 1.2x)"
    )


def part_of(result: Result, name: str, labels: list[dict], nights: list[str]) -> Result:
    """A run's numbers on some of its nights only."""
    out = Result(name)
    out.nights = [(d, n) for d, n in result.nights if d in nights]
    ids = {x["arxiv_id"] for x in labels if x["day"] in nights}
    out.drafted = {(a, t) for a, t in result.drafted if a in ids}
    labelled = {(x["arxiv_id"], x["topic"]): x for x in labels}
    out.on_topic_drafts = sum(labelled[p]["on_topic"] for p in out.drafted)
    out.scores = [s for s, d in zip(result.scores, result.days, strict=True) if d in nights]
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    folder = Path(args[0]) if args else DEFAULT
    papers, labels = load(folder)
    catalog = Catalog(REPO / "catalog")
    topics = catalog.topics()
    seed = catalog.load().entries
    nights = sorted({x["day"] for x in labels})
    print(
        f"{len(nights)} nights {nights[0]}..{nights[-1]}, {len(labels)} labelled matches, "
        f"{sum(x['tree_worthy'] for x in labels)} tree-worthy; budget {BUDGET}, draft at {DRAFT_AT}\n"
    )
    print("All 12 nights, in date order:")
    before(topics, seed, papers, labels).report(labels, nights)
    learning = after("after (ranker, learning each night)", topics, seed, papers, labels)
    learning.report(labels, nights)
    after("after, rule only (nothing learned)", topics, seed, papers, labels, learn=False).report(
        labels, nights
    )
    after("after, no budget (threshold only)", topics, seed, papers, labels, budget=None).report(
        labels, nights
    )
    first, last = nights[:6], nights[6:]
    print(f"\nLast 6 nights ({last[0]}..{last[-1]}) with the model frozen after the first 6:")
    last_labels = [x for x in labels if x["day"] in last]
    frozen = after("after, frozen after night 6", topics, seed, papers, labels, freeze_after=first[-1])
    frozen_last = Result(frozen.name)
    frozen_last.nights = [(d, n) for d, n in frozen.nights if d in last]
    frozen_last.drafted = {(a, t) for a, t in frozen.drafted if any(x["arxiv_id"] == a for x in last_labels)}
    labelled = {(x["arxiv_id"], x["topic"]): x for x in last_labels}
    frozen_last.on_topic_drafts = sum(labelled[p]["on_topic"] for p in frozen_last.drafted)
    ranker = Ranker.train(
        examples_from(topics, seed, [])
        + [
            Example(
                topics[x["topic"]],
                *text(papers[x["arxiv_id"]]),
                x["tree_worthy"],
                1.0,
                parent=parent_of(topics, topics[x["topic"]]),
            )
            for x in labels
            if x["day"] in first
        ],
        seed,
    )
    frozen_last.scores = [
        (
            ranker.explain(
                topics[x["topic"]], *text(papers[x["arxiv_id"]]), parent_of(topics, topics[x["topic"]])
            ).score,
            x["tree_worthy"],
        )
        for x in last_labels
    ]
    frozen_last.report(labels, last)
    print("\nThe same run (learning each night), night 1-6 and night 7-12 apart:")
    for name, part in (("after, first 6 nights", first), ("after, last 6 nights", last)):
        part_of(learning, name, labels, part).report(labels, part)
    if "--noop" in sys.argv:
        print()
        noop_night(folder, dry_run=True)
        noop_night(folder, dry_run=False)


if __name__ == "__main__":
    main()
