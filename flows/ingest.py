"""The `ingest` Prefect flow: discover -> fetch -> extract -> translate -> find code -> draft.

Wiring only: each task is one call into `alphatree_ingest.run.stages`; the decisions are pure functions
(`harvest`, `planning`, `draft`) and the catalog store does every write.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any, TypedDict

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE, CachePolicy
from prefect.states import Failed
from pydantic import ValidationError

from alphatree_ingest.catalog import Catalog, CatalogError, CatalogSnapshot
from alphatree_ingest.config import Settings, SettingsError
from alphatree_ingest.discover import harvest, night, planning
from alphatree_ingest.discover.arxiv_source import (
    ArxivUnavailable,
    Discovery,
    DiscoveryError,
    PdfError,
    TransientError,
    requests_sent,
)
from alphatree_ingest.discover.relevance import DRAFT_AT, Ranked
from alphatree_ingest.drafting.implementations import Candidate
from alphatree_ingest.models import (
    Extraction,
    IngestRequest,
    Outcome,
    Paper,
    RunSummary,
    TopicState,
    Translation,
)
from alphatree_ingest.mt.glossary import Glossary
from alphatree_ingest.mt.marian import ModelUnavailable
from alphatree_ingest.pdf.extract import ExtractError
from alphatree_ingest.review.runs import start_review_run
from alphatree_ingest.run import prefetch, stages
from alphatree_ingest.run.faults import FaultWatch, RunFault, describe, kind_of
from alphatree_ingest.run.report import RunReport, artifact_key, markdown, table_row


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry timeouts, broken connections and 5xx answers; never answers that will not change."""
    try:
        state.result()
    except TransientError:
        return True
    except Exception:
        return False
    return False


class _NetworkRetries(TypedDict):
    """The retry options of a task that talks to the network, typed so that `@task(**NETWORK)` matches
    Prefect's typed `task` overloads (a plain dict does not, and the task would lose its signature)."""

    cache_policy: CachePolicy
    retries: int
    retry_delay_seconds: list[float]


NETWORK: _NetworkRetries = {"cache_policy": NO_CACHE, "retries": 2, "retry_delay_seconds": [10, 60]}


@task(name="discover", retry_condition_fn=_transient, **NETWORK)
def discover_task(settings: Settings, query: str, since: dt.datetime, max_papers: int | None) -> Discovery:
    return stages.discover(settings, query, since, max_papers)


@task(name="fetch-pdf", retry_condition_fn=_transient, **NETWORK)
def fetch_task(settings: Settings, paper: Paper) -> Path:
    return stages.fetch(settings, paper)


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(settings: Settings, paper: Paper, pdf: Path) -> Extraction:
    return stages.extract_paper(settings, paper, pdf)


@task(name="translate", cache_policy=NO_CACHE)
def translate_task(settings: Settings, paper: Paper, extraction: Extraction) -> Translation:
    return stages.translate_paper(settings, paper, extraction)


@task(name="find-code", retry_condition_fn=_transient, **NETWORK)
def code_task(settings: Settings, paper: Paper, extraction: Extraction) -> list[Candidate]:
    return stages.find_code(settings, paper, extraction)


@task(name="draft", cache_policy=NO_CACHE)
def draft_task(
    settings: Settings,
    snapshot: CatalogSnapshot,
    topic: str,
    paper: Paper,
    extraction: Extraction,
    translation: Translation,
    code: list[Candidate],
    relevance: tuple[float, list[str], list[str]] | None,
) -> stages.Written:
    return stages.write_draft(settings, snapshot, topic, paper, extraction, translation, code, relevance)


EXPECTED = (PdfError, ExtractError, OSError, ValueError)
"""Failures of one paper whose message speaks for itself."""
RUN_FAULTS = (
    SettingsError,
    CatalogError,
    ValidationError,
    ModelUnavailable,
    ArxivUnavailable,
    DiscoveryError,
)
"""Faults of the run itself (not of one paper): the run stops with one sentence."""


@flow(name="ingest", log_prints=True)
def ingest(
    topic: str | None = None,
    since: dt.date | None = None,
    max_papers: int | None = None,
    min_relevance: float | None = None,
    budget: int | None = None,
) -> Any:
    """Find new arXiv papers for `topic` and leave one draft per paper in `catalog/drafts/`.

    Without a topic, a night of every topic in this one run: papers ranked across topics, each drafted
    once under the topic it fits best, at most `budget` drafts (topics.yaml's `budget:`, else 3); every
    other paper held back with its score and reason.

    One run per topic and tree at a time: a second one is refused while the first holds the lock."""
    log = get_run_logger()
    try:
        request = IngestRequest(
            topic=topic, since=since, max_papers=max_papers, min_relevance=min_relevance, budget=budget
        )
        settings = Settings.from_env()
        settings.check_arxiv_politeness()
        catalog = Catalog(settings.catalog_dir)
        if request.topic is None:
            return _night(settings, catalog, request)
        catalog.topic(request.topic)
        with catalog.run_lock(request.topic):
            return _run(settings, catalog, request.topic, request)
    except RUN_FAULTS + (TransientError,) as err:
        log.error("%s", err)
        return Failed(message=str(err))
    except OSError as err:  # the disk or its permissions, outside any one paper: the run's fault
        message = f"the run stopped: {describe(err)}; no paper was charged an attempt"
        log.error("%s", message)
        return Failed(message=message)


def _run(settings: Settings, catalog: Catalog, topic: str, request: IngestRequest) -> Any:
    log = get_run_logger()
    report = RunReport(topic)
    catalog.check_writable()  # an unwritable store is the run's fault, found before any paper
    for path in catalog.clean_debris():
        log.info("removed %s, left by a write that was killed", path)
    snapshot = catalog.load()
    state = catalog.load_state(topic)
    with report.timed("model_load"):
        stages.get_translator(settings)  # fail now, not after the downloads
    try:  # a broken glossary would fail every paper alike: the run's fault, found before any paper
        Glossary.load(settings.glossary_path)
    except ValueError as err:
        raise CatalogError(f"{err}; fix the glossary, then run again") from None
    start = harvest.start_of_harvest(state, request.since, dt.datetime.now(dt.UTC))
    first_run = state.watermark is None and request.since is None
    if first_run:
        log.info(
            "topic %s has no watermark yet: this first run looks back %d days (--since goes further)",
            topic,
            harvest.FIRST_RUN_LOOKBACK.days,
        )
    log.info("topic %s: asking arXiv for papers changed since %s", topic, start.isoformat())
    sent = requests_sent(settings.arxiv_api)
    found = _retrying(discover_task, settings)(
        settings, snapshot.topics[topic].query, start, request.max_papers
    )
    ranker = night.ranker_for(catalog, snapshot)  # the model file, or trained again from the catalog
    plan = planning.plan(
        snapshot, found.papers, state, topic=topic, min_relevance=request.min_relevance, ranker=ranker
    )
    _remember_held(catalog, topic, found.papers, plan)
    for flag in plan.flags:
        catalog.flag(flag)
    for problem in snapshot.problems:
        log.warning("left untouched, does not parse: %s", problem.reason)
    for arxiv_id, reason in found.refused:
        report.fail(arxiv_id, reason)
    watch, stopped, unreached = FaultWatch(), "", set()
    for n, paper in enumerate(plan.todo, start=1):
        try:
            _one_paper(settings, snapshot, topic, paper, plan, report, watch, f"[{n}/{len(plan.todo)}]")
        except RunFault as fault:
            stopped = str(fault)
            unreached = {p.arxiv_id for p in plan.todo[n:]}
            break
    run_fault = stopped or " ".join(watch.run_faults().values())
    charged, deferred = watch.split()
    new_state = harvest.advance(
        state,
        found.papers,
        start=start,
        truncated=found.truncated,
        failed=charged,
        deferred=deferred,
        unreached=unreached,
        held_back=plan.held_back,
        drafted={item.id for item in report.drafted + report.updated},
    )
    catalog.save_state(topic, new_state)
    summary = report.summary(
        plan,
        new_state,
        found=len(found.papers),
        requests=requests_sent(settings.arxiv_api) - sent,
        problems=snapshot.problems,
    )
    summary.start, summary.first_run, summary.run_fault = start, first_run, run_fault
    _artifacts(summary)
    if run_fault:
        log.error("%s", run_fault)
        return Failed(message=run_fault, data=summary)
    return summary


@flow(name="recover-held", log_prints=True)
def recover_held(arxiv_id: str) -> Any:
    """Draft one paper a night held back, on the curator's request (`alphatree review recover ID`): from
    its held-back record, without asking arXiv again; the ranker learns that the paper was wanted."""
    log = get_run_logger()
    try:
        settings = Settings.from_env()
        catalog = Catalog(settings.catalog_dir)
        found = night.held_paper(catalog, arxiv_id)
        if found is None:
            raise CatalogError(
                f"{arxiv_id} is not among the held-back papers (alphatree review list --held-back)"
            )
        held, paper = found
        catalog.topic(held.topic)
        with catalog.run_lock(held.topic):
            report = RunReport(held.topic)
            catalog.check_writable()
            snapshot = catalog.load()
            state = catalog.load_state(held.topic)
            with report.timed("model_load"):
                stages.get_translator(settings)
            ranker = night.ranker_for(catalog, snapshot)
            plan = planning.plan(snapshot, [paper], state, topic=held.topic, min_relevance=0, ranker=ranker)
            watch = FaultWatch()
            for paper in plan.todo:
                _one_paper(settings, snapshot, held.topic, paper, plan, report, watch, "[1/1]")
            if report.drafted or report.updated:
                night.forget_held(catalog, arxiv_id)
                new_state = state.model_copy(deep=True)
                new_state.held_back.pop(arxiv_id, None)
                catalog.save_state(held.topic, new_state)
                night.learn(catalog)  # recovering is a decision: the paper was wanted
            else:
                new_state = state
            summary = report.summary(plan, new_state, found=1, requests=0, problems=snapshot.problems)
        _artifacts(summary)
        return summary
    except RUN_FAULTS + (TransientError,) as err:
        log.error("%s", err)
        return Failed(message=str(err))


def _night(settings: Settings, catalog: Catalog, request: IngestRequest) -> Any:
    """Every topic in one run: one model load, one arXiv limiter, one ranking across topics."""
    from contextlib import ExitStack

    log = get_run_logger()
    topics = sorted(catalog.topics())
    with ExitStack() as locks:
        locks.callback(prefetch.clear)  # answers asked ahead for this run are for this run only
        for topic in topics:
            locks.enter_context(catalog.run_lock(topic))
        catalog.check_writable()
        for path in catalog.clean_debris():
            log.info("removed %s, left by a write that was killed", path)
        snapshot = catalog.load()
        states = {t: catalog.load_state(t) for t in topics}
        pruned = _prune_held(catalog, snapshot, states)
        night_report = RunReport("all topics")
        now = dt.datetime.now(dt.UTC)
        sent = requests_sent(settings.arxiv_api)
        early = prefetch.began(settings.arxiv_api)  # the CLI began asking before the flow started
        if early is not None:
            sent, now = min(sent, early[0]), early[1]
        starts, found = _discover_all(settings, snapshot, states, request, now)
        ranker = night.ranker_for(catalog, snapshot)
        draft_at = DRAFT_AT if request.min_relevance is None else request.min_relevance
        rows = night.rank_night(
            snapshot,
            ranker,
            {t: found[t].papers for t in topics},
            states,
            budget=night.budget_of(catalog, request.budget),
            draft_at=draft_at,
        )
        with night_report.timed("model_load"):
            if any(r.action == "draft" for r in rows):  # a night with nothing to draft needs no model
                stages.get_translator(settings)  # fails the run before any download or draft
        summaries, watch, stopped = [], FaultWatch(), ""
        for topic in topics:
            plan = planning.plan(
                snapshot, found[topic].papers, states[topic], topic=topic, min_relevance=0, ranker=ranker
            )
            _keep_chosen(plan, topic, rows)
            for flag in plan.flags:
                catalog.flag(flag)
            _remember_held(catalog, topic, found[topic].papers, plan)
            report = RunReport(topic)
            stopped, unreached = _draft_topic(settings, snapshot, topic, plan, report, watch, stopped)
            charged, deferred = watch.split()
            mine = {p.arxiv_id for p in found[topic].papers}
            new_state = harvest.advance(
                states[topic],
                found[topic].papers,
                start=starts[topic],
                truncated=found[topic].truncated,
                failed={k: v for k, v in charged.items() if k in mine},
                deferred={k: v for k, v in deferred.items() if k in mine},
                unreached=unreached,
                held_back=plan.held_back,
                drafted={item.id for item in report.drafted + report.updated},
            )
            catalog.save_state(topic, new_state)
            summaries.append(
                report.summary(plan, new_state, found=len(found[topic].papers), requests=0, problems=[])
            )
        run_fault = stopped or " ".join(watch.run_faults().values())
        summary = _merge(summaries, night_report, requests_sent(settings.arxiv_api) - sent, snapshot)
        summary.skipped += [Outcome(id=p.arxiv, reason=f"[{p.topic}] {p.reason}") for p in pruned]
        summary.run_fault = run_fault
        _artifacts(summary)
        if run_fault:
            log.error("%s", run_fault)
            return Failed(message=run_fault, data=summary)
        return summary


def _prune_held(
    catalog: Catalog, snapshot: CatalogSnapshot, states: dict[str, TopicState]
) -> list[night.Pruned]:
    """Papers that left the held list (drafted or decided since, or held too long), each logged; a
    state whose list changed is saved at once, so the held list and the states agree even if the run
    stops."""
    log = get_run_logger()
    before = {t: s.held_back.copy() for t, s in states.items()}
    pruned = night.prune_held(catalog, snapshot, states, dt.date.today())
    for t, state in states.items():
        if state.held_back != before[t]:
            catalog.save_state(t, state)
    for p in pruned:
        log.info("%s (topic %s): %s", p.arxiv, p.topic, p.reason)
    return pruned


def _discover_all(
    settings: Settings,
    snapshot: CatalogSnapshot,
    states: dict[str, TopicState],
    request: IngestRequest,
    now: dt.datetime,
) -> tuple[dict[str, dt.datetime], dict[str, Discovery]]:
    """Each topic's start of harvest (counted back from `now`) and what arXiv found since then, topic by
    topic."""
    log = get_run_logger()
    starts, found = {}, {}
    for n, topic in enumerate(states, start=1):
        starts[topic] = harvest.start_of_harvest(states[topic], request.since, now)
        log.info("[%d/%d] topic %s: asking arXiv since %s", n, len(states), topic, starts[topic].isoformat())
        found[topic] = _retrying(discover_task, settings)(
            settings, snapshot.topics[topic].query, starts[topic], request.max_papers
        )
    return starts, found


def _keep_chosen(plan: planning.Plan, topic: str, rows: list[Ranked]) -> None:
    """Of the topic's plan, keep the papers the night chose for this topic (and new versions of
    drafts); the others are skipped, as drafted under a topic they fit better, or held back."""
    chosen = {(r.arxiv_id, r.topic) for r in rows if r.action == "draft"}
    home_of = {r.arxiv_id: r.topic for r in rows if r.action == "draft"}
    why = {(r.arxiv_id, r.topic): r.reason for r in rows}
    keep = []
    for paper in plan.todo:
        key = (paper.arxiv_id, topic)
        if key in chosen or paper.arxiv_id in plan.updates:
            keep.append(paper)
        elif paper.arxiv_id in home_of:
            reason = f"drafted under topic {home_of[paper.arxiv_id]}, which it fits best"
            plan.skipped.append(Outcome(id=paper.arxiv_id, reason=reason))
        else:
            plan.held_back[paper.arxiv_id] = plan.scored[paper.arxiv_id].score
            plan.skipped.append(Outcome(id=paper.arxiv_id, reason=f"held back: {why.get(key, '')}"))
    plan.todo = keep


def _draft_topic(
    settings: Settings,
    snapshot: CatalogSnapshot,
    topic: str,
    plan: planning.Plan,
    report: RunReport,
    watch: FaultWatch,
    stopped: str,
) -> tuple[str, set[str]]:
    """Each paper of the topic's plan through the stages, until a fault of the whole run (`stopped`,
    perhaps from an earlier topic) leaves the rest unreached. Returns (stopped, unreached)."""
    unreached: set[str] = set()
    for n, paper in enumerate(plan.todo, start=1):
        if stopped:
            unreached.add(paper.arxiv_id)
            continue
        try:
            _one_paper(
                settings, snapshot, topic, paper, plan, report, watch, f"[{topic} {n}/{len(plan.todo)}]"
            )
        except RunFault as fault:
            stopped = str(fault)
            unreached.add(paper.arxiv_id)
    return stopped, unreached


def _merge(
    summaries: list[RunSummary], report: RunReport, requests: int, snapshot: CatalogSnapshot
) -> RunSummary:
    """One summary of a night: every topic's outcomes, each id named with its topic."""
    merged = RunSummary(topic="all topics", requests=requests, problems=snapshot.problems)
    for s in summaries:
        merged.found += s.found
        for name in ("drafted", "updated", "flagged", "skipped", "failed", "owed"):
            getattr(merged, name).extend(
                o.model_copy(update={"reason": f"[{s.topic}] {o.reason}"}) for o in getattr(s, name)
            )
        for stage, seconds in s.timings.items():
            merged.timings[stage] = round(merged.timings.get(stage, 0.0) + seconds, 1)
    merged.timings["model_load"] = round(report.timings["model_load"], 1)
    merged.seconds = round(time.monotonic() - report.started, 1)
    return merged


def _remember_held(catalog: Catalog, topic: str, papers: list[Paper], plan: planning.Plan) -> None:
    """Held-back papers are kept (catalog/held/) with score and reason: listed by `alphatree review list
    --held-back`, drafted on request, and negatives for the ranker while the curator leaves them."""
    by_id = {p.arxiv_id: p for p in papers}
    reasons = {o.id: o.reason for o in plan.skipped}
    for arxiv_id in plan.held_back:
        if arxiv_id in by_id and arxiv_id in plan.scored:
            night.save_held(catalog, by_id[arxiv_id], topic, plan.scored[arxiv_id], reasons.get(arxiv_id, ""))
    for paper in plan.todo:
        night.forget_held(catalog, paper.arxiv_id)  # recovered: drafted now


def _one_paper(
    settings: Settings,
    snapshot: CatalogSnapshot,
    topic: str,
    paper: Paper,
    plan: planning.Plan,
    report: RunReport,
    watch: FaultWatch,
    label: str,
) -> None:
    """fetch -> extract -> translate -> find code -> draft; a failing paper is reported and the run
    goes on, unless the failure is the whole run's (RunFault)."""
    log = get_run_logger()
    label = f"{label} {paper.versioned_id}"
    relevance = plan.relevance.get(paper.arxiv_id)
    steps = stages.Steps(
        fetch=_retrying(fetch_task, settings),
        extract=extract_task,
        translate=translate_task,
        code=_retrying(code_task, settings),
        draft=lambda p, e, t, c: draft_task(settings, snapshot, topic, p, e, t, c, relevance),
    )
    at = stages.Position(report.timed)
    try:
        written = stages.one_paper(settings, paper, steps, at)
    except ModelUnavailable:
        raise
    except Exception as err:  # one bad paper never stops the run
        reason = str(err) if isinstance(err, EXPECTED) else f"{type(err).__name__}: {err}"
        log.warning("%s failed at %s: %s", label, at.stage, reason)
        report.fail(paper.arxiv_id, reason)
        watch.failed(paper.arxiv_id, at.stage, kind_of(at.stage, err), reason, at.passed)
        return
    watch.succeeded(at.passed)
    log.info("%s %s -> %s %s", label, written.action, written.path, written.note)
    report.written(paper, written.action, str(written.path), written.note)
    if written.action == "drafted" and start_review_run(settings, paper.arxiv_id, written.name):
        log.info("%s: review run started; decide it in the Prefect UI or with alphatree review", label)


def _retrying(network_task: Any, settings: Settings) -> Any:
    """The task with the retry delays of the settings (`ALPHATREE_RETRY_DELAYS`, default 10 s, 60 s)."""
    delays = list(settings.retry_delays)
    return network_task.with_options(retries=len(delays), retry_delay_seconds=delays or 0)


def _artifacts(summary: RunSummary) -> None:
    """The run's report in the Prefect UI: drafts waiting for review and failures; counts and timings."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    key = artifact_key(summary.topic)
    create_markdown_artifact(
        markdown=markdown(summary), key=key, description=f"Ingest report for {summary.topic}"
    )
    create_table_artifact(
        table=[table_row(summary)], key=f"{key}-counts", description=f"Ingest counts for {summary.topic}"
    )
