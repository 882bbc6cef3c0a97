"""How wide a real paper's reading page is in chromium, at a laptop's and a phone's width.

Usage: python bench/page_width.py [PDF]   (default ../shared/figure-devset/1706.03762.pdf)
To compare with older code, run this file with PYTHONPATH pointing at that code's checkout
(`git archive REV | tar -x -C /tmp/old`, then `PYTHONPATH=/tmp/old python bench/page_width.py`).
The Chinese is a stand-in of real density (one CJK character per three English letters): what is
measured is the layout, not the translation. Needs Debian's chromium and Playwright.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alphatree_ingest.models import CatalogEntry
from alphatree_ingest.site import reading
from alphatree_ingest.site.html import to_html

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "figure-devset" / "1706.03762.pdf"
COLUMNS = """() => {
  const en = document.querySelector('.pair .en') || document.querySelector('td:first-child');
  const zh = document.querySelector('.pair .zh') || document.querySelector('td:nth-child(2)');
  return [Math.round(en.getBoundingClientRect().width), Math.round(zh.getBoundingClientRect().width)];
}"""


def page_of(pdf: Path) -> Path:
    """The reading page's HTML for `pdf`, written into a new temporary folder."""
    found = reading.parts_of(pdf)
    for part in found:
        if part.kind != "figure":
            part.sentences = reading.split_sentences(part.text) or [part.text]
            part.chinese = ["中" * max(2, len(s) // 3) + "。" for s in part.sentences]
    entry = CatalogEntry(
        id="paper", name="Paper", arxiv="1706.03762", title=found[0].text[:80] if found else "Paper",
        title_zh="论文", year=2017, topic="gan", status="approved",
    )  # fmt: skip
    both, _ = reading.render_page(entry, found, "opus-mt-en-zh")
    out = Path(tempfile.mkdtemp()) / "read" / "paper.md"
    out.parent.mkdir(parents=True)
    html = out.with_suffix(".html")
    html.write_text(to_html({out: both})[html])
    return html


def main() -> None:
    from playwright.sync_api import sync_playwright

    html = page_of(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for width, height in ((1280, 900), (390, 844), (360, 740)):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(html.as_uri())
            wide = page.evaluate("document.documentElement.scrollWidth")
            en, zh = page.evaluate(COLUMNS)
            print(f"viewport {width} px: page {wide} px wide; first English / Chinese column {en} / {zh} px")
        browser.close()


if __name__ == "__main__":
    main()
