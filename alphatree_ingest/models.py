"""Typed data passed between the stages, and the catalog entry contract (unknown keys are an error)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7})\Z")
"""A bare arXiv identifier: new style `2401.01234`, or old style `hep-th/9901001`. (`\\Z`, not `$`,
which would let a trailing newline through into file names and pages.)"""
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")
TOPIC_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)*\Z")
"""Slugs joined by `/`: no `--`, so `gan/x` -> `gan--x.yaml` (state) names one topic only."""
CATALOG_FILE = re.compile(r"^figures/[A-Za-z0-9._\-]+(/[A-Za-z0-9._\-]+)*\Z")
"""A file an entry points at: under `catalog/figures/`, plain names, no `..`, nothing else."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_arxiv_id(value: str | None) -> str | None:
    if value is not None and not ARXIV_ID.match(value):
        raise ValueError(f"{value!r} is not an arXiv identifier such as 1704.00028")
    return value


def _check_catalog_file(value: str) -> str:
    """A figure file of an entry: relative to `catalog/`, under `figures/`, never climbing out."""
    if not CATALOG_FILE.match(value) or ".." in value.split("/"):
        raise ValueError(
            f"{value[:80]!r} is not a figure file under figures/ (such as figures/2401.01234/fig-1.png)"
        )
    return value


def _check_topic_id(value: str) -> str:
    if not TOPIC_ID.match(value):
        raise ValueError(f"{value!r} is not a topic id such as gan/training")
    return value


class Paper(_Strict):
    """One arXiv paper as the feed describes it."""

    arxiv_id: str
    """Bare identifier, without version: `1704.00028`."""
    version: int = 1
    title: str
    authors: list[str]
    abstract: str
    published: dt.datetime
    updated: dt.datetime | None = None
    pdf_url: str
    comment: str | None = None
    journal_ref: str | None = None
    primary_category: str | None = None
    categories: list[str] = Field(default_factory=list)

    _id = field_validator("arxiv_id")(_check_arxiv_id)

    @property
    def changed(self) -> dt.datetime:
        """When this version appeared: the feed's updated time, else the first submission."""
        return self.updated or self.published

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"


FigureKind = Literal["architecture", "plot", "images", "other"]


class Section(_Strict):
    title: str
    page: int


class Figure(_Strict):
    number: str
    page: int
    bbox: tuple[float, float, float, float]
    caption: str
    file: str | None = None
    kind: FigureKind = "other"
    """`architecture` (a model, pipeline or method diagram), `plot`, `images` (photos, samples) or `other`."""
    kind_probs: dict[str, float] = {}
    """How likely each kind is, as the learned model reads the figure (the diagram ranker weighs them)."""
    is_diagram: bool = False
    """An architecture figure: a candidate for the entry's diagram (图示)."""
    series: int = 0
    """0 for the paper's own numbering; 1, 2, ... for each later run of figures that starts again at
    1 (a supplement or appendix numbered on its own)."""

    @property
    def key(self) -> str:
        """The figure's name within its paper: its number, and for a figure of a supplement that
        restarts the numbering also its page (`1-p14`), so that both figures 1 are kept."""
        return self.number if not self.series else f"{self.number}-p{self.page}"


LinkRole = Literal["own", "mention", "aside", "others", "dataset", "dependency", "reference"]


class CodeLink(_Strict):
    """A repository link found in the paper, with the sentence that carries it."""

    url: str
    framework: str | None = None
    evidence: str = ""
    role: LinkRole = "mention"
    """own (the paper's code, on its words), mention, aside (named in passing after the first page,
    with nothing of the paper's title or name in its own), others (code of a work it cites), dataset
    (data, not code), dependency (code it uses, runs or deploys with), reference (cited)."""
    official: bool = False
    """The paper states that this is its code (own, in first person or on its title page)."""
    page: int | None = None


class Reference(_Strict):
    text: str
    arxiv: str | None = None
    title: str | None = None
    """The cited work's title, when the entry's layout shows it."""
    cited: int = 0
    """How many times the paper's body cites it."""
    builds_on: str | None = None
    """A sentence of the body where the paper says, in its own voice, that it builds on this work
    ("We base the architecture of ψ on the work by Krizhevsky et al. [14]")."""


class NameUse(_Strict):
    """How the body's running text uses one model-like name, sentence by sentence."""

    sentences: int = 0
    """Sentences that name it."""
    backbone: int = 0
    """Of those, sentences that also speak of a backbone, pretraining or ImageNet ("a ResNet-101
    backbone pretrained on ImageNet"): most often a network the paper only runs on, no parent."""
    derived: int = 0
    """Of those, sentences that also speak of changing or reusing its design ("we modify the residual
    block", "inspired by", "a variant of", "follows the design"): a network built from."""


class Extraction(_Strict):
    """What the PDF holds, in the JSON shape of `alphatree extract`."""

    title: str = ""
    abstract: str = ""
    pages: int = 0
    sections: list[Section] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    code_links: list[CodeLink] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    names: dict[str, int] = Field(default_factory=dict)
    """How often the body (before the references) names each model-like word (`ResNeXt`, `VGG-16`,
    `Inception-v3`), lowercased without punctuation: `resnext`, `vgg16`, `inceptionv3`."""
    name_uses: dict[str, NameUse] = Field(default_factory=dict)
    """The same names (same keys): in how many sentences, and how those sentences use them."""


class Translation(_Strict):
    """Chinese renderings of a paper's texts."""

    title_zh: str
    abstract_zh: str
    captions_zh: list[str] = Field(default_factory=list)
    model: str
    backend: str


class EntryFigure(_Strict):
    file: str
    caption: str = ""
    caption_zh: str = ""
    kind: FigureKind | None = None
    """architecture, plot, images or other, as extraction read it."""
    diagram: bool = False

    _file = field_validator("file")(_check_catalog_file)


class EntryCode(_Strict):
    url: str
    framework: str | None = None
    official: bool = False


Level = Literal["beginner", "advanced"]
Status = Literal["draft", "approved", "rejected"]


class CatalogEntry(_Strict):
    """One paper (or pre-arXiv model) in the tree, as stored in YAML."""

    id: str
    """Slug, unique in the tree: `wgan-gp`."""
    name: str
    arxiv: str | None = None
    """Bare arXiv identifier, always a string; absent for pre-arXiv papers."""
    version: int | None = None
    title: str
    title_zh: str = ""
    authors: list[str] = Field(default_factory=list)
    year: int
    published: dt.date | None = None
    venue: str | None = None
    topic: str
    level: Level | None = None
    parents: list[str] = Field(default_factory=list)
    abstract: str = ""
    abstract_zh: str = ""
    summary_zh: str = ""
    """A short hand-written Chinese explanation (AlphaTree style)."""
    notes: str = ""
    """Facts about the model that are not metrics (layers, kernels, resolution)."""
    figures: list[EntryFigure] = Field(default_factory=list)
    diagram: str | None = None
    """Which figure is the entry's diagram (图示): a figure `file`, or `none` when there is none."""
    code: list[EntryCode] = Field(default_factory=list)
    metrics: dict[str, float] = Field(default_factory=dict)
    status: Status = "draft"
    provenance: dict[str, Any] = Field(default_factory=dict)

    _arxiv = field_validator("arxiv")(_check_arxiv_id)

    @field_validator("arxiv", mode="before")
    @classmethod
    def _arxiv_not_float(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError('arxiv must be a quoted string such as "1704.00028", not a number')
        return value

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"{value!r} is not a slug (lowercase letters, digits and dashes)")
        return value

    _topic = field_validator("topic")(_check_topic_id)

    @field_validator("diagram")
    @classmethod
    def _diagram_file(cls, value: str | None) -> str | None:
        return value if value in (None, "none") else _check_catalog_file(str(value))

    def enriches(self) -> str | None:
        """The id of the tree entry this draft enriches; None for a draft of a new entry."""
        found = self.provenance.get(ENRICHES)
        return str(found["entry"]) if isinstance(found, dict) and found.get("entry") else None


ENRICHES = "enriches"
"""Provenance key of an enrichment draft: the entry it enriches (`entry`, `file`) and what it adds."""


class Topic(_Strict):
    """A node of the topic tree in `catalog/topics.yaml`."""

    id: str
    name_zh: str
    name_en: str
    parent: str | None = None
    query: str
    """arXiv API search query (`search_query` syntax)."""
    min_relevance: float | None = None
    """Papers scoring below this are held back ("skipped, low relevance"); None holds nothing back."""
    keywords: str = ""
    """Words a subtopic's papers use (what its name means), read with its name and query to place a
    paper among its parent's subtopics (`drafting/subtopic.py`)."""

    _id = field_validator("id")(_check_topic_id)


class TopicsFile(_Strict):
    budget: int | None = Field(default=None, ge=0)
    """Drafts a night of every topic (`alphatree ingest --all-topics`); the rest is held back."""
    topics: list[Topic]

    @model_validator(mode="after")
    def _one_file_each(self) -> TopicsFile:
        """Each topic has its own page (`gan/x` -> `gan-x.md`) and its own state file."""
        seen: dict[str, str] = {}
        for topic in self.topics:
            page = topic.id.replace("/", "-")
            if page in seen:
                raise ValueError(
                    f"topics {seen[page]!r} and {topic.id!r} would share one page ({page}.md); rename one"
                )
            seen[page] = topic.id
        return self


# --- the records of a run -------------------------------------------------------------------------


class IngestRequest(_Strict):
    """What one ingest run is asked to do; validated once (CLI or deployment) and passed unchanged."""

    topic: str | None = None
    """Topic id from `catalog/topics.yaml`; None: a night of every topic."""
    since: dt.date | None = None
    """Backfill: ask arXiv for papers changed since this day instead of the watermark."""
    max_papers: int | None = Field(default=None, ge=1)
    """Stop after this many papers; the next run continues where this one stopped."""
    min_relevance: float | None = Field(default=None, ge=0, le=1)
    """Override the topic's relevance threshold for this run (0 drafts everything)."""
    budget: int | None = Field(default=None, ge=0)
    """A night of every topic: drafts at most this many (topics.yaml's `budget:` when None)."""

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str | None) -> str | None:
        return None if value is None else _check_topic_id(value)


class Owed(_Strict):
    """A paper a topic still owes: it failed, or a fault of the whole run kept it from finishing."""

    changed: dt.datetime | None = None
    """The arXiv update time of the version that failed; the watermark never passes it."""
    attempts: int = 0
    """Runs that failed on this paper through its own fault (faults of a whole run are not counted)."""
    reason: str = ""


class TopicState(_Strict):
    """Per-topic harvest state, kept with the tree in `catalog/state/<topic>.yaml`.

    The watermark means: every paper of the topic changed before it was drafted, skipped for a
    recorded reason (tree, draft, rejected, held back) or given up, or is listed in `owed`."""

    watermark: dt.datetime | None = None
    """arXiv update time from which the next run asks (papers at it are asked again)."""
    owed: dict[str, Owed] = Field(default_factory=dict)
    """Papers to finish: failed (with their attempts) or stopped by a fault of the whole run."""
    gave_up: dict[str, str] = Field(default_factory=dict)
    """Papers given up after their retries, with the last reason."""
    held_back: dict[str, float] = Field(default_factory=dict)
    """Papers held back as low relevance, with their score (recover with --min-relevance 0 --since)."""

    @model_validator(mode="before")
    @classmethod
    def _legacy_attempts(cls, data: Any) -> Any:
        """State files written before `owed` kept `attempts: {id: runs}` without update times."""
        if isinstance(data, dict) and isinstance(data.get("attempts"), dict):
            data = dict(data)
            owed = dict(data.get("owed") or {})
            for arxiv_id, runs in data.pop("attempts").items():
                owed.setdefault(arxiv_id, {"attempts": runs, "reason": "failed before this version"})
            data["owed"] = owed
        return data


class Flag(_Strict):
    """A newer arXiv version of an approved entry, waiting for a reviewer's look (`catalog/flags/`)."""

    arxiv: str
    entry: str
    """The entry's file, relative to `catalog/`."""
    approved_version: int
    new_version: int
    seen: dt.date

    _arxiv = field_validator("arxiv")(_check_arxiv_id)


class Problem(_Strict):
    """A catalog file that could not be read; listed, never fatal to other papers."""

    path: str
    reason: str


class Outcome(_Strict):
    """What became of one paper in a run."""

    id: str
    reason: str = ""
    title: str = ""
    draft: str = ""
    note: str = ""


class RunSummary(_Strict):
    """The report of one ingest run: printed by the CLI, rendered as the flow's artifacts."""

    topic: str
    requests: int = 0
    """Requests sent to the arXiv API (pages and their retries)."""
    start: dt.datetime | None = None
    """Where this run's query started."""
    first_run: bool = False
    """No watermark yet and no --since: the run looked back FIRST_RUN_LOOKBACK."""
    watermark: dt.datetime | None = None
    owed: list[Outcome] = Field(default_factory=list)
    """Papers the topic still owes after this run (retried by the next one)."""
    run_fault: str = ""
    """A fault of the whole run (the host, the store): the run stopped and charged no paper for it."""
    found: int = 0
    drafted: list[Outcome] = Field(default_factory=list)
    updated: list[Outcome] = Field(default_factory=list)
    flagged: list[Outcome] = Field(default_factory=list)
    skipped: list[Outcome] = Field(default_factory=list)
    failed: list[Outcome] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = Field(default_factory=dict)
    """Seconds spent per stage (model_load, fetch, extract, translate, code, draft)."""
