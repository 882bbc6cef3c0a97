"""Learning paths through the tree: the reading order that leads to an entry, beginner to advanced."""

from __future__ import annotations

import heapq

from .models import CatalogEntry

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


def ancestors(entry_id: str, by_id: dict[str, CatalogEntry]) -> set[str]:
    seen: set[str] = set()
    stack = [entry_id]
    while stack:
        current = stack.pop()
        if current in seen or current not in by_id:
            continue
        seen.add(current)
        stack.extend(by_id[current].parents)
    return seen


def path_to(entry_id: str, entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """Every ancestor of the entry, then the entry. Raises KeyError for an unknown id."""
    by_id = {e.id: e for e in entries}
    if entry_id not in by_id:
        raise KeyError(entry_id)
    return reading_order(ancestors(entry_id, by_id), by_id)


def topic_plan(topic: str, level: str | None, entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """A starting plan: the topic's entries at `level` (all levels when None), with what they need first."""
    by_id = {e.id: e for e in entries}
    inside = [e for e in entries if e.topic == topic or e.topic.startswith(topic + "/")]
    goals = [e for e in inside if level is None or e.level == level]
    chosen: set[str] = set()
    for goal in goals:
        chosen |= ancestors(goal.id, by_id)
    return reading_order(chosen, by_id)
