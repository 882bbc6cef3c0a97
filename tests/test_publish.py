"""The published pages: escaping, determinism, and a golden file for one topic page."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from alphatree_ingest.catalog import Catalog, write_pages
from alphatree_ingest.models import CatalogEntry, EntryCode
from alphatree_ingest.publish import cell, render

GOLDEN = Path(__file__).parent / "golden"
PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def test_cells_escape_table_syntax() -> None:
    assert cell("a | b *c* <script>\nnext [x]") == "a \\| b \\*c\\* &lt;script&gt; next \\[x\\]"


def test_pages_are_deterministic_and_escape_hostile_titles(home: Path) -> None:
    catalog = Catalog(home / "catalog")
    entry = CatalogEntry(
        id="evil",
        name="Evil|Net",
        arxiv="2611.00099",
        title="A <b>bold</b> | *title*\nwith newline",
        title_zh="恶意|标题",
        year=2026,
        topic="gan/training",
        status="approved",
        code=[EntryCode(url="https://github.com/x/evil", framework="pytorch")],
    )
    catalog.save_entry(catalog.entry_path(entry), entry)
    first = {p: p.read_bytes() for p in write_pages(render(catalog.load(), home / "site", PROMPTS))}
    second = {p: p.read_bytes() for p in write_pages(render(catalog.load(), home / "site", PROMPTS))}
    assert first == second
    page = (home / "site" / "gan-training.md").read_text()
    row = next(line for line in page.splitlines() if "Evil" in line)
    assert row.count(" | ") == 5 and "&lt;b&gt;" in row and "\\*title\\*" in row
    gan_rows = [ln for ln in (home / "site" / "gan.md").read_text().splitlines() if ln.startswith("|")]
    assert sum("Evil" in ln for ln in gan_rows) == 1


def test_topic_page_matches_golden_file(home: Path) -> None:
    write_pages(render(Catalog(home / "catalog").load(), home / "site", PROMPTS))
    got = (home / "site" / "gan-training.md").read_text()
    golden = GOLDEN / "gan-training.md"
    if os.environ.get("ALPHATREE_REGENERATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(got)
    assert got == golden.read_text(), "run with ALPHATREE_REGENERATE_GOLDEN=1 to accept the change"
    shutil.rmtree(home / "site")
