"""The review app beside a real Prefect server: an approval in `alphatree review serve` resumes the
review run waiting on that draft, which completes saying who decided (one decision, two UIs)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import cli_env
from tests.test_prefect_server import (
    BIN,
    QUICK_POLLS,
    Processes,
    _deployed,
    _free_port,
    _healthy,
    _run_logs,
    _wait,
)
from tests.test_review_app import ID, form, write_draft
from tests.test_review_app_browser import _up
from tests.test_review_ui import _review_run

pytestmark = pytest.mark.slow


def test_an_approval_in_the_review_app_resumes_the_waiting_prefect_run(
    home: Path, tmp_path: Path, tiny_model: Path
) -> None:
    write_draft(home)
    port, app_port = _free_port(), _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = cli_env(
        home,
        None,
        tiny_model,
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_API_URL=api,
        ALPHATREE_REVIEWER="Ada",
        **QUICK_POLLS,
    )
    procs = Processes(home, env, tmp_path / "logs")
    procs.spawn("server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port))
    try:
        _wait(lambda: _healthy(api), 120, "the Prefect server")
        procs.spawn("serve", str(BIN / "alphatree"), "serve", "--topic", "gan")
        _wait(lambda: _deployed(api, "review/review"), 120, "review/review")
        params = json.dumps({"arxiv_id": ID, "title": "UIGAN"})
        started = subprocess.run(
            [str(BIN / "prefect"), "deployment", "run", "review/review", "--params", params],
            env=env,
            capture_output=True,
            text=True,
        )
        assert started.returncode == 0, started.stderr
        _wait(lambda: (_review_run(api) or {}).get("state", {}).get("type") == "PAUSED", 120, "the run")
        run = _review_run(api)
        assert run is not None

        base = f"http://127.0.0.1:{app_port}"
        procs.spawn("review", str(BIN / "alphatree"), "review", "serve", "--port", str(app_port), "--no-read")
        _wait(lambda: _up(f"{base}/"), 60, "the review app")
        with requests.Session() as http:
            html = http.get(f"{base}/review/{ID}", timeout=10).text
            data = form(
                html, title_zh="UIGAN：在浏览器中审阅", diagram=f"figures/{ID}/fig-1.png", decision="approve"
            )
            done = http.post(f"{base}/review/{ID}", data=data, timeout=60)
        assert done.status_code == 200, done.text
        assert "Resumed 1 review run(s) waiting in Prefect with the same decision." in done.text
        _wait(lambda: _review_run(api)["state"]["type"] == "COMPLETED", 240, "the resumed run")  # type: ignore[index]
        _wait(lambda: "decided by Ada" in _run_logs(api, run["id"]), 60, "the run to log who decided")
        entry = yaml.safe_load((home / "catalog" / "tree" / "gan" / "uigan.yaml").read_text())
        assert entry["title_zh"] == "UIGAN：在浏览器中审阅" and entry["provenance"]["reviewed_by"] == "Ada"
    finally:
        procs.stop()
