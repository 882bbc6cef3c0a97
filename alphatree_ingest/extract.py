"""PyMuPDF extraction: title, abstract, sections, figures with captions; links and references are
parsed from its text by `references`.

Pure with respect to the catalog: reads one PDF, optionally writes figure PNGs to a folder.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .models import Extraction, Figure, Section
from .references import find_code_links, find_references

logger = logging.getLogger(__name__)

MAX_PAGES = 120
"""Longer documents are read up to this page: bounded time and memory."""
FIGURE_DPI = 150

CAPTION = re.compile(
    r"^\s*(?:Figure|FIGURE|Fig\.?|FIG\.?)\s*((?:[A-Z]\.?)?\d+(?:\.\d+)?)\s*(?:[:.|]|\s[-–—]\s)",
)
TABLE_CAPTION = re.compile(r"^\s*(?:Table|TABLE)\s*(?:[A-Z]\.?)?\d+")
HEADING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[A-Z]\.(?:\d+\.?)*)\s+[A-Z][^\n]{1,80}$")
DIAGRAM_WORDS = re.compile(
    r"\b(architecture|overview|framework|pipeline|diagram|structure|illustration|schematic|"
    r"module|block|network|model|design|flow)\b",
    re.IGNORECASE,
)


class ExtractError(RuntimeError):
    """The PDF cannot be read (damaged, encrypted, empty); the message says which."""


Box = tuple[float, float, float, float]


@dataclass
class _Block:
    box: Box
    text: str
    """Lines joined into running text (hyphenation undone)."""
    raw: str
    """Lines joined by newlines, as laid out."""
    lines: int
    size: float


def _union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _overlap(a: Box, b: Box) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def open_pdf(path: Path) -> Any:
    """Open a PDF with PyMuPDF. Raises ExtractError for damaged, encrypted or page-less files."""
    import pymupdf

    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as err:
        raise ExtractError(f"{path.name} is not a readable PDF ({err})") from None
    if doc.needs_pass:
        doc.close()
        raise ExtractError(f"{path.name} is encrypted with a password")
    if doc.page_count == 0:
        doc.close()
        raise ExtractError(f"{path.name} has no pages")
    return doc


def extract(pdf: Path, out_dir: Path | None = None, *, prefix: str = "fig") -> Extraction:
    """Read `pdf`; with `out_dir`, write each figure as `<prefix>-<number>.png` there (figures of an
    earlier extraction into that folder are removed first)."""
    doc = open_pdf(pdf)
    if out_dir is not None:
        for stale in out_dir.glob(f"{prefix}-*.png"):
            stale.unlink()
    try:
        pages = [doc[i] for i in range(min(doc.page_count, MAX_PAGES))]
        blocks = [_blocks(p) for p in pages]
        if not any(blocks):
            logger.info("%s has no text layer (scanned?)", pdf.name)
        title, abstract = _title_and_abstract(blocks[0], doc.metadata or {})
        figures = []
        for number, page in enumerate(pages, start=1):
            figures.extend(_figures(page, number, blocks[number - 1], out_dir, prefix))
        full_text = ["\n".join(b.raw for b in page_blocks) for page_blocks in blocks]
        return Extraction(
            title=title,
            abstract=abstract,
            pages=doc.page_count,
            sections=_sections(doc, blocks),
            figures=_dedupe_figures(figures),
            code_links=find_code_links(full_text, [_page_links(p) for p in pages]),
            references=find_references(["\n\n".join(b.raw for b in page_blocks) for page_blocks in blocks]),
        )
    finally:
        doc.close()


def _blocks(page: Any) -> list[_Block]:
    result = []
    for block in page.get_text("dict", flags=0)["blocks"]:
        if block.get("type") != 0:
            continue
        lines: list[str] = []
        sizes: list[float] = []
        for line in block["lines"]:
            text = "".join(span["text"] for span in line["spans"]).strip()
            if text:
                lines.append(text)
                sizes.extend(span["size"] for span in line["spans"] if span["text"].strip())
        if lines:
            text = _join_lines(lines)
            result.append(_Block(tuple(block["bbox"]), text, "\n".join(lines), len(lines), max(sizes)))
    return result


def _join_lines(lines: list[str]) -> str:
    text = ""
    for line in lines:
        if text.endswith("-") and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


def _title_and_abstract(first: list[_Block], metadata: dict[str, str]) -> tuple[str, str]:
    title = (metadata.get("title") or "").strip()
    top = [b for b in first if b.box[1] < 400 and len(b.text) > 3 and not b.text.startswith("arXiv:")]
    if not title and top:
        biggest = max(b.size for b in top)
        title = " ".join(b.text for b in top if b.size >= biggest - 0.5)
    abstract = ""
    for i, block in enumerate(first):
        head = block.text.lstrip()
        if re.match(r"^(Abstract|ABSTRACT)\b", head):
            body = re.sub(r"^(Abstract|ABSTRACT)\s*[.:—-]?\s*", "", head)
            parts = [body] if body else []
            for nxt in first[i + 1 :]:
                if re.match(r"^(1\.?\s+|I\.\s+)?(Introduction|INTRODUCTION)\b", nxt.text) or (
                    re.match(r"^(Keywords|Index Terms|CCS)", nxt.text)
                ):
                    break
                if nxt.size < block.size - 2.5:  # footnotes
                    break
                parts.append(nxt.text)
            abstract = " ".join(parts)
            break
    return " ".join(title.split())[:500], " ".join(abstract.split())[:6000]


def _sections(doc: Any, blocks: list[list[_Block]]) -> list[Section]:
    toc = doc.get_toc(simple=True)
    if toc:
        return [Section(title=" ".join(str(t).split()), page=max(1, int(p))) for _, t, p in toc][:300]
    sections: list[Section] = []
    for number, page_blocks in enumerate(blocks, start=1):
        for block in page_blocks:
            if block.lines <= 2 and HEADING.match(block.text) and len(block.text) < 90:
                if not re.search(r"\d\s*[,;=]|\.\.|\bet al\b", block.text):
                    sections.append(Section(title=block.text, page=number))
    return sections[:300]


# --- figures -------------------------------------------------------------------------------------


def _graphics(page: Any, text_blocks: list[_Block]) -> list[tuple[Box, str]]:
    """Drawing clusters and images on the page, without highlights and rules behind body text."""
    items: list[tuple[Box, str]] = []
    page_box = tuple(page.rect)
    for info in page.get_image_info():
        box = tuple(info["bbox"])
        if _area(box) > 4:
            items.append((box, "image"))
    try:
        clusters = page.cluster_drawings()
    except Exception:  # a damaged content stream: no vector graphics
        clusters = []
    prose = [b.box for b in text_blocks if len(b.text) > 60]
    for rect in clusters:
        box = tuple(rect)
        if _area(box) < 4 or _overlap(box, page_box) < 0.5 * _area(box):
            continue
        # highlights behind text: mostly covered by one prose block
        if any(_overlap(box, p) > 0.6 * _area(box) for p in prose):
            continue
        items.append((box, "vector"))
    return items


def _two_columns(blocks: list[_Block], width: float) -> bool:
    """Whether the page's running text is set in two columns (most prose blocks are narrow)."""
    prose = [b for b in blocks if len(b.text) > 100 and b.lines >= 2]
    if not prose:
        return False
    narrow = sum(1 for b in prose if (b.box[2] - b.box[0]) < 0.55 * width)
    return narrow > len(prose) / 2


def _is_prose(block: _Block, column_width: float) -> bool:
    width = block.box[2] - block.box[0]
    return len(block.text) > 100 and block.lines >= 2 and width > 0.55 * column_width


def _figures(page: Any, number: int, blocks: list[_Block], out_dir: Path | None, prefix: str) -> list[Figure]:
    captions = [b for b in blocks if CAPTION.match(b.text)]
    if not captions:
        return []
    graphics = _graphics(page, blocks)
    width = page.rect.width
    two_columns = _two_columns(blocks, width)
    stops = [b for b in blocks if TABLE_CAPTION.match(b.text)] + captions
    figures = []
    for cap in captions:
        match = CAPTION.match(cap.text)
        assert match
        full = (
            not two_columns
            or (cap.box[2] - cap.box[0]) > 0.55 * width
            or (cap.box[0] < width * 0.4 and cap.box[2] > width * 0.6)
        )
        col = (
            (0.0, width)
            if full
            else (
                (0.0, width / 2 + 5) if (cap.box[0] + cap.box[2]) / 2 < width / 2 else (width / 2 - 5, width)
            )
        )
        column_width = col[1] - col[0]
        region = _grow(cap, graphics, blocks, stops, col, column_width, above=True)
        if region is None:
            region = _grow(cap, graphics, blocks, stops, col, column_width, above=False)
        if region is None:
            continue
        box, vector_area, image_area = region
        file = None
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            file = f"{prefix}-{match.group(1)}.png"
            import pymupdf

            pix = page.get_pixmap(clip=pymupdf.Rect(box), dpi=FIGURE_DPI)
            pix.save(str(out_dir / file))
        caption = " ".join(cap.text.split())[:2000]
        figures.append(
            Figure(
                number=match.group(1),
                page=number,
                bbox=(round(box[0], 2), round(box[1], 2), round(box[2], 2), round(box[3], 2)),
                caption=caption,
                file=file,
                is_diagram=vector_area >= image_area and bool(DIAGRAM_WORDS.search(caption[:200])),
            )
        )
    return figures


def _grow(
    cap: _Block,
    graphics: list[tuple[Box, str]],
    blocks: list[_Block],
    stops: list[_Block],
    col: tuple[float, float],
    column_width: float,
    *,
    above: bool,
) -> tuple[Box, float, float] | None:
    """The figure region next to a caption: graphics and labels up to the nearest prose or caption."""

    def in_col(b: Box) -> bool:
        return b[2] > col[0] + 2 and b[0] < col[1] - 2

    barriers = [
        b for b in blocks if b is not cap and in_col(b.box) and (_is_prose(b, column_width) or b in stops)
    ]
    if above:
        limit = max((b.box[3] for b in barriers if b.box[3] <= cap.box[1] + 1), default=0.0)
        band = (limit, cap.box[1] + 1)
    else:
        limit = min((b.box[1] for b in barriers if b.box[1] >= cap.box[3] - 1), default=1e9)
        band = (cap.box[3] - 1, limit)
    picked = [(g, kind) for g, kind in graphics if in_col(g) and g[1] >= band[0] - 2 and g[3] <= band[1] + 2]
    if not picked:
        return None
    boxes = [g for g, _ in picked]
    core = _union(boxes)
    labels = [
        b.box
        for b in blocks
        if b is not cap
        and b not in barriers
        and in_col(b.box)
        and b.box[1] >= band[0] - 1
        and b.box[3] <= band[1] + 1
        and _overlap(b.box, (core[0] - 30, core[1] - 30, core[2] + 30, core[3] + 30)) > 0
    ]
    box = _union(boxes + labels)
    box = (max(box[0], col[0]), max(box[1], band[0]), min(box[2], col[1]), min(box[3], band[1]))
    if _area(box) < 400:
        return None
    vector = sum(_area(g) for g, kind in picked if kind == "vector")
    image = sum(_area(g) for g, kind in picked if kind == "image")
    return box, vector, image


def _dedupe_figures(figures: list[Figure]) -> list[Figure]:
    """One figure per number: a caption repeated or referenced twice keeps its first region."""
    seen: set[str] = set()
    result = []
    for fig in figures:
        if fig.number not in seen:
            seen.add(fig.number)
            result.append(fig)
    return result


# --- links and references ------------------------------------------------------------------------


def _page_links(page: Any) -> list[tuple[str, str]]:
    """The page's link annotations: (URI, the text of the block the link sits in)."""
    import pymupdf

    blocks = [(pymupdf.Rect(b[:4]), b[4]) for b in page.get_text("blocks") if b[6] == 0]
    found = []
    for link in page.get_links():
        uri = link.get("uri")
        if not uri:
            continue
        where = pymupdf.Rect(link["from"])
        around = next((text for rect, text in blocks if rect.intersects(where)), "")
        found.append((uri, " ".join(around.split())))
    return found


def _words(text: str) -> set[str]:
    import unicodedata

    normal = unicodedata.normalize("NFKC", text).lower()
    return {w for w in re.findall(r"[a-z0-9]+", normal) if len(w) >= 3}


def identity_problem(pdf: Path, title: str) -> str | None:
    """None when the PDF's first pages carry `title` (the arXiv metadata); else why it is another paper.

    A PDF without a text layer cannot be checked and passes.
    """
    wanted = _words(title)
    if not wanted:
        return None
    doc = open_pdf(pdf)
    try:
        text = " ".join(doc[i].get_text() for i in range(min(2, doc.page_count)))
    finally:
        doc.close()
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
