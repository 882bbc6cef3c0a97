"""Reviewer edits survive: same version untouched, a new version refreshes only machine fields."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from alphatree_ingest.draft import build_entry, render_draft, split_blocks, update_draft
from alphatree_ingest.models import CodeLink, Extraction, Paper, Reference, Translation

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def _entry(version: int, abstract: str, abstract_zh: str):  # type: ignore[no-untyped-def]
    paper = Paper(
        arxiv_id="2611.00001",
        version=version,
        title="FooGAN: Stable Training",
        authors=["Ada Lovelace"],
        abstract=abstract,
        published=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        pdf_url="http://x/pdf",
    )
    extraction = Extraction(
        code_links=[CodeLink(url="https://github.com/a/foogan", framework="pytorch", evidence="our code")],
        references=[Reference(text="WGAN", arxiv="1701.07875")],
    )
    translation = Translation(title_zh="机器标题", abstract_zh=abstract_zh, model="m", backend="b")
    return build_entry(
        paper,
        extraction,
        translation,
        topic="gan/training",
        tree=[],
        taken_slugs=set(),
        figure_files={},
        now=dt.datetime(2026, 11, 28, tzinfo=dt.UTC),
    )


def test_template_renders_every_top_level_key_at_column_zero() -> None:
    text = render_draft(_entry(1, "First.", "第一。"), PROMPTS)
    keys = [b.key for b in split_blocks(text) if b.key]
    assert keys[:3] == ["id", "name", "arxiv"] and keys[-1] == "provenance"


def test_new_version_refreshes_machine_fields_and_keeps_every_reviewer_edit() -> None:
    text = render_draft(_entry(1, "First abstract.", "第一版摘要。"), PROMPTS)
    edited = text.replace("title_zh: 机器标题", "title_zh: 审稿人改过的标题  # 人工校对").replace(
        "level: advanced", "# the reviewer thinks this is for beginners\nlevel: beginner"
    )
    assert edited != text
    update = update_draft(edited, _entry(2, "Second abstract, rewritten.", "第二版摘要。"))
    data = yaml.safe_load(update.text)
    assert data["version"] == 2 and data["abstract"] == "Second abstract, rewritten."
    assert data["abstract_zh"] == "第二版摘要。"
    assert data["title_zh"] == "审稿人改过的标题" and data["level"] == "beginner"
    assert "title_zh: 审稿人改过的标题  # 人工校对\n" in update.text
    assert "# the reviewer thinks this is for beginners\nlevel: beginner\n" in update.text
    assert set(update.refreshed) == {"version", "abstract", "abstract_zh"}
    assert set(update.kept) == {"title_zh", "level"}
    assert data["provenance"]["new_version"]["previous"] == 1

    # a third version still keeps the edits: their hashes stay the old machine ones
    third = update_draft(update.text, _entry(3, "Third.", "第三版。"))
    again = yaml.safe_load(third.text)
    assert again["title_zh"] == "审稿人改过的标题" and again["level"] == "beginner"
    assert again["abstract_zh"] == "第三版。"
    assert "title_zh: 审稿人改过的标题  # 人工校对\n" in third.text


def test_a_draft_broken_mid_edit_is_skipped_and_left_alone(home: Path) -> None:
    from alphatree_ingest.catalog import Catalog
    from alphatree_ingest.models import TopicState
    from alphatree_ingest.planning import plan

    drafts = home / "catalog" / "drafts"
    drafts.mkdir(parents=True)
    broken = drafts / "2611.00001.yaml"
    broken.write_text("id: foo\ntitle: [unclosed\n")
    paper = Paper(
        arxiv_id="2611.00001",
        version=2,
        title="T",
        authors=[],
        abstract="A",
        published=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        pdf_url="http://x/pdf",
    )
    snapshot = Catalog(home / "catalog").load()
    result = plan(snapshot, [paper], TopicState(), topic="gan")
    assert result.todo == []
    assert result.skipped[0].id == "2611.00001"
    assert "does not parse, left untouched" in result.skipped[0].reason
    assert [p.path for p in snapshot.problems] == [str(broken)]
    assert broken.read_text() == "id: foo\ntitle: [unclosed\n"
