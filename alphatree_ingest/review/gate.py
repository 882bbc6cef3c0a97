"""The review queue, the approval gate and one `decide` for the CLI and the Prefect review flow:
nothing joins the tree unreviewed."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from ..catalog import Catalog, CatalogError, CatalogSnapshot, stem_to_arxiv
from ..drafting import enrich
from ..models import CatalogEntry, Flag
from ..mt.memory import TranslationMemory
from ..mt.text import split_sentences, translation_problems


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
        enriched = self.entry.enriches() if self.entry else None
        if enriched:
            flags.append(f"enriches {enriched}")
        flags.append(f"{len(self.problems)} check(s) failing" if self.problems else "ready")
        return flags


# --- the gate (pure) ------------------------------------------------------------------------------


def _translation_problems(entry: CatalogEntry, kept: frozenset[str]) -> list[str]:
    names = frozenset({entry.name, *kept})
    return translation_problems("title_zh", entry.title_zh, entry.title, names) + translation_problems(
        "abstract_zh", entry.abstract_zh, entry.abstract, names
    )


def _placement_problems(entry: CatalogEntry, snapshot: CatalogSnapshot) -> list[str]:
    problems = []
    if entry.topic not in snapshot.topics:
        problems.append(f"topic {entry.topic!r} is not in topics.yaml")
    ids = {e.id for e in snapshot.entries}
    problems += [f"parent {p!r} is not an entry of the tree" for p in entry.parents if p not in ids]
    clash = [s.path for s in snapshot.tree if s.entry.id == entry.id]
    if clash:
        problems.append(f"id {entry.id!r} is already used by {clash[0]}")
    same = [s.path for s in snapshot.tree if entry.arxiv and s.entry.arxiv == entry.arxiv]
    if same and not clash:
        problems.append(f"arXiv {entry.arxiv} is already in the tree as {same[0]}")
    return problems


def _link_problems(entry: CatalogEntry) -> list[str]:
    problems = []
    if not any(c.framework == "pytorch" for c in entry.code):
        problems.append("no code link with framework: pytorch")
    if entry.diagram is None:
        problems.append("no diagram chosen: set `diagram` to a figure file, or to `none`")
    elif entry.diagram != "none" and entry.diagram not in {f.file for f in entry.figures}:
        problems.append(f"diagram {entry.diagram!r} is not one of the entry's figures")
    return problems


def gate(entry: CatalogEntry, snapshot: CatalogSnapshot, kept: frozenset[str] = frozenset()) -> list[str]:
    """Every reason the entry may not join the tree; empty when it may. Pure. `kept`: glossary terms
    that stay English in Chinese text."""
    if entry.enriches():
        return _enrichment_problems(entry, snapshot, kept)
    problems = _translation_problems(entry, kept)
    return problems + _placement_problems(entry, snapshot) + _link_problems(entry)


def _enrichment_problems(draft: CatalogEntry, snapshot: CatalogSnapshot, kept: frozenset[str]) -> list[str]:
    """The gate of an enrichment: the entry it enriches is in the tree, none of the entry's own fields
    was changed in the draft, it adds something, and the entry after the merge passes the checks of
    what is added (the Chinese abstract) and of every entry (a PyTorch link, a diagram)."""
    stored = enrich.target(draft, snapshot)
    if stored is None:
        return [f"the entry {draft.enriches()!r} this enriches is not in the tree with arXiv {draft.arxiv}"]
    where = stored.path.relative_to(snapshot.root)
    problems = [
        f"enrichment changes {field}, a field of the entry's own: put it back as in {where} "
        "(an enrichment only adds what the entry lacks; edit the tree file to change it)"
        for field in enrich.curated_changes(stored.entry, draft)
    ]
    merged, added = enrich.merge(stored.entry, draft)
    if not added:
        problems.append(
            f"nothing to add: {stored.entry.id} already has all this enrichment offers; reject it"
        )
    if "abstract_zh" in added:
        names = frozenset({merged.name, *kept})
        problems += translation_problems("abstract_zh", merged.abstract_zh, merged.abstract, names)
    return problems + _link_problems(merged)


def queue(
    catalog: Catalog,
    snapshot: CatalogSnapshot,
    now: dt.datetime | None = None,
    kept: frozenset[str] = frozenset(),
) -> list[QueueItem]:
    """Drafts waiting for review, most relevant first (then oldest), each with the checks it fails;
    drafts that do not parse are listed with the reason."""
    now = now or dt.datetime.now(dt.UTC)
    items = [
        QueueItem(
            s.entry.arxiv or s.path.stem,
            s.entry,
            s.path,
            _age(s.modified, now),
            gate(s.entry, snapshot, kept),
        )
        for s in snapshot.drafts
    ]
    items += [
        QueueItem(path.stem, None, path, _age(path.stat().st_mtime, now), [reason])
        for path, reason in _broken_drafts(snapshot)
    ]
    items.sort(key=lambda item: (-item.relevance, -item.age_days, item.arxiv))
    return items


def _broken_drafts(snapshot: CatalogSnapshot) -> list[tuple[Path, str]]:
    """Drafts named after a paper that do not parse, with the reason: from the snapshot's problems, so
    that a broken enrichment draft is listed too (its arXiv id is known as its tree entry's)."""
    drafts = snapshot.root / "drafts"
    return [
        (Path(p.path), p.reason)
        for p in snapshot.problems
        if Path(p.path).parent == drafts and stem_to_arxiv(Path(p.path).stem) and Path(p.path).exists()
    ]


def _age(modified: float, now: dt.datetime) -> int:
    return int((now.timestamp() - modified) // 86400)


# --- decisions -----------------------------------------------------------------------------------


@dataclass
class Decision:
    """What a decision did: where the entry now lives, and what the memory learned."""

    arxiv_id: str
    decision: str
    path: Path
    learned: int = 0
    message: str = ""
    enriched: list[str] | None = None
    """For an enrichment: the fields it added to the tree entry."""
    taught: bool = False
    """The ranker learned from the decision (its model file, catalog/ranker.json, was written)."""

    def notes(self, home: Path) -> list[str]:
        """What the reviewer is told the decision did, in the CLI and the review app alike."""
        verb = "Approved" if self.decision == "approve" else "Rejected"
        where = self.path.relative_to(home) if self.path.is_relative_to(home) else self.path
        notes = [f"{verb} {self.arxiv_id}: {where}"]
        if self.enriched:
            notes.append(
                f"Enriched the entry in its own file with: {', '.join(self.enriched)}; its own fields kept."
            )
        if self.learned:
            notes.append(f"The translation memory learned {self.learned} reviewed sentence(s).")
        if self.taught:
            notes.append("Ranker updated with this decision (catalog/ranker.json).")
        return notes


def find_draft(catalog: Catalog, snapshot: CatalogSnapshot, arxiv_id: str) -> tuple[Path, CatalogEntry]:
    """The draft of a paper. Raises ReviewError when there is none or it does not validate."""
    try:
        path = catalog.draft_path(arxiv_id)
    except ValueError:
        raise ReviewError(f"{arxiv_id!r} is not an arXiv id such as 2401.01234") from None
    stored = next((s for s in snapshot.drafts if s.path == path), None)
    if stored is not None:
        return path, stored.entry
    broken = next((reason for where, reason in _broken_drafts(snapshot) if where == path), None)
    if broken is not None:
        raise ReviewError("the draft does not validate; fix it or delete the file", [broken])
    known = snapshot.known.get(arxiv_id)
    if known is not None and known.where in ("tree", "rejected"):
        done = "approved" if known.where == "tree" else "rejected"
        raise ReviewError(f"there is no draft for {arxiv_id}: it was {done} ({known.path})")
    raise ReviewError(f"there is no draft for {arxiv_id} (see `alphatree review list`)")


def _reviewed(entry: CatalogEntry, status: str, reviewer: str, **extra: object) -> CatalogEntry:
    provenance = dict(entry.provenance)
    provenance["reviewed_by"] = reviewer
    provenance["reviewed_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    provenance.update(extra)
    return entry.model_copy(update={"status": status, "provenance": provenance})


def decide(
    catalog: Catalog,
    arxiv_id: str,
    decision: Literal["approve", "reject"],
    *,
    reviewer: str,
    reason: str = "",
    memory: TranslationMemory | None = None,
    kept: frozenset[str] = frozenset(),
    prompts_dir: Path | None = None,
) -> Decision:
    """Approve (through the gate) or reject one paper: the CLI and the Prefect review flow both call
    this. Approving a flagged entry (a new arXiv version of an approved paper) acknowledges the
    version and clears the flag. Raises ReviewError naming every reason it cannot."""
    try:
        lock = catalog.paper_lock(arxiv_id)
    except ValueError:
        raise ReviewError(f"{arxiv_id!r} is not an arXiv id such as 2401.01234") from None
    with lock:  # a refresh or another decision on this paper finishes first; then we see its result
        snapshot = catalog.load()
        if decision == "reject":
            done = _reject(catalog, snapshot, arxiv_id, reason, reviewer, prompts_dir)
        elif any(s.entry.arxiv == arxiv_id and s.entry.enriches() for s in snapshot.drafts):
            return _enrich(catalog, snapshot, arxiv_id, reviewer, memory, kept)
        else:
            flag = snapshot.flag(arxiv_id) if arxiv_id not in _draft_ids(snapshot) else None
            if flag is not None:
                return _acknowledge(catalog, snapshot, flag, reviewer)
            path, entry = find_draft(catalog, snapshot, arxiv_id)
            problems = gate(entry, snapshot, kept)
            if problems:
                raise ReviewError(f"{arxiv_id} cannot be approved", problems)
            reviewed = _reviewed(entry, "approved", reviewer)
            dest = catalog.approve(path, reviewed, _as_written(catalog, path, reviewed, prompts_dir))
            learned = learn(entry, memory) if memory is not None else 0
            done = Decision(arxiv_id, "approve", dest, learned, f"approved {arxiv_id}: {dest}")
    return _teach(catalog, done)


def _teach(catalog: Catalog, decision: Decision) -> Decision:
    """The ranker learns from every approval and rejection: trained again on the catalog, model file
    written. A failure costs nothing: the file is a cache the next run rebuilds from the catalog."""
    from ..discover.night import learn as teach

    try:
        teach(catalog)
    except Exception:  # noqa: BLE001 (the decision stands whatever happens to the cache)
        return decision
    decision.taught = True
    return decision


def _as_written(catalog: Catalog, path: Path, reviewed: CatalogEntry, prompts_dir: Path | None) -> str | None:
    """The reviewed entry as the reviewer's file with its new status and provenance: their comments
    stay, the draft template's instructions go. None (the entry written plainly) when the file cannot
    be kept that way."""
    from ..config import packaged_prompts
    from ..drafting.draft import reviewed_text

    values = {"status": reviewed.status, "provenance": reviewed.provenance}
    try:
        template = catalog.read_text((prompts_dir or packaged_prompts()) / "draft.yaml.j2")
        return reviewed_text(catalog.read_text(path), values, template)
    except (ValueError, OSError, ImportError, yaml.YAMLError, CatalogError):
        return None


def _enrich(
    catalog: Catalog,
    snapshot: CatalogSnapshot,
    arxiv_id: str,
    reviewer: str,
    memory: TranslationMemory | None,
    kept: frozenset[str],
) -> Decision:
    """Approve an enrichment: merge what the tree entry lacks into its own file (its id, file and
    curated fields unchanged), note the enrichment in its provenance, and remove the draft."""
    path, draft = find_draft(catalog, snapshot, arxiv_id)
    problems = gate(draft, snapshot, kept)
    stored = enrich.target(draft, snapshot)
    if problems or stored is None:
        raise ReviewError(f"{arxiv_id} cannot be approved", problems)
    reviewed = _reviewed(draft, "approved", reviewer)
    merged, added = enrich.merge(stored.entry, reviewed)
    catalog.merge_enrichment(path, stored.path, enrich.record(merged, reviewed, added))
    learned = learn(draft, memory) if memory is not None else 0
    message = f"enriched {stored.entry.id} from {arxiv_id} ({', '.join(added)}): {stored.path}"
    return Decision(arxiv_id, "approve", stored.path, learned, message, added)


def _draft_ids(snapshot: CatalogSnapshot) -> set[str]:
    return {k for k, v in snapshot.known.items() if v.where == "draft"}


def _reject(
    catalog: Catalog,
    snapshot: CatalogSnapshot,
    arxiv_id: str,
    reason: str,
    reviewer: str,
    prompts_dir: Path | None,
) -> Decision:
    if not reason.strip():
        raise ReviewError('a rejection needs a reason: --reason "..."')
    path, entry = find_draft(catalog, snapshot, arxiv_id)
    rejected = _reviewed(entry, "rejected", reviewer, rejected_reason=reason.strip())
    dest = catalog.reject(path, rejected, _as_written(catalog, path, rejected, prompts_dir))
    return Decision(arxiv_id, "reject", dest, 0, f"rejected {arxiv_id}: {dest}")


def _acknowledge(catalog: Catalog, snapshot: CatalogSnapshot, flag: Flag, reviewer: str) -> Decision:
    """The reviewer looked at the new version of an approved entry: the entry now stands for it."""
    stored = next((s for s in snapshot.tree if s.entry.arxiv == flag.arxiv), None)
    if stored is None:
        catalog.clear_flag(flag.arxiv)
        raise ReviewError(f"the flagged entry of {flag.arxiv} is no longer in the tree; flag cleared")
    entry = stored.entry.model_copy(update={"version": flag.new_version})
    entry = _reviewed(entry, "approved", reviewer, reviewed_version=flag.new_version)
    catalog.save_entry(stored.path, entry)
    catalog.clear_flag(flag.arxiv)
    message = f"approved v{flag.new_version} of {flag.arxiv} (entry {stored.path}); flag cleared"
    return Decision(flag.arxiv, "approve", stored.path, 0, message)


# --- learning from reviewers -----------------------------------------------------------------------

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
    """Store, as human translations, the sentences a reviewer wrote: a field whose text is still the
    machine's (its hash in `provenance.machine_fields`) teaches nothing, and in an edited field only
    the sentences that differ from what a model wrote for them count. Returns how many were learned."""
    from ..drafting.draft import field_hashes

    machine = entry.provenance.get("machine_fields") or {}
    now = field_hashes(entry)

    def edited(field: str) -> bool:
        return field not in machine or machine[field] != now.get(field)

    pairs: list[tuple[str, str]] = []
    if edited("title_zh"):
        pairs.append((entry.title, entry.title_zh.strip()))
    if edited("abstract_zh"):
        pairs += align(entry.abstract, entry.abstract_zh)
    if edited("figures"):
        for fig in entry.figures:
            pairs += align(fig.caption, fig.caption_zh)
    learned = 0
    for source, target in pairs:
        if (
            source
            and target
            and not memory.machine_wrote(source, target)
            and not memory.knows(source, target)
        ):
            memory.add(source, target, origin="human")
            learned += 1
    return learned


def draft_for_show(
    catalog: Catalog, arxiv_id: str, kept: frozenset[str] = frozenset()
) -> tuple[CatalogEntry, list[str]]:
    """A draft and the checks it fails, for `review show`. Raises ReviewError."""
    snapshot = catalog.load()
    _, entry = find_draft(catalog, snapshot, arxiv_id)
    return entry, gate(entry, snapshot, kept)
