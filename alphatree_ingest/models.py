"""Typed data passed between the stages, and the catalog entry contract (unknown keys are an error)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7})$")
"""A bare arXiv identifier: new style `2401.01234`, or old style `hep-th/9901001`."""
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TOPIC_ID = re.compile(r"^[a-z0-9][a-z0-9\-]*(/[a-z0-9][a-z0-9\-]*)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_arxiv_id(value: str | None) -> str | None:
    if value is not None and not ARXIV_ID.match(value):
        raise ValueError(f"{value!r} is not an arXiv identifier such as 1704.00028")
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


class Section(_Strict):
    title: str
    page: int


class Figure(_Strict):
    number: str
    page: int
    bbox: tuple[float, float, float, float]
    caption: str
    file: str | None = None
    is_diagram: bool = False


class CodeLink(_Strict):
    url: str
    framework: str | None = None
    evidence: str = ""


class Reference(_Strict):
    text: str
    arxiv: str | None = None
    title: str | None = None
    """The cited work's title, when the entry's layout shows it."""


class Extraction(_Strict):
    """What the PDF holds, in the JSON shape of `alphatree extract`."""

    title: str = ""
    abstract: str = ""
    pages: int = 0
    sections: list[Section] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    code_links: list[CodeLink] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)


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
    diagram: bool = False


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

    _id = field_validator("id")(_check_topic_id)


class TopicsFile(_Strict):
    topics: list[Topic]
