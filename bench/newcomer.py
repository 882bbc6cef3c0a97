"""What a newcomer does in the first hour, in a fresh clone of this checkout, timed.

Usage: python bench/newcomer.py
Clones the checkout into a temporary folder and, with the `alphatree` of this environment (installed
by the README's first command) and the Hugging Face hub unreachable: runs the README's main job, then
`alphatree demo`, `--help` of every command, and the wrong inputs that used to end in tracebacks.
Prints each step's exit status, first line of output and wall time.
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
    print(f"{sum(results)} of {len(results)} steps as expected, {time.perf_counter() - total:.0f} s in all")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
