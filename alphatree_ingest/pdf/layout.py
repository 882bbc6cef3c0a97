"""Page layout primitives shared by extraction and figure finding: text blocks and box geometry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Box = tuple[float, float, float, float]


@dataclass
class Block:
    """One text block of a page, as PyMuPDF lays it out."""

    box: Box
    text: str
    """Lines joined into running text (hyphenation undone, superscript marks left out)."""
    raw: str
    """Lines joined by newlines, as laid out."""
    lines: int
    size: float
    """The largest font size in the block."""
    bold_start: bool = False
    """The block's first span is bold (as figure labels are: **Fig. 3** Overview ...)."""
    vertical: bool = False
    """Its text runs vertically (the arXiv stamp in the margin)."""


def is_furniture(block: Block, height: float) -> bool:
    """A running head, page number, footer line or the arXiv stamp, by position alone."""
    if block.vertical or block.text.startswith("arXiv:"):
        return True
    return block.lines <= 2 and (block.box[3] <= 0.085 * height or block.box[1] >= 0.93 * height)


def document_furniture(pages: list[list[Block]], heights: list[float]) -> list[set[int]]:
    """Per page, the ids of its furniture blocks: those `is_furniture` finds by position, and short
    blocks near the top or bottom whose text (digits aside, 15 characters or more, so never a label
    inside a figure) repeats on other pages: running heads and footers. One that repeats on fewer than
    a fifth of the pages (a long paper's two alternating heads each repeat more) must be the page's
    outermost text: a label that a figure near the top shares with a later variant of it ("Query
    Selection", under the running head) is not furniture."""
    from collections import Counter

    keys: list[dict[int, str]] = []
    outer: set[int] = set()
    counts: Counter[str] = Counter()
    for blocks, height in zip(pages, heights, strict=True):
        page_keys = {}
        for b in blocks:
            top, bottom = b.box[3] <= 0.12 * height, b.box[1] >= 0.9 * height
            if b.lines > 2 or not (top or bottom):
                continue
            page_keys[id(b)] = re.sub(r"\d+", "#", b.text.lower()).strip()
            if not any(o.box[3] <= b.box[1] + 1 if top else o.box[1] >= b.box[3] - 1 for o in blocks):
                outer.add(id(b))
        keys.append(page_keys)
        counts.update(set(page_keys.values()))
    result = []
    often = max(2, len(pages) // 5)
    for blocks, height, page_keys in zip(pages, heights, keys, strict=True):
        ids = {id(b) for b in blocks if is_furniture(b, height)}
        ids |= {
            i
            for i, key in page_keys.items()
            if len(key) >= 15 and (counts[key] >= often or (counts[key] >= 2 and i in outer))
        }
        result.append(ids)
    return result


def union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def overlap(a: Box, b: Box) -> float:
    return area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def grow(b: Box, by: float) -> Box:
    return (b[0] - by, b[1] - by, b[2] + by, b[3] + by)


_URL_END = re.compile(r"(?:https?://|www\.)[^\s)\]]*$")
_URL_GOES_ON = re.compile(r"[\w.\-~%#?=&]+/")


_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*-?")
_NAME = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*-?")


CLOSED = frozenset(
    "moreover furthermore nevertheless nonetheless therefore otherwise meanwhile whereas however "
    "whenever wherever whatever something everything anything nothing somewhat sometimes overcome outperform "
    "outperforms outperformed outperforming framework frameworks benchmark benchmarks bottleneck "
    "bottlenecks backbone backbones pipeline pipelines baseline baselines workshop checkpoint "
    "checkpoints throughout keypoint keypoints worldwide overview overall feedback".split()
)
"""Ordinary words made of two words, which a document may set only broken at a line's end."""


@dataclass(frozen=True)
class Words:
    """The words a document sets whole, not broken at a line's end: what tells a compound broken at
    its own hyphen (`encoder-` + `decoder`) from one word hyphenated to fit (`recog-` + `nition`)."""

    words: frozenset[str] = frozenset()
    compounds: frozenset[str] = frozenset()
    """Hyphenated words set whole on one line (`encoder-decoder`)."""
    names: frozenset[str] = frozenset()
    """The words set whole as printed, case and digits kept (`DETRs`, `CIFAR10`)."""

    def keeps_hyphen(self, before: str, after: str) -> bool:
        """Whether `before-` at a line's end and `after` on the next are a compound: set whole
        elsewhere with its hyphen, or two words the document uses alone (four letters or more each)
        that it never sets as one."""
        head = re.sub(r"^[^A-Za-z]+", "", before).lower()
        found = re.match(r"[a-z]+", after)
        tail = found.group(0) if found else ""
        if not head.isalpha() or not tail:
            return False
        if f"{head}-{tail}" in self.compounds:
            return True
        if head + tail in self.words or head + tail in CLOSED:
            return False
        # two short words are more often one ordinary word broken to fit (`more-` + `over`)
        long_enough = len(head) >= 4 and len(tail) >= 4 and len(head) + len(tail) >= 9
        return long_enough and head in self.words and self._used(tail)

    def sets_whole(self, before: str, after: str) -> bool:
        """Whether a name broken at a line's end (`DE-` + `TRs`) is one the document sets whole
        elsewhere exactly as the two pieces join, case and digits kept (`DETRs`; `Multi-` + `Modal`
        is no `multimodal`, `EfficientNet-` + `B0` no `EfficientNetB7`), and never with that hyphen,
        alone or inside a longer compound (`R-` + `CNN` stays `R-CNN` beside `R-CNN-based`)."""
        head = re.sub(r"^[^A-Za-z0-9]+", "", before).rsplit("-", 1)[-1]
        found = re.match(r"[A-Za-z0-9]+", after)
        tail = found.group(0) if found else ""
        if not head.isalnum() or not tail:
            return False
        hyphened = f"-{head}-{tail}-".lower()
        if any(hyphened in f"-{compound}-" for compound in self.compounds):
            return False
        return head + tail in self.names

    def _used(self, word: str) -> bool:
        """The word, or its stem before an -s, -d or -ed (`sourced`: `source`), is used alone."""
        stems = (
            [word]
            + ([word[:-1]] if word[-1:] in ("s", "d") else [])
            + ([word[:-2]] if word.endswith("ed") else [])
        )
        return any(stem in self.words for stem in stems)


def document_words(layouts: list[dict[str, Any]]) -> Words:
    """The words of pages read with `page.get_text("dict")`, leaving out the pieces of a word
    hyphenated at a line's end."""
    words: set[str] = set()
    compounds: set[str] = set()
    names: set[str] = set()
    for layout in layouts:
        for block in layout["blocks"]:
            broken = False  # the line above ended on a hyphen: this line's first word is a piece
            for line in block.get("lines", ()):
                text = "".join(span["text"] for span in line["spans"])
                found = _WORD.findall(text)
                printed = _NAME.findall(text)
                whole = printed[1:] if broken and printed else printed
                pieces = found[1:] if broken and found else found
                broken = bool(found) and found[-1].endswith("-")
                for name in whole[:-1] if printed and printed[-1].endswith("-") else whole:
                    names.update(n for n in name.split("-") if n)
                for word in pieces[:-1] if broken else pieces:
                    word = word.lower()
                    if "-" in word:
                        compounds.add(word)
                        words.update(word.split("-"))
                    else:
                        words.add(word)
    return Words(frozenset(words), frozenset(compounds), frozenset(names))


def join_lines(lines: list[str], words: Words | None = None) -> str:
    """Lines as running text: a word hyphenated at a line end is joined (`recog-` + `nition`); a
    compound broken at one of its own hyphens keeps it (`state-of-the-` + `art`, `state-` +
    `of-the-art`, `R-` + `CNN`, and with the document's `words`, `encoder-` + `decoder`); a name
    hyphenated to fit is joined when the document sets it whole elsewhere (`DE-` + `TRs`); a web
    address broken at the line's end is joined when the next line goes on with its path
    (`https://github.com/YihengZha` + `ng-CV/LPS-Net`)."""
    text = ""
    for line in lines:
        if _URL_END.search(text) and _URL_GOES_ON.match(line):
            text += line  # a web address broken at the line's end (`https://peterl1n.` + `github.io/x`)
        elif text.endswith("-") and line[:1].islower():
            before, after = text.rsplit(" ", 1)[-1][:-1], line.split(" ", 1)[0]
            compound = "-" in before or "-" in after.rstrip(".,;:)")
            compound = compound or (words is not None and words.keeps_hyphen(before, after))
            text = text + line if compound else text[:-1] + line
        elif text.endswith("-") and text[-2:-1].isalnum() and line[:1].isupper():
            before, after = text.rsplit(" ", 1)[-1][:-1], line.split(" ", 1)[0]
            if words is not None and words.sets_whole(before, after):
                text = text[:-1] + line  # a name hyphenated to fit: `(DE-` + `TRs)`, set `DETRs` elsewhere
            else:
                text += line  # a name broken at its own hyphen: `Faster R-` + `CNN`
        else:
            text = f"{text} {line}" if text else line
    return text


_MARK = re.compile(r"^[\d,*†‡§¶∗♯♭⋆]+$")


def _mark(span: dict[str, Any]) -> bool:
    """A superscript footnote or affiliation mark (`released¹`, `Wang†‡`): left out of running text."""
    return bool(span["flags"] & 1) and bool(_MARK.match(span["text"].strip()))


CAPTION = re.compile(
    r"^\s*(?:Figure|FIGURE|Fig\.?|FIG\.?)\s*((?:[A-Z]\.?)?\d+(?:\.\d+)?)\s*(?:[:.|]|\s[-–—]\s)",
)
"""A figure caption's opening: `Figure 3:`, `Fig. 3.`, `FIG. 3 -`; the group is the figure's number."""


def page_blocks(
    page: Any, *, layout: dict[str, Any] | None = None, words: Words | None = None
) -> list[Block]:
    """The page's text blocks, in reading order as PyMuPDF gives them. Lines that sit side by side
    in one PyMuPDF block (two captions on one baseline) become separate blocks, and so do a drawing's
    labels and the caption PyMuPDF ran them into (`_caption_apart`). `layout`: the page already read
    with `get_text("dict")` from its `get_textpage(flags=0)`, or None to read it here; `words`: the
    document's (`document_blocks`)."""
    result = []
    if layout is None:
        layout = page.get_text("dict", textpage=page.get_textpage(flags=0))
    for block in layout["blocks"]:
        if block.get("type") == 0:
            for lines in _side_by_side(block["lines"]):
                result += [_block(part, words) for part in _caption_apart(lines)]
    return [b for b in result if b is not None]


def document_blocks(pages: list[Any], textpages: list[Any] | None = None) -> list[list[Block]]:
    """Every page's blocks (`page_blocks`), their lines joined with the whole document's words in
    view (a compound broken at a line's end keeps its hyphen when the document sets it whole; a
    name hyphenated to fit is joined when the document sets it whole without)."""
    textpages = textpages or [p.get_textpage(flags=0) for p in pages]
    layouts = [p.get_text("dict", textpage=t) for p, t in zip(pages, textpages, strict=True)]
    words = document_words(layouts)
    return [page_blocks(p, layout=lay, words=words) for p, lay in zip(pages, layouts, strict=True)]


def _caption_apart(lines: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The lines, cut before a line that opens a caption when the line above is not running text
    leading into it: a sub-figure's label ("(b) Results of RRD"), a node of a diagram ("x"), a word of a
    legend, told apart by a font size of its own, a gap, or a width well short of the block's (that one
    not inside a caption, nor before "Fig. 3. gives ...", a reference in lower case). Body text that
    wraps onto "Fig. 3. This process ..." (same size, full width, usual spacing) stays one."""
    shown = [(line, text) for line in lines if (text := _text(line))]
    if len(shown) < 2:
        return [lines]
    width = max(line["bbox"][2] for line, _ in shown) - min(line["bbox"][0] for line, _ in shown)
    parts: list[list[dict[str, Any]]] = [[shown[0][0]]]
    in_caption = CAPTION.match(shown[0][1]) is not None  # the part being built opens with a caption
    for (above, _), (line, text) in zip(shown, shown[1:], strict=False):
        opening = CAPTION.match(text)
        if opening is None:
            parts[-1].append(line)
            continue
        height = max(1.0, line["bbox"][3] - line["bbox"][1])
        strong = abs(_size(above) - _size(line)) > 0.5 or line["bbox"][1] - above["bbox"][3] > 0.5 * height
        # a short line alone is weaker evidence: not for "Fig. 3. gives the same ..." (a reference, in
        # lower case), nor inside a caption, whose short last line may be followed by such a reference
        short = above["bbox"][2] - above["bbox"][0] < 0.6 * width
        lower = text[opening.end() :].lstrip()[:1].islower()
        if strong or (short and not lower and not in_caption):
            parts.append([line])
            in_caption = True
        else:
            parts[-1].append(line)
    return parts


def _size(line: dict[str, Any]) -> float:
    return max((span["size"] for span in line["spans"] if span["text"].strip()), default=0.0)


def _side_by_side(lines: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Lines grouped into runs that share their horizontal extent."""
    groups: list[tuple[list[float], list[dict[str, Any]]]] = []
    for line in lines:
        x0, y0, x1, y1 = line["bbox"]
        home = next(
            (
                g
                for g in reversed(groups)
                if (min(x1, g[0][2]) - max(x0, g[0][0]) > 0 and y0 < g[0][3] + 2 * (y1 - y0))
                or _same_line(line, g[1][-1])
            ),
            None,
        )
        if home is None:
            groups.append(([x0, y0, x1, y1], [line]))
        else:
            box = home[0]
            box[:] = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
            home[1].append(line)
    return [g[1] for g in groups]


def _same_line(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Two pieces of one printed line: on one baseline, a word space apart, or a section number or
    bullet and its text."""
    a, b = one["bbox"], other["bbox"]
    shared = min(a[3], b[3]) - max(a[1], b[1])
    gap = max(a[0], b[0]) - min(a[2], b[2])
    short = min(len(_text(one)), len(_text(other))) <= 4
    return shared > 0.5 * min(a[3] - a[1], b[3] - b[1]) and (gap < 12 or (short and gap < 40))


def _text(line: dict[str, Any]) -> str:
    return "".join(span["text"] for span in line["spans"]).strip()


def _raw_line(spans: list[dict[str, Any]]) -> str:
    """A line's text as set, marks included (the footnote readers need `code3`), but a footnote mark
    set right after a web address stands apart: `github.com/microsoft/DeBERTa` + `¹` is no repository
    `DeBERTa1`."""
    text = ""
    for span in spans:
        if _mark(span) and re.search(r"(?:https?://|www\.)\S*$", text):
            text += " "
        text += span["text"]
    return text.strip()


def _block(raw_lines: list[dict[str, Any]], words: Words | None = None) -> Block | None:
    lines: list[str] = []
    clean: list[str] = []
    sizes: list[float] = []
    first_bold: bool | None = None
    vertical = False
    boxes: list[Box] = []
    for line in raw_lines:
        text = _raw_line(line["spans"])
        if not text:
            continue
        lines.append(text)
        boxes.append(tuple(line["bbox"]))
        clean.append("".join(s["text"] for s in line["spans"] if not _mark(s)).strip())
        vertical = vertical or abs(line.get("dir", (1, 0))[0]) < 0.5
        for span in line["spans"]:
            if span["text"].strip():
                sizes.append(span["size"])
                if first_bold is None:
                    first_bold = bool(span["flags"] & 16) or "bold" in span["font"].lower()
    if not lines:
        return None
    return Block(
        union(boxes),
        join_lines([c for c in clean if c], words) or join_lines(lines, words),
        "\n".join(lines),
        len(lines),
        max(sizes),
        bool(first_bold),
        vertical,
    )
