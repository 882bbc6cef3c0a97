"""Reviewer edits survive: same version untouched, a new version refreshes only machine fields."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from alphatree_ingest.drafting.draft import build_entry, render_draft, split_blocks, update_draft
from alphatree_ingest.models import CodeLink, Extraction, Figure, Paper, Reference, Translation

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def _entry(version: int, abstract: str, abstract_zh: str, figures: int = 0):  # type: ignore[no-untyped-def]
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
        figures=[
            Figure(
                number=str(n), page=n, bbox=(0, 0, 9, 9), caption=f"Figure {n}: v{version}.", file=f"f{n}.png"
            )
            for n in range(1, figures + 1)
        ],
    )
    translation = Translation(
        title_zh="机器标题",
        abstract_zh=abstract_zh,
        captions_zh=[f"图{n}：第{version}版。" for n in range(1, figures + 1)],
        model="m",
        backend="b",
    )
    return build_entry(
        paper,
        extraction,
        translation,
        topic="gan/training",
        tree=[],
        taken_slugs=set(),
        figure_files={str(n): f"figures/2611.00001/v{version}-f{n}.png" for n in range(1, figures + 1)},
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
    from alphatree_ingest.discover.planning import plan
    from alphatree_ingest.models import TopicState

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


def _kept_lines(old: str, new: str, refreshed: list[str]) -> list[str]:
    """Lines of the old draft, outside refreshed fields and provenance, missing from the new one."""
    new_lines = new.splitlines()
    gone = []
    for block in split_blocks(old):
        if block.key in refreshed or block.key == "provenance":
            continue
        gone += [line.rstrip("\n") for line in block.lines if line.rstrip("\n") not in new_lines]
    return [line for line in gone if not line.startswith("# Draft for review: ")]  # the machine's header


def test_a_refresh_keeps_every_comment_inside_a_refreshed_list_and_leaves_no_stale_item() -> None:
    """Bug: an indented comment inside `figures:` was deleted, and a column-0 comment between items
    left 12 stale items after the new list (25 figures instead of 13)."""
    text = render_draft(_entry(1, "First.", "第一。", figures=13), PROMPTS)
    lines = text.splitlines(keepends=True)
    second_item = [i for i, line in enumerate(lines) if line.startswith("- file: figures/")][1]
    lines.insert(second_item, "# reviewer: figure 2 is the one to show\n")
    third_item = [i for i, line in enumerate(lines) if line.startswith("- file: figures/")][2]
    lines.insert(third_item + 1, "  # reviewer: caption checked against the PDF\n")
    fourth = [i for i, line in enumerate(lines) if line.startswith("- file: figures/")][3]
    lines[fourth] = lines[fourth].rstrip("\n") + "  # looks blurry\n"
    edited = "".join(lines)
    assert yaml.safe_load(edited)["figures"] == yaml.safe_load(text)["figures"]  # comments only

    update = update_draft(edited, _entry(2, "Second.", "第二。", figures=13))
    data = yaml.safe_load(update.text)
    assert update.text.startswith("# Draft for review: FooGAN (arXiv 2611.00001v2), written by")
    assert len(data["figures"]) == 13
    assert [f["caption"] for f in data["figures"]] == [f"Figure {n}: v2." for n in range(1, 14)]
    assert "figures" in update.refreshed
    for comment in (
        "# reviewer: figure 2 is the one to show",
        "# reviewer: caption checked against the PDF",
        "# looks blurry",
    ):
        assert update.text.count(comment) == 1, comment
    assert _kept_lines(edited, update.text, update.refreshed) == []  # no reviewer byte changed

    third = update_draft(update.text, _entry(3, "Third.", "第三。", figures=13))  # and again
    assert len(yaml.safe_load(third.text)["figures"]) == 13
    assert third.text.count("# looks blurry") == 1


def test_a_reformatted_but_equal_field_is_kept_as_the_reviewer_wrote_it() -> None:
    text = render_draft(_entry(1, "First.", "第一。"), PROMPTS)
    edited = text.replace("abstract_zh: 第一。", "abstract_zh: '第一。'")
    assert edited != text and yaml.safe_load(edited)["abstract_zh"] == "第一。"
    update = update_draft(edited, _entry(2, "Second.", "第二。"))
    assert "abstract_zh: '第一。'\n" in update.text and "abstract_zh" in update.kept


def test_comments_a_reviewer_put_inside_provenance_survive_a_refresh() -> None:
    text = render_draft(_entry(1, "First.", "第一。"), PROMPTS)
    edited = text.replace("provenance:\n", "provenance:\n  # asked the authors about the code\n", 1)
    update = update_draft(edited, _entry(2, "Second.", "第二。"))
    assert update.text.count("# asked the authors about the code") == 1
    assert yaml.safe_load(update.text)["provenance"]["new_version"]["version"] == 2
