"""The published HTML site as a reader sees it: opened from disk in a real headless browser."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from alphatree_ingest.catalog import Catalog, write_pages
from alphatree_ingest.models import CatalogEntry, EntryCode, EntryFigure
from alphatree_ingest.publish import render

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"),
]


@pytest.fixture(scope="session")
def mermaid_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Mermaid's script as publish gets it: fetched once from the npm registry, its hash checked."""
    from alphatree_ingest.config import Settings
    from alphatree_ingest.site_assets import mermaid

    home = tmp_path_factory.mktemp("mermaid-home")
    got = mermaid(Settings.from_env({"ALPHATREE_HOME": str(home)}))
    if got.script is None:
        pytest.skip(f"Mermaid's script is missing, so no graph can be drawn: {got.note}")
    return got.script


def test_a_topic_page_from_disk_shows_its_table_diagram_chinese_and_links(
    home: Path, tmp_path: Path, mermaid_script: Path
) -> None:
    import pymupdf
    from playwright.sync_api import sync_playwright

    catalog = Catalog(home / "catalog")
    figure = home / "catalog" / "figures" / "2611.00096" / "fig-1.png"
    figure.parent.mkdir(parents=True)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 120, 60), False)
    pix.set_rect(pix.irect, (40, 90, 200))
    pix.save(str(figure))
    entry = CatalogEntry(
        id="browsernet",
        name="BrowserNet",
        arxiv="2611.00096",
        title="A Net Seen in a Browser",
        title_zh="在浏览器中看到的网络",
        year=2026,
        topic="gan/training",
        level="beginner",
        status="approved",
        parents=["gan"],
        diagram="figures/2611.00096/fig-1.png",
        figures=[
            EntryFigure(
                file="figures/2611.00096/fig-1.png",
                caption="Figure 1: The net, seen in a browser.",
                caption_zh="图1：在浏览器中看到的网络。",
            )
        ],
        code=[EntryCode(url="https://github.com/x/browsernet", framework="pytorch")],
    )
    catalog.save_entry(catalog.entry_path(entry), entry)
    _reading_page(catalog, entry)
    site = tmp_path / "published"  # anywhere: the site carries its own figures
    write_pages(render(catalog.load(), site, PROMPTS, mermaid=mermaid_script))
    shutil.rmtree(home / "catalog" / "figures")  # nothing may point back into the catalog
    shots = Path(os.environ.get("ALPHATREE_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto((site / "gan-training.html").as_uri())
        assert page.title() == "Level 1：loss、参数、权重的改进"
        row = page.locator("tr", has_text="BrowserNet")
        assert row.count() == 1 and "在浏览器中看到的网络" in row.inner_text()
        image = row.locator("img")
        assert image.evaluate("img => img.complete && img.naturalWidth") == 120
        font = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "Noto Sans CJK SC" in font
        # the lineage graph is drawn in the page, offline, by the site's own copy of Mermaid
        graph = page.locator("pre.mermaid svg")
        graph.wait_for(timeout=20_000)
        drawn = graph.text_content() or ""
        assert "BrowserNet" in drawn and "在浏览器中看到的网络" in drawn and "GAN" in drawn
        page.screenshot(path=str(shots / "site-topic.png"), full_page=False)
        row.locator("a", has_text="BrowserNet").click()
        page.wait_for_load_state()
        assert page.url.endswith("/entries/browsernet.html")
        assert page.locator("h1").inner_text().startswith("BrowserNet：在浏览器中看到的网络")
        assert page.locator("img[alt='图示']").evaluate("img => img.naturalWidth") == 120
        # its reading page: the paper sentence by sentence, the figure where the paper puts it
        page.locator("a", has_text="全文中文阅读").click()
        page.wait_for_load_state()
        assert page.url.endswith("/read/browsernet.html")
        pair = page.locator("tr", has_text="We watch the net in a browser.")
        assert pair.count() == 1 and "我们在浏览器中观察网络。" in pair.inner_text()
        assert page.locator("img[alt='图 1']").evaluate("img => img.complete && img.naturalWidth") == 120
        page.locator("a", has_text="只看中文").click()
        page.wait_for_load_state()
        assert "我们在浏览器中观察网络。" in page.inner_text("body")
        assert "We watch the net" not in page.inner_text("body")
        browser.close()


def _reading_page(catalog: Catalog, entry: CatalogEntry) -> None:
    """The entry's reading page as `alphatree read` renders it (the translation itself is tested in
    test_reading.py)."""
    from alphatree_ingest.reading import Part, render

    found = [
        Part("heading", "1 Introduction", sentences=["1 Introduction"], chinese=["1 引言"]),
        Part(
            "paragraph",
            "We watch the net in a browser.",
            sentences=["We watch the net in a browser."],
            chinese=["我们在浏览器中观察网络。"],
        ),
        Part("figure", number="1"),
    ]
    both, chinese = render(entry, found, "opus-mt-en-zh")
    catalog.save_reading(entry.id, both, chinese)


def test_hostile_metadata_is_drawn_as_text_and_never_runs(
    home: Path, tmp_path: Path, mermaid_script: Path
) -> None:
    """A name that opens with a backtick and carries HTML, a venue with a script, a title with a code
    fence: the real Mermaid still draws the whole lineage graph, with the text as text, and no script
    of the metadata runs."""
    from playwright.sync_api import sync_playwright

    catalog = Catalog(home / "catalog")
    hostile = CatalogEntry(
        id="evilnet",
        name="`Evil|Net <img src=x onerror=alert(1)>",
        arxiv="2611.00097",
        title="```A title that opens a fence",
        title_zh="恶意<script>alert(2)</script>标题",
        year=2026,
        venue="<img src=x onerror=alert(3)> | broken",
        topic="gan/training",
        level="advanced",
        status="approved",
        parents=["gan"],
    )
    catalog.save_entry(catalog.entry_path(hostile), hostile)
    site = tmp_path / "published"
    write_pages(render(catalog.load(), site, PROMPTS, mermaid=mermaid_script))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto((site / "gan-training.html").as_uri())
        graph = page.locator("pre.mermaid svg")
        graph.wait_for(timeout=20_000)
        drawn = graph.text_content() or ""
        assert "Evil" in drawn and "GAN" in drawn and "WGAN" in drawn  # the whole graph, hostile node too
        assert page.locator("img[src='x']").count() == 0  # the HTML in the metadata is text, not markup
        page.goto((site / "entries" / "evilnet.html").as_uri())
        assert "<img src=x onerror=alert(1)>" in page.locator("h1").inner_text()
        assert page.locator("h2").count() >= 1  # the title's fence swallowed nothing
        assert dialogs == []
        browser.close()
