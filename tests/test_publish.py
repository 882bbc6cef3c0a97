"""The published pages: escaping, determinism, and a golden file for one topic page."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from alphatree_ingest.catalog import Catalog, write_pages
from alphatree_ingest.markdown import cell
from alphatree_ingest.models import CatalogEntry, EntryCode
from alphatree_ingest.site.publish import render_site
from tests.conftest import InProcessCli

GOLDEN = Path(__file__).parent / "golden"
PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def test_cells_escape_table_syntax() -> None:
    assert cell("a | b *c* <script>\nnext [x]") == "a \\| b \\*c\\* &lt;script&gt; next \\[x\\]"


def test_pages_are_deterministic_and_escape_hostile_titles(home: Path) -> None:
    catalog = Catalog(home / "catalog")
    entry = CatalogEntry(
        id="evil",
        name="Evil|Net",
        arxiv="2611.00099",
        title="A <b>bold</b> | *title*\nwith newline",
        title_zh="恶意|标题",
        year=2026,
        topic="gan/training",
        status="approved",
        code=[EntryCode(url="https://github.com/x/evil", framework="pytorch")],
    )
    catalog.save_entry(catalog.entry_path(entry), entry)
    first = {p: p.read_bytes() for p in write_pages(render_site(catalog.load(), home / "site", PROMPTS))}
    second = {p: p.read_bytes() for p in write_pages(render_site(catalog.load(), home / "site", PROMPTS))}
    assert first == second
    page = (home / "site" / "gan-training.md").read_text()
    row = next(line for line in page.splitlines() if "Evil" in line)
    assert row.count(" | ") == 5 and "&lt;b&gt;" in row and "\\*title\\*" in row
    gan_rows = [ln for ln in (home / "site" / "gan.md").read_text().splitlines() if ln.startswith("|")]
    assert sum("Evil" in ln for ln in gan_rows) == 1


def test_topic_page_matches_golden_file(home: Path) -> None:
    write_pages(render_site(Catalog(home / "catalog").load(), home / "site", PROMPTS))
    got = (home / "site" / "gan-training.md").read_text()
    golden = GOLDEN / "gan-training.md"
    if os.environ.get("ALPHATREE_REGENERATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(got)
    assert got == golden.read_text(), "run with ALPHATREE_REGENERATE_GOLDEN=1 to accept the change"
    shutil.rmtree(home / "site")


def _tokens(markdown: str) -> list[object]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    flat: list[object] = []
    for token in tokens:
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def _assert_safe_token(path: Path, token: object, pages: dict[Path, str]) -> None:
    """One Markdown token of a page: no raw HTML, links only to the web or the site's own pages, code
    fences only for the entry's BibTeX and Mermaid graphs."""
    kind, content = getattr(token, "type", ""), getattr(token, "content", "")
    assert kind not in ("html_block", "html_inline") or content == "<br>", (path.name, content)
    if kind == "link_open":
        href = dict(getattr(token, "attrs", {})).get("href", "")
        site_page = re.fullmatch(r"[a-z0-9-]+\.(md|bib)|feed(-[a-z0-9-]+)?\.xml|plan\.html", href)
        assert href.startswith(("https://", "http://", "entries/", "../", "figures/")) or site_page, (
            path.name,
            href,
        )
    if kind == "fence" and getattr(token, "info", "") == "bibtex":  # the entry's .bib, whole
        assert content == pages[path.with_suffix(".bib")], (path.name, content[:60])
    elif kind == "fence":
        assert getattr(token, "info", "") == "mermaid", (path.name, content[:60])


def test_hostile_metadata_is_escaped_for_every_place_it_lands(home: Path) -> None:
    """Bug: a journal_ref `<img src=x onerror=alert(1)> | broken` became raw HTML and split the table
    row; a title opening with three backticks swallowed the rest of its page; a name opening with a
    backtick broke the topic's Mermaid graph. Each page is read back by a real Markdown parser."""
    catalog = Catalog(home / "catalog")
    entry = CatalogEntry(
        id="hostile",
        name="`Hostile` # Net",
        arxiv="2611.00098",
        title="```python\nimport os",
        title_zh='"><script>alert(1)</script>',
        authors=["A | B", "<i>C</i>", "D"],
        venue="<img src=x onerror=alert(1)> | broken",
        year=2026,
        topic="gan/training",
        status="approved",
        parents=["gan"],
        code=[
            EntryCode(url="javascript:alert(1)", framework="pytorch"),
            EntryCode(url="https://github.com/x/y) [z](http://evil", framework="tensorflow"),
        ],
        metrics={"layers": 152.0, "top5_error": 3.57},
    )
    catalog.save_entry(catalog.entry_path(entry), entry)
    pages = {p: p.read_text() for p in write_pages(render_site(catalog.load(), home / "site", PROMPTS))}
    for path, text in pages.items():
        if path.suffix == ".md":
            for token in _tokens(text):
                _assert_safe_token(path, token, pages)
    for path, text in pages.items():
        if path.name == "plan.html":
            _assert_safe_plan(text)
        elif path.suffix == ".html":
            _assert_safe_html(path.name, text)
    topic = pages[home / "site" / "gan-training.md"]
    row = next(line for line in topic.splitlines() if "Hostile" in line)
    tokens = _tokens(topic)
    header_cells = sum(1 for t in tokens if getattr(t, "type", "") == "th_open")
    rows = [i for i, t in enumerate(tokens) if getattr(t, "type", "") == "tr_open"]
    for start in rows[1:]:
        end = next(i for i in range(start, len(tokens)) if getattr(tokens[i], "type", "") == "tr_close")
        assert sum(1 for t in tokens[start:end] if getattr(t, "type", "") == "td_open") == header_cells
    assert "javascript" not in row
    graph = topic.split("```mermaid\n", 1)[1].split("```", 1)[0]
    for line in graph.splitlines()[1:]:
        assert re.fullmatch(r'  \w+\["[^"`<>\[\]]*(<br/>[^"`<>\[\]]*)?"\]|  \w+ --> \w+', line), line
    page = pages[home / "site" / "entries" / "hostile.md"]
    heading = next(t for t in _tokens(page) if getattr(t, "type", "") == "inline")
    assert getattr(heading, "content", "").startswith("\\`Hostile\\` # Net")
    assert "- 层数：152\n" in page and "- Top-5 错误率：3.57\n" in page


def test_the_site_carries_its_diagrams_and_counts_what_it_has(home: Path) -> None:
    """Bug: images pointed outside site/ (`../catalog/figures/...`), and the front page claimed that
    every model has its paper, PyTorch code and diagram."""
    catalog = Catalog(home / "catalog")
    figure = home / "catalog" / "figures" / "2611.00097" / "fig-1.png"
    figure.parent.mkdir(parents=True)
    figure.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n diagram")
    entry = CatalogEntry(
        id="withdiagram",
        name="DiagramNet",
        arxiv="2611.00097",
        title="A Net With a Diagram",
        year=2026,
        topic="gan/training",
        status="approved",
        diagram="figures/2611.00097/fig-1.png",
    )
    catalog.save_entry(catalog.entry_path(entry), entry)
    site = home / "published"
    write_pages(render_site(catalog.load(), site, PROMPTS))
    assert (site / "figures" / "2611.00097" / "fig-1.png").read_bytes() == figure.read_bytes()
    assert "](figures/2611.00097/fig-1.png)" in (site / "gan-training.md").read_text()
    assert "](../figures/2611.00097/fig-1.png)" in (site / "entries" / "withdiagram.md").read_text()
    assert "../catalog" not in "".join(p.read_text() for p in site.rglob("*.md"))
    snapshot = catalog.load()
    total = len(snapshot.entries)
    with_code = sum(1 for e in snapshot.entries if any(c.framework == "pytorch" for c in e.code))
    index = (site / "index.md").read_text()
    assert f"共 {total} 个模型" in index and f"{with_code} 个附 PyTorch 代码" in index
    assert "1 个附图示" in index and "每个模型都配有" not in index


def test_text_from_outside_stays_one_literal_paragraph() -> None:
    from markdown_it import MarkdownIt

    from alphatree_ingest.markdown import inline

    md = MarkdownIt("commonmark")
    for text in (
        "1. list",
        "12) x",
        "# head",
        "- item",
        "~~~ fence",
        "```py",
        "---",
        "> quote",
        "3.57",
        "a*b*_c_",
    ):
        html = md.render(inline(text)).strip()
        literal = text.replace(">", "&gt;")
        assert html == f"<p>{literal}</p>", (text, html)


def test_the_runs_artifact_escapes_outside_text_as_the_pages_do() -> None:
    """One policy for every Markdown the project writes: a title's emphasis or a reason's HTML in the
    Prefect artifact stays literal text, as it does on the site (the artifact once escaped only [ ] <)."""
    from markdown_it import MarkdownIt

    from alphatree_ingest.models import Outcome, RunSummary
    from alphatree_ingest.run.report import markdown

    summary = RunSummary(
        topic="gan",
        drafted=[
            Outcome(id="2611.00001", title="*Bold* GAN_s with `code`", draft="catalog/drafts/a_b`c.yaml")
        ],
        failed=[Outcome(id="2611.00002", reason="> quoted <b>html</b> [link](http://x)")],
    )
    html = MarkdownIt("commonmark").render(markdown(summary))
    assert "*Bold* GAN_s with `code`" in html and "<em>" not in html and "<code>code" not in html
    assert "&lt;b&gt;html&lt;/b&gt;" in html and 'href="http://x"' not in html
    # a code span shows its text as typed: nothing escaped inside, and a backtick does not end it
    assert "<code>catalog/drafts/a_b`c.yaml</code>" in html


def test_feeds_parse_with_chinese_text_links_dates_and_ids_that_never_change(home: Path) -> None:
    """A reader subscribes to the site's feed or a topic's; a real feed parser reads them."""
    import feedparser

    catalog = Catalog(home / "catalog")
    for n, (day, topic) in enumerate([("2026-11-20", "gan/training"), ("2026-11-25", "classification")]):
        entry = CatalogEntry(
            id=f"fresh{n}",
            name=f"Fresh{n}Net",
            arxiv=f"2611.0009{n}",
            title=f"A Fresh Model {n} <&>",
            title_zh=f"新模型{n}：更稳定的训练",
            summary_zh="一句中文简介，含 <b>标签</b> & 符号。",
            year=2026,
            topic=topic,
            status="approved",
            code=[EntryCode(url=f"https://github.com/x/fresh{n}", framework="pytorch")],
            provenance={"reviewed_at": f"{day}T08:00:00+00:00", "reviewed_by": "lin"},
        )
        catalog.save_entry(catalog.entry_path(entry), entry)
    site = home / "site"
    write_pages(render_site(catalog.load(), site, PROMPTS, site_url="https://alphatree.example/site"))
    everything = feedparser.parse((site / "feed.xml").read_bytes())
    assert not everything.bozo, everything.bozo_exception
    first, second = everything.entries[0], everything.entries[1]
    assert (first.id, second.id) == ("urn:alphatree:fresh1", "urn:alphatree:fresh0")  # newest approval first
    assert first.title == "Fresh1Net：新模型1：更稳定的训练"
    assert first.summary == "一句中文简介，含 <b>标签</b> & 符号。"
    assert first.link == "https://alphatree.example/site/entries/fresh1.md"
    assert any(link.href == "https://arxiv.org/abs/2611.00091" for link in first.links)
    assert first.updated_parsed[:3] == (2026, 11, 25)
    assert "https://github.com/x/fresh1" in first.content[0].value
    assert len(everything.entries) == len(catalog.load().entries)  # the seed entries too, by date

    gan = feedparser.parse((site / "feed-gan.xml").read_bytes())
    assert not gan.bozo and "urn:alphatree:fresh0" in [e.id for e in gan.entries]
    assert "urn:alphatree:fresh1" not in [e.id for e in gan.entries]
    again = {p.name: p.read_bytes() for p in site.glob("feed*.xml")}
    write_pages(render_site(catalog.load(), site, PROMPTS, site_url="https://alphatree.example/site"))
    assert again == {p.name: p.read_bytes() for p in site.glob("feed*.xml")}  # stable: never seen twice


def _assert_safe_html(name: str, text: str) -> None:
    """No script but Mermaid's, no event handlers, no javascript: links, images only from the site."""
    from html.parser import HTMLParser

    class Check(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            assert not any(k.startswith("on") for k in found), (name, tag, attrs)
            assert "javascript:" not in str(found.get("href", "")).lower(), (name, attrs)
            if tag == "script":
                assert found.get("type") == "module", (name, attrs)
            if tag == "img":
                assert str(found.get("src", "")).startswith(("figures/", "../figures/")), (name, attrs)

    Check().feed(text)
    assert text.count("<script") == text.count('<script type="module">import mermaid'), name


def _assert_safe_plan(text: str) -> None:
    """plan.html: its two scripts are its own (the data as JSON, the planner); the rest as any page."""
    from alphatree_ingest.site.plan_page import PLAN_JS

    data = re.search(r'<script type="application/json" id="plan-data">(.*?)</script>', text, re.S)
    assert data is not None and "<" not in data.group(1)
    rest = text.replace(data.group(0), "").replace(f"<script>{PLAN_JS}</script>", "")
    assert "<script" not in rest
    _assert_safe_html("plan.html", rest)


def _registry(tmp_path: Path, script: bytes) -> tuple[Any, str]:
    """A loopback npm registry serving one mermaid tarball that holds `script`."""
    import http.server
    import io
    import tarfile
    import threading

    from alphatree_ingest.site import assets as site_assets

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(site_assets.MEMBER)
        info.size = len(script)
        archive.addfile(info, io.BytesIO(script))
    tarball = buffer.getvalue()
    asked: list[str] = []

    class Registry(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(tarball)))
            self.end_headers()
            self.wfile.write(tarball)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    digest = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    return (server, asked), f"sha512-{digest}"


def test_the_site_draws_its_graphs_with_its_own_verified_copy_of_mermaid(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alphatree_ingest.config import Settings
    from alphatree_ingest.site import assets as site_assets

    script = b"window.mermaid = {initialize() {}};"
    (server, asked), integrity = _registry(tmp_path, script)
    registry = f"http://127.0.0.1:{server.server_address[1]}"
    settings = Settings.from_env({"ALPHATREE_HOME": str(home), "ALPHATREE_NPM_REGISTRY": registry})
    try:
        # a tarball that is not the pinned release is refused: nothing kept, the CDN named instead
        refused = site_assets.mermaid(settings)
        assert refused.script is None and "does not match Mermaid" in refused.note
        assert not site_assets.cached_script(settings).exists()

        monkeypatch.setattr(site_assets, "INTEGRITY", integrity)  # our tarball stands for the release
        got = site_assets.mermaid(settings)
        assert got.script == site_assets.cached_script(settings) and got.script.read_bytes() == script
        assert site_assets.mermaid(settings).script == got.script and len(asked) == 2  # fetched once
    finally:
        server.shutdown()

    site = tmp_path / "site"
    pages = write_pages(render_site(Catalog(home / "catalog").load(), site, PROMPTS, mermaid=got.script))
    assert (site / "assets" / "mermaid.min.js").read_bytes() == script and pages
    topic = (site / "gan.html").read_text()
    assert '<script src="assets/mermaid.min.js"></script>' in topic and "cdn." not in topic
    assert not any("<script" in p.read_text() for p in (site / "entries").glob("*.html"))  # no graph there


def test_publish_without_mermaid_says_the_graphs_draw_only_online(home: Path, cli: InProcessCli) -> None:
    from tests.conftest import cli_env

    env = cli_env(home, None, None)  # the npm registry is a closed port here
    published = cli(["publish"], env)
    assert published.returncode == 0, published.stderr
    assert "their lineage graphs draw only online" in published.stderr
    assert "cdn.jsdelivr.net/npm/mermaid" in (home / "site" / "gan.html").read_text()

    missing = cli(["publish"], {**env, "ALPHATREE_MERMAID_JS": str(home / "nowhere.js")})
    assert missing.returncode == 2 and "ALPHATREE_MERMAID_JS" in missing.stderr
