"""What a figure's pixels say of its kind, for figures whose drawing cannot be read as vectors (a
plot or a diagram pasted in as one embedded image).

Read from one small render of the figure's region (about 96 dpi, grey levels), with numpy alone:
- `px_axes`: long thin straight lines that meet in an L at a corner, the way a plot's x and y axes do
  (a horizontal line whose left end is a vertical line's bottom end);
- `px_ticks`: short marks standing on those long lines at intervals (the ticks of an axis);
- `px_glyphs`: small separate marks of a text line's height (letters, words, numbers, markers);
- `px_white`, `px_ink`: the share of white and of inked pixels;
- `px_colours`: how many distinct colours (log);
- `px_edges`: the share of pixels at a sharp change of grey (texture: photographs are dense in it).

Every feature is a count or a share of the render, so it reads the same at any page size.
"""

from __future__ import annotations

import math
from typing import Any

PIXEL_FEATURES = ("px_axes", "px_ticks", "px_glyphs", "px_white", "px_ink", "px_colours", "px_edges")
DPI = 96
MAX_SIDE = 700
"""Longest side of the render in pixels (a full-page figure is read at a lower resolution)."""
INK = 225
"""A pixel darker than this grey level is ink (thin antialiased axes of a raster plot are light grey)."""


def dpi_for(width_pt: float, height_pt: float) -> float:
    """The render's resolution: DPI, or lower so that the longest side stays within MAX_SIDE pixels."""
    return min(DPI, MAX_SIDE * 72 / max(1.0, width_pt, height_pt))


def _runs(ink: Any, minlen: float) -> tuple[Any, Any, Any]:
    """Every horizontal run of ink at least `minlen` long: (row, start, end) arrays."""
    import numpy as np

    padded = np.zeros((ink.shape[0], ink.shape[1] + 2), np.int8)
    padded[:, 1:-1] = ink
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    _, ends = np.nonzero(step == -1)
    keep = (ends - starts) >= minlen
    return rows[keep], starts[keep], ends[keep]


def lines(ink: Any, minlen: float, thick: int = 4) -> list[tuple[int, int, int, int]]:
    """Thin horizontal lines: runs at least `minlen` long, merged over adjacent rows with the same
    ends, at most `thick` rows thick (a filled area is no line). Each is (first row, last row, start, end)."""
    rows, starts, ends = _runs(ink, minlen)
    growing: list[list[int]] = []
    done: list[list[int]] = []
    for y, x0, x1 in zip(rows.tolist(), starts.tolist(), ends.tolist(), strict=True):
        for line in growing:
            if line[1] == y - 1 and abs(line[2] - x0) <= 2 and abs(line[3] - x1) <= 2:
                line[1] = y
                break
        else:
            growing.append([y, y, x0, x1])
        if len(growing) > 64:  # lines that ended rows ago cannot grow again
            done += [line for line in growing if line[1] < y - 1]
            growing = [line for line in growing if line[1] >= y - 1]
    return [(a, b, c, d) for a, b, c, d in done + growing if b - a + 1 <= thick]


def ticks(ink: Any, y: int, x0: int, x1: int) -> int:
    """Short marks beside the horizontal line at row `y` from `x0` to `x1`: narrow runs of ink two
    and three rows below it (or above it), where that band is mostly empty."""
    import numpy as np

    best = 0
    for a, b in ((y + 2, y + 3), (y - 3, y - 2)):
        if a < 0 or b >= ink.shape[0]:
            continue
        band = ink[a, x0:x1] & ink[b, x0:x1]
        if band.size == 0 or band.mean() > 0.3:
            continue
        step = np.diff(np.concatenate(([0], band.astype(np.int8), [0])))
        widths = np.flatnonzero(step == -1) - np.flatnonzero(step == 1)
        best = max(best, int(np.sum(widths <= 3)))
    return best


def _axes(ink: Any, scale: float) -> tuple[int, int]:
    """(L corners of long lines, tick marks on long lines). A corner: a horizontal line starting where
    a vertical line ends, give or take the length of a tick drawn past it. (Requiring ticks on a
    corner's lines lost 6 of 186 tune figures, left one paper out: the model weighs the two itself.)"""
    h, w = ink.shape
    across = lines(ink, max(12, 0.15 * w))
    down = lines(ink.T, max(12, 0.15 * h))
    reach = 10 * scale
    corners = sum(
        any(-reach <= x0 - vx0 <= 3 and -4 <= vy1 - y0 <= reach for vx0, _, _, vy1 in down)
        for y0, _, x0, _ in across
    )
    marks = sum(ticks(ink, y1, x0, x1) for _, y1, x0, x1 in across)
    marks += sum(ticks(ink.T, x0, y0, y1) for x0, _, y0, y1 in down)
    return corners, marks


def _glyphs(ink: Any, scale: float) -> int:
    """Separate marks of the height of a line of the figure's text (letters, words, numbers)."""
    import numpy as np
    from scipy import ndimage

    labelled, _ = ndimage.label(ink, structure=np.ones((3, 3)))
    limit = 14 * scale
    sizes = [(p[0].stop - p[0].start, p[1].stop - p[1].start) for p in ndimage.find_objects(labelled) if p]
    return sum(1 for high, wide in sizes if high <= limit and wide <= 5 * limit)


def pixel_features(rgb: Any, dpi: float = DPI) -> dict[str, float]:
    """The features of an RGB render (an h x w x 3 uint8 array) made at `dpi`."""
    import numpy as np

    if rgb.shape[0] < 2 or rgb.shape[1] < 2:
        return dict.fromkeys(PIXEL_FEATURES, 0.0)
    grey = rgb.astype(np.int16).mean(axis=2)
    ink = grey < INK
    corners, marks = _axes(ink, dpi / DPI)
    quantised = (rgb >> 4).astype(np.int32)
    colours = len(np.unique((quantised[:, :, 0] << 8) | (quantised[:, :, 1] << 4) | quantised[:, :, 2]))
    dx = np.abs(np.diff(grey, axis=1))[:-1, :]
    dy = np.abs(np.diff(grey, axis=0))[:, :-1]
    return {
        "px_axes": math.log1p(corners),
        "px_ticks": math.log1p(marks),
        "px_glyphs": math.log1p(_glyphs(ink, dpi / DPI)),
        "px_white": float((rgb.min(axis=2) > 235).mean()),
        "px_ink": float(ink.mean()),
        "px_colours": math.log1p(colours),
        "px_edges": float(((dx > 40) | (dy > 40)).mean()),
    }
