"""The ingest stages as plain functions; `flows/ingest.py` wires them into Prefect tasks."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .arxiv_source import ArxivSource, Discovery
from .catalog import Catalog, CatalogError, atomic_write, safe_filename
from .config import Settings
from .draft import build_entry, render_draft
from .extract import ExtractError, extract, identity_problem
from .models import Extraction, Paper, Translation
from .translate import MarianTranslator, TranslateStage, Translator

logger = logging.getLogger(__name__)

_translators: dict[tuple[str, str], Translator] = {}


class IngestError(RuntimeError):
    """The run cannot start or go on (unknown topic, broken catalog); the message says why."""


def get_translator(settings: Settings) -> Translator:
    """The run's translator, loaded once per process. Raises ModelUnavailable."""
    key = (settings.mt_model, settings.mt_backend)
    if key not in _translators:
        _translators[key] = MarianTranslator(settings.mt_model).load()
    return _translators[key]


def use_translator(settings: Settings, translator: Translator) -> None:
    """Install a translator for these settings (tests use a fake that implements the protocol)."""
    _translators[(settings.mt_model, settings.mt_backend)] = translator


@dataclass
class Plan:
    """What discovery found and what this run will do with it."""

    todo: list[Paper] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    found: int = 0


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


def discover(settings: Settings, query: str, since: dt.date | None, max_papers: int | None) -> Discovery:
    return ArxivSource(settings).discover(query, since=since, max_papers=max_papers)


def plan(settings: Settings, discovery: Discovery) -> Plan:
    """Split found papers into new ones and ones the catalog already knows (tree, draft, rejected)."""
    try:
        known = Catalog(settings.catalog_dir).known()
    except CatalogError as err:
        raise IngestError(str(err)) from None
    result = Plan(refused=list(discovery.refused), found=len(discovery.papers))
    for paper in discovery.papers:
        where = known.get(paper.arxiv_id)
        if where is None:
            result.todo.append(paper)
        elif where.where == "tree":
            result.skipped.append((paper.arxiv_id, "already in the tree"))
        elif where.where == "draft":
            result.skipped.append((paper.arxiv_id, "already drafted, waiting for review"))
        else:
            result.skipped.append((paper.arxiv_id, "rejected by a reviewer"))
    return result


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


def write_draft(
    settings: Settings, topic: str, paper: Paper, extraction: Extraction, translation: Translation
) -> Path:
    """Render and write `catalog/drafts/<id>.yaml` (atomically) with its figures. Returns the path."""
    catalog = Catalog(settings.catalog_dir)
    path = catalog.draft_path(paper.arxiv_id)
    if path.exists():  # a reviewer may already be working on it: never overwrite
        return path
    tree = [e for _, e in catalog.entries()]
    taken = {e.id for e in tree} | {e.id for _, e in catalog.drafts()}
    stem = safe_filename(paper.arxiv_id)
    files: dict[str, str] = {}
    source = figures_dir(settings, paper)
    for fig in extraction.figures:
        if fig.file and (source / fig.file).exists():
            dest = catalog.figures_dir / stem / fig.file
            atomic_write(dest, (source / fig.file).read_bytes())
            files[fig.number] = f"figures/{stem}/{fig.file}"
    entry = build_entry(
        paper,
        extraction,
        translation,
        topic=topic,
        tree=tree,
        taken_slugs=taken,
        figure_files=files,
    )
    atomic_write(path, render_draft(entry, settings.prompts_dir))
    return path
