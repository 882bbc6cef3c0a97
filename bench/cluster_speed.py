"""Drawing clusters: `figures.cluster_rects` against PyMuPDF's `Page.cluster_drawings`, same answer, time.

Usage: python bench/cluster_speed.py [PDF_DIR ...]   (default ../shared/figure-devset and every fourth
PDF of cache/devset2, the first 30 pages of each)
Prints the pages with drawings, the pages where the two differ (should be none) and each one's time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alphatree_ingest.pdf.figures import _drawings, cluster_rects  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    import pymupdf

    if argv:
        pdfs = [p for folder in argv for p in sorted(Path(folder).glob("*.pdf"))]
    else:
        pdfs = sorted((REPO.parent / "shared" / "figure-devset").glob("*.pdf"))
        pdfs += sorted((REPO / "cache" / "devset2").glob("*.pdf"))[::4]
    if not pdfs:
        print(
            "error: no PDFs (give a folder, or rebuild cache/devset2 with bench/devset_cache.py)",
            file=sys.stderr,
        )
        return 2
    pages = differ = 0
    theirs_time = ours_time = 0.0
    for pdf in pdfs:
        with pymupdf.open(pdf) as doc:
            for page in list(doc)[:30]:
                try:
                    drawings = _drawings(page)
                except Exception:  # a damaged content stream
                    continue
                if not drawings:
                    continue
                pages += 1
                start = time.perf_counter()
                theirs = page.cluster_drawings(drawings=drawings)
                theirs_time += time.perf_counter() - start
                start = time.perf_counter()
                ours = cluster_rects([d["rect"] for d in drawings], tuple(page.rect))
                ours_time += time.perf_counter() - start
                a = sorted({tuple(round(v, 3) for v in r) for r in theirs})
                b = sorted(tuple(round(v, 3) for v in r) for r in ours)
                if a != b:
                    differ += 1
                    print(f"{pdf.name} page {page.number + 1}: {len(a)} clusters against {len(b)}")
    print(f"{len(pdfs)} PDFs, {pages} pages with drawings, {differ} differ")
    print(f"PyMuPDF cluster_drawings: {theirs_time:.2f} s; cluster_rects: {ours_time:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
