"""论文一键翻译: a Chinese reading page of a whole paper in the tree.

`parts` reads the PDF in reading order: section headings, paragraphs, and the figures where the paper
puts them (running heads, page numbers, figure interiors and the reference list left out). `translate`
turns every sentence into Chinese through the pipeline's stage (translation memory first, glossary,
protected formulas, URLs and numbers), section by section with progress. `render` writes two pages: the
paper sentence by sentence in English and Chinese, and the Chinese alone. A rerun translates only
sentences the memory has not seen, so a changed paragraph costs only its own sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .extract import extract, is_heading, open_pdf
from .figures import caption_number
from .layout import Block, document_furniture, page_blocks
from .models import CatalogEntry, Extraction
from .publish import cell, md_text, url_path
from .text import split_sentences
from .translate import TranslateStage

_END = re.compile(r"^(?:\d+\.?\s+)?(References|REFERENCES|Bibliography|BIBLIOGRAPHY)\s*$")
_NUMBER = re.compile(r"^(?:Figure|Fig\.?)\s*(\d+[a-z]?)", re.IGNORECASE)
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
        blocks = [page_blocks(p) for p in pages]
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
            if label is not None:
                if label in figures and label not in shown and started:
                    shown.add(label)
                    found.append(Part("figure", number=label))
                continue
            abstract = _ABSTRACT.match(text)
            if abstract and not started:
                started = True
                found.append(Part("heading", "Abstract"))
                rest = text[abstract.end() :]
                if rest:
                    found.append(Part("paragraph", rest))
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
    return parts(pdf, {f.number: (f.page, f.bbox) for f in found.figures})


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


def render(entry: CatalogEntry, found: list[Part], model: str) -> tuple[str, str]:
    """(bilingual page, Chinese-only page), as Markdown for `site/read/`."""
    figures = {m.group(1): f for f in entry.figures if (m := _NUMBER.match(f.caption))}
    head = f"# {md_text(entry.name)}：{md_text(entry.title_zh)}\n\n"
    note = (
        f"{md_text(entry.title)} · [论文](https://arxiv.org/abs/{entry.arxiv}) · "
        f"全文机器翻译（{md_text(Path(model).name)}），未经人工校对；摘要与图注以条目页为准。"
    )
    both = [head, note, f" · [只看中文]({entry.id}.zh.md)\n\n"]
    zh = [head, note, f" · [中英对照]({entry.id}.md)\n\n"]
    for part in found:
        if part.kind == "heading":
            both.append(f"## {md_text(part.text)} · {md_text(''.join(part.chinese))}\n\n")
            zh.append(f"## {md_text(''.join(part.chinese))}\n\n")
        elif part.kind == "paragraph":
            both.append("| English | 中文 |\n|---|---|\n")
            both += [
                f"| {cell(en)} | {cell(cn)} |\n" for en, cn in zip(part.sentences, part.chinese, strict=True)
            ]
            both.append("\n")
            zh.append(md_text("".join(part.chinese)) + "\n\n")
        else:
            figure = figures.get(part.number)
            if figure is None:
                continue
            image = f"![图 {part.number}](../{url_path(figure.file)})\n\n"
            caption = f"*图 {part.number}：{md_text(figure.caption_zh or figure.caption)}*\n\n"
            both += [image, caption]
            zh += [image, caption]
    return "".join(both), "".join(zh)
