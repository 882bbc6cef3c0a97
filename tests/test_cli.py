"""Every command answers --help with an example, fast, and bad input gets one clear sentence."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alphatree_ingest.cli import build_parser
from tests.conftest import InProcessCli, cli_env, run_cli
from tests.support import make_paper_pdf

COMMANDS = [
    [],
    ["ingest"],
    ["extract"],
    ["translate"],
    ["review"],
    ["review", "approve"],
    ["review", "reject"],
    ["review", "serve"],
    ["publish"],
    ["serve"],
    ["deploy"],
    ["path"],
    ["memory"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "alphatree")
def test_every_command_has_help_with_an_example(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([*command, "--help"])
    assert exit_.value.code == 0
    assert "example:" in capsys.readouterr().out


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from alphatree_ingest.cli import main\n"
        "try: main(['--help'])\nexcept SystemExit: pass\n"
        "print(sorted(m for m in ('torch', 'transformers', 'pymupdf', 'prefect') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]")


def test_every_command_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name in (
        "ingest",
        "extract",
        "translate",
        "review list",
        "review approve",
        "review serve",
        "publish",
        "serve",
        "deploy",
        "path",
        "memory audit",
        "demo",
        "read",
        "model pull",
        "model check",
        "enrich",
        "add",
    ):
        assert f"alphatree {name}" in readme


@pytest.mark.slow  # an alphatree child process
def test_unknown_topic_is_one_sentence(home: Path) -> None:
    """The installed `alphatree` in a process of its own: the entry point exists, and a wrong input is
    exit status 2 and one sentence from a real process (the other CLI tests run `main` in-process)."""
    result = run_cli(["ingest", "--topic", "astrology"], cli_env(home, None, None))
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown topic 'astrology'") and "gan" in result.stderr


def test_bad_since_and_delay_are_refused(home: Path, cli: InProcessCli) -> None:
    env = cli_env(home, None, None)
    result = cli(["ingest", "--topic", "gan", "--since", "yesterday"], env)
    assert result.returncode == 2 and "YYYY" not in result.stderr and "2026-11-01" in result.stderr
    env["ALPHATREE_ARXIV_DELAY"] = "1"
    result = cli(["ingest", "--topic", "gan"], env)
    assert result.returncode == 2 and "below arXiv's limit" in result.stderr
    for never_asks_arxiv in (["review", "list"], ["publish"]):  # bug: these refused too
        result = cli(never_asks_arxiv, env)
        assert result.returncode == 0 and "arXiv" not in result.stderr, result.stderr


def test_extract_prints_the_design_json_and_writes_pngs(
    tmp_path: Path, home: Path, cli: InProcessCli
) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(
        make_paper_pdf("FooNet: A Test", "We propose FooNet.", code_url="https://github.com/a/foo")
    )
    result = cli(["extract", str(pdf), "--out", str(tmp_path / "figs")], cli_env(home, None, None))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"title", "abstract", "pages", "sections", "figures", "code_links", "references"}
    assert (
        data["title"] == "FooNet: A Test" and data["abstract"] == "We propose FooNet." and data["pages"] == 3
    )
    assert [f["number"] for f in data["figures"]] == ["1", "2"]
    for fig in data["figures"]:
        assert (tmp_path / "figs" / fig["file"]).stat().st_size > 100
    assert data["code_links"][0]["url"] == "https://github.com/a/foo"


def test_extract_of_a_damaged_file_is_one_sentence(tmp_path: Path, home: Path, cli: InProcessCli) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\nthis is not really a pdf")
    result = cli(["extract", str(bad)], cli_env(home, None, None))
    assert result.returncode == 2 and result.stderr.startswith("error:") and "Traceback" not in result.stderr


def test_translate_from_file_keeps_one_line_per_line(
    tmp_path: Path, home: Path, tiny_model: Path, cli: InProcessCli
) -> None:
    src = tmp_path / "in.txt"
    src.write_text("We propose a new network.\n\nIt works on ImageNet.\n")
    result = cli(["translate", "--file", str(src)], cli_env(home, None, tiny_model))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert len(lines) == 4 and lines[1] == "" and lines[3] == ""
    assert "ImageNet" in lines[2]


@pytest.mark.slow  # an alphatree child process
def test_a_plain_install_finds_its_templates(tmp_path: Path) -> None:
    """`pip install .` (not editable): prompts/ ships as alphatree_ingest.prompts, read by importlib."""
    repo = Path(__file__).resolve().parent.parent
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(repo),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    code = (
        "import alphatree_ingest, sys; from alphatree_ingest.config import Settings; "
        "s = Settings(home=__import__('pathlib').Path(sys.argv[1])); "
        "print(alphatree_ingest.__file__); print(sorted(p.name for p in s.prompts_dir.glob('*.j2')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout.splitlines()
    assert out[0].startswith(str(target))
    assert out[1] == "['draft.yaml.j2', 'entry.md.j2', 'index.md.j2', 'topic.md.j2']"
    shutil.rmtree(repo / "build", ignore_errors=True)


def test_every_wrong_input_is_one_line_on_stderr_with_exit_status_2(
    tmp_path: Path, home: Path, cli: InProcessCli
) -> None:
    """Bug: these ended in tracebacks, or (review list outside a tree, extract of a text file) in a
    wrong success."""
    env = cli_env(home, None, None)
    text = tmp_path / "notes.txt"
    text.write_text("plain text\n" * 14)
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(make_paper_pdf("FooNet: A Test", "We propose FooNet."))
    readme = home / "README.md"
    readme.write_text("# a file\n")
    elsewhere = cli_env(tmp_path / "no-tree-here", None, None)
    (tmp_path / "no-tree-here").mkdir()
    cases = [
        (["publish", "--out", str(readme)], env, "is a file"),
        (["publish", "--out", "/proc/nope"], env, "cannot create the folder /proc/nope"),
        (["extract", str(pdf), "--out", str(readme)], env, "is a file"),
        (["extract", str(text)], env, "is not a PDF"),
        (["review", "list"], elsewhere, "no AlphaTree tree"),
        (["publish"], elsewhere, "no AlphaTree tree"),
        (["path", "stylegan", "--topic", "gan"], env, "not both"),
        (["deploy", "--pool", "nope"], env, "set PREFECT_API_URL"),
        (
            ["serve", "--temporary"],
            {**env, "ALPHATREE_MT_MODEL": str(tmp_path / "no-model")},
            "no-model does not exist",
        ),
        (["model", "pull", "--to", str(tmp_path / "m")], {**env, "HF_ENDPOINT": "http://127.0.0.1:9"}, "hub"),
    ]
    for args, where, message in cases:
        # in this process Prefect serves from the session's server; "no server configured" needs a
        # process of its own, as a user's shell is
        result = (run_cli if args[0] == "deploy" else cli)(args, where)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stderr.startswith("error:") and result.stderr.count("\n") == 1, (args, result.stderr)
        assert message.lower() in result.stderr.lower(), (args, result.stderr)
    assert readme.read_text() == "# a file\n"


def test_help_names_every_default_and_the_look_back(home: Path, cli: InProcessCli) -> None:
    env = cli_env(home, None, None)
    listing = cli(["review", "list", "--help"], env)
    assert "Drafts waiting for review" in listing.stdout
    for command in ("serve", "deploy"):
        assert "default: 0 2 * * *" in cli([command, "--help"], env).stdout
    assert "default: 2" in cli(["serve", "--help"], env).stdout
    ingest = cli(["ingest", "--help"], env).stdout
    assert "changed (new or revised)" in ingest and "looks back 7 days" in ingest


def test_model_check_reports_every_measure_on_the_tiny_model(
    home: Path, tiny_model: Path, cli: InProcessCli
) -> None:
    """Its numbers mean nothing for an untrained model; the command must work and report everything."""
    result = cli(["model", "check"], cli_env(home, None, tiny_model))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for start in (
        "model: ",
        "sentences: 50, of which ",
        "placeholders returned intact by the model: ",
        "recovery path (piece by piece) taken: ",
        "protected spans present in the final Chinese: 100%",
        "untranslated English in the output: ",
        "outputs containing Chinese: ",
        "speed: ",
    ):
        assert any(line.startswith(start) for line in lines), (start, result.stdout)
    assert (
        not (home / "translations" / "memory.jsonl").exists()
        or "model check" not in (home / "translations" / "memory.jsonl").read_text()
    )
