"""The nightly deployment on a real Prefect server: `prefect server start`, `alphatree serve`,
`prefect deployment run 'ingest/nightly' --param topic=gan`, drafts written; every process stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import cli_env
from tests.support import ArxivServer, FeedEntry, make_paper_pdf

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(check, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


class Processes:
    """A real Prefect server on a free loopback port, and every process a test starts beside it;
    `stop()` ends them all (process groups, TERM then KILL)."""

    def __init__(self, home: Path, env: dict[str, str], logs: Path) -> None:
        self.home, self.env, self.logs = home, env, logs
        self.started: list[subprocess.Popen[bytes]] = []
        logs.mkdir()

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        out = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            list(args),
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.home,
        )
        self.started.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    def stop(self) -> None:
        for proc in reversed(self.started):
            _stop(proc)
        assert all(proc.poll() is not None for proc in self.started)


def _server(
    home: Path, tmp_path: Path, arxiv_server: ArxivServer, tiny_model: Path, **extra: str
) -> tuple[str, Processes]:
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = cli_env(
        home,
        arxiv_server,
        tiny_model,
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_API_URL=api,
        **extra,
    )
    procs = Processes(home, env, tmp_path / "logs")
    procs.spawn("server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port))
    try:
        _wait(lambda: _healthy(api), 120, "the Prefect server")
    except AssertionError:
        procs.stop()
        raise
    return api, procs


def test_nightly_deployment_runs_on_a_real_server(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, tmp_path: Path
) -> None:
    arxiv_server.add(
        FeedEntry("2611.00601", "ServeGAN: Nightly", "We propose ServeGAN."),
        make_paper_pdf("ServeGAN: Nightly", "We propose ServeGAN."),
    )
    api, procs = _server(home, tmp_path, arxiv_server, tiny_model)
    env, spawn, logs = procs.env, procs.spawn, procs.logs
    try:
        serve = spawn("serve", str(BIN / "alphatree"), "serve", "--topic", "gan")

        def registered() -> bool:
            assert serve.poll() is None, (logs / "serve.log").read_text()
            found = subprocess.run(
                [str(BIN / "prefect"), "deployment", "inspect", "ingest/nightly"],
                env=env,
                capture_output=True,
                text=True,
            )
            return found.returncode == 0

        _wait(registered, 120, "the deployment ingest/nightly")
        run = subprocess.run(
            [
                str(BIN / "prefect"),
                "deployment",
                "run",
                "ingest/nightly",
                "--param",
                "topic=gan",
                "--watch",
                "--watch-timeout",
                "240",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr + (logs / "serve.log").read_text()[-3000:]
        assert "Completed" in run.stdout
        draft = home / "catalog" / "drafts" / "2611.00601.yaml"
        assert draft.exists() and "ServeGAN" in draft.read_text()

        # the ingest started a review run that waits for a decision; the CLI's decision resumes it
        def review_state() -> str | None:
            body = {"flows": {"name": {"any_": ["review"]}}}
            runs = requests.post(f"{api}/flow_runs/filter", json=body, timeout=5).json()
            return runs[0]["state"]["type"] if runs else None

        _wait(lambda: review_state() == "PAUSED", 120, "a suspended review run")
        decided = subprocess.run(
            [str(BIN / "alphatree"), "review", "reject", "2611.00601", "--reason", "test"],
            env=env,
            capture_output=True,
            text=True,
            cwd=home,
        )
        assert decided.returncode == 0, decided.stderr
        assert "Resumed 1 review run" in decided.stdout
        _wait(lambda: review_state() == "COMPLETED", 120, "the review run to complete")
        assert (home / "catalog" / "rejected" / "2611.00601.yaml").exists() and not draft.exists()
    finally:
        procs.stop()


def test_two_workers_of_a_process_pool_run_two_topics_at_once_within_one_arxiv_budget(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, tmp_path: Path
) -> None:
    for n in (1, 2):  # the loopback feed answers every topic's query with all four papers
        title = f"Pool{n}Net: Worker {n}"
        for k in range(2):
            arxiv_server.add(
                FeedEntry(f"2611.008{n}{k}", f"{title} part {k}", "We propose it."),
                make_paper_pdf(f"{title} part {k}", "We propose it."),
            )
    api, procs = _server(home, tmp_path, arxiv_server, tiny_model, ALPHATREE_ARXIV_DELAY="0.5")
    env, spawn, logs = procs.env, procs.spawn, procs.logs

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / args[0]), *args[1:]], env=env, capture_output=True, text=True, cwd=home, timeout=300
        )

    try:
        assert cli("prefect", "work-pool", "create", "alphatree", "--type", "process").returncode == 0
        deployed = cli("alphatree", "deploy", "--pool", "alphatree")
        assert deployed.returncode == 0, deployed.stderr
        for i in range(2):
            spawn(
                f"worker{i}", str(BIN / "prefect"), "worker", "start", "--pool", "alphatree", "--limit", "1"
            )
        runs = [
            spawn(
                f"run-{t}",
                str(BIN / "prefect"),
                "deployment",
                "run",
                "ingest/nightly",
                "--param",
                f"topic={t}",
                "--watch",
                "--watch-timeout",
                "240",
            )
            for t in ("gan", "classification")
        ]
        for run in runs:
            assert run.wait(timeout=300) == 0, [
                (logs / f).read_text()[-2000:] for f in ("worker0.log", "worker1.log")
            ]
        # each paper drafted once, though both topics' runs found all four at the same time
        drafts = sorted(p.name for p in (home / "catalog" / "drafts").glob("*.yaml"))
        assert drafts == [f"2611.008{n}{k}.yaml" for n in (1, 2) for k in range(2)]
        # both runs overlapped, yet the server saw its requests spaced by the one budget
        times = [t for t, _ in arxiv_server.requests]
        assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.49
        worker_logs = [(logs / f"worker{i}.log").read_text() for i in range(2)]
        assert all("ingest" in text for text in worker_logs), "each worker ran one of the two topics"
    finally:
        procs.stop()


def _healthy(api: str) -> bool:
    try:
        return requests.get(f"{api}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False
