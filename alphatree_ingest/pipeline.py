"""The ingest stages as plain functions; `flows/ingest.py` wires them into Prefect tasks."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .arxiv_source import ArxivSource, Discovery
from .catalog import Catalog, CatalogError, atomic_write, dump_yaml, load_yaml, parse_entry, safe_filename
from .config import Settings
from .draft import build_entry, paper_links, render_draft
from .drafts import update_draft
from .extract import ExtractError, extract, identity_problem
from .implementations import GitHub, find_implementations
from .models import Extraction, Paper, Translation
from .relevance import Scorer
from .translate import MarianTranslator, TranslateStage, Translator

logger = logging.getLogger(__name__)

_translators: dict[tuple[str, str], Translator] = {}


class IngestError(RuntimeError):
    """The run cannot start or go on (unknown topic, broken catalog); the message says why."""


def get_translator(settings: Settings) -> Translator:
    """The run's translator, loaded once per process. Raises ModelUnavailable."""
    key = (settings.mt_model, settings.mt_backend)
    if key not in _translators:
        _translators[key] = MarianTranslator(
            settings.mt_model,
            backend=settings.mt_backend,
            target=settings.mt_target,
            cache_dir=settings.cache_dir,
        ).load()
    return _translators[key]


def use_translator(settings: Settings, translator: Translator) -> None:
    """Install a translator for these settings (tests use a fake that implements the protocol)."""
    _translators[(settings.mt_model, settings.mt_backend)] = translator


@dataclass
class Plan:
    """What discovery found and what this run will do with it."""

    todo: list[Paper] = field(default_factory=list)
    """New papers, and new versions of drafted papers (their drafts are updated, edits kept)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    flagged: list[tuple[str, str]] = field(default_factory=list)
    """New versions of approved entries: left to reviewers, never drafted again."""
    held_back: dict[str, float] = field(default_factory=dict)
    """Papers scoring under the topic's relevance threshold: listed, remembered, not drafted."""
    relevance: dict[str, tuple[float, list[str]]] = field(default_factory=dict)
    """Score and nearest tree entries of every paper to draft."""
    updates: set[str] = field(default_factory=set)
    """Papers in `todo` that already have a draft (a new version): never held back."""
    found: int = 0


class RunLock:
    """One ingest run per topic and tree at a time, across processes; released when the process dies."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.path = settings.catalog_dir / "state" / f"{topic.replace('/', '--')}.lock"
        self.topic = topic
        self._file: Any = None

    def __enter__(self) -> RunLock:
        import fcntl
        import os

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+")  # noqa: SIM115 (held for the whole run)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            raise IngestError(
                f"another ingest run of topic {self.topic} is working on this tree ({holder}); "
                "wait for it to finish"
            ) from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"pid {os.getpid()} since {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")
        self._file.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        import fcntl

        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


def topic_query(settings: Settings, topic: str) -> str:
    try:
        topics = Catalog(settings.catalog_dir).topics()
    except CatalogError as err:
        raise IngestError(str(err)) from None
    if topic not in topics:
        known = ", ".join(sorted(topics))
        raise IngestError(
            f"unknown topic {topic!r}; topics in {settings.catalog_dir / 'topics.yaml'}: {known}"
        )
    return topics[topic].query


def discover(
    settings: Settings, query: str, since: dt.datetime | dt.date | None, max_papers: int | None
) -> Discovery:
    return ArxivSource(settings).discover(query, since=since, max_papers=max_papers)


FIRST_RUN_LOOKBACK = dt.timedelta(days=7)
"""A topic without a watermark (and no --since) starts this far back."""
MAX_ATTEMPTS = 3
"""A paper that failed in this many runs no longer holds its topic's watermark back."""


@dataclass
class TopicState:
    """Per-topic harvest state, kept with the tree in `catalog/state/<topic>.yaml`."""

    watermark: dt.datetime | None = None
    """arXiv update time of the newest paper up to which every paper was finished."""
    attempts: dict[str, int] = field(default_factory=dict)
    """Failed papers and how many runs failed on them."""
    gave_up: dict[str, str] = field(default_factory=dict)
    """Papers given up after MAX_ATTEMPTS runs, with the last reason."""
    held_back: dict[str, float] = field(default_factory=dict)
    """Papers held back as low relevance, with their score (recover with --min-relevance 0 --since)."""


def state_path(settings: Settings, topic: str) -> Path:
    return settings.catalog_dir / "state" / f"{topic.replace('/', '--')}.yaml"


def load_state(settings: Settings, topic: str) -> TopicState:
    path = state_path(settings, topic)
    if not path.exists():
        return TopicState()
    try:
        data = load_yaml(path) or {}
        mark = data.get("watermark")
        return TopicState(
            watermark=dt.datetime.fromisoformat(mark) if mark else None,
            attempts={str(k): int(v) for k, v in (data.get("attempts") or {}).items()},
            gave_up={str(k): str(v) for k, v in (data.get("gave_up") or {}).items()},
            held_back={str(k): float(v) for k, v in (data.get("held_back") or {}).items()},
        )
    except (CatalogError, ValueError, AttributeError, TypeError) as err:
        raise IngestError(
            f"{path} is damaged ({err}); fix or delete it (the run then starts afresh)"
        ) from None


def save_state(settings: Settings, topic: str, state: TopicState) -> None:
    data = {
        "watermark": state.watermark.isoformat() if state.watermark else None,
        "attempts": dict(sorted(state.attempts.items())),
        "gave_up": dict(sorted(state.gave_up.items())),
        "held_back": dict(sorted(state.held_back.items())),
    }
    atomic_write(state_path(settings, topic), dump_yaml(data))


def start_of_harvest(state: TopicState, since: dt.date | None, now: dt.datetime) -> dt.datetime:
    """Where this run's query starts: --since when given (backfill), else the watermark."""
    if since is not None:
        return dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    if state.watermark is not None:
        return state.watermark
    return now - FIRST_RUN_LOOKBACK


def advance(state: TopicState, papers: list[Paper], failed: dict[str, str]) -> TopicState:
    """The new state after a run over `papers` (oldest first): the watermark moves over finished
    papers and stops before the first one that failed, unless it failed MAX_ATTEMPTS times."""
    new = TopicState(state.watermark, dict(state.attempts), dict(state.gave_up), dict(state.held_back))
    blocked = False
    for paper in papers:
        if paper.arxiv_id in failed:
            tries = new.attempts.get(paper.arxiv_id, 0) + 1
            if tries >= MAX_ATTEMPTS:
                new.attempts.pop(paper.arxiv_id, None)
                new.gave_up[paper.arxiv_id] = failed[paper.arxiv_id]
            else:
                new.attempts[paper.arxiv_id] = tries
                blocked = True
        else:
            new.attempts.pop(paper.arxiv_id, None)
        if not blocked and (new.watermark is None or paper.changed > new.watermark):
            new.watermark = paper.changed
    return new


def plan(
    settings: Settings,
    discovery: Discovery,
    gave_up: dict[str, str] | None = None,
    *,
    topic: str | None = None,
    min_relevance: float | None = None,
) -> Plan:
    """Split found papers into new ones and ones the catalog already knows (tree, draft, rejected)."""
    gave_up = gave_up or {}
    catalog = Catalog(settings.catalog_dir)
    known = catalog.known()
    result = Plan(refused=list(discovery.refused), found=len(discovery.papers))
    result.refused += [("catalog", problem) for problem in catalog.problems]
    for paper in discovery.papers:
        where = known.get(paper.arxiv_id)
        newer = where is not None and (where.version or 0) < paper.version
        if paper.arxiv_id in gave_up:
            result.skipped.append(
                (paper.arxiv_id, f"given up after {MAX_ATTEMPTS} failed runs: {gave_up[paper.arxiv_id]}")
            )
        elif where is not None and where.broken:
            result.skipped.append(
                (
                    paper.arxiv_id,
                    f"its {where.where} file does not parse, left untouched: {where.broken.splitlines()[0]}",
                )
            )
        elif where is None or (where.where == "draft" and newer):
            result.todo.append(paper)
            if where is not None:
                result.updates.add(paper.arxiv_id)
        elif where.where == "tree" and newer and where.version is not None:
            reason = (
                f"new version v{paper.version} of an approved entry (v{where.version}): flagged for review"
            )
            flag_new_version(catalog, paper, where.path, where.version)
            result.flagged.append((paper.arxiv_id, reason))
        elif where.where == "tree":
            result.skipped.append((paper.arxiv_id, "already in the tree"))
        elif where.where == "draft":
            result.skipped.append((paper.arxiv_id, "already drafted, waiting for review"))
        else:
            result.skipped.append((paper.arxiv_id, "rejected by a reviewer"))
    if topic is not None and result.todo:
        _score(catalog, topic, result, min_relevance)
    return result


def _score(catalog: Catalog, topic: str, result: Plan, min_relevance: float | None) -> None:
    """Score the papers to draft against the topic; hold back those under the threshold."""
    topics = catalog.topics()
    scorer = Scorer.for_topic(
        topics[topic], [e for _, e in catalog.entries()], [e for _, e in catalog.rejected()]
    )
    threshold = topics[topic].min_relevance if min_relevance is None else min_relevance
    keep = []
    for paper in result.todo:
        score, nearest = scorer.score(f"{paper.title} {paper.abstract}")
        result.relevance[paper.arxiv_id] = (score, nearest)
        if threshold and score < threshold and paper.arxiv_id not in result.updates:
            result.held_back[paper.arxiv_id] = score
            near = ", ".join(nearest) or "none"
            result.skipped.append(
                (
                    paper.arxiv_id,
                    f"skipped, low relevance {score:.3f} < {threshold} "
                    f"(nearest: {near}); recover with --min-relevance 0 --since",
                )
            )
        else:
            keep.append(paper)
    result.todo = keep


def flag_new_version(catalog: Catalog, paper: Paper, entry_path: Path, version: int) -> None:
    """Record that an approved entry has a newer arXiv version (shown by `alphatree review list`)."""
    path = catalog.flags_dir / f"{safe_filename(paper.arxiv_id)}.yaml"
    data = {
        "arxiv": paper.arxiv_id,
        "entry": str(entry_path.relative_to(catalog.root)),
        "approved_version": version,
        "new_version": paper.version,
        "seen": dt.date.today().isoformat(),
    }
    atomic_write(path, dump_yaml(data))


def fetch(settings: Settings, paper: Paper) -> Path:
    return ArxivSource(settings).fetch_pdf(paper)


def figures_dir(settings: Settings, paper: Paper) -> Path:
    return settings.cache_dir / "figures" / f"{safe_filename(paper.arxiv_id)}v{paper.version}"


def extract_paper(settings: Settings, paper: Paper, pdf: Path) -> Extraction:
    """Extract the PDF, once it is known to be this paper. Raises ExtractError."""
    problem = identity_problem(pdf, paper.title)
    if problem:
        raise ExtractError(problem)
    out = figures_dir(settings, paper)
    if out.exists():
        shutil.rmtree(out)
    return extract(pdf, out)


def translate_paper(settings: Settings, paper: Paper, extraction: Extraction) -> Translation:
    translator = get_translator(settings)
    stage = TranslateStage.from_home(translator, settings.translations_dir)
    texts = [paper.title, paper.abstract] + [f.caption for f in extraction.figures]
    out = stage.translate(texts)
    return Translation(
        title_zh=out[0],
        abstract_zh=out[1],
        captions_zh=out[2:],
        model=translator.name,
        backend=translator.backend,
    )


@dataclass
class Written:
    path: Path
    action: str
    """`drafted`, `updated` (new version, reviewer edits kept) or `unchanged`."""
    note: str = ""


def write_draft(
    settings: Settings,
    topic: str,
    paper: Paper,
    extraction: Extraction,
    translation: Translation,
    relevance: tuple[float, list[str]] | None = None,
) -> Written:
    """Write `catalog/drafts/<id>.yaml` atomically, with its figures; a newer version updates the
    draft without touching a reviewer's edits, the same version leaves it byte for byte."""
    catalog = Catalog(settings.catalog_dir)
    path = catalog.draft_path(paper.arxiv_id)
    existing = parse_entry(path) if path.exists() else None
    if existing is not None and (existing.version or 0) >= paper.version:
        return Written(path, "unchanged")
    tree = [e for _, e in catalog.entries()]
    taken = {e.id for e in tree} | {e.id for p, e in catalog.drafts() if p != path}
    stem = safe_filename(paper.arxiv_id)
    files: dict[str, str] = {}
    source = figures_dir(settings, paper)
    for fig in extraction.figures:
        if fig.file and (source / fig.file).exists():
            name = f"v{paper.version}-{fig.file}" if existing is not None else fig.file
            atomic_write(catalog.figures_dir / stem / name, (source / fig.file).read_bytes())
            files[fig.number] = f"figures/{stem}/{name}"
    github = GitHub(settings.github_api, settings.github_token)
    implementations = find_implementations(paper, paper_links(paper, extraction), github)
    entry = build_entry(
        paper,
        extraction,
        translation,
        topic=topic,
        tree=tree,
        taken_slugs=taken,
        figure_files=files,
        implementations=implementations,
    )
    if relevance is not None:
        entry.provenance["suggestions"]["relevance"] = {"score": relevance[0], "nearest": relevance[1]}
    if existing is None:
        if not atomic_write(path, render_draft(entry, settings.prompts_dir), exclusive=True):
            return Written(path, "unchanged", "drafted meanwhile by another run")
        return Written(path, "drafted")
    update = update_draft(path.read_text(encoding="utf-8"), entry)
    atomic_write(path, update.text)
    note = (
        f"v{existing.version} -> v{paper.version}; refreshed: {', '.join(update.refreshed) or 'nothing'}; "
        f"reviewer edits kept: {', '.join(update.kept) or 'none'}"
    )
    return Written(path, "updated", note)
