"""Pure: what a run does with the papers discovery found, decided over one catalog snapshot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..catalog import CatalogSnapshot, Known
from ..models import Flag, Outcome, Paper, TopicState
from .harvest import MAX_ATTEMPTS
from .relevance import Ranker, Scored, examples_from, parent_of


@dataclass
class Plan:
    """What discovery found and what this run will do with it."""

    todo: list[Paper] = field(default_factory=list)
    """New papers, and new versions of drafted papers (their drafts are updated, edits kept)."""
    skipped: list[Outcome] = field(default_factory=list)
    flagged: list[Outcome] = field(default_factory=list)
    """New versions of approved entries: left to reviewers, never drafted again."""
    flags: list[Flag] = field(default_factory=list)
    """The flag records the store writes for them."""
    held_back: dict[str, float] = field(default_factory=dict)
    """Papers scoring under the topic's relevance threshold: listed, remembered, not drafted."""
    relevance: dict[str, tuple[float, list[str], list[str]]] = field(default_factory=dict)
    """Score, nearest tree entries and evidence (what moved the score) of every paper to draft."""
    scored: dict[str, Scored] = field(default_factory=dict)
    """Score with its evidence (the features and words that moved it) of every paper scored."""
    updates: set[str] = field(default_factory=set)
    """Papers in `todo` that already have a draft (a new version): never held back."""


def plan(
    snapshot: CatalogSnapshot,
    papers: list[Paper],
    state: TopicState,
    *,
    topic: str,
    min_relevance: float | None = None,
    today: dt.date | None = None,
    ranker: Ranker | None = None,
) -> Plan:
    """Split found papers into ones to draft and ones the catalog already knows (tree, draft,
    rejected, given up); then hold back the ones under the topic's relevance threshold."""
    result = Plan()
    for paper in papers:
        where = snapshot.known.get(paper.arxiv_id)
        reason = _skip_reason(paper, where, state)
        if reason:
            result.skipped.append(Outcome(id=paper.arxiv_id, reason=reason))
        elif where is None or where.where == "draft":
            result.todo.append(paper)
            if where is not None:
                result.updates.add(paper.arxiv_id)
        else:  # a newer version of an approved entry
            _flag(result, snapshot, paper, where, today or dt.date.today())
    if result.todo:
        _score(snapshot, topic, result, min_relevance, ranker)
    return result


def _skip_reason(paper: Paper, where: Known | None, state: TopicState) -> str:
    """Why a found paper needs no work, or "" when it does."""
    if paper.arxiv_id in state.gave_up:
        return f"given up after {MAX_ATTEMPTS} failed runs: {state.gave_up[paper.arxiv_id]}"
    if where is None:
        return ""
    if where.broken:
        first = where.broken.splitlines()[0]
        return f"its {where.where} file does not parse, left untouched: {first}"
    newer = where.behind(paper.version)
    if where.where == "rejected":
        return "rejected by a reviewer"
    if where.where == "draft":
        return "" if newer else "already drafted, waiting for review"
    return "" if newer and where.version is not None else "already in the tree"


def _flag(result: Plan, snapshot: CatalogSnapshot, paper: Paper, where: Known, today: dt.date) -> None:
    approved = where.version or 0
    result.flags.append(
        Flag(
            arxiv=paper.arxiv_id,
            entry=str(where.path.relative_to(snapshot.root)),
            approved_version=approved,
            new_version=paper.version,
            seen=today,
        )
    )
    reason = f"new version v{paper.version} of an approved entry (v{approved}): flagged for review"
    result.flagged.append(Outcome(id=paper.arxiv_id, reason=reason))


def _score(
    snapshot: CatalogSnapshot, topic: str, result: Plan, min_relevance: float | None, ranker: Ranker | None
) -> None:
    """Score the papers to draft against the topic; hold back those under the threshold."""
    if ranker is None:  # taught by the snapshot alone (the flow passes the one the catalog's files keep)
        rejected = [s.entry for s in snapshot.rejected]
        ranker = Ranker.train(examples_from(snapshot.topics, snapshot.entries, rejected), snapshot.entries)
    threshold = snapshot.topics[topic].min_relevance if min_relevance is None else min_relevance
    keep = []
    for paper in result.todo:
        mine = snapshot.topics[topic]
        scored = ranker.explain(mine, paper.title, paper.abstract, parent_of(snapshot.topics, mine))
        score, nearest = scored.score, scored.nearest
        result.relevance[paper.arxiv_id] = (score, nearest, scored.evidence)
        result.scored[paper.arxiv_id] = scored
        if threshold and score < threshold and paper.arxiv_id not in result.updates:
            result.held_back[paper.arxiv_id] = score
            near = ", ".join(nearest) or "none"
            reason = (
                f"skipped, low relevance {score:.3f} < {threshold} ({scored.reason()}; "
                f"nearest: {near}); recover with --min-relevance 0 --since"
            )
            result.skipped.append(Outcome(id=paper.arxiv_id, reason=reason))
        else:
            keep.append(paper)
    result.todo = keep
