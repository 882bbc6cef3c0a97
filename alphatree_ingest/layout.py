"""Page layout primitives shared by extraction and figure finding: text blocks and box geometry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Box = tuple[float, float, float, float]


@dataclass
class Block:
    """One text block of a page, as PyMuPDF lays it out."""

    box: Box
    text: str
    """Lines joined into running text (hyphenation undone)."""
    raw: str
    """Lines joined by newlines, as laid out."""
    lines: int
    size: float
    """The largest font size in the block."""
    bold_start: bool = False
    """The block's first span is bold (as figure labels are: **Fig. 3** Overview ...)."""
    vertical: bool = False
    """Its text runs vertically (the arXiv stamp in the margin)."""


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


def join_lines(lines: list[str]) -> str:
    text = ""
    for line in lines:
        if text.endswith("-") and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


def page_blocks(page: Any) -> list[Block]:
    """The page's text blocks, in reading order as PyMuPDF gives them."""
    result = []
    for block in page.get_text("dict", flags=0)["blocks"]:
        if block.get("type") != 0:
            continue
        lines: list[str] = []
        sizes: list[float] = []
        first_bold: bool | None = None
        vertical = False
        for line in block["lines"]:
            text = "".join(span["text"] for span in line["spans"]).strip()
            if not text:
                continue
            lines.append(text)
            vertical = vertical or abs(line.get("dir", (1, 0))[0]) < 0.5
            for span in line["spans"]:
                if span["text"].strip():
                    sizes.append(span["size"])
                    if first_bold is None:
                        first_bold = bool(span["flags"] & 16) or "bold" in span["font"].lower()
        if lines:
            result.append(
                Block(
                    tuple(block["bbox"]),
                    join_lines(lines),
                    "\n".join(lines),
                    len(lines),
                    max(sizes),
                    bool(first_bold),
                    vertical,
                )
            )
    return result
