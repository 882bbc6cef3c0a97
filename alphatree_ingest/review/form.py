"""Pure: the review form of a draft (its reviewable fields, prefilled, with the choices it offers), the
context a reviewer reads beside it, and a submitted form applied to the draft's YAML text exactly as a
reviewer editing the file would (other fields, comments and provenance untouched)."""

from __future__ import annotations

from typing import Any, Literal

import yaml

from ..catalog import CatalogSnapshot, dump_yaml
from ..drafting.draft import rewrite_block, split_blocks
from ..markdown import code, inline
from ..models import CatalogEntry, EntryCode

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
    labels = {file: label for label, file in diagram_labels(entry).items()}
    diagram = labels[entry.diagram] if entry.diagram in figures else "none"
    parent_type: Any = list[_choice(parents_first)] if parents_first else list[str]  # type: ignore[misc]
    code: dict[str, tuple[Any, Any]] = {}
    if code_urls:  # a paper with no candidate gets only the field for another URL
        code["code"] = (_choice(code_urls + [OTHER]), first_code.url if first_code else OTHER)

    return {
        "title_zh": (str, entry.title_zh),
        "abstract_zh": (str, entry.abstract_zh),
        "diagram": (_choice(list(labels.values()) + ["none"]), diagram),
        **code,
        "code_url": (str, ""),
        "code_framework": (Literal["pytorch", "tensorflow", "jax", "other"], "pytorch"),
        "parents": (parent_type, list(entry.parents)),
        "topic": (_choice(topics), entry.topic if entry.topic in topics else topics[0]),
        "level": (Literal["beginner", "advanced"], entry.level or "advanced"),
        "decision": (Literal["approve", "reject"], "approve"),
        "reason": (str, ""),
        "decided_by": (str, ""),
    }


def diagram_labels(entry: CatalogEntry) -> dict[str, str]:
    """The diagram choices as a reviewer reads them, the caption first and the file's name after
    ("Figure 1: Overview of UIGAN. (fig-1.png)"), each to its figure file."""
    labels: dict[str, str] = {}
    for fig in entry.figures:
        caption = " ".join(fig.caption.split())
        short = caption[:70] + ("…" if len(caption) > 70 else "")
        label = f"{short} ({fig.file.rsplit('/', 1)[-1]})" if short else fig.file
        labels[label if label not in labels else fig.file] = fig.file
    return labels


def form_help(
    entry: CatalogEntry, snapshot: CatalogSnapshot, problems: list[str] | None = None, refused: str = ""
) -> dict[str, str]:
    """The help text under each field of the Prefect form: the English beside each Chinese field, the
    evidence beside each suggestion, in plain sentences; why the last approval was refused and the
    checks that still fail above the first field (the older Prefect UI draws no form description)."""
    suggestions = entry.provenance.get("suggestions") or {}
    warning = f"Last approval refused: {refused} — " if refused else ""
    if problems:
        warning += "Checks that still fail: " + "; ".join(problems) + ". — "

    def evidence(name: str) -> str:
        return " ".join(evidence_sentences((suggestions.get(name) or {}).get("evidence")))[:600]

    return {
        "title_zh": f"{warning}English: {entry.title}",
        "abstract_zh": f"English: {entry.abstract}",
        "diagram": "The figure shown as 图示, or none. " + evidence("diagram"),
        "code": "The paper's repository (PyTorch first). " + evidence("code"),
        "code_url": "Another repository, when none above is right; pick its framework below.",
        "parents": "Tree entries the paper builds on. " + evidence("parents"),
        "topic": "Where the entry goes in the tree. " + evidence("topic"),
        "level": "beginner or advanced. " + evidence("level"),
        "reason": "Why, when rejecting (kept for later reviewers).",
        "decided_by": "Your name, recorded as reviewed_by (default: ALPHATREE_REVIEWER).",
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
    diagram = diagram_labels(entry).get(diagram, diagram) if isinstance(diagram, str) else diagram
    if isinstance(diagram, str) and diagram != (entry.diagram or "none"):
        changed["diagram"] = diagram
    code = _code(entry, answer)
    if code is not None:
        changed["code"] = code
    figures = _captions(entry, answer)
    if figures is not None:
        changed["figures"] = figures
    return changed


def _captions(entry: CatalogEntry, answer: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The figures with the Chinese captions the reviewer corrected (`caption_zh_<n>`, from 0)."""
    figures = [f.model_dump(exclude_none=True) for f in entry.figures]
    touched = False
    for n, fig in enumerate(figures):
        value = answer.get(f"caption_zh_{n}")
        if isinstance(value, str) and value.strip() and value.strip() != fig.get("caption_zh", ""):
            fig["caption_zh"] = value.strip()
            touched = True
    return figures if touched else None


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


def context(
    entry: CatalogEntry,
    problems: list[str],
    draft_path: str,
    *,
    refused: str = "",
    review_url: str | None = None,
) -> str:
    """What a reviewer reads above the form: why the last approval was refused and the checks that
    still fail first, the review app's page of the draft, then the paper in both languages, its
    figures by caption and the evidence of each suggestion in sentences."""
    link = f"https://arxiv.org/abs/{entry.arxiv}" if entry.arxiv else ""
    authors = ", ".join(entry.authors[:8]) + (" et al." if len(entry.authors) > 8 else "")
    lines = [f"# review {entry.arxiv} {entry.name}", ""]
    if refused:
        lines += [f"**Last approval refused:** {inline(refused)}", ""]
    if problems:
        lines += ["## Checks that still fail"]
        lines += [f"- {inline(p)} — *{hint(p)}*" for p in problems]
    else:
        lines += ["## Ready to approve"]
    if review_url:
        lines += ["", f"**[Review this draft in the review app (figures shown)]({review_url})**"]
    lines += [
        "",
        f"**{inline(entry.title)}**  ",
        f"{inline(authors)} · [{link}]({link}) · draft: {code(draft_path)}",
        "",
        *_enrichment_note(entry),
        f"**English:** {inline(entry.abstract)}",
        "",
        f"**中文:** {inline(entry.abstract_zh)}",
        "",
        "## Figures",
    ]
    for fig in entry.figures:
        mark = " **← diagram**" if fig.file == entry.diagram else ""
        lines.append(f"- {inline(fig.caption[:160])} ({fig.kind or 'figure'}){mark}")
    suggestions = entry.provenance.get("suggestions") or {}
    lines += ["", "## Suggestions and their evidence"]
    for name in ("topic", "parents", "code", "diagram"):
        sentences = evidence_sentences((suggestions.get(name) or {}).get("evidence"))
        lines += [f"- **{name}**: {inline(s[:300])}" for s in sentences[:6]]
    return "\n".join(lines)


def evidence_sentences(evidence: Any) -> list[str]:
    """A suggestion's evidence as plain sentences for a reviewer (the draft keeps it as a string, a
    list, or a mapping of entry id to reasons), never as Python or YAML syntax."""
    if evidence is None or evidence == "":
        return []
    if isinstance(evidence, str):
        return [evidence]
    if isinstance(evidence, dict):
        out = []
        for key, value in evidence.items():
            reasons = value if isinstance(value, list) else [value]
            if key == "also cited (not suggested)":
                out += [f"also cited, not suggested: {r}" for r in reasons]
            else:
                out.append(f"{key}: " + "; ".join(str(r) for r in reasons))
        return out
    if isinstance(evidence, list):
        return [s for item in evidence for s in evidence_sentences(item)]
    return [str(evidence)]


def _enrichment_note(entry: CatalogEntry) -> list[str]:
    """For an enrichment draft: which tree entry it enriches and what approval adds to it."""
    found = entry.provenance.get("enriches") or {}
    if not found:
        return []
    adds = ", ".join(found.get("adds") or []) or "nothing"
    return [
        f"**Enrichment of the tree entry {code(found.get('entry'))}** "
        f"({code(found.get('file'))}): approval adds only {adds}; the entry's own fields "
        "(title_zh, parents, topic, level, ...) stay as they are.",
        "",
    ]


def _choice(values: list[str]) -> Any:
    """A type whose values are these strings (a drop-down in the Prefect UI)."""
    return Literal[tuple(dict.fromkeys(values))]
