"""Pure: the published tree (a Chinese front page, a page per topic and per entry) from `prompts/`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from ..catalog import CatalogSnapshot
from ..markdown import cell, inline, url, url_path
from ..models import CatalogEntry, Topic
from .bibtex import bibtex, fenced
from .feed import atom
from .html import to_html
from .learning import next_reads, path_to
from .plan_page import render_plan
from .titles import headline, short_name, subtitle_zh

LEVELS = {"beginner": "入门", "advanced": "进阶"}
METRICS = {
    "top1_error": "Top-1 错误率",
    "top5_error": "Top-5 错误率",
    "top1": "Top-1 准确率",
    "top5": "Top-5 准确率",
    "layers": "层数",
    "conv_layers": "卷积层数",
    "params": "参数量",
    "flops": "计算量（FLOPs）",
    "FID": "FID",
    "IS": "Inception Score",
    "mAP": "mAP",
    "fps": "速度（帧/秒）",
}


def metric(name: str, value: object) -> str:
    """A metric as a reader expects it: its Chinese name, integers without `.0`."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{inline(METRICS.get(name, name))}：{inline(value)}"


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
        if code.framework == "pytorch" and url(code.url):
            parts.append(f"[PyTorch 代码]({url(code.url)})")
            break
    return " · ".join(parts)


def has_pytorch(entry: CatalogEntry) -> bool:
    return any(c.framework == "pytorch" and url(c.url) for c in entry.code)


def has_diagram(entry: CatalogEntry) -> bool:
    return bool(entry.diagram and entry.diagram != "none")


def diagram(entry: CatalogEntry, prefix: str) -> str:
    """The entry's diagram, from the site's own copy (`figures/...` under the site folder)."""
    if has_diagram(entry):
        return f"![图示]({prefix}{url_path(str(entry.diagram))})"
    return ""


_MERMAID = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;", "#": "#35;", "&": "#amp;"}


def mermaid_label(text: str) -> str:
    """Text inside a quoted Mermaid label: entity codes for what would end or reinterpret it (a leading
    backtick makes a Markdown string of it, a quote ends it)."""
    return "".join(_MERMAID.get(c, c) for c in " ".join(text.split()))


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
        node = nodes[node_id]
        label = mermaid_label(short_name(node.name))
        if subtitle_zh(node.name, node.title_zh):
            label += "<br/>" + mermaid_label(subtitle_zh(node.name, node.title_zh))
        lines.append(f'  {node_id.replace("-", "_")}["{label}"]')
    for parent, child in sorted(edges):
        lines.append(f"  {parent.replace('-', '_')} --> {child.replace('-', '_')}")
    return "\n".join(lines)


def feed_file(topic_id: str | None) -> str:
    return "feed.xml" if topic_id is None else "feed-" + topic_file(topic_id)[:-3] + ".xml"


class PublishError(ValueError):
    """The tree cannot be published as it is; the message names the files to fix."""


def duplicate_ids(snapshot: CatalogSnapshot) -> list[str]:
    """One line for each entry id that more than one tree file uses, naming the files."""
    files: dict[str, list[str]] = {}
    for stored in snapshot.tree:
        files.setdefault(stored.entry.id, []).append(str(stored.path))
    return [
        f"id {i!r} is used by {' and '.join(paths)}" for i, paths in sorted(files.items()) if len(paths) > 1
    ]


def figure_source(root: Path, file: str) -> Path | None:
    """The catalog file an entry's `file` names, when it really lies under `<root>/figures` (links
    followed) and is a file; None otherwise, so that nothing outside the catalog is ever read."""
    figures = (root / "figures").resolve()
    try:
        source = (root / file).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return source if source.is_relative_to(figures) and source.is_file() else None


def _copies(
    root: Path, entries: list[CatalogEntry], out: Path, warn: Callable[[str], None] | None
) -> dict[Path, str | Path]:
    """What the site carries of its own, so that it works wherever `out` is served from: each entry's
    figures (a Path: the file to copy) and its reading pages (their text)."""
    pages: dict[Path, str | Path] = {}
    for entry in entries:
        for file in sorted({str(entry.diagram or "")} | {f.file for f in entry.figures}):
            if file and file != "none":
                source = figure_source(root, file)
                if source is not None:
                    pages[out / file] = source
                elif warn is not None:
                    warn(f"{entry.id}: {file} is not a file under {root / 'figures'}; not copied")
        for name in (f"{entry.id}.md", f"{entry.id}.zh.md"):
            reading = root / "reading" / name
            if reading.is_file():
                pages[out / "read" / name] = reading.read_text(encoding="utf-8")
    return pages


def render_site(
    snapshot: CatalogSnapshot,
    out: Path,
    prompts_dir: Path,
    site_url: str = "",
    mermaid: Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> dict[Path, str | Path]:
    """`index.md`, one page per topic and one per entry, as they would be written under `out`, and the
    diagrams they show (a Path: the file to copy there), with their HTML twins, which draw lineage
    graphs with `mermaid` (Mermaid's script, copied into `assets/`; None: from a CDN). Pure: the store
    writes them (`write_pages`). Raises PublishError when two entries share an id (one would hide the
    other's page); `warn` hears of figure files that are not copied."""
    import jinja2

    clashes = duplicate_ids(snapshot)
    if clashes:
        raise PublishError("; ".join(clashes) + "; give each entry its own id")

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(prompts_dir)),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(cell=cell, coauthors=coauthors, links=links, md=inline, url=url)
    env.filters.update(headline=headline, short=short_name, subtitle=subtitle_zh)
    topics = snapshot.topics
    order = {topic_id: n for n, topic_id in enumerate(topics)}  # topics.yaml order: the tree's order
    entries = sorted(
        snapshot.entries,
        key=lambda e: (order.get(e.topic, len(order)), e.topic, e.published or dt.date(e.year, 12, 31), e.id),
    )
    by_topic: dict[str, list[CatalogEntry]] = {t: [] for t in topics}
    for entry in entries:
        by_topic.setdefault(entry.topic, []).append(entry)
    pages = _copies(snapshot.root, entries, out, warn)

    def subtree(topic: Topic) -> list[Topic]:
        return [t for t in topics.values() if t.id == topic.id or t.id.startswith(topic.id + "/")]

    by_id = {e.id: e for e in entries}
    children: dict[str, list[CatalogEntry]] = {}
    for entry in entries:
        for parent in entry.parents:
            children.setdefault(parent, []).append(entry)
    for entry in entries:
        text = env.get_template("entry.md.j2").render(
            e=entry,
            topic=topics.get(entry.topic),
            levels=LEVELS,
            file_of=topic_file,
            parents=[by_id[p] for p in entry.parents if p in by_id],
            children=sorted(children.get(entry.id, []), key=lambda c: (c.year, c.id)),
            diagram=diagram(entry, "../"),
            reading=(snapshot.root / "reading" / f"{entry.id}.md").is_file(),
            metric=metric,
            path=path_to(entry.id, entries),
            next=next_reads(entry, entries),
            bib=fenced(bibtex(entry), "bibtex"),
        )
        pages[out / "entries" / f"{entry.id}.md"] = text
        pages[out / "entries" / f"{entry.id}.bib"] = bibtex(entry)
    pages[out / "plan.html"] = render_plan(entries, topics)
    for topic in topics.values():
        rows = [e for t in subtree(topic) for e in by_topic.get(t.id, [])]
        sections = [(t, by_topic.get(t.id, [])) for t in subtree(topic) if by_topic.get(t.id)]
        text = env.get_template("topic.md.j2").render(
            graph=lineage(rows, by_id),
            topic=topic,
            entries=rows,
            sections=sections,
            levels=LEVELS,
            diagram=lambda e: diagram(e, ""),
            file_of=topic_file,
            feed=feed_file(topic.id),
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
        with_paper=sum(1 for e in entries if e.arxiv),
        with_code=sum(1 for e in entries if has_pytorch(e)),
        with_diagram=sum(1 for e in entries if has_diagram(e)),
        children=lambda t: [c for c in topics.values() if c.parent == t.id],
    )
    pages[out / "index.md"] = index
    page_of = {e.id: f"entries/{e.id}.md" for e in entries}
    base = site_url.rstrip("/") + "/" if site_url else ""
    feeds: list[tuple[str | None, str, list[CatalogEntry]]] = [(None, "AlphaTree：新加入的模型", entries)]
    feeds += [
        (t.id, f"AlphaTree · {t.name_zh}", [e for s in subtree(t) for e in by_topic.get(s.id, [])])
        for t in topics.values()
    ]
    for topic_id, title, chosen in feeds:
        name = feed_file(topic_id)
        pages[out / name] = atom(
            chosen,
            title=title,
            feed_id=f"urn:alphatree:feed:{topic_id or 'all'}",
            site_url=base,
            self_path=name,
            page_of=page_of,
        )
    asset = None
    if mermaid is not None:
        asset = out / "assets" / "mermaid.min.js"
        pages[asset] = mermaid
    pages.update(to_html(pages, asset))  # the same pages as HTML, for any static host and for disk
    return pages
