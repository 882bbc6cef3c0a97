"""Pure: the record of one ingest run as it goes (outcomes, timings), the `RunSummary` it ends in,
and that summary rendered for the Prefect UI (markdown and a table row)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..discover.harvest import MAX_ATTEMPTS
from ..discover.planning import Plan
from ..markdown import code, inline
from ..models import Outcome, Paper, Problem, RunSummary, TopicState

STAGES = ("model_load", "fetch", "extract", "translate", "code", "draft")


@dataclass
class RunReport:
    """Collects what happens to each paper of one run."""

    topic: str
    started: float = field(default_factory=time.monotonic)
    drafted: list[Outcome] = field(default_factory=list)
    updated: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        clock = time.monotonic()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.monotonic() - clock

    def fail(self, arxiv_id: str, reason: str) -> None:
        self.failed.append(Outcome(id=arxiv_id, reason=reason))

    def written(self, paper: Paper, action: str, path: str, note: str = "") -> None:
        item = Outcome(id=paper.arxiv_id, title=paper.title, draft=path, note=note)
        if action == "drafted":
            self.drafted.append(item)
        elif action == "updated":
            self.updated.append(item)
        else:  # unchanged: this version is drafted already, e.g. by another run meanwhile
            self.skipped.append(Outcome(id=paper.arxiv_id, reason=note or "already drafted, unchanged"))

    @property
    def failures(self) -> dict[str, str]:
        return {item.id: item.reason for item in self.failed}

    def summary(
        self, plan: Plan, state: TopicState, *, found: int, requests: int, problems: list[Problem]
    ) -> RunSummary:
        return RunSummary(
            topic=self.topic,
            requests=requests,
            watermark=state.watermark,
            found=found,
            drafted=self.drafted,
            updated=self.updated,
            flagged=plan.flagged,
            skipped=plan.skipped + self.skipped,
            failed=self.failed,
            owed=[
                Outcome(id=arxiv_id, reason=f"{o.reason} (failed runs: {o.attempts} of {MAX_ATTEMPTS})")
                for arxiv_id, o in state.owed.items()
            ],
            problems=problems,
            seconds=round(time.monotonic() - self.started, 1),
            timings={k: round(v, 1) for k, v in self.timings.items()},
        )


def artifact_key(topic: str) -> str:
    """Prefect artifact keys: lowercase letters, digits and dashes."""
    return "ingest-" + "".join(c if c.isalnum() else "-" for c in topic.lower())


def markdown(summary: RunSummary) -> str:
    """The run's report: drafts waiting for review with links, failures and unreadable files."""
    waiting = summary.drafted + summary.updated
    lines = [f"# Ingest of topic {code(summary.topic)}", "", f"## Waiting for review ({len(waiting)})"]
    lines += [
        f"- [{d.id}](https://arxiv.org/abs/{d.id}) {inline(d.title)} — {code(d.draft)}" for d in waiting
    ]
    lines += ["", f"## Failures ({len(summary.failed)})"]
    lines += [f"- {code(f.id)}: {inline(f.reason)}" for f in summary.failed]
    if summary.run_fault:
        lines += ["", "## The run stopped", "", inline(summary.run_fault)]
    lines += ["", f"## Owed, retried by the next run ({len(summary.owed)})"]
    lines += [f"- {code(o.id)}: {inline(o.reason)}" for o in summary.owed]
    if summary.problems:
        lines += ["", f"## Catalog files that do not parse ({len(summary.problems)})"]
        lines += [f"- {code(p.path)}: {inline(p.reason)}" for p in summary.problems]
    return "\n".join(lines)


def table_row(summary: RunSummary) -> dict[str, object]:
    return {
        "topic": summary.topic,
        "found": summary.found,
        "skipped": len(summary.skipped),
        "drafted": len(summary.drafted),
        "updated": len(summary.updated),
        "failed": len(summary.failed),
        "owed": len(summary.owed),
        "seconds": summary.seconds,
        **{f"{k}_s": v for k, v in summary.timings.items()},
    }
