"""Pure: a draft entry from Paper + Extraction + Translation + suggestions, rendered from `prompts/`;
and the refresh of a draft for a new arXiv version that keeps every reviewer edit and comment."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from .. import __version__
from ..catalog import dump_yaml, parse_yaml
from ..models import (
    CatalogEntry,
    CodeLink,
    EntryCode,
    EntryFigure,
    Extraction,
    Figure,
    Paper,
    Reference,
    Topic,
    Translation,
)
from ..pdf.references import find_code_links, introduced_names, merge_code_links, name_key
from . import parents as learned_parents
from .diagram import end_page, figure_features, ranker
from .implementations import Candidate, find_implementations

VENUE = re.compile(
    r"\b(CVPR|ICCV|ECCV|NeurIPS|NIPS|ICLR|ICML|AAAI|IJCAI|WACV|BMVC|ACL|EMNLP|NAACL|TPAMI|IJCV|"
    r"SIGGRAPH(?: Asia)?|MICCAI|KDD|TMLR)\s*'?(\d{4}|\d{2})\b"
)
BEGINNER = re.compile(r"\b(survey|tutorial|introduction to|review of|primer)\b", re.IGNORECASE)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)[:60].strip("-") or "paper"


def suggest_name(title: str) -> str:
    """A short model name: `Name: subtitle` gives Name; else an acronym in the title; else the title."""
    head, sep, _ = title.partition(":")
    if sep and 1 <= len(head.split()) <= 4 and len(head) <= 40:
        return head.strip()
    words: list[str] = re.findall(r"\b[\w\-]+\b", title)
    for word in words:
        if sum(c.isupper() for c in word) >= 2 and len(word) <= 20 and not word.isdigit():
            return word
    return " ".join(title.split()[:6])


def suggest_venue(paper: Paper) -> str | None:
    for text in (paper.journal_ref, paper.comment):
        if text:
            match = VENUE.search(text)
            if match:
                year = match.group(2)
                year = year if len(year) == 4 else f"20{year}"
                return f"{match.group(1)} {year}"
    return paper.journal_ref


BUILDS_ON = (
    r"(?:builds? (?:up)?on|extends?|extending|improves? (?:up)?on|based on|generali[sz]es?|variant of)"
)


class ParentEvidence(NamedTuple):
    entry_id: str
    what: str
    """What was found, as the reviewer reads it in provenance."""
    points: float
    builds_on: bool = False
    """The paper says it builds on the entry: a feature of the parents model, and enough for the hand
    rule to take an entry of another branch of the tree."""


def _month(arxiv_id: str | None) -> int | None:
    """The year and month of a new-style arXiv id, as a number (`1409.4842` -> 1409)."""
    found = re.fullmatch(r"(\d{4})\.\d{4,5}(?:v\d+)?", arxiv_id or "")
    return int(found.group(1)) if found else None


def _later(entry: CatalogEntry, paper: Paper) -> bool:
    """The entry appeared in a later month or year than the paper: a paper's revised version cites
    newer works to compare with, rarely as a step it built on. Works of the same month are concurrent
    and stay (a revision may build on one)."""
    theirs, ours = _month(entry.arxiv), _month(paper.arxiv_id)
    if theirs and ours:
        return theirs > ours
    year = 2000 + ours // 100 if ours else paper.published.year
    return entry.year > year


def suggest_parents(
    paper: Paper, extraction: Extraction, tree: list[CatalogEntry], topic: str | None = None
) -> tuple[list[str], dict[str, list[str]]]:
    """Tree entries the paper builds on, best first, with the evidence for each, and the runners-up
    (`also cited`, so a reviewer adds one with one edit).

    Candidates: the entries the paper cites (by arXiv id, or by title for pre-arXiv papers; the more
    often the body cites it, the more it weighs), names in its abstract, names in its body again and
    again (`ResNeXt` 10 times), or says it builds on ("builds on", "extends", "We base the
    architecture on the work by Krizhevsky et al. [14]"). Never an entry that appeared later.
    The learned model (`parents.py`) chooses among them; without its table, the hand rule
    (`_rule_parents`) does."""
    found = parent_candidates(paper, extraction, tree, topic)
    evidence = {c.entry_id: what for c, what in found}
    candidates = [c for c, _ in found]
    fitted = learned_parents.model()
    if fitted is None:
        chosen = _rule_parents(extraction, tree, candidates, evidence, topic)
        ranked = sorted(candidates, key=lambda c: -c.points)
    else:
        rows = learned_parents.features(candidates)
        probs = fitted.probabilities(rows)
        chosen = fitted.choose(rows, stated={c.entry_id for c in candidates if c.stated})
        for c in candidates:
            evidence[c.entry_id] = [
                *evidence[c.entry_id],
                f"likely a parent: {learned_parents.shown(probs[c.entry_id])}",
            ]
            if c.entry_id in chosen and probs[c.entry_id] < learned_parents.THRESHOLD:
                evidence[c.entry_id].append("suggested because the abstract says the paper builds on it")
        ranked = sorted(candidates, key=lambda c: -probs[c.entry_id])  # as `choose` ranks
    shown = {k: evidence[k] for k in chosen}
    others = [c.entry_id for c in ranked if c.entry_id not in chosen][:5]
    if others:
        shown["also cited (not suggested)"] = [f"{k}: {'; '.join(evidence[k])}" for k in others]
    return chosen, shown


def parent_candidates(
    paper: Paper, extraction: Extraction, tree: list[CatalogEntry], topic: str | None = None
) -> list[tuple[learned_parents.Candidate, list[str]]]:
    """Every tree entry the paper cites, names or builds on, with what it shows of each (in the order
    found: citations first) and the evidence as the reviewer reads it."""
    title = _title_key(paper.title)
    tree = [
        e
        for e in tree
        if (e.arxiv is None or e.arxiv != paper.arxiv_id)
        and (not title or _title_key(e.title) != title)
        and not _later(e, paper)
    ]
    evidence: dict[str, list[str]] = {}
    points: dict[str, dict[str, float]] = {}
    builds_on: set[str] = set()
    stated: set[str] = set()  # built on, in the abstract's words
    for how, items in (
        ("cited", _cited(extraction, tree)),
        ("abstract", _named(paper, tree)),
        ("named", _mentioned(extraction, tree)),
    ):
        for item in items:
            evidence.setdefault(item.entry_id, []).append(item.what)
            kind = "builds on" if item.builds_on else how
            points.setdefault(item.entry_id, {})[kind] = (
                points.get(item.entry_id, {}).get(kind, 0) + item.points
            )
            if item.builds_on:
                builds_on.add(item.entry_id)
                if how == "abstract":
                    stated.add(item.entry_id)
    root = (topic or "").split("/")[0]
    children = Counter(p for e in tree for p in e.parents)  # as `subtopic.place` counts them
    by_id = {e.id: e for e in tree}
    found = []
    for entry_id, what in evidence.items():
        entry = by_id[entry_id]
        named = rf"(?<![\w-]){re.escape(entry.name)}(?![\w-])"
        sentences, backbone, derived = _uses(extraction, entry)
        what = [*what, *_how_named(sentences, backbone, derived)]
        found.append(
            (
                learned_parents.Candidate(
                    entry_id=entry_id,
                    points=sum(points[entry_id].values()),
                    cited=points[entry_id].get("cited", 0.0),
                    abstract="abstract" in points[entry_id],
                    named=_times(extraction, entry),
                    builds_on=entry_id in builds_on,
                    same_branch=not root or entry.topic.split("/")[0] == root,
                    children=children[entry_id],
                    in_title=bool(re.search(named, paper.title, re.IGNORECASE)),
                    backbone=backbone / sentences if sentences else 0.0,
                    derived=derived,
                    stated=entry_id in stated,
                ),
                what,
            )
        )
    return found


def _rule_parents(
    extraction: Extraction,
    tree: list[CatalogEntry],
    candidates: list[learned_parents.Candidate],
    evidence: dict[str, list[str]],
    topic: str | None,
) -> list[str]:
    """The hand rule: an entry of another branch of the tree than `topic` (a classification backbone
    of a detector) is a parent only when the paper says it builds on it, or, when the paper has no
    parent in its own branch, when it is the paper's one backbone (`_single_backbone`: FCN made from
    VGG). Of the rest, those at least 0.6 as strong as the strongest with evidence of two kinds are
    suggested (and at least 1.5 points), up to three: a work cited among many in the related work is
    background, not a parent. When no candidate has more than one plain citation (a citation style
    whose marks the body cannot be searched for), nothing ranks them, and the first three of the
    paper's own branch are suggested.
    Adds the backbone's evidence to `evidence`. `tree` may hold entries that are no candidates (later
    ones): only the candidates' entries are read."""
    ranked = sorted(candidates, key=lambda c: -c.points)  # stable: the order found breaks ties
    lineage = [c for c in ranked if c.same_branch or c.builds_on]
    top = lineage[0].points if lineage else 0.0
    # evidence of two kinds at least (cited and named again and again, cited and built on, named in
    # the abstract and in the body): one kind alone is how a paper treats its background
    chosen = [c.entry_id for c in lineage if c.points >= max(1.5, 0.6 * top) and _kinds(c) >= 2][:3]
    uncounted = not any(r.cited > 1 for r in extraction.references)
    if top <= 1.0 and uncounted:  # the body's citations cannot be counted: nothing ranks them
        chosen = [c.entry_id for c in lineage[:3]]
    if not chosen and topic:
        root = topic.split("/")[0]
        branch = {e.id: e.topic.split("/")[0] for e in tree}
        backbone = _single_backbone(extraction, tree, evidence, root, branch)
        if backbone is not None:
            chosen = [backbone[0]]
            evidence[backbone[0]] = [*evidence[backbone[0]], backbone[1]]
    return chosen


def _kinds(c: learned_parents.Candidate) -> int:
    """How many kinds of evidence the candidate has (cited, named in the abstract, named in the body,
    built on)."""
    return (c.cited > 0) + c.abstract + (c.named >= 2) + c.builds_on


SOLE_BACKBONE = 0.75
"""The share of the body's mentions of other branches' entries that one entry must hold to be the
paper's one backbone (a network the paper adapts, not one of several it runs its method on)."""


def _single_backbone(
    extraction: Extraction,
    tree: list[CatalogEntry],
    evidence: dict[str, list[str]],
    root: str,
    branch: dict[str, str],
) -> tuple[str, str] | None:
    """The one network of another branch the paper is built from, when it has no parent in its own
    branch: the body names it at least three times, and it holds at least `SOLE_BACKBONE` of the
    body's mentions of other branches' entries (FCN adapting VGG, a pose network that is ResNet with a
    head). A method run on several backbones in turn (a detector on VGG and ResNet) has none."""
    if not root:
        return None
    times = {e.id: _times(extraction, e) for e in tree if e.id in evidence and branch.get(e.id) != root}
    total = sum(times.values())
    if not total:
        return None
    best = max(times, key=lambda k: times[k])
    if times[best] < 3 or times[best] < SOLE_BACKBONE * total:
        return None
    share = round(100 * times[best] / total)
    return best, f"the paper's one backbone: {share}% of its mentions of other branches' networks"


def _words(extraction: Extraction, entry: CatalogEntry) -> list[str]:
    """The body's model-like words (`extraction.names`' keys) that name the entry (`resnext`,
    `resnet50`, `resnets`)."""
    keys = {name_key(entry.name), name_key(entry.id)}
    return [
        word
        for word in extraction.names
        for key in keys
        if len(key) >= 3 and word.startswith(key) and re.fullmatch(r"(?:\d+[a-z]?)?s?", word[len(key) :])
    ]


def _times(extraction: Extraction, entry: CatalogEntry) -> int:
    """How often the body names the entry (`ResNeXt`, `ResNet-50`, `ResNets`)."""
    return sum(extraction.names[word] for word in _words(extraction, entry))


def _uses(extraction: Extraction, entry: CatalogEntry) -> tuple[int, int, int]:
    """How many of the body's sentences name the entry, and how many of those speak of a backbone or
    pretraining, and of changing or reusing its design (`references.name_counts`)."""
    uses = [extraction.name_uses[w] for w in _words(extraction, entry) if w in extraction.name_uses]
    return sum(u.sentences for u in uses), sum(u.backbone for u in uses), sum(u.derived for u in uses)


def _how_named(sentences: int, backbone: int, derived: int) -> list[str]:
    """What the reviewer reads of how the body's sentences speak of a candidate (`_uses`)."""
    said = []
    if backbone:
        said.append(f"{backbone} of the {sentences} sentences naming it speak of a backbone or pretraining")
    if derived:
        said.append(
            f"{derived} of the {sentences} sentences naming it speak of changing or reusing its design"
        )
    return said


def _mentioned(extraction: Extraction, tree: list[CatalogEntry]) -> list[ParentEvidence]:
    """Tree entries the body names again and again (`ResNeXt`, `ResNet-50`, `ResNets`)."""
    found: list[ParentEvidence] = []
    for entry in tree:
        times = _times(extraction, entry)
        if times >= 2:
            found.append(ParentEvidence(entry.id, f"the body names it {times} times", min(2.0, times / 5)))
    return found


def _cited(extraction: Extraction, tree: list[CatalogEntry]) -> list[ParentEvidence]:
    """Tree entries in the reference list: by arXiv id, else by title (variants tolerated)."""
    by_arxiv = {e.arxiv: e for e in tree if e.arxiv}
    titled = [(_title_key(e.title), e) for e in tree if len(e.title.split()) >= 2]
    found: list[ParentEvidence] = []
    seen: set[str] = set()
    for ref in extraction.references:
        entry = by_arxiv.get(ref.arxiv or "") or _by_title(ref, titled)
        if entry is None or entry.id in seen:
            continue
        seen.add(entry.id)
        how = f"arXiv:{ref.arxiv}" if ref.arxiv and ref.arxiv in by_arxiv else f'"{entry.title}"'
        times = f", cited {ref.cited} times in the text" if ref.cited > 1 else ""
        found.append(
            ParentEvidence(entry.id, f"cites {how}{times}", 1.0 + min(2.0, max(0, ref.cited - 1) / 3))
        )
        if ref.builds_on:
            found.append(
                ParentEvidence(entry.id, f"the paper builds on it: {ref.builds_on[:160]}", 1.0, True)
            )
    return found


def _by_title(ref: Reference, titled: list[tuple[str, CatalogEntry]]) -> CatalogEntry | None:
    """The tree entry whose title this reference carries: the same title, or the title inside the
    reference's text (robust to how the title was cut out of it)."""
    key = _title_key(ref.title or "")
    text = f" {_title_key(ref.text)} "
    for title, entry in titled:
        if title == key or (len(title.split()) >= 4 and f" {title} " in text):
            return entry
    return None


def _named(paper: Paper, tree: list[CatalogEntry]) -> list[ParentEvidence]:
    """Tree entries the abstract names; named after "builds on", "extends" they weigh double more."""
    found: list[ParentEvidence] = []
    for entry in tree:
        for name in {entry.name, entry.name.replace(" ", "")}:
            named = rf"(?<![\w-]){re.escape(name)}(?![\w-])"
            if len(name) >= 3 and re.search(named, paper.abstract):
                found.append(ParentEvidence(entry.id, f"abstract names {name}", 1.5))
                if re.search(rf"{BUILDS_ON}[^.]{{0,60}}{named}", paper.abstract, re.IGNORECASE):
                    found.append(ParentEvidence(entry.id, f"abstract: builds on / extends {name}", 2.0, True))
                break
    return found


def suggest_topic(
    topic: str,
    parents: list[str],
    tree: list[CatalogEntry],
    *,
    paper: Paper | None = None,
    topics: dict[str, Topic] | None = None,
    names: dict[str, int] | None = None,
    built: set[str] | frozenset[str] = frozenset(),
) -> tuple[str, str, list[str]]:
    """The queried topic or one of its subtopics, with the evidence and, when two are close, both
    (best first; else one).

    With the topic tree (`topics`) and the paper: the candidate whose own words and entries the
    title and abstract (and the models its body names again and again, `names`) resemble most, the
    suggested parents' places adding to it, those it says it builds on (`built`) twice
    (`subtopic.place`).
    Without them: the subtopic where most suggested parents live."""
    if topics is not None and paper is not None:
        from .subtopic import place

        placed = place(f"{paper.title} {paper.abstract}", topic, topics, tree, parents, names, built)
        if placed is not None:
            return placed.topic, placed.evidence, placed.close
    chosen, why = _topic_by_parents(topic, parents, tree)
    return chosen, why, [chosen]


def _topic_by_parents(topic: str, parents: list[str], tree: list[CatalogEntry]) -> tuple[str, str]:
    """The queried topic, or its subtopic where most suggested parents live; with the evidence."""
    topics = {e.id: e.topic for e in tree}
    inside = [topics[p] for p in parents if p in topics and topics[p].startswith(topic + "/")]
    if inside:
        best = max(sorted(set(inside)), key=inside.count)
        if inside.count(best) * 2 >= len(parents):
            share = f"{inside.count(best)} of {len(parents)} parents are in {best}"
            return best, f"found by the query of {topic}; {share}"
    return topic, f"found by the arXiv query of topic {topic}"


def _title_key(title: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKC", title).lower()
    text = re.sub(r"(?<=[a-z])-\s+(?=[a-z])", "", text)  # "recog- nition"
    return " ".join(re.findall(r"[a-z0-9]+", text))


def paper_links(paper: Paper, extraction: Extraction) -> list[CodeLink]:
    """Repository links from the abstract, the arXiv comment and the PDF, one per repository."""
    abstract_text = f"{paper.abstract} {paper.comment or ''}"
    links = find_code_links([abstract_text], title=paper.title)
    for link in links:
        link.evidence = f"abstract or arXiv comment: {link.evidence}"
    return merge_code_links(links + list(extraction.code_links))


NOT_CODE = ("aside", "others", "dataset", "dependency", "reference")
"""Roles of links that are not the paper's code (named in passing, another work's code, data, code it
uses or cites)."""


def suggest_code(candidates: list[Candidate]) -> tuple[list[EntryCode], list[str]]:
    """The entry's code field from verified candidates (best first), and the evidence for each.
    Repositories the paper only uses or cites are not offered as its code (a paper that releases
    none gets none, not `tensorflow/tensorflow`); the evidence still lists them."""
    code = [
        EntryCode(url=c.url, framework="pytorch" if c.pytorch else c.hint, official=c.official)
        for c in candidates
        if c.role not in NOT_CODE
    ]
    evidence = [
        ("not offered as code: " if c.role in NOT_CODE else "")
        + f"{c.url}: confidence {c.confidence:.2f}; {'; '.join(c.found_by + c.reasons)}"
        + (f"; context: {c.evidence[:200]}" if c.evidence else "")
        for c in candidates
    ]
    return code, evidence


def method_names(paper: Paper) -> list[str]:
    """Names the paper gives its method: the title's name, and what the abstract calls it ("called
    FooNet", "we propose a receptive field block (RFB)")."""
    names = [suggest_name(paper.title), *introduced_names(paper.abstract)]
    return [n for n in dict.fromkeys(names) if 3 <= len(n) <= 40]


def diagram_score(fig: Figure, names: list[str]) -> float:
    """How well a figure serves as the paper's 图示: an architecture figure whose caption says so
    plainly, shows the paper's own method (its name, "our", "proposed") and is large, early first."""
    from ..pdf.figures import architecture_words, caption_body

    body = caption_body(fig.caption)
    own = bool(re.search(r"\b(our|ours|proposed)\b", body, re.IGNORECASE))
    named = any(name.lower() in body.lower() for name in names)
    size = (fig.bbox[2] - fig.bbox[0]) * (fig.bbox[3] - fig.bbox[1]) / (612 * 792)
    score = architecture_words(fig.caption) + 1.2 * (own or named) + 2.0 * min(size, 0.5)
    return round(score + (2.0 if fig.kind == "architecture" else 0.0) - 0.02 * fig.page, 3)


def suggest_diagram(
    figures: list[Figure],
    files: dict[str, str],
    names: list[str],
    *,
    learned: bool = True,
    end: int | None = None,
) -> tuple[str | None, dict[str, Any]]:
    """The diagram's file and the evidence, with the runners-up so that a reviewer switches with one
    edit. The learned ranker (`diagram.py`) chooses among the figures and "no diagram" (`none`); without
    it (or with `learned=False`), the hand-weighted `diagram_score`: the best-ranked architecture
    figure, else the best-ranked illustration of the idea (kind `other`), else `none` (plots and photos
    are never the diagram). `end`: the page of the paper's conclusion (`diagram.end_page`)."""
    fitted = ranker() if learned else None
    shown = [f for f in figures if f.key in files]
    if fitted is not None and shown:
        probs = [f.kind_probs or {f.kind: 1.0} for f in shown]
        rows = figure_features(shown, names, probs, end=end)
        scores, none = fitted.scores(rows)
        order = sorted(range(len(shown)), key=lambda i: -scores[i])
        runners = [
            {
                "file": files[shown[i].key],
                "kind": shown[i].kind,
                "score": scores[i],
                "caption": shown[i].caption[:120],
            }
            for i in order[:4]
        ]
        top = shown[order[0]]
        if scores[order[0]] <= none:
            why = (
                f"no figure reads as the paper's diagram (the best, figure {top.key}, scores "
                f"{scores[order[0]]} against {none} for none); write a figure file to choose one"
            )
            return "none", {"evidence": why, "candidates": runners}
        why = (
            f"figure {top.key}: the ranker's choice (kind {top.kind}, caption wording, the paper's own "
            f"method, place in the paper, size; score {scores[order[0]]} against {none} for none): "
            f"{top.caption[:100]}"
        )
        return files[top.key], {
            "evidence": why,
            "candidates": [r for r in runners if r["file"] != files[top.key]],
        }
    ranked = sorted((f for f in figures if f.key in files), key=lambda f: -diagram_score(f, names))
    runners = [
        {
            "file": files[f.key],
            "kind": f.kind,
            "score": diagram_score(f, names),
            "caption": f.caption[:120],
        }
        for f in ranked[:4]
    ]
    best = next((f for f in ranked if f.kind == "architecture"), None)
    if best is None:  # no architecture: an illustration of the method's idea is what a curator shows
        idea = next((f for f in ranked if f.kind == "other"), None)
        if idea is not None:
            why = (
                f"figure {idea.number}: no figure reads as an architecture diagram; the best-ranked "
                f"illustration of the idea: {idea.caption[:100]}"
            )
            return files[idea.key], {
                "evidence": why,
                "candidates": [r for r in runners if r["file"] != files[idea.key]],
            }
        why = "no figure reads as an architecture diagram; write a figure file to choose one"
        if not figures:
            why = "no figure was extracted from the PDF; write a figure file if the paper has a diagram"
        return "none", {"evidence": why, "candidates": runners}

    why = (
        f"figure {best.number}: the best-ranked architecture figure (caption wording, the paper's own "
        f"method, size): {best.caption[:100]}"
    )
    return files[best.key], {
        "evidence": why,
        "candidates": [r for r in runners if r["file"] != files[best.key]],
    }


def unique_slug(base: str, taken: set[str], arxiv_id: str) -> str:
    if base not in taken:
        return base
    return f"{base}-{slugify(arxiv_id)}"


def build_entry(
    paper: Paper,
    extraction: Extraction,
    translation: Translation,
    *,
    topic: str,
    tree: list[CatalogEntry],
    taken_slugs: set[str],
    figure_files: dict[str, str],
    implementations: list[Candidate] | None = None,
    now: dt.datetime | None = None,
    topics: dict[str, Topic] | None = None,
) -> CatalogEntry:
    """A draft entry whose machine-made fields all carry provenance. Pure: no IO.

    `implementations`: verified code candidates; without them, the paper's own links, unverified.
    `topics`: the topic tree; with it the subtopic is read from the paper's content as well as its
    parents (`suggest_topic`)."""
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    name = suggest_name(paper.title)
    parents, parent_evidence = suggest_parents(paper, extraction, tree, topic)
    if implementations is None:
        implementations = find_implementations(paper, paper_links(paper, extraction), None)
    code, code_evidence = suggest_code(implementations)
    built = {k for k in parents if any("builds on" in what for what in parent_evidence.get(k, []))}
    topic, topic_evidence, close = suggest_topic(
        topic, parents, tree, paper=paper, topics=topics, names=extraction.names, built=built
    )
    figures = []
    for i, fig in enumerate(extraction.figures):
        if fig.key in figure_files:
            zh = translation.captions_zh[i] if i < len(translation.captions_zh) else ""
            figures.append(
                EntryFigure(
                    file=figure_files[fig.key],
                    caption=fig.caption,
                    caption_zh=zh,
                    kind=fig.kind,
                    diagram=fig.is_diagram,
                )
            )
    diagram, diagram_evidence = suggest_diagram(
        extraction.figures, figure_files, method_names(paper), end=end_page(extraction.sections)
    )
    level = "beginner" if BEGINNER.search(paper.title) else "advanced"
    machine = {"tool": f"alphatree-ingest {__version__}", "at": now.isoformat()}
    provenance: dict[str, Any] = {
        "source": {"feed": f"arXiv {paper.versioned_id}", "pdf": paper.pdf_url, **machine},
        "title_zh": {"model": translation.model, "backend": translation.backend, **machine},
        "abstract_zh": {"model": translation.model, "backend": translation.backend, **machine},
        "suggestions": {
            "topic": {
                "suggested": True,
                "evidence": topic_evidence,
                **({"close": close} if len(close) > 1 else {}),
            },
            "level": {
                "suggested": True,
                "evidence": "title reads as a survey or tutorial"
                if level == "beginner"
                else "default for research papers",
            },
            "parents": {"suggested": True, "evidence": parent_evidence or "no cited tree entry"},
            "code": {"suggested": True, "evidence": code_evidence or "no repository link found"},
            "diagram": {"suggested": True, **diagram_evidence},
        },
        "reviewed_by": None,
    }
    entry = CatalogEntry(
        id=unique_slug(slugify(name), taken_slugs, paper.arxiv_id),
        name=name,
        arxiv=paper.arxiv_id,
        version=paper.version,
        title=paper.title,
        title_zh=translation.title_zh,
        authors=paper.authors,
        year=paper.published.year,
        published=paper.published.date(),
        venue=suggest_venue(paper),
        topic=topic,
        level=level,  # type: ignore[arg-type]
        parents=parents,
        abstract=paper.abstract,
        abstract_zh=translation.abstract_zh,
        figures=figures,
        diagram=diagram,
        code=code,
        status="draft",
        provenance=provenance,
    )
    entry.provenance["machine_fields"] = field_hashes(entry)
    return entry


def _value_hash(value: Any) -> str:
    return hashlib.sha256(dump_yaml({"v": value}).encode()).hexdigest()[:12]


def field_hashes(entry: CatalogEntry) -> dict[str, str]:
    """A short hash of each field the machine wrote: later runs tell reviewer edits from machine text."""
    data = entry.model_dump(mode="python", exclude={"provenance"}, exclude_none=True)
    return {key: _value_hash(value) for key, value in data.items()}


def render_draft(entry: CatalogEntry, prompts_dir: Path) -> str:
    """The draft file's text, from `prompts/draft.yaml.j2`; it must parse back to the same entry."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(prompts_dir)),
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    data = entry.model_dump(mode="python", exclude_none=True)

    def field(name: str) -> str:
        if name not in data:
            return ""
        return dump_yaml({name: data[name]}).rstrip("\n")

    text = env.get_template("draft.yaml.j2").render(entry=entry, field=field, fields=list(data))
    if CatalogEntry.model_validate(yaml.safe_load(text)) != entry:
        raise RuntimeError("prompts/draft.yaml.j2 does not render the entry faithfully")
    return text


# --- refreshing a draft for a new arXiv version ------------------------------------------------------
#
# A draft is YAML whose top-level keys start at column 0 (the template writes it so). The machine
# remembers a hash of every field it wrote (`provenance.machine_fields`). For a new version, a field whose
# value still has the machine's hash is replaced by the new machine value; every other field, and every
# comment line, stays exactly as the reviewer left it.

_KEY = re.compile(r"^([A-Za-z_][\w]*):(\s|$)")


@dataclass
class KeyBlock:
    key: str | None
    """The top-level key, or None for comment and blank lines."""
    lines: list[str] = field(default_factory=list)


def split_blocks(text: str) -> list[KeyBlock]:
    """Top-level key blocks (the key line and its indented or `- ` lines) and the lines between them.

    Blank and column-0 comment lines belong to the block they sit inside (a comment between two list
    items of `figures:`), or stand between blocks when the next line starts a new key."""
    blocks: list[KeyBlock] = []
    pending: list[str] = []
    for line in text.splitlines(keepends=True):
        match = _KEY.match(line)
        if match:
            if pending:
                blocks.append(KeyBlock(None, pending))
                pending = []
            blocks.append(KeyBlock(match.group(1), [line]))
        elif not line.strip() or line.startswith("#"):
            pending.append(line)
        elif blocks and blocks[-1].key is not None and line[:1] in (" ", "-", "\t"):
            blocks[-1].lines += [*pending, line]
            pending = []
        else:
            blocks.append(KeyBlock(None, [*pending, line]))
            pending = []
    if pending:
        blocks.append(KeyBlock(None, pending))
    return blocks


def comments_in(block: KeyBlock, value: Any) -> tuple[list[str], bool]:
    """The comments a reviewer wrote inside a block whose value is `value`, as full-line comments
    (inline ones included), and whether the block was otherwise exactly the machine's rendering of
    that value. When it was not (the reviewer reformatted it), only full-line comments are found."""
    machine = dump_yaml({block.key: value}).splitlines(keepends=True)
    written = block.lines
    found: list[str] = []
    clean = True
    matcher = difflib.SequenceMatcher(a=[m.rstrip() for m in machine], b=[w.rstrip() for w in written])
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            continue
        extra = written[b0:b1]
        if op == "replace" and a1 - a0 == b1 - b0:
            for m, w in zip(machine[a0:a1], extra, strict=True):
                rest = w.rstrip()[len(m.rstrip()) :]
                if w.rstrip().startswith(m.rstrip()) and rest.strip().startswith("#") and rest[:1] == " ":
                    found.append(rest.strip() + "\n")
                else:
                    clean = False
            continue
        if op in ("delete", "replace"):
            clean = False
        found += [line.strip() + "\n" for line in extra if line.strip().startswith("#")]
        clean = clean and all(not line.strip() or line.strip().startswith("#") for line in extra)
    if not clean:
        found = [line.strip() + "\n" for line in written if line.strip().startswith("#")]
    return found, clean


def rewrite_block(block: KeyBlock, value: Any, old_value: Any) -> str:
    """The block with `value` in place of `old_value`; the reviewer's comments stay, above the key."""
    comments, _ = comments_in(block, old_value)
    return "".join(comments) + dump_yaml({block.key: value})


@dataclass
class Update:
    text: str
    refreshed: list[str]
    kept: list[str]


def update_draft(old_text: str, new: CatalogEntry) -> Update:
    """The draft text for `new` (a later version), keeping every field and comment a reviewer touched.

    Raises ValueError when the old draft is not valid YAML (an edit in progress is never guessed at).
    """
    current = parse_yaml(old_text)
    if not isinstance(current, dict):
        raise ValueError("the draft is not a YAML mapping")
    old_provenance = current.get("provenance") or {}
    machine: dict[str, str] = dict(old_provenance.get("machine_fields") or {})
    new_data = new.model_dump(mode="python", exclude_none=True, exclude={"provenance"})

    def untouched(key: str) -> bool:
        return key in current and key in machine and _value_hash(_jsonable(current[key])) == machine[key]

    blocks = split_blocks(old_text)
    out, refreshed, kept = _refresh_blocks(blocks, current, new_data, untouched)
    present = {b.key for b in blocks}
    missing = [k for k in new_data if k not in present and k not in machine]
    at = next((i for i, b in enumerate(out) if b.key == "provenance"), len(out))
    out[at:at] = [KeyBlock(key, [dump_yaml({key: new_data[key]})]) for key in missing]
    refreshed += missing
    provenance: dict[str, Any] = dict(old_provenance)
    provenance.update(new.provenance)
    provenance["machine_fields"] = _new_hashes(machine, field_hashes(new), untouched, missing)
    provenance["new_version"] = {
        "version": new.version,
        "previous": current.get("version"),
        "refreshed": refreshed,
        "kept_reviewer_edits": kept,
    }
    old_block = next((b for b in out if b.key == "provenance"), KeyBlock("provenance"))
    provenance_block = KeyBlock("provenance", [rewrite_block(old_block, provenance, old_provenance)])
    out = [b for b in out if b.key != "provenance"] + [provenance_block]
    text = "".join("".join(b.lines) for b in out)
    if not text.endswith("\n"):
        text += "\n"
    # the template's first line names the version the draft shows; a reviewer's own lines stay
    text = _HEADER.sub(lambda m: f"{m.group(1)}v{new.version}{m.group(2)}", text, count=1)
    CatalogEntry.model_validate(yaml.safe_load(text))  # never write what does not parse back
    return Update(text, refreshed, kept)


_HEADER = re.compile(
    r"^(# Draft for review: .*\(arXiv [^\s)]+?)v\d+(\), written by alphatree-ingest\.)$", re.M
)


def _refresh_blocks(
    blocks: list[KeyBlock], current: dict[str, Any], new_data: dict[str, Any], untouched: Any
) -> tuple[list[KeyBlock], list[str], list[str]]:
    """Each top-level block refreshed when the machine wrote it and nobody touched it, else kept."""
    out: list[KeyBlock] = []
    refreshed: list[str] = []
    kept: list[str] = []
    for block in blocks:
        key = block.key
        if key is None or key == "provenance":
            out.append(block)
        elif untouched(key) and comments_in(block, current[key])[1]:
            comments = comments_in(block, current[key])[0]
            if key in new_data:
                out.append(KeyBlock(key, [*comments, dump_yaml({key: new_data[key]})]))
            elif comments:
                out.append(KeyBlock(None, comments))  # the value goes, the reviewer's words stay
            if key not in new_data or _jsonable(current[key]) != _jsonable(new_data[key]):
                refreshed.append(key)  # a value the machine no longer suggests is dropped
        else:
            if key in new_data and _jsonable(current.get(key)) != _jsonable(new_data[key]):
                kept.append(key)
            out.append(block)
    return out, refreshed, kept


def _new_hashes(
    machine: dict[str, str], new_hashes: dict[str, str], untouched: Any, missing: list[str]
) -> dict[str, str]:
    """Machine hashes after a refresh: edited fields keep the old hash, so they stay the reviewer's."""
    hashes = {k: v for k, v in machine.items() if k in new_hashes or not untouched(k)}
    for key in new_hashes:
        if untouched(key) or key in missing:
            hashes[key] = new_hashes[key]
    return hashes


def _jsonable(value: Any) -> Any:
    """Values compared as YAML would store them (dates as dates, tuples as lists)."""
    return yaml.safe_load(dump_yaml({"v": value}))["v"]


# --- the entry as approved: the reviewer's comments kept ---------------------------------------------


def _template_comments(template: str) -> list[re.Pattern[str]]:
    """The comment lines the draft template writes (its `{{ ... }}` parts match anything)."""
    patterns = []
    for line in template.splitlines():
        if line.startswith("#"):
            parts = re.split(r"\{\{.*?\}\}", line.rstrip())
            patterns.append(re.compile("^" + ".*".join(re.escape(p) for p in parts) + r"\s*$"))
    return patterns


def reviewed_text(text: str, values: dict[str, Any], template: str) -> str:
    """The draft's YAML with the top-level keys of `values` set (status, provenance), every other field
    and every comment the reviewer wrote kept as they are; the instructions of the draft template
    (`template`, the text of `draft.yaml.j2`) go.
    Raises ValueError when the result would not read back as the same entry with those values."""
    current = parse_yaml(text)
    if not isinstance(current, dict):
        raise ValueError("the draft is not a YAML mapping")
    machine = _template_comments(template)
    out: list[str] = []
    done = set()
    for block in split_blocks(text):
        if block.key in values:
            out.append(rewrite_block(block, values[block.key], current.get(block.key)))
            done.add(block.key)
            continue
        out += [line for line in block.lines if not any(p.match(line.rstrip("\n")) for p in machine)]
    out += [dump_yaml({key: value}) for key, value in values.items() if key not in done]
    result = "".join(out).lstrip("\n")
    expected = CatalogEntry.model_validate({**current, **_jsonable(values)})
    if CatalogEntry.model_validate(parse_yaml(result)) != expected:
        raise ValueError("the approved entry would not read back as reviewed")
    return result
