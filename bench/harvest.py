"""Harvest benchmark: N papers from a loopback arXiv with the real 3 s politeness delay.

Usage: python bench/harvest.py [N]   (default 5)
Reports the wall time of discovery plus PDF downloads against the politeness floor
(delay x (requests - 1): the first request need not wait), and requests per paper;
then a no-op rerun from the watermark (one API request, no PDF).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alphatree_ingest.config import Settings  # noqa: E402
from alphatree_ingest.discover.arxiv_source import ArxivSource  # noqa: E402
from tests.support import ArxivServer, FeedEntry, days_ago, make_paper_pdf  # noqa: E402

DELAY = 3.0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp, ArxivServer() as server:
        for i in range(n):
            title = f"Paper {i}: A Benchmark"
            server.add(
                FeedEntry(f"2611.{i:05d}", title, "Abstract.", published=days_ago(n - i)),
                make_paper_pdf(title, "Abstract."),
            )
        source = ArxivSource(Settings(home=Path(tmp), arxiv_api=server.api, arxiv_delay=DELAY))
        start = time.perf_counter()
        found = source.discover("cat:cs.CV", since=dt.date(2000, 1, 1))
        for paper in found.papers:
            source.fetch_pdf(paper)
        wall = time.perf_counter() - start
        requests = len(server.requests)
        floor = DELAY * (requests - 1)
        print(
            f"{n} papers: {requests} requests ({requests / n:.2f} per paper), wall {wall:.2f} s, "
            f"floor {floor:.2f} s, wall/floor {wall / floor:.3f}"
        )
        before = len(server.requests)
        start = time.perf_counter()
        again = source.discover("cat:cs.CV", since=found.papers[-1].changed)
        for paper in again.papers:
            source.fetch_pdf(paper)  # cached: no download
        print(
            f"no-op rerun from the watermark: {len(server.requests) - before} request(s), "
            f"{time.perf_counter() - start:.2f} s"
        )


if __name__ == "__main__":
    main()
