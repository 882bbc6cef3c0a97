"""Figures of a page from their captions: the region a reader would crop, and what kind of figure it is.

Regions grow from the caption over the page's graphics (vector drawing clusters, embedded images) and
the short labels among them, up to the nearest running text, caption or page furniture (running heads,
page numbers, the arXiv stamp), within the caption's column; side-by-side captions split their band.
The kind (`architecture`, `plot`, `images`, `other`) is read from the region's structure (boxes and
arrows, axes and numeric ticks, photographs) with the caption's wording as one signal among several.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..models import Figure, FigureKind
from .layout import CAPTION, Block, Box, area, grow, is_furniture, overlap, union

FIGURE_DPI = 150
MAX_PIXELS = 16_000_000
"""Most pixels of any render: a giant page (PDF allows 200 inches a side) is drawn at a lower
resolution instead of taking gigabytes, or failing in MuPDF's own limits."""


_DRAWN: tuple[Any, Any] | None = None
"""The page last drawn and its display list: a page's renders (each figure at 150 dpi, each raster's
colours at 18 dpi) share one list instead of reading the page's contents again for each."""


def _display_list(page: Any) -> Any:
    global _DRAWN
    drawn = _DRAWN
    if drawn is not None and drawn[0] is page:
        return drawn[1]
    listed = page.get_displaylist(annots=False)
    _DRAWN = (page, listed)
    return listed


def forget_drawn() -> None:
    """Let the last page's display list go (at the end of a document)."""
    global _DRAWN
    _DRAWN = None


def render_clip(page: Any, box: Box, dpi: float, *, colorspace: Any = None) -> Any:
    """A pixmap of `box` at `dpi`, or lower when that would exceed MAX_PIXELS, drawn as
    `page.get_pixmap(clip=..., dpi=..., annots=False)` draws it, from the page's display list.
    Raises RuntimeError when MuPDF cannot draw it (the caller drops that render, never the paper)."""
    import pymupdf

    inches = max(1e-6, (box[2] - box[0]) / 72) * max(1e-6, (box[3] - box[1]) / 72)
    dpi = max(1, int(min(dpi, (MAX_PIXELS / inches) ** 0.5)))
    try:
        pix = _display_list(page).get_pixmap(
            matrix=pymupdf.Matrix(dpi / 72, dpi / 72),
            colorspace=colorspace or pymupdf.csRGB,
            alpha=False,
            clip=pymupdf.Rect(box),
        )
        pix.set_dpi(dpi, dpi)
        return pix
    except Exception as err:  # MuPDF's limits (FzErrorLimit) and broken content alike
        raise RuntimeError(f"page {page.number + 1} cannot be drawn: {err}") from None


LOOSE_CAPTION = re.compile(r"^\s*(?:Figure|FIGURE|Fig\.?|FIG\.?)\s*((?:[A-Z]\.?)?\d+(?:\.\d+)?)\s+(?=[A-Z(])")
"""`Fig. 3 Overview of ...` without punctuation: a caption when its label is bold (Springer style)."""
TABLE_CAPTION = re.compile(r"^\s*(?:Table|TABLE|Tab\.)\s*(?:[A-Z]\.?)?\d+")

STRONG_ARCH = re.compile(
    r"\b(architectures?|overview|framework|pipeline|(?<!scatter )(?<!venn )(?<!bar )diagram|schematic|"
    r"flow ?chart|workflow|"
    r"overall (structure|design|model)|network structure|building blocks?|structure of)\b",
    re.IGNORECASE,
)
WEAK_ARCH = re.compile(
    r"\b(modules?|blocks?|design|units?|cells?|layers?|encoder|decoder|branch|head|backbone|"
    r"illustrations?|procedure|mechanism|stages?|connections?|structures?)\b",
    re.IGNORECASE,
)
PLOT_WORDS = re.compile(
    r"\b(curves?|plots?|scatter|accuracy|error|errors|loss|vs\.?|versus|comparison|compared|trade-?off|"
    r"histograms?|distributions?|performance|convergence|flops|latency|speed|top-?1|map|ap|rate|"
    r"score|scores|results? of|as a function|number of|ratio|correlation|scaling)\b",
    re.IGNORECASE,
)
IMAGE_WORDS = re.compile(
    r"\b(examples?|samples?|generated|visuali[sz]ations?|qualitative|images|photos?|pictures?|faces|"
    r"detections?|predictions|outputs|inputs|failure cases|interpolations?|reconstructions?|"
    r"results on|frames?)\b",
    re.IGNORECASE,
)
OTHER_WORDS = re.compile(
    r"\b(illustrat\w*|intuition|idea|concept\w*|example of|toy|sketch|schematic view|geometr\w*|"
    r"depict\w*|we show how|motivation|comparison of (?:the )?(?:ideas?|approaches))\b",
    re.IGNORECASE,
)
NUMBER = re.compile(r"^[-+−]?\(?\d+([.,]\d+)*[%×x]?\)?[,.]?$|^\d+[kKmMbB]$|^10[-−]?\d*$")


@dataclass
class Graphic:
    box: Box
    kind: str
    """`vector` (a cluster of drawings) or `image` (an embedded raster)."""


@dataclass
class PageLayout:
    """What figure finding needs of one page."""

    width: float
    height: float
    blocks: list[Block]
    graphics: list[Graphic]
    top: float = 0.0
    """Bottom edge of the running head band (page furniture above it)."""
    bottom: float = 1e9
    """Top edge of the page-number / footer band."""
    furniture: list[Block] = field(default_factory=list)
    drawings: list[Any] = field(default_factory=list)
    """The page's vector paths (read once: clustering and kinds both use them)."""
    shapes: list[tuple[float, float, float, float, bool]] | None = None
    """The paths as plain boxes, with whether each is a closed box (see `_shapes`)."""
    path_stats: list[tuple[float, float, float, float, int, bool, bool, bool]] | None = None
    """The paths as (x0, y0, x1, y1, curve segments, filled, arrow head, tick) (see `_path_stats`)."""


def caption_number(block: Block) -> str | None:
    """The figure number a caption block starts with, or None when the block is no caption."""
    match = CAPTION.match(block.text)
    if match:
        return match.group(1)
    match = LOOSE_CAPTION.match(block.text)
    return match.group(1) if match and block.bold_start else None


def read_layout(page: Any, blocks: list[Block], furniture_ids: set[int] | None = None) -> PageLayout:
    """Blocks, graphics and page furniture of a page (`furniture_ids`: found over the whole document)."""
    width, height = page.rect.width, page.rect.height
    furniture = [
        b
        for b in blocks
        if (id(b) in furniture_ids if furniture_ids is not None else is_furniture(b, height))
    ]
    top = max((b.box[3] for b in furniture if b.box[3] <= 0.12 * height and not b.vertical), default=0.0)
    bottom = min((b.box[1] for b in furniture if b.box[1] >= 0.9 * height and not b.vertical), default=height)
    body = [b for b in blocks if b not in furniture]
    try:
        drawings = _drawings(page)
    except Exception:  # a damaged content stream: no vector graphics
        drawings = []
    layout = PageLayout(width, height, body, [], top, bottom, furniture, drawings)
    layout.graphics = _graphics(page, layout)
    return layout


def _drawings(page: Any) -> list[dict[str, Any]]:
    """The page's vector paths as `get_drawings` gives them, for what this module reads (each path's
    `rect` as a Rect, its items' commands, `fill`, `closePath`), without turning every point of every
    item into a Point object: `get_drawings` spent most of a figure-heavy page's layout time on that."""
    import pymupdf

    paths: list[dict[str, Any]] = page.get_cdrawings()
    for path in paths:
        path["rect"] = pymupdf.Rect(path["rect"])
    return paths


def _graphics(page: Any, layout: PageLayout) -> list[Graphic]:
    """Images and drawing clusters, without highlights behind text, lone rules and page furniture."""
    items: list[Graphic] = []
    page_box = tuple(page.rect)
    for info in page.get_image_info():
        box = tuple(info["bbox"])
        if area(box) > 4 and overlap(box, page_box) > 0.5 * area(box) and not _in_furniture(box, layout):
            items.append(Graphic(box, "image"))
    try:
        text = [b.box for b in layout.blocks if (len(b.text) > 100 and b.lines >= 2) or caption_number(b)]
        kept = [d for d in layout.drawings if not _hidden_sheet(d, text)]
        clusters = cluster_rects([d["rect"] for d in kept], page_box)
    except Exception:  # a damaged content stream: no vector graphics
        clusters = []
    prose = [b.box for b in layout.blocks if len(b.text) > 60]
    for rect in clusters:
        box = tuple(rect)
        if area(box) < 4 or overlap(box, page_box) < 0.5 * area(box) or _in_furniture(box, layout):
            continue
        if min(box[2] - box[0], box[3] - box[1]) < 2.5:  # a lone rule: tables, separators, headers
            continue
        if any(overlap(box, p) > 0.6 * area(box) for p in prose):  # a highlight behind text
            continue
        items.append(Graphic(box, "vector"))
    return items


def cluster_rects(rects: list[Any], page_box: Box, tolerance: float = 3.0) -> list[Box]:
    """Boxes of drawings that lie together: the paths within `page_box`, joined while a path comes
    within `tolerance` of the growing box, keeping boxes wider and taller than `tolerance`. The same
    clusters as PyMuPDF's `Page.cluster_drawings`, whose pairwise loop in Python grows with the square
    of a page's paths (a scatter plot has thousands): 6.3 s against 1.0 s here on 1218 devset pages
    (`bench/cluster_speed.py`), about 3% of extraction's time on the speed bench's six papers. Here
    each growing step tests all paths at once. Rects are normalised first (`get_cdrawings` gives them so;
    PyMuPDF would drop one with its corners swapped)."""
    import numpy as np

    if not rects:
        return []
    boxes = np.array([tuple(r) for r in rects], dtype=float).reshape(-1, 4)
    inside = (
        (boxes[:, 0] >= page_box[0])
        & (boxes[:, 2] <= page_box[2])
        & (boxes[:, 1] >= page_box[1])
        & (boxes[:, 3] <= page_box[3])
    )
    boxes = boxes[inside]
    boxes = np.column_stack(
        (
            np.minimum(boxes[:, 0], boxes[:, 2]),
            np.minimum(boxes[:, 1], boxes[:, 3]),
            np.maximum(boxes[:, 0], boxes[:, 2]),
            np.maximum(boxes[:, 1], boxes[:, 3]),
        )
    )
    boxes = boxes[np.lexsort((boxes[:, 0], boxes[:, 3]))]  # seeds from the top, as PyMuPDF takes them
    free = np.ones(len(boxes), dtype=bool)
    found: set[Box] = set()
    while free.any():
        seed = int(np.argmax(free))
        free[seed] = False
        x0, y0, x1, y1 = boxes[seed]
        while True:
            near = (
                free
                & (boxes[:, 2] >= x0 - tolerance)
                & (boxes[:, 0] <= x1 + tolerance)
                & (boxes[:, 3] >= y0 - tolerance)
                & (boxes[:, 1] <= y1 + tolerance)
            )
            if not near.any():
                break
            free &= ~near
            joined = boxes[near]
            x0, y0 = min(x0, joined[:, 0].min()), min(y0, joined[:, 1].min())
            x1, y1 = max(x1, joined[:, 2].max()), max(y1, joined[:, 3].max())
        found.add((float(x0), float(y0), float(x1), float(y1)))
    return sorted(
        (b for b in found if b[2] - b[0] > tolerance and b[3] - b[1] > tolerance), key=lambda b: (b[3], b[0])
    )


def _hidden_sheet(path: dict[str, Any], text: list[Box]) -> bool:
    """A white fill with no stroke (a figure's background sheet, invisible on the page) that lies
    over a caption or a paragraph (`text`): it reaches past the drawing and would take that text into
    the figure. A sheet clear of the text stays: it spans the figure's axis labels and titles."""
    fill = path.get("fill")
    if path.get("color") is not None or not fill or min(fill) < 0.99:
        return False
    rect = tuple(path["rect"])
    return any(overlap(rect, box) > 0.2 * area(box) for box in text)


def _in_furniture(box: Box, layout: PageLayout) -> bool:
    return box[3] <= layout.top + 3 or box[1] >= layout.bottom - 3


def _two_columns(blocks: list[Block], width: float) -> bool:
    """Whether the page's running text is set in two columns (most prose blocks are narrow)."""
    prose = [b for b in blocks if len(b.text) > 100 and b.lines >= 2]
    if not prose:
        return False
    narrow = sum(1 for b in prose if (b.box[2] - b.box[0]) < 0.55 * width)
    return narrow > len(prose) / 2


def _is_prose(block: Block, column_width: float) -> bool:
    width = block.box[2] - block.box[0]
    return len(block.text) > 100 and block.lines >= 2 and width > 0.55 * column_width


def _column(cap: Block, layout: PageLayout, captions: list[Block], two_columns: bool) -> tuple[float, float]:
    """The horizontal span a caption's figure may take: its column, split with side-by-side captions."""
    width = layout.width
    full = (
        not two_columns
        or (cap.box[2] - cap.box[0]) > 0.55 * width
        or (cap.box[0] < width * 0.4 and cap.box[2] > width * 0.6)
        # a short caption centred on the page ("Figure 2: Object detector.") is under a full-width
        # figure: a column's caption is centred on its column, a quarter of the page away
        or abs((cap.box[0] + cap.box[2]) / 2 - width / 2) < 0.04 * width
    )
    if full:
        left, right = 0.0, width
    elif (cap.box[0] + cap.box[2]) / 2 < width / 2:
        left, right = 0.0, width / 2 + 5
    else:
        left, right = width / 2 - 5, width
    return left, right


def _siblings(cap: Block, captions: list[Block], col: tuple[float, float]) -> list[Block]:
    """Captions side by side with this one in its column (each under its own figure)."""
    return [
        other
        for other in captions
        if other is not cap
        and _side_by_side(cap, other)
        and col[0] < (other.box[0] + other.box[2]) / 2 < col[1]
    ]


def _nearest(box: Box, cap: Block, siblings: list[Block]) -> bool:
    """Whether, of side-by-side captions, this one is horizontally nearest to the box."""
    centre = (box[0] + box[2]) / 2

    def distance(b: Block) -> float:
        return abs(centre - (b.box[0] + b.box[2]) / 2)

    return all(distance(cap) <= distance(other) for other in siblings)


def _side_by_side(a: Block, b: Block) -> bool:
    """Two captions on one line of the page, each under its own figure."""
    vertical = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    disjoint = a.box[2] <= b.box[0] + 2 or b.box[2] <= a.box[0] + 2
    return disjoint and vertical > -12 and abs(a.box[1] - b.box[1]) < 40


@dataclass
class Region:
    box: Box
    graphics: list[Graphic]
    labels: list[Block]


def _region(
    cap: Block,
    layout: PageLayout,
    col: tuple[float, float],
    stops: list[Block],
    *,
    above: bool,
    siblings: list[Block] | None = None,
) -> Region | None:
    """The figure next to a caption: graphics and their labels up to the nearest prose, caption or
    page furniture, within the column (shared with side-by-side captions by nearness)."""
    column_width = col[1] - col[0]
    siblings = siblings or []

    def in_col(b: Box) -> bool:
        inside = min(b[2], col[1]) - max(b[0], col[0])
        return inside > 0.6 * max(1.0, b[2] - b[0]) and _nearest(b, cap, siblings)

    def across(b: Box) -> bool:
        """Text that crosses the column (a full-width caption or paragraph) bounds it too."""
        inside = min(b[2], col[1]) - max(b[0], col[0])
        return inside > min(0.6 * max(1.0, b[2] - b[0]), 0.3 * column_width) and _nearest(b, cap, siblings)

    barriers = [
        b
        for b in layout.blocks
        if b is not cap and b not in siblings and across(b.box) and (_is_prose(b, column_width) or b in stops)
    ]
    if above:
        limit = max((b.box[3] for b in barriers if b.box[3] <= cap.box[1] + 2), default=0.0)
        limit = max(limit, _table_below(limit, barriers, layout, cap, across))
        band = (max(limit, layout.top), cap.box[1] + 2)
    else:
        limit = min((b.box[1] for b in barriers if b.box[1] >= cap.box[3] - 2), default=1e9)
        band = (cap.box[3] - 2, min(limit, layout.bottom))
    picked = [g for g in layout.graphics if in_col(g.box) and _inside_band(g.box, band)]
    if not picked:
        return None
    if not above and min(g.box[1] for g in picked) - cap.box[3] > 30:
        return None  # a caption above its figure sits right on top of it
    core = union([g.box for g in picked])
    labels = _labels(layout, cap, barriers, band, in_col, core)
    box = union([core] + [b.box for b in labels])
    box = (max(box[0], col[0]), max(box[1], band[0]), min(box[2], col[1]), min(box[3], band[1]))
    if area(box) < 400 or any(overlap(box, s.box) > 0.5 * area(s.box) for s in siblings):
        return None
    return Region(box, picked, labels)


def _table_below(limit: float, barriers: list[Block], layout: PageLayout, cap: Block, across: Any) -> float:
    """When the barrier above is a table caption (tables put theirs on top), the bottom of that
    table: the rows, and the grid of rules around them, that follow it without a gap; the first
    drawing that is more than rules belongs to the figure and stops it."""
    top = next((b for b in barriers if abs(b.box[3] - limit) < 0.5 and TABLE_CAPTION.match(b.text)), None)
    if top is None:
        return limit
    figure_art = [g.box for g in layout.graphics if not _only_rules(g.box, layout)]
    pieces = sorted(
        [b.box for b in layout.blocks if b is not cap and across(b.box)]
        + [g.box for g in layout.graphics if across(g.box)],
        key=lambda box: box[1],
    )
    bottom = limit
    for box in pieces:
        if box[1] >= cap.box[1] or box[1] > bottom + 16:
            break
        if box in figure_art or any(overlap(box, grow(art, 4)) > 0 for art in figure_art):
            break  # the figure begins
        bottom = max(bottom, box[3])
    return bottom


def _only_rules(box: Box, layout: PageLayout) -> bool:
    """A drawing made of straight rules only (a table's grid), no boxes, fills or curves."""
    x0, y0, x1, y1 = box
    inside = [
        s for s in _shapes(layout) if s[0] >= x0 - 1 and s[1] >= y0 - 1 and s[2] <= x1 + 1 and s[3] <= y1 + 1
    ]
    return bool(inside) and all(min(s[2] - s[0], s[3] - s[1]) < 1.5 for s in inside)


def _inside_band(box: Box, band: tuple[float, float]) -> bool:
    """Most of the box lies in the vertical band (graphics may touch a caption or a neighbour)."""
    height = max(1.0, box[3] - box[1])
    inside = min(box[3], band[1]) - max(box[1], band[0])
    return inside >= 0.8 * height or (box[1] >= band[0] - 3 and box[3] <= band[1] + 3)


def _labels(
    layout: PageLayout, cap: Block, barriers: list[Block], band: tuple[float, float], in_col: Any, core: Box
) -> list[Block]:
    """Short text blocks in and around the graphics: axis labels, legends, sub-labels, box texts."""
    candidates = [
        b
        for b in layout.blocks
        if b is not cap
        and b not in barriers
        and in_col(b.box)
        and b.box[1] >= band[0] - 1
        and b.box[3] <= band[1] + 1
        and not (b.lines > 3 and (b.box[2] - b.box[0]) > 0.9 * (core[2] - core[0]) and len(b.text) > 200)
    ]
    chosen: list[Block] = []
    reach = core
    for _ in range(3):  # labels next to labels: (a)/(b) under a row of panels
        more = [b for b in candidates if b not in chosen and overlap(b.box, grow(reach, 14)) > 0]
        if not more:
            break
        chosen += more
        reach = union([reach] + [b.box for b in more])
    return chosen


def _trim(page: Any, box: Box) -> Box:
    """The box without white margins (embedded images often carry some), read from a small render."""
    import pymupdf

    try:
        pix = render_clip(page, box, 48, colorspace=pymupdf.csGRAY)
    except RuntimeError:
        return box
    return _content_box(pix, box)


def _trim_render(pix: Any, box: Box) -> tuple[Box, Any]:
    """The trimmed box and the render cut to it (the PNG shows exactly the box)."""
    import pymupdf

    gray = pymupdf.Pixmap(pymupdf.csGRAY, pix) if pix.n > 1 else pymupdf.Pixmap(pix)
    gray.shrink(1)  # half the resolution is plenty to find the margins
    trimmed = _content_box(gray, box)
    if trimmed == box:
        return box, pix
    sx, sy = pix.width / max(1e-6, box[2] - box[0]), pix.height / max(1e-6, box[3] - box[1])
    x0, y0 = int((trimmed[0] - box[0]) * sx), int((trimmed[1] - box[1]) * sy)
    x1, y1 = int(round((trimmed[2] - box[0]) * sx)), int(round((trimmed[3] - box[1]) * sy))
    irect = pymupdf.IRect(pix.x + x0, pix.y + y0, pix.x + max(x1, x0 + 1), pix.y + max(y1, y0 + 1))
    cut = pymupdf.Pixmap(pix.colorspace, irect, pix.alpha)
    cut.copy(pix, irect)
    return trimmed, cut


def _content_box(pix: Any, box: Box) -> Box:
    """The part of `box` whose render (grayscale `pix`) is not white."""
    w, h, stride, samples = pix.width, pix.height, pix.stride, pix.samples
    if w < 3 or h < 3:
        return box
    rows = [y for y in range(h) if min(samples[y * stride : y * stride + w]) < 230]
    cols = [x for x in range(w) if min(samples[x : h * stride : stride]) < 230]
    if not rows or not cols:
        return box
    sx, sy = (box[2] - box[0]) / w, (box[3] - box[1]) / h
    return (
        box[0] + cols[0] * sx,
        box[1] + rows[0] * sy,
        box[0] + (cols[-1] + 1) * sx,
        box[1] + (rows[-1] + 1) * sy,
    )


# --- kinds ---------------------------------------------------------------------------------------


@dataclass
class RegionEvidence:
    """What the region holds, for telling an architecture diagram from a plot or a photo grid."""

    words: list[str]
    image_share: float
    boxes: int
    long_lines: int
    photo_like: float
    """Share of the region's raster area that looks photographic (many colours, little white)."""
    raster: tuple[float, float] | None = None
    """Colour variety and white share of the region's rasters (area-weighted), None without rasters."""


def _shapes(layout: PageLayout) -> list[tuple[float, float, float, float, bool]]:
    """Each vector path of the page as (x0, y0, x1, y1, closed box), computed once per page."""
    if layout.shapes is None:
        layout.shapes = []
        for drawing in layout.drawings:
            r = drawing["rect"]
            items = drawing["items"]
            closed = bool(drawing.get("closePath")) and len(items) >= 3
            is_box = closed or any(item[0] in ("re", "qu") for item in items)
            layout.shapes.append((r.x0, r.y0, r.x1, r.y1, is_box))
    return layout.shapes


def _path_stats(layout: PageLayout) -> list[tuple[float, float, float, float, int, bool, bool, bool]]:
    """Each vector path as (box, curve segments, filled, arrow head, tick): an arrow head is a small
    filled closed path of two to four straight segments, a tick a lone straight stroke of 5 pt or less."""
    if layout.path_stats is None:
        layout.path_stats = []
        for drawing in layout.drawings:
            r = drawing["rect"]
            items = drawing["items"]
            curves = sum(1 for item in items if item[0] == "c")
            filled = drawing.get("fill") is not None
            small = (r.x1 - r.x0) <= 12 and (r.y1 - r.y0) <= 12 and max(r.x1 - r.x0, r.y1 - r.y0) >= 2
            head = (
                small
                and filled
                and 2 <= len(items) <= 4
                and all(item[0] == "l" for item in items)
                and (bool(drawing.get("closePath")) or len(items) >= 3)
            )
            tick = len(items) == 1 and items[0][0] == "l" and max(r.x1 - r.x0, r.y1 - r.y0) <= 5
            layout.path_stats.append((r.x0, r.y0, r.x1, r.y1, curves, filled, head, tick))
    return layout.path_stats


DIMENSIONS = re.compile(r"\b\d+\s*[×xX*]\s*\d+\b")
SUBLABEL = re.compile(r"^\(?[a-h]\)$")


def kind_features(
    page: Any, region: Region, layout: PageLayout, caption: str, number: int
) -> dict[str, float]:
    """What the model of figure kinds (`kinds.py`) reads of one figure.

    Caption: `cap_arch` how plainly its opening says architecture (`architecture_words`), `cap_arch_any`
    a strong architecture word anywhere in its first sentence, `cap_plot`, `cap_image`, `cap_other`
    counts of plot, sample/photo and idea words, `cap_parts` a caption in parts one of which opens on a
    structure. Rasters: `image_share` of the region, `photo_like`, `colour_variety`, `white_share`,
    `images` (count). Drawing: `boxes`, `long_lines` (axes, rules), `paths`, `curves`, `arrows`,
    `filled`, `ticks` (short strokes on axes), `bars` (filled shapes on a shared baseline) (log
    counts). Text inside: `words`, `numeric` (tick-like numbers), `numeric_share`, `alpha` (words),
    `dims` (`572x572`), `sublabels` (`(a)`). Size and place: `width`, `height` (share of the page),
    `aspect` (log), `top` (share of the page above it), `page` (number, capped at 20)."""
    import math

    ev = _evidence(page, region, layout)
    first = first_sentence(caption)
    x0, y0, x1, y1 = region.box
    paths = curves = arrows = filled = ticks = 0
    bases: Counter[int] = Counter()
    for sx0, sy0, sx1, sy1, curve, fill, head, tick in _path_stats(layout):
        if sx0 >= x0 - 2 and sy0 >= y0 - 2 and sx1 <= x1 + 2 and sy1 <= y1 + 2:
            paths += 1
            curves += curve > 0
            arrows += head
            ticks += tick
            filled += fill and (sx1 - sx0) * (sy1 - sy0) > 60
            if fill and not head and (sx1 - sx0) >= 1 and (sy1 - sy0) >= 1:
                bases[round(sy1)] += 1  # filled shapes standing on one baseline: the bars of a chart
    bars = sum(n for n in bases.values() if n >= 3)
    numeric = sum(1 for w in ev.words if NUMBER.match(w))
    alpha = sum(1 for w in ev.words if re.match(r"^[A-Za-z][A-Za-z\-]{2,}$", w))
    text = " ".join(ev.words)
    images = [g for g in region.graphics if g.kind == "image"]
    variety, white = ev.raster if ev.raster else (0.0, 0.0)

    def log(n: float) -> float:
        return math.log1p(max(0.0, n))

    return {
        "cap_arch": architecture_words(caption),
        "cap_arch_any": float(bool(STRONG_ARCH.search(first))),
        "cap_plot": float(min(3, len(PLOT_WORDS.findall(first)))),
        "cap_image": float(min(3, len(IMAGE_WORDS.findall(first)))),
        "cap_other": float(min(3, len(OTHER_WORDS.findall(first)))),
        "cap_parts": float(_structure_part(caption)),
        "image_share": ev.image_share,
        "photo_like": ev.photo_like,
        "colour_variety": variety,
        "white_share": white,
        "images": log(len(images)),
        "boxes": log(ev.boxes),
        "long_lines": log(ev.long_lines),
        "paths": log(paths),
        "curves": log(curves),
        "arrows": log(arrows),
        "filled": log(filled),
        "ticks": log(ticks),
        "bars": log(bars),
        "words": log(len(ev.words)),
        "numeric": log(numeric),
        "numeric_share": numeric / max(1, len(ev.words)),
        "alpha": log(alpha),
        "dims": log(len(DIMENSIONS.findall(text))),
        "sublabels": log(sum(1 for w in ev.words if SUBLABEL.match(w))),
        "width": (x1 - x0) / max(1.0, layout.width),
        "height": (y1 - y0) / max(1.0, layout.height),
        "aspect": math.log(max(1.0, x1 - x0) / max(1.0, y1 - y0)),
        "top": y0 / max(1.0, layout.height),
        "page": float(min(number, 20)),
    }


def _evidence(page: Any, region: Region, layout: PageLayout) -> RegionEvidence:
    x0, y0, x1, y1 = region.box
    words = [
        word
        for b in layout.blocks
        if b.box[0] >= x0 - 1 and b.box[1] >= y0 - 1 and b.box[2] <= x1 + 1 and b.box[3] <= y1 + 1
        for word in b.raw.split()
    ]
    images = [g.box for g in region.graphics if g.kind == "image"]
    image_area = sum(overlap(b, region.box) for b in images)
    boxes = lines = 0
    width, height = x1 - x0, y1 - y0
    for sx0, sy0, sx1, sy1, is_box in _shapes(layout):
        if sx1 < x0 or sx0 > x1 or sy1 < y0 or sy0 > y1:
            continue
        w, h = sx1 - sx0, sy1 - sy0
        boxes += is_box and w >= 6 and h >= 5  # boxes of a diagram, not the markers of a scatter plot
        lines += (h < 1.5 and w > 0.3 * width) or (w < 1.5 and h > 0.3 * height)
    share = image_area / max(1.0, area(region.box))
    photo = variety = white = 0.0
    for b in images:
        weight = overlap(b, region.box)
        shares = _raster_stats(page, b)
        photo += _photo_like(*shares) * weight
        variety += shares[0] * weight
        white += shares[1] * weight
    covered = max(1.0, image_area)
    return RegionEvidence(
        words=words,
        image_share=share,
        boxes=boxes,
        long_lines=lines,
        photo_like=photo / covered if share > 0.5 else 0.0,
        raster=(variety / covered, white / covered) if images else None,
    )


def _photo_like(variety: float, white: float) -> float:
    """1.0 for a photograph-like raster (many colours, little white), 0.0 for a drawing-like one."""
    if variety < 0:
        return 0.5
    return max(0.0, variety * (1.0 - white) * 1.4 - 0.1)


def _raster_stats(page: Any, box: Box) -> tuple[float, float]:
    """(colour variety 0..1, share of white pixels) of a small render of the box; (-1, 0) when it
    cannot be drawn or has no colour."""

    try:
        pix = render_clip(page, box, 18)
    except RuntimeError:
        return -1.0, 0.0
    samples, n = pix.samples, pix.n
    pixels = len(samples) // max(1, n)
    if pixels == 0 or n < 3:
        return -1.0, 0.0
    import numpy as np

    every = np.frombuffer(samples, dtype=np.uint8)[: pixels * n].reshape(pixels, n)[::2, :3]  # every other
    rgb = every.astype(np.int32)
    white = int(np.count_nonzero((rgb > 235).all(axis=1)))
    colours = np.unique((rgb[:, 0] >> 4) << 8 | (rgb[:, 1] >> 4) << 4 | (rgb[:, 2] >> 4)).size
    return min(1.0, colours / 100), white / max(1, (pixels + 1) // 2)


def caption_body(caption: str) -> str:
    """The caption without its `Figure 3:` label."""
    return re.sub(r"^\s*(?:Figure|FIGURE|Fig\.?|FIG\.?)\s*\S+?[:.|]?\s+", "", caption, count=1)


def first_sentence(caption: str) -> str:
    """The caption's first sentence, without its label (what its kind and the diagram are read from)."""
    return re.split(r"(?<=[.!?])\s", caption_body(caption)[:300], maxsplit=1)[0]


def opening_words(caption: str) -> str:
    """The first eight words of the caption's first sentence ("Overview of the pipeline")."""
    return " ".join(first_sentence(caption).split()[:8])


def architecture_words(caption: str) -> float:
    """How plainly the caption says it shows an architecture: a strong word among its first eight
    words counts most ("Overview of the pipeline", "Network architecture"), later ones less."""
    first, opening = first_sentence(caption), opening_words(caption)
    if STRONG_ARCH.search(opening):
        return 2.5
    if STRONG_ARCH.search(first):
        return 1.0
    return 0.8 if WEAK_ARCH.search(opening) else 0.0


def classify(caption: str, ev: RegionEvidence) -> FigureKind:
    """The figure's kind from its content (boxes and labels, numeric ticks, photographs) and caption."""
    first = first_sentence(caption)
    scores: dict[FigureKind, float] = {
        "architecture": architecture_words(caption),
        "plot": 0.0,
        "images": 0.0,
        "other": 0.4,
    }
    scores["plot"] += 1.2 * min(2, len(PLOT_WORDS.findall(first)))
    scores["images"] += 1.2 * min(2, len(IMAGE_WORDS.findall(first)))
    numeric = sum(1 for w in ev.words if NUMBER.match(w))
    alpha = sum(1 for w in ev.words if re.match(r"^[A-Za-z][A-Za-z\-]{2,}$", w))
    share = numeric / max(1, len(ev.words))
    if numeric >= 4:
        scores["plot"] += 2.5 if share >= 0.45 else (1.5 if share >= 0.3 else 0.0)
    if ev.long_lines >= 2 and numeric >= 4:
        scores["plot"] += 1.0
    if ev.image_share > 0.5:
        scores["images"] += 2.0 * ev.photo_like
    else:
        # "Left: (a) the original unit; (b) the proposed unit. Right: curves": a composite, whose
        # curves' numbers do not discount the boxes of its diagram part
        composite = ev.boxes >= 8 and _structure_part(caption)
        scores["architecture"] += min(2.0, ev.boxes / 4) * (1.0 if alpha >= numeric or composite else 0.3)
        scores["architecture"] += 1.5 if composite else 0.0
    return max(scores, key=lambda k: scores[k])


def _structure_part(caption: str) -> bool:
    """A caption in parts (`Left:`, `(b)`) one of which opens on what a model is made of: a composite
    figure whose diagram part is what a reader looks for."""
    parts = re.split(r"\b(?:Left|Right|Top|Bottom)\s*:|\([a-d]\)", caption_body(caption))
    return len(parts) >= 2 and any(
        STRONG_ARCH.search(" ".join(p.split()[:8])) or WEAK_ARCH.search(" ".join(p.split()[:8]))
        for p in parts
    )


# --- the page ------------------------------------------------------------------------------------


def find_figures(
    page: Any,
    number: int,
    blocks: list[Block],
    out_dir: Path | None,
    prefix: str,
    furniture_ids: set[int] | None = None,
    sink: list[Any] | None = None,
) -> list[Figure]:
    """Every captioned figure of a page, with region, kind and (with `out_dir`) a PNG crop; with
    `sink`, each figure's kind features are appended to it (how the kinds table is built)."""
    captions = [
        b for b in blocks if caption_number(b) and (furniture_ids is None or id(b) not in furniture_ids)
    ]
    if not captions:
        return []
    layout = read_layout(page, blocks, furniture_ids)
    two_columns = _two_columns(layout.blocks, layout.width)
    stops = [b for b in layout.blocks if TABLE_CAPTION.match(b.text)] + captions
    regions: dict[int, Region] = {}
    for i, cap in enumerate(captions):
        col = _column(cap, layout, captions, two_columns)
        near = _siblings(cap, captions, col)
        region = _region(cap, layout, col, stops, above=True, siblings=near) or _region(
            cap, layout, col, stops, above=False, siblings=near
        )
        if region is not None:
            regions[i] = region
    for i, cap in enumerate(captions):  # a caption set beside its figure, once the others are placed
        if i not in regions:
            side = _beside(cap, layout, captions, [r.box for r in regions.values()])
            if side is not None:
                regions[i] = side
    return [
        _figure(page, number, cap, regions[i], layout, out_dir, prefix, sink)
        for i, cap in enumerate(captions)
        if i in regions
    ]


def _beside(cap: Block, layout: PageLayout, captions: list[Block], taken: list[Box]) -> Region | None:
    """The figure of a caption set beside it (a wrapped figure, a side caption): the graphics left or
    right of the caption, level with most of its lines and at most 40 pt away, with those that join
    them on that side, when no running text lies among them, no other figure has them, they are not
    a table's rules and no table caption sits on them. A drawing level with another caption is that
    caption's. The side with the larger drawing wins."""
    x0, y0, x1, y1 = cap.box
    others = [c.box for c in captions if c is not cap]

    def level(a: Box, b: Box) -> float:
        return min(a[3], b[3]) - max(a[1], b[1])

    free = [
        g
        for g in layout.graphics
        if not any(overlap(g.box, t) > 0.5 * area(g.box) for t in taken) and not _only_rules(g.box, layout)
    ]
    prose = [b for b in layout.blocks if b is not cap and _is_prose(b, 0.5 * layout.width)]
    tables = [b.box for b in layout.blocks + layout.furniture if TABLE_CAPTION.match(b.text)]
    best: Region | None = None
    for left in (True, False):

        def on_side(b: Box, left: bool = left) -> bool:
            return b[2] <= x0 + 2 if left else b[0] >= x1 - 2

        picked = [
            g
            for g in free
            if on_side(g.box)
            and level(g.box, cap.box) > 0
            and (x0 - g.box[2] if left else g.box[0] - x1) < 40
        ]
        if not picked:
            continue
        core = union([g.box for g in picked])
        for _ in range(3):  # a figure taller than its caption, or panels a gutter apart
            reach = grow(core, 30)
            more = [
                g
                for g in free
                if g not in picked
                and on_side(g.box)
                and overlap(g.box, reach) > 0
                and not any(level(g.box, o) > 0 for o in others)
            ]
            if not more:
                break
            picked += more
            core = union([g.box for g in picked])
        if level(core, cap.box) < 0.6 * (y1 - y0) or any(overlap(b.box, core) > 0 for b in prose):
            continue
        if any(min(t[2], core[2]) > max(t[0], core[0]) and level(grow(t, 20), core) > 0 for t in tables):
            continue
        band = (max(layout.top, core[1] - 14), min(layout.bottom, core[3] + 14))
        labels = _labels(layout, cap, prose, band, on_side, core)
        box = union([core] + [b.box for b in labels])
        if area(box) >= 400 and (best is None or area(box) > area(best.box)):
            best = Region(box, picked, labels)
    return best


def learned_kind(
    page: Any, region: Region, layout: PageLayout, caption: str, number: int, sink: list[Any] | None = None
) -> tuple[FigureKind, dict[str, float]]:
    """The kind the learned model (`kinds.py`) reads from the figure's features, and its probability
    of each kind; the hand-ruled `classify` (with certainty) when no model is available. With `sink`,
    the features are appended to it."""
    from .kinds import KINDS, caption_words, model

    fitted = model()
    if fitted is None and sink is None:
        kind = classify(caption, _evidence(page, region, layout))
        return kind, {kind: 1.0}
    features = kind_features(page, region, layout, caption, number)
    first = first_sentence(caption)
    if sink is not None:
        sink.append({"page": number, "caption": caption_words(first), "features": features})
    if fitted is None:
        kind = classify(caption, _evidence(page, region, layout))
        return kind, {kind: 1.0}
    probs = fitted.probabilities(caption_words(first), features)
    kind = cast(FigureKind, max(KINDS, key=lambda k: probs.get(k, 0.0)))
    return kind, {k: round(v, 4) for k, v in probs.items()}


def _figure(
    page: Any,
    number: int,
    cap: Block,
    region: Region,
    layout: PageLayout,
    out_dir: Path | None,
    prefix: str,
    sink: list[Any] | None = None,
) -> Figure:

    label = caption_number(cap) or "?"
    caption = " ".join(cap.text.split())[:2000]
    kind, probs = learned_kind(page, region, layout, caption, number, sink)
    if sink:
        sink[-1]["number"] = label
    file = None
    if out_dir is None:
        box = _trim(page, region.box)
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        file = f"{prefix}-{label}.png"
        if (out_dir / file).exists():  # a second figure of that number (a supplement's own figure 1)
            file = f"{prefix}-{label}-p{number}.png"
        try:
            pix = render_clip(page, region.box, FIGURE_DPI)
            box, pix = _trim_render(pix, region.box)
            pix.save(str(out_dir / file))
        except RuntimeError:
            box, file = region.box, None  # the figure is listed without its picture
    return Figure(
        number=label,
        page=number,
        bbox=(round(box[0], 2), round(box[1], 2), round(box[2], 2), round(box[3], 2)),
        caption=caption,
        file=file,
        kind=kind,
        kind_probs=probs,
        is_diagram=kind == "architecture",
    )


def dedupe(figures: list[Figure]) -> list[Figure]:
    """One figure per number within each numbering: a caption repeated or referenced twice keeps its
    first region. A figure 1 (or the numbering's first number) again, on a page after every figure so
    far, starts a new numbering (a supplement or appendix that counts from 1 again): its figures are
    kept as a series of their own (`Figure.series`, named by page and number in `Figure.key`)."""
    seen: set[str] = set()
    result: list[Figure] = []
    series = 0
    for fig in figures:
        if fig.number in seen:
            first = next(f.number for f in result if f.series == series)
            if fig.number in ("1", first) and fig.page > max(f.page for f in result):
                series += 1
                seen = set()
            else:
                continue
        seen.add(fig.number)
        result.append(fig.model_copy(update={"series": series}) if series else fig)
    return result


def name_files(figures: list[Figure], written: list[Figure], out_dir: Path, prefix: str) -> list[Figure]:
    """The kept figures' PNGs named by key (`<prefix>-<key>.png`); PNGs of dropped duplicates removed."""
    kept = {f.file for f in figures if f.file}
    for fig in written:
        if fig.file and fig.file not in kept:
            (out_dir / fig.file).unlink(missing_ok=True)
    named = []
    for fig in figures:
        want = f"{prefix}-{fig.key}.png"
        if fig.file and fig.file != want:
            (out_dir / fig.file).replace(out_dir / want)
            fig = fig.model_copy(update={"file": want})
        named.append(fig)
    return named
