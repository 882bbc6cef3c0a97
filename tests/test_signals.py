"""Stopping a run: SIGTERM ends it within seconds and stops Prefect's temporary server; a server
left by a `kill -9` is stopped by the next command."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alphatree_ingest.run.processes import orphan_servers
from tests.conftest import InProcessCli, cli_env
from tests.support import ArxivServer, FeedEntry, days_ago, make_paper_pdf

pytestmark = pytest.mark.slow


def _start_hanging_run(home: Path, server: ArxivServer, model: Path) -> subprocess.Popen[str]:
    """`alphatree ingest` stuck on a PDF that arrives one byte a second."""
    server.add(
        FeedEntry("2611.00501", "HangGAN: A Paper", "We propose it.", published=days_ago(1)),
        make_paper_pdf("HangGAN: A Paper", "We propose it."),
    )
    server.trickle["/pdf/"] = 1.0
    exe = Path(sys.executable).with_name("alphatree")
    run = subprocess.Popen(
        [str(exe), "ingest", "--topic", "gan", "--min-relevance", "0"],
        env=cli_env(home, server, model),
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 180
    while not any(path.startswith("/pdf/") for _, path in server.requests):
        assert run.poll() is None and time.monotonic() < deadline, run.stdout.read() if run.stdout else ""
        time.sleep(0.2)
    return run


def test_sigterm_stops_a_run_in_seconds_and_its_temporary_server_with_it(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path
) -> None:
    run = _start_hanging_run(home, arxiv_server, tiny_model)
    run.send_signal(signal.SIGTERM)
    # The pipe closes only when every process holding it (the temporary server too) has exited.
    output, _ = run.communicate(timeout=30)
    assert run.returncode == 143, output
    assert "Stopping temporary server" in output
    assert orphan_servers() == []


def test_a_temporary_server_left_by_kill_9_is_stopped_by_the_next_command(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, cli: InProcessCli
) -> None:
    run = _start_hanging_run(home, arxiv_server, tiny_model)
    run.kill()
    run.wait()
    deadline = time.monotonic() + 10
    while not orphan_servers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert orphan_servers(), "kill -9 should have left the temporary server running"
    after = cli(["review", "list"], cli_env(home, None, None))  # the next command, whichever it is
    assert "Stopped 1 temporary Prefect server(s) left by killed runs" in after.stderr
    deadline = time.monotonic() + 10
    while orphan_servers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert orphan_servers() == []
    if run.stdout:
        run.stdout.close()
