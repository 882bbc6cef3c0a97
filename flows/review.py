"""The `review` Prefect flow: a draft decided from the Prefect UI, through the same approval gate.

With a Prefect server, `ingest` starts one `review/review` run per new draft; the run suspends until a
reviewer answers its form in the UI (approve or reject, with a reason). `alphatree review approve|reject`
on the command line resumes a waiting run with the same decision, so both paths reach the same end.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.states import Failed

from alphatree_ingest.catalog import Catalog
from alphatree_ingest.config import Settings
from alphatree_ingest.memory import TranslationMemory
from alphatree_ingest.review import ReviewError, decide, draft_for_show

WAIT_SECONDS = 30 * 24 * 3600
"""A review run waits this long for a decision, then times out (the draft stays for the CLI)."""


class ReviewDecision(RunInput):
    decision: Literal["approve", "reject"]
    reason: str = ""


@flow(name="review")
def review(arxiv_id: str) -> Any:
    """Wait for a reviewer's decision on one draft, then approve or reject it through the gate."""
    log = get_run_logger()
    settings = Settings.from_env()
    catalog = Catalog(settings.catalog_dir)
    if not catalog.draft_path(arxiv_id).exists():
        return f"{arxiv_id} has no draft waiting"
    entry, problems = draft_for_show(catalog, arxiv_id)
    slug = re.sub(r"[^a-z0-9]+", "-", arxiv_id.lower())  # Prefect keys: lowercase, digits, dashes
    create_markdown_artifact(
        key=f"review-{slug}",
        markdown="\n".join(
            [
                f"# {entry.name}: {entry.title}",
                "",
                entry.title_zh,
                "",
                entry.abstract_zh,
                "",
                "## Checks still failing" if problems else "## Ready to approve",
                *[f"- {p}" for p in problems],
            ]
        ),
    )
    answer = suspend_flow_run(wait_for_input=ReviewDecision, timeout=WAIT_SECONDS, key=f"decision-{slug}")
    if not catalog.draft_path(arxiv_id).exists():
        return f"{arxiv_id} was already decided (on the command line or in another run)"
    memory = TranslationMemory(settings.translations_dir / "memory.jsonl")
    try:
        outcome = decide(
            catalog,
            arxiv_id,
            answer.decision,
            reviewer=settings.reviewer,
            reason=answer.reason or "rejected in the Prefect UI",
            memory=memory,
        )
    except ReviewError as err:
        log.error("%s: %s", err, "; ".join(err.problems))
        return Failed(message=f"{err}: {'; '.join(err.problems)}")
    log.info("%s (%d sentence(s) learned)", outcome.message, outcome.learned)
    return outcome.message
