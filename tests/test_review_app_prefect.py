"""The review app beside a real Prefect server: an approval in `alphatree review serve` resumes the
review run waiting on that draft, which completes saying who decided (one decision, two UIs)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import yaml

from tests.test_prefect_server import BIN, _free_port, _run_logs, _server, _wait
from tests.test_review_app import ID, form, write_draft
from tests.test_review_app_browser import _up
from tests.test_review_ui import _paused_review_run, _review_run

pytestmark = pytest.mark.slow


def test_an_approval_in_the_review_app_resumes_the_waiting_prefect_run(
    home: Path, tmp_path: Path, tiny_model: Path
) -> None:
    write_draft(home)
    app_port = _free_port()
    api, procs = _server(home, tmp_path, None, tiny_model, ALPHATREE_REVIEWER="Ada")
    try:
        run = _paused_review_run(procs, api, ID, "UIGAN")

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
