"""Learning paths through the tree: the reading order that leads to an entry, beginner to advanced,
fitted to what the reader already knows (自适应的学习计划).

The site's `plan.html` runs the same rules in the page (`plan_page.PLAN_JS`): keep the two in step."""

from __future__ import annotations

import heapq

from ..models import CatalogEntry

_LEVEL_RANK = {"beginner": 0, None: 1, "advanced": 2}


def _key(entry: CatalogEntry) -> tuple[int, int, str]:
    return (_LEVEL_RANK.get(entry.level, 1), entry.year, entry.name.lower())


def reading_order(chosen: set[str], by_id: dict[str, CatalogEntry]) -> list[CatalogEntry]:
    """The chosen entries with parents before children; among those ready, beginner first, then older."""
    pending = {i: {p for p in by_id[i].parents if p in chosen} for i in chosen}
    ready = [(_key(by_id[i]), i) for i, parents in pending.items() if not parents]
    heapq.heapify(ready)
    order: list[CatalogEntry] = []
    while ready:
        _, current = heapq.heappop(ready)
        order.append(by_id[current])
        for other, parents in pending.items():
            if current in parents:
                parents.discard(current)
                if not parents:
                    heapq.heappush(ready, (_key(by_id[other]), other))
    return order


def ancestors(entry_id: str, by_id: dict[str, CatalogEntry], known: frozenset[str] = frozenset()) -> set[str]:
    """The entry and what it builds on, parents of parents included; a known entry is left out (the
    entry itself stays, needing nothing), and so is whatever was needed only through it."""
    seen: set[str] = set()
    stack = [entry_id]
    while stack:
        current = stack.pop()
        if current in seen or current not in by_id or (current in known and current != entry_id):
            continue
        seen.add(current)
        if current not in known:  # a known goal stays (the plan ends at it) but needs nothing
            stack.extend(by_id[current].parents)
    return seen


def path_to(
    entry_id: str, entries: list[CatalogEntry], known: frozenset[str] = frozenset()
) -> list[CatalogEntry]:
    """What to read, in order, to reach the entry, skipping what the reader knows; the entry comes last.
    Raises KeyError for an unknown id."""
    by_id = {e.id: e for e in entries}
    if entry_id not in by_id:
        raise KeyError(entry_id)
    return reading_order(ancestors(entry_id, by_id, known), by_id)


def topic_plan(
    topic: str, level: str | None, entries: list[CatalogEntry], known: frozenset[str] = frozenset()
) -> list[CatalogEntry]:
    """A starting plan: the topic's entries at `level` (all levels when None) that the reader does not
    know yet, with what they need first."""
    by_id = {e.id: e for e in entries}
    inside = [e for e in entries if e.topic == topic or e.topic.startswith(topic + "/")]
    goals = [e for e in inside if (level is None or e.level == level) and e.id not in known]
    chosen: set[str] = set()
    for goal in goals:
        chosen |= ancestors(goal.id, by_id, known)
    return reading_order(chosen, by_id)


def next_reads(entry: CatalogEntry, entries: list[CatalogEntry], limit: int = 6) -> list[CatalogEntry]:
    """What to read after the entry: the entries that build on it, then its neighbours in its topic that
    it does not build on (beginner first, then older)."""
    children = sorted((e for e in entries if entry.id in e.parents), key=lambda e: (e.year, e.id))
    seen = ancestors(entry.id, {e.id: e for e in entries}) | {entry.id} | {e.id for e in children}
    neighbours = sorted(
        (e for e in entries if e.topic == entry.topic and e.id not in seen), key=lambda e: (_key(e), e.id)
    )
    return (children + neighbours)[:limit]
