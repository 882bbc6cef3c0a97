"""The `ingest` Prefect flow: discover -> fetch -> extract -> translate -> draft, one topic per run.

Each task is one call into `alphatree_ingest.pipeline`; the logic lives there.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import requests
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed

from alphatree_ingest import pipeline
from alphatree_ingest.arxiv_source import ArxivUnavailable, Discovery, DiscoveryError, PdfError
from alphatree_ingest.config import Settings, SettingsError
from alphatree_ingest.extract import ExtractError
from alphatree_ingest.models import Extraction, Paper, Translation
from alphatree_ingest.prefect_review import start_review_runs
from alphatree_ingest.translate import ModelUnavailable


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry network hiccups, not answers that will not change (HTML for a PDF, a 404)."""
    try:
        state.result()
    except (requests.ConnectionError, requests.Timeout):
        return True
    except Exception:
        return False
    return False


@task(
    name="discover",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_condition_fn=_transient,
)
def discover_task(settings: Settings, query: str, since: dt.date | None, max_papers: int | None) -> Discovery:
    return pipeline.discover(settings, query, since, max_papers)


@task(
    name="fetch-pdf",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_condition_fn=_transient,
)
def fetch_task(settings: Settings, paper: Paper) -> Path:
    return pipeline.fetch(settings, paper)


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(settings: Settings, paper: Paper, pdf: Path) -> Extraction:
    return pipeline.extract_paper(settings, paper, pdf)


@task(name="translate", cache_policy=NO_CACHE)
def translate_task(settings: Settings, paper: Paper, extraction: Extraction) -> Translation:
    return pipeline.translate_paper(settings, paper, extraction)


@task(name="draft", cache_policy=NO_CACHE)
def draft_task(
    settings: Settings,
    topic: str,
    paper: Paper,
    extraction: Extraction,
    translation: Translation,
    relevance: tuple[float, list[str]] | None,
) -> pipeline.Written:
    return pipeline.write_draft(settings, topic, paper, extraction, translation, relevance)


EXPECTED = (PdfError, ExtractError, requests.RequestException, OSError, ValueError)


@flow(name="ingest", log_prints=True)
def ingest(
    topic: str, since: str | None = None, max_papers: int | None = None, min_relevance: float | None = None
) -> Any:
    """Find new arXiv papers for `topic` and leave one draft per paper in `catalog/drafts/`.

    One run per topic and tree at a time: a second one is refused while the first holds the lock."""
    log = get_run_logger()
    started = time.monotonic()
    try:
        settings = Settings.from_env()
        since_date = dt.date.fromisoformat(since) if since else None
        if max_papers is not None and max_papers < 1:
            raise SettingsError("max_papers must be at least 1")
        pipeline.topic_query(settings, topic)
        lock = pipeline.RunLock(settings, topic).__enter__()
    except (SettingsError, pipeline.IngestError) as err:
        log.error("%s", err)
        return Failed(message=str(err))
    except ValueError as err:
        log.error("bad --since: %s", err)
        return Failed(message=f"--since must be a date YYYY-MM-DD ({err})")
    try:
        return _run(settings, topic, since_date, max_papers, min_relevance, started)
    finally:
        lock.__exit__(None, None, None)


def _run(
    settings: Settings,
    topic: str,
    since_date: dt.date | None,
    max_papers: int | None,
    min_relevance: float | None,
    started: float,
) -> Any:
    log = get_run_logger()
    try:
        query = pipeline.topic_query(settings, topic)
        state = pipeline.load_state(settings, topic)
        clock = time.monotonic()
        pipeline.get_translator(settings)  # fail now, not after the downloads
        setup = time.monotonic() - clock
        start = pipeline.start_of_harvest(state, since_date, dt.datetime.now(dt.UTC))
        log.info("topic %s: asking arXiv for papers changed since %s", topic, start.isoformat())
        discovery = discover_task(settings, query, start, max_papers)
        plan = pipeline.plan(settings, discovery, state.gave_up, topic=topic, min_relevance=min_relevance)
    except (SettingsError, pipeline.IngestError, ModelUnavailable, ArxivUnavailable, DiscoveryError) as err:
        log.error("%s", err)
        return Failed(message=str(err))
    except Exception as err:  # the arxiv package's own errors, and anything unforeseen in discovery
        log.error("discovery failed: %s", err)
        return Failed(message=f"discovery failed: {err}")

    log.info(
        "topic %s: %d found, %d to draft, %d already known, %d flagged, %d refused",
        topic,
        plan.found,
        len(plan.todo),
        len(plan.skipped),
        len(plan.flagged),
        len(plan.refused),
    )
    drafted: list[dict[str, str]] = []
    updated: list[dict[str, str]] = []
    failed: list[dict[str, str]] = [{"id": i, "reason": r} for i, r in plan.refused]
    timings: dict[str, float] = {
        "model_load": setup,
        "fetch": 0.0,
        "extract": 0.0,
        "translate": 0.0,
        "draft": 0.0,
    }
    for n, paper in enumerate(plan.todo, start=1):
        label = f"[{n}/{len(plan.todo)}] {paper.versioned_id}"
        try:
            clock = time.monotonic()
            pdf = fetch_task(settings, paper)
            clock = _tick(timings, "fetch", clock)
            extraction = extract_task(settings, paper, pdf)
            clock = _tick(timings, "extract", clock)
            translation = translate_task(settings, paper, extraction)
            clock = _tick(timings, "translate", clock)
            relevance = plan.relevance.get(paper.arxiv_id)
            written = draft_task(settings, topic, paper, extraction, translation, relevance)
            _tick(timings, "draft", clock)
        except ModelUnavailable as err:
            log.error("%s", err)
            return Failed(message=str(err))
        except EXPECTED as err:
            log.warning("%s failed: %s", label, err)
            failed.append({"id": paper.arxiv_id, "reason": str(err)})
            continue
        except Exception as err:  # one bad paper never stops the run
            log.warning("%s failed unexpectedly: %s: %s", label, type(err).__name__, err)
            failed.append({"id": paper.arxiv_id, "reason": f"{type(err).__name__}: {err}"})
            continue
        log.info("%s %s -> %s %s", label, written.action, written.path, written.note)
        item = {"id": paper.arxiv_id, "title": paper.title, "draft": str(written.path)}
        if written.action == "updated":
            updated.append({**item, "note": written.note})
        elif written.action == "drafted":
            drafted.append(item)
    failures = {item["id"]: item["reason"] for item in failed}
    new_state = pipeline.advance(state, discovery.papers, failures)
    new_state.held_back.update(plan.held_back)
    for paper in plan.todo:
        new_state.held_back.pop(paper.arxiv_id, None)  # drafted after all: no longer held back
    pipeline.save_state(settings, topic, new_state)
    summary = {
        "topic": topic,
        "requests": discovery.requests,
        "watermark": new_state.watermark.isoformat() if new_state.watermark else None,
        "found": plan.found,
        "drafted": drafted,
        "updated": updated,
        "flagged": [{"id": i, "reason": r} for i, r in plan.flagged],
        "skipped": [{"id": i, "reason": r} for i, r in plan.skipped],
        "failed": failed,
        "seconds": round(time.monotonic() - started, 1),
        "timings": {k: round(v, 1) for k, v in timings.items()},
    }
    _artifacts(summary)
    if start_review_runs([d["id"] for d in drafted]):
        log.info("started review runs: decide the drafts in the Prefect UI or with alphatree review")
    return summary


def _tick(timings: dict[str, float], stage: str, clock: float) -> float:
    now = time.monotonic()
    timings[stage] += now - clock
    return now


def _artifacts(summary: dict[str, Any]) -> None:
    """The run's report in the Prefect UI: drafts waiting for review and failures; counts and timings."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    topic = summary["topic"]
    lines = [f"# Ingest of topic `{topic}`", ""]
    waiting = summary["drafted"] + summary["updated"]
    lines.append(f"## Waiting for review ({len(waiting)})")
    lines += [
        f"- [{d['id']}](https://arxiv.org/abs/{d['id']}) {_md(d['title'])} — `{d['draft']}`" for d in waiting
    ]
    lines += ["", f"## Failures ({len(summary['failed'])})"]
    lines += [f"- `{f['id']}`: {_md(f['reason'])}" for f in summary["failed"]]
    key = "ingest-" + "".join(c if c.isalnum() else "-" for c in topic.lower())
    create_markdown_artifact(markdown="\n".join(lines), key=key, description=f"Ingest report for {topic}")
    row = {
        "topic": topic,
        "found": summary["found"],
        "skipped": len(summary["skipped"]),
        "drafted": len(summary["drafted"]),
        "updated": len(summary["updated"]),
        "failed": len(summary["failed"]),
        "seconds": summary["seconds"],
        **{f"{k}_s": v for k, v in summary["timings"].items()},
    }
    create_table_artifact(table=[row], key=f"{key}-counts", description=f"Ingest counts for {topic}")


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("[", "\\[").replace("]", "\\]").replace("<", "&lt;")
