"""Pure: the review form of a draft (its reviewable fields, prefilled, with the choices it offers), the
context a reviewer reads beside it, and a submitted form applied to the draft's YAML text exactly as a
reviewer editing the file would (other fields, comments and provenance untouched)."""

from __future__ import annotations

from typing import Any, Literal

import yaml

from .catalog import CatalogSnapshot, dump_yaml
from .draft import rewrite_block, split_blocks
from .models import CatalogEntry, EntryCode
from .report import md_inline

REVIEWABLE = ("title_zh", "abstract_zh", "topic", "level", "parents", "diagram", "code")
"""Fields a reviewer may change in the form; everything else stays as in the draft file."""
OTHER = "(another URL, below)"

HOW_TO_FIX = {
    "a field of the entry's own": "leave the entry's own fields as they are; edit the tree file instead",
    "nothing to add": "reject the enrichment: the entry already has what it offers",
    "title_zh": "correct the Chinese title in the form (or in the YAML)",
    "abstract_zh": "correct the Chinese abstract: every sentence translated, names and formulas kept",
    "topic": "pick a topic that exists in catalog/topics.yaml",
    "parent": "pick parents among the tree entries offered",
    "code link": "pick a repository, or give one under 'code_url' with code_framework 'pytorch'",
    "diagram": "pick one of the paper's figures as diagram, or 'none'",
    "id ": "the entry id is taken: edit `id` in the draft file",
}


def form_fields(entry: CatalogEntry, snapshot: CatalogSnapshot) -> dict[str, tuple[Any, Any]]:
    """The form's fields as (type, prefilled value), choices first as the draft suggests them."""
    figures = [f.file for f in entry.figures]
    code_urls = [c.url for c in entry.code]
    topics = list(snapshot.topics)
    tree_ids = [e.id for e in snapshot.entries]
    parents_first = [p for p in entry.parents if p in tree_ids] + [
        i for i in tree_ids if i not in entry.parents
    ]
    first_code = next(
        (c for c in entry.code if c.framework == "pytorch"), entry.code[0] if entry.code else None
    )
    diagram = entry.diagram if entry.diagram in figures else "none"
    parent_type: Any = list[_choice(parents_first)] if parents_first else list[str]  # type: ignore[misc]

    return {
        "title_zh": (str, entry.title_zh),
        "abstract_zh": (str, entry.abstract_zh),
        "diagram": (_choice(figures + ["none"]), diagram),
        "code": (_choice(code_urls + [OTHER]), first_code.url if first_code else OTHER),
        "code_url": (str, ""),
        "code_framework": (Literal["pytorch", "tensorflow", "jax", "other"], "pytorch"),
        "parents": (parent_type, list(entry.parents)),
        "topic": (_choice(topics), entry.topic if entry.topic in topics else topics[0]),
        "level": (Literal["beginner", "advanced"], entry.level or "advanced"),
        "decision": (Literal["approve", "reject"], "approve"),
        "reason": (str, ""),
        "decided_by": (str, ""),
    }


def edits(entry: CatalogEntry, answer: dict[str, Any]) -> dict[str, Any]:
    """The fields the submitted form changes, as they will be written into the draft."""
    changed: dict[str, Any] = {}
    for field in ("title_zh", "abstract_zh", "topic", "level"):
        value = answer.get(field)
        if field == "level" and entry.level is None and value == "advanced":
            continue  # the form's first choice for an entry without a level (a seed entry), not an edit
        if isinstance(value, str) and value.strip() and value != getattr(entry, field):
            changed[field] = value.strip()
    parents = answer.get("parents")
    if isinstance(parents, list) and list(parents) != list(entry.parents):
        changed["parents"] = [str(p) for p in parents]
    diagram = answer.get("diagram")
    if isinstance(diagram, str) and diagram != (entry.diagram or "none"):
        changed["diagram"] = diagram
    code = _code(entry, answer)
    if code is not None:
        changed["code"] = code
    return changed


def _code(entry: CatalogEntry, answer: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The code list with the chosen repository first (a new URL is added with its framework)."""
    url = str(answer.get("code_url") or "").strip()
    choice = answer.get("code")
    framework = str(answer.get("code_framework") or "pytorch")
    current = [c.model_dump(exclude_none=True) for c in entry.code]
    if url:
        rest = [c for c in current if c["url"] != url]
        return [EntryCode(url=url, framework=framework, official=False).model_dump(exclude_none=True)] + rest
    if isinstance(choice, str) and choice != OTHER and current and current[0]["url"] != choice:
        chosen = [c for c in current if c["url"] == choice]
        return chosen + [c for c in current if c["url"] != choice]
    return None


def apply_edits(text: str, changed: dict[str, Any]) -> str:
    """The draft text with each changed top-level field rewritten in place, as an editor would; every
    other line (comments, provenance, fields not shown in the form) stays byte for byte."""
    blocks = split_blocks(text)
    out = []
    for block in blocks:
        if block.key in changed:
            old = (yaml.safe_load("".join(block.lines)) or {}).get(block.key)
            out.append(rewrite_block(block, changed[block.key], old))
        else:
            out.append("".join(block.lines))
    present = {b.key for b in blocks}
    missing = "".join(dump_yaml({k: v}) for k, v in changed.items() if k not in present)
    result = "".join(out)
    if missing:
        at = result.find("\nprovenance:")
        result = result + missing if at < 0 else result[: at + 1] + missing + result[at + 1 :]
    return result


def hint(problem: str) -> str:
    """How to fix a failing check, for the form and the artifact."""
    for key, how in HOW_TO_FIX.items():
        if key in problem:
            return how
    return "edit the draft"


def context(entry: CatalogEntry, problems: list[str], draft_path: str) -> str:
    """What a reviewer reads beside the form: the paper, both languages, figures, suggestions, checks."""
    link = f"https://arxiv.org/abs/{entry.arxiv}" if entry.arxiv else ""
    authors = ", ".join(entry.authors[:8]) + (" et al." if len(entry.authors) > 8 else "")
    lines = [
        f"# review {entry.arxiv} {entry.name}",
        "",
        f"**{md_inline(entry.title)}**  ",
        f"{md_inline(authors)} · [{link}]({link}) · draft: `{draft_path}`",
        "",
        *_enrichment_note(entry),
        "| English | 中文 |",
        "|---|---|",
        f"| {_cell(entry.title)} | {_cell(entry.title_zh)} |",
        f"| {_cell(entry.abstract)} | {_cell(entry.abstract_zh)} |",
        "",
        "## Figures",
    ]
    for fig in entry.figures:
        mark = " **← diagram**" if fig.file == entry.diagram else ""
        lines.append(f"- `{fig.file}` ({fig.kind or 'figure'}){mark}: {md_inline(fig.caption[:160])}")
    suggestions = entry.provenance.get("suggestions") or {}
    lines += ["", "## Suggestions and their evidence"]
    for name in ("topic", "parents", "code", "diagram"):
        evidence = (suggestions.get(name) or {}).get("evidence")
        if evidence:
            lines.append(f"- **{name}**: {md_inline(str(evidence)[:400])}")
    if problems:
        lines += ["", "## Checks that still fail"]
        lines += [f"- {md_inline(p)} — *{hint(p)}*" for p in problems]
    else:
        lines += ["", "## Ready to approve"]
    return "\n".join(lines)


def _enrichment_note(entry: CatalogEntry) -> list[str]:
    """For an enrichment draft: which tree entry it enriches and what approval adds to it."""
    found = entry.provenance.get("enriches") or {}
    if not found:
        return []
    adds = ", ".join(found.get("adds") or []) or "nothing"
    return [
        f"**Enrichment of the tree entry `{md_inline(str(found.get('entry')))}`** "
        f"(`{md_inline(str(found.get('file')))}`): approval adds only {adds}; the entry's own fields "
        "(title_zh, parents, topic, level, ...) stay as they are.",
        "",
    ]


def _cell(text: str) -> str:
    return md_inline(text).replace("|", "\\|")


def _choice(values: list[str]) -> Any:
    """A type whose values are these strings (a drop-down in the Prefect UI)."""
    return Literal[tuple(dict.fromkeys(values))]
