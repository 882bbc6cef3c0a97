"""Fault-injection table: for each fault, papers offered, drafted, owed, given up and lost after the
faulty nights, and drafted after the fault is fixed; then how long a hung request takes to abandon.

Usage: python bench/faults.py [--hangs]   (the second table is bench/hostile.py's)
The scenarios run the real `ingest` flow against a loopback arXiv (politeness delay 0, a tagging
translator). `--hangs` also times, with the default settings, a PDF that trickles one byte a second
and an API that never answers (several minutes).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from alphatree_ingest.catalog import Catalog  # noqa: E402
from alphatree_ingest.config import Settings  # noqa: E402
from alphatree_ingest.discover.arxiv_source import ArxivSource, TransientError  # noqa: E402
from alphatree_ingest.run import stages  # noqa: E402
from alphatree_ingest.run.demo import prepare_tree  # noqa: E402
from tests.conftest import Tagger  # noqa: E402
from tests.support import ArxivServer, days_ago, feed_gan_papers, make_paper_pdf  # noqa: E402

N = 5


def _home(root: Path) -> Path:
    """A new tree as `alphatree demo` makes it (runs pass --min-relevance 0: the papers are synthetic)."""
    prepare_tree(root)
    return root


def _feed(server: ArxivServer, ages: list[float]) -> list[str]:
    return feed_gan_papers(server, ages, prefix="2611.004", name="Bench")


def _since(days: int) -> dt.date:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).date()


def _count(home: Path, ids: list[str], ages: list[float]) -> dict[str, int]:
    """Where each offered paper stands: a paper neither drafted, owed, given up, nor at or after the
    watermark (which the next run asks from) is lost."""
    catalog = Catalog(home / "catalog")
    state = catalog.load_state("gan")
    drafted = {p.stem for p in catalog.drafts_dir.glob("*.yaml")} if catalog.drafts_dir.is_dir() else set()
    changed = {
        i: dt.datetime.fromisoformat(days_ago(a).replace("Z", "+00:00"))
        for i, a in zip(ids, ages, strict=True)
    }
    rest = [i for i in ids if i not in drafted and i not in state.owed and i not in state.gave_up]
    mark = state.watermark
    waiting = [i for i in rest if mark is None or changed[i] >= mark]
    return {
        "drafted": len(drafted & set(ids)),
        "owed": len(set(state.owed) & set(ids)),
        "waiting": len(waiting),
        "given up": len(set(state.gave_up) & set(ids)),
        "lost": len(rest) - len(waiting),
    }


def _scenarios() -> list[tuple[str, list[float], Callable, Callable, list[dict]]]:
    def truncate_second(server, ids, home):  # type: ignore[no-untyped-def]
        server.pdfs[f"{ids[1]}v1"] = server.pdfs[f"{ids[1]}v1"][:-400]

    def restore(server, ids, home):  # type: ignore[no-untyped-def]
        for n, arxiv_id in enumerate(ids, start=1):
            server.pdfs[f"{arxiv_id}v1"] = make_paper_pdf(f"Bench{n}GAN: Paper {n}", "We propose it.")
        server.resets.clear()

    def watermark_ahead(server, ids, home):  # type: ignore[no-untyped-def]
        truncate_second(server, ids, home)
        state = home / "catalog" / "state" / "gan.yaml"
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(f"watermark: '{days_ago(1)}'\n")

    def resets(server, ids, home):  # type: ignore[no-untyped-def]
        server.resets.add("/pdf/")

    def captcha(server, ids, home):  # type: ignore[no-untyped-def]
        for arxiv_id in ids:
            server.pdfs[f"{arxiv_id}v1"] = b"<html>Are you a robot?</html>"

    def unwritable(server, ids, home):  # type: ignore[no-untyped-def]
        (home / "catalog" / "drafts").write_text("not a folder")

    def writable(server, ids, home):  # type: ignore[no-untyped-def]
        (home / "catalog" / "drafts").unlink()

    nightly = [{}]
    return [
        (
            "first run --since 25d --max-papers 2, one truncated PDF",
            [24, 23, 22, 21, 20],
            truncate_second,
            restore,
            [{"since": _since(25), "max_papers": 2}],
        ),
        (
            "backfill --since 12d --max-papers 3 under a later watermark",
            [10, 9, 8, 7, 6],
            watermark_ahead,
            restore,
            [{"since": _since(12), "max_papers": 3}],
        ),
        ("PDF host resets every connection, 3 nights", [5, 4, 3, 2, 1], resets, restore, nightly * 3),
        ("captcha page instead of every PDF, 3 nights", [5, 4, 3, 2, 1], captcha, restore, nightly * 3),
        ("catalog/drafts unwritable, 3 nights", [5, 4, 3, 2, 1], unwritable, writable, nightly * 3),
    ]


def run_scenarios() -> None:
    from prefect.testing.utilities import prefect_test_harness

    from flows.ingest import ingest

    rows = []
    with prefect_test_harness(server_startup_timeout=120):
        for name, ages, fault, fix, nights in _scenarios():
            with tempfile.TemporaryDirectory() as tmp, ArxivServer() as server:
                home = _home(Path(tmp) / "tree")
                os.environ.update(
                    ALPHATREE_HOME=str(home),
                    ALPHATREE_ARXIV_API=server.api,
                    ALPHATREE_ARXIV_DELAY="0",
                    ALPHATREE_MT_MODEL="fake-tagger",
                    ALPHATREE_HTTP_TIMEOUT="2",
                    ALPHATREE_RETRY_DELAYS="0.1",
                )
                stages.use_translator(Settings.from_env(), Tagger())
                ids = _feed(server, ages)
                fault(server, ids, home)
                exits = []
                for night in nights:
                    state = ingest(topic="gan", min_relevance=0, return_state=True, **night)
                    exits.append("fail" if state.is_failed() else "ok")
                after = _count(home, ids, ages)
                fix(server, ids, home)
                ingest(topic="gan", min_relevance=0)
                caught_up = _count(home, ids, ages)["drafted"]
                rows.append((name, len(ids), after, "/".join(exits), caught_up))
    print(
        "| scenario | offered | drafted | owed | not reached (after the watermark) | given up | lost "
        "| runs | drafted after the fix |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, offered, c, exits, caught_up in rows:
        print(
            f"| {name} | {offered} | {c['drafted']} | {c['owed']} | {c['waiting']} | {c['given up']} "
            f"| {c['lost']} | {exits} | {caught_up} |"
        )


def time_hangs() -> None:
    """Wall time until a hung request is abandoned, with the default settings (one attempt each)."""
    with tempfile.TemporaryDirectory() as tmp, ArxivServer() as server:
        _feed(server, [1])
        server.trickle["/pdf/"] = 1.0
        settings = Settings(home=Path(tmp), arxiv_api=server.api, arxiv_delay=0)
        source = ArxivSource(settings)
        (paper,) = source.discover("x", since=_since(3)).papers
        start = time.perf_counter()
        try:
            source.fetch_pdf(paper)
        except TransientError as err:
            print(f"PDF trickled 1 byte/s: abandoned after {time.perf_counter() - start:.1f} s ({err})")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        api = f"http://127.0.0.1:{silent.getsockname()[1]}/api/query"
        source = ArxivSource(Settings(home=Path(tmp), arxiv_api=api, arxiv_delay=0))
        start = time.perf_counter()
        try:
            source.discover("x", since=_since(3))
        except Exception as err:
            print(f"API never answers: abandoned after {time.perf_counter() - start:.1f} s ({err})")
    default = Settings()
    delays = sum(default.retry_delays)
    print(
        f"with the flow's task retries (delays {default.retry_delays}), a run gives up after at most "
        f"{3 * default.http_deadline + delays:.0f} s for a trickling PDF and "
        f"{3 * default.http_timeout + delays:.0f} s for a silent API"
    )


if __name__ == "__main__":
    run_scenarios()
    from bench.hostile import run as run_hostile

    print()
    run_hostile()  # the adversarial scenarios: full disks, encodings, hostile entries, two reviewers
    if "--hangs" in sys.argv:
        time_hangs()
