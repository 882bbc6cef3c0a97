"""Links between the file-and-CLI review and review runs on a Prefect server (when one is configured)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..config import Settings
from .gate import Decision

logger = logging.getLogger(__name__)


def start_review_run(settings: Settings, arxiv_id: str, name: str) -> bool:
    """Start the `review/review` run of a new draft, named after its paper ("review 2205.14135
    FlashAttention"); False when no server or no review deployment answers. Never fails the caller."""
    if not settings.prefect_api_url:
        return False
    from prefect.deployments import run_deployment

    try:
        run_deployment(
            "review/review", parameters={"arxiv_id": arxiv_id, "title": name}, timeout=0, as_subflow=False
        )
    except Exception as err:  # no review deployment served: the CLI review works alone
        logger.info("no review run for %s (%s)", arxiv_id, type(err).__name__)
        return False
    return True


def settle(settings: Settings, decision: Decision, say: Callable[[str], object], reason: str = "") -> None:
    """After a decision, from the CLI or the review app: say what the decision did, then resume the
    Prefect review runs waiting on the draft with the same decision and say so. The decision is said
    first: a Prefect server that is slow to answer never keeps the reviewer from knowing it stands."""
    for note in decision.notes(settings.home):
        say(note)
    resumed = resume_waiting_review(settings, decision.arxiv_id, decision.decision, reason)
    if resumed:
        say(f"Resumed {resumed} review run(s) waiting in Prefect with the same decision.")


def resume_waiting_review(settings: Settings, arxiv_id: str, decision: str, reason: str = "") -> int:
    """Resume review runs waiting on this draft with the CLI's decision; returns how many."""
    if not settings.prefect_api_url:
        return 0
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.flow_runs import resume_flow_run

    try:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["review"])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
                ),
            )
        resumed = 0
        for run in runs:
            if run.parameters.get("arxiv_id") == arxiv_id:
                resume_flow_run(
                    run.id,
                    run_input={"decision": decision, "reason": reason, "decided_by": settings.reviewer},
                )
                resumed += 1
        return resumed
    except Exception as err:  # the server is down: the file decision stands on its own
        logger.warning("could not resume review runs for %s (%s: %s)", arxiv_id, type(err).__name__, err)
        return 0
