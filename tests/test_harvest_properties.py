"""Property tests of the harvest state: over random sequences of runs (random --since, --max-papers
and per-paper outcomes), no paper the feed offered is ever lost, and catching up finishes them all."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from alphatree_ingest.discover.harvest import FIRST_RUN_LOOKBACK, MAX_ATTEMPTS, advance, start_of_harvest
from alphatree_ingest.models import Paper, TopicState

NOW = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)
OUTCOMES = ("ok", "fail", "defer", "held", "stop")


def _paper(n: int, minutes_ago: int) -> Paper:
    when = NOW - dt.timedelta(minutes=minutes_ago)
    return Paper(
        arxiv_id=f"2611.{n:05d}", title=f"P{n}", authors=[], abstract="", published=when, pdf_url="x"
    )


class World:
    """The feed and what the catalog holds, with the ingest flow's rules in miniature."""

    def __init__(self, feed: list[Paper]) -> None:
        self.feed = sorted(feed, key=lambda p: (p.changed, p.arxiv_id))
        self.state = TopicState()
        self.drafted: set[str] = set()
        self.held: set[str] = set()
        self.offered: set[str] = set()
        self.starts: list[dt.datetime] = []

    def run(self, since: dt.date | None, max_papers: int | None, outcomes: list[str]) -> None:
        start = start_of_harvest(self.state, since, NOW)
        self.starts.append(start)
        answer = [p for p in self.feed if p.changed >= start]
        truncated = max_papers is not None and len(answer) >= max_papers
        papers = answer[:max_papers] if max_papers is not None else answer
        self.offered |= {p.arxiv_id for p in papers}
        settled = self.drafted | self.held | set(self.state.gave_up)
        todo = [p for p in papers if p.arxiv_id not in settled]
        failed, deferred, unreached, held = {}, {}, set(), {}
        for i, paper in enumerate(todo):
            outcome = outcomes[i % len(outcomes)] if outcomes else "ok"
            if outcome == "stop":
                unreached = {p.arxiv_id for p in todo[i:]}
                break
            if outcome == "ok":
                self.drafted.add(paper.arxiv_id)
            elif outcome == "held":
                self.held.add(paper.arxiv_id)
                held[paper.arxiv_id] = 0.01
            elif outcome == "fail":
                failed[paper.arxiv_id] = "broken PDF"
            else:
                deferred[paper.arxiv_id] = "host down"
        self.state = advance(
            self.state,
            papers,
            start=start,
            truncated=truncated,
            failed=failed,
            deferred=deferred,
            unreached=unreached,
            held_back=held,
            drafted=self.drafted,
        )

    def lost(self, papers: set[str]) -> list[str]:
        """Papers neither finished, owed, nor at or after the watermark (the next run's question)."""
        mark = self.state.watermark
        assert mark is not None
        by_id = {p.arxiv_id: p for p in self.feed}
        return [
            arxiv_id
            for arxiv_id in sorted(papers)
            if arxiv_id not in self.drafted | self.held | set(self.state.gave_up) | set(self.state.owed)
            and by_id[arxiv_id].changed < mark
        ]


feeds = st.lists(st.integers(min_value=0, max_value=20 * 24 * 60), min_size=0, max_size=12).map(
    lambda ages: [_paper(n, age) for n, age in enumerate(ages)]
)
runs = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(min_value=0, max_value=25)),
        st.one_of(st.none(), st.integers(min_value=1, max_value=6)),
        st.lists(st.sampled_from(OUTCOMES), min_size=0, max_size=6),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=1500, deadline=None)
@given(feed=feeds, plan=runs)
def test_no_offered_paper_is_ever_lost_and_catching_up_finishes_them(
    feed: list[Paper], plan: list[tuple[int | None, int | None, list[str]]]
) -> None:
    world = World(feed)
    for days_back, max_papers, outcomes in plan:
        since = None if days_back is None else (NOW - dt.timedelta(days=days_back)).date()
        world.run(since, max_papers, outcomes)
        assert world.lost(world.offered) == []
        assert all(owed.attempts < MAX_ATTEMPTS for owed in world.state.owed.values())

    for _ in range(len(feed) + 2):  # nightly runs where everything works
        world.run(None, None, ["ok"])
    earliest = min(world.starts)
    due = {p.arxiv_id for p in world.feed if p.changed >= earliest}
    unfinished = due - world.drafted - world.held - set(world.state.gave_up)
    assert unfinished == set()
    assert world.state.owed == {}


def test_a_first_run_that_fails_one_paper_keeps_every_older_one_owed() -> None:
    """The issue's case: a 25-day first run with --max-papers 2 drafts one, fails one; the next
    nightly run must still ask for the failed one and the ones never reached."""
    feed = [_paper(n, (25 - n) * 24 * 60) for n in range(1, 6)]  # one paper a day, 24..20 days ago
    world = World(feed)
    world.run((NOW - dt.timedelta(days=25)).date(), 2, ["ok", "fail"])
    assert world.state.watermark == feed[1].changed  # at the failed paper, not None or past it
    assert set(world.state.owed) == {feed[1].arxiv_id}
    world.run(None, None, ["ok"])
    assert world.drafted == {p.arxiv_id for p in feed}
    assert world.state.owed == {}


def test_a_backfill_before_the_watermark_moves_it_back_to_what_it_did_not_finish() -> None:
    feed = [_paper(n, (30 - n) * 24 * 60) for n in range(1, 6)]
    world = World(feed)
    world.state = TopicState(watermark=NOW - dt.timedelta(days=1))  # everything older is done...
    world.run((NOW - dt.timedelta(days=30)).date(), 3, ["ok", "fail", "ok"])
    # ... except that this backfill found papers never drafted: one failed, two were not reached
    assert world.state.watermark == feed[1].changed
    assert world.lost(world.offered) == []
    world.run(None, None, ["ok"])
    assert world.drafted == {p.arxiv_id for p in feed}


def test_a_first_run_without_papers_starts_the_watermark_at_its_look_back() -> None:
    world = World([])
    world.run(None, None, [])
    assert world.state.watermark == NOW - FIRST_RUN_LOOKBACK
