"""Ask arXiv for a night's topics while the rest of the run starts (`alphatree ingest --all-topics`).

A night of every topic is bound by arXiv's politeness: one request every few seconds, 14 topics, about
42 s. Starting Prefect's temporary server and loading the translation model take many seconds more, and
before this they came first. The CLI now starts the night's queries in a background thread at once, in
topic order and through the same polite limiter; the flow's discovery task takes each answer when it is
ready. It changes no answer: a query is only taken when it is the very query the flow would send (same
API, same words, same start, same cap); anything else, or a query that failed, is asked again by the
flow's own task, with its retries. Deployments (`serve`, workers) never prefetch.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import Future

from ..config import Settings
from ..discover.arxiv_source import Discovery, requests_sent

_Key = tuple[str, str, dt.datetime, int | None]
_lock = threading.Lock()
_pending: dict[_Key, Future[Discovery]] = {}
_began: dict[str, tuple[int, dt.datetime]] = {}


def start(
    settings: Settings, queries: list[tuple[str, dt.datetime]], max_papers: int | None, now: dt.datetime
) -> None:
    """Ask each (query, start) in order, in a daemon thread (the process never waits for it to exit).
    `now`: the time the starts were computed from (a first run looks back from it)."""
    api = settings.arxiv_api
    jobs: list[tuple[str, dt.datetime, Future[Discovery]]] = []
    clear()  # answers and the start of an earlier run in this process are not this run's
    with _lock:
        _began.setdefault(api, (requests_sent(api), now))
        for query, since in queries:
            future: Future[Discovery] = Future()
            _pending[(api, query, since, max_papers)] = future
            jobs.append((query, since, future))

    def ask() -> None:
        from ..run.stages import arxiv

        source = arxiv(settings)  # the run's one source: its limiter, session and what the server refused
        for query, since, future in jobs:
            if not future.set_running_or_notify_cancel():
                continue  # the flow asked for it itself
            try:
                future.set_result(source.discover(query, since=since, max_papers=max_papers))
            except BaseException as err:  # noqa: BLE001 - handed to the flow, which asks again
                future.set_exception(err)

    threading.Thread(target=ask, name="arxiv-prefetch", daemon=True).start()


def take(settings: Settings, query: str, since: dt.datetime, max_papers: int | None) -> Discovery | None:
    """The prefetched answer to exactly this query (waiting for it), or None: ask it yourself."""
    with _lock:
        future = _pending.pop((settings.arxiv_api, query, since, max_papers), None)
    if future is None:
        return None
    try:
        return future.result()
    except Exception:
        return None


def began(api: str) -> tuple[int, dt.datetime] | None:
    """When the prefetch began (None without one): the requests to this API's host this process had
    sent by then (a run counts its requests from here, the prefetched ones included) and the `now` its
    starts were computed from (the run computes its starts from the same moment, so they match)."""
    with _lock:
        return _began.get(api)


def clear() -> None:
    """Forget what is left (a run that ends takes no stale answer into the next one in this process)."""
    with _lock:
        for future in _pending.values():
            future.cancel()
        _pending.clear()
        _began.clear()
