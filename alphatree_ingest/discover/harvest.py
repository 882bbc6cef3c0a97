"""Pure: which papers a topic still owes and where its watermark moves, from the previous state and
this run's outcomes. No IO; the store reads and writes `TopicState`.

The invariant (checked by property tests over random runs): every paper the feed offered is drafted,
skipped for a recorded reason, given up after MAX_ATTEMPTS failed runs, listed in `owed`, or changed
at or after the watermark (so the next run asks for it again). Whatever `--since` and `--max-papers`
say, the watermark never passes a paper that is owed or was not reached.
"""

from __future__ import annotations

import datetime as dt

from ..models import Owed, Paper, TopicState

FIRST_RUN_LOOKBACK = dt.timedelta(days=7)
"""A topic without a watermark (and no --since) starts this far back."""
MAX_ATTEMPTS = 3
"""A paper that failed in this many runs (through its own fault) is given up."""


def start_of_harvest(state: TopicState, since: dt.date | None, now: dt.datetime) -> dt.datetime:
    """Where this run's query starts: --since when given (backfill), else the watermark, else
    FIRST_RUN_LOOKBACK before now."""
    if since is not None:
        return dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    if state.watermark is not None:
        return state.watermark
    return now - FIRST_RUN_LOOKBACK


def advance(
    state: TopicState,
    papers: list[Paper],
    *,
    start: dt.datetime,
    truncated: bool = False,
    failed: dict[str, str] | None = None,
    deferred: dict[str, str] | None = None,
    unreached: set[str] | None = None,
    held_back: dict[str, float] | None = None,
    drafted: set[str] | None = None,
) -> TopicState:
    """The new state after a run that asked from `start` and got `papers`, oldest change first:
    everything changed from `start` on, or (`truncated`, as `--max-papers` does) up to the last one.

    - `failed`: papers that failed through their own fault: charged one attempt, given up at
      MAX_ATTEMPTS.
    - `deferred`: papers a fault of the whole run stopped (host down, store unwritable): owed, not
      charged.
    - `unreached`: papers the run did not get to: the watermark stays at them, so the next run asks
      for them again.
    Every other paper counts as finished (drafted, or skipped for a reason the plan recorded).
    """
    failed, deferred, unreached = failed or {}, deferred or {}, unreached or set()
    new = state.model_copy(deep=True)
    for paper in papers:
        if paper.arxiv_id in failed:
            _charge(new, paper, failed[paper.arxiv_id])
        elif paper.arxiv_id in deferred:
            before = new.owed.get(paper.arxiv_id, Owed())
            reason = f"not charged, the run stopped: {deferred[paper.arxiv_id]}"
            new.owed[paper.arxiv_id] = Owed(changed=paper.changed, attempts=before.attempts, reason=reason)
        elif paper.arxiv_id not in unreached:
            new.owed.pop(paper.arxiv_id, None)
    if papers:
        _forget_moved(new, {p.arxiv_id for p in papers}, start, papers[-1].changed)
    holds = [o.changed for o in new.owed.values() if o.changed is not None]
    holds += [p.changed for p in papers if p.arxiv_id in unreached]
    new.watermark = min([_frontier(state.watermark, start, papers, truncated), *holds])
    new.held_back.update(held_back or {})
    for arxiv_id in drafted or set():
        new.held_back.pop(arxiv_id, None)
    return new


def _frontier(
    watermark: dt.datetime | None, start: dt.datetime, papers: list[Paper], truncated: bool
) -> dt.datetime:
    """How far the settled past reaches after this run's answer, before owed papers hold it back."""
    base = start if watermark is None else watermark
    if start > base:
        return base  # a --since after the watermark leaves a gap no run has read
    if truncated and papers:
        return papers[-1].changed  # papers after the last one were not read, even before `base`
    return max([base, *(p.changed for p in papers)])


def _charge(state: TopicState, paper: Paper, reason: str) -> None:
    """Count one more failed run for a paper; give it up at MAX_ATTEMPTS."""
    tries = state.owed.get(paper.arxiv_id, Owed()).attempts + 1
    if tries >= MAX_ATTEMPTS:
        state.owed.pop(paper.arxiv_id, None)
        state.gave_up[paper.arxiv_id] = reason
        return
    state.owed[paper.arxiv_id] = Owed(changed=paper.changed, attempts=tries, reason=reason)


def _forget_moved(state: TopicState, seen: set[str], start: dt.datetime, last: dt.datetime) -> None:
    """Owed papers the run's answer should have held but did not: a new version moved them later
    (they come again, after the watermark) or they left the topic's query. Either way the record
    at the old time is obsolete."""
    for arxiv_id, owed in list(state.owed.items()):
        if arxiv_id not in seen and owed.changed is not None and start <= owed.changed < last:
            del state.owed[arxiv_id]
