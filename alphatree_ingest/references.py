"""Pure: code links and references parsed from a paper's extracted text."""

from __future__ import annotations

import re

from .models import CodeLink, Reference

REPO_URL = re.compile(
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)/[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)?",
)
ARXIV_REF = re.compile(
    r"(?:arXiv\s*(?:preprint\s*)?(?:e-prints?,?\s*)?(?:abs/)?:?\s*|arxiv\.org/(?:abs|pdf)/)"
    r"(\d{4}\.\d{4,5})",
    re.IGNORECASE,
)
FRAMEWORKS = {
    "pytorch": "pytorch",
    "torch": "pytorch",
    "tensorflow": "tensorflow",
    "jax": "jax",
    "keras": "tensorflow",
    "mxnet": "mxnet",
    "paddle": "paddle",
}


def _framework(text: str) -> str | None:
    lowered = text.lower()
    for word, name in FRAMEWORKS.items():
        if re.search(rf"\b{word}\b", lowered):
            return name
    return None


def merge_code_links(links: list[CodeLink]) -> list[CodeLink]:
    """One link per repository, in first-seen order, keeping every framework hint and evidence."""
    merged: dict[str, CodeLink] = {}
    for link in links:
        key = link.url.lower().removesuffix(".git").rstrip("/")
        known = merged.get(key)
        if known is None:
            merged[key] = link
        elif link.evidence not in known.evidence:
            merged[key] = CodeLink(
                url=known.url,
                framework=known.framework or link.framework,
                evidence=f"{known.evidence} | {link.evidence}"[:1000],
            )
    return list(merged.values())


def find_code_links(page_texts: list[str], page_uris: list[list[str]] | None = None) -> list[CodeLink]:
    """Repository URLs with the text around them (the evidence), one per repository."""
    found: list[CodeLink] = []
    for i, text in enumerate(page_texts):
        flat = " ".join(text.split())
        for match in REPO_URL.finditer(flat):
            url = match.group(0).rstrip(".,;)")
            evidence = flat[max(0, match.start() - 160) : match.end() + 80].strip()
            found.append(CodeLink(url=url, framework=_framework(evidence), evidence=evidence))
        for uri in page_uris[i] if page_uris else []:
            link = REPO_URL.match(uri)
            if link:
                found.append(CodeLink(url=link.group(0).rstrip(".,;)"), evidence=f"link on page {i + 1}"))
    return merge_code_links(found)[:50]


def find_references(page_texts: list[str]) -> list[Reference]:
    """Split the reference list into entries and find arXiv ids and titles in each.

    `page_texts`: per page, layout blocks separated by blank lines, lines by newlines. Of several
    "References" headings (appendices have their own), the one that yields the most entries wins.
    """
    joined = "\n\n".join(page_texts)
    heading = r"(?:^|\n)\s*(?:References|REFERENCES|Bibliography|BIBLIOGRAPHY)\s*\n"
    best: list[Reference] = []
    for match in list(re.finditer(heading, joined))[-3:]:
        refs = _split_references(joined[match.end() :])
        if len(refs) >= len(best):
            best = refs
    return best[:500]


def _split_references(tail: str) -> list[Reference]:
    end = re.search(r"\n\s*(?:[A-Z]\.?\s+)?(Appendix|APPENDIX|Supplementary)", tail)
    if end:
        tail = tail[: end.start()]
    if re.match(r"\s*\[1\]", tail):  # numbered style: [1] ... [2] ...
        parts = re.split(r"(?:^|\n)\s*\[\d+\]\s*", tail)
    else:
        parts = _merge_broken(tail.split("\n\n"))  # one layout block per entry (author-year styles)
    refs = []
    for part in parts:
        text = " ".join(re.sub(r"(?<=[a-z])-\s*\n\s*(?=[a-z])", "", part).split())  # undo line-end hyphens
        if len(text) < 20:
            continue
        arxiv = ARXIV_REF.search(text)
        refs.append(
            Reference(text=text[:1000], arxiv=arxiv.group(1) if arxiv else None, title=reference_title(text))
        )
    return refs


def _merge_broken(blocks: list[str]) -> list[str]:
    """Join blocks that continue an entry (split by a column or page break)."""
    merged: list[str] = []
    for block in (b.strip() for b in blocks):
        if not block:
            continue
        if merged and (merged[-1].rstrip()[-1:] not in ".?!)" or block[:1].islower()):
            merged[-1] = f"{merged[-1]} {block}"
        else:
            merged.append(block)
    return merged


_REF_SPLIT = re.compile(r"(?<=[A-Za-z0-9)\]][a-z0-9)\]])[.?]\s+(?=[A-Z\"“(]|arXiv)")


def reference_title(text: str) -> str | None:
    """The title inside one reference: a quoted string, else the segment after the authors."""
    quoted = re.search(r"[“\"]([^”\"]{10,300})[”\"]", text)
    if quoted:
        return quoted.group(1).strip(" ,.")
    segments = [s.strip() for s in _REF_SPLIT.split(text) if s.strip()]
    if len(segments) >= 2:
        candidate = re.sub(r"^\(?\d{4}[a-z]?\)?\.?\s*", "", segments[1]).strip(" ,.")
        if len(candidate.split()) >= 2 and not re.match(r"^(In|Proc|arXiv|CoRR|URL)\b", candidate):
            return candidate[:300]
    return None
