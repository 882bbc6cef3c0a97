"""PyMuPDF extraction: title, abstract, sections, figures with captions; links and references are
parsed from its text by `references`.

Pure with respect to the catalog: reads one PDF, optionally writes figure PNGs to a folder.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..models import Extraction, Section
from .figures import dedupe, find_figures, forget_drawn, name_files
from .layout import Block, Box, document_blocks, document_furniture, join_lines
from .references import find_code_links, read_citations, sentence_around

logger = logging.getLogger(__name__)

MAX_PAGES = 120
"""Longer documents are read up to this page: bounded time and memory."""
HEADING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[A-Z]\.(?:\d+\.?)*)\s+[A-Z][^\n]{1,80}$")


class ExtractError(RuntimeError):
    """The PDF cannot be read (damaged, encrypted, empty); the message says which."""


def open_pdf(source: Path | bytes) -> Any:
    """Open a PDF with PyMuPDF, a file or a download's bytes: the one place that decides whether a PDF
    is readable. Raises ExtractError for damaged, encrypted or page-less documents; the caller closes
    the document it gets."""
    import pymupdf

    is_file = isinstance(source, Path)
    name = source.name if isinstance(source, Path) else "the PDF"
    try:
        if isinstance(source, Path):
            doc = pymupdf.open(source, filetype="pdf")
        else:
            doc = pymupdf.open(stream=source, filetype="pdf")
    except Exception as err:
        reason = f"{name} is not a readable PDF ({err})" if is_file else f"{name} cannot be read ({err})"
        raise ExtractError(reason) from None
    problem = (
        "is encrypted with a password" if doc.needs_pass else "has no pages" if doc.page_count == 0 else ""
    )
    if problem:
        doc.close()
        raise ExtractError(f"{name} {problem}")
    return doc


@contextmanager
def _document(pdf: Path | Any) -> Iterator[Any]:
    """A PDF file opened for the block (and closed after), or an already open document as it is: whoever
    opened it closes it."""
    if not isinstance(pdf, Path):
        yield pdf
        return
    doc = open_pdf(pdf)
    try:
        yield doc
    finally:
        doc.close()


def extract(
    pdf: Path | Any,
    out_dir: Path | None = None,
    *,
    prefix: str = "fig",
    kind_features: list[Any] | None = None,
) -> Extraction:
    """Read `pdf` (a file, or a document `open_pdf` opened); with `out_dir`, write each figure as
    `<prefix>-<number>.png` there (figures of an earlier extraction into that folder are removed first).
    With `kind_features`, each figure's features for the model of kinds are appended to that list
    (`bench/kinds_table.py`)."""
    with _document(pdf) as doc:
        if out_dir is not None:
            for stale in out_dir.glob(f"{prefix}-*.png"):
                stale.unlink()
        try:
            return _read(doc, out_dir, prefix, kind_features)
        finally:
            forget_drawn()  # the last page's display list goes with its document


def _read(doc: Any, out_dir: Path | None, prefix: str, kind_features: list[Any] | None) -> Extraction:
    pages = [doc[i] for i in range(min(doc.page_count, MAX_PAGES))]
    textpages = [p.get_textpage(flags=0) for p in pages]  # read once for the blocks and the links
    blocks = document_blocks(pages, textpages)
    if not any(blocks):
        logger.info("%s has no text layer (scanned?)", Path(doc.name or "the PDF").name)
    heights = [p.rect.height for p in pages]
    furniture = document_furniture(blocks, heights)
    # an abstract broken off at the foot of page 1 goes on at the top of page 2 (its running head and
    # page number left out)
    second = [b for b in blocks[1] if id(b) not in furniture[1]] if len(blocks) > 1 else []
    title, abstract = _title_and_abstract(blocks[0], doc.metadata or {}, second)
    if not abstract and len(blocks) > 1:  # a full-page teaser figure first: the abstract is on page 2
        abstract = _title_and_abstract(blocks[1], {"title": title})[1]
    figures = []
    for number, page in enumerate(pages, start=1):
        figures.extend(
            find_figures(
                page, number, blocks[number - 1], out_dir, prefix, furniture[number - 1], kind_features
            )
        )
    full_text = ["\n\n".join(b.raw for b in on_page) for on_page in blocks]  # a blank line between blocks
    references, names, uses = read_citations(
        [
            "\n\n".join(b.raw for b in on_page if id(b) not in skip)
            for on_page, skip in zip(blocks, furniture, strict=True)
        ]
    )
    kept = dedupe(figures)
    if out_dir is not None:
        kept = name_files(kept, figures, out_dir, prefix)
    return Extraction(
        title=title,
        abstract=abstract,
        pages=doc.page_count,
        sections=_sections(doc, blocks),
        figures=kept,
        code_links=find_code_links(
            full_text, [_page_links(p, t) for p, t in zip(pages, textpages, strict=True)], title=title
        ),
        references=references,
        names=names,
        name_uses=uses,
    )


ABSTRACT_HEAD = re.compile(r"^(?:Abstract|ABSTRACT|A\s+BSTRACT)\b")
"""The abstract's heading, set in small capitals too (`A BSTRACT`: PyMuPDF parts the larger first letter)."""


def _title_and_abstract(
    first: list[Block], metadata: dict[str, str], then: list[Block] | None = None
) -> tuple[str, str]:
    """The title (the PDF's metadata, else the largest type at the top of `first`) and the abstract:
    the text after an "Abstract" heading on the page `first`, up to the introduction, a numbered
    heading, the keywords or the footnotes. `then`: the next page's blocks without its running head,
    where an abstract broken off at the page's foot goes on."""
    title = (metadata.get("title") or "").strip()
    top = [b for b in first if b.box[1] < 400 and len(b.text) > 3 and not b.text.startswith("arXiv:")]
    if not title and top:
        biggest = max(b.size for b in top)
        title = " ".join(b.text for b in top if b.size >= biggest - 0.5)
    abstract = ""
    for i, block in enumerate(first):
        head = re.sub(r"^[^A-Za-z]+", "", block.text)  # a symbol font's blank (U+F020) may come first
        if ABSTRACT_HEAD.match(head):
            body = ABSTRACT_HEAD.sub("", head)
            body = re.sub(r"^\s*[.:—-]?\s*", "", body)
            parts = [body] if body else []
            following = first[i + 1 :] if body else _from_below(block, first, i)
            # the body's font size: the heading's own line when it runs on, else the first paragraph's
            # (a large "Abstract" heading must not make the body look like a footnote)
            size = block.size if body or not following else following[0].size
            tolerance = 2.5 if body else 0.8
            ended = _abstract_body(parts, following, size, tolerance)
            if not ended and then and parts and _broken_off(parts[-1]):
                _abstract_body(parts, then, size, tolerance)
            abstract = join_lines(parts)  # a word hyphenated across columns joins too
            break
    return " ".join(title.split())[:500], _clean_abstract(" ".join(abstract.split()))[:6000]


def _from_below(head: Block, blocks: list[Block], i: int) -> list[Block]:
    """The blocks after a bare "Abstract" heading, from its body on. A PDF may write the body later in
    the page's stream than the introduction (an edited or annotated PDF): when the next block in the
    stream is not the one right under the heading, the stream is taken up again at that one."""
    x0, _, x1, y1 = head.box
    gap = 3 * max(1.0, head.box[3] - head.box[1])

    def under(b: Block) -> bool:
        return min(x1, b.box[2]) - max(x0, b.box[0]) > 0 and y1 - 2 <= b.box[1] <= y1 + gap

    following = blocks[i + 1 :]
    if following and under(following[0]):
        return following
    below = [j for j, b in enumerate(blocks) if j != i and under(b) and len(b.text.split()) >= 4]
    if not below:
        return following
    j = min(below, key=lambda k: blocks[k].box[1])
    return blocks[j:]


AFTER_ABSTRACT = re.compile(
    r"(?:[*†‡§¶⋆∗]|\d{1,2}\s*(?:https?://|www\.)|Copyright\s|©|\(c\)\s*(?:19|20)\d\d)"
)
"""A block that opens as a footnote ("⋆The first two authors", "1 http://...") or a copyright notice:
set in body type by some classes (LNCS, IEEE), it is no paragraph of the abstract."""
SHOUTED = re.compile(r"(?:TABLE OF )?CONTENTS|NOMENCLATURE|INDEX TERMS|KEY ?WORDS")
"""A heading in capitals after the abstract; not any short line in capitals, which may be a teaser
figure's label ("RPN") between two paragraphs of the abstract."""


def _abstract_body(parts: list[str], following: list[Block], size: float, tolerance: float) -> bool:
    """Add the abstract's paragraphs among `following` to `parts`; True when something ended it (the
    introduction, a numbered heading, the keywords, type `tolerance` points smaller than `size`)."""
    for nxt in following:
        if re.match(r"^(?:\d+\.?|[IVX]+\.?)\s+[A-Z][a-z]", nxt.text):
            return True  # a numbered heading ("1 Introduction", "II Background") ends the abstract
        if re.match(r"^(1\.?\s+|I\.\s+)?(Introduction|INTRODUCTION)\b", nxt.text) or (
            re.match(r"^(Keywords|Index Terms|CCS|Key words)", nxt.text)
        ):
            return True
        # a last sentence broken off at the column's foot ("outperforms state-") goes on in
        # the next column, past the footnotes and a teaser figure's caption and labels
        unfinished = bool(parts) and _broken_off(parts[-1])
        if parts and (AFTER_ABSTRACT.match(nxt.text) or SHOUTED.fullmatch(nxt.text.strip())):
            if unfinished:
                continue  # a footnote or a heading between the columns: the sentence goes on after it
            return True
        small = nxt.size < size - tolerance  # footnotes, a smaller "Code:" line
        aside = small or re.match(r"^(?:Figure|Fig\.|Table)\s*\d", nxt.text) or len(nxt.text.split()) < 4
        if aside and unfinished:
            continue
        if small:
            return True
        parts.append(nxt.text)
    return False


def _broken_off(text: str) -> bool:
    """A paragraph that stops mid-sentence: on a hyphen, a comma or a lower-case word (not an address)."""
    words = text.split()
    return (
        bool(words)
        and not re.search(r"://|www\.|\w\.\w+/", words[-1])
        and bool(re.search(r"[a-z,\-]$", words[-1]))
    )


def _clean_abstract(text: str) -> str:
    """The abstract without what runs on in its last block: the keywords or index terms, the
    introduction's heading, the arXiv stamp, and a short unfinished line after the last full stop (a
    footnote's mark, a bare URL, `Links: Web`, `Technical Report, September 2023`)."""
    keywords = r"(?<=[.!?])(?:\s*[\d*†‡§¶]{1,2})?\s+(?:Keywords|Key words|Index Terms|CCS Concepts)\b"
    text = re.split(keywords, text, maxsplit=1)[0]
    text = re.split(r"\s(?:1\.?|I\.)\s+(?:Introduction|INTRODUCTION)\b", text, maxsplit=1)[0]  # run in
    text = re.sub(r"\s*arXiv:\d{4}\.\d{4,5}(?:v\d+)?\s*\[[\w.\-]+\]\s*\d{1,2}\s+\w{3}\s+\d{4}", "", text)
    text = re.sub(r"([.!?][\"'”’)\]]*)\s*[\d*†‡§¶]{1,2}$", r"\1", text.strip())  # "... on COCO.1"
    ends = [
        m.end() for m in re.finditer(r"[.!?][\"'”’)\]]*\s+(?=[A-Z]|https?://|www\.)", text)
    ]  # not "e.g. a"
    last = ends[-1] if ends else 0
    tail = text[last:]
    url = re.search(r"https?://|www\.|github\.com", tail)
    lone_url = bool(url) and not re.sub(r"\S*(?:https?://|www\.|github\.com)\S*", "", tail).strip()
    ended = re.search(r"[.!?][\"'”’)\]]*$", text)
    if last and not ended and (lone_url or (not url and len(tail.split()) <= 5)):
        text = text[:last]  # "Source code: <url>" stays: it is the abstract's own last sentence
    return text.strip()


def _sections(doc: Any, blocks: list[list[Block]]) -> list[Section]:
    toc = [(t, int(p)) for _, t, p in doc.get_toc(simple=True) if int(p) >= 1]  # < 1: unresolved
    # an outline whose every entry points to one page of a longer paper lost its destinations: the
    # headings on the pages say more
    if toc and not (len(toc) > 2 and len({p for _, p in toc}) == 1 and doc.page_count > 2):
        return [Section(title=" ".join(str(t).split()), page=p) for t, p in toc][:300]
    sections: list[Section] = []
    for number, on_page in enumerate(blocks, start=1):
        sections += [Section(title=b.text, page=number) for b in on_page if is_heading(b)]
    return sections[:300]


def is_heading(block: Block) -> bool:
    """A numbered section heading (`3.2 Training`), not a numbered line of prose or a reference."""
    text = block.text
    if block.lines > 2 or len(text) >= 90 or not HEADING.match(text):
        return False
    return not re.search(r"\d\s*[,;=]|\.\.|\bet al\b", text)


# --- links and references ------------------------------------------------------------------------


def _page_links(page: Any, textpage: Any) -> list[tuple[str, str]]:
    """The page's link annotations: (URI, the text of the block the link sits in), read from the
    page's `textpage`."""
    import pymupdf

    links = [link for link in page.get_links() if link.get("uri")]
    if not links:
        return []
    blocks = [(pymupdf.Rect(b[:4]), b[4]) for b in page.get_text("blocks", textpage=textpage) if b[6] == 0]
    # the words the link is set on, from the page's words read once: `page.get_textbox` per link walks
    # every character of the page in Python and took two thirds of extraction on linked papers
    import numpy as np

    words = page.get_text("words", textpage=textpage)
    boxes = np.array([w[:4] for w in words], dtype=float).reshape(-1, 4)
    texts = [str(w[4]) for w in words]
    found = []
    for link in links:
        uri = link.get("uri")
        if not uri:
            continue
        where = pymupdf.Rect(link["from"])
        around = " ".join(next((text for rect, text in blocks if rect.intersects(where)), "").split())
        box = (where.x0, where.y0, where.x1, where.y1)
        # a word's box holds its punctuation ("code."), which belongs to the sentence, not the link
        anchor = " ".join(_words_inside(boxes, texts, box)).rstrip(".,;:!?")
        found.append((uri, sentence_around(around, anchor)))
    return found


def _words_inside(boxes: Any, texts: list[str], link: Box) -> list[str]:
    """The words the link is set on: at least half of a word's box lies in the link's box (numpy over
    the page's word boxes at once: a page has thousands, and box arithmetic per word and link in
    Python took a tenth of extraction)."""
    import numpy as np

    wide = np.clip(np.minimum(boxes[:, 2], link[2]) - np.maximum(boxes[:, 0], link[0]), 0, None)
    high = np.clip(np.minimum(boxes[:, 3], link[3]) - np.maximum(boxes[:, 1], link[1]), 0, None)
    shared = wide * high
    own = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return [texts[i] for i in np.flatnonzero((shared > 0) & (shared >= 0.5 * own))]


def _words(text: str) -> set[str]:
    import unicodedata

    normal = unicodedata.normalize("NFKC", text).lower()
    return {w for w in re.findall(r"[a-z0-9]+", normal) if len(w) >= 3}


def identity_problem(pdf: Path | Any, title: str) -> str | None:
    """None when the PDF's first pages (a file, or a document `open_pdf` opened) carry `title` (the
    arXiv metadata); else why it is another paper.

    A PDF without a text layer cannot be checked and passes.
    """
    wanted = _words(title)
    if not wanted:
        return None
    with _document(pdf) as doc:
        text = " ".join(doc[i].get_text() for i in range(min(2, doc.page_count)))
    if len(text.strip()) < 200:
        return None
    found = _words(text)
    share = len(wanted & found) / len(wanted)
    if share >= 0.6:
        return None
    first = " ".join(text.split())[:80]
    return (
        f"the PDF is a different paper: its first page does not carry the title {title!r} "
        f"(it starts {first!r})"
    )
