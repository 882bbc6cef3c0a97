"""Test doubles at the seams: a loopback arXiv server with faults to inject (`tests/doubles.py`, over
the one `alphatree demo` uses), synthetic PDFs and a tiny MarianMT model (`alphatree_ingest.run.demo_kit`),
drawn figures and a loopback GitHub."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import ParseResult, parse_qs, urlparse

import pytest
import yaml

from alphatree_ingest.run.demo_kit import (  # noqa: F401 (the tests import them from here)
    EN,
    LOREM,
    ZH,
    FeedEntry,
    LoopbackServer,
    atom_feed,
    build_tiny_marian,
    days_ago,
    make_paper_pdf,
    reply,
    text_box,
)
from tests.doubles import ArxivServer


def feed_gan_papers(server: ArxivServer, ages: list[float], *, prefix: str, name: str) -> list[str]:
    """One synthetic GAN paper per age (days ago) on the loopback arXiv, with its PDF: ids `<prefix>01`,
    `<prefix>02`, ...; titles `<name>1GAN: Paper 1`, ... Returns the ids in order."""
    ids = []
    for n, age in enumerate(ages, start=1):
        arxiv_id, title = f"{prefix}{n:02d}", f"{name}{n}GAN: Paper {n}"
        server.add(
            FeedEntry(arxiv_id, title, "We propose it.", published=days_ago(age)),
            make_paper_pdf(title, "We propose it."),
        )
        ids.append(arxiv_id)
    return ids


def draw_diagram(page: object, rect: tuple[float, float, float, float], labels: int = 3) -> None:
    """Boxes joined by arrows with short labels inside: a vector architecture diagram."""
    import pymupdf

    x0, y0, x1, y1 = rect
    shape = page.new_shape()  # type: ignore[attr-defined]
    step = (x1 - x0) / labels
    for i in range(labels):
        box = pymupdf.Rect(x0 + i * step + 4, y0, x0 + (i + 1) * step - 4, y1)
        shape.draw_rect(box)
        if i:
            shape.draw_line((box.x0 - 8, (y0 + y1) / 2), (box.x0, (y0 + y1) / 2))
    shape.finish(color=(0, 0, 0), fill=(0.9, 0.95, 1.0), width=0.8)
    shape.commit()
    for i in range(labels):
        page.insert_text((x0 + i * step + 8, (y0 + y1) / 2 + 3), f"L{i}", fontsize=7)  # type: ignore[attr-defined]


def prose(page: object, rect: tuple[float, float, float, float], size: float = 8.0) -> None:
    import pymupdf

    text_box(page, pymupdf.Rect(*rect), LOREM, fontsize=size)


# --- GitHub --------------------------------------------------------------------------------------


class GitHubServer(LoopbackServer):
    """Loopback server answering like the GitHub REST API: repos, readme, contents, search."""

    def __init__(self) -> None:
        self.repos: dict[str, dict[str, object]] = {}
        self.files: dict[str, dict[str, str]] = {}
        self.search_results: dict[str, list[str]] = {}
        self.requests: list[str] = []
        self.remaining = 5000
        self.forbidden: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append(self.path)
                server.remaining -= 1
                headers = {
                    "X-RateLimit-Remaining": str(max(server.remaining, 0)),
                    "X-RateLimit-Reset": str(int(time.time()) + 3600),
                }
                if server.remaining < 0:
                    status, data = 403, {"message": "API rate limit exceeded"}
                else:
                    status, data = server.answer(urlparse(self.path))
                reply(
                    self, status, json.dumps(data).encode(), {**headers, "Content-Type": "application/json"}
                )

        self._listen(Handler)

    def answer(self, url: ParseResult) -> tuple[int, object]:
        """Status and JSON body for one GET: a search, a repository, its readme or a file."""
        parts = [p for p in url.path.split("/") if p]
        if parts[:2] == ["search", "repositories"]:
            q = parse_qs(url.query).get("q", [""])[0]
            names = [n for key, ns in self.search_results.items() if key in q for n in ns]
            items = [{"full_name": n, "html_url": f"https://github.com/{n}"} for n in names]
            return 200, {"total_count": len(items), "items": items}
        if parts[:1] != ["repos"] or len(parts) < 3:
            return 404, {"message": "Not Found"}
        name = f"{parts[1]}/{parts[2]}"
        if name in self.forbidden:
            return 403, {"message": "Forbidden"}
        if name not in self.repos:
            return 404, {"message": "Not Found"}
        if len(parts) == 3:
            return 200, self.repos[name]
        files = self.files.get(name, {})
        path = "README.md" if parts[3] == "readme" else "/".join(parts[4:])
        if path not in files:
            return 404, {"message": "Not Found"}
        content = base64.b64encode(files[path].encode()).decode()
        return 200, {"name": path, "encoding": "base64", "content": content}

    def add_repo(self, name: str, files: dict[str, str], *, size: int = 100, fork: bool = False) -> None:
        self.repos[name] = {
            "full_name": name,
            "size": size,
            "fork": fork,
            "html_url": f"https://github.com/{name}",
        }
        self.files[name] = files


# --- the browser and the reviewer's editor ---------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)


@contextlib.contextmanager
def launch_chromium() -> Iterator[Any]:
    """Debian's chromium, headless, through Playwright (the `browser` fixture holds one per module)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def save_yaml(path: Path, data: dict[str, Any]) -> None:
    """Write a draft or entry back as a reviewer's editor would: Unicode as is, the fields in order."""
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
