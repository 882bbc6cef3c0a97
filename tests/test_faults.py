"""Fault injection through the real flow: whatever fails, no paper is lost and no paper is charged for
a fault of the whole run. Each test asserts the papers drafted, owed and given up."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from alphatree_ingest.config import Settings
from alphatree_ingest.models import RunSummary
from alphatree_ingest.run import stages
from tests.support import ArxivServer, days_ago, feed_gan_papers, make_paper_pdf


@pytest.fixture
def quick(flow_env: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ALPHATREE_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("ALPHATREE_RETRY_DELAYS", "0.1")
    return flow_env


def _papers(server: ArxivServer, days: list[float], prefix: str = "2611.003") -> list[str]:
    return feed_gan_papers(server, days, prefix=prefix, name="Fault")


def _state(home: Path) -> dict[str, Any]:
    return yaml.safe_load((home / "catalog" / "state" / "gan.yaml").read_text())


def _drafts(home: Path) -> set[str]:
    return {p.stem for p in (home / "catalog" / "drafts").glob("*.yaml")}


def _since(days: int) -> dt.date:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).date()


def test_a_first_backfill_that_fails_one_and_stops_early_owes_them_to_the_nightly_run(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    ids = _papers(arxiv_server, [24, 23, 22, 21, 20])
    arxiv_server.pdfs[f"{ids[1]}v1"] = arxiv_server.pdfs[f"{ids[1]}v1"][:-400]  # truncated
    first = ingest(topic="gan", since=_since(25), max_papers=2)
    assert [d.id for d in first.drafted] == [ids[0]] and [f.id for f in first.failed] == [ids[1]]
    assert [o.id for o in first.owed] == [ids[1]]
    assert first.watermark is not None and first.watermark.date() == days_ago_date(23)

    arxiv_server.pdfs[f"{ids[1]}v1"] = make_paper_pdf("Fault2GAN: Paper 2", "We propose it.")
    second = ingest(topic="gan")  # nightly: no --since; a 7-day look-back would have lost them
    assert [d.id for d in second.drafted] == ids[1:]
    assert _drafts(home) == set(ids) and _state(home)["owed"] == {}


def days_ago_date(days: float) -> dt.date:
    return dt.datetime.fromisoformat(days_ago(days).replace("Z", "+00:00")).date()


def test_a_backfill_under_an_existing_watermark_never_claims_what_it_did_not_finish(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path, capsys: Any
) -> None:
    from flows.ingest import ingest

    ids = _papers(arxiv_server, [10, 9, 8, 7])
    state = home / "catalog" / "state" / "gan.yaml"
    state.parent.mkdir(parents=True)
    state.write_text(f"watermark: '{days_ago(1)}'\n")  # "everything older is done" - but it is not
    del arxiv_server.pdfs[f"{ids[1]}v1"]  # 404
    run = ingest(topic="gan", since=_since(12), max_papers=3)
    assert [d.id for d in run.drafted] == [ids[0], ids[2]] and [o.id for o in run.owed] == [ids[1]]
    assert run.watermark is not None and run.watermark.date() == days_ago_date(9)  # moved back
    arxiv_server.pdfs[f"{ids[1]}v1"] = make_paper_pdf("Fault2GAN: Paper 2", "We propose it.")
    ingest(topic="gan")
    assert _drafts(home) == set(ids)


def test_a_pdf_host_that_resets_every_connection_stops_the_run_and_charges_no_paper(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    ids = _papers(arxiv_server, [5, 4, 3, 2])
    arxiv_server.resets.add("/pdf/")
    for _night in range(3):  # three bad nights used to give up every paper of the topic
        state = ingest(topic="gan", return_state=True)
        assert state.is_failed() and "fault of the run" in state.message
        summary = state.result(raise_on_failure=False)
        assert isinstance(summary, RunSummary) and summary.drafted == []
        assert "connection" in summary.run_fault or "network" in summary.run_fault
    pdf_requests = [p for _, p in arxiv_server.requests if p.startswith("/pdf/")]
    assert len(pdf_requests) == 3 * 3 * 2  # each night stops after 3 papers, each tried twice
    saved = _state(home)
    assert saved["gave_up"] == {} and all(o["attempts"] == 0 for o in saved["owed"].values())
    arxiv_server.resets.clear()
    assert [d.id for d in ingest(topic="gan").drafted] == ids


def test_a_captcha_page_instead_of_every_pdf_is_the_runs_fault(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    ids = _papers(arxiv_server, [3, 2])
    for arxiv_id in ids:
        arxiv_server.pdfs[f"{arxiv_id}v1"] = b"<html><body>Are you a robot?</body></html>"
    state = ingest(topic="gan", return_state=True)
    assert state.is_failed() and "not PDFs" in state.message
    assert _state(home)["gave_up"] == {}
    assert {k: v["attempts"] for k, v in _state(home)["owed"].items()} == dict.fromkeys(ids, 0)


def test_one_captcha_among_good_pdfs_is_charged_to_that_paper(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    ids = _papers(arxiv_server, [3, 2])
    arxiv_server.pdfs[f"{ids[0]}v1"] = b"<html><body>withdrawn</body></html>"
    summary = ingest(topic="gan")
    assert [d.id for d in summary.drafted] == [ids[1]] and summary.run_fault == ""
    assert _state(home)["owed"][ids[0]]["attempts"] == 1


def test_a_bug_that_fails_every_paper_the_same_way_charges_none(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    class Broken:
        name, backend = "broken", "fake"

        def translate_batch(self, texts: list[str]) -> list[str]:
            raise AttributeError("'list' object has no attribute 'get'")

    stages.use_translator(quick, Broken())  # type: ignore[arg-type]
    _papers(arxiv_server, [3, 2])
    state = ingest(topic="gan", return_state=True)
    assert state.is_failed() and "AttributeError" in state.message
    assert all(o["attempts"] == 0 for o in _state(home)["owed"].values())


def test_an_unwritable_catalog_stops_the_run_before_any_paper(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    _papers(arxiv_server, [3, 2])
    (home / "catalog" / "drafts").write_text("not a folder")  # also what a root-run CI can test
    state = ingest(topic="gan", return_state=True)
    assert state.is_failed() and "cannot be written" in (state.message or "")
    assert not (home / "catalog" / "state" / "gan.yaml").exists()  # nothing charged, nothing moved
    assert [p for _, p in arxiv_server.requests] == []  # not even asked


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_a_read_only_drafts_folder_stops_the_run_before_any_paper(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    _papers(arxiv_server, [3, 2])
    drafts = home / "catalog" / "drafts"
    drafts.mkdir()
    drafts.chmod(0o555)
    try:
        state = ingest(topic="gan", return_state=True)
    finally:
        drafts.chmod(0o755)
    assert state.is_failed() and "cannot be written" in (state.message or "")


def test_debris_of_a_killed_write_is_removed_by_the_next_run(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    drafts = home / "catalog" / "drafts"
    drafts.mkdir()
    old, fresh = drafts / ".2611.00001.yaml.abc123.tmp", drafts / ".2611.00002.yaml.def456.tmp"
    old.write_text("half a dra")
    fresh.write_text("a write in progress")
    os.utime(old, (0, 0))
    ingest(topic="gan")
    assert not old.exists() and fresh.exists()


def test_a_pdf_trickled_byte_by_byte_is_abandoned_at_the_deadline_and_frees_the_arxiv_lock(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path, monkeypatch: Any
) -> None:
    """A read timeout never fires on a host that sends one byte a second; the total deadline does."""
    from flows.ingest import ingest

    monkeypatch.setenv("ALPHATREE_HTTP_DEADLINE", "2")
    ids = _papers(arxiv_server, [3, 2])
    arxiv_server.trickle[f"/pdf/{ids[0]}"] = 0.5
    summary = ingest(topic="gan")
    (failure,) = summary.failed
    assert failure.id == ids[0] and "took longer than 2 s in total" in failure.reason
    assert [d.id for d in summary.drafted] == [ids[1]]  # the lock was free for the next request
    assert _state(home)["owed"][ids[0]]["attempts"] == 1


def test_memory_lines_that_are_json_but_not_rows_are_skipped_and_counted(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    """Bug: a valid-JSON line that is not an object (`[1, 2, 3]`, `"text"`, `{"source": 5}`) failed
    every paper with AttributeError."""
    from alphatree_ingest.mt.memory import TranslationMemory
    from flows.ingest import ingest

    memory = home / "translations" / "memory.jsonl"
    good = '{"source": "We propose it.", "target": "我们提出了它。", "origin": "human"}\n'
    memory.write_text(good + '[1, 2, 3]\n"text"\n{"source": 5}\nnull\n{"source": "torn', encoding="utf-8")
    assert TranslationMemory(memory).skipped == 5
    ids = _papers(arxiv_server, [2])
    summary = ingest(topic="gan")
    assert [d.id for d in summary.drafted] == ids
    draft = yaml.safe_load((home / "catalog" / "drafts" / f"{ids[0]}.yaml").read_text())
    assert draft["abstract_zh"] == "我们提出了它。"  # the good line still wins


def test_a_paper_another_run_drafted_meanwhile_is_listed_and_its_draft_left_alone(
    prefect_harness: None, quick: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    """Bug: the run's summary did not mention a paper that another topic's run drafted meanwhile."""
    from flows.ingest import ingest
    from tests.conftest import Tagger

    (arxiv_id,) = _papers(arxiv_server, [2])
    other = home / "catalog" / "drafts" / f"{arxiv_id}.yaml"

    class RacedByAnotherRun(Tagger):
        def translate_batch(self, sentences: list[str]) -> list[str]:
            other.parent.mkdir(parents=True, exist_ok=True)
            other.write_text("# drafted by the classification run\n")  # after this run's snapshot
            return super().translate_batch(sentences)

    stages.use_translator(quick, RacedByAnotherRun())
    summary = ingest(topic="gan")
    assert summary.drafted == [] and summary.failed == []
    assert [(s.id, s.reason) for s in summary.skipped] == [(arxiv_id, "drafted meanwhile by another run")]
    assert other.read_text() == "# drafted by the classification run\n"
    assert _state(home)["owed"] == {}
