"""What a reader gets beyond the pages: an adaptive learning plan (CLI and plan.html), titles that say a
name once, BibTeX for each entry."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from alphatree_ingest.catalog import Catalog, write_pages
from alphatree_ingest.models import CatalogEntry
from alphatree_ingest.site.bibtex import bibtex, cite_key
from alphatree_ingest.site.learning import next_reads, path_to, topic_plan
from alphatree_ingest.site.publish import render_site
from alphatree_ingest.site.titles import headline, subtitle_zh
from tests.conftest import InProcessCli, cli_env

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def _entry(entry_id: str, parents: list[str], year: int = 2020, **extra: object) -> CatalogEntry:
    fields: dict[str, object] = dict(
        id=entry_id, name=entry_id.upper(), title=f"{entry_id} net", year=year, topic="gan", status="approved"
    )
    fields.update(extra)
    return CatalogEntry(parents=parents, **fields)  # type: ignore[arg-type]


DIAMOND = [
    _entry("a", [], 2010),
    _entry("b", ["a"], 2012),
    _entry("c", ["a"], 2013),
    _entry("x", ["b"], 2014),
    _entry("d", ["x", "c"], 2015),
]


def ids(entries: list[CatalogEntry]) -> list[str]:
    return [e.id for e in entries]


def test_a_known_entry_is_skipped_with_what_only_it_needed() -> None:
    assert ids(path_to("d", DIAMOND)) == ["a", "b", "c", "x", "d"]
    # x is known: b is needed only through x, so it goes too; a is still needed by c
    assert ids(path_to("d", DIAMOND, frozenset({"x"}))) == ["a", "c", "d"]
    assert ids(path_to("d", DIAMOND, frozenset({"x", "c"}))) == ["d"]
    assert ids(path_to("d", DIAMOND, frozenset({"a"}))) == ["b", "c", "x", "d"]
    assert ids(path_to("d", DIAMOND, frozenset({"d"}))) == ["d"]  # the goal always ends the plan


def test_a_topic_plan_skips_known_goals_and_keeps_parents_first() -> None:
    assert ids(topic_plan("gan", None, DIAMOND, frozenset({"x", "c"}))) == ["a", "b", "d"]
    plan = ids(topic_plan("gan", None, DIAMOND, frozenset({"b"})))
    assert "b" not in plan and plan.index("a") < plan.index("c") < plan.index("d")


def test_what_to_read_next_is_children_then_topic_neighbours() -> None:
    assert ids(next_reads(DIAMOND[0], DIAMOND)) == ["b", "c", "x", "d"]
    assert ids(next_reads(DIAMOND[3], DIAMOND))[0] == "d"


def test_path_known_from_the_command_line(home: Path, cli: InProcessCli) -> None:
    env = cli_env(home, None, None)
    full = cli(["path", "stylegan"], env)
    assert re.findall(r"^\d+\. (\S+)（", full.stdout, re.M) == [
        "GAN",
        "WGAN",
        "WGAN-GP",
        "ProGAN",
        "StyleGAN",
    ]
    known = cli(["path", "stylegan", "--known", "wgan"], env)
    assert known.returncode == 0, known.stderr
    assert re.findall(r"^\d+\. (\S+)（", known.stdout, re.M) == ["WGAN-GP", "ProGAN", "StyleGAN"]
    assert "2 step(s) skipped" in known.stdout
    topic = cli(["path", "--topic", "gan/training", "--known", "gan,wgan"], env)
    steps = re.findall(r"^\d+\. (\S+)（", topic.stdout, re.M)
    assert "GAN" not in steps and "WGAN" not in steps and "WGAN-GP" in steps
    wrong = cli(["path", "stylegan", "--known", "wgan,nosuch"], env)
    assert wrong.returncode != 0 and "nosuch" in wrong.stderr and "Traceback" not in wrong.stderr


@pytest.mark.parametrize(
    ("name", "title_zh", "expected"),
    [
        ("StyleMixGAN", "StyleMixGAN：StyleMixGAN：用于风格混合的网络", "StyleMixGAN：用于风格混合的网络"),
        (
            "InfoGAN",
            "InfoGAN：通过最大化互信息的生成对抗网络学习可解释表示",
            "InfoGAN：通过最大化互信息的生成对抗网络学习可解释表示",
        ),
        (
            "An Image is Worth 16x16 Words:",
            "一幅图像值 16x16 个词",
            "An Image is Worth 16x16 Words：一幅图像值 16x16 个词",
        ),
        ("MobileNet V1", "MobileNets: 面向移动视觉应用", "MobileNet V1：面向移动视觉应用"),
        ("ProGAN", "渐进式增长的 GAN：提升质量", "ProGAN：渐进式增长的 GAN：提升质量"),
        ("WGAN", "Wasserstein GAN", "WGAN：Wasserstein GAN"),
        ("ResNet", "ResNet", "ResNet"),
        ("ResNet", "", "ResNet"),
    ],
)
def test_a_title_says_the_name_once(name: str, title_zh: str, expected: str) -> None:
    assert headline(name, title_zh) == expected


def test_every_page_says_a_name_once_and_has_no_empty_header(home: Path) -> None:
    catalog = Catalog(home / "catalog")
    entry = _entry(
        "stylemixgan",
        ["stylegan"],
        2026,
        name="StyleMixGAN",
        title="StyleMixGAN: Mixing Styles",
        title_zh="StyleMixGAN：StyleMixGAN：用于风格混合的网络",
        arxiv="2611.00123",
        topic="gan/implementation",
    )
    catalog.save_entry(catalog.entry_path(entry), entry)
    pages = write_pages(render_site(catalog.load(), home / "site", PROMPTS))
    for path in pages:
        if path.suffix in (".html", ".xml") or path.suffix == ".md":
            text = path.read_text()
            assert "StyleMixGAN：StyleMixGAN" not in text and "InfoGAN：InfoGAN" not in text, path.name
            assert "| | |" not in text, path.name
    page = (home / "site" / "entries" / "stylemixgan.html").read_text()
    assert "<th></th>" not in page and "<h1>StyleMixGAN：用于风格混合的网络</h1>" in page
    assert subtitle_zh("StyleMixGAN", entry.title_zh) == "用于风格混合的网络"


class _Plan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.options: list[str] = []
        self.boxes: list[str] = []
        self.steps: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.data = ""
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        assert not any(k.startswith("on") for k in found), (tag, attrs)
        if tag == "option":
            self.options.append(str(found["value"]))
        if tag == "input" and found.get("type") == "checkbox":
            self.boxes.append(str(found["value"]))
        if tag == "li" and "data-id" in found:
            self.steps.append(str(found["data-id"]))
        if tag == "script":
            self.scripts.append(found)
            self._in_data = found.get("type") == "application/json"

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_data = False


def test_plan_page_has_one_box_and_option_per_entry_and_hostile_names_stay_data(home: Path) -> None:
    catalog = Catalog(home / "catalog")
    hostile = _entry(
        "evil",
        ["stylegan"],
        2026,
        name="</script><script>alert(1)</script>",
        title_zh='"><img src=x onerror=alert(2)>',
        topic="gan/implementation",
    )
    catalog.save_entry(catalog.entry_path(hostile), hostile)
    snapshot = catalog.load()
    write_pages(render_site(snapshot, home / "site", PROMPTS))
    text = (home / "site" / "plan.html").read_text()
    parsed = _Plan()
    parsed.feed(text)
    every = sorted(e.id for e in snapshot.entries)
    assert sorted(parsed.options) == every and sorted(parsed.boxes) == every
    assert [s.get("type") for s in parsed.scripts] == ["application/json", None]
    data = json.loads(parsed.data)
    evil = next(e for e in data["entries"] if e["id"] == "evil")
    assert evil["name"] == hostile.name and "<img src=x" in evil["info"]  # the data as it is, as data
    assert "<img src=x" not in text and "</script><script>alert" not in text
    # without its script the page still shows a plan: the one for its default goal, parents first
    assert parsed.steps and parsed.steps == ids(path_to(parsed.steps[-1], snapshot.entries))


def test_bibtex_beside_each_entry_page_is_escaped_for_tex(home: Path) -> None:
    entry = _entry(
        "texnet",
        [],
        2026,
        name="TeXNet",
        title="TeXNet: 100% {Braces} & $math$ \\input{x}",
        authors=["Kaiming He", "Zoë Müller", "et al."],
        arxiv="2611.00124",
    )
    record = bibtex(entry)
    assert record.startswith("@article{he2026texnet,\n")
    assert "100\\% \\{Braces\\} \\& \\$math\\$ \\textbackslash{}input\\{x\\}" in record
    assert "author = {Kaiming He and Zoë Müller and others}" in record
    assert "eprint = {2611.00124}" in record and "archivePrefix = {arXiv}" in record
    assert record.count("{") == record.count("}") + record.count("\\{") - record.count("\\}")
    assert cite_key(_entry("anon", [], 2026)) == "anon2026"
    catalog = Catalog(home / "catalog")
    catalog.save_entry(catalog.entry_path(entry), entry)
    write_pages(render_site(catalog.load(), home / "site", PROMPTS))
    assert (home / "site" / "entries" / "texnet.bib").read_text() == record
    page = (home / "site" / "entries" / "texnet.md").read_text()
    assert "](texnet.bib)" in page and record.strip() in page


def test_a_reading_page_keeps_hostile_text_as_text() -> None:
    """The paper's sentences, the model's output and the entry's reviewed fields land inside the page's
    own blocks; none of them opens a tag, an attribute or a block of its own."""
    from alphatree_ingest.models import EntryFigure
    from alphatree_ingest.site.html import to_html
    from alphatree_ingest.site.reading import Part
    from alphatree_ingest.site.reading import render_page as render_reading

    evil = "<img src=x onerror=alert(1)> </div> ```"
    entry = _entry(
        "evil",
        [],
        2026,
        name=f"Evil{evil}",
        title_zh=evil,
        abstract_zh=evil,
        arxiv="2611.00125",
        figures=[EntryFigure(file="figures/e/fig-1.png", caption=f"Figure 1: {evil}", caption_zh=evil)],
    )
    found = [
        Part("heading", "Abstract", sentences=["Abstract"], chinese=[evil]),
        Part("paragraph", evil, sentences=[evil], chinese=[evil]),
        Part("heading", evil, sentences=[evil], chinese=[evil]),
        Part("paragraph", evil, sentences=[evil, "# Next"], chinese=[evil, "\n\n<div>"]),
        Part("figure", number="1"),
    ]
    for page in render_reading(entry, found, "model\n\n<b>x</b>"):
        out = to_html({Path("site/read/evil.md"): page})[Path("site/read/evil.html")]
        body = out.split("<body>", 1)[1]
        tags = set(re.findall(r"<([a-z0-9]+)[\s>/]", body))
        assert tags <= {"h1", "h2", "p", "a", "span", "strong", "div", "figure", "figcaption", "img"}, tags
        assert "onerror=alert(1)&gt;" in body and "onerror" not in re.sub(r"&lt;img src=x onerror", "", body)
        assert body.count("<div") == body.count("</div>")
        assert "<b>" not in body and "<img src=x" not in body
