"""The published HTML site as a reader sees it: opened from disk in a real headless browser."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from alphatree_ingest.catalog import Catalog, write_pages
from alphatree_ingest.models import CatalogEntry, EntryCode, EntryFigure
from alphatree_ingest.site.publish import render_site
from tests.support import needs_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
pytestmark = [
    pytest.mark.slow,
    needs_chromium,
]


@pytest.fixture(scope="session")
def mermaid_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Mermaid's script as publish gets it: fetched once from the npm registry, its hash checked."""
    from alphatree_ingest.config import Settings
    from alphatree_ingest.site.assets import mermaid

    home = tmp_path_factory.mktemp("mermaid-home")
    got = mermaid(Settings.from_env({"ALPHATREE_HOME": str(home)}))
    if got.script is None:
        pytest.skip(f"Mermaid's script is missing, so no graph can be drawn: {got.note}")
    return got.script


def test_a_topic_page_from_disk_shows_its_table_diagram_chinese_and_links(
    home: Path, tmp_path: Path, mermaid_script: Path, browser: Browser
) -> None:
    import pymupdf

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
    write_pages(render_site(catalog.load(), site, PROMPTS, mermaid=mermaid_script))
    shutil.rmtree(home / "catalog" / "figures")  # nothing may point back into the catalog
    shots = Path(os.environ.get("ALPHATREE_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    with browser.new_page(viewport={"width": 1280, "height": 900}) as page:
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
        pair = page.locator(".pair", has_text="We watch the net in a browser.")
        assert pair.count() == 1 and "我们在浏览器中观察网络。" in pair.inner_text()
        assert page.locator("img[alt='图 1']").evaluate("img => img.complete && img.naturalWidth") == 120
        page.locator(".view-switch button", has_text="中文").click()  # in place, from disk
        assert "我们在浏览器中观察网络。" in page.inner_text("body")
        assert "We watch the net" not in page.inner_text("body")


def _reading_page(catalog: Catalog, entry: CatalogEntry) -> None:
    """The entry's reading page as `alphatree read` renders it (the translation itself is tested in
    test_reading.py)."""
    from alphatree_ingest.site.reading import Part, render_page

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
    both, chinese = render_page(entry, found, "opus-mt-en-zh")
    catalog.save_reading(entry.id, both, chinese)


def test_hostile_metadata_is_drawn_as_text_and_never_runs(
    home: Path, tmp_path: Path, mermaid_script: Path, browser: Browser
) -> None:
    """A name that opens with a backtick and carries HTML, a venue with a script, a title with a code
    fence: the real Mermaid still draws the whole lineage graph, with the text as text, and no script
    of the metadata runs."""

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
    write_pages(render_site(catalog.load(), site, PROMPTS, mermaid=mermaid_script))
    with browser.new_page() as page:
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


URL = "https://github.com/alphatree-test/a-very-long-repository-name-that-never-breaks-by-itself"
LONG = (
    "We train the network end to end with stochastic gradient descent on a large corpus of images, "
    "and we report results on every benchmark the community uses, including the ones where it fails. "
    f"The code is at {URL} and the checkpoints are released with it."
)
LONG_ZH = (
    "我们用随机梯度下降在大规模图像语料上端到端地训练网络，并在社区使用的每个基准上报告结果，"
    f"包括它失败的那些。代码在 {URL} ，"
    "检查点也随之发布。"
)


PARAGRAPHS = [
    (
        [
            "Generative adversarial networks (GANs) make images that are hard to tell from photographs.",
            "StyleGAN controls the image through styles injected at every layer of its generator.",
            "Yet mixing the styles of two images remains coarse: each layer takes its style from one image "
            "or the other.",
        ],
        [
            "生成对抗网络（GAN）合成的图像与照片难以区分。",
            "StyleGAN 通过在生成器每一层注入的风格来控制图像。",
            "然而，混合两幅图像的风格仍然粗糙：每一层的风格要么取自这一幅，要么取自另一幅。",
        ],
    ),
    (
        [
            "We propose StyleMixGAN, which learns how much of each style to take at every layer and every "
            "position.",
            "A small mixing network predicts the weights from both latent codes; it is trained with the "
            "generator and costs nothing extra at inference time.",
        ],
        [
            "我们提出 StyleMixGAN，它学习在每一层、每个位置上各取多少风格。",
            "一个小型混合网络根据两个隐编码预测权重；它与生成器一起训练，推理时不增加额外开销。",
        ],
    ),
]


def _reader_site(home: Path, tmp_path: Path, mermaid_script: Path) -> Path:
    """The seed tree, an entry whose drafted Chinese title repeats its name, and its reading page with
    long paragraphs, an unbreakable URL and a figure, published to disk."""
    import pymupdf

    from alphatree_ingest.site.reading import Part
    from alphatree_ingest.site.reading import render_page as render_reading

    catalog = Catalog(home / "catalog")
    figure = home / "catalog" / "figures" / "2611.00098" / "fig-1.png"
    figure.parent.mkdir(parents=True)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 1600, 500), False)
    pix.set_rect(pix.irect, (40, 90, 200))
    pix.save(str(figure))
    entry = CatalogEntry(
        id="stylemixgan",
        name="StyleMixGAN",
        arxiv="2611.00098",
        title="StyleMixGAN: Mixing Styles for Generative Adversarial Networks",
        title_zh="StyleMixGAN：StyleMixGAN：用于生成对抗网络的风格混合",
        abstract="We mix styles.",
        abstract_zh="我们提出风格混合（人工审校的摘要）。",
        authors=["Ada Lovelace", "Alan Turing", "et al."],
        year=2026,
        topic="gan/implementation",
        level="advanced",
        status="approved",
        parents=["stylegan"],
        diagram="figures/2611.00098/fig-1.png",
        figures=[
            EntryFigure(
                file="figures/2611.00098/fig-1.png",
                caption="Figure 1: Overview of StyleMixGAN.",
                caption_zh="图1：StyleMixGAN 概览（人工审校的图注）。",
            )
        ],
        code=[EntryCode(url="https://github.com/x/stylemixgan", framework="pytorch")],
    )
    catalog.save_entry(catalog.entry_path(entry), entry)
    found = [
        Part("heading", "Abstract", sentences=["Abstract"], chinese=["摘要"]),
        Part("paragraph", "We mix styles.", sentences=["We mix styles."], chinese=["我们混合风格。"]),
        Part("heading", "1 Introduction", sentences=["1 Introduction"], chinese=["1 引言"]),
    ]
    for english, chinese in PARAGRAPHS:
        found.append(Part("paragraph", " ".join(english), sentences=english, chinese=chinese))
    found.append(Part("figure", number="1"))
    found.append(Part("heading", "2 Method", sentences=["2 Method"], chinese=["2 方法"]))
    found.append(Part("paragraph", LONG, sentences=[LONG], chinese=[LONG_ZH]))
    both, chinese = render_reading(entry, found, "opus-mt-en-zh")
    catalog.save_reading(entry.id, both, chinese)
    site = tmp_path / "published"
    write_pages(render_site(catalog.load(), site, PROMPTS, mermaid=mermaid_script))
    return site


PAGES = [
    "read/stylemixgan.html",
    "entries/stylemixgan.html",
    "gan-implementation.html",
    "index.html",
    "plan.html",
]


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["laptop", "phone"])
def test_reading_entry_topic_index_and_plan_fit_the_screen(
    home: Path, tmp_path: Path, mermaid_script: Path, viewport: tuple[int, int], browser: Browser
) -> None:
    """Bug: the English column never wrapped; a real paper's reading page was 4,263 px wide at 1280 px
    (4,215 px on a phone) and its Chinese was squeezed into a 187 px column."""

    site = _reader_site(home, tmp_path, mermaid_script)
    width, height = viewport
    shots = Path(os.environ.get("ALPHATREE_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    with browser.new_page(viewport={"width": width, "height": height}) as page:
        for name in PAGES:
            page.goto((site / name).as_uri())
            if name == "gan-implementation.html":
                page.locator("pre.mermaid svg").wait_for(timeout=20_000)
            wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert wide[0] <= wide[1], (name, wide)
        page.goto((site / "read" / "stylemixgan.html").as_uri())
        # the Chinese column is as wide as the English, and wide enough to read
        pair = page.locator(".pair", has_text="We propose StyleMixGAN")
        en = pair.locator(".en").bounding_box()
        zh = pair.locator(".zh").bounding_box()
        assert en and zh and abs(en["width"] - zh["width"]) <= 2, (en, zh)
        assert zh["width"] >= (300 if width < 600 else 450), zh
        if width < 600:  # a phone: English, then its Chinese under it
            assert zh["y"] >= en["y"] + en["height"] - 1
        else:  # a laptop: side by side
            assert abs(zh["y"] - en["y"]) <= 2 and zh["x"] > en["x"]
        # reviewed Chinese is told apart from the model's
        reviewed = page.locator(".zh.reviewed")
        assert "人工审校的摘要" in reviewed.first.inner_text()
        assert "人工审校的图注" in reviewed.last.inner_text()
        assert "图 1：图1" not in page.inner_text("body")
        assert page.locator(".zh.machine", has_text="随机梯度下降").count() == 1
        assert page.locator(".zh.machine .s").count() == page.locator(".en .s").count() == 6
        assert "机器翻译" in page.locator(".legend").inner_text()
        figure = page.locator("figure img")
        assert figure.evaluate("img => img.complete && img.naturalWidth") == 1600
        assert figure.bounding_box()["width"] <= width  # type: ignore[index]
        h1 = page.locator("h1").inner_text()
        assert h1 == "StyleMixGAN：用于生成对抗网络的风格混合" and page.title() == h1
        label = "laptop" if width > 600 else "phone"
        page.screenshot(path=str(shots / f"reading-{label}.png"))
        # 中文 only, in place and from disk; the choice survives a reload
        page.locator(".view-switch button", has_text="中文").click()
        assert not pair.locator(".en").is_visible() and pair.locator(".zh").is_visible()
        assert abs(pair.locator(".zh").bounding_box()["width"] - pair.bounding_box()["width"]) <= 2  # type: ignore[index]
        page.reload()
        assert not page.locator(".pair .en").first.is_visible()
        page.goto((site / "read" / "stylemixgan.zh.html").as_uri())  # the Chinese-only page's 对照 link
        page.locator(".view-switch a", has_text="对照").click()
        page.wait_for_load_state()
        assert page.locator(".pair .en").first.is_visible()  # shows both, whatever was chosen before
        page.locator(".view-switch button", has_text="中文").click()
        page.locator(".view-switch button", has_text="对照").click()
        assert page.locator(".pair .en").first.is_visible()
        # the entry page: the name once, no empty header, what to read next, its BibTeX
        page.goto((site / "entries" / "stylemixgan.html").as_uri())
        assert page.locator("h1").inner_text() == "StyleMixGAN：用于生成对抗网络的风格混合"
        assert all(t.strip() for t in page.locator("th").all_inner_texts())
        assert page.locator("h2", has_text="接下来读").count() == 1
        page.locator("a", has_text="下载 BibTeX").click()
        page.wait_for_load_state()
        assert "@article{lovelace2026stylemixgan," in page.inner_text("body")
        page.goto((site / "entries" / "infogan.html").as_uri())  # a seed entry
        assert page.locator("h1").inner_text().count("InfoGAN") == 1
        page.goto((site / "gan-implementation.html").as_uri())
        row = page.locator("tr", has_text="StyleMixGAN")
        assert "StyleMixGAN：用于生成对抗网络的风格混合" in row.inner_text()
        assert row.inner_text().count("StyleMixGAN：") == 1


def test_plan_page_follows_the_reader_clicks_and_remembers_them(
    home: Path, tmp_path: Path, mermaid_script: Path, browser: Browser
) -> None:
    """plan.html from disk: pick a goal, tick what you know, the plan updates as `alphatree path
    --known` says; the choices survive a reload."""

    from alphatree_ingest.site.learning import path_to

    site = _reader_site(home, tmp_path, mermaid_script)
    entries = Catalog(home / "catalog").load().entries
    shots = Path(os.environ.get("ALPHATREE_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)

    def expected(goal: str, known: set[str]) -> list[str]:
        return [e.id for e in path_to(goal, entries, frozenset(known))]

    with browser.new_page(viewport={"width": 1280, "height": 900}) as page:
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto((site / "plan.html").as_uri())

        def plan() -> list[str]:
            return [
                str(x) for x in page.locator("ol#plan > li").evaluate_all("els => els.map(e => e.dataset.id)")
            ]

        page.select_option("select#goal", "stylemixgan")
        assert (
            plan()
            == expected("stylemixgan", set())
            == ["gan", "wgan", "wgan-gp", "progan", "stylegan", "stylemixgan"]
        )
        page.check("input[type=checkbox][value=wgan]")
        assert plan() == expected("stylemixgan", {"wgan"}) == ["wgan-gp", "progan", "stylegan", "stylemixgan"]
        page.screenshot(path=str(shots / "plan.png"), full_page=False)
        page.locator("ol#plan > li[data-id=progan] button").click()  # "已掌握" in the plan ticks the box
        assert page.is_checked("input[type=checkbox][value=progan]")
        assert plan() == expected("stylemixgan", {"wgan", "progan"}) == ["stylegan", "stylemixgan"]
        page.uncheck("input[type=checkbox][value=wgan]")
        assert plan() == ["stylegan", "stylemixgan"]  # gan and wgan were needed only for ProGAN
        # the plan is its address: a reload reads it back from there (a reload that restored from
        # localStorage alone once read the default goal under a loaded CI machine: the storage write
        # had not reached the browser yet)
        address = page.url
        assert address.endswith("plan.html#goal=stylemixgan&known=progan"), address
        page.reload()
        page.wait_for_function(
            "() => document.querySelector('select#goal').value === 'stylemixgan'", timeout=5000
        )
        assert page.input_value("select#goal") == "stylemixgan"
        assert page.is_checked("input[type=checkbox][value=progan]")
        assert not page.is_checked("input[type=checkbox][value=wgan]")
        assert plan() == ["stylegan", "stylemixgan"]
        # every goal in the tree: the page plans as the command line does
        page.uncheck("input[type=checkbox][value=progan]")
        page.check("input[type=checkbox][value=gan]")
        for entry in entries:
            page.select_option("select#goal", entry.id)
            assert plan() == expected(entry.id, {"gan"}), entry.id
        # an entry page's link opens the plan with its goal chosen
        page.goto((site / "entries" / "stylemixgan.html").as_uri())
        page.locator("a", has_text="按你已掌握的定制学习计划").click()
        page.wait_for_load_state()
        assert page.input_value("select#goal") == "stylemixgan"
        # someone else's link shows their plan, and leaves the reader's saved choices alone
        plain = address.split("#")[0]

        def opened(url: str) -> str:
            page.goto("about:blank")  # a new load, not a jump within the page
            page.goto(url)
            return page.input_value("select#goal")

        own = opened(plain)
        assert own != "gan"
        assert opened(plain + "#goal=gan&known=") == "gan"
        assert opened(plain) == own
        assert dialogs == []
    # the address sent to a friend (a browser that never saw the page) opens the same plan
    with browser.new_context() as context, context.new_page() as friend:
        friend.goto(address)
        assert friend.input_value("select#goal") == "stylemixgan"
        assert friend.is_checked("input[type=checkbox][value=progan]")
        assert [
            str(x) for x in friend.locator("ol#plan > li").evaluate_all("els => els.map(e => e.dataset.id)")
        ] == ["stylegan", "stylemixgan"]
        friend.goto("about:blank")  # a new load, not a jump within the page
        friend.goto(address.replace("known=progan", "known=%E0%A4%A,progan"))  # a broken escape: ignored
        assert friend.is_checked("input[type=checkbox][value=progan]")
        assert friend.locator("ol#plan > li").count() == 2
