"""Review: the memory learns only what a reviewer wrote; the gate checks translation for real; the form
applies edits as a reviewer editing the YAML would."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from alphatree_ingest.drafting.draft import build_entry, render_draft
from alphatree_ingest.models import EntryCode, Extraction, Paper, Translation
from alphatree_ingest.mt.text import translation_problems
from alphatree_ingest.mt.translate import TranslateStage
from tests.conftest import InProcessCli, cli_env
from tests.support import save_yaml

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"

# real English and reference Chinese, sentence by sentence
REFERENCE = {
    "PixelGAN: Sharper Image Synthesis": "PixelGAN：更清晰的图像合成",
    "We propose PixelGAN, a generative adversarial network for image synthesis.": (
        "我们提出 PixelGAN，一种用于图像合成的生成对抗网络。"
    ),
    "It trains the discriminator on image patches at several scales.": "它在多个尺度的图像块上训练判别器。",
    "On CelebA-HQ it improves the FID of the strongest baseline by a wide margin.": (
        "在 CelebA-HQ 上，它将最强基线的 FID 大幅降低。"
    ),
}
TITLE = "PixelGAN: Sharper Image Synthesis"
ABSTRACT = " ".join(list(REFERENCE)[1:])


class Dictionary:
    """A translator that knows the reference translations (a well-behaved model)."""

    name = "dictionary"
    backend = "fake"

    def translate_batch(self, sentences: list[str]) -> list[str]:
        return [REFERENCE.get(s, s) for s in sentences]


def _stage(folder: Path) -> TranslateStage:
    """The real stage and memory, with no glossary: the fake sees the sentences as written."""
    from alphatree_ingest.mt.glossary import Glossary
    from alphatree_ingest.mt.memory import TranslationMemory

    return TranslateStage(Dictionary(), Glossary(), TranslationMemory(folder / "memory.jsonl"))


def _draft(home: Path, arxiv_id: str) -> Path:
    """A draft written the way `ingest` writes it, translated through the real stage and memory."""
    stage = _stage(home / "translations")
    title_zh, abstract_zh = stage.translate([TITLE, ABSTRACT])
    paper = Paper(
        arxiv_id=arxiv_id,
        title=TITLE,
        authors=["Ada Lovelace"],
        abstract=ABSTRACT,
        published=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        pdf_url="http://x/pdf",
    )
    translation = Translation(title_zh=title_zh, abstract_zh=abstract_zh, model="dictionary", backend="fake")
    entry = build_entry(
        paper, Extraction(), translation, topic="gan", tree=[], taken_slugs=set(), figure_files={}
    )
    entry = entry.model_copy(
        update={"code": [EntryCode(url="https://github.com/a/pixelgan", framework="pytorch", official=True)]}
    )
    path = home / "catalog" / "drafts" / f"{arxiv_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_draft(entry, PROMPTS))

    return path


def _human_rows(home: Path) -> list[dict[str, str]]:
    lines = (home / "translations" / "memory.jsonl").read_text().splitlines()
    return [row for row in map(json.loads, lines) if row["origin"] == "human"]


def test_an_untouched_draft_teaches_nothing_and_k_edits_teach_exactly_k(
    home: Path, cli: InProcessCli
) -> None:
    env = cli_env(home, None, None)
    untouched = _draft(home, "2611.02001")
    assert "diagram: none" in untouched.read_text()
    approved = cli(["review", "approve", "2611.02001"], env)
    assert approved.returncode == 0, approved.stderr
    assert "learned" not in approved.stdout and _human_rows(home) == []

    edited = _draft(home, "2611.02002")
    data = yaml.safe_load(edited.read_text())
    data["id"] = "pixelgan-2"
    data["abstract_zh"] = (
        "我们提出 PixelGAN：一种面向图像合成的生成对抗网络。它在多个尺度的图像块上训练判别器。"
        "在 CelebA-HQ 数据集上，它把最强基线的 FID 降低了一大截。"
    )
    save_yaml(edited, data)
    approved = cli(["review", "approve", "2611.02002"], env)
    assert approved.returncode == 0, approved.stderr
    assert "learned 2 reviewed sentence(s)" in approved.stdout
    rows = _human_rows(home)
    assert [r["source"] for r in rows] == [list(REFERENCE)[1], list(REFERENCE)[3]]

    # a later paper that contains a corrected sentence gets the reviewer's version
    (out,) = _stage(home / "translations").translate([list(REFERENCE)[3]])
    assert out == "在 CelebA-HQ 数据集上，它把最强基线的 FID 降低了一大截。"


def test_the_memory_audit_finds_and_repairs_machine_text_marked_human(home: Path, cli: InProcessCli) -> None:
    memory = home / "translations" / "memory.jsonl"
    rows = [
        {"source": "A cat.", "target": "一只猫。", "origin": "machine", "model": "m", "glossary": "g"},
        {"source": "A cat.", "target": "一只猫", "origin": "human", "model": "", "glossary": ""},
        {"source": "A dog.", "target": "一条狗。", "origin": "machine", "model": "m", "glossary": "g"},
        {"source": "A dog.", "target": "一只小狗。", "origin": "human", "model": "", "glossary": ""},
    ]
    memory.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + '[1, 2, 3]\n"text"\n')
    env = cli_env(home, None, None)
    audit = cli(["memory", "audit"], env)
    assert audit.returncode == 0, audit.stderr
    assert "2 unreadable line(s) skipped" in audit.stdout and "1 row(s) marked human" in audit.stdout
    repaired = cli(["memory", "audit", "--repair"], env)
    assert "Removed 1" in repaired.stdout
    kept = [json.loads(line) for line in memory.read_text().splitlines() if line.startswith("{")]
    assert [(r["source"], r["origin"]) for r in kept] == [
        ("A cat.", "machine"),
        ("A dog.", "machine"),
        ("A dog.", "human"),
    ]


@pytest.mark.parametrize(
    "line", ["[1, 2, 3]", '"text"', '{"source": 5, "target": "x"}', '{"source": "a", "target": 3}', "{torn"]
)
def test_a_bad_memory_line_is_skipped_and_translation_goes_on(tmp_path: Path, line: str) -> None:
    from alphatree_ingest.mt.memory import TranslationMemory

    (tmp_path / "memory.jsonl").write_text(line + "\n")
    assert _stage(tmp_path).translate([TITLE]) == [REFERENCE[TITLE]]

    assert TranslationMemory(tmp_path / "memory.jsonl").skipped == 1


def test_the_gate_passes_reference_chinese_and_names_each_failure_with_its_number() -> None:
    kept = frozenset({"GAN", "FID", "PixelGAN"})
    chinese = "".join(list(REFERENCE.values())[1:])
    assert translation_problems("abstract_zh", chinese, ABSTRACT, kept) == []
    assert translation_problems("title_zh", REFERENCE[TITLE], TITLE, kept) == []
    # 770 characters of Latin garbage with one glossary term in Chinese
    garbage = "生成对抗网络 " + " ".join(["lorem ipsum dolor sit amet"] * 28)
    (problem, *_) = translation_problems("title_zh", garbage, TITLE, kept)
    assert "untranslated English (at most 20%)" in problem and problem.startswith("title_zh: 9")
    half = list(REFERENCE.values())[1]
    assert any(
        "characters per English word" in p for p in translation_problems("abstract_zh", half, ABSTRACT)
    )
    assert any("repeats itself" in p for p in translation_problems("abstract_zh", "网络" * 30, ABSTRACT))


def test_the_tiny_random_model_never_passes_the_gate(tiny_model: Path, tmp_path: Path) -> None:
    """Garbage from a random-weight model, through the real stage: no draft may pass as translated."""
    from alphatree_ingest.mt.marian import MarianTranslator

    stage = TranslateStage(
        MarianTranslator(str(tiny_model), backend="ctranslate2", cache_dir=tmp_path).load()
    )
    texts = [TITLE, ABSTRACT, "Deep residual learning for image recognition", "We study GANs. They work."]
    outputs = stage.translate(texts)
    for source, chinese in zip(texts, outputs, strict=True):
        field = "abstract_zh" if len(source) > 50 else "title_zh"
        assert translation_problems(field, chinese, source), (source, chinese)


def test_a_submitted_form_edits_the_draft_as_a_reviewer_would(home: Path) -> None:
    from alphatree_ingest.catalog import Catalog
    from alphatree_ingest.review.form import apply_edits, context, edits, form_fields

    path = _draft(home, "2611.02003")
    text = path.read_text().replace("parents:", "# 审稿人：先看看\nparents:", 1)
    path.write_text(text)
    catalog = Catalog(home / "catalog")
    snapshot = catalog.load()
    entry = snapshot.drafts[0].entry
    fields = form_fields(entry, snapshot)
    assert fields["title_zh"][1] == entry.title_zh and "none" in str(fields["diagram"][0])
    answer = {k: v[1] for k, v in fields.items()}
    answer.update(
        title_zh="PixelGAN：更锐利的图像合成", parents=["gan", "dcgan"], code_url="https://github.com/b/pg"
    )
    changed = edits(entry, answer)
    assert set(changed) == {"title_zh", "parents", "code"}
    new = apply_edits(text, changed)
    data = yaml.safe_load(new)
    assert data["title_zh"] == "PixelGAN：更锐利的图像合成" and data["parents"] == ["gan", "dcgan"]
    assert data["code"][0] == {"url": "https://github.com/b/pg", "framework": "pytorch", "official": False}
    assert "# 审稿人：先看看\nparents:" in new and data["provenance"] == yaml.safe_load(text)["provenance"]
    assert new.split("\nprovenance:")[1] == text.split("\nprovenance:")[1]
    page = context(entry, ["no code link with framework: pytorch"], "catalog/drafts/2611.02003.yaml")
    assert "https://arxiv.org/abs/2611.02003" in page and "code_url" in page
    # English and Chinese one after the other (a two-column table is 9,410 px wide on a phone)
    assert f"**English:** {entry.abstract}" in page and "**中文:**" in page and "| English |" not in page


def test_the_prefect_form_reads_as_a_reviewer_needs(home: Path) -> None:
    """Issue 28: the checks and why the last approval was refused at the top, the English as help
    text of each Chinese field, evidence in sentences, captions instead of file names."""
    from alphatree_ingest.catalog import Catalog
    from alphatree_ingest.review.form import context, diagram_labels, edits, form_fields, form_help

    path = _draft(home, "2611.02005")
    data = yaml.safe_load(path.read_text())
    data["figures"] = [
        {
            "file": "figures/2611.02005/fig-1.png",
            "caption": "Figure 1: Overview of PixelGAN.",
            "kind": "architecture",
        }
    ]
    data["provenance"]["suggestions"]["parents"] = {
        "evidence": {"gan": ["cited 3 times", "named in the abstract"]}
    }
    save_yaml(path, data)
    catalog = Catalog(home / "catalog")
    snapshot = catalog.load()
    entry = snapshot.drafts[0].entry
    page = context(
        entry,
        ["title_zh is not translated into Chinese"],
        "catalog/drafts/2611.02005.yaml",
        refused="2611.02005 cannot be approved: title_zh is not translated into Chinese",
        review_url="http://127.0.0.1:8765/review/2611.02005",
    )
    assert (
        page.index("**Last approval refused:**")
        < page.index("Checks that still fail")
        < page.index("English")
    )
    assert (
        "[Review this draft in the review app (figures shown)](http://127.0.0.1:8765/review/2611.02005)"
        in page
    )
    assert "gan: cited 3 times; named in the abstract" in page and "{'" not in page and "['" not in page
    assert "- Figure 1: Overview of PixelGAN. (architecture)" in page
    help_ = form_help(entry, snapshot)
    assert (
        help_["title_zh"] == f"English: {entry.title}"
        and help_["abstract_zh"] == f"English: {entry.abstract}"
    )
    help_ = form_help(entry, snapshot, ["title_zh is not translated into Chinese"], "it cannot be approved")
    assert help_["title_zh"] == (
        "Last approval refused: it cannot be approved — Checks that still fail: title_zh is not translated "
        f"into Chinese. — English: {entry.title}"
    )
    assert "gan: cited 3 times; named in the abstract" in help_["parents"]
    fields = form_fields(entry, snapshot)
    label = "Figure 1: Overview of PixelGAN. (fig-1.png)"
    assert diagram_labels(entry) == {label: "figures/2611.02005/fig-1.png"}
    assert label in str(fields["diagram"][0]) and "figures/" not in str(fields["diagram"][0])
    answer = {k: v[1] for k, v in fields.items()} | {"diagram": label}
    assert edits(entry, answer)["diagram"] == "figures/2611.02005/fig-1.png"
    assert "code" in fields
    no_code = entry.model_copy(update={"code": []})
    assert "code" not in form_fields(no_code, snapshot)  # no "(another URL, below)" as if a repository


def test_review_list_names_each_failing_check(home: Path, cli: InProcessCli) -> None:
    path = _draft(home, "2611.02004")
    data = yaml.safe_load(path.read_text())
    data["title_zh"] = "PixelGAN 图像: sharper image synthesis, not translated at all"
    save_yaml(path, data)
    listed = cli(["review", "list"], cli_env(home, None, None))
    assert listed.returncode == 0, listed.stderr
    assert "1 check(s) failing" in listed.stdout
    assert "warning: title_zh: " in listed.stdout and "untranslated English" in listed.stdout
