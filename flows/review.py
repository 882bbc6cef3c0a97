"""The `review` Prefect flow: a draft decided from the Prefect UI, through the same approval gate.

With a Prefect server, `ingest` starts one `review/review` run per new draft; the run suspends until a
reviewer answers its form in the UI (approve or reject, with a reason). `alphatree review approve|reject`
on the command line resumes a waiting run with the same decision, so both paths reach the same end.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pydantic
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput

from alphatree_ingest.catalog import Catalog
from alphatree_ingest.config import Settings
from alphatree_ingest.mt.glossary import Glossary
from alphatree_ingest.mt.memory import TranslationMemory
from alphatree_ingest.review.app import review_url, running_url
from alphatree_ingest.review.edit import submit
from alphatree_ingest.review.form import context, form_fields, form_help
from alphatree_ingest.review.gate import ReviewError, draft_for_show
from alphatree_ingest.run.stages import reading_at_approval

WAIT_SECONDS = 30 * 24 * 3600
"""A review run waits this long for a decision, then times out (the draft stays for the CLI)."""
MAX_ROUNDS = 20
"""A refused approval suspends again for a corrected decision, up to this many times."""


def _form(entry: Any, snapshot: Any, description: str, problems: list[str], refused: str) -> type[RunInput]:
    """The form for this draft: its reviewable fields, prefilled, then the decision (the command line
    resumes a run with `decision`, `reason` and `decided_by` alone), with the paper as description."""
    fields = form_fields(entry, snapshot)
    help_ = form_help(entry, snapshot, problems, refused)
    described = {
        name: (kind, pydantic.Field(default=value, description=help_.get(name)))
        for name, (kind, value) in fields.items()
    }
    model = pydantic.create_model("ReviewForm", __base__=RunInput, **described)  # type: ignore[call-overload]

    # the defaults are set above: with_initial_data given values would rebuild the fields without
    # their help text
    form: type[RunInput] = model.with_initial_data(description=description)
    return form


@flow(name="review", flow_run_name="review {arxiv_id} {title}")
def review(arxiv_id: str, title: str = "") -> Any:
    """Wait for a reviewer's decision on one draft, from a form that is the draft (Chinese title and
    abstract, diagram, code, parents, topic, level); apply the edits as a reviewer editing the YAML
    would, then approve or reject through the gate. A refused approval asks again, naming each check."""
    log = get_run_logger()
    settings = Settings.from_env()
    catalog = Catalog(settings.catalog_dir)
    kept = Glossary.load(settings.glossary_path).kept
    slug = re.sub(r"[^a-z0-9]+", "-", arxiv_id.lower())  # Prefect keys: lowercase, digits, dashes
    refused = ""
    for round_ in range(1, MAX_ROUNDS + 1):
        path = catalog.draft_path(arxiv_id)
        if not path.exists():
            message = _decided_elsewhere(catalog, arxiv_id)
            log.info("%s", message)
            return message

        entry, problems = draft_for_show(catalog, arxiv_id, kept)
        app = running_url(settings)
        text = context(
            entry,
            problems,
            str(path.relative_to(settings.home)),
            refused=refused,
            review_url=review_url(app, arxiv_id) if app else None,
        )
        create_markdown_artifact(key=f"review-{slug}", markdown=text, description=f"Review of {arxiv_id}")
        form = _form(entry, catalog.load(), text, problems, refused)
        answer = suspend_flow_run(wait_for_input=form, timeout=WAIT_SECONDS, key=f"decision-{slug}-{round_}")
        data = answer.model_dump()
        who = data.get("decided_by") or "the Prefect UI"
        if not path.exists():
            log.info("%s was decided by %s: %s", arxiv_id, who, data.get("decision"))
            return f"{arxiv_id}: {data.get('decision')} by {who}"
        try:
            outcome, changed = submit(
                catalog,
                arxiv_id,
                data,
                reviewer=data.get("decided_by") or settings.reviewer,
                memory=TranslationMemory(settings.memory_path),
                kept=kept,
                prompts_dir=settings.prompts_dir,
                default_reason="rejected in the Prefect UI",
            )
        except ReviewError as err:
            refused = f"{err}: {'; '.join(err.problems)}" if err.problems else str(err)
            if not _answered(slug, round_ + 1):  # said once: a resumed run replays the rounds before it
                log.warning(
                    "not approved yet (%s): %s; asking again with a fresh form", err, "; ".join(err.problems)
                )
            continue
        if changed:
            log.info("applied the reviewer's edits to %s: %s", path.name, ", ".join(changed))
        log.info("%s by %s (%d sentence(s) learned)", outcome.message, who, outcome.learned)
        if outcome.decision == "approve":
            return f"{outcome.message}; {reading_page(outcome.path)}"
        return outcome.message
    return f"{arxiv_id}: no decision after {MAX_ROUNDS} rounds; the draft waits for the command line"


@task(name="reading-page", cache_policy=NO_CACHE)
def reading_page(entry_path: Path) -> str:
    """论文一键翻译 of the entry just approved: its whole paper in Chinese, sentence by sentence, with
    progress per section in the run's logs and as a progress artifact. The approval stands whatever
    happens here; a page not made is said, with the command that makes it later."""
    log = get_run_logger()
    settings = Settings.from_env()
    bar: Any = create_progress_artifact(0.0, description=f"Reading page of {entry_path.stem}")

    def progress(done: int, total: int, what: str) -> None:
        log.info("reading page [%d/%d] %s", done, total, what)
        update_progress_artifact(bar, 100.0 * done / total)

    made, message = reading_at_approval(settings, entry_path, progress)
    if made:
        log.info("%s", message)
    else:
        log.warning("%s", message)
    return message


def _answered(slug: str, round_: int) -> bool:
    """Whether the form of that round was answered already. A resumed run runs this flow again from the
    start, and each earlier `suspend_flow_run` returns its stored answer at once, so a refusal whose
    next round holds an answer is one the reviewer was told about before."""
    from prefect.input import keyset_from_paused_state, read_flow_run_input
    from prefect.states import Suspended

    keyset = keyset_from_paused_state(Suspended(pause_key=f"decision-{slug}-{round_}"))
    try:
        return read_flow_run_input(keyset["response"]) is not None
    except Exception as err:  # noqa: BLE001 (the server hiccuped: say the refusal again, not fail the run)
        get_run_logger().debug("could not read the answer of round %d: %s", round_, err)
        return False


def _decided_elsewhere(catalog: Catalog, arxiv_id: str) -> str:
    """What became of a draft decided outside this run (the command line, another run), and by whom."""
    known = catalog.load().known.get(arxiv_id)
    if known is None or known.where == "draft":
        return f"{arxiv_id} has no draft waiting"
    path, verb = known.path, "approved" if known.where == "tree" else "rejected"
    if known.where == "tree" and catalog.rejected_path(arxiv_id).exists():  # a rejected enrichment
        path, verb = catalog.rejected_path(arxiv_id), "rejected"
    try:
        entry = catalog.read_entry(path)
    except Exception:  # the decision stands; its file is only being reported
        return f"{arxiv_id} was decided elsewhere: {path}"
    enriched = entry.provenance.get("enriched") if verb == "approved" else None
    who = (enriched or {}).get("reviewed_by") or entry.provenance.get("reviewed_by") or "someone"
    return f"{arxiv_id} was {verb} (decided by {who}, on the command line or in another run): {path}"
