"""The `ingest` flow under a Prefect test harness, with a fake translator at the Translator seam."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alphatree_ingest.catalog import Catalog
from alphatree_ingest.config import Settings
from tests.support import ArxivServer, FeedEntry, days_ago, make_paper_pdf


def _iso(atom_time: str) -> str:
    return atom_time.replace("Z", "+00:00")


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
    assert [d.id for d in summary.drafted] == ["2611.00010"]
    assert [(f.id, f.reason) for f in summary.failed] == [
        ("2611.00011", f"{arxiv_server.url}/pdf/2611.00011v1 returned an HTML page instead of a PDF")
    ]
    assert [(s.id, s.reason) for s in summary.skipped] == [("1406.2661", "already in the tree")]
    text = (home / "catalog" / "drafts" / "2611.00010.yaml").read_text()
    assert yaml.safe_load(text)["title_zh"] == "中文：GoodGAN: A Paper"
    assert text.startswith("# Draft for review: GoodGAN")


def test_flow_fails_cleanly_on_an_unknown_topic(prefect_harness: None, flow_env: Settings) -> None:
    from flows.ingest import ingest

    state = ingest(topic="nope", return_state=True)
    assert state.is_failed() and "unknown topic 'nope'" in (state.message or "")


def test_watermark_holds_at_a_failure_and_a_noop_rerun_costs_one_request(
    prefect_harness: None, flow_env: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    when = {n: days_ago(4 - n) for n in (1, 2, 3)}
    for n in (1, 2, 3):
        title = f"Paper{n}GAN: Number {n}"
        arxiv_server.add(
            FeedEntry(f"2611.0010{n}", title, "We propose it.", published=when[n]),
            make_paper_pdf(title, "We propose it.") if n != 2 else None,
        )
    first = ingest(topic="gan", since="2026-01-01")
    assert [d.id for d in first.drafted] == ["2611.00101", "2611.00103"]
    assert first.watermark.isoformat() == _iso(when[2])  # held at the failed paper: asked again
    state = yaml.safe_load((home / "catalog" / "state" / "gan.yaml").read_text())
    assert list(state["owed"]) == ["2611.00102"] and state["owed"]["2611.00102"]["attempts"] == 1
    assert [o.id for o in first.owed] == ["2611.00102"]

    arxiv_server.pdfs["2611.00102v1"] = make_paper_pdf("Paper2GAN: Number 2", "We propose it.")
    second = ingest(topic="gan")
    assert [d.id for d in second.drafted] == ["2611.00102"]
    assert second.watermark.isoformat() == _iso(when[3])

    before = len(arxiv_server.requests)
    third = ingest(topic="gan")
    new = [path for _, path in arxiv_server.requests[before:]]
    assert len(new) == 1 and new[0].startswith("/api/query"), new  # one API request, no PDF
    assert third.drafted == [] and third.requests == 1


def test_a_paper_failing_three_runs_is_given_up_and_no_longer_holds_the_watermark(
    prefect_harness: None, flow_env: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    arxiv_server.add(FeedEntry("2611.00201", "BadGAN: No PDF", "Nothing.", published=days_ago(2)))
    good = days_ago(1)
    arxiv_server.add(
        FeedEntry("2611.00202", "GoodGAN: Has PDF", "Fine.", published=good),
        make_paper_pdf("GoodGAN: Has PDF", "Fine."),
    )
    runs = [ingest(topic="gan", since="2026-01-01")] + [ingest(topic="gan") for _ in range(2)]
    assert [len(r.failed) for r in runs] == [1, 1, 1]
    assert runs[2].watermark.isoformat() == _iso(good)
    state = yaml.safe_load((home / "catalog" / "state" / "gan.yaml").read_text())
    assert "HTTP 404" in state["gave_up"]["2611.00201"] and state["owed"] == {}
    fourth = ingest(topic="gan")
    assert fourth.failed == [] and fourth.requests == 1


def test_low_relevance_papers_are_held_back_listed_and_recoverable(
    prefect_harness: None, flow_env: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    topics = home / "catalog" / "topics.yaml"
    topics.write_text(topics.read_text().replace("- id: gan\n", "- id: gan\n  min_relevance: 0.15\n", 1))
    gan = (
        "We propose a generative adversarial network whose discriminator uses a gradient penalty, "
        "improving FID of the generator on CelebA-HQ."
    )
    stars = (
        "We measure rotation curves of dwarf galaxies with radio telescopes to constrain dark matter halos."
    )
    arxiv_server.add(
        FeedEntry("2611.00301", "PenaltyGAN: Stable GANs", gan, published=days_ago(2)),
        make_paper_pdf("PenaltyGAN: Stable GANs", gan),
    )
    arxiv_server.add(
        FeedEntry("2611.00302", "Dwarf Galaxy Rotation Curves", stars, published=days_ago(1)),
        make_paper_pdf("Dwarf Galaxy Rotation Curves", stars),
    )
    first = ingest(topic="gan", since="2026-01-01")
    assert [d.id for d in first.drafted] == ["2611.00301"]
    (held,) = [s for s in first.skipped if s.id == "2611.00302"]
    assert held.reason.startswith("skipped, low relevance")
    state = yaml.safe_load((home / "catalog" / "state" / "gan.yaml").read_text())
    assert list(state["held_back"]) == ["2611.00302"]
    draft = yaml.safe_load((home / "catalog" / "drafts" / "2611.00301.yaml").read_text())
    relevance = draft["provenance"]["suggestions"]["relevance"]
    assert relevance["score"] >= 0.15 and relevance["nearest"]

    recovered = ingest(topic="gan", since="2026-01-01", min_relevance=0)
    assert [d.id for d in recovered.drafted] == ["2611.00302"]
    state = yaml.safe_load((home / "catalog" / "state" / "gan.yaml").read_text())
    assert state["held_back"] == {}


def test_a_prefect_rate_limit_spaces_the_requests_of_every_machine(
    prefect_harness: None, tmp_path: Path, arxiv_server: ArxivServer
) -> None:
    """Two sources with separate caches (as on two machines) share one Prefect global rate limit."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    from alphatree_ingest.discover.arxiv_source import ArxivSource, ArxivUnavailable

    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name="arxiv-test", limit=1, slot_decay_per_second=2.0)
        )
    arxiv_server.add(FeedEntry("2611.00401", "A", "B."))
    machines = [
        ArxivSource(
            Settings(
                home=tmp_path / f"m{i}", arxiv_api=arxiv_server.api, arxiv_delay=0, prefect_limit="arxiv-test"
            )
        )
        for i in range(2)
    ]
    for _ in range(2):
        for source in machines:
            source.discover("x")
    times = [t for t, _ in arxiv_server.requests]
    assert len(times) == 4 and min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.4

    missing = ArxivSource(
        Settings(
            home=tmp_path / "m3", arxiv_api=arxiv_server.api, arxiv_delay=0, prefect_limit="no-such-limit"
        )
    )
    with pytest.raises(ArxivUnavailable, match="prefect gcl create no-such-limit"):
        missing.discover("x")


def test_a_run_reports_artifacts_and_a_second_run_of_the_topic_is_refused(
    prefect_harness: None, flow_env: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from prefect.client.orchestration import get_client

    from flows.ingest import ingest

    arxiv_server.add(
        FeedEntry("2611.00501", "ArtGAN: Reports", "We propose ArtGAN."),
        make_paper_pdf("ArtGAN: Reports", "We propose ArtGAN."),
    )
    summary = ingest(topic="gan/training")
    assert [d.id for d in summary.drafted] == ["2611.00501"]
    with get_client(sync_client=True) as client:
        report = client.read_latest_artifacts()
    by_key = {a.key: a for a in report}
    assert "2611.00501" in by_key["ingest-gan-training"].data
    assert "ArtGAN" in by_key["ingest-gan-training"].data

    with Catalog(flow_env.catalog_dir).run_lock("gan/training"):
        state = ingest(topic="gan/training", return_state=True)
    assert state.is_failed() and "another ingest run of topic gan/training" in (state.message or "")
    assert ingest(topic="gan/training").drafted == []  # lock released: runs again
