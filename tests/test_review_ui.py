"""A reviewer in the Prefect UI, in a real headless browser (Debian's chromium through Playwright):
a fresh draft that fails the gate is fixed in the review form and approved without a shell.

`ALPHATREE_SCREENSHOTS=docs` saves the screenshots the README shows."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
import yaml

from tests.support import needs_chromium, save_yaml
from tests.test_prefect_server import BIN, Processes, _deployed, _run_logs, _server, _wait

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [
    pytest.mark.slow,
    needs_chromium,
]

DRAFT = {
    "id": "uigan",
    "name": "UIGAN",
    "arxiv": "2611.03001",
    "version": 1,
    "title": "UIGAN: Reviewed in the Browser",
    "title_zh": "UIGAN: Reviewed in the Browser",  # the machine left it in English: the gate refuses
    "authors": ["Ada Lovelace", "Alan Turing"],
    "year": 2026,
    "topic": "gan",
    "level": "advanced",
    "parents": ["gan"],
    "abstract": "We propose UIGAN. It is reviewed in a browser.",
    "abstract_zh": "我们提出 UIGAN。它在浏览器中被审阅。",
    "figures": [
        {
            "file": "figures/2611.03001/fig-1.png",
            "caption": "Figure 1: Overview of UIGAN.",
            "caption_zh": "图1：UIGAN 概览。",
            "kind": "architecture",
            "diagram": True,
        }
    ],
    "diagram": "none",
    "code": [{"url": "https://github.com/lab/uigan-tf", "framework": "tensorflow", "official": False}],
    "status": "draft",
    "provenance": {},
}


def _review_run(api: str) -> dict[str, Any] | None:
    runs = requests.post(f"{api}/flow_runs/filter", json={"flows": {"name": {"any_": ["review"]}}}, timeout=5)
    return next(iter(runs.json()), None)


def _paused_review_run(procs: Processes, api: str, arxiv_id: str, title: str) -> dict[str, Any]:
    """`alphatree serve` beside the server, then a `review/review` run of the draft, as ingest starts
    one, waiting (suspended) for a decision."""
    procs.spawn("serve", str(BIN / "alphatree"), "serve", "--topic", "gan")
    _wait(lambda: _deployed(api, "review/review"), 120, "review/review")
    params = json.dumps({"arxiv_id": arxiv_id, "title": title})
    started = subprocess.run(
        [str(BIN / "prefect"), "deployment", "run", "review/review", "--params", params],
        env=procs.env,
        capture_output=True,
        text=True,
    )
    assert started.returncode == 0, started.stderr
    _wait(lambda: (_review_run(api) or {}).get("state", {}).get("type") == "PAUSED", 120, "the review run")
    run = _review_run(api)
    assert run is not None
    return run


def test_a_failing_draft_is_fixed_and_approved_in_the_prefect_ui(
    home: Path, tmp_path: Path, tiny_model: Path, browser: Browser
) -> None:
    from alphatree_ingest.drafting.draft import field_hashes
    from alphatree_ingest.models import CatalogEntry

    drafts = home / "catalog" / "drafts"
    drafts.mkdir(parents=True)
    draft = dict(DRAFT, provenance={"machine_fields": field_hashes(CatalogEntry.model_validate(DRAFT))})
    save_yaml((drafts / "2611.03001.yaml"), draft)
    # `alphatree review serve` runs for this tree (its state file, naming a live process): the run's
    # artifact links to its page of the draft
    (home / "cache").mkdir()
    app = {"url": "http://127.0.0.1:8765", "pid": os.getpid()}
    (home / "cache" / "review-app.json").write_text(json.dumps(app))
    shots = Path(os.environ.get("ALPHATREE_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    api, procs = _server(home, tmp_path, None, tiny_model)
    try:
        run = _paused_review_run(procs, api, "2611.03001", "UIGAN")
        assert run["name"] == "review 2611.03001 UIGAN"
        found = requests.post(
            f"{api}/artifacts/filter",
            json={"artifacts": {"key": {"any_": ["review-2611-03001"]}}},
            timeout=5,
        ).json()
        assert "(http://127.0.0.1:8765/review/2611.03001)" in found[0]["data"]

        with browser.new_page(viewport={"width": 1400, "height": 1100}) as page:
            clock = time.monotonic()
            page.goto(f"{api.removesuffix('/api')}/runs/flow-run/{run['id']}")
            page.get_by_role("button", name="Resume").first.click()  # click 1

            form = page.locator(".p-modal")
            form.get_by_role("heading", name="Checks that still fail").wait_for()
            assert "title_zh is not translated into Chinese" in form.inner_text()
            # shown where the curator looks, in both UIs: above the first field, and the English as
            # the help text of each Chinese field
            title_help = _field(form, "Title Zh").inner_text()
            assert "Checks that still fail: title_zh is not translated into Chinese" in title_help
            assert "English: UIGAN: Reviewed in the Browser" in title_help
            assert "English: We propose UIGAN." in _field(form, "Abstract Zh").inner_text()
            page.screenshot(path=str(shots / "review-form.png"))

            _field(form, "Title Zh").locator("textarea, input").first.fill(
                "UIGAN：在浏览器中审阅"
            )  # click 2 + typing
            _choose(page, form, "Diagram", "Figure 1: Overview of UIGAN. (fig-1.png)")  # clicks 3, 4
            _field(form, "Code Url").locator("textarea, input").first.fill(
                "https://github.com/lab/uigan"
            )  # click 5
            _field(form, "Decided By").locator("textarea, input").first.fill("Ada")  # click 6
            _field(form, "Code Url").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "review-form-edited.png"))
            for _ in range(3):
                with page.expect_response(
                    lambda r: r.url.endswith("/resume") and r.request.method == "POST"
                ) as sent:
                    form.get_by_role("button", name="Submit").click()  # click 7
                # A Prefect server on SQLite answers 503 when a write meets another under load
                # (`prefect/server/api/server.py: is_client_retryable_exception`): its Python client
                # retries, its UI says "Failed to resume flow run" and keeps the form with the
                # curator's edits, who submits again (seen once in a CI rehearsal; checked by
                # answering the first POST with 503 through `page.route`). Any other answer counts.
                if sent.value.status != 503:
                    break
            assert sent.value.ok, sent.value.text()  # the browser stays open until the server has it

            seconds = time.monotonic() - clock

        _wait(lambda: _review_run(api)["state"]["type"] == "COMPLETED", 240, "the approval")  # type: ignore[index]
        entry = yaml.safe_load((home / "catalog" / "tree" / "gan" / "uigan.yaml").read_text())
        assert entry["title_zh"] == "UIGAN：在浏览器中审阅"
        assert entry["diagram"] == "figures/2611.03001/fig-1.png"
        assert entry["code"][0] == {
            "url": "https://github.com/lab/uigan",
            "framework": "pytorch",
            "official": False,
        }
        assert entry["provenance"]["reviewed_by"] == "Ada"
        assert not (drafts / "2611.03001.yaml").exists()
        rows = [json.loads(x) for x in (home / "translations" / "memory.jsonl").read_text().splitlines()]
        assert [(r["source"], r["target"]) for r in rows if r["origin"] == "human"] == [
            ("UIGAN: Reviewed in the Browser", "UIGAN：在浏览器中审阅")
        ]
        _wait(lambda: "by Ada" in _run_logs(api, run["id"]), 60, "the run to log who approved")
        print(f"UI review: 7 clicks, {seconds:.1f} s from opening the run to submitting")
    finally:
        procs.stop()

    # a later paper with the reviewed sentence gets the reviewer's version from the memory
    from alphatree_ingest.mt.memory import TranslationMemory
    from alphatree_ingest.mt.translate import TranslateStage

    class Machine:
        name, backend = "machine", "fake"

        def translate_batch(self, sentences: list[str]) -> list[str]:
            return ["机器译文" for _ in sentences]

    stage = TranslateStage(Machine(), memory=TranslationMemory(home / "translations" / "memory.jsonl"))
    assert stage.translate(["UIGAN: Reviewed in the Browser"]) == ["UIGAN：在浏览器中审阅"]


def _field(form: Any, label: str) -> Any:
    """One property of the form, by its label (`Title Zh (Optional)`)."""
    return form.locator(".schema-form-property").filter(
        has=form.page.locator(".schema-form-property__label", has_text=f"{label} (Optional)")
    )


def _choose(page: Any, form: Any, label: str, option: str) -> None:
    """Pick an option of one of the form's drop-downs (Prefect's p-select)."""
    _field(form, label).locator(".p-select-button__control").focus()
    page.keyboard.press("ArrowDown")  # opens the options
    page.get_by_role("option", name=option).click()
