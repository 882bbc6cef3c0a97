from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import ArxivServer, build_tiny_marian, launch_chromium

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_marian(tmp_path_factory.mktemp("tiny-marian"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh tree: the repository's topics, seed entries and glossary, in tmp_path."""
    root = tmp_path / "tree"
    (root / "catalog").mkdir(parents=True)
    # relevance thresholds are left out: tests feed short synthetic papers; the relevance tests set one
    topics = (REPO / "catalog" / "topics.yaml").read_text()
    (root / "catalog" / "topics.yaml").write_text(
        "".join(line for line in topics.splitlines(keepends=True) if not line.startswith("  min_relevance:"))
    )
    shutil.copytree(REPO / "catalog" / "tree", root / "catalog" / "tree")
    shutil.copytree(REPO / "translations", root / "translations")
    monkeypatch.setenv("ALPHATREE_HOME", str(root))
    return root


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium for the browser tests of a module; each test opens its own page (a fresh
    context: no cookies or local storage carried over) with `with browser.new_page(...) as page:`."""
    with launch_chromium() as launched:
        yield launched


@pytest.fixture
def arxiv_server() -> Iterator[ArxivServer]:
    with ArxivServer() as server:
        yield server


def cli_env(home: Path, server: ArxivServer | None, model: Path | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALPHATREE_", "PREFECT_"))}
    env.update(
        ALPHATREE_HOME=str(home),
        PREFECT_HOME=str(home / ".prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="INFO",
        # a child's temporary Prefect server may take longer than Prefect's 20 s to start on a busy machine
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
        TRANSFORMERS_VERBOSITY="error",
        ALPHATREE_GITHUB_API="http://127.0.0.1:9",  # closed port: implementations stay unverified
        ALPHATREE_NPM_REGISTRY="http://127.0.0.1:9",  # publish falls back to the CDN's Mermaid
    )
    if server is not None:
        env.update(ALPHATREE_ARXIV_API=server.api, ALPHATREE_ARXIV_DELAY="0.05")
    if model is not None:
        env["ALPHATREE_MT_MODEL"] = str(model)
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the installed `alphatree` command as a user would, in a process of its own. Only for what the
    process boundary is part of (the entry point, signals, imports, a server left behind); the rest
    goes through the `cli` fixture, which runs the same `main` in this process."""
    exe = Path(sys.executable).with_name("alphatree")
    return subprocess.run(
        [str(exe), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=env["ALPHATREE_HOME"],
    )


@contextlib.contextmanager
def _prefect_logs_to(stream: Any) -> Iterator[None]:
    """Prefect's console log lines go to `stream` (the test's captured stderr) meanwhile, as a child's go
    to its stderr; its handlers keep the stream they had when Prefect was first imported otherwise."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    handlers = {
        h for lg in loggers for h in getattr(lg, "handlers", []) if isinstance(h, PrefectConsoleHandler)
    }
    before = {h: h.stream for h in handlers}
    for h in handlers:
        h.setStream(stream)
        h.console.file = stream
    try:
        yield
    finally:
        for h, old in before.items():
            h.setStream(old)
            h.console.file = old


class InProcessCli:
    """`alphatree ARGS` as `run_cli` runs it (the same environment from `cli_env`, the tree as the
    working folder), but through `alphatree_ingest.cli.main` in this process: no interpreter start, no
    import of Prefect and transformers, no temporary Prefect server per command. Returns what `run_cli`
    returns (exit code, stdout, stderr); an exception that escapes `main` (a traceback for a user)
    fails the test where it happens."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(
        self, args: list[str], env: dict[str, str], timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        import signal

        from alphatree_ingest.cli import main

        self.capsys.readouterr()  # what the test printed before is not the command's output
        sigterm = signal.getsignal(signal.SIGTERM)  # main() installs its own SIGTERM handler
        with self.monkeypatch.context() as mp, _prefect_logs_to(sys.stderr):
            for key in os.environ:
                if key.startswith("ALPHATREE_") and key not in env:
                    mp.delenv(key)
            for key, value in env.items():
                # Prefect reads its settings once, at import: in this process the session's Prefect
                # (prefect_harness) serves every flow run, as the temporary server serves a child's
                if not key.startswith("PREFECT_") and os.environ.get(key) != value:
                    mp.setenv(key, value)
            if "ALPHATREE_HOME" in env:  # run_cli's working folder: the tree
                mp.chdir(env["ALPHATREE_HOME"])
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's usage errors and --help; as the interpreter exits
                code = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
                if exit_.code is not None and not isinstance(exit_.code, int):
                    print(exit_.code, file=sys.stderr)
            finally:
                signal.signal(signal.SIGTERM, sigterm)
            out, err = self.capsys.readouterr()
        return subprocess.CompletedProcess(["alphatree", *args], code, out, err)


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, prefect_harness: None
) -> InProcessCli:
    """`cli(args, env)`: `alphatree ARGS` in this process (see InProcessCli)."""
    return InProcessCli(capsys, monkeypatch)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect server for the flow tests of the whole session."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # as main() does: no telemetry
    import prefect.main  # noqa: F401 (Prefect's logging set up now, on this process's stderr, not a test's capture)
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


class Tagger:
    """A fake translator at the Translator seam: tags each sentence (flow tests need no model)."""

    name = "tagger"
    backend = "fake"

    def translate_batch(self, sentences: list[str]) -> list[str]:
        return [f"中文：{s}" for s in sentences]


@pytest.fixture
def flow_env(home: Path, arxiv_server: ArxivServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Settings of a flow run against the loopback arXiv, with the Tagger as its translator."""
    from alphatree_ingest.config import Settings
    from alphatree_ingest.run import stages

    monkeypatch.setenv("ALPHATREE_ARXIV_API", arxiv_server.api)
    monkeypatch.setenv("ALPHATREE_ARXIV_DELAY", "0")
    monkeypatch.setenv("ALPHATREE_MT_MODEL", "fake-tagger")
    settings = Settings.from_env()
    stages.use_translator(settings, Tagger())
    return settings


SLOW_FIXTURES = {"prefect_harness": "a Prefect server", "browser": "a browser"}
"""Fixtures that make a test slow by what they start, whatever the test's own mark says."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The quick subset (`-m "not slow"`) starts no Prefect server and no browser: a test that needs
    either, directly or through another fixture (`cli`, `flow_env`), is marked slow here, so the
    subset stays quick without anyone remembering to mark it."""
    for item in items:
        if SLOW_FIXTURES.keys() & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


class _LongWalksFirst:
    """Orders the collection last, after `-m`, `-k` and `--deselect` dropped what does not run (the
    marking above must come before them), so the shares are shares of what runs."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items[:] = long_walks_first(items, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_LongWalksFirst(), "long-walks-first")


LONG_WALKS = (
    "test_nightly_deployment_runs_on_a_real_server",
    "test_two_workers_of_a_process_pool_run_two_topics_at_once_within_one_arxiv_budget",
    "test_an_approval_in_the_review_app_resumes_the_waiting_prefect_run",
    "test_a_failing_draft_is_fixed_and_approved_in_the_prefect_ui",
    "test_the_demo_drafts_three_papers_offline_and_an_approval_there_makes_a_reading_page",
)
"""The tests that take a minute or more each (a real Prefect server, the demo's first run), longest first."""


def long_walks_first(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """The collection reordered so each test process starts with its share of the long walks.

    pytest-xdist's `worksteal` hands the first N/workers tests to the first process, the next to the
    second, and so on, and then balances by stealing. Put at the start of each share in turn, the long
    walks run side by side from the first second instead of one after another at the end."""
    longest = {name: rank for rank, name in enumerate(LONG_WALKS)}

    def name(item: pytest.Item) -> str:
        return str(getattr(item, "originalname", item.name))

    walks = sorted((i for i in items if name(i) in longest), key=lambda i: longest[name(i)])
    rest = [i for i in items if name(i) not in longest]
    workers = max(1, workers)
    sizes, left = [], len(items)
    for n in range(workers):  # as worksteal splits the collection
        sizes.append(left // (workers - n))
        left -= sizes[-1]
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for n, walk in enumerate(walks):
        shares[n % workers].append(walk)
    ordered = []
    for share, size in zip(shares, sizes, strict=True):
        take = max(0, size - len(share))
        ordered += share + rest[:take]
        rest = rest[take:]
    return ordered + rest


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """A devset test skipped for want of data is said out loud, not hidden in the skip count."""
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        if "devset is missing" in reason or "script is missing" in reason:
            terminalreporter.write_line(
                f"WARNING: {report.nodeid} did not run: {reason}", yellow=True, bold=True
            )
