"""The published tree: a Chinese front page and one page per topic, rendered from `prompts/`."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from .catalog import Catalog, atomic_write
from .models import CatalogEntry, Topic

LEVELS = {"beginner": "入门", "advanced": "进阶"}


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell: no newlines, pipes, emphasis or HTML."""
    value = " ".join(str(text or "").split())
    value = value.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")
    return value.replace("<", "&lt;").replace(">", "&gt;").replace("[", "\\[").replace("]", "\\]")


def topic_file(topic_id: str) -> str:
    return re.sub(r"[^a-z0-9\-]", "-", topic_id) + ".md"


def coauthors(entry: CatalogEntry) -> str:
    names = [a for a in entry.authors if a != "et al."]
    if not names:
        return ""
    if len(entry.authors) > 2 or "et al." in entry.authors:
        return f"{names[0]} 等"
    return ", ".join(names)


def links(entry: CatalogEntry) -> str:
    parts = []
    if entry.arxiv:
        parts.append(f"[论文](https://arxiv.org/abs/{entry.arxiv})")
    for code in entry.code:
        if code.framework == "pytorch":
            parts.append(f"[PyTorch 代码]({code.url})")
            break
    return " · ".join(parts)


def diagram(entry: CatalogEntry, prefix: str) -> str:
    if entry.diagram and entry.diagram != "none":
        return f"![图示]({prefix}{entry.diagram})"
    return ""


def render(catalog: Catalog, out: Path, prompts_dir: Path) -> list[Path]:
    """Write `index.md` and one page per topic under `out`; returns the files written, sorted."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(prompts_dir)),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(cell=cell, coauthors=coauthors, links=links)
    topics = catalog.topics()
    entries = sorted((e for _, e in catalog.entries()), key=lambda e: (e.topic, e.year, e.name.lower()))
    by_topic: dict[str, list[CatalogEntry]] = {t: [] for t in topics}
    for entry in entries:
        by_topic.setdefault(entry.topic, []).append(entry)
    prefix = Path(os.path.relpath(catalog.root, out)).as_posix() + "/"

    def subtree(topic: Topic) -> list[Topic]:
        return [t for t in topics.values() if t.id == topic.id or t.id.startswith(topic.id + "/")]

    written = []
    for topic in topics.values():
        rows = [e for t in subtree(topic) for e in by_topic.get(t.id, [])]
        text = env.get_template("topic.md.j2").render(
            topic=topic,
            entries=rows,
            levels=LEVELS,
            diagram=lambda e: diagram(e, prefix),
            file_of=topic_file,
            children=[t for t in topics.values() if t.parent == topic.id],
        )
        path = out / topic_file(topic.id)
        atomic_write(path, text)
        written.append(path)
    newest = sorted(entries, key=lambda e: (e.published or dt.date(e.year, 1, 1), e.id), reverse=True)
    roots = [t for t in topics.values() if t.parent is None]
    index = env.get_template("index.md.j2").render(
        roots=roots,
        topics=topics,
        count=lambda t: sum(len(by_topic.get(s.id, [])) for s in subtree(t)),
        file_of=topic_file,
        newest=[e for e in newest if e.arxiv][:10],
        total=len(entries),
        children=lambda t: [c for c in topics.values() if c.parent == t.id],
    )
    atomic_write(out / "index.md", index)
    written.append(out / "index.md")
    return sorted(written)
