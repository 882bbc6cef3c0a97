"""The whole loop through the real CLI: ingest against a loopback arXiv and a tiny real Marian model."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import InProcessCli, cli_env, run_cli
from tests.support import ArxivServer, FeedEntry, days_ago, make_paper_pdf, save_yaml

pytestmark = pytest.mark.slow

ABSTRACT = (
    "We propose FooGAN, a generative adversarial network that builds on WGAN-GP and ResNet and "
    "stabilises its training with a new gradient penalty. "
    "It improves the FID on CelebA-HQ by 3.5% over ProGAN. Our code is available at "
    "https://github.com/example/foogan."
)


def _feed(server: ArxivServer) -> None:
    server.add(
        FeedEntry(
            "2611.00001",
            "FooGAN: Stable Adversarial Training at Scale",
            ABSTRACT,
            published=days_ago(1),
        ),
        make_paper_pdf(
            "FooGAN: Stable Adversarial Training at Scale",
            ABSTRACT,
            code_url="https://github.com/example/foogan",
            references=[
                "I. Gulrajani et al. Improved training of Wasserstein GANs. arXiv:1704.00028, 2017.",
                "K. He et al. Deep residual learning. arXiv preprint arXiv:1512.03385, 2015.",
            ],
        ),
    )
    server.add(
        FeedEntry(
            "2611.00002",
            "BarNet: Diffusion Meets Adversarial Nets",
            "We study adversarial nets for denoising. The results are strong.",
            version=2,
            published=days_ago(2),
        ),
        make_paper_pdf(
            "BarNet: Diffusion Meets Adversarial Nets",
            "We study adversarial nets for denoising. The results are strong.",
        ),
    )
    # a paper already in the tree (ResNet) must not be drafted
    server.add(
        FeedEntry(
            "1512.03385",
            "Deep Residual Learning for Image Recognition",
            "Deeper neural networks are more difficult to train.",
            published="2015-12-10T10:00:00Z",
        )
    )
    # a paper whose PDF link is broken: reported, the run goes on
    server.add(
        FeedEntry(
            "2611.00003",
            "Broken Paper",
            "This PDF link is broken.",
            published=days_ago(3),
        )
    )


def test_ingest_drafts_new_papers_skips_known_and_is_idempotent(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, cli: InProcessCli
) -> None:
    _feed(arxiv_server)
    env = cli_env(home, arxiv_server, tiny_model)
    result = cli(["ingest", "--topic", "gan", "--since", "2015-01-01"], env)
    assert result.returncode == 0, result.stderr
    assert "2 drafted" in result.stdout and "1 failed" in result.stdout, result.stdout
    assert "1512.03385  already in the tree" in result.stdout
    assert "2611.00003" in result.stdout and "HTTP 404" in result.stdout

    drafts = sorted((home / "catalog" / "drafts").glob("*.yaml"))
    assert [p.name for p in drafts] == ["2611.00001.yaml", "2611.00002.yaml"]
    entry = yaml.safe_load(drafts[0].read_text())
    assert entry["arxiv"] == "2611.00001" and entry["version"] == 1
    assert entry["title"].startswith("FooGAN") and entry["name"] == "FooGAN"
    assert entry["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert entry["abstract"] == ABSTRACT
    assert entry["abstract_zh"].strip() and entry["abstract_zh"] != ABSTRACT
    assert "3.5%" in entry["abstract_zh"] and "WGAN-GP" in entry["abstract_zh"]
    # it builds on WGAN-GP and ResNet (ProGAN, only named, is listed for the reviewer, not suggested);
    # its parent in the GAN branch lives in gan/training, and so does the suggestion
    assert entry["parents"] == ["wgan-gp", "resnet"]
    assert entry["topic"] == "gan/training" and entry["status"] == "draft"
    assert entry["code"][0]["url"] == "https://github.com/example/foogan"
    assert entry["code"][0]["framework"] == "pytorch"
    captions = [f["caption"] for f in entry["figures"]]
    assert captions[0].startswith("Figure 1: Overview") and captions[1].startswith("Figure 2:")
    assert entry["figures"][0]["diagram"] is True and entry["figures"][1]["diagram"] is False
    assert entry["diagram"] == entry["figures"][0]["file"]
    for fig in entry["figures"]:
        assert (home / "catalog" / fig["file"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert entry["provenance"]["abstract_zh"]["model"] == str(tiny_model)
    assert yaml.safe_load(drafts[1].read_text())["version"] == 2

    before = {p: p.read_bytes() for p in drafts}
    again = cli(["ingest", "--topic", "gan"], env)
    assert again.returncode == 0, again.stderr
    assert "0 drafted" in again.stdout
    assert "already drafted" in again.stdout
    assert {p: p.read_bytes() for p in drafts} == before


def test_review_approve_then_publish(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, cli: InProcessCli
) -> None:
    _feed(arxiv_server)
    env = cli_env(home, arxiv_server, tiny_model)
    assert cli(["ingest", "--topic", "gan", "--max-papers", "3"], env).returncode == 0

    listed = cli(["review", "list"], env)
    assert "2611.00001" in listed.stdout and "2611.00002" in listed.stdout

    # BarNet has no PyTorch link: refused, with every failed check named
    refused = cli(["review", "approve", "2611.00002"], env)
    assert refused.returncode == 2
    assert "no code link with framework: pytorch" in refused.stderr
    assert (home / "catalog" / "drafts" / "2611.00002.yaml").exists()

    # a reviewer corrects the machine Chinese of FooGAN in the YAML, then approves
    draft = home / "catalog" / "drafts" / "2611.00001.yaml"
    data = yaml.safe_load(draft.read_text())
    data["title_zh"] = "FooGAN：大规模稳定对抗训练"
    data["abstract_zh"] = (  # the whole abstract: a half translation is refused by the gate
        "我们提出 FooGAN，一种基于 WGAN-GP 和 ResNet 的生成对抗网络。"
        "它在 CelebA-HQ 上把 FID 比 ProGAN 提高了 3.5%。代码发布在 https://github.com/example/foogan。"
    )
    save_yaml(draft, data)

    ok = cli(["review", "approve", "2611.00001"], env)
    assert ok.returncode == 0, ok.stderr
    approved = home / "catalog" / "tree" / "gan" / "training" / "foogan.yaml"
    assert yaml.safe_load(approved.read_text())["status"] == "approved"
    # the approval also made the whole paper's Chinese reading page, from the PDF ingest cached
    reading = home / "catalog" / "reading" / "foogan.md"
    assert f"reading page {reading}" in ok.stdout and "[1/" in ok.stderr
    assert 'lang="en">Abstract</span>' in reading.read_text() and '<div class="pair">' in reading.read_text()
    assert not (home / "catalog" / "drafts" / "2611.00001.yaml").exists()

    rejected = cli(["review", "reject", "2611.00002", "--reason", "off topic"], env)
    assert rejected.returncode == 0, rejected.stderr

    published = cli(["publish"], env)
    assert published.returncode == 0, published.stderr
    page = (home / "site" / "gan.md").read_text()
    assert "**FooGAN**" in page and "https://github.com/example/foogan" in page
    assert "BarNet" not in page

    # neither the approved nor the rejected paper is drafted again
    again = cli(["ingest", "--topic", "gan", "--max-papers", "3"], env)
    assert again.returncode == 0
    assert "rejected by a reviewer" in again.stdout and "0 drafted" in again.stdout
    assert not list((home / "catalog" / "drafts").glob("*.yaml"))


def test_default_model_without_network_stops_in_one_sentence(home: Path, arxiv_server: ArxivServer) -> None:
    env = cli_env(home, arxiv_server, None, HF_ENDPOINT="http://127.0.0.1:9", HF_HOME=str(home / ".hf"))
    result = run_cli(["ingest", "--topic", "gan"], env, timeout=60)
    assert result.returncode == 2
    assert "ALPHATREE_MT_MODEL" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") <= 1, result.stderr
    assert arxiv_server.requests == []


def test_unreachable_arxiv_stops_in_one_sentence(home: Path, tiny_model: Path, cli: InProcessCli) -> None:
    env = cli_env(
        home,
        None,
        tiny_model,
        ALPHATREE_ARXIV_API="http://127.0.0.1:9/api/query",
        ALPHATREE_ARXIV_DELAY="0",
    )
    result = cli(["ingest", "--topic", "gan"], env, timeout=120)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot reach 127.0.0.1:9" in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_reviewer_edits_survive_reruns_and_new_versions_then_the_tree_learns(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, cli: InProcessCli
) -> None:
    """The review issue's acceptance walk, through the CLI."""
    title = "FooGAN: Stable Adversarial Training at Scale"
    refs = ["I. Gulrajani et al. Improved training of Wasserstein GANs. arXiv:1704.00028, 2017."]
    arxiv_server.add(
        FeedEntry("2611.00001", title, ABSTRACT),
        make_paper_pdf(title, ABSTRACT, code_url="https://github.com/example/foogan", references=refs),
    )
    env = cli_env(home, arxiv_server, tiny_model)
    assert cli(["ingest", "--topic", "gan"], env).returncode == 0
    draft = home / "catalog" / "drafts" / "2611.00001.yaml"

    # a reviewer edits in an editor: Chinese title with a comment, a comment line, a parent
    text = draft.read_text()
    lines = text.splitlines(keepends=True)
    at = next(i for i, ln in enumerate(lines) if ln.startswith("title_zh:"))
    end = at + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    lines[at:end] = ["title_zh: FooGAN：大规模稳定对抗训练  # 已校对\n"]
    at = next(i for i, ln in enumerate(lines) if ln.startswith("parents:"))
    end = at + 1
    while end < len(lines) and lines[end].startswith("- "):
        end += 1
    lines[at:end] = ["# 审稿人：加上 ProGAN\nparents:\n- wgan-gp\n- progan\n"]
    edited = "".join(lines)
    draft.write_text(edited)

    # same version: untouched, byte for byte
    again = cli(["ingest", "--topic", "gan"], env)
    assert again.returncode == 0 and "already drafted" in again.stdout
    assert draft.read_text() == edited

    # a new version: machine fields refreshed, every edit kept, the run says so
    arxiv_server.entries.clear()
    v2 = ABSTRACT.replace("We propose", "In this revised version we propose")
    arxiv_server.add(
        FeedEntry("2611.00001", title, v2, version=2, updated=days_ago(0.5)),
        make_paper_pdf(title, v2, code_url="https://github.com/example/foogan", references=refs),
    )
    updated = cli(["ingest", "--topic", "gan"], env)
    assert updated.returncode == 0, updated.stderr
    assert (
        "updated  2611.00001" in updated.stdout and "reviewer edits kept: title_zh, parents" in updated.stdout
    )
    text = draft.read_text()
    assert "title_zh: FooGAN：大规模稳定对抗训练  # 已校对\n" in text
    assert "# 审稿人：加上 ProGAN\nparents:\n- wgan-gp\n- progan\n" in text
    data = yaml.safe_load(text)
    assert data["version"] == 2 and data["abstract"] == v2
    assert "new version v2" in cli(["review", "list"], env).stdout

    # the reviewer fixes the Chinese abstract, approves; the memory learns it
    data["abstract_zh"] = (
        "在这一修订版本中，我们提出 FooGAN，一种基于 WGAN-GP 和 ResNet 的生成对抗网络。"
        "它在 CelebA-HQ 上把 FID 比 ProGAN 提高了 3.5%。代码已经开源，发布在 https://github.com/example/foogan。"
    )

    save_yaml(draft, data)
    approved = cli(["review", "approve", "2611.00001"], env)
    assert approved.returncode == 0, approved.stderr
    assert "learned" in approved.stdout
    memory = (home / "translations" / "memory.jsonl").read_text()
    assert '"target": "FooGAN：大规模稳定对抗训练", "origin": "human"' in memory

    published = cli(["publish"], env)
    assert published.returncode == 0
    page = (home / "site" / "gan.md").read_text()
    assert "[**FooGAN**](entries/foogan.md)" in page and "wgan_gp --> foogan" in page
    assert "FooGAN：大规模稳定对抗训练" in (home / "site" / "entries" / "foogan.md").read_text()

    # a third version of the approved paper is flagged, not drafted
    arxiv_server.entries.clear()
    arxiv_server.add(FeedEntry("2611.00001", title, v2, version=3, updated=days_ago(0.2)))
    third = cli(["ingest", "--topic", "gan"], env)
    assert "flagged  2611.00001" in third.stdout and not draft.exists()
    assert "has a new arXiv version v3" in cli(["review", "list"], env).stdout


def test_a_run_killed_mid_batch_is_finished_by_the_next_without_duplicates(
    home: Path, arxiv_server: ArxivServer, tiny_model: Path, cli: InProcessCli
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    for n in range(1, 5):
        title = f"Crash{n}GAN: Paper {n}"
        arxiv_server.add(
            FeedEntry(f"2611.0070{n}", title, f"We propose Crash{n}GAN.", published=days_ago(5 - n)),
            make_paper_pdf(title, f"We propose Crash{n}GAN."),
        )
    env = cli_env(home, arxiv_server, tiny_model, ALPHATREE_ARXIV_DELAY="1.5")
    drafts = home / "catalog" / "drafts"
    exe = Path(sys.executable).with_name("alphatree")
    proc = subprocess.Popen(
        [str(exe), "ingest", "--topic", "gan"],
        env=env,
        cwd=home,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(drafts.glob("*.yaml")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # kill -9, mid-batch
    proc.wait(timeout=30)
    first = sorted(p.name for p in drafts.glob("*.yaml"))
    assert 1 <= len(first) < 4, first

    # a reviewer edits the draft that exists, then the next run finishes the batch
    edited = drafts / first[0]
    text = edited.read_text() + "# reviewer was here\n"
    edited.write_text(text)
    again = cli(["ingest", "--topic", "gan"], cli_env(home, arxiv_server, tiny_model))
    assert again.returncode == 0, again.stderr
    names = sorted(p.name for p in drafts.glob("*.yaml"))
    assert names == [f"2611.0070{n}.yaml" for n in range(1, 5)]
    assert edited.read_text() == text
    for path in drafts.glob("*.yaml"):
        yaml.safe_load(path.read_text())  # every file whole
    assert f"{4 - len(first)} drafted" in again.stdout
