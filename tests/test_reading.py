"""论文一键翻译: `alphatree read` turns a tree entry's whole paper into a Chinese reading page."""

from __future__ import annotations

from pathlib import Path

import pytest

from alphatree_ingest.catalog import Catalog
from alphatree_ingest.models import CatalogEntry, EntryFigure
from tests.conftest import InProcessCli, cli_env
from tests.support import make_paper_pdf

pytestmark = pytest.mark.slow
URL = "https://github.com/alphatree-test/readnet"


def _entry(home: Path) -> CatalogEntry:
    entry = CatalogEntry(
        id="readnet",
        name="ReadNet",
        arxiv="2611.00095",
        version=1,
        title="ReadNet: A Paper to Read",
        title_zh="ReadNet：一篇要读的论文",
        year=2026,
        topic="gan/training",
        status="approved",
        figures=[
            EntryFigure(
                file="figures/2611.00095/fig-1.png",
                caption="Figure 1: Overview of the proposed architecture.",
                caption_zh="图1：所提出结构的概览。",
            )
        ],
    )
    catalog = Catalog(home / "catalog")
    catalog.save_entry(catalog.entry_path(entry), entry)
    return entry


def test_a_whole_paper_reads_in_chinese_in_order_and_reruns_translate_only_what_changed(
    home: Path, tiny_model: Path, tmp_path: Path, cli: InProcessCli
) -> None:
    _entry(home)
    pdf = home / "cache" / "pdf" / "2611.00095v1.pdf"
    pdf.parent.mkdir(parents=True)
    abstract = "We propose ReadNet for reading. It reads every page of a paper."
    pdf.write_bytes(
        make_paper_pdf("ReadNet: A Paper to Read", abstract, code_url=URL, references=["A. B. Old."])
    )
    env = cli_env(home, None, tiny_model)
    first = cli(["read", "readnet"], env)
    assert first.returncode == 0, first.stderr
    assert "[1/" in first.stderr and "Introduction" in first.stderr  # progress per section
    page = (home / "catalog" / "reading" / "readnet.md").read_text()
    chinese = (home / "catalog" / "reading" / "readnet.zh.md").read_text()
    order = [
        page.index(mark)
        for mark in (
            'lang="en">Abstract</span>',
            'lang="en">1 Introduction</span>',
            "![图 1]",
            "图 1：所提出结构的概览",
        )
    ]
    assert order == sorted(order)
    # paragraph by paragraph, English beside Chinese, each sentence marked so the page can pair them
    assert '<span class="s" data-s="0">We propose ReadNet for reading.</span>' in page
    chinese_blocks = page.split('<div class="zh machine"')[1:]
    assert any(URL in block.split("</div>", 1)[0] for block in chinese_blocks)  # the URL survives, protected
    assert "A. B. Old" not in page and "References" not in page  # the reference list is not read
    assert "](readnet.md#view-both)" in chinese and 'class="en"' not in chinese
    distinct = int(first.stdout.split(" distinct")[0].split()[-1])
    assert distinct > 5 and f"; {distinct} translated by the model" in first.stdout

    again = cli(["read", "readnet"], env)
    assert "; 0 translated by the model" in again.stdout  # the memory has every sentence
    changed = tmp_path / "v2.pdf"
    new_abstract = "We propose ReadNet for careful reading. It reads every page of a paper."
    changed.write_bytes(make_paper_pdf("ReadNet: A Paper to Read", new_abstract, code_url=URL))
    third = cli(["read", "readnet", "--pdf", str(changed)], env)
    assert "; 1 translated by the model" in third.stdout, third.stdout  # only the changed sentence

    published = cli(["publish"], env)
    assert published.returncode == 0, published.stderr
    assert (home / "site" / "read" / "readnet.md").read_text() == (
        home / "catalog" / "reading" / "readnet.md"
    ).read_text()
    assert "](../read/readnet.md)" in (home / "site" / "entries" / "readnet.md").read_text()
    assert (home / "site" / "read" / "readnet.html").is_file()


def test_read_of_an_unknown_entry_is_one_sentence(home: Path, cli: InProcessCli) -> None:
    result = cli(["read", "nonesuch"], cli_env(home, None, None))
    assert result.returncode == 2 and "no entry 'nonesuch'" in result.stderr.lower()


def test_the_reading_page_shows_the_papers_own_figure_1_not_the_supplements() -> None:
    """Bug: a supplement that numbers its figures from 1 again (kept as fig-1-p14.png) replaced the
    paper's own Figure 1 on the reading page."""
    from alphatree_ingest.site.reading import Part, render_page

    entry = CatalogEntry(
        id="suppnet",
        name="SuppNet",
        arxiv="2611.00096",
        version=1,
        title="SuppNet: A Paper with a Supplement",
        title_zh="SuppNet：一篇带补充材料的论文",
        year=2026,
        topic="gan/training",
        status="approved",
        figures=[
            EntryFigure(file="figures/2611.00096/fig-1.png", caption="Figure 1: Overview of SuppNet."),
            EntryFigure(file="figures/2611.00096/fig-1-p14.png", caption="Figure 1: More samples."),
        ],
    )
    both, zh = render_page(entry, [Part("figure", number="1")], "opus-mt-en-zh")
    for page in (both, zh):
        assert "fig-1.png" in page and "fig-1-p14.png" not in page
