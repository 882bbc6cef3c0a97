"""PyTorch implementations for a paper: candidates from the paper and from GitHub, verified with evidence.

Offline (GitHub unreachable) every candidate stays "unverified" and the reviewer decides; nothing fails.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlparse

import requests

from ..models import CodeLink, Paper

logger = logging.getLogger(__name__)

REQUIREMENT_FILES = ("requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "environment.yml")
TORCH = re.compile(r"(?m)^\s*[\"']?(torch|pytorch)\b|[\"'](torch|pytorch)[\"'\s<>=~!]|\bimport torch\b")


@dataclass
class Candidate:
    """One repository that may implement the paper."""

    url: str
    found_by: list[str] = field(default_factory=list)
    evidence: str = ""
    hint: str | None = None
    """Framework named next to the link in the paper, if any."""
    verified: bool = False
    exists: bool | None = None
    official: bool = False
    pytorch: bool | None = None
    cites_paper: bool | None = None
    confidence: float = 0.0
    reasons: list[str] = field(default_factory=list)
    role: str = "search"
    """What the paper says of it: own, mention, dependency, reference; `search` when GitHub found it."""
    stated_official: bool = False
    """The paper calls it its code (in first person, or on its title page)."""
    position: int = 0
    """Order of first appearance in the paper (abstract first); search results come after."""

    @property
    def full_name(self) -> str | None:
        parts = urlparse(self.url).path.strip("/").split("/")
        if "github.com" not in self.url or len(parts) < 2:
            return None
        return f"{parts[0]}/{parts[1].removesuffix('.git')}"


class GitHub:
    """The few GitHub REST calls we need, honouring rate-limit headers; None when unavailable."""

    def __init__(self, api: str, token: str | None = None, *, timeout: float = 15.0) -> None:
        self.api = api.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(
            {"Accept": "application/vnd.github+json", "User-Agent": "alphatree-ingest"}
        )
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self.unreachable = False
        self.limited_until = 0.0
        self.calls = 0
        self.last_status: int | None = None

    @property
    def usable(self) -> bool:
        return not self.unreachable and time.time() >= self.limited_until

    def get(self, path: str, **params: str) -> Any:
        """JSON of a GET, or None (404, rate limited, unreachable). Never raises for network trouble."""
        if not self.usable:
            return None
        try:
            response = self.session.get(f"{self.api}{path}", params=params or None, timeout=self.timeout)
        except requests.RequestException as err:
            logger.info("GitHub unreachable (%s): implementations stay unverified", type(err).__name__)
            self.unreachable = True
            return None
        self.calls += 1
        self.last_status = response.status_code
        remaining = response.headers.get("X-RateLimit-Remaining")
        if remaining == "0" or response.status_code == 429:
            reset = response.headers.get("X-RateLimit-Reset", "")
            self.limited_until = float(reset) if reset.isdigit() else time.time() + 60
            logger.info("GitHub rate limit reached; no more calls until %s", self.limited_until)
            if response.status_code != 200:
                return None
        if response.status_code != 200:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    def text(self, path: str) -> str | None:
        """A file of the contents API, decoded."""
        data = self.get(path)
        if not isinstance(data, dict) or "content" not in data:
            return None
        try:
            return base64.b64decode(data["content"]).decode("utf-8", "replace")
        except (ValueError, TypeError):
            return None


def candidates_from_paper(links: list[CodeLink]) -> list[Candidate]:
    return [
        Candidate(
            url=link.url,
            found_by=["named in the paper"],
            evidence=link.evidence,
            hint=link.framework,
            role=link.role,
            stated_official=link.official,
            position=n,
        )
        for n, link in enumerate(links)
    ]


ROLE_ORDER = {
    "own": 0,
    "mention": 1,
    "search": 2,
    "aside": 3,
    "others": 3,
    "dataset": 3,
    "dependency": 3,
    "reference": 4,
}
"""The paper's own words first; GitHub search next; code it only uses or cites last."""
ROLE_CONFIDENCE = {
    "own": 0.5,
    "mention": 0.3,
    "aside": 0.1,
    "search": 0.2,
    "others": 0.1,
    "dataset": 0.05,
    "dependency": 0.1,
    "reference": 0.05,
}


def rank_key(candidate: Candidate) -> tuple[int, bool, float, int]:
    """Best first: the paper's own code, then official, then verified confidence, then the paper's order."""
    return (
        ROLE_ORDER.get(candidate.role, 2),
        not candidate.official,
        -candidate.confidence,
        candidate.position,
    )


def search(github: GitHub, paper: Paper, limit: int = 5) -> list[Candidate]:
    """Repositories whose README mentions the arXiv id or the exact title."""
    found: list[Candidate] = []
    for query, how in (
        (f'"{paper.arxiv_id}" in:readme', "README mentions the arXiv id"),
        (f'"{paper.title[:200]}" in:readme,description', "README mentions the title"),
    ):
        data = github.get("/search/repositories", q=query, per_page=str(limit))
        for item in (data or {}).get("items", [])[:limit]:
            url = item.get("html_url")
            if isinstance(url, str):
                found.append(Candidate(url=url, found_by=[f"GitHub search: {how}"], position=10**6))
    return found


def _merge(candidates: list[Candidate]) -> list[Candidate]:
    merged: dict[str, Candidate] = {}
    for c in candidates:
        key = (c.full_name or c.url).lower()
        if key in merged:
            merged[key].found_by += [f for f in c.found_by if f not in merged[key].found_by]
            merged[key].evidence = merged[key].evidence or c.evidence
            if ROLE_ORDER.get(c.role, 2) < ROLE_ORDER.get(merged[key].role, 2):
                merged[key].role = c.role
        else:
            merged[key] = c
    return list(merged.values())


def _author_handles(paper: Paper) -> set[str]:
    handles = set()
    for author in paper.authors:
        parts = re.findall(r"[a-z]+", author.lower())
        if parts:
            handles.add("".join(parts))
            handles.add(parts[-1])
            handles.add(parts[0][0] + parts[-1])
    return {h for h in handles if len(h) >= 3}


def _unverified(candidate: Candidate, why: str) -> Candidate:
    """What the paper's own words say of a candidate GitHub cannot confirm."""
    candidate.reasons.append(f"unverified: {why}")
    _paper_says(candidate)
    candidate.pytorch = True if candidate.hint == "pytorch" else None
    candidate.confidence = ROLE_CONFIDENCE.get(candidate.role, 0.1) + (0.2 if candidate.official else 0.0)
    return candidate


def _paper_says(candidate: Candidate) -> None:
    """Official only on the paper's own words; code it uses or cites never is."""
    candidate.official = candidate.stated_official and candidate.role == "own"
    if candidate.role != "search":
        candidate.reasons.append(f"the paper {ROLE_WORDS.get(candidate.role, 'names it')}")


ROLE_WORDS = {
    "own": "presents it as its code",
    "mention": "mentions it",
    "aside": "names it in passing after its first page; nothing in its name is the paper's",
    "others": "names it beside a citation of another work (that work's code)",
    "dataset": "gives it for data, not code",
    "dependency": "uses or builds on it (not the paper's code)",
    "reference": "only cites it in its references",
}


def verify(github: GitHub, candidate: Candidate, paper: Paper) -> Candidate:
    """Fill in what GitHub says of the candidate, its confidence and reasons."""
    name = candidate.full_name
    if name is None or not github.usable:
        return _unverified(candidate, "not a GitHub repository" if name is None else "GitHub unreachable")
    repo = github.get(f"/repos/{quote(name)}")
    if repo is None and github.last_status != 404:
        why = "GitHub rate limit reached" if not github.usable else f"GitHub answered {github.last_status}"
        return _unverified(candidate, why)
    candidate.verified = True
    candidate.exists = isinstance(repo, dict)
    if not isinstance(repo, dict):
        candidate.reasons.append("repository does not exist")
        return candidate
    if repo.get("size", 1) == 0:
        candidate.reasons.append("repository is empty")
        return candidate
    if repo.get("fork"):
        candidate.reasons.append("a fork")
    readme = github.text(f"/repos/{quote(name)}/readme") or ""
    _check_citation(candidate, paper, readme)
    if candidate.role == "aside" and (
        candidate.cites_paper or name.split("/")[0].lower() in _author_handles(paper)
    ):
        candidate.role = "mention"  # named in passing, but GitHub ties it to the paper: offered again
        candidate.reasons.append("offered: GitHub ties the repository named in passing to the paper")
    _check_pytorch(github, candidate, name, readme)
    _check_official(candidate, paper, name)
    score = ROLE_CONFIDENCE.get(candidate.role, 0.1)
    score += 0.2 if candidate.cites_paper else 0.0
    score += 0.1 if candidate.pytorch else 0.0
    score += 0.2 if candidate.official else 0.0
    score -= 0.2 if repo.get("fork") else 0.0
    candidate.confidence = round(max(0.0, min(1.0, score)), 2)
    return candidate


def _check_citation(candidate: Candidate, paper: Paper, readme: str) -> None:
    title_words = " ".join(re.findall(r"[a-z0-9]+", paper.title.lower()))
    readme_words = " ".join(re.findall(r"[a-z0-9]+", readme.lower()))
    candidate.cites_paper = paper.arxiv_id in readme or title_words in readme_words
    candidate.reasons.append(
        "README cites the paper" if candidate.cites_paper else "README does not cite the paper"
    )


def _check_pytorch(github: GitHub, candidate: Candidate, name: str, readme: str) -> None:
    candidate.pytorch = False
    for file in REQUIREMENT_FILES:
        content = github.text(f"/repos/{quote(name)}/contents/{file}")
        if content and TORCH.search(content):
            candidate.pytorch = True
            candidate.reasons.append(f"torch in {file}")
            return
    if re.search(r"\bimport torch\b|pytorch", readme, re.IGNORECASE):
        candidate.pytorch = True
        candidate.reasons.append("README shows PyTorch")
    else:
        candidate.reasons.append("no sign of PyTorch")


def _check_official(candidate: Candidate, paper: Paper, name: str) -> None:
    _paper_says(candidate)
    owner_is_author = name.split("/")[0].lower() in _author_handles(paper)
    if not candidate.official and owner_is_author and candidate.role in ("own", "mention", "search"):
        candidate.official = True
        candidate.reasons.append("official: its owner is an author")
    elif candidate.official:
        candidate.reasons.append("official: the paper names it as its code")


def find_implementations(
    paper: Paper, links: list[CodeLink], github: GitHub | None, *, limit: int = 5
) -> list[Candidate]:
    """Candidates from the paper and (when reachable) GitHub search, verified, best first."""
    found = candidates_from_paper(links)
    if github is not None and github.usable:
        found += search(github, paper)
    found = _merge(found)
    if github is None:
        github = GitHub("http://unreachable.invalid")
        github.unreachable = True
    checked = [verify(github, c, paper) for c in found[: limit * 2]]
    usable = [c for c in checked if c.exists is not False and "repository is empty" not in c.reasons]
    return sorted(usable, key=rank_key)[:limit]
