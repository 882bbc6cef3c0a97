"""The ingest stages as plain functions over the edges (arXiv source, MT backend, GitHub, catalog);
`flows/ingest.py` wires each into one Prefect task. The decisions themselves are pure (`draft`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from ..catalog import Catalog, CatalogSnapshot, Stored, safe_filename
from ..config import Settings
from ..discover.arxiv_source import ArxivSource, Discovery, PdfError, cached_pdf
from ..drafting.draft import build_entry, field_hashes, paper_links, render_draft, update_draft
from ..drafting.implementations import Candidate, GitHub, find_implementations
from ..models import ENRICHES, CatalogEntry, Extraction, Flag, Paper, Translation
from ..mt.marian import MarianTranslator
from ..mt.translate import TranslateStage, Translator
from ..pdf.extract import ExtractError, extract, identity_problem, open_pdf

_translators: dict[tuple[str, str], Translator] = {}
_sources: dict[Settings, ArxivSource] = {}


def get_translator(settings: Settings) -> Translator:
    """The run's translator, loaded once per process. Raises ModelUnavailable."""
    key = (settings.mt_model, settings.mt_backend)
    if key not in _translators:
        _translators[key] = MarianTranslator(
            settings.mt_model,
            backend=settings.mt_backend,
            target=settings.mt_target,
            cache_dir=settings.cache_dir,
            hub_endpoint=settings.hub_endpoint,
        ).load()
    return _translators[key]


def use_translator(settings: Settings, translator: Translator) -> None:
    """Install a translator for these settings (tests use a fake that implements the protocol)."""
    _translators[(settings.mt_model, settings.mt_backend)] = translator


def arxiv(settings: Settings) -> ArxivSource:
    """The arXiv source of these settings, one per process: every request of a run goes through the
    same limiter and session. Raises SettingsError for a delay under arXiv's limit."""
    if settings not in _sources:
        _sources[settings] = ArxivSource(settings)
    return _sources[settings]


def discover(settings: Settings, query: str, since: dt.datetime, max_papers: int | None) -> Discovery:
    """Papers of the topic query changed since `since`, oldest first (the answer `ingest --all-topics`
    asked for while the run started, when it has this very query: `prefetch`)."""
    from . import prefetch

    found = prefetch.take(settings, query, since, max_papers)
    if found is not None:
        return found
    return arxiv(settings).discover(query, since=since, max_papers=max_papers)


def fetch(settings: Settings, paper: Paper) -> Path:
    """The paper's PDF (cached). Raises TransientPdfError (retry) or PdfError."""
    return arxiv(settings).fetch_pdf(paper)


def figures_dir(settings: Settings, paper: Paper) -> Path:
    return settings.cache_dir / "figures" / f"{safe_filename(paper.arxiv_id)}v{paper.version}"


def extract_paper(settings: Settings, paper: Paper, pdf: Path) -> Extraction:
    """Extract the PDF, once it is known to be this paper: one open for both. Raises ExtractError."""
    doc = open_pdf(pdf)
    try:
        problem = identity_problem(doc, paper.title)
        if problem:
            raise ExtractError(problem)
        return extract(doc, figures_dir(settings, paper))
    finally:
        doc.close()


def translate_paper(settings: Settings, paper: Paper, extraction: Extraction) -> Translation:
    """Title, abstract and captions in Chinese, through the memory, glossary and protection."""
    translator = get_translator(settings)
    stage = TranslateStage.for_tree(translator, settings)
    texts = [paper.title, paper.abstract] + [f.caption for f in extraction.figures]
    out = stage.translate(texts)
    return Translation(
        title_zh=out[0],
        abstract_zh=out[1],
        captions_zh=out[2:],
        model=translator.name,
        backend=translator.backend,
    )


def find_code(settings: Settings, paper: Paper, extraction: Extraction) -> list[Candidate]:
    """Code candidates named by the paper or found on GitHub, verified when GitHub answers."""
    github = GitHub(settings.github_api, settings.github_token)
    return find_implementations(paper, paper_links(paper, extraction), github)


@dataclass
class Written:
    path: Path
    action: str
    """`drafted`, `updated` (new version, reviewer edits kept), `flagged` (approved meanwhile: the new
    version is flagged on the entry) or `unchanged`."""
    note: str = ""
    name: str = ""
    """The entry's name (`FlashAttention`), for the review run's name."""


Draft = Callable[[Paper, Extraction, Translation, list[Candidate]], Written]


@dataclass
class Steps:
    """How each stage of one paper is run: the flow passes its Prefect tasks (with their retries),
    `curate` plain calls that it retries itself. `draft` writes the draft or the enrichment."""

    draft: Draft
    fetch: Callable[[Settings, Paper], Path] = fetch
    extract: Callable[[Settings, Paper, Path], Extraction] = extract_paper
    translate: Callable[[Settings, Paper, Extraction], Translation] = translate_paper
    code: Callable[[Settings, Paper, Extraction], list[Candidate]] = find_code


@dataclass
class Position:
    """Where one paper is in the sequence: the stage running (where a failure happened) and the stages
    it passed. `timed`, when given, wraps each stage (the flow's report times them)."""

    timed: Callable[[str], AbstractContextManager[object]] | None = None
    stage: str = "fetch"
    passed: list[str] = field(default_factory=list)

    @contextmanager
    def at(self, stage: str) -> Iterator[None]:
        self.stage = stage
        with self.timed(stage) if self.timed else nullcontext():
            yield
        self.passed.append(stage)


def one_paper(settings: Settings, paper: Paper, steps: Steps, position: Position) -> Written:
    """One paper through fetch -> extract -> translate -> find code -> draft: the one sequence the
    flow and `alphatree add`/`enrich` share. A failure propagates; `position` says at which stage."""
    with position.at("fetch"):
        pdf = steps.fetch(settings, paper)
    with position.at("extract"):
        extraction = steps.extract(settings, paper, pdf)
    with position.at("translate"):
        translation = steps.translate(settings, paper, extraction)
    with position.at("code"):
        code = steps.code(settings, paper, extraction)
    with position.at("draft"):
        return steps.draft(paper, extraction, translation, code)


def write_draft(
    settings: Settings,
    snapshot: CatalogSnapshot,
    topic: str,
    paper: Paper,
    extraction: Extraction,
    translation: Translation,
    implementations: list[Candidate],
    relevance: tuple[float, list[str], list[str]] | None = None,
) -> Written:
    """Write `catalog/drafts/<id>.yaml` with its figures: a new draft is created exclusively, a newer
    version refreshes the draft without touching a reviewer's edits; the same version is left alone."""
    catalog = Catalog(settings.catalog_dir)
    with catalog.paper_lock(paper.arxiv_id):  # an approval or rejection of this paper waits, or went first
        path = catalog.draft_path(paper.arxiv_id)
        known = snapshot.known.get(paper.arxiv_id)
        if known is not None and known.where == "draft" and not path.exists():
            return _decided_meanwhile(catalog, paper, path)
        existing = known is not None and known.where == "draft"
        if existing and not known.behind(paper.version):  # type: ignore[union-attr]
            return Written(path, "unchanged")
        files = _save_figures(settings, catalog, paper, extraction, versioned=existing)
        entry = build_entry(
            paper,
            extraction,
            translation,
            topic=topic,
            tree=snapshot.entries,
            taken_slugs=snapshot.taken_ids(besides=path),
            figure_files=files,
            implementations=implementations,
            topics=snapshot.topics,
        )
        if relevance is not None:
            entry.provenance["suggestions"]["relevance"] = {
                "score": relevance[0],
                "nearest": relevance[1],
                "evidence": relevance[2],
            }
        if not existing:
            if not catalog.create_draft(paper.arxiv_id, render_draft(entry, settings.prompts_dir)):
                return Written(path, "unchanged", "drafted meanwhile by another run")
            snapshot.add_draft(path, entry)
            return Written(path, "drafted", name=entry.name)

        update = update_draft(catalog.read_text(path), entry)
        catalog.replace_draft(paper.arxiv_id, update.text)
        snapshot.add_draft(path, entry)
        note = (
            f"v{known.version} -> v{paper.version}; "  # type: ignore[union-attr]
            f"refreshed: {', '.join(update.refreshed) or 'nothing'}; "
            f"reviewer edits kept: {', '.join(update.kept) or 'none'}"
        )
        return Written(path, "updated", note)


def _decided_meanwhile(catalog: Catalog, paper: Paper, path: Path) -> Written:
    """The draft this run read was approved or rejected while the run worked: nothing is redrafted;
    a new version of what is now a tree entry is flagged for the reviewer, as planning would have."""
    fresh = catalog.load()
    where = fresh.known.get(paper.arxiv_id)
    if where is None or where.where != "tree":
        return Written(path, "unchanged", "decided by a reviewer while this run worked; left alone")
    if not where.behind(paper.version):
        return Written(where.path, "unchanged", "approved by a reviewer while this run worked")
    catalog.flag(
        Flag(
            arxiv=paper.arxiv_id,
            entry=str(where.path.relative_to(catalog.root)),
            approved_version=where.version or 0,
            new_version=paper.version,
            seen=dt.date.today(),
        )
    )
    note = f"approved while this run worked; new version v{paper.version} flagged for review"
    return Written(where.path, "flagged", note)


def write_enrichment(
    settings: Settings,
    snapshot: CatalogSnapshot,
    stored: Stored,
    paper: Paper,
    extraction: Extraction,
    translation: Translation,
    implementations: list[Candidate],
) -> Written:
    """Write the enrichment draft `catalog/drafts/<id>.yaml` of a tree entry: the entry as it is, with
    what it lacks offered from its paper (figures stored under `catalog/figures/<id>/` for the
    reviewer to see). Created exclusively; the tree is not touched until a reviewer approves."""
    from ..drafting import enrich

    catalog = Catalog(settings.catalog_dir)
    with catalog.paper_lock(paper.arxiv_id):  # as every write of a paper's files
        path = catalog.draft_path(paper.arxiv_id)
        # figures the entry already shows stay as they are: the offer's are saved beside them by version
        in_use = (catalog.figures_dir / safe_filename(paper.arxiv_id)).is_dir()
        files = _save_figures(settings, catalog, paper, extraction, versioned=in_use)
        machine = build_entry(
            paper,
            extraction,
            translation,
            topic=stored.entry.topic,
            tree=snapshot.entries,
            taken_slugs=set(),
            figure_files=files,
            implementations=implementations,
        )
        entry = enrich.enrichment_entry(stored, machine, snapshot.root)
        if not entry.provenance[ENRICHES]["adds"]:
            return Written(path, "unchanged", "its paper offers nothing the entry lacks; no draft written")
        entry.provenance["machine_fields"] = field_hashes(entry)
        text = enrich.header(stored, entry, snapshot.root) + render_draft(entry, settings.prompts_dir)
        if not catalog.create_draft(paper.arxiv_id, text):
            return Written(path, "unchanged", "drafted meanwhile by another run")
        snapshot.add_draft(path, entry)
        adds = ", ".join(entry.provenance[ENRICHES]["adds"]) or "nothing"
        return Written(path, "drafted", f"enriches {stored.entry.id}: adds {adds}", name=stored.entry.name)


def _save_figures(
    settings: Settings, catalog: Catalog, paper: Paper, extraction: Extraction, *, versioned: bool
) -> dict[str, str]:
    """Copy the extracted figure PNGs into `catalog/figures/<id>/`; figure key (its number; page and
    number in a supplement that restarts the numbering) -> stored path."""
    source = figures_dir(settings, paper)
    files: dict[str, str] = {}
    for fig in extraction.figures:
        if not fig.file:
            continue
        name = f"v{paper.version}-{fig.file}" if versioned else fig.file
        stored = catalog.save_figure(paper.arxiv_id, name, source / fig.file)
        if stored:
            files[fig.key] = stored
    return files


@dataclass
class Reading:
    """A reading page made: its two files and what it took."""

    paths: list[Path]
    sentences: int
    distinct: int
    sections: int
    translated: int
    """Sentences the model translated; the rest came from the translation memory."""

    def summary(self) -> str:
        return (
            f"{self.sentences} sentence(s), {self.distinct} distinct, in {self.sections} section(s); "
            f"{self.translated} translated by the model, the rest from the translation memory"
        )


def entry_pdf(settings: Settings, entry: CatalogEntry, *, download: bool) -> Path:
    """A tree entry's PDF: the one ingest cached, or (with `download`) fetched from arXiv politely.
    Raises PdfError (or TransientPdfError) when there is none."""
    if not entry.arxiv:
        raise PdfError(f"{entry.id} has no arXiv id")
    version = entry.version or 1
    cached = cached_pdf(settings, entry.arxiv, version)
    if cached.is_file():
        return cached
    if not download:
        raise PdfError(f"no PDF of {entry.arxiv}v{version} in {cached.parent}")
    paper = Paper(
        arxiv_id=entry.arxiv,
        version=version,
        title=entry.title,
        authors=entry.authors,
        abstract=entry.abstract or "",
        published=dt.datetime.combine(entry.published or dt.date(entry.year, 1, 1), dt.time(), dt.UTC),
        pdf_url=f"https://arxiv.org/pdf/{entry.arxiv}v{version}",
    )
    return arxiv(settings).fetch_pdf(paper)


Progress = Callable[[int, int, str], None]
"""Told after each section: (sections done, sections in all, what was done)."""


def make_reading(
    settings: Settings, entry: CatalogEntry, pdf: Path, progress: Progress | None = None
) -> Reading:
    """论文一键翻译 for one tree entry: its whole paper through the translation stage (memory first),
    with progress per section, saved as `catalog/reading/<id>.md` and `.zh.md`. The review flow calls
    this when an entry is approved, `alphatree review approve` and `alphatree read` too.
    Raises ExtractError for a PDF without readable text, ModelUnavailable without a model."""
    from ..site import reading

    found = reading.parts_of(pdf)
    if not found:
        raise ExtractError(f"{pdf} has no text a reading page can be made of (a scan?)")
    translator = get_translator(settings)
    stage = TranslateStage.for_tree(translator, settings)
    reading.translate(found, stage, progress=progress)
    both, chinese = reading.render_page(entry, found, translator.name)
    paths = Catalog(settings.catalog_dir).save_reading(entry.id, both, chinese)
    sentences = [s for p in found for s in p.sentences]
    return Reading(
        paths,
        len(sentences),
        len(set(sentences)),
        sum(p.kind == "heading" for p in found),
        stage.translated,
    )


def reading_at_approval(settings: Settings, entry_path: Path, progress: Progress | None) -> tuple[bool, str]:
    """Make the reading page of an entry just approved, from the PDF ingest cached: whether it was
    made, and one line saying what or why not. Never raises: the approval stands whatever happens."""
    try:
        entry = Catalog(settings.catalog_dir).read_entry(entry_path)
        if not entry.arxiv:
            return (
                False,
                f"no reading page for {entry.id}: it has no arXiv id (`alphatree read {entry.id} --pdf F`)",
            )
        made = make_reading(settings, entry, entry_pdf(settings, entry, download=False), progress)
    except Exception as err:  # noqa: BLE001 - reported in one line; the decision is already saved
        why = str(err).rstrip(".") or type(err).__name__  # one full stop, the line's own
        return False, f"no reading page yet ({why}); `alphatree read {entry_path.stem}` makes it later"
    return True, f"reading page {made.paths[0]}: {made.summary()}"
