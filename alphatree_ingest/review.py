"""The review queue and the approval gate: nothing joins the tree unreviewed."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog, CatalogError, atomic_write, entry_to_yaml, parse_entry, safe_filename
from .memory import TranslationMemory
from .models import CatalogEntry
from .translate import RESIDUE, has_cjk, split_sentences


class ReviewError(RuntimeError):
    """A review command cannot be carried out; `problems` names every reason."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass
class QueueItem:
    arxiv: str
    entry: CatalogEntry | None
    path: Path
    age_days: int
    problems: list[str]

    @property
    def relevance(self) -> float:
        """The topic relevance score the ingest gave the draft (-1 when it has none)."""
        found = (self.entry.provenance.get("suggestions") or {}).get("relevance") if self.entry else None
        return float(found["score"]) if isinstance(found, dict) and "score" in found else -1.0

    @property
    def flags(self) -> list[str]:
        """Short notes for the queue: a new arXiv version, failing checks, ready."""
        flags = []
        new = (self.entry.provenance.get("new_version") if self.entry else None) or {}
        if new:
            flags.append(f"new version v{new.get('version')}")
        flags.append(f"{len(self.problems)} check(s) failing" if self.problems else "ready")
        return flags


def flagged_entries(catalog: Catalog) -> list[dict[str, object]]:
    """Approved entries whose paper has a newer arXiv version (written by `ingest`)."""
    from .catalog import load_yaml

    return [load_yaml(path) for path in sorted(catalog.flags_dir.glob("*.yaml"))]


def gate(entry: CatalogEntry, catalog: Catalog) -> list[str]:
    """Every reason the entry may not join the tree; empty when it may."""
    problems = []
    for field in ("title_zh", "abstract_zh"):
        value = getattr(entry, field)
        if not value.strip():
            problems.append(f"{field} is empty")
        elif RESIDUE.search(value):
            problems.append(f"{field} contains placeholder residue")
        elif not has_cjk(value) or value.strip() == getattr(entry, field[:-3]).strip():
            problems.append(f"{field} is not translated into Chinese")
    topics = catalog.topics()
    if entry.topic not in topics:
        problems.append(f"topic {entry.topic!r} is not in topics.yaml")
    tree = catalog.entries()
    ids = {e.id for _, e in tree}
    for parent in entry.parents:
        if parent not in ids:
            problems.append(f"parent {parent!r} is not an entry of the tree")
    if not any(c.framework == "pytorch" for c in entry.code):
        problems.append("no code link with framework: pytorch")
    files = {f.file for f in entry.figures}
    if entry.diagram is None:
        problems.append("no diagram chosen: set `diagram` to a figure file, or to `none`")
    elif entry.diagram != "none" and entry.diagram not in files:
        problems.append(f"diagram {entry.diagram!r} is not one of the entry's figures")
    clash = [p for p, e in tree if e.id == entry.id and e.arxiv != entry.arxiv]
    if clash:
        problems.append(f"id {entry.id!r} is already used by {clash[0].name}")
    return problems


def queue(catalog: Catalog, now: dt.datetime | None = None) -> list[QueueItem]:
    """Drafts waiting for review, most relevant first (then oldest), each with the checks it fails."""
    now = now or dt.datetime.now(dt.UTC)
    items = []
    for path in sorted(catalog.drafts_dir.glob("*.yaml")):
        age = int((now.timestamp() - path.stat().st_mtime) // 86400)
        try:
            entry = parse_entry(path)
        except CatalogError as err:
            items.append(QueueItem(path.stem, None, path, age, [str(err)]))
            continue
        items.append(QueueItem(entry.arxiv or path.stem, entry, path, age, gate(entry, catalog)))
    items.sort(key=lambda item: (-item.relevance, -item.age_days, item.arxiv))
    return items


def _draft(catalog: Catalog, arxiv_id: str) -> Path:
    try:
        path = catalog.draft_path(arxiv_id)
    except ValueError:
        raise ReviewError(f"{arxiv_id!r} is not an arXiv id such as 2401.01234") from None
    if not path.exists():
        raise ReviewError(f"there is no draft for {arxiv_id} (see `alphatree review list`)")
    return path


def load_draft(catalog: Catalog, arxiv_id: str) -> tuple[Path, CatalogEntry]:
    path = _draft(catalog, arxiv_id)
    try:
        return path, parse_entry(path)
    except CatalogError as err:
        raise ReviewError("the draft does not validate", [str(err)]) from None


def _reviewed(entry: CatalogEntry, status: str, **extra: object) -> CatalogEntry:
    provenance = dict(entry.provenance)
    provenance["reviewed_by"] = os.environ.get("ALPHATREE_REVIEWER") or getpass.getuser()
    provenance["reviewed_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    provenance.update(extra)
    return entry.model_copy(update={"status": status, "provenance": provenance})


def _move(draft: Path, entry: CatalogEntry, dest: Path) -> None:
    """Rewrite the draft in place, then rename it: a crash leaves the draft or the entry, never both."""
    atomic_write(draft, entry_to_yaml(entry))
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(draft, dest)


def approve(catalog: Catalog, arxiv_id: str, memory: TranslationMemory | None = None) -> tuple[Path, int]:
    """Move a draft that passes the gate into the tree, and teach the translation memory the
    reviewer's Chinese. Returns the entry's path and how many sentences were learned.
    Raises ReviewError naming every failure."""
    path, entry = load_draft(catalog, arxiv_id)
    problems = gate(entry, catalog)
    if problems:
        raise ReviewError(f"{arxiv_id} cannot be approved", problems)
    approved = _reviewed(entry, "approved")
    dest = catalog.entry_path(approved)
    _move(path, approved, dest)
    learned = learn(entry, memory) if memory is not None else 0
    return dest, learned


_ZH_SENTENCE = re.compile(r"(?<=[。！？])")


def align(source: str, chinese: str) -> list[tuple[str, str]]:
    """Pairs of (English sentence, Chinese sentence) when the counts agree; the whole text otherwise."""
    src = split_sentences(source)
    zh = [z.strip() for z in _ZH_SENTENCE.split(chinese.strip()) if z.strip()]
    if not src or not zh:
        return []
    if len(src) == len(zh):
        return list(zip(src, zh, strict=True))
    return [(" ".join(src), chinese.strip())]


def learn(entry: CatalogEntry, memory: TranslationMemory) -> int:
    """Store the reviewer's translations that the memory does not already hold, as human ones."""
    pairs = [(entry.title, entry.title_zh.strip())] + align(entry.abstract, entry.abstract_zh)
    for fig in entry.figures:
        pairs += align(fig.caption, fig.caption_zh)
    learned = 0
    for source, target in pairs:
        if source and target and not memory.knows(source, target):
            memory.add(source, target, origin="human")
            learned += 1
    return learned


def reject(catalog: Catalog, arxiv_id: str, reason: str) -> Path:
    """Move a draft among rejected papers, with the reason, so it is never drafted again."""
    if not reason.strip():
        raise ReviewError('a rejection needs a reason: --reason "..."')
    path = _draft(catalog, arxiv_id)
    try:
        entry = parse_entry(path)
    except CatalogError as err:
        raise ReviewError("the draft does not validate; fix it or delete the file", [str(err)]) from None
    rejected = _reviewed(entry, "rejected", rejected_reason=reason.strip())
    dest = catalog.rejected_path(safe_filename(arxiv_id))
    _move(path, rejected, dest)
    return dest
