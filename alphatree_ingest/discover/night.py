"""A night across topics: the ranker the catalog has taught, and what a night does with what it found.

The model file `catalog/ranker.json` is a cache of what was learned: it records which decisions it was
trained on, and is rebuilt from the catalog (tree, rejected papers, held-back papers) when it is
missing, damaged or behind the catalog, so it is never the only copy of anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..catalog import Catalog, CatalogSnapshot, atomic_write, dump_yaml, safe_filename
from ..models import Paper, TopicState
from .planning import _skip_reason
from .relevance import (
    BUDGET,
    DRAFT_AT,
    FEATURE_NAMES,
    Ranked,
    Ranker,
    Scored,
    examples_from,
    parent_of,
    select,
)

MODEL_FILE = "ranker.json"
HELD_DIR = "held"


@dataclass
class HeldPaper:
    """A paper a night held back: enough to list it, learn from it, and draft it on request."""

    arxiv: str
    version: int
    topic: str
    title: str
    abstract: str
    score: float
    reason: str
    seen: str
    paper: dict[str, Any]


def held_dir(catalog: Catalog) -> Path:
    return catalog.root / HELD_DIR


def held_papers(catalog: Catalog) -> list[HeldPaper]:
    """The held-back papers, best score first; unreadable files are skipped (they are only a list)."""
    out = []
    for path in sorted(held_dir(catalog).glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            out.append(HeldPaper(**data))
        except (OSError, yaml.YAMLError, TypeError):
            continue
    return sorted(out, key=lambda h: (-h.score, h.arxiv))


def save_held(catalog: Catalog, paper: Paper, topic: str, scored: Scored, reason: str) -> None:
    record = {
        "arxiv": paper.arxiv_id,
        "version": paper.version,
        "topic": topic,
        "title": paper.title,
        "abstract": paper.abstract,
        "score": scored.score,
        "reason": reason,
        "seen": dt.date.today().isoformat(),
        "paper": paper.model_dump(mode="json"),
    }
    atomic_write(held_dir(catalog) / f"{safe_filename(paper.arxiv_id)}.yaml", dump_yaml(record))


def forget_held(catalog: Catalog, arxiv_id: str) -> bool:
    path = held_dir(catalog) / f"{safe_filename(arxiv_id)}.yaml"
    if path.exists():
        path.unlink()
        return True
    return False


HELD_DAYS = 30
"""How long a held-back paper stays offered after the last night that held it (`seen`): then the night
drops it from `catalog/held/` and from the topic's state, and says so in its summary."""


def _behind_watermarks(held: HeldPaper, states: dict[str, TopicState]) -> bool:
    """The paper changed before every watermark: no night meets it again unless it changes (a paper at
    a watermark is asked again, and would be held again as new)."""
    try:
        changed = dt.datetime.fromisoformat(str(held.paper.get("changed")))
    except (TypeError, ValueError):
        return True
    marks = [s.watermark for s in states.values() if s.watermark is not None]
    return all(changed < mark for mark in marks)


_WHERE = {"tree": "approved into the tree", "draft": "drafted", "rejected": "rejected"}


@dataclass
class Pruned:
    arxiv: str
    topic: str
    reason: str


def prune_held(
    catalog: Catalog, snapshot: CatalogSnapshot, states: dict[str, TopicState], today: dt.date
) -> list[Pruned]:
    """Drop held-back papers that are no longer waiting: drafted, approved or rejected since (by any
    topic, a one-topic run or a recovery), or held longer than HELD_DAYS. Each goes from `catalog/held/`
    and from every topic state's `held_back` (`states` is updated in place; the caller saves it), and is
    returned with its reason for the night's summary. Unreadable held files are left alone."""
    pruned: list[Pruned] = []
    for held in held_papers(catalog):
        known = snapshot.known.get(held.arxiv)
        try:
            age = (today - dt.date.fromisoformat(held.seen)).days
        except (TypeError, ValueError):
            age = 0  # no readable date: kept (the next night that holds it dates it)
        if known is not None:
            reason = f"no longer held back: {_WHERE.get(known.where, known.where)} since"
        elif age > HELD_DAYS and _behind_watermarks(held, states):
            # `add` drafts this one paper by its id; a one-topic run from its date would draft the
            # topic's whole backlog since then
            reason = (
                f"held back since {held.seen}, dropped after {HELD_DAYS} days unrecovered; to draft it "
                f"after all: alphatree add {held.arxiv} --topic {held.topic}"
            )
        else:
            continue
        forget_held(catalog, held.arxiv)
        for state in states.values():
            state.held_back.pop(held.arxiv, None)
        pruned.append(Pruned(held.arxiv, held.topic, reason))
    # a one-topic run that drafts a held paper forgets its record and its own topic's entry only
    gone = {p.arxiv for p in pruned}
    for topic, state in sorted(states.items()):
        for arxiv_id in sorted(state.held_back):
            known = snapshot.known.get(arxiv_id)
            if known is not None:
                del state.held_back[arxiv_id]
                if arxiv_id not in gone:
                    gone.add(arxiv_id)
                    reason = f"no longer held back: {_WHERE.get(known.where, known.where)} since"
                    pruned.append(Pruned(arxiv_id, topic, reason))
    return pruned


def held_paper(catalog: Catalog, arxiv_id: str) -> tuple[HeldPaper, Paper] | None:
    for held in held_papers(catalog):
        if held.arxiv == arxiv_id:
            try:
                return held, Paper.model_validate(held.paper)
            except ValidationError:
                return None
    return None


def _fingerprint(snapshot: CatalogSnapshot, held: Sequence[HeldPaper]) -> str:
    """What the saved model was taught from: the decisions, and the features it weighs (a model
    saved before the features changed is trained again, not reused)."""
    ids = [f"features:{','.join(FEATURE_NAMES)}"]
    ids += sorted(f"t:{s.entry.topic}:{s.entry.id}" for s in snapshot.tree)
    ids += sorted(f"r:{s.entry.topic}:{s.entry.arxiv}" for s in snapshot.rejected if not s.entry.enriches())
    ids += sorted(f"h:{h.topic}:{h.arxiv}" for h in held)
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def ranker_for(catalog: Catalog, snapshot: CatalogSnapshot, *, save: bool = True) -> Ranker:
    """The ranker taught by this catalog: the model file when it is current, else trained again (and,
    with `save`, written back). A dry run passes save=False: it writes nothing."""
    held = held_papers(catalog)
    fingerprint = _fingerprint(snapshot, held)
    path = catalog.root / MODEL_FILE
    loaded = Ranker.load(path, snapshot.entries)
    if loaded is not None and loaded.trained_on.get("fingerprint") == fingerprint:
        return loaded
    examples = examples_from(
        snapshot.topics,
        snapshot.entries,
        [s.entry for s in snapshot.rejected],
        [(h.topic, h.title, h.abstract) for h in held],
    )
    ranker = Ranker.train(examples, snapshot.entries)
    ranker.trained_on["fingerprint"] = fingerprint
    if save:
        try:
            ranker.save(path)
        except OSError:
            pass  # a cache: the next run trains again
    return ranker


def learn(catalog: Catalog) -> Ranker:
    """After a decision: train on the catalog as it is now and write the model file."""
    return ranker_for(catalog, catalog.load(), save=True)


def budget_of(catalog: Catalog, override: int | None) -> int | None:
    """The nightly budget: --budget, else `budget:` in topics.yaml, else BUDGET."""
    if override is not None:
        return override
    from ..models import TopicsFile

    try:
        data = yaml.safe_load((catalog.root / "topics.yaml").read_text(encoding="utf-8")) or {}
        value = TopicsFile.model_validate(data).budget
    except (OSError, yaml.YAMLError, ValidationError):
        return BUDGET  # Catalog.topics() names what is wrong with the file
    return BUDGET if value is None else value


def rank_night(
    snapshot: CatalogSnapshot,
    ranker: Ranker,
    found: dict[str, list[Paper]],
    states: dict[str, TopicState],
    *,
    budget: int | None,
    draft_at: float = DRAFT_AT,
) -> list[Ranked]:
    """One row per paper and topic that matched it. Papers the catalog already knows are held with the
    reason (in the tree, drafted, rejected, given up); the others are ranked across topics by `select`."""
    rows: list[Ranked] = []
    fresh: list[Ranked] = []
    for topic_id, papers in found.items():
        topic = snapshot.topics[topic_id]
        for paper in papers:
            scored = ranker.explain(topic, paper.title, paper.abstract, parent_of(snapshot.topics, topic))
            row = Ranked(paper.arxiv_id, topic_id, scored, title=paper.title)
            where = snapshot.known.get(paper.arxiv_id)
            state = states.get(topic_id, TopicState())
            known = _skip_reason(paper, where, state)
            if not known and where is None and paper.arxiv_id in state.held_back:
                known = (
                    f"held back on an earlier night (score {state.held_back[paper.arxiv_id]:.3f}); "
                    f"draft it with: alphatree review recover {paper.arxiv_id}"
                )
            if known:
                row.reason = known
                rows.append(row)
            elif where is not None and where.where == "draft":
                row.action, row.reason = "draft", f"new version v{paper.version} of a draft: updated"
                rows.append(row)
            elif where is not None:
                row.reason = f"new version v{paper.version} of an approved entry: flagged for review"
                rows.append(row)
            else:
                fresh.append(row)
    return select(fresh, budget=budget, draft_at=draft_at) + rows


def as_json(rows: Sequence[Ranked]) -> str:
    papers = [
        {
            "arxiv_id": r.arxiv_id,
            "topic": r.topic,
            "score": r.scored.score,
            "action": r.action,
            "reason": r.reason,
        }
        for r in rows
    ]
    return json.dumps({"papers": papers}, ensure_ascii=False, indent=1)


def as_table(rows: Sequence[Ranked]) -> str:
    if not rows:
        return "No papers matched."
    lines = [f"{'action':<6} {'score':>5}  {'arXiv':<12} {'topic':<26} title / reason"]
    for r in rows:
        lines.append(f"{r.action:<6} {r.scored.score:5.3f}  {r.arxiv_id:<12} {r.topic:<26} {r.title[:70]}")
        lines.append(f"{'':<6} {'':>5}  {'':<12} {'':<26} {r.reason[:160]}")
    drafts = sum(r.action == "draft" for r in rows)
    lines.append(
        f"{drafts} to draft, {len(rows) - drafts} held back ({len({r.arxiv_id for r in rows})} papers)."
    )
    return "\n".join(lines)
