"""论文一键翻译: a Chinese reading page of a whole paper in the tree.

`parts` reads the PDF in reading order: section headings, paragraphs, and the figures where the paper
puts them (running heads, page numbers, figure interiors and the reference list left out). `translate`
turns every sentence into Chinese through the pipeline's stage (translation memory first, glossary,
protected formulas, URLs and numbers), section by section with progress. `render_page` writes two pages: the
paper paragraph by paragraph in English beside Chinese, and the Chinese alone. A rerun translates only
sentences the memory has not seen, so a changed paragraph costs only its own sentences.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..markdown import inline, url_path
from ..models import CatalogEntry, EntryFigure, Extraction
from ..mt.text import split_sentences
from ..mt.translate import TranslateStage
from ..pdf.extract import extract, is_heading, open_pdf
from ..pdf.figures import caption_number
from ..pdf.layout import Block, document_blocks, document_furniture
from .titles import headline

_END = re.compile(r"^(?:\d+\.?\s+)?(References|REFERENCES|Bibliography|BIBLIOGRAPHY)\s*$")
_NUMBER = re.compile(r"^(?:Figure|Fig\.?)\s*(\d+[a-z]?)", re.IGNORECASE)
_LABEL_ZH = re.compile(r"^(?:图|Figure|Fig\.?)\s*\d+[a-z]?\s*[:：.．、]?\s*", re.IGNORECASE)
_ABSTRACT = re.compile(r"^(Abstract|ABSTRACT)\b\s*[.:—-]?\s*")


@dataclass
class Part:
    kind: str
    """`heading`, `paragraph` or `figure`."""
    text: str = ""
    number: str = ""
    """The figure's number."""
    sentences: list[str] = field(default_factory=list)
    chinese: list[str] = field(default_factory=list)


def parts(pdf: Path, figures: dict[str, tuple[int, tuple[float, float, float, float]]]) -> list[Part]:
    """The paper in reading order; `figures` maps figure numbers to (page, bbox), as extraction found."""
    doc = open_pdf(pdf)
    try:
        pages = [doc[i] for i in range(doc.page_count)]
        blocks = document_blocks(pages)
        furniture = document_furniture(blocks, [p.rect.height for p in pages])
    finally:
        doc.close()
    found: list[Part] = []
    shown: set[str] = set()
    started = False
    for number, (on_page, skip) in enumerate(zip(blocks, furniture, strict=True), start=1):
        inside = [box for page, box in figures.values() if page == number]
        for block in on_page:
            if id(block) in skip or any(_within(block, box) for box in inside):
                continue
            text = block.text.strip()
            first_line = (block.raw.strip().splitlines() or [""])[0].strip()
            if _END.match(text) or _END.match(first_line):  # the reference list is not read
                return found
            label = caption_number(block)
            if label is not None:  # a figure is shown once, where its caption first comes in the text
                if label in figures and label not in shown and started:
                    shown.add(label)
                    found.append(Part("figure", number=label))
                continue
            if not started and _ABSTRACT.match(text):
                started = True
                found += _abstract_parts(text)
                continue
            if is_heading(block):
                started = True
                found.append(Part("heading", text))
            elif started and len(text) >= 25:
                found.append(Part("paragraph", text))
    return found


def parts_of(pdf: Path, extraction: Extraction | None = None) -> list[Part]:
    """`parts` with the figures where extraction finds them (`extraction` when the caller has it)."""
    found = extraction if extraction is not None else extract(pdf)
    # a supplement's own figure 1 (a second numbering) does not replace the paper's figure 1
    return parts(pdf, {f.number: (f.page, f.bbox) for f in reversed(found.figures)})


def _abstract_parts(text: str) -> list[Part]:
    """The heading "Abstract", then the rest of its block as a paragraph when there is any."""
    match = _ABSTRACT.match(text)
    rest = text[match.end() :] if match else text
    return [Part("heading", "Abstract")] + ([Part("paragraph", rest)] if rest else [])


def _within(block: Block, box: tuple[float, float, float, float]) -> bool:
    x = (block.box[0] + block.box[2]) / 2
    y = (block.box[1] + block.box[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def translate(
    found: list[Part], stage: TranslateStage, progress: Callable[[int, int, str], None] | None = None
) -> list[Part]:
    """Chinese for every heading and paragraph, sentence by sentence, one section at a time."""
    sections: list[list[Part]] = [[]]
    for part in found:
        if part.kind == "heading":
            sections.append([])
        sections[-1].append(part)
    sections = [s for s in sections if s]
    for part in found:
        if part.kind != "figure":
            part.sentences = split_sentences(part.text) or [part.text]
    done = 0
    for chunk in _chunks(sections):
        texts = [p for section in chunk for p in section if p.kind != "figure"]
        flat = [s for part in texts for s in part.sentences]
        out = iter(stage.translate(flat))  # one model batch for the chunk: batches stay full
        for part in texts:
            part.chinese = [next(out) for _ in part.sentences]
        for section in chunk:
            done += 1
            if progress:
                title = section[0].text if section[0].kind == "heading" else "(start)"
                count = sum(len(p.sentences) for p in section if p.kind != "figure")
                progress(done, len(sections), f"{title}: {count} sentence(s)")
    return found


BATCH = 96
"""Sentences per model call at least (short sections are translated together, in order)."""


def _chunks(sections: list[list[Part]]) -> list[list[list[Part]]]:
    chunks: list[list[list[Part]]] = [[]]
    size = 0
    for section in sections:
        if size >= BATCH:
            chunks.append([])
            size = 0
        chunks[-1].append(section)
        size += sum(len(p.sentences) for p in section if p.kind != "figure")
    return [c for c in chunks if c]


MACHINE = "机器翻译，未经人工校对"
REVIEWED = "人工审校"


def render_page(entry: CatalogEntry, found: list[Part], model: str) -> tuple[str, str]:
    """(bilingual page, Chinese-only page), as Markdown for `site/read/`.

    The bilingual page is paragraph by paragraph, the English beside its Chinese (a `pair` of two equal
    columns that wrap; one under the other on a phone); every Chinese block says whether a person
    reviewed it (the entry's title, abstract and figure captions) or the model wrote it (the rest).
    Text from the paper and the entry is escaped by `inline`; the only markup is the page's own."""
    figures: dict[str, EntryFigure] = {}
    for f in entry.figures:  # the paper's own figure N, not a supplement's that numbers from 1 again
        if m := _NUMBER.match(f.caption):
            figures.setdefault(m.group(1), f)
    head = f"# {inline(headline(entry.name, entry.title_zh or entry.title))}\n\n"
    model_name = html.escape(" ".join(Path(model).name.split()))
    legend = (
        f'<p class="legend"><span class="reviewed">{REVIEWED}</span>：标题、摘要与图注（条目审校时已核对）'
        f' <span class="machine">机器翻译</span>：其余正文与小标题（{model_name}），'
        "未经人工校对。</p>\n\n"
    )
    note = f"{inline(entry.title)} · [论文](https://arxiv.org/abs/{entry.arxiv})"
    switch = '<span class="view-switch">{}</span>\n\n'
    both = [head, note, " · ", switch.format(f"**对照** · [中文]({entry.id}.zh.md)"), legend]
    zh = [head, note, " · ", switch.format(f"[对照]({entry.id}.md#view-both) · **中文**"), legend]
    reviewed_abstract = bool(entry.abstract_zh.strip())
    section = ""
    abstract_done = False
    for part in found:
        if part.kind == "heading":
            section = part.text
            chinese = "".join(part.chinese)
            both.append(
                f'## <span class="en" lang="en">{inline(part.text)}</span> '
                f'<span class="zh machine" title="{MACHINE}">{inline(chinese)}</span>\n\n'
            )
            zh.append(f'## <span class="zh machine" title="{MACHINE}">{inline(chinese)}</span>\n\n')
        elif part.kind == "paragraph" and section == "Abstract" and reviewed_abstract:
            if abstract_done:  # the reviewed abstract is one block: its English is the whole section
                continue
            abstract_done = True
            english = [p for p in found if p.kind == "paragraph" and _section_of(found, p) == "Abstract"]
            text = "\n\n".join(inline(p.text) for p in english)
            both.append(_pair(text, inline(entry.abstract_zh), reviewed=True))
            zh.append(_block(inline(entry.abstract_zh), reviewed=True))
        elif part.kind == "paragraph":
            both.append(_pair(_sentences(part.sentences), _sentences(part.chinese, ""), reviewed=False))
            zh.append(_block(inline("".join(part.chinese)), reviewed=False))
        else:
            figure = figures.get(part.number)
            if figure is None:
                continue
            both.append(_figure(part.number, figure, english=True))
            zh.append(_figure(part.number, figure, english=False))
    return "".join(both), "".join(zh)


def _section_of(found: list[Part], part: Part) -> str:
    section = ""
    for other in found:
        if other.kind == "heading":
            section = other.text
        if other is part:
            return section
    return section


def _sentences(sentences: list[str], between: str = " ") -> str:
    """A paragraph's sentences, each in its own span: the page lights up a sentence's translation."""
    return between.join(f'<span class="s" data-s="{n}">{inline(s)}</span>' for n, s in enumerate(sentences))


def _mark(reviewed: bool) -> str:
    return 'zh reviewed" title="' + REVIEWED if reviewed else 'zh machine" title="' + MACHINE


def _block(chinese: str, *, reviewed: bool) -> str:
    return f'<div class="{_mark(reviewed)}" lang="zh-Hans">\n\n{chinese}\n\n</div>\n\n'


def _pair(english: str, chinese: str, *, reviewed: bool) -> str:
    """English and its Chinese side by side: two equal columns that wrap (stacked on a narrow screen)."""
    return (
        f'<div class="pair">\n<div class="en" lang="en">\n\n{english}\n\n</div>\n'
        f'<div class="{_mark(reviewed)}" lang="zh-Hans">\n\n{chinese}\n\n</div>\n</div>\n\n'
    )


def _figure(number: str, figure: EntryFigure, *, english: bool) -> str:
    """The figure where the paper puts it, with the entry's reviewed caption (the English one too in
    the bilingual page)."""
    image = f"![图 {number}](../{url_path(figure.file)})"
    if figure.caption_zh:
        said = _LABEL_ZH.sub("", figure.caption_zh.strip())  # `图1：` is said once, by the page
        caption = _block(f"图 {number}：{inline(said)}", reviewed=True)
    else:
        caption = ""
    if english or not figure.caption_zh:
        caption = f'<div class="en" lang="en">\n\n{inline(figure.caption)}\n\n</div>\n' + caption
    return f"<figure>\n\n{image}\n\n<figcaption>\n{caption}</figcaption>\n</figure>\n\n"
