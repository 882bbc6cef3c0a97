"""Sheets for labelling figure kinds by eye on papers that have light labels (no figure boxes).

Usage: python bench/kinds_sheets.py OUT_DIR ARXIV_ID [ARXIV_ID ...]

For each paper (its PDF in `cache/devset2/`), every figure extraction finds is written as
`OUT_DIR/<id>/fig-<key>.png`, and up to six of them at a time are laid out on a numbered sheet,
`OUT_DIR/<id>/sheet-<n>.png`, each under its page, number and the start of its caption, with
`OUT_DIR/<id>/index.json` listing the figures (key, page, number, caption). The sheets show no kind
the tool guessed: a labeller writes what each figure is (`bench/devset2/kinds-*.json`, read by
`bench/kinds_table.py`), not whether the tool was right.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pymupdf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alphatree_ingest.pdf.extract import extract  # noqa: E402
from bench.devset import CACHE2  # noqa: E402

CELL_W, CELL_H, LABEL_H, COLUMNS, PER_SHEET = 600, 420, 34, 2, 6


def sheets(pdf: Path, out: Path) -> int:
    """Write one paper's figure files, sheets and index; the number of figures."""
    out.mkdir(parents=True, exist_ok=True)
    result = extract(pdf, out)
    index = [
        {"key": f.key, "page": f.page, "number": f.number, "caption": f.caption[:300]} for f in result.figures
    ]
    (out / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False))
    for start in range(0, len(index), PER_SHEET):
        chunk = index[start : start + PER_SHEET]
        rows = (len(chunk) + COLUMNS - 1) // COLUMNS
        doc = pymupdf.open()
        page = doc.new_page(width=CELL_W * COLUMNS, height=rows * (CELL_H + LABEL_H))
        for i, fig in enumerate(chunk):
            x, y = (i % COLUMNS) * CELL_W, (i // COLUMNS) * (CELL_H + LABEL_H)
            label = f"p{fig['page']} fig {fig['number']}: {fig['caption'][:70]}"
            page.insert_text((x + 6, y + 14), label, fontsize=10)
            page.insert_text((x + 6, y + 28), fig["caption"][70:140], fontsize=9)
            image = out / f"fig-{fig['key']}.png"
            if image.is_file():
                rect = pymupdf.Rect(x + 4, y + LABEL_H, x + CELL_W - 4, y + LABEL_H + CELL_H - 6)
                page.insert_image(rect, filename=str(image), keep_proportion=True)
            page.draw_rect(pymupdf.Rect(x + 1, y + 1, x + CELL_W - 1, y + CELL_H + LABEL_H - 1))
        page.get_pixmap().save(str(out / f"sheet-{start // PER_SHEET + 1}.png"))
        doc.close()
    return len(index)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    for n, arxiv_id in enumerate(argv[1:], start=1):
        pdf = CACHE2 / f"{arxiv_id}.pdf"
        if not pdf.is_file():
            print(f"warning: no PDF for {arxiv_id} at {pdf}", file=sys.stderr)
            continue
        count = sheets(pdf, out / arxiv_id)
        print(f"[{n}/{len(argv) - 1}] {arxiv_id}: {count} figures", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
