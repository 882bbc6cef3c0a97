"""Nothing lost, nothing escapes (issue #24): a full disk is the run's fault, torn or foreign bytes
never cost other papers, paths and text from entries stay where they belong, and two decisions on one
paper never interleave. Each test names the scenario it pins."""

from __future__ import annotations

import errno
import html.parser
import os
import resource
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from alphatree_ingest.catalog import Catalog, CatalogError
from alphatree_ingest.cli import main
from alphatree_ingest.config import Settings
from alphatree_ingest.mt.memory import TranslationMemory
from alphatree_ingest.review.gate import ReviewError, decide
from alphatree_ingest.run.faults import FaultWatch, RunFault, kind_of
from alphatree_ingest.site.html import CDN_MERMAID
from alphatree_ingest.site.plan_page import PLAN_JS
from tests.support import ArxivServer, feed_gan_papers
from tests.test_review import _draft

HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process commands reach no registry: publish falls back to the CDN's Mermaid."""
    monkeypatch.setenv("ALPHATREE_NPM_REGISTRY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALPHATREE_GITHUB_API", "http://127.0.0.1:9")


def _cli(capsys: Any, *args: str) -> tuple[int, str, str]:
    """`alphatree ARGS` in this process, as a user would type it; (exit code, stdout, stderr)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _entry(home: Path, topic: str, entry_id: str, **fields: Any) -> Path:
    data = {"id": entry_id, "name": entry_id.upper(), "title": f"The {entry_id} paper", "year": 2020}
    data.update(topic=topic, status="approved", **fields)
    path = home / "catalog" / "tree" / Path(*topic.split("/")) / f"{entry_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


# --- 1. a full disk is the run's fault -------------------------------------------------------------


@pytest.mark.parametrize(
    "code", [errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.ENOTDIR, errno.EEXIST]
)
@pytest.mark.parametrize("stage", ["fetch", "extract", "translate", "code", "draft"])
def test_a_disk_or_permission_error_at_any_stage_stops_the_run_at_once(stage: str, code: int) -> None:
    err = OSError(code, os.strerror(code), "/tree/translations/memory.jsonl")
    kind = kind_of(stage, err)
    assert kind is not None and "memory.jsonl" in kind
    watch = FaultWatch()
    watch.succeeded(["fetch", "extract", "translate", "code", "draft"])  # others got through it
    with pytest.raises(RunFault, match="none was charged"):
        watch.failed("2611.00001", stage, kind, str(err), [])
    assert watch.split() == ({}, {"2611.00001": str(err)})


def test_a_missing_file_is_still_the_papers_own_failure() -> None:
    assert kind_of("extract", FileNotFoundError(errno.ENOENT, "No such file", "x.pdf")) is None


def _papers(server: ArxivServer, n: int) -> list[str]:
    return feed_gan_papers(server, [float(i) for i in range(1, n + 1)], prefix="2611.007", name="Disk")


def test_a_full_translations_folder_fails_the_run_three_nights_running_and_gives_up_nothing(
    prefect_harness: None, flow_env: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    ids = _papers(arxiv_server, 3)
    memory = home / "translations" / "memory.jsonl"
    limit = 2_000_000
    memory.write_bytes(b" " * (limit - 1) + b"\n")  # no room left: the next line cannot be written
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, old_limit[1]))  # the kernel's own "file too large"
    try:
        for _ in range(3):
            state = ingest(topic="gan", return_state=True)
            assert state.is_failed()
            assert "File too large" in str(state.message) and "memory.jsonl" in str(state.message)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    saved = yaml.safe_load((home / "catalog" / "state" / "gan.yaml").read_text())
    assert saved["gave_up"] == {} and all(o["attempts"] == 0 for o in saved["owed"].values())
    assert not (home / "catalog" / "drafts").exists() or not list((home / "catalog" / "drafts").iterdir())
    memory.write_text("")  # room again: the next night drafts every paper
    assert {d.id for d in ingest(topic="gan").drafted} == set(ids)


# --- 2. one torn UTF-8 character -------------------------------------------------------------------


def test_a_torn_utf8_character_at_the_end_of_the_memory_costs_only_that_line(home: Path, capsys: Any) -> None:
    memory = home / "translations" / "memory.jsonl"
    good = '{"source": "We propose it.", "target": "我们提出它。", "origin": "human"}\n'
    memory.write_bytes(good.encode() + '{"source": "Torn", "target": "我'.encode()[:-1])
    loaded = TranslationMemory(memory)
    assert loaded.lookup("We propose it.", "", "") == "我们提出它。" and loaded.skipped == 1
    code, out, err = _cli(capsys, "memory", "audit")
    assert code == 0 and "Traceback" not in err


# --- 3. paths from an entry stay under its folder --------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"diagram": "{outside}"},
        {"diagram": "figures/../../{name}", "figures": [{"file": "figures/../../{name}"}]},
        {"diagram": "none", "figures": [{"file": "../../../{name}"}]},
    ],
)
def test_publish_never_touches_a_file_outside_the_tree(
    home: Path, capsys: Any, tmp_path: Path, fields: dict[str, Any]
) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG secret")
    outside.chmod(0o600)
    filled = yaml.safe_load(
        yaml.safe_dump(fields).replace("{outside}", str(outside)).replace("{name}", outside.name)
    )
    _entry(home, "gan", "sneaky", **filled)
    code, out, err = _cli(capsys, "publish")
    assert code == 0
    assert "sneaky" in err  # named as left out
    assert outside.stat().st_mode & 0o777 == 0o600
    assert not any(p.read_bytes() == b"\x89PNG secret" for p in (home / "site").rglob("*.png"))


def test_a_figure_that_links_out_of_the_catalog_is_not_copied(
    home: Path, capsys: Any, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    link = home / "catalog" / "figures" / "2611.00001" / "fig-1.png"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    _entry(home, "gan", "linked", diagram="figures/2611.00001/fig-1.png",
           figures=[{"file": "figures/2611.00001/fig-1.png"}])  # fmt: skip
    code, _, err = _cli(capsys, "publish")
    assert code == 0 and "fig-1.png" in err
    assert not (home / "site" / "figures" / "2611.00001" / "fig-1.png").exists()


# --- 4. no script reaches the site -----------------------------------------------------------------


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if any(name.startswith("on") for name in names):
            self.bad.append(f"<{tag} {names}>")
        data = dict(attrs).get("type") == "application/json"  # plan.html's data: never run
        if tag == "script" and not data and not any(n == "src" for n in names):
            self.bad.append("inline script")  # Mermaid's initialise line is checked separately
        if tag == "img" and dict(attrs).get("src") == "x":
            self.bad.append("<img src=x>")


def test_hostile_text_in_every_topic_and_entry_field_lands_as_text(home: Path, capsys: Any) -> None:
    topics = home / "catalog" / "topics.yaml"
    data = yaml.safe_load(topics.read_text())
    for topic in data["topics"]:
        topic["name_zh"] = f"{topic['name_zh']}{HOSTILE}"
        topic["name_en"] = f"{topic['name_en']}<script>alert(2)</script>"
    topics.write_text(yaml.safe_dump(data, allow_unicode=True))
    _entry(
        home, "gan", "hostile", name=HOSTILE, title=HOSTILE, title_zh=HOSTILE, abstract=HOSTILE,
        abstract_zh=HOSTILE, summary_zh=HOSTILE, notes=HOSTILE, venue=HOSTILE, authors=[HOSTILE],
        code=[{"url": f"https://x.org/{HOSTILE}", "framework": "pytorch"}], metrics={"FID": 1.0},
    )  # fmt: skip
    assert _cli(capsys, "publish")[0] == 0
    pages = list((home / "site").rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text()
        for ours in (
            "<script>mermaid.initialize({ startOnLoad: true });</script>",
            CDN_MERMAID,
            f"<script>{PLAN_JS}</script>",
        ):
            text = text.replace(ours, "")  # the site's own scripts; nothing else may run
        tags = _Tags()
        tags.feed(text)
        assert tags.bad == [], f"{page.name}: {tags.bad}"


def test_a_newline_in_an_entrys_file_names_is_refused(home: Path) -> None:
    bad = "figures/y.png\n<script>alert(1)</script>"
    path = _entry(home, "gan", "newline", diagram=bad, figures=[{"file": bad}])
    with pytest.raises(CatalogError, match="diagram"):
        Catalog(home / "catalog").read_entry(path)


# --- 5 and 7. one decision at a time per paper ------------------------------------------------------


def test_an_approval_waits_for_a_refresh_that_holds_the_paper(home: Path) -> None:
    _draft(home, "2611.00011")
    catalog = Catalog(home / "catalog")
    done: list[object] = []
    with catalog.paper_lock("2611.00011"):
        worker = threading.Thread(
            target=lambda: done.append(decide(catalog, "2611.00011", "approve", reviewer="r"))
        )
        worker.start()
        time.sleep(0.5)
        assert done == [] and (home / "catalog" / "drafts" / "2611.00011.yaml").exists()
    worker.join(10)
    assert len(done) == 1 and not (home / "catalog" / "drafts" / "2611.00011.yaml").exists()


def test_a_refresh_that_finds_its_draft_approved_meanwhile_flags_the_entry(
    home: Path, flow_env: Settings
) -> None:
    from alphatree_ingest.models import Extraction, Paper, Translation
    from alphatree_ingest.run import stages

    _draft(home, "2611.00012")
    catalog = Catalog(home / "catalog")
    stale = catalog.load()  # the ingest run read the catalog while the draft waited
    decide(catalog, "2611.00012", "approve", reviewer="r")
    paper = Paper(
        arxiv_id="2611.00012", version=2, title="PixelGAN: Sharper Image Synthesis", authors=["A"],
        abstract="We propose it.", published=days_ago_dt(), pdf_url="http://x/pdf",
    )  # fmt: skip
    translation = Translation(title_zh="像素", abstract_zh="我们", model="m", backend="b")
    written = stages.write_draft(flow_env, stale, "gan", paper, Extraction(), translation, [])
    assert written.action == "flagged"
    assert not (home / "catalog" / "drafts" / "2611.00012.yaml").exists()
    assert (home / "catalog" / "flags" / "2611.00012.yaml").exists()
    tree = list((home / "catalog" / "tree").rglob("*.yaml"))
    assert sum("2611.00012" in p.read_text() for p in tree) == 1


def days_ago_dt() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC) - dt.timedelta(days=1)


def _approve(
    home: Path, catalog: Catalog, arxiv_id: str, start: threading.Barrier, results: list[str]
) -> None:
    """One reviewer's `approve`, started together with another's."""
    memory = TranslationMemory(home / "translations" / "memory.jsonl")
    start.wait()
    try:
        decide(catalog, arxiv_id, "approve", reviewer="r", memory=memory)
        results.append("approved")
    except ReviewError as err:
        results.append(str(err))


def test_two_approvals_of_one_draft_at_once_approve_it_once_and_learn_once(home: Path) -> None:
    for round_ in range(4):
        arxiv_id = f"2611.0002{round_}"
        draft = _draft(home, arxiv_id)
        text = draft.read_text().replace("PixelGAN：更清晰的图像合成", "PixelGAN：更加清晰的图像合成")
        draft.write_text(text.replace("\nid: pixelgan\n", f"\nid: pixelgan-{round_}\n"))
        catalog = Catalog(home / "catalog")
        start = threading.Barrier(2)
        results: list[str] = []

        workers = [
            threading.Thread(target=_approve, args=(home, catalog, arxiv_id, start, results))
            for _ in range(2)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join(20)
        assert sorted(results)[0] == "approved" and "no draft" in sorted(results)[1]
        rows = (home / "translations" / "memory.jsonl").read_text().count("更加清晰")
        assert rows == 1, f"round {round_}: learned {rows} times"
        (home / "translations" / "memory.jsonl").unlink()


# --- 6. one foreign file never breaks the others ---------------------------------------------------


def test_a_draft_that_is_not_utf8_is_listed_and_every_other_command_works(home: Path, capsys: Any) -> None:
    _draft(home, "2611.00031")
    broken = home / "catalog" / "drafts" / "2611.00032.yaml"
    broken.write_bytes(b"id: caf\xe9\ntitle: Latin-1\n")
    code, out, err = _cli(capsys, "review", "list")
    assert code == 0 and "2611.00032" in out and "UTF-8" in out and "2611.00031" in out
    assert _cli(capsys, "publish")[0] == 0
    code, out, err = _cli(capsys, "review", "approve", "2611.00031", "--no-read")
    assert "Traceback" not in err and "2611.00032" not in err


# --- 8. a YAML alias bomb --------------------------------------------------------------------------


def test_a_yaml_alias_bomb_in_a_draft_is_refused_at_once(home: Path, capsys: Any) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 10):
        lines.append(f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]")
    bomb = _draft(home, "2611.00041")
    nested = "".join(f"  {line}\n" for line in lines)  # inside provenance, where any value is allowed
    bomb.write_text(bomb.read_text().replace("\nprovenance:\n", "\nprovenance:\n" + nested, 1))
    began = time.monotonic()
    code, out, err = _cli(capsys, "review", "approve", "2611.00041", "--no-read")
    assert code != 0 and "alias" in err and time.monotonic() - began < 30


def test_a_huge_draft_is_refused_without_being_parsed(home: Path) -> None:
    huge = home / "catalog" / "drafts" / "2611.00042.yaml"
    huge.parent.mkdir(parents=True)
    huge.write_text("abstract: " + "x" * 3_000_000 + "\n")
    snapshot = Catalog(home / "catalog").load()
    assert any("too large" in p.reason for p in snapshot.problems)


# --- 9. duplicate entry ids ------------------------------------------------------------------------


def test_publish_refuses_two_entries_with_one_id(home: Path, capsys: Any) -> None:
    _entry(home, "gan", "resnet")
    code, out, err = _cli(capsys, "publish")
    assert code != 0 and "resnet" in err and "resnet.yaml" in err
    assert not (home / "site" / "entries" / "resnet.html").exists()


def test_the_gate_refuses_an_id_the_tree_already_uses(home: Path) -> None:
    draft = _draft(home, "2611.00051")
    text = yaml.safe_load(draft.read_text())
    draft.write_text(draft.read_text().replace(f"id: {text['id']}", "id: resnet"))
    with pytest.raises(ReviewError) as refused:
        decide(Catalog(home / "catalog"), "2611.00051", "approve", reviewer="r")
    assert any("resnet" in p for p in refused.value.problems)


# --- 10. one sentence, naming the file as it is named ----------------------------------------------


def test_a_state_file_that_is_a_folder_or_not_utf8_is_named(home: Path, capsys: Any) -> None:
    catalog = Catalog(home / "catalog")
    state = catalog.state_path("gan")
    state.mkdir(parents=True)
    with pytest.raises(CatalogError, match="gan.yaml"):
        catalog.load_state("gan")
    state.rmdir()
    state.write_bytes(b"watermark: \xff\xfe\n")
    with pytest.raises(CatalogError, match="gan.yaml.*UTF-8"):
        catalog.load_state("gan")


def test_error_messages_keep_the_case_of_file_names(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "zero.pdf").write_bytes(b"")
    monkeypatch.chdir(tmp_path)  # as typed: a name relative to the folder, the first word of the message
    code, _, err = _cli(capsys, "extract", "zero.pdf")
    assert code != 0 and "zero.pdf" in err and "Zero.pdf" not in err


def test_approving_into_a_catalog_that_cannot_be_written_says_one_sentence(home: Path, capsys: Any) -> None:
    _draft(home, "2611.00061")
    (home / "catalog" / "tree" / "gan").rename(home / "gan-moved")
    (home / "catalog" / "tree" / "gan").write_text("not a folder")
    code, out, err = _cli(capsys, "review", "approve", "2611.00061", "--no-read")
    assert code != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "catalog/tree/gan" in err
    draft = home / "catalog" / "drafts" / "2611.00061.yaml"
    assert yaml.safe_load(draft.read_text())["status"] == "draft"  # untouched, ready for a retry


# --- 11. comments survive approval -----------------------------------------------------------------


def test_a_reviewers_comments_survive_approval(home: Path) -> None:
    draft = _draft(home, "2611.00071")
    text = draft.read_text().replace("\ntopic:", "\n# checked the topic with the authors' talk\ntopic:")
    draft.write_text(text)
    done = decide(Catalog(home / "catalog"), "2611.00071", "approve", reviewer="r")
    assert "# checked the topic with the authors' talk" in done.path.read_text()
    assert yaml.safe_load(done.path.read_text())["status"] == "approved"


# --- 12. topic ids and file names, one to one -------------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [("gan/x", "gan--x"), ("gan/x", "gan-x"), ("gan/x-", None)])
def test_topics_that_would_share_a_file_are_refused(home: Path, first: str, second: str | None) -> None:
    topics = home / "catalog" / "topics.yaml"
    data = yaml.safe_load(topics.read_text())
    for topic_id in filter(None, (first, second)):
        data["topics"].append({"id": topic_id, "name_zh": "X", "name_en": "X", "query": "ti:x"})
    topics.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CatalogError, match="topics.yaml"):
        Catalog(home / "catalog").topics()


def test_a_broken_glossary_stops_the_run_before_any_paper(
    prefect_harness: None, flow_env: Settings, arxiv_server: ArxivServer, home: Path
) -> None:
    from flows.ingest import ingest

    _papers(arxiv_server, 2)
    (home / "translations" / "glossary.yaml").write_bytes(b"terms: {ResNet: \xff}\n")
    state = ingest(topic="gan", return_state=True)
    assert state.is_failed() and "glossary.yaml" in str(state.message) and "UTF-8" in str(state.message)
    assert not (home / "catalog" / "state" / "gan.yaml").exists()  # nothing tried, nothing charged


def test_the_paper_lock_is_reentrant_in_one_thread_and_exclusive_across_threads(home: Path) -> None:
    """The review app edits a draft and decides it under one hold of the lock (decide takes it again)."""
    catalog = Catalog(home / "catalog")
    entered: list[str] = []

    def nested() -> None:
        with catalog.paper_lock("2611.00081"), catalog.paper_lock("2611.00081"):
            entered.append("nested")

    worker = threading.Thread(target=nested)
    worker.start()
    worker.join(5)
    assert entered == ["nested"], "a nested hold in one thread deadlocked"
    with catalog.paper_lock("2611.00081"):
        other = threading.Thread(target=nested)
        other.start()
        other.join(0.5)
        assert other.is_alive() and entered == ["nested"]  # another thread waits
    other.join(5)
    assert entered == ["nested", "nested"]
