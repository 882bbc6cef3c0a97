"""`alphatree demo` as a newcomer runs it: offline, in a new tree, the real flow, an honest summary."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alphatree_ingest.cli import main
from tests.conftest import InProcessCli

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def test_the_demo_drafts_three_papers_offline_and_an_approval_there_makes_a_reading_page(
    tmp_path: Path, cli: InProcessCli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALPHATREE_", "PREFECT_", "HF_"))}
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # any attempt to reach the hub would fail the demo
    # Prefect gives its temporary server 20 s to start: too few on a busy machine (as in cli_env)
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
    memory = REPO / "translations" / "memory.jsonl"
    before = _digest(memory)
    out = tmp_path / "demo"
    exe = Path(sys.executable).with_name("alphatree")
    result = subprocess.run(
        [str(exe), "demo", "--out", str(out)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    drafts = sorted((out / "catalog" / "drafts").glob("*.yaml"))
    assert [d.stem for d in drafts] == ["2611.90001", "2611.90002", "2611.90003"]
    first = yaml.safe_load(drafts[0].read_text())
    assert first["diagram"].endswith("fig-1.png") and (out / "catalog" / first["diagram"]).is_file()
    assert first["code"][0]["url"] == "https://github.com/alphatree-demo/latentbridgegan"
    # it says it builds on DCGAN: the more specific entry is its parent, GAN is listed for the reviewer
    assert first["parents"] == ["dcgan"]
    listed = first["provenance"]["suggestions"]["parents"]["evidence"]["also cited (not suggested)"]
    assert any(line.startswith("gan: ") for line in listed), listed
    assert (out / "site" / "index.md").is_file()
    for line in (str(drafts[0]), "meaningless", "untrained", str(out / "site" / "index.md")):
        assert line in result.stdout, line
    assert "Traceback" not in result.stderr
    assert _digest(memory) == before  # the checkout's memory never gets the demo's gibberish

    again = cli(["demo", "--out", str(out)], env)  # the refusal needs no process of its own
    assert again.returncode == 2 and "not empty" in again.stderr and again.stderr.count("\n") == 1

    # the newcomer follows the hint: cd there, fix the machine Chinese, approve; nothing else set (the
    # demo tree remembers its model in alphatree.env, so the approval makes the reading page)
    assert "remembers its model in alphatree.env" in result.stdout
    for name in [n for n in os.environ if n.startswith(("ALPHATREE_", "PREFECT_API"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.chdir(out)
    draft = out / "catalog" / "drafts" / "2611.90003.yaml"
    data = yaml.safe_load(draft.read_text())
    data["title_zh"] = "TinyGAN：面向移动设备的轻量生成对抗网络"
    data["abstract_zh"] = (
        "我们提出 TinyGAN，一种在移动设备上生成图像的轻量生成对抗网络，其生成器比 BigGAN 小十倍。"
    )
    draft.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    capsys.readouterr()
    assert main(["review", "approve", "2611.90003"]) == 0
    approved = capsys.readouterr().out
    reading = out / "catalog" / "reading" / "tinygan.md"
    assert f"reading page {reading}" in approved, approved
    assert reading.is_file()
