"""Pure: the published tree (a Chinese front page, a page per topic and per entry) from `prompts/`."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from .catalog import CatalogSnapshot
from .learning import path_to
from .models import CatalogEntry, Topic

LEVELS = {"beginner": "入门", "advanced": "进阶"}


def md_text(text: object) -> str:
    """Running text safe in Markdown: no HTML, no accidental emphasis or links."""
    value = " ".join(str(text or "").split())
    value = value.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")
    return value.replace("<", "&lt;").replace(">", "&gt;").replace("[", "\\[").replace("]", "\\]")


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


def mermaid_label(text: str) -> str:
    return " ".join(text.split()).replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def lineage(entries: list[CatalogEntry], by_id: dict[str, CatalogEntry]) -> str:
    """A Mermaid graph of the entries and their parents (parents from other topics included)."""
    if not entries:
        return ""
    nodes: dict[str, CatalogEntry] = {}
    edges = []
    for entry in entries:
        nodes[entry.id] = entry
        for parent in entry.parents:
            if parent in by_id:
                nodes[parent] = by_id[parent]
                edges.append((parent, entry.id))
    lines = ["graph LR"]
    for node_id in sorted(nodes):
        lines.append(f'  {node_id.replace("-", "_")}["{mermaid_label(nodes[node_id].name)}"]')
    for parent, child in sorted(edges):
        lines.append(f"  {parent.replace('-', '_')} --> {child.replace('-', '_')}")
    return "\n".join(lines)


def render(snapshot: CatalogSnapshot, out: Path, prompts_dir: Path) -> dict[Path, str]:
    """`index.md`, one page per topic and one per entry, as they would be written under `out`. Pure:
    the store writes them (`write_pages`)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(prompts_dir)),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(cell=cell, coauthors=coauthors, links=links, md=md_text)
    topics = snapshot.topics
    entries = sorted(snapshot.entries, key=lambda e: (e.topic, e.year, e.name.lower()))
    by_topic: dict[str, list[CatalogEntry]] = {t: [] for t in topics}
    for entry in entries:
        by_topic.setdefault(entry.topic, []).append(entry)
    prefix = Path(os.path.relpath(snapshot.root, out)).as_posix() + "/"

    def subtree(topic: Topic) -> list[Topic]:
        return [t for t in topics.values() if t.id == topic.id or t.id.startswith(topic.id + "/")]

    by_id = {e.id: e for e in entries}
    children: dict[str, list[CatalogEntry]] = {}
    for entry in entries:
        for parent in entry.parents:
            children.setdefault(parent, []).append(entry)
    pages: dict[Path, str] = {}
    entry_prefix = Path(os.path.relpath(snapshot.root, out / "entries")).as_posix() + "/"
    for entry in entries:
        text = env.get_template("entry.md.j2").render(
            e=entry,
            topic=topics.get(entry.topic),
            levels=LEVELS,
            file_of=topic_file,
            parents=[by_id[p] for p in entry.parents if p in by_id],
            children=sorted(children.get(entry.id, []), key=lambda c: (c.year, c.id)),
            diagram=diagram(entry, entry_prefix),
            path=path_to(entry.id, entries),
        )
        pages[out / "entries" / f"{entry.id}.md"] = text
    for topic in topics.values():
        rows = [e for t in subtree(topic) for e in by_topic.get(t.id, [])]
        text = env.get_template("topic.md.j2").render(
            graph=lineage(rows, by_id),
            topic=topic,
            entries=rows,
            levels=LEVELS,
            diagram=lambda e: diagram(e, prefix),
            file_of=topic_file,
            children=[t for t in topics.values() if t.parent == topic.id],
        )
        pages[out / topic_file(topic.id)] = text
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
    pages[out / "index.md"] = index
    return pages
