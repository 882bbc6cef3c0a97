"""Bringing a tree up to the AlphaTree standard: `enrich` (an enrichment draft per tree entry that lacks a
diagram, figures, a Chinese abstract or a PyTorch link) and `add` (drafts of known papers by arXiv id,
whatever their date). Both look papers up through arXiv's `id_list` and run each through the ingest
stages (same source, cache, limiter, translator); their drafts go through the same review."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ..catalog import Catalog, CatalogError, CatalogSnapshot, Stored
from ..config import Settings
from ..discover import planning
from ..discover.arxiv_source import ArxivUnavailable, Discovery, DiscoveryError, TransientError
from ..drafting import enrich
from ..drafting.implementations import Candidate
from ..models import ARXIV_ID, Extraction, Paper, TopicState, Translation
from ..mt.marian import ModelUnavailable
from ..pdf.extract import ExtractError
from ..review.runs import start_review_run
from . import stages

Say = Callable[[str], None]
T = TypeVar("T")


class CurateError(RuntimeError):
    """The command cannot run (a bad name, an unknown topic, arXiv unreachable); one sentence.
    `code` 2: the user can fix the input; 1: the run started and stopped."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Report:
    """What one `enrich` or `add` run did, paper by paper."""

    command: str
    looked_at: int = 0
    drafted: list[tuple[str, str]] = field(default_factory=list)
    """(who, what): the paper or entry, and its draft with what it offers."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    per_paper: list[float] = field(default_factory=list)
    """Seconds each paper took through the stages (fetch to draft), in order."""

    def summary(self) -> str:
        mean = sum(self.per_paper) / len(self.per_paper) if self.per_paper else 0.0
        return (
            f"{self.command}: {self.looked_at} looked at, {len(self.drafted)} drafted, "
            f"{len(self.skipped)} skipped, {len(self.failed)} failed "
            f"({self.seconds:.1f} s; {mean:.1f} s per paper worked on)."
        )


# --- choosing ------------------------------------------------------------------------------------


def select_entries(snapshot: CatalogSnapshot, names: list[str], topic: str | None) -> list[Stored]:
    """The tree entries to look at: the named ones (by id or arXiv id), else all, within `topic` (and its
    subtopics). Raises CurateError for an unknown topic, an unknown entry, a named entry without an
    arXiv id."""
    if topic is not None and topic not in snapshot.topics:
        known = ", ".join(sorted(snapshot.topics))
        raise CurateError(f"unknown topic {topic!r}; topics in catalog/topics.yaml: {known}")
    chosen = list(snapshot.tree)
    if topic is not None:
        chosen = [s for s in chosen if s.entry.topic == topic or s.entry.topic.startswith(topic + "/")]
    if not names:
        return chosen
    picked: list[Stored] = []
    for name in names:
        stored = next((s for s in chosen if name in (s.entry.id, s.entry.arxiv)), None)
        if stored is None:
            where = f" of topic {topic}" if topic else ""
            raise CurateError(f"no entry {name!r} in the tree{where} (give an entry id such as resnet)")
        if not stored.entry.arxiv:
            raise CurateError(
                f"entry {stored.entry.id} has no arXiv id, so there is no paper to enrich it from; "
                f"add its diagram, figures and code to {stored.path} by hand"
            )
        if stored not in picked:
            picked.append(stored)
    return picked


def parse_ids(values: list[str]) -> list[str]:
    """arXiv ids as given (`1512.03385`, `1512.03385v2`, `arXiv:1512.03385`). Raises CurateError."""
    ids = []
    for value in values:
        bare = re.sub(r"^(?:arxiv:|https?://arxiv\.org/(?:abs|pdf)/)", "", value.strip(), flags=re.I)
        bare = bare.removesuffix(".pdf")
        if not ARXIV_ID.match(re.sub(r"v\d+$", "", bare)):
            raise CurateError(f"{value!r} is not an arXiv id such as 1512.03385")
        if bare not in ids:
            ids.append(bare)
    return ids


# --- the runs ------------------------------------------------------------------------------------


def run_enrich(settings: Settings, names: list[str], topic: str | None, say: Say, out: Say) -> Report:
    """An enrichment draft for every chosen entry that lacks something and has none waiting, none
    rejected and none approved before. Raises CurateError (or ModelUnavailable) for the whole run."""
    started = time.monotonic()
    report = Report("enrich")
    catalog = Catalog(settings.catalog_dir)
    snapshot = catalog.load()
    chosen = select_entries(snapshot, names, topic)
    report.looked_at = len(chosen)
    todo: list[Stored] = []
    for stored in chosen:
        reason = enrich.skip_reason(stored, snapshot)
        if reason:
            report.skipped.append((stored.entry.id, reason))
            out(f"skipped  {stored.entry.id}: {reason}")
        else:
            todo.append(stored)
    if todo:
        settings.check_arxiv_politeness()
        catalog.check_writable()
        say(f"Loading translation model {settings.mt_model} ...")
        stages.get_translator(settings)  # fails in one sentence, before any paper
        wanted = [
            f"{s.entry.arxiv}v{s.entry.version}" if s.entry.version else str(s.entry.arxiv) for s in todo
        ]
        found = {p.arxiv_id: p for p in _lookup(settings, wanted, say).papers}
        for n, stored in enumerate(todo, start=1):
            label = f"[{n}/{len(todo)}] {stored.entry.id}"
            paper = found.get(stored.entry.arxiv or "")
            if paper is None:
                _failed(report, out, label, stored.entry.id, f"arXiv does not know {stored.entry.arxiv}")
                continue
            if stored.entry.abstract.strip():  # translate the abstract the entry will show
                paper = paper.model_copy(update={"abstract": stored.entry.abstract})
            say(f"{label}: arXiv {paper.versioned_id} {paper.title[:70]} ...")
            _one(settings, report, out, label, stored.entry.id, paper, snapshot, stored, "")
    report.seconds = time.monotonic() - started
    return report


def run_add(settings: Settings, values: list[str], topic: str, say: Say, out: Say) -> Report:
    """A draft of each named paper, whatever its date, for `topic`: through the nightly's plan (a paper
    in the tree, drafted or rejected is skipped) without its relevance hold-back, the curator named it.
    Raises CurateError (or ModelUnavailable) for the whole run."""
    started = time.monotonic()
    report = Report("add")
    ids = parse_ids(values)
    catalog = Catalog(settings.catalog_dir)
    snapshot = catalog.load()
    if topic not in snapshot.topics:
        known = ", ".join(sorted(snapshot.topics))
        raise CurateError(f"unknown topic {topic!r}; topics in catalog/topics.yaml: {known}")
    report.looked_at = len(ids)
    settings.check_arxiv_politeness()
    catalog.check_writable()
    say(f"Loading translation model {settings.mt_model} ...")
    stages.get_translator(settings)
    found = _lookup(settings, ids, say)
    asked = {re.sub(r"v\d+$", "", i) for i in ids}
    for missing in sorted(asked - {p.arxiv_id for p in found.papers}):
        _failed(report, out, "", missing, f"arXiv does not know {missing}")
    plan = planning.plan(snapshot, found.papers, TopicState(), topic=topic, min_relevance=0)
    for skipped in plan.skipped + plan.flagged:
        reason = _in_tree(snapshot, skipped.id) or skipped.reason
        report.skipped.append((skipped.id, reason))
        out(f"skipped  {skipped.id}: {reason}")
    for n, paper in enumerate(plan.todo, start=1):
        label = f"[{n}/{len(plan.todo)}] {paper.arxiv_id}"
        say(f"{label}: arXiv {paper.versioned_id} {paper.title[:70]} ...")
        relevance = plan.relevance.get(paper.arxiv_id)
        _one(settings, report, out, label, paper.arxiv_id, paper, snapshot, None, topic, relevance)
    report.seconds = time.monotonic() - started
    return report


def _in_tree(snapshot: CatalogSnapshot, arxiv_id: str) -> str:
    stored = next((s for s in snapshot.tree if s.entry.arxiv == arxiv_id), None)
    if stored is None:
        return ""
    return (
        f"already in the tree as {stored.entry.id}; `alphatree enrich {stored.entry.id}` fills what it lacks"
    )


def _lookup(settings: Settings, ids: list[str], say: Say) -> Discovery:
    """The papers by id, asked politely; a transient fault is retried after the settings' delays."""
    delays = list(settings.retry_delays)
    while True:
        try:
            return stages.arxiv(settings).lookup(ids)
        except TransientError as err:
            if not delays:
                raise CurateError(f"arXiv did not answer the id lookup: {err}", code=1) from None
            wait = delays.pop(0)
            say(f"arXiv lookup failed ({err}); trying again in {wait:g} s")
            time.sleep(wait)
        except (ArxivUnavailable, DiscoveryError) as err:
            raise CurateError(str(err).rstrip("."), code=1) from None


def _one(
    settings: Settings,
    report: Report,
    out: Say,
    label: str,
    who: str,
    paper: Paper,
    snapshot: CatalogSnapshot,
    stored: Stored | None,
    topic: str,
    relevance: tuple[float, list[str], list[str]] | None = None,
) -> None:
    """One paper through fetch -> extract -> translate -> find code -> draft. A failing paper is
    reported and the run goes on; an unwritable catalog stops the run."""
    started = time.monotonic()
    steps = stages.Steps(
        fetch=_retried(stages.fetch),
        code=_retried(stages.find_code),
        draft=lambda p, e, t, c: _write(settings, snapshot, stored, topic, p, e, t, c, relevance),
    )
    at = stages.Position()
    try:
        written = stages.one_paper(settings, paper, steps, at)
    except ModelUnavailable:
        raise
    except Exception as err:  # one bad paper never stops the run
        if at.stage == "draft":  # an unwritable catalog (CurateError) stops it: no paper is to blame
            raise
        expected = (ExtractError, TransientError, ValueError, OSError, RuntimeError)
        reason = str(err) if isinstance(err, expected) else f"{type(err).__name__}: {err}"
        _failed(report, out, label, who, f"failed at {at.stage}: {reason}")
        return
    report.per_paper.append(time.monotonic() - started)
    if written.action == "unchanged":
        report.skipped.append((who, written.note))
        out(f"{label}  skipped  {written.note}")
        return
    note = f"  ({written.note})" if written.note else ""
    report.drafted.append((who, f"{written.path}{note}"))
    out(f"{label}  {written.action}  {written.path}{note}")
    if written.action == "drafted":
        start_review_run(settings, paper.arxiv_id, written.name)


def _write(
    settings: Settings,
    snapshot: CatalogSnapshot,
    stored: Stored | None,
    topic: str,
    paper: Paper,
    extraction: Extraction,
    translation: Translation,
    code: list[Candidate],
    relevance: tuple[float, list[str], list[str]] | None,
) -> stages.Written:
    """The draft written; a store that cannot be written stops the run (no paper is to blame)."""
    try:
        if stored is not None:
            return stages.write_enrichment(settings, snapshot, stored, paper, extraction, translation, code)
        return stages.write_draft(settings, snapshot, topic, paper, extraction, translation, code, relevance)
    except CatalogError as err:
        raise CurateError(f"{err}; the run stopped", code=1) from None
    except OSError as err:
        where = err.filename or settings.catalog_dir
        raise CurateError(
            f"cannot write into {where} ({err.strerror or type(err).__name__}); the run stopped", code=1
        ) from None


def _retried(step: Callable[..., T]) -> Callable[..., T]:
    """`step(settings, ...)` tried again after each of the settings' retry delays while it fails
    transiently (the flow's tasks retry the same way)."""

    def call(settings: Settings, *args: object) -> T:
        return _retrying(settings, lambda: step(settings, *args))

    return call


def _retrying(settings: Settings, call: Callable[[], T]) -> T:
    """The call, tried again after each of the settings' retry delays while it fails transiently."""
    delays = list(settings.retry_delays)
    while True:
        try:
            return call()
        except TransientError:
            if not delays:
                raise
            time.sleep(delays.pop(0))


def _failed(report: Report, out: Say, label: str, who: str, reason: str) -> None:
    report.failed.append((who, reason))
    out(f"{label or who}  FAILED  {reason}")
