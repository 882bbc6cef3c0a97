"""Pure: Atom feeds of newly approved entries (文章分发), site-wide and per topic.

Each entry keeps one id for ever (`urn:alphatree:<entry id>`), so a reader never sees it twice; it is
dated by its approval (`provenance.reviewed_at`), falls back to its publication date, and carries the
Chinese title and summary, the diagram and the links. Everything is escaped by the XML writer.
"""

from __future__ import annotations

import datetime as dt
import html
from xml.etree import ElementTree as ET

from ..models import CatalogEntry
from .titles import headline, short_name, subtitle_zh

ATOM = "http://www.w3.org/2005/Atom"
LIMIT = 50
"""Entries per feed: the newest approvals."""


def approved_at(entry: CatalogEntry) -> dt.datetime:
    raw = entry.provenance.get("reviewed_at")
    try:
        when = dt.datetime.fromisoformat(str(raw)) if raw else None
    except ValueError:
        when = None
    if when is None:
        day = entry.published or dt.date(entry.year, 1, 1)
        when = dt.datetime.combine(day, dt.time())
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def atom(
    entries: list[CatalogEntry],
    *,
    title: str,
    feed_id: str,
    site_url: str,
    self_path: str,
    page_of: dict[str, str],
) -> str:
    """The feed as XML text. `site_url` ends with `/` (or is empty: links stay relative to the feed's
    folder, through xml:base); `page_of` maps entry ids to their page, relative to the site root."""
    ET.register_namespace("", ATOM)
    chosen = sorted(entries, key=lambda e: (approved_at(e), e.id), reverse=True)[:LIMIT]
    root = ET.Element(f"{{{ATOM}}}feed")
    if site_url:
        root.set("{http://www.w3.org/XML/1998/namespace}base", site_url)
    _text(root, "id", feed_id)
    _text(root, "title", title)
    newest = approved_at(chosen[0]) if chosen else dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    _text(root, "updated", newest.isoformat())
    _link(root, f"{site_url}{self_path}", "self", "application/atom+xml")
    _link(root, f"{site_url}index.md", "alternate")
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", "AlphaTree")
    for entry in chosen:
        item = ET.SubElement(root, f"{{{ATOM}}}entry")
        _text(item, "id", f"urn:alphatree:{entry.id}")
        _text(item, "title", headline(entry.name, entry.title_zh))
        _text(item, "updated", approved_at(entry).isoformat())
        if entry.published:
            _text(item, "published", dt.datetime.combine(entry.published, dt.time(), dt.UTC).isoformat())
        _link(item, f"{site_url}{page_of[entry.id]}", "alternate")
        if entry.arxiv:
            _link(item, f"https://arxiv.org/abs/{entry.arxiv}", "related", "text/html")
        for name in entry.authors[:10]:
            _text(ET.SubElement(item, f"{{{ATOM}}}author"), "name", name)
        category = ET.SubElement(item, f"{{{ATOM}}}category")
        category.set("term", entry.topic)
        _text(item, "summary", entry.summary_zh or entry.abstract_zh or entry.title)
        content = ET.SubElement(item, f"{{{ATOM}}}content")
        content.set("type", "html")
        content.text = _content(entry, site_url)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _content(entry: CatalogEntry, site_url: str) -> str:
    """The entry as HTML for feed readers (escaped once here, once more by the XML writer)."""
    sub = subtitle_zh(entry.name, entry.title_zh)
    parts = [f"<p><b>{html.escape(short_name(entry.name))}</b>{'：' + html.escape(sub) if sub else ''}</p>"]
    parts.append(f"<p>{html.escape(entry.title)}</p>")
    if entry.diagram and entry.diagram != "none":
        parts.append(f'<p><img src="{html.escape(site_url + entry.diagram)}" alt="图示"/></p>')
    if entry.summary_zh or entry.abstract_zh:
        parts.append(f"<p>{html.escape(entry.summary_zh or entry.abstract_zh)}</p>")
    links = []
    if entry.arxiv:
        links.append(f'<a href="https://arxiv.org/abs/{html.escape(entry.arxiv)}">论文</a>')
    for code in entry.code:
        if code.url.startswith(("https://", "http://")):
            links.append(
                f'<a href="{html.escape(code.url)}">代码（{html.escape(code.framework or "?")}）</a>'
            )
    if links:
        parts.append("<p>" + " · ".join(links) + "</p>")
    return "".join(parts)


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = text


def _link(parent: ET.Element, href: str, rel: str, kind: str = "") -> None:
    """A link; pages are Markdown that hosts render as HTML, so their type is left to the host."""
    link = ET.SubElement(parent, f"{{{ATOM}}}link")
    link.set("href", href)
    link.set("rel", rel)
    if kind:
        link.set("type", kind)
