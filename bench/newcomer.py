"""What a newcomer does in the first hour, in a fresh clone of this checkout, timed.

Usage: python bench/newcomer.py [--install]
Clones the checkout into a temporary folder and, with the `alphatree` of this environment (installed
by the README's first command) and the Hugging Face hub unreachable: runs the README's main job, then
`alphatree demo`, `--help` of every command, and the wrong inputs that used to end in tracebacks or
scattered files (serve without a Prefect server, memory audit and translate outside a tree, publish
twice). Prints each step's exit status, first line of output and wall time.

`--install` also builds a plain install (`pip install CLONE`, no extras) in a new virtualenv: its
size (`du -sh`), whether pip backtracked, whether torch is absent, and `alphatree translate` there
with a model this environment converted once (must work) and with one never converted (must say
the `[convert]` extra in one sentence).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).with_name("alphatree"))
COMMANDS = [
    "ingest",
    "path",
    "extract",
    "translate",
    "review",
    "memory",
    "publish",
    "serve",
    "deploy",
    "demo",
    "model",
]


def step(label: str, args: list[str], cwd: Path, env: dict[str, str], expect: int) -> bool:
    start = time.perf_counter()
    result = subprocess.run([EXE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    text = (result.stderr.strip() or result.stdout.strip()).splitlines()
    first = text[-1] if result.returncode else (text[0] if text else "")
    ok = result.returncode == expect and "Traceback" not in result.stderr
    print(f"{'ok ' if ok else 'BAD'} {wall:6.1f} s  exit {result.returncode}  {label}: {first[:110]}")
    return ok


def main() -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALPHATREE_", "PREFECT_", "HF_"))}
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # the hub is unreachable, as on this machine
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"  # 2 shared cores: 20 s is tight
    total = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "alphatree-ingest"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        text = Path(tmp) / "notes.txt"
        text.write_text("not a pdf\n")
        results = [
            step("README main job, hub unreachable", ["ingest", "--topic", "gan"], clone, env, 2),
            step("demo", ["demo", "--out", str(Path(tmp) / "demo")], clone, env, 0),
        ]
        results += [step(f"{c} --help", [c, "--help"], clone, env, 0) for c in COMMANDS]
        wrong = [
            ["publish", "--out", "README.md"],
            ["publish", "--out", "/proc/nope"],
            ["extract", str(text)],
            ["extract", str(text), "--out", "README.md"],
            ["deploy", "--pool", "nope"],
            ["path", "stylegan", "--topic", "gan"],
            ["model", "pull", "--to", str(Path(tmp) / "model")],
        ]
        results += [step(" ".join(a), a, clone, env, 2) for a in wrong]
        results.append(step("review list outside a tree", ["review", "list"], Path(tmp), env, 2))
        for args in (["memory", "audit"], ["translate", "We propose a GAN."]):
            results.append(step(f"{args[0]} outside a tree", args, Path(tmp), env, 2))
        stray = [p.name for p in Path(tmp).iterdir() if p.name in {"translations", "cache"}]
        results.append(stray == [])
        print(f"{'ok ' if not stray else 'BAD'} folders left outside a tree: {stray or 'none'}")
        results.append(step("serve without PREFECT_API_URL", ["serve"], clone, env, 2))
        demo = Path(tmp) / "demo"
        results.append(step("publish in the demo tree", ["publish"], demo, env, 0))
        results.append(step("publish again (nothing changed)", ["publish"], demo, env, 0))
        if "--install" in sys.argv:
            results += plain_install(clone, Path(tmp), env)
    print(f"{sum(results)} of {len(results)} steps as expected, {time.perf_counter() - total:.0f} s in all")
    return 0 if all(results) else 1


def plain_install(clone: Path, tmp: Path, env: dict[str, str]) -> list[bool]:
    """`pip install CLONE` without extras: its size, and translating there without torch."""
    venv = tmp / "plain"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", str(clone)], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - start
    backtracked = "looking at multiple versions" in pip.stdout + pip.stderr
    size = subprocess.run(["du", "-sh", str(venv)], capture_output=True, text=True).stdout.split()[0]
    print(
        f"{'ok ' if pip.returncode == 0 else 'BAD'} {wall:6.1f} s  plain install: {size}, pip backtracked: "
        f"{'yes' if backtracked else 'no'}"
    )
    python = str(venv / "bin" / "python")
    torch = subprocess.run([python, "-c", "import torch"], capture_output=True).returncode != 0
    print(f"{'ok ' if torch else 'BAD'}          torch absent from the plain install: {torch}")
    # a model converted once by this environment (which has the [convert] extra), and one never converted
    tree = tmp / "demo"
    model = tree / "model"
    fresh = tmp / "fresh-model"
    subprocess.run(["cp", "-r", str(model), str(fresh)], check=True)
    subprocess.run([EXE, "translate", "warm up"], cwd=tree, env=env, capture_output=True, check=True)
    plain = str(venv / "bin" / "alphatree")
    results = [pip.returncode == 0 and not backtracked, torch]
    for label, chosen, expect in (("converted model", model, 0), ("never converted", fresh, 2)):
        run_env = {**env, "ALPHATREE_MT_MODEL": str(chosen)}
        begin = time.perf_counter()
        done = subprocess.run(
            [plain, "translate", "We propose a new GAN."],
            cwd=tree,
            env=run_env,
            capture_output=True,
            text=True,
        )
        lines = (done.stderr.strip() or done.stdout.strip()).splitlines()
        ok = (
            done.returncode == expect
            and "Traceback" not in done.stderr
            and len(done.stderr.splitlines()) <= 1
        )
        print(
            f"{'ok ' if ok else 'BAD'} {time.perf_counter() - begin:6.1f} s  exit {done.returncode}  "
            f"plain install, translate with a {label}: {(lines or [''])[0][:110]}"
        )
        results.append(ok)
    return results


if __name__ == "__main__":
    sys.exit(main())
