"""Pure: which papers a run owes and where the topic's watermark moves, from the previous state and
this run's outcomes. No IO; the store reads and writes `TopicState`."""

from __future__ import annotations

import datetime as dt

from .models import Paper, TopicState

FIRST_RUN_LOOKBACK = dt.timedelta(days=7)
"""A topic without a watermark (and no --since) starts this far back."""
MAX_ATTEMPTS = 3
"""A paper that failed in this many runs no longer holds its topic's watermark back."""


def start_of_harvest(state: TopicState, since: dt.date | None, now: dt.datetime) -> dt.datetime:
    """Where this run's query starts: --since when given (backfill), else the watermark."""
    if since is not None:
        return dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    if state.watermark is not None:
        return state.watermark
    return now - FIRST_RUN_LOOKBACK


def advance(
    state: TopicState,
    papers: list[Paper],
    failed: dict[str, str],
    *,
    held_back: dict[str, float] | None = None,
    drafted: set[str] | None = None,
) -> TopicState:
    """The new state after a run over `papers` (oldest first).

    The watermark moves over finished papers and stops before the first one that failed, unless it
    failed MAX_ATTEMPTS times (then it is given up, with its reason). Papers held back as low relevance
    are remembered; those drafted after all are forgotten from that list."""
    new = state.model_copy(deep=True)
    blocked = False
    for paper in papers:
        if paper.arxiv_id in failed:
            blocked = _charge(new, paper.arxiv_id, failed[paper.arxiv_id]) or blocked
        else:
            new.attempts.pop(paper.arxiv_id, None)
        if not blocked and (new.watermark is None or paper.changed > new.watermark):
            new.watermark = paper.changed
    new.held_back.update(held_back or {})
    for arxiv_id in drafted or set():
        new.held_back.pop(arxiv_id, None)
    return new


def _charge(state: TopicState, arxiv_id: str, reason: str) -> bool:
    """Count one more failed run for a paper; True when it still holds the watermark back."""
    tries = state.attempts.get(arxiv_id, 0) + 1
    if tries >= MAX_ATTEMPTS:
        state.attempts.pop(arxiv_id, None)
        state.gave_up[arxiv_id] = reason
        return False
    state.attempts[arxiv_id] = tries
    return True
