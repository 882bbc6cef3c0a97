"""Pure: whether a paper's failure is its own or the whole run's.

A fault that hits every paper (the PDF host resetting every connection, a captcha page instead of
every PDF, a catalog that cannot be written, a bug that fails every paper the same way) is the
run's: the run stops with one sentence and a non-zero exit, and no paper is charged an attempt, so
three bad nights never give up a topic's papers. The rule: a failure that may be systemic counts
against the run while no paper of the run has passed the stage where it happened.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from urllib.parse import urlparse

from ..discover.arxiv_source import NotPdfError, PdfError, TransientError
from ..pdf.extract import ExtractError

STREAK = 3
"""Consecutive systemic failures of one kind, with no paper past that stage, that stop the run."""


class RunFault(RuntimeError):
    """A fault of the whole run; the message is the sentence for the user."""


DISK_ERRORS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.EFBIG,
     errno.EMFILE, errno.ENFILE, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}
)  # fmt: skip
"""Errors of the machine's disks, folders and permissions, never of one paper: a full `translations/`
or `cache/`, or a file where a folder should be (`mkdir` says EEXIST), fails every paper alike."""
DISK = "the disk or its permissions failed"


def disk_error(err: BaseException) -> bool:
    """Whether `err` is a disk, quota or permission error (the run's fault wherever it happens)."""
    return isinstance(err, OSError) and err.errno in DISK_ERRORS


def describe(err: OSError) -> str:
    """`No space left on device: /tree/translations/memory.jsonl`, as a person reads it."""
    if err.errno in (errno.ENOTDIR, errno.EEXIST) and err.filename:
        return f"{err.filename} is in the way: a file stands where a folder is needed"
    what = err.strerror or type(err).__name__
    return f"{what}: {err.filename}" if err.filename else what


def kind_of(stage: str, err: BaseException) -> str | None:
    """What a failure may say about the whole run, or None when it is the paper's own."""
    if isinstance(err, OSError) and disk_error(err):
        return f"{stage}: {DISK} ({describe(err)})"
    if isinstance(err, TransientError):
        return f"{stage}: the network or host failed ({_host(str(err))})"
    if isinstance(err, NotPdfError):
        return f"{stage}: the PDF host answered with pages that are not PDFs ({_host(str(err))})"
    if stage == "draft" and isinstance(err, OSError):
        return f"{stage}: the catalog cannot be written ({type(err).__name__})"
    if isinstance(err, MemoryError):
        return f"{stage}: out of memory"
    if not isinstance(err, PdfError | ExtractError | OSError | ValueError):
        return f"{stage}: {type(err).__name__} (a bug, not the paper)"
    return None


def _host(message: str) -> str:
    for word in message.split():
        host = urlparse(word).netloc
        if host:
            return host
    return "see the log"


@dataclass
class FaultWatch:
    """Watches one run's papers; tells which failures are the run's and when to stop."""

    passed: set[str] = field(default_factory=set)
    """Stages that at least one paper of this run got through."""
    failures: list[tuple[str, str, str | None, str]] = field(default_factory=list)
    """(paper, stage, kind or None, reason) in order."""
    streak: int = 0

    def succeeded(self, stages: list[str]) -> None:
        self.passed.update(stages)
        self.streak = 0

    def failed(self, arxiv_id: str, stage: str, kind: str | None, reason: str, stages: list[str]) -> None:
        """Record a failure at `stage` after the paper got through `stages`. Raises RunFault when
        STREAK papers in a row failed the same systemic way at a stage no paper has passed."""
        self.passed.update(stages)
        last = self.failures[-1] if self.failures else None
        same = kind is not None and last is not None and last[2] == kind and self.streak > 0
        self.streak = self.streak + 1 if same else (1 if kind is not None else 0)
        self.failures.append((arxiv_id, stage, kind, reason))
        if kind is not None and DISK in kind:  # no later paper can do better: stop now, charge none
            raise RunFault(self.sentence(kind))
        if kind is not None and self.streak >= STREAK and stage not in self.passed:
            raise RunFault(self.sentence(kind))

    def run_faults(self) -> dict[str, str]:
        """The kinds that are the run's fault (a disk error anywhere; else a stage never passed by any
        paper), each with its sentence."""
        return {
            kind: self.sentence(kind)
            for _, stage, kind, _ in self.failures
            if kind is not None and (DISK in kind or stage not in self.passed)
        }

    def split(self) -> tuple[dict[str, str], dict[str, str]]:
        """(charged, deferred): each failed paper with its reason; deferred ones were the run's fault."""
        faults = self.run_faults()
        charged: dict[str, str] = {}
        deferred: dict[str, str] = {}
        for arxiv_id, _, kind, reason in self.failures:
            (deferred if kind in faults else charged)[arxiv_id] = reason
        return charged, deferred

    def sentence(self, kind: str) -> str:
        papers = [f for f in self.failures if f[2] == kind]
        example = papers[-1][3] if papers else ""
        if DISK in kind:
            return (
                f"the run stopped at {kind}; free space or fix the permissions and run again. "
                "This is a fault of the run, not of the papers, so none was charged an attempt"
            )
        return (
            f"every paper tried ({len(papers)}) failed the same way at {kind}; "
            f"this is a fault of the run, not of the papers, so none was charged an attempt. "
            f"Last error: {example}"
        )
