"""What a newcomer meets in the first hour (#27): an install without PyTorch that translates, a demo
tree that remembers its model, commands that refuse to scatter files outside a tree, a `serve` that
does not silently lose its schedules, a quiet `publish`, and no messages about other people's servers.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import yaml

from alphatree_ingest.cli import main
from alphatree_ingest.config import Settings, SettingsError
from alphatree_ingest.mt.marian import MarianTranslator
from alphatree_ingest.run.processes import OWNER, orphan_servers
from tests.support import make_paper_pdf

REPO = Path(__file__).resolve().parent.parent
NO_TORCH = "import sys; sys.modules['torch'] = None  # as if PyTorch were not installed\n"


def _python(
    code: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`code` in a new interpreter: which modules a command imports can only be seen from outside."""
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALPHATREE_", "PREFECT_", "HF_"))}
    env.update(
        ALPHATREE_HOME=str(home),
        PREFECT_HOME=str(home / ".prefect"),
        HF_ENDPOINT="http://127.0.0.1:9",  # the hub is out of reach: nothing may be downloaded
        HF_HUB_OFFLINE="1",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",  # 2 cores shared: the default is tight
    )
    env.update(extra)
    return env


TRANSLATE = (
    "from alphatree_ingest.cli import main\n"
    "code = main(['translate', 'We propose a new GAN.'])\n"
    "print('TORCH', sorted(m for m in sys.modules if m.split('.')[0] == 'torch' and sys.modules[m]))\n"
    "sys.exit(code)\n"
)


@pytest.mark.slow  # an alphatree child process
def test_translating_with_a_converted_model_never_imports_torch(
    home: Path, tiny_model: Path, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    MarianTranslator(str(model), backend="ctranslate2", cache_dir=home / "cache").load()  # converted once

    ran = _python("import sys\n" + TRANSLATE, _env(home, ALPHATREE_MT_MODEL=str(model)), home)
    assert ran.returncode == 0, ran.stderr[-2000:]
    lines = ran.stdout.splitlines()
    assert lines[-1] == "TORCH []", ran.stdout  # installed here, yet never loaded: a plain install lacks it
    assert lines[0].strip()  # a translation (meaningless: the model is untrained)

    without = _python(NO_TORCH + TRANSLATE, _env(home, ALPHATREE_MT_MODEL=str(model)), home)
    assert without.returncode == 0 and without.stderr == "", without.stderr[-2000:]


@pytest.mark.slow  # an alphatree child process
def test_a_model_to_convert_without_torch_is_one_sentence_naming_the_extra(
    home: Path, tiny_model: Path, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)  # never converted
    ran = _python(NO_TORCH + TRANSLATE, _env(home, ALPHATREE_MT_MODEL=str(model)), home)
    assert ran.returncode == 2
    assert ran.stderr.startswith("error: converting") and ran.stderr.count("\n") == 1, ran.stderr
    assert "pip install 'alphatree-ingest[convert]'" in ran.stderr
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in ran.stderr
    assert not (home / "cache" / "ct2").exists() or not any((home / "cache" / "ct2").iterdir())

    backend = _python(
        NO_TORCH + TRANSLATE,
        _env(home, ALPHATREE_MT_MODEL=str(model), ALPHATREE_MT_BACKEND="transformers"),
        home,
    )
    assert backend.returncode == 2 and backend.stderr.count("\n") == 1, backend.stderr
    assert "alphatree-ingest[convert]" in backend.stderr and "ALPHATREE_MT_BACKEND" in backend.stderr

    out = tmp_path / "d"
    demo = _python(
        NO_TORCH + f"from alphatree_ingest.cli import main; sys.exit(main(['demo', '--out', {str(out)!r}]))",
        _env(home),
        home,
    )
    assert demo.returncode == 2 and demo.stderr.count("\n") == 1, demo.stderr
    assert "alphatree-ingest[convert]" in demo.stderr and not out.exists()


def test_torch_is_an_extra_pinned_wherever_it_is_installed() -> None:
    from importlib.metadata import version

    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(r) for r in project["dependencies"]]
    assert "torch" not in {r.name for r in runtime}
    extras = project["optional-dependencies"]
    torch = [Requirement(r) for group in extras.values() for r in group if Requirement(r).name == "torch"]
    assert torch and all(str(r.specifier) == "==2.13.0" for r in torch)  # else pip may pick a CUDA build
    assert {"convert", "dev"} <= {g for g, rs in extras.items() if any(r.startswith("torch") for r in rs)}
    assert '".[dev]"' in (REPO / ".ci" / "run").read_text()
    # PyMuPDF: a range pip resolves without backtracking (2.1 wants a pymupdf-layout 2.1 PyPI lacks)
    pymupdf = next(r for r in runtime if r.name == "pymupdf")
    assert pymupdf.specifier.contains(version("pymupdf")) and not pymupdf.specifier.contains("2.1")


def test_a_tree_remembers_its_model_and_the_environment_wins(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "model").mkdir(parents=True)
    (tree / "alphatree.env").write_text("# the demo's model\nALPHATREE_MT_MODEL=./model\n")
    assert Settings.from_env({"ALPHATREE_HOME": str(tree)}).mt_model == str((tree / "model").resolve())
    chosen = Settings.from_env({"ALPHATREE_HOME": str(tree), "ALPHATREE_MT_MODEL": "/elsewhere"})
    assert chosen.mt_model == "/elsewhere"
    (tree / "alphatree.env").write_text("ALPHATREE_ARXIV_API=http://evil.example/\n")
    with pytest.raises(SettingsError, match="alphatree.env line 1: a tree remembers only"):
        Settings.from_env({"ALPHATREE_HOME": str(tree)})


def test_no_reading_page_is_said_with_one_full_stop(home: Path, tmp_path: Path) -> None:
    from alphatree_ingest.catalog import Catalog
    from alphatree_ingest.run.stages import cached_pdf, reading_at_approval

    settings = Settings.from_env({"ALPHATREE_HOME": str(home), "ALPHATREE_MT_MODEL": str(tmp_path / "none")})
    stored = next(s for s in Catalog(settings.catalog_dir).load().tree if s.entry.arxiv)
    pdf = cached_pdf(settings, stored.entry.arxiv, stored.entry.version or 1)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(make_paper_pdf("A Paper: To Read", "We propose it. It works."))
    made, line = reading_at_approval(settings, stored.path, None)
    assert not made and line.startswith("no reading page yet (model folder")
    assert ".)" not in line and ".;" not in line and ".." not in line, line


@pytest.mark.slow  # a new interpreter each: Prefect's settings are the process's own
def test_serve_without_a_prefect_server_refuses_as_deploy_does(home: Path, tmp_path: Path) -> None:
    """Before, it started a temporary server whose schedules vanished with the command."""
    exe = Path(sys.executable).with_name("alphatree")
    env = _env(home, ALPHATREE_MT_MODEL=str(tmp_path / "no-model"))
    result = subprocess.run([str(exe), "serve"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    # deploy's sentence (tests/test_cli.py), and the way to accept a temporary server
    assert "error: serve needs a Prefect server: set PREFECT_API_URL" in result.stderr
    assert "add --temporary" in result.stderr
    # --temporary goes past that check (here to the next one: the model)
    temporary = subprocess.run(
        [str(exe), "serve", "--temporary"], env=env, capture_output=True, text=True, timeout=120
    )
    assert temporary.returncode == 2 and "no-model does not exist" in temporary.stderr, temporary.stderr


@pytest.mark.parametrize(
    "command", [["memory", "audit"], ["translate", "We propose a new GAN."], ["model", "check"]]
)
def test_commands_outside_a_tree_refuse_and_write_nothing(
    command: list[str],
    tmp_path: Path,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    here = tmp_path / "not-a-tree"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.delenv("ALPHATREE_HOME", raising=False)
    monkeypatch.setenv("ALPHATREE_MT_MODEL", str(tiny_model))
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no AlphaTree tree in") and "ALPHATREE_HOME" in err and err.count("\n") == 1
    assert list(here.iterdir()) == []  # no translations/, no cache/


def test_publish_says_what_changed_and_rewrites_nothing_else(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ALPHATREE_NPM_REGISTRY", "http://127.0.0.1:9")  # the graphs' script: the CDN's
    assert main(["publish"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[-1].startswith(
        f"Published {len(first) - 1} page(s) into {home / 'site'}: {len(first) - 1} new"
    )
    stamps = {p: p.stat().st_mtime_ns for p in (home / "site").rglob("*") if p.is_file()}

    assert main(["publish"]) == 0
    again = capsys.readouterr().out.splitlines()
    pages = len(first) - 1
    assert again == [f"Published {pages} page(s) into {home / 'site'}: 0 new, 0 changed, {pages} unchanged."]
    assert stamps == {p: p.stat().st_mtime_ns for p in (home / "site").rglob("*") if p.is_file()}

    entry = home / "catalog" / "tree" / "gan" / "training" / "wgan.yaml"
    data = yaml.safe_load(entry.read_text())
    data["summary_zh"] = "用 Wasserstein 距离训练生成对抗网络，训练更稳定。"
    entry.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    assert main(["publish"]) == 0
    changed = capsys.readouterr().out.splitlines()
    assert 1 <= len(changed) - 1 < len(first) - 1
    assert all(line.startswith("changed ") for line in changed[:-1])
    assert any(line.endswith(("entries/wgan.md", "entries/wgan.html")) for line in changed[:-1]), changed
    assert changed[-1].endswith(f"0 new, {len(changed) - 1} changed, {len(first) - len(changed)} unchanged.")


def _orphan(tmp_path: Path, env: dict[str, str]) -> int:
    """A process that looks like Prefect's temporary server and whose parent is gone."""
    pidfile = tmp_path / f"pid-{len(list(tmp_path.glob('pid-*')))}"
    code = f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    subprocess.run(
        ["sh", "-c", f"{sys.executable} -c {code!r} prefect.server.api.server:create_app >/dev/null 2>&1 &"],
        env={**env, "PREFECT__SERVER_EPHEMERAL": "1"},
        check=True,
    )
    deadline = time.monotonic() + 10
    while not pidfile.is_file() or not pidfile.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return int(pidfile.read_text())


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_only_servers_of_alphatree_runs_are_stopped_and_reported(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = {k: v for k, v in os.environ.items() if k != OWNER}
    theirs = _orphan(tmp_path, clean)  # another program's temporary server
    gone = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1  # no process can have this id
    ours = _orphan(tmp_path, {**clean, OWNER: str(gone)})  # left by an alphatree run that is gone
    try:
        found = orphan_servers()
        assert theirs not in found
        assert ours in found
        assert main(["review", "list"]) == 0
        assert "Stopped" in capsys.readouterr().err
        deadline = time.monotonic() + 10
        while _alive(ours) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(ours)
        assert _alive(theirs)  # never ours to stop
    finally:
        for pid in (theirs, ours):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
