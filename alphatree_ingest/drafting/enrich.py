"""Pure: a tree entry brought up to the AlphaTree standard from its arXiv paper. What an entry lacks,
the enrichment draft that offers it, and the merge an approval makes: only what the entry lacks
(diagram, figures, abstract and Chinese abstract, code links), every curated field kept as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..catalog import CatalogSnapshot, Stored, safe_filename
from ..models import ENRICHES, CatalogEntry

CURATED = (
    "id",
    "name",
    "title",
    "title_zh",
    "summary_zh",
    "parents",
    "topic",
    "level",
    "notes",
    "metrics",
    "year",
    "venue",
)
"""The curator's fields: an enrichment shows them for context and never changes them."""
OFFERED = ("diagram", "figures", "abstract", "abstract_zh", "code")
"""What an enrichment may add to an entry, each only when the entry lacks it."""
ENRICHED = "enriched"
"""Provenance key of an entry an approved enrichment filled: from which paper, what, by whom."""


def lacks(entry: CatalogEntry) -> list[str]:
    """What the entry lacks of the standard: `diagram`, `figures`, `abstract_zh`, `code` (a PyTorch link).
    A diagram set to `none` by a reviewer is a decision, not a lack."""
    missing = []
    if entry.diagram is None:
        missing.append("diagram")
    if not entry.figures:
        missing.append("figures")
    if not entry.abstract_zh.strip():
        missing.append("abstract_zh")
    if not any(c.framework == "pytorch" for c in entry.code):
        missing.append("code")
    return missing


def target(draft: CatalogEntry, snapshot: CatalogSnapshot) -> Stored | None:
    """The tree entry (and its file) an enrichment draft enriches: same id, same arXiv id."""
    entry_id = draft.enriches()
    return next(
        (s for s in snapshot.tree if s.entry.id == entry_id and s.entry.arxiv == draft.arxiv),
        None,
    )


def skip_reason(stored: Stored, snapshot: CatalogSnapshot) -> str:
    """Why an entry gets no enrichment draft now, or "" when it does. An entry is never drafted twice:
    not while a draft of its paper waits, not after a reviewer rejected one, not once enriched."""
    entry = stored.entry
    if not entry.arxiv:
        return "has no arXiv id"
    done = entry.provenance.get(ENRICHED)
    if done:
        source = done.get("from", "its paper") if isinstance(done, dict) else "its paper"
        return f"enriched before, from {source}"
    if not lacks(entry):
        return "has a diagram, figures, a Chinese abstract and a PyTorch link already"
    stem = safe_filename(entry.arxiv)
    draft = snapshot.root / "drafts" / f"{stem}.yaml"
    if any(s.entry.arxiv == entry.arxiv for s in snapshot.drafts) or any(
        Path(p.path) == draft for p in snapshot.problems
    ):
        return f"a draft of arXiv {entry.arxiv} waits for review ({_rel(draft, snapshot)})"
    rejected = snapshot.root / "rejected" / f"{stem}.yaml"
    if any(s.entry.arxiv == entry.arxiv for s in snapshot.rejected) or any(
        Path(p.path) == rejected for p in snapshot.problems
    ):
        return f"rejected by a reviewer ({_rel(rejected, snapshot)}): never drafted again"
    return ""


def merge(entry: CatalogEntry, offer: CatalogEntry) -> tuple[CatalogEntry, list[str]]:
    """The entry with what it lacks taken from `offer`, and the names of the fields taken. Every other
    field stays as it is: figures only into an entry without figures (plus the diagram's own figure
    when the entry has figures but no diagram), code links added only to an entry without a PyTorch
    link, the abstracts only where empty, the arXiv version only where unknown."""
    update: dict[str, Any] = {}
    for field in ("abstract", "abstract_zh"):
        if not getattr(entry, field).strip() and getattr(offer, field).strip():
            update[field] = getattr(offer, field)
    figures = list(entry.figures)
    if not figures and offer.figures:
        update["figures"] = figures = list(offer.figures)
    if entry.diagram is None and offer.diagram is not None:
        update["diagram"] = offer.diagram
        own = next((f for f in offer.figures if f.file == offer.diagram), None)
        if own is not None and own.file not in {f.file for f in figures}:
            update["figures"] = [*figures, own]
    if not any(c.framework == "pytorch" for c in entry.code):
        urls = {c.url for c in entry.code}
        new = [c for c in offer.code if c.url not in urls]
        if new:
            update["code"] = [*entry.code, *new]
    added = [f for f in OFFERED if f in update]
    if entry.version is None and offer.version is not None and added:
        update["version"] = offer.version  # the version whose figures and abstract the entry now shows
    return entry.model_copy(update=update, deep=True), added


def curated_changes(entry: CatalogEntry, draft: CatalogEntry) -> list[str]:
    """Curated fields whose value in the draft differs from the tree entry's (a reviewer edited them)."""
    return [f for f in CURATED if getattr(draft, f) != getattr(entry, f)]


def enrichment_entry(stored: Stored, machine: CatalogEntry, root: Path) -> CatalogEntry:
    """The enrichment draft: the tree entry as it is, with what it lacks filled in from `machine` (the
    draft entry `build_entry` made from its paper), saying which entry it enriches and what it adds."""
    merged, added = merge(stored.entry, machine)
    suggestions = machine.provenance.get("suggestions") or {}
    provenance: dict[str, Any] = {
        ENRICHES: {"entry": stored.entry.id, "file": str(stored.path.relative_to(root)), "adds": added},
        "source": machine.provenance.get("source"),
    }
    if "abstract_zh" in added:
        provenance["abstract_zh"] = machine.provenance.get("abstract_zh")
    provenance["suggestions"] = {k: suggestions[k] for k in ("code", "diagram") if k in suggestions}
    provenance["reviewed_by"] = None
    return merged.model_copy(update={"status": "draft", "provenance": provenance})


def header(stored: Stored, draft: CatalogEntry, root: Path) -> str:
    """The comment lines that open an enrichment draft file."""
    adds = ", ".join((draft.provenance.get(ENRICHES) or {}).get("adds") or []) or "nothing"
    return (
        f"# ENRICHMENT of the tree entry {stored.entry.id} ({stored.path.relative_to(root)}), "
        f"from arXiv {draft.arxiv}v{draft.version}.\n"
        f"# Approval adds to that entry only what it lacks: {adds}. The entry keeps its file, its id\n"
        "# and every field of its own; they are shown below for context and are never changed here\n"
        "# (edit the tree file itself to change them).\n"
    )


def record(merged: CatalogEntry, draft: CatalogEntry, added: list[str]) -> CatalogEntry:
    """The merged entry with the enrichment in its provenance (the entry's own provenance kept)."""
    source = draft.provenance.get("source") or {}
    note: dict[str, Any] = {
        "from": source.get("feed") if isinstance(source, dict) else None,
        "fields": added,
        "reviewed_by": draft.provenance.get("reviewed_by"),
        "reviewed_at": draft.provenance.get("reviewed_at"),
    }
    for key in ("abstract_zh", "suggestions"):
        if draft.provenance.get(key):
            note[key] = draft.provenance[key]
    provenance = {**merged.provenance, ENRICHED: note}
    return merged.model_copy(update={"provenance": provenance})


def _rel(path: Path, snapshot: CatalogSnapshot) -> str:
    try:
        return str(path.relative_to(snapshot.root.parent))
    except ValueError:
        return str(path)
