"""The adversarial half of the fault bench (issue #24): a full disk, broken encodings, hostile entries
and two reviewers at once, each through the real commands in a new tree. For each scenario: papers
offered, drafted, owed, given up, lost; things that escaped (a file outside the tree touched, a script
or event handler in the site, a reviewer's version or comment lost, a sentence learned twice); and
tracebacks (an exception out of `alphatree`, where one sentence is promised). Goals: 0, 0, 0.

Usage: python bench/faults.py (runs this after the fault table) or python bench/hostile.py
"""

from __future__ import annotations

import contextlib
import html.parser
import io
import os
import resource
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from alphatree_ingest.catalog import Catalog  # noqa: E402
from alphatree_ingest.cli import main  # noqa: E402
from alphatree_ingest.config import Settings  # noqa: E402
from alphatree_ingest.models import Extraction, Paper, Translation  # noqa: E402
from alphatree_ingest.review.gate import ReviewError, decide  # noqa: E402
from alphatree_ingest.run import stages  # noqa: E402
from alphatree_ingest.run.demo import prepare_tree  # noqa: E402
from alphatree_ingest.site.html import CDN_MERMAID  # noqa: E402
from alphatree_ingest.site.plan_page import PLAN_JS  # noqa: E402
from tests.conftest import Tagger  # noqa: E402
from tests.support import ArxivServer, feed_gan_papers  # noqa: E402
from tests.test_review import _draft  # noqa: E402

HOSTILE = '<img src=x onerror="alert(1)">'


class Row(dict[str, Any]):
    """One scenario's counts."""


def _cli(*args: str) -> tuple[int | None, str]:
    """`alphatree ARGS` in this process: (exit code, stderr); None when an exception escaped it."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            return main(list(args)), err.getvalue()
        except BaseException as exc:  # noqa: BLE001 - a traceback is what this bench counts
            return None, f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def _tree(server: ArxivServer | None = None) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "tree"
        prepare_tree(home)
        os.environ.update(
            ALPHATREE_HOME=str(home),
            ALPHATREE_ARXIV_DELAY="0",
            ALPHATREE_MT_MODEL="fake-tagger",
            ALPHATREE_NPM_REGISTRY="http://127.0.0.1:9",
            ALPHATREE_GITHUB_API="http://127.0.0.1:9",
            ALPHATREE_HTTP_TIMEOUT="2",
            ALPHATREE_RETRY_DELAYS="0.1",
        )
        if server is not None:
            os.environ["ALPHATREE_ARXIV_API"] = server.api
        stages.use_translator(Settings.from_env(), Tagger())
        yield home


def _feed(server: ArxivServer, n: int) -> list[str]:
    return feed_gan_papers(server, [float(i) for i in range(1, n + 1)], prefix="2611.009", name="Hostile")


def _papers(home: Path, ids: list[str]) -> Row:
    """Where each offered paper stands (`bench/faults.py`'s count: lost = neither drafted, owed,
    given up, nor still ahead of the watermark)."""
    from bench.faults import _count

    counts = _count(home, ids, [float(i) for i in range(1, len(ids) + 1)])
    return Row(
        offered=len(ids),
        drafted=counts["drafted"],
        owed=counts["owed"] + counts["waiting"],
        gave_up=counts["given up"],
        lost=counts["lost"],
    )


def _nights(home: Path, ids: list[str], n: int) -> list[str]:
    from flows.ingest import ingest

    exits = []
    for _ in range(n):
        state = ingest(topic="gan", min_relevance=0, return_state=True)
        exits.append("fail" if state.is_failed() else "ok")
    return exits


def full_translations() -> Row:
    with ArxivServer() as server, _tree(server) as home:
        ids = _feed(server, 3)
        memory = home / "translations" / "memory.jsonl"
        existing = memory.read_bytes() if memory.exists() else b""
        limit = max(len(existing) + 2, 2_000_000)
        memory.write_bytes(existing + b" " * (limit - len(existing) - 1) + b"\n")  # full: not a byte more
        old = resource.getrlimit(resource.RLIMIT_FSIZE)
        handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, old[1]))
        try:
            exits = _nights(home, ids, 3)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, old)
            signal.signal(signal.SIGXFSZ, handler)
        row = _papers(home, ids)
        row.update(runs="/".join(exits), escaped=0, tracebacks=0)
        return row


def cache_not_a_folder() -> Row:
    with ArxivServer() as server, _tree(server) as home:
        ids = _feed(server, 3)
        (home / "cache").mkdir(exist_ok=True)
        (home / "cache" / "pdf").write_text("a file where the PDF folder should be")
        exits = _nights(home, ids, 3)
        row = _papers(home, ids)
        row.update(runs="/".join(exits), escaped=0, tracebacks=0)
        return row


def torn_memory() -> Row:
    with ArxivServer() as server, _tree(server) as home:
        ids = _feed(server, 3)
        memory = home / "translations" / "memory.jsonl"
        memory.write_bytes((memory.read_bytes() if memory.exists() else b"") + '{"source": "我'.encode()[:-1])
        exits = _nights(home, ids, 1)
        tracebacks = sum(code is None for code, _ in (_cli("memory", "audit"), _cli("translate", "Hello.")))
        row = _papers(home, ids)
        row.update(runs="/".join(exits), escaped=0, tracebacks=tracebacks)
        return row


def _entry(home: Path, entry_id: str, **fields: Any) -> None:
    data = {
        "id": entry_id,
        "name": entry_id,
        "title": "T",
        "year": 2020,
        "topic": "gan",
        "status": "approved",
    }
    path = home / "catalog" / "tree" / "gan" / f"{entry_id}.yaml"
    path.write_text(yaml.safe_dump({**data, **fields}, allow_unicode=True))


class _Scripts(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        code = tag == "script" and "src" not in names and dict(attrs).get("type") != "application/json"
        self.found += any(n.startswith("on") for n in names) or code


def _escaped_scripts(site: Path) -> int:
    found = 0
    for page in site.rglob("*.html"):
        text = page.read_text()
        for ours in (
            "<script>mermaid.initialize({ startOnLoad: true });</script>",
            CDN_MERMAID,
            f"<script>{PLAN_JS}</script>",
        ):
            text = text.replace(ours, "")
        parser = _Scripts()
        parser.feed(text)
        found += parser.found
    return found


def outside_paths() -> Row:
    with _tree() as home, tempfile.TemporaryDirectory() as other:
        secret = Path(other) / "secret.png"
        secret.write_bytes(b"secret")
        secret.chmod(0o600)
        _entry(home, "a", diagram=str(secret))
        _entry(home, "b", diagram="none", figures=[{"file": f"../../../../{secret}"}])
        link = home / "catalog" / "figures" / "x" / "fig-1.png"
        link.parent.mkdir(parents=True)
        link.symlink_to(secret)
        _entry(home, "c", diagram="figures/x/fig-1.png", figures=[{"file": "figures/x/fig-1.png"}])
        code, _ = _cli("publish")
        copied = sum(p.read_bytes() == b"secret" for p in (home / "site").rglob("*") if p.is_file())
        escaped = copied + (secret.stat().st_mode & 0o777 != 0o600)
        return Row(offered=3, runs=str(code), escaped=escaped, tracebacks=int(code is None))


def script_in_site() -> Row:
    with _tree() as home:
        topics = home / "catalog" / "topics.yaml"
        data = yaml.safe_load(topics.read_text())
        for topic in data["topics"]:
            topic["name_zh"] += HOSTILE
        topics.write_text(yaml.safe_dump(data, allow_unicode=True))
        bad = "figures/y.png\n<script>alert(1)</script>"
        _entry(home, "n", diagram=bad, figures=[{"file": bad}], title_zh=HOSTILE, venue=HOSTILE)
        code, _ = _cli("publish")
        return Row(
            offered=1, runs=str(code), escaped=_escaped_scripts(home / "site"), tracebacks=int(code is None)
        )


def approve_races_refresh() -> Row:
    """The reviewer approves while a run refreshes the draft for v2, both orders, 10 rounds each."""
    lost = tracebacks = 0
    with _tree() as home:
        settings = Settings.from_env()
        catalog = Catalog(home / "catalog")
        for n in range(20):
            arxiv_id = f"2611.010{n:02d}"
            draft = _draft(home, arxiv_id)
            draft.write_text(draft.read_text().replace("\nid: pixelgan\n", f"\nid: race-{n}\n"))
            stale = catalog.load()
            paper = Paper(
                arxiv_id=arxiv_id,
                version=2,
                title="PixelGAN: Sharper Image Synthesis",
                authors=["A"],
                abstract="We propose it.",
                published=days_ago_dt(),
                pdf_url="http://x/pdf",
            )
            translation = Translation(title_zh="像素", abstract_zh="我们", model="m", backend="b")
            refresh = threading.Thread(
                target=stages.write_draft,
                args=(settings, stale, "gan", paper, Extraction(), translation, []),
            )
            if n % 2:
                refresh.start()
            try:
                decide(catalog, arxiv_id, "approve", reviewer="r")
            except ReviewError:
                pass
            except Exception:  # noqa: BLE001
                tracebacks += 1
            if not n % 2:
                refresh.start()
            refresh.join()
            in_tree = [p for p in catalog.tree_dir.rglob("*.yaml") if arxiv_id in p.read_text()]
            draft_left = catalog.draft_path(arxiv_id).exists()
            flagged = catalog.flag_path(arxiv_id).exists()
            # v2 must reach the reviewer: as the approved draft's refresh, a flag, or a waiting draft
            v2_seen = flagged or draft_left or any("version: 2" in p.read_text() for p in in_tree)
            lost += (len(in_tree) + draft_left != 1) or not v2_seen
    return Row(offered=20, runs="20 rounds", lost=lost, escaped=0, tracebacks=tracebacks)


def days_ago_dt() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC) - dt.timedelta(days=1)


def foreign_draft() -> Row:
    with _tree() as home:
        _draft(home, "2611.01101")
        (home / "catalog" / "drafts" / "2611.01102.yaml").write_bytes(b"id: caf\xe9\n")
        results = [
            _cli("review", "list"),
            _cli("publish"),
            _cli("review", "approve", "2611.01101", "--no-read"),
        ]
        return Row(
            offered=2,
            runs="/".join(str(c) for c, _ in results),
            tracebacks=sum(c is None for c, _ in results),
        )


def two_approvals() -> Row:
    from alphatree_ingest.mt.memory import TranslationMemory

    twice = tracebacks = 0
    with _tree() as home:
        catalog = Catalog(home / "catalog")
        for n in range(10):
            arxiv_id = f"2611.012{n:02d}"
            draft = _draft(home, arxiv_id)
            text = draft.read_text().replace("\nid: pixelgan\n", f"\nid: twice-{n}\n")
            draft.write_text(text.replace("title_zh: ", f"title_zh: 第{n}版", 1))
            barrier = threading.Barrier(2)
            errors: list[BaseException] = []

            def approve(
                barrier: threading.Barrier = barrier,
                arxiv_id: str = arxiv_id,
                errors: list[BaseException] = errors,
            ) -> None:
                memory = TranslationMemory(home / "translations" / "memory.jsonl")
                barrier.wait()
                try:
                    decide(catalog, arxiv_id, "approve", reviewer="r", memory=memory)
                except ReviewError:
                    pass
                except BaseException as err:  # noqa: BLE001
                    errors.append(err)

            workers = [threading.Thread(target=approve) for _ in range(2)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            tracebacks += len(errors)
            twice += (home / "translations" / "memory.jsonl").read_text().count(f"第{n}版") > 1
    return Row(offered=10, runs="10 rounds", escaped=twice, tracebacks=tracebacks)


def alias_bomb() -> Row:
    with _tree() as home:
        draft = _draft(home, "2611.01301")
        lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        lines += [f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)]
        nested = "".join(f"  {line}\n" for line in lines)
        draft.write_text(draft.read_text().replace("\nprovenance:\n", "\nprovenance:\n" + nested, 1))
        began = time.monotonic()
        code, _ = _cli("review", "approve", "2611.01301", "--no-read")
        return Row(
            offered=1, runs=f"{code} in {time.monotonic() - began:.2f} s", tracebacks=int(code is None)
        )


def duplicate_ids() -> Row:
    with _tree() as home:
        _entry(home, "resnet")  # the seed tree already has classification/resnet.yaml
        code, _ = _cli("publish")
        hidden = int((home / "site" / "entries" / "resnet.html").exists())
        return Row(offered=1, runs=str(code), lost=hidden, tracebacks=int(code is None))


def state_and_names() -> Row:
    with ArxivServer() as server, _tree(server) as home:
        state = Catalog(home / "catalog").state_path("gan")
        state.mkdir(parents=True)
        results = [_cli("ingest", "--topic", "gan")]
        state.rmdir()
        state.write_bytes(b"watermark: \xff\n")
        results.append(_cli("ingest", "--topic", "gan"))
        empty = home / "zero.pdf"
        empty.write_bytes(b"")
        results.append(_cli("extract", str(empty)))
        named = sum(("gan.yaml" in err or "zero.pdf" in err) for _, err in results)
        return Row(offered=3, runs=f"{named}/3 name the file", tracebacks=sum(c is None for c, _ in results))


def comments_at_approval() -> Row:
    with _tree() as home:
        draft = _draft(home, "2611.01401")
        draft.write_text(draft.read_text().replace("\ntopic:", "\n# checked with the authors\ntopic:"))
        code, _ = _cli("review", "approve", "2611.01401", "--no-read")
        kept = any(
            "# checked with the authors" in p.read_text() for p in (home / "catalog" / "tree").rglob("*.yaml")
        )
        return Row(offered=1, runs=str(code), lost=int(not kept), tracebacks=int(code is None))


def shared_topic_files() -> Row:
    with _tree() as home:
        topics = home / "catalog" / "topics.yaml"
        data = yaml.safe_load(topics.read_text())
        data["topics"] += [
            {"id": "gan/x", "name_zh": "X", "name_en": "X", "query": "ti:x"},
            {"id": "gan-x", "name_zh": "Y", "name_en": "Y", "query": "ti:y"},
        ]
        topics.write_text(yaml.safe_dump(data, allow_unicode=True))
        code, _ = _cli("publish")
        shared = int(code == 0)  # published: the two topics would have shared one page
        return Row(offered=2, runs=str(code), lost=shared, tracebacks=int(code is None))


SCENARIOS: list[tuple[str, Callable[[], Row]]] = [
    ("translations/ full (kernel file-size limit), 3 nights", full_translations),
    ("cache/pdf is a file, 3 nights", cache_not_a_folder),
    ("torn UTF-8 character at the end of memory.jsonl", torn_memory),
    ("entry paths outside the tree (absolute, ../, symlink)", outside_paths),
    ("script in a file name and in topic names", script_in_site),
    ("approve racing a v2 refresh, 20 rounds", approve_races_refresh),
    ("one non-UTF-8 draft, then list/publish/approve", foreign_draft),
    ("two approvals of one draft at once, 10 rounds", two_approvals),
    ("YAML alias bomb in a draft", alias_bomb),
    ("a second entry with id resnet", duplicate_ids),
    ("state file a folder / not UTF-8; zero.pdf", state_and_names),
    ("reviewer comment, then approve", comments_at_approval),
    ("topics gan/x and gan-x", shared_topic_files),
]


def run() -> None:
    from prefect.testing.utilities import prefect_test_harness

    keys = ["offered", "drafted", "owed", "gave_up", "lost", "escaped", "tracebacks"]
    print("| scenario | " + " | ".join(k.replace("_", " ") for k in keys) + " | exits |")
    print("|---|" + "---|" * (len(keys) + 1))
    totals = dict.fromkeys(("lost", "escaped", "tracebacks"), 0)
    with prefect_test_harness(server_startup_timeout=120):
        for name, scenario in SCENARIOS:
            row = scenario()
            for key in totals:
                totals[key] += int(row.get(key, 0))
            cells = [str(row.get(k, "—")) for k in keys]
            print(f"| {name} | " + " | ".join(cells) + f" | {row.get('runs', '')} |", flush=True)
    print(f"\ntotals: lost {totals['lost']}, escaped {totals['escaped']}, tracebacks {totals['tracebacks']}")


if __name__ == "__main__":
    run()
