"""Rebuild `cache/devset2/` (the devset2 PDFs, git-ignored) from `bench/devset2/manifest-*.json`.

Usage: python bench/devset_cache.py [--mirrors DIR] [--download]

Each manifest row names a PDF by its public GitHub repository, path, git blob id and sha256. A PDF is
taken, in this order, from: the cache itself when its sha256 already matches; a local git mirror of
the repository by its blob id (`DIR/<owner>+<name>/repo`, `.../repo/.git` or `DIR/<owner>+<name>`,
the layouts `fetch` leaves); with `--download`, GitHub's blob API
(`/repos/<owner>/<name>/git/blobs/<blob>`). Every file is checked against its sha256; a mismatch is
never written. Exits 1 when some PDF is still missing.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MANIFESTS = REPO / "bench" / "devset2"
CACHE = REPO / "cache" / "devset2"


def _from_mirror(mirrors: Path, row: dict[str, str]) -> bytes | None:
    name = row["repo"].replace("/", "+")
    for git_dir in (mirrors / name / "repo", mirrors / name / "repo" / ".git", mirrors / name):
        if git_dir.is_dir():
            done = subprocess.run(
                ["git", "--git-dir", str(git_dir), "cat-file", "blob", row["blob"]],
                capture_output=True,
                check=False,
            )
            if done.returncode == 0:
                return done.stdout
    return None


def _download(row: dict[str, str]) -> bytes | None:
    import requests

    url = f"https://api.github.com/repos/{row['repo']}/git/blobs/{row['blob']}"
    try:
        answer = requests.get(url, headers={"Accept": "application/vnd.github.raw"}, timeout=60)
    except requests.RequestException:
        return None
    return answer.content if answer.status_code == 200 else None


def main(argv: list[str]) -> int:
    mirrors = Path(argv[argv.index("--mirrors") + 1]) if "--mirrors" in argv else Path("/work/.mirror")
    rows = [row for f in sorted(MANIFESTS.glob("manifest-*.json")) for row in json.loads(f.read_text())]
    CACHE.mkdir(parents=True, exist_ok=True)
    missing = []
    for n, row in enumerate(rows, start=1):
        target = CACHE / f"{row['arxiv_id']}.pdf"
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == row["sha256"]:
            continue
        data = _from_mirror(mirrors, row) if mirrors.is_dir() else None
        if data is None and "--download" in argv:
            data = _download(row)
        if data is None or hashlib.sha256(data).hexdigest() != row["sha256"]:
            missing.append(row["arxiv_id"])
            continue
        target.write_bytes(data)
        print(f"[{n}/{len(rows)}] {row['arxiv_id']} from {row['repo']}", file=sys.stderr)
    print(f"{len(rows) - len(missing)} of {len(rows)} PDFs in {CACHE}")
    if missing:
        print(f"error: still missing (try --download): {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
