"""Extraction speed: `alphatree extract` (with PNGs) against pymupdf4llm.to_markdown with images.

Usage: python bench/extract_speed.py [PDF_DIR]   (default ../shared/figure-devset)
Both run in this process on the same PDFs, one after the other, each twice (the faster run counts).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from alphatree_ingest.pdf.extract import extract

sys.path.insert(0, str(Path(__file__).resolve().parent))
import data  # noqa: E402


def _pages(pdfs: list[Path]) -> int:
    import pymupdf

    return sum(pymupdf.open(p).page_count for p in pdfs)


def run_ours(pdfs: list[Path], out: Path) -> float:
    start = time.perf_counter()
    for pdf in pdfs:
        extract(pdf, out / pdf.stem)
    return time.perf_counter() - start


def run_pymupdf4llm(pdfs: list[Path], out: Path) -> float:
    import pymupdf4llm

    start = time.perf_counter()
    for pdf in pdfs:
        pymupdf4llm.to_markdown(str(pdf), write_images=True, image_path=str(out / pdf.stem), dpi=150)
    return time.perf_counter() - start


def main() -> None:
    folder = data.devset(sys.argv, need="*.pdf")
    pdfs = sorted(folder.glob("*.pdf"))
    pages = _pages(pdfs)
    with tempfile.TemporaryDirectory() as tmp:
        ours = min(run_ours(pdfs, Path(tmp) / f"ours{i}") for i in range(2))
        theirs = min(run_pymupdf4llm(pdfs, Path(tmp) / f"llm{i}") for i in range(2))
    print(f"{len(pdfs)} PDFs, {pages} pages")
    print(f"alphatree extract : {ours:7.2f} s  {pages / ours:7.1f} pages/s")
    print(f"pymupdf4llm       : {theirs:7.2f} s  {pages / theirs:7.1f} pages/s")
    print(f"speed-up          : {theirs / ours:7.1f}x")


if __name__ == "__main__":
    main()
