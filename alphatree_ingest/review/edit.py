"""A submitted review form, applied to the draft and decided: the one path of the Prefect review flow
and of `alphatree review serve`. The edits are written into the draft as a reviewer editing the YAML
would, then `decide()` runs the gate; a refused approval keeps the edits in the draft."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..mt.memory import TranslationMemory
from .form import apply_edits, edits
from .gate import Decision, ReviewError, decide, find_draft


def submit(
    catalog: Catalog,
    arxiv_id: str,
    answer: dict[str, Any],
    *,
    reviewer: str,
    memory: TranslationMemory | None = None,
    kept: frozenset[str] = frozenset(),
    default_reason: str = "",
    prompts_dir: Path | None = None,
) -> tuple[Decision, list[str]]:
    """Write the form's edits into the draft, then approve or reject it through `decide()`. Returns the
    decision and the names of the fields changed. Raises ReviewError (with every failing check) when
    the approval is refused: the edits stay in the draft, nothing is lost."""
    decision = answer.get("decision")
    if decision not in ("approve", "reject"):
        raise ReviewError("the decision must be approve or reject")
    try:
        lock = catalog.paper_lock(arxiv_id)
    except ValueError:
        raise ReviewError(f"{arxiv_id!r} is not an arXiv id such as 2401.01234") from None
    with lock:  # no refresh lands between the edits and the decision (decide takes it again, re-entrant)
        path, entry = find_draft(catalog, catalog.load(), arxiv_id)
        changed = edits(entry, answer)
        if changed:
            catalog.replace_draft(arxiv_id, apply_edits(catalog.read_text(path), changed))
        outcome = decide(
            catalog,
            arxiv_id,
            decision,
            reviewer=reviewer,
            reason=str(answer.get("reason") or "").strip() or default_reason,
            memory=memory,
            kept=kept,
            prompts_dir=prompts_dir,
        )
    return outcome, list(changed)
