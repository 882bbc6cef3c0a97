"""End-to-end nightly benchmark: `alphatree ingest` over N papers from a loopback arXiv with the real
3 s politeness delay and the full-size random-weight Marian of bench/translate.py.

Usage: python bench/nightly.py [N]   (default 6; builds the model first if bench/translate.py has not)
Reports the wall time of the flow (Prefect start-up and the model's loading excluded) against
  - the politeness floor: 3 s x (arXiv requests - 1), the requests counted by the server;
  - the CPU work alone: the flow's extract + translate + draft seconds (measured inside the same run).
Goal: wall <= 1.15 x max(floor, CPU): extraction and translation overlap the polite waiting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.translate import model_folder, sentences  # noqa: E402
from tests.support import ArxivServer, FeedEntry, days_ago, make_paper_pdf  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    model = model_folder()
    text = sentences(40)
    with tempfile.TemporaryDirectory() as tmp, ArxivServer() as server:
        home = Path(tmp)
        (home / "catalog").mkdir()
        (home / "catalog" / "topics.yaml").write_text((REPO / "catalog" / "topics.yaml").read_text())
        for i in range(n):
            abstract = " ".join(text[i * 5 : i * 5 + 5])
            title = f"Bench{i}GAN: A Benchmark Paper"
            server.add(
                FeedEntry(f"2611.{i:05d}", title, abstract, published=days_ago(n - i)),
                make_paper_pdf(title, abstract),
            )
        env = {
            **os.environ,
            "ALPHATREE_HOME": str(home),
            "ALPHATREE_ARXIV_API": server.api,
            "ALPHATREE_ARXIV_DELAY": "3",
            "ALPHATREE_MT_MODEL": str(model),
            "ALPHATREE_GITHUB_API": "http://127.0.0.1:9",
            "PREFECT_HOME": str(home / ".prefect"),
        }
        code = (
            "import json; from flows.ingest import ingest; "
            "print('RESULT', ingest(topic='gan', since='2000-01-01', min_relevance=0).model_dump_json())"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True
        )
        summary = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))[7:])
        requests = len(server.requests)
    timings = summary["timings"]
    cpu = timings["extract"] + timings["translate"] + timings["code"] + timings["draft"]
    floor = 3.0 * (requests - 1)
    wall = summary["seconds"] - timings["model_load"]  # loading (and converting) the model is start-up
    print(
        f"{n} papers, {len(summary['drafted'])} drafted, {requests} arXiv requests; "
        f"model load {timings['model_load']} s (excluded below)"
    )
    print(
        f"wall {wall:.1f} s; politeness floor {floor:.1f} s; CPU work {cpu:.1f} s "
        f"(extract {timings['extract']}, translate {timings['translate']}, draft {timings['draft']})"
    )
    print(f"wall / max(floor, CPU) = {wall / max(floor, cpu):.2f}   (goal <= 1.15)")


if __name__ == "__main__":
    main()
