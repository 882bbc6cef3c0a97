"""`alphatree review serve` as a curator uses it: the real command, a real headless browser (Debian's
chromium through Playwright), on a laptop (1280×900) and a phone (390×844).

`ALPHATREE_SCREENSHOTS=docs` saves the screenshots the README shows."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
import yaml

from tests.conftest import InProcessCli, cli_env
from tests.support import needs_chromium
from tests.test_prefect_server import BIN, Processes, _free_port, _wait
from tests.test_review_app import ID, write_draft

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [
    pytest.mark.slow,
    needs_chromium,
]
TITLE_ZH = "UIGAN：在浏览器中审阅"


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.mark.parametrize(
    "device, viewport",
    [("laptop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})],
)
def test_a_curator_fixes_and_approves_a_draft_in_a_few_clicks(
    home: Path, tmp_path: Path, device: str, viewport: dict[str, int], browser: Browser, cli: InProcessCli
) -> None:
    write_draft(home)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = cli_env(home, None, None, ALPHATREE_REVIEWER="Ada")
    procs = Processes(home, env, tmp_path / "logs")
    procs.spawn("review", str(BIN / "alphatree"), "review", "serve", "--port", str(port))
    shots = Path(os.environ.get("ALPHATREE_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    try:
        _wait(lambda: _up(f"{base}/"), 60, "the review app")
        state = json.loads((home / "cache" / "review-app.json").read_text())
        assert state["url"] == base
        listed = cli(["review", "list"], env)
        assert f"review: {base}/review/{ID}" in listed.stdout, listed.stdout + listed.stderr
        with browser.new_page(viewport=viewport) as page:
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            clock = time.monotonic()
            page.goto(f"{base}/review/{ID}")
            _assert_fits(page)
            tall = page.evaluate("document.documentElement.scrollHeight")
            # the failing checks are the first thing on the page
            checks = page.locator("#checks")
            assert "title_zh is not translated into Chinese" in checks.inner_text()
            assert checks.bounding_box()["y"] < viewport["height"] / 2  # type: ignore[index]
            # every figure image loads (no lazy image left blank)
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete && i.naturalWidth)")
            assert widths == [160, 200]
            page.screenshot(path=str(shots / f"review-{device}.png"))
            actions = 0

            # the curator picks the diagram by clicking its image, then approves: refused, the title
            page.locator(f"img[src='/figures/{ID}/fig-1.png']").click()
            actions += 1
            page.locator("button[name=decision][value=approve]").click()
            actions += 1
            page.wait_for_load_state()
            refused = page.locator("#refused")
            assert "Last approval refused" in refused.inner_text()
            assert "title_zh is not translated into Chinese" in refused.inner_text()
            assert page.locator(f"input[name=diagram][value='figures/{ID}/fig-1.png']").is_checked()
            _assert_fits(page)

            # ... is still English: corrected, and approved
            page.locator("textarea[name=title_zh]").fill(TITLE_ZH)
            actions += 1
            page.locator("button[name=decision][value=approve]").click()
            actions += 1
            page.wait_for_load_state()
            assert f"Approved {ID}: catalog/tree/gan/uigan.yaml" in page.locator("body").inner_text()
            assert actions <= 5
            seconds = time.monotonic() - clock
            print(f"review app, {device}: {actions} actions, {seconds:.1f} s, page {tall} px tall")
            assert dialogs == []
        entry = yaml.safe_load((home / "catalog" / "tree" / "gan" / "uigan.yaml").read_text())
        assert entry["title_zh"] == TITLE_ZH
        assert entry["diagram"] == f"figures/{ID}/fig-1.png"
        assert entry["provenance"]["reviewed_by"] == "Ada"
        assert not (home / "catalog" / "drafts" / f"{ID}.yaml").exists()
    finally:
        procs.stop()
    assert not (home / "cache" / "review-app.json").exists()  # the server said it stopped


def _assert_fits(page: object) -> None:
    """No horizontal scrolling: the page is no wider than the window."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")  # type: ignore[attr-defined]
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"
