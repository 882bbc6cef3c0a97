"""The catalog store: everything under `catalog/` (tree, drafts, rejected, figures, flags, state, locks).

One read, `Catalog.load() -> CatalogSnapshot`, made once per run and passed down; it is lenient in one
way everywhere: a file that does not parse is a listed `Problem`, never an exception that fails some
other paper. Every write is atomic (readers see the old file or the new one).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import ValidationError

from .models import ARXIV_ID, CatalogEntry, Flag, Problem, Topic, TopicsFile, TopicState


class CatalogError(Exception):
    """A catalog file is missing, not YAML, or not valid; the message names the file and the problem."""


def atomic_write(path: Path, data: str | bytes, *, exclusive: bool = False) -> bool:
    """Write `data` to `path` so that readers see the old file or the new one, never a partial one.

    With `exclusive`, only create: returns False (and writes nothing) when the file already exists,
    so that two runs never both create it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # as `open` would create it: the tree is shared with reviewers
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        if not exclusive:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)  # fails when the file exists: an atomic test-and-create
        except FileExistsError:
            return False
        return True
    finally:
        Path(tmp).unlink(missing_ok=True)


def _umask() -> int:
    """The process's umask, read without changing it (Linux), else by setting and restoring it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class _Dumper(yaml.SafeDumper):
    """Block style, Unicode kept readable, multi-line strings as literal blocks."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and all(c.isprintable() or c == "\n" for c in value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(tuple, lambda d, v: d.represent_list(list(v)))


def dump_yaml(data: Any) -> str:
    """YAML text with keys in the given order, for small reviewable diffs."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def entry_to_yaml(entry: CatalogEntry) -> str:
    return dump_yaml(entry.model_dump(mode="python", exclude_none=True))


def validation_problems(err: ValidationError) -> list[str]:
    """One readable line per problem: `field: what is wrong`."""
    lines = []
    for problem in err.errors():
        where = ".".join(str(p) for p in problem["loc"]) or "(entry)"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown key (not part of a catalog entry)"
        lines.append(f"{where}: {message}")
    return lines


MAX_YAML_BYTES = 1_000_000
"""The largest catalog file read: a draft with every figure's caption is some kilobytes."""


class _PlainLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a catalog file has no use for them, and nine levels of nine
    aliases in 5 KB expand into gigabytes once the entry is validated or written back."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        # types-PyYAML leaves Parser.peek_event unannotated; it returns the next parser event
        event = cast("Callable[[], yaml.Event]", self.peek_event)()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            mark = event.start_mark  # the parser always sets it; the stub allows None
            where = f"line {mark.line + 1}: " if mark else ""
            raise yaml.YAMLError(
                f"{where}YAML anchors and aliases (&name, *name) are not "
                "allowed in the catalog; write the value out"
            )
        return super().compose_node(parent, index)


def parse_yaml(text: str) -> Any:
    """YAML text of the catalog: plain values only. Raises yaml.YAMLError (aliases included)."""
    return yaml.load(text, Loader=_PlainLoader)  # noqa: S506 (a SafeLoader, stricter still)


def read_text(path: Path, *, limit: int = MAX_YAML_BYTES) -> str:
    """A catalog file's text. Raises CatalogError naming the file: missing, a folder, unreadable,
    larger than `limit` bytes, or not UTF-8 (one foreign file never breaks the others)."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise CatalogError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise CatalogError(f"{path} is a folder, not a file; remove it or move it away") from None
    except OSError as err:
        raise CatalogError(f"{path} cannot be read ({err.strerror or type(err).__name__})") from None
    if len(data) > limit:
        raise CatalogError(f"{path} is too large (over {limit:,} bytes) to be a catalog file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CatalogError(
            f"{path} is not UTF-8 text (byte {err.start}); save it as UTF-8 and try again"
        ) from None


def load_yaml(path: Path) -> Any:
    """One catalog YAML file. Raises CatalogError naming the file and the problem."""
    text = read_text(path)
    try:
        return parse_yaml(text)
    except yaml.YAMLError as err:
        raise CatalogError(f"{path} is not valid YAML: {err}") from None


def parse_entry(path: Path) -> CatalogEntry:
    """Load and validate one entry file. Raises CatalogError naming every problem."""
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise CatalogError(f"{path} does not hold a catalog entry (a YAML mapping).")
    try:
        return CatalogEntry.model_validate(data)
    except ValidationError as err:
        raise CatalogError(f"{path}: " + "; ".join(validation_problems(err))) from None


def safe_filename(arxiv_id: str) -> str:
    """The file stem for an arXiv id; refuses anything that is not one (ids become paths)."""
    if not isinstance(arxiv_id, str) or not ARXIV_ID.match(arxiv_id):
        raise ValueError(f"{arxiv_id!r} is not a valid arXiv identifier")
    return arxiv_id.replace("/", "_")


def write_pages(pages: dict[Path, str | Path]) -> dict[Path, str]:
    """Write rendered pages atomically (a Path value is a file to copy there), each only when its file
    does not already hold the same bytes, so an unchanged page keeps the time it last changed.
    Returns every page's path, sorted, with what was done: "new", "changed" or "unchanged"."""
    done: dict[Path, str] = {}
    for path in sorted(pages):
        content = pages[path]
        data = content.read_bytes() if isinstance(content, Path) else content.encode("utf-8")
        try:
            same, how = path.read_bytes() == data, "changed"
        except FileNotFoundError:
            same, how = False, "new"
        except OSError:  # a folder where the page should be: writing it says what is wrong
            same, how = False, "changed"
        if not same:
            atomic_write(path, data)
        done[path] = "unchanged" if same else how
    return done


def stem_to_arxiv(stem: str) -> str | None:
    """The arXiv id a draft or rejection file is named after (`hep-th_9901001` -> `hep-th/9901001`)."""
    candidate = stem.replace("_", "/")
    return candidate if ARXIV_ID.match(candidate) else None


@dataclass(frozen=True)
class Stored:
    """An entry and the file it was read from."""

    path: Path
    entry: CatalogEntry
    modified: float = 0.0
    """The file's modification time (seconds since the epoch)."""


@dataclass(frozen=True)
class Known:
    """Where an arXiv id already sits in the catalog."""

    where: str  # "tree" | "draft" | "rejected"
    path: Path
    version: int | None
    broken: str | None = None
    """Why the file does not parse, when it does not."""
    modified: float = 0.0

    def behind(self, version: int) -> bool:
        """Whether `version` of the paper is newer than the one the catalog holds (a record without a
        version counts as older than any): the one rule of "already drafted / approved at this version"."""
        return (self.version or 0) < version


@dataclass
class CatalogSnapshot:
    """The catalog as one run sees it, read once. Broken files are in `problems`, nowhere else."""

    root: Path
    topics: dict[str, Topic]
    tree: list[Stored] = field(default_factory=list)
    drafts: list[Stored] = field(default_factory=list)
    rejected: list[Stored] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    known: dict[str, Known] = field(default_factory=dict)
    """Every arXiv id in the tree, among drafts or rejected; a broken draft counts by its file name."""
    problems: list[Problem] = field(default_factory=list)

    @property
    def entries(self) -> list[CatalogEntry]:
        """The approved entries of the tree."""
        return [s.entry for s in self.tree]

    def taken_ids(self, *, besides: Path | None = None) -> set[str]:
        """Entry ids used by the tree and by other drafts (a new draft must not reuse one)."""
        return {s.entry.id for s in self.tree} | {s.entry.id for s in self.drafts if s.path != besides}

    def flag(self, arxiv_id: str) -> Flag | None:
        return next((f for f in self.flags if f.arxiv == arxiv_id), None)

    def add_draft(self, path: Path, entry: CatalogEntry) -> None:
        """Record a draft this run wrote, so that later papers of the run see its id as taken."""
        self.drafts = [s for s in self.drafts if s.path != path] + [Stored(path, entry, time.time())]
        if entry.arxiv:
            self.known[entry.arxiv] = Known("draft", path, entry.version)


class RunLock:
    """One ingest run per topic and tree at a time, across processes; released when the process dies."""

    def __init__(self, path: Path, topic: str) -> None:
        self.path = path
        self.topic = topic
        self._file: Any = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+")  # noqa: SIM115 (held for the whole run)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            raise LockedError(
                f"another ingest run of topic {self.topic} is working on this tree ({holder}); "
                "wait for it to finish"
            ) from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"pid {os.getpid()} since {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")
        self._file.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


class PaperLock:
    """An exclusive lock on one paper's catalog files, across threads and processes (flock on a file
    of its own); waits for the holder, and is released when the holder's process dies. Re-entrant in
    one thread: a step that holds it may call another that takes it (edit, then decide)."""

    _held = threading.local()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def _depths(self) -> dict[str, int]:
        if not hasattr(PaperLock._held, "depths"):
            PaperLock._held.depths = {}
        depths: dict[str, int] = PaperLock._held.depths
        return depths

    def __enter__(self) -> PaperLock:
        key, depths = str(self.path), self._depths()
        if depths.get(key):
            depths[key] += 1  # this thread holds it already
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        depths[key] = 1
        return self

    def __exit__(self, *exc: object) -> None:
        key, depths = str(self.path), self._depths()
        depths[key] = depths.get(key, 1) - 1
        if depths[key] == 0 and self._fd is not None:
            del depths[key]
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


DEBRIS_AGE = 600.0
"""Seconds after which a temporary write file is debris: every write finishes long before."""


class LockedError(CatalogError):
    """Another run holds the topic's lock."""


def _topic_stem(topic: str) -> str:
    return topic.replace("/", "--")


class Catalog:
    """The files under `<home>/catalog`: the only code that reads or writes them."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # --- where things live ---------------------------------------------------------------------

    @property
    def tree_dir(self) -> Path:
        return self.root / "tree"

    @property
    def drafts_dir(self) -> Path:
        return self.root / "drafts"

    @property
    def rejected_dir(self) -> Path:
        return self.root / "rejected"

    @property
    def figures_dir(self) -> Path:
        return self.root / "figures"

    @property
    def flags_dir(self) -> Path:
        """New arXiv versions of approved entries, waiting for a reviewer's look."""
        return self.root / "flags"

    def draft_path(self, arxiv_id: str) -> Path:
        """Raises ValueError for anything that is not an arXiv id (ids become file names)."""
        return self.drafts_dir / f"{safe_filename(arxiv_id)}.yaml"

    def rejected_path(self, arxiv_id: str) -> Path:
        return self.rejected_dir / f"{safe_filename(arxiv_id)}.yaml"

    def flag_path(self, arxiv_id: str) -> Path:
        return self.flags_dir / f"{safe_filename(arxiv_id)}.yaml"

    def entry_path(self, entry: CatalogEntry) -> Path:
        return self.tree_dir.joinpath(*entry.topic.split("/")) / f"{entry.id}.yaml"

    def state_path(self, topic: str) -> Path:
        return self.root / "state" / f"{_topic_stem(topic)}.yaml"

    def run_lock(self, topic: str) -> RunLock:
        return RunLock(self.root / "state" / f"{_topic_stem(topic)}.lock", topic)

    @property
    def reading_dir(self) -> Path:
        """Chinese reading pages of whole papers (`alphatree read`), published under `site/read/`."""
        return self.root / "reading"

    def save_reading(self, entry_id: str, bilingual: str, chinese: str) -> list[Path]:
        paths = [self.reading_dir / f"{entry_id}.md", self.reading_dir / f"{entry_id}.zh.md"]
        for path, text in zip(paths, (bilingual, chinese), strict=True):
            atomic_write(path, text)
        return paths

    def check_writable(self) -> None:
        """Raises CatalogError when a folder a run writes cannot be written: a fault of the whole
        run, found before any paper is tried (and charged)."""
        for folder in (self.drafts_dir, self.figures_dir, self.root / "state", self.flags_dir):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                fd, probe = tempfile.mkstemp(prefix=".write-check.", suffix=".tmp", dir=folder)
                os.close(fd)
                os.unlink(probe)
            except OSError as err:
                why = "it is not a folder" if folder.exists() and not folder.is_dir() else err.strerror
                raise CatalogError(
                    f"{folder} cannot be written ({why or type(err).__name__}); the run "
                    "stopped before trying any paper, and no paper was charged"
                ) from None

    def clean_debris(self, older_than: float = DEBRIS_AGE) -> list[Path]:
        """Remove the temporary files that a killed write left behind (`.<name>.<random>.tmp`); only
        old ones, so that a write in progress in another run is never touched. Returns them."""
        removed = []
        limit = time.time() - older_than
        for path in self.root.rglob(".*.tmp"):
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    path.unlink()
                    removed.append(path)
            except OSError:
                continue  # someone else removed it, or it is not ours to remove
        return removed

    # --- reading -------------------------------------------------------------------------------

    def topics(self) -> dict[str, Topic]:
        """The topic tree. Raises CatalogError: without topics no run can work."""
        path = self.root / "topics.yaml"
        data = load_yaml(path)
        try:
            parsed = TopicsFile.model_validate(data)
        except ValidationError as err:
            raise CatalogError(f"{path}: " + "; ".join(validation_problems(err))) from None
        return {t.id: t for t in parsed.topics}

    def topic(self, topic_id: str) -> Topic:
        """One topic. Raises CatalogError naming the known ones."""
        topics = self.topics()
        if topic_id not in topics:
            known = ", ".join(sorted(topics))
            raise CatalogError(f"unknown topic {topic_id!r}; topics in {self.root / 'topics.yaml'}: {known}")
        return topics[topic_id]

    def load(self) -> CatalogSnapshot:
        """Everything a run or a review needs, read once; broken files become listed problems."""
        snap = CatalogSnapshot(self.root, self.topics())
        snap.rejected = self._read_dir(self.rejected_dir, "rejected", snap)
        snap.drafts = self._read_dir(self.drafts_dir, "draft", snap)
        snap.tree = self._read_dir(self.tree_dir, "tree", snap)
        snap.flags = self._read_flags(snap)
        return snap

    def _read_dir(self, folder: Path, where: str, snap: CatalogSnapshot) -> list[Stored]:
        stored = []
        for path in sorted(folder.rglob("*.yaml")):
            try:
                entry = parse_entry(path)
            except CatalogError as err:
                snap.problems.append(Problem(path=str(path), reason=str(err)))
                arxiv_id = stem_to_arxiv(path.stem) if where != "tree" else None
                if arxiv_id:  # a reviewer's edit in progress: never overwritten, never drafted again
                    snap.known[arxiv_id] = Known(where, path, None, str(err), path.stat().st_mtime)
                continue
            stored.append(Stored(path, entry, path.stat().st_mtime))
            if entry.arxiv:
                snap.known[entry.arxiv] = Known(where, path, entry.version)
        return stored

    def _read_flags(self, snap: CatalogSnapshot) -> list[Flag]:
        flags = []
        for path in sorted(self.flags_dir.glob("*.yaml")):
            try:
                flags.append(Flag.model_validate(load_yaml(path)))
            except (CatalogError, ValidationError) as err:
                snap.problems.append(Problem(path=str(path), reason=f"not a flag: {err}"))
        return flags

    def read_entry(self, path: Path) -> CatalogEntry:
        """One entry file. Raises CatalogError naming every problem."""
        return parse_entry(path)

    def read_text(self, path: Path) -> str:
        """A catalog file's text. Raises CatalogError naming the file (see `read_text`)."""
        return read_text(path)

    def load_state(self, topic: str) -> TopicState:
        """The topic's harvest state (a fresh one when none). Raises CatalogError when damaged."""
        path = self.state_path(topic)
        if not path.exists():
            return TopicState()
        try:
            return TopicState.model_validate(load_yaml(path) or {})
        except ValidationError as err:
            raise CatalogError(
                f"{path} is damaged ({'; '.join(validation_problems(err))}); fix or delete it "
                "(the run then starts afresh)"
            ) from None

    # --- writing -------------------------------------------------------------------------------

    def save_state(self, topic: str, state: TopicState) -> None:
        data = state.model_dump(mode="json")
        for key in ("owed", "gave_up", "held_back"):
            data[key] = dict(sorted(data[key].items()))
        atomic_write(self.state_path(topic), dump_yaml(data))

    def create_draft(self, arxiv_id: str, text: str) -> bool:
        """Create the draft file; False (nothing written) when another run created it meanwhile."""
        return atomic_write(self.draft_path(arxiv_id), text, exclusive=True)

    def replace_draft(self, arxiv_id: str, text: str) -> None:
        atomic_write(self.draft_path(arxiv_id), text)

    def save_figure(self, arxiv_id: str, name: str, source: Path) -> str | None:
        """Store a figure PNG of a paper (copied from `source`); returns its path relative to `catalog/`,
        or None when there is no such PNG (the figure could not be rendered)."""
        if not source.is_file():
            return None
        stem = safe_filename(arxiv_id)
        atomic_write(self.figures_dir / stem / name, source.read_bytes())
        return f"figures/{stem}/{name}"

    def save_entry(self, path: Path, entry: CatalogEntry) -> None:
        atomic_write(path, entry_to_yaml(entry))

    def approve(self, draft: Path, entry: CatalogEntry, text: str | None = None) -> Path:
        """Move a reviewed draft into the tree (and clear its flag): after a crash the draft or the
        entry exists, never both, never neither. `text` is the entry as written (the reviewer's
        comments kept); without it the entry is written plainly. Never replaces another entry's file."""
        dest = self.entry_path(entry)
        if dest.exists():
            raise CatalogError(f"{dest} already exists: the id {entry.id!r} is taken; change `id`")
        self._move(draft, text or entry_to_yaml(entry), dest)
        if entry.arxiv:
            self.clear_flag(entry.arxiv)
        return dest

    def reject(self, draft: Path, entry: CatalogEntry, text: str | None = None) -> Path:
        """Move a reviewed draft among rejected papers."""
        if not entry.arxiv:
            raise CatalogError(f"{draft}: a draft without an arXiv id cannot be rejected")
        dest = self.rejected_path(entry.arxiv)
        self._move(draft, text or entry_to_yaml(entry), dest)
        return dest

    def _move(self, draft: Path, text: str, dest: Path) -> None:
        """Rewrite the draft in place, then rename it (the destination folder made first, so that a
        folder that cannot be made leaves the draft exactly as it was)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(draft, text)
        os.replace(draft, dest)

    def paper_lock(self, arxiv_id: str) -> PaperLock:
        """Held by every write that touches one paper's files (refresh, approve, reject), so that two
        of them never interleave: the second waits, then sees what the first did."""
        return PaperLock(self.root / "locks" / f"{safe_filename(arxiv_id)}.lock")

    def merge_enrichment(self, draft: Path, entry_path: Path, entry: CatalogEntry) -> None:
        """Save an enriched tree entry in its own file, then remove the enrichment draft: after a crash
        the entry is enriched or not, and a draft left over adds nothing (the gate says so)."""
        self.save_entry(entry_path, entry)
        draft.unlink(missing_ok=True)

    def flag(self, flag: Flag) -> None:
        atomic_write(self.flag_path(flag.arxiv), dump_yaml(flag.model_dump(mode="json")))

    def clear_flag(self, arxiv_id: str) -> bool:
        """Remove the flag of an entry; False when there was none."""
        path = self.flag_path(arxiv_id)
        if not path.exists():
            return False
        path.unlink()
        return True
