"""The `ingest` flow under a Prefect test harness, with a fake translator at the Translator seam."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from alphatree_ingest import pipeline
from alphatree_ingest.config import Settings
from tests.support import ArxivServer, FeedEntry, days_ago, make_paper_pdf


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


class Tagger:
    name = "tagger"
    backend = "fake"

    def translate_batch(self, sentences: list[str]) -> list[str]:
        return [f"中文：{s}" for s in sentences]


@pytest.fixture
def flow_env(home: Path, arxiv_server: ArxivServer, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ALPHATREE_ARXIV_API", arxiv_server.api)
    monkeypatch.setenv("ALPHATREE_ARXIV_DELAY", "0")
    monkeypatch.setenv("ALPHATREE_MT_MODEL", "fake-tagger")
    settings = Settings.from_env()
    pipeline.use_translator(settings, Tagger())
    return settings


def test_flow_drafts_reports_failures_and_goes_on(
    prefect_harness: None, flow_env: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    arxiv_server.add(
        FeedEntry("2611.00010", "GoodGAN: A Paper", "We propose GoodGAN."),
        make_paper_pdf("GoodGAN: A Paper", "We propose GoodGAN."),
    )
    arxiv_server.add(FeedEntry("2611.00011", "Html Paper", "Its link serves HTML.", published=days_ago(2)))
    arxiv_server.pdfs["2611.00011v1"] = b"<html>login</html>"
    arxiv_server.add(
        FeedEntry(
            "1406.2661", "Generative Adversarial Nets", "The original.", published="2014-06-10T00:00:00Z"
        )
    )
    summary = ingest(topic="gan", since="2014-01-01")
    assert [d["id"] for d in summary["drafted"]] == ["2611.00010"]
    assert summary["failed"] == [
        {
            "id": "2611.00011",
            "reason": f"{arxiv_server.url}/pdf/2611.00011v1 returned an HTML page instead of a PDF",
        }
    ]
    assert summary["skipped"] == [{"id": "1406.2661", "reason": "already in the tree"}]
    text = (home / "catalog" / "drafts" / "2611.00010.yaml").read_text()
    assert yaml.safe_load(text)["title_zh"] == "中文：GoodGAN: A Paper"
    assert text.startswith("# Draft for review: GoodGAN")


def test_flow_fails_cleanly_on_an_unknown_topic(prefect_harness: None, flow_env: Settings) -> None:
    from flows.ingest import ingest

    state = ingest(topic="nope", return_state=True)
    assert state.is_failed() and "unknown topic 'nope'" in (state.message or "")
