"""The catalog on disk: YAML load/save (atomic, stable key order), lookups, the dedupe index."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .models import ARXIV_ID, CatalogEntry, Topic, TopicsFile


class CatalogError(Exception):
    """A catalog file is missing, not YAML, or not valid; the message names the file and the problem."""


def atomic_write(path: Path, data: str | bytes, *, exclusive: bool = False) -> bool:
    """Write `data` to `path` so that readers see the old file or the new one, never a partial one.

    With `exclusive`, only create: returns False (and writes nothing) when the file already exists,
    so that two runs never both create it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
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


def load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{path} does not exist.") from None
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
    if not ARXIV_ID.match(arxiv_id):
        raise ValueError(f"{arxiv_id!r} is not a valid arXiv identifier")
    return arxiv_id.replace("/", "_")


@dataclass(frozen=True)
class Known:
    """Where an arXiv id already sits in the catalog."""

    where: str  # "tree" | "draft" | "rejected"
    path: Path
    version: int | None
    broken: str | None = None
    """Why the file does not parse, when it does not."""


class Catalog:
    """The files under `<home>/catalog`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[str] = []
        """Files that could not be read by `known()`; reported, never fatal."""

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

    def topics(self) -> dict[str, Topic]:
        path = self.root / "topics.yaml"
        data = load_yaml(path)
        try:
            parsed = TopicsFile.model_validate(data)
        except ValidationError as err:
            raise CatalogError(f"{path}: " + "; ".join(validation_problems(err))) from None
        return {t.id: t for t in parsed.topics}

    def _load_dir(self, folder: Path) -> Iterator[tuple[Path, CatalogEntry]]:
        for path in sorted(folder.rglob("*.yaml")):
            yield path, parse_entry(path)

    def entries(self) -> list[tuple[Path, CatalogEntry]]:
        """Approved entries of the tree."""
        return list(self._load_dir(self.tree_dir))

    def drafts(self) -> list[tuple[Path, CatalogEntry]]:
        return list(self._load_dir(self.drafts_dir))

    def rejected(self) -> list[tuple[Path, CatalogEntry]]:
        return list(self._load_dir(self.rejected_dir))

    def draft_path(self, arxiv_id: str) -> Path:
        return self.drafts_dir / f"{safe_filename(arxiv_id)}.yaml"

    def rejected_path(self, arxiv_id: str) -> Path:
        return self.rejected_dir / f"{safe_filename(arxiv_id)}.yaml"

    def entry_path(self, entry: CatalogEntry) -> Path:
        return self.tree_dir.joinpath(*entry.topic.split("/")) / f"{entry.id}.yaml"

    def known(self) -> dict[str, Known]:
        """Every arXiv id the catalog holds, in the tree, among drafts or among rejected papers.

        A draft or rejection that does not parse (a reviewer's edit in progress) is still known by its
        file name, with `broken` set, so that it is neither overwritten nor drafted again.
        """
        index: dict[str, Known] = {}
        for where, folder in (
            ("rejected", self.rejected_dir),
            ("draft", self.drafts_dir),
            ("tree", self.tree_dir),
        ):
            for path in sorted(folder.rglob("*.yaml")):
                try:
                    entry = parse_entry(path)
                except CatalogError as err:
                    stem = path.stem.replace("_", "/")
                    if where != "tree" and ARXIV_ID.match(stem):
                        index[stem] = Known(where, path, None, broken=str(err))
                    else:
                        self.problems.append(str(err))
                    continue
                if entry.arxiv:
                    index[entry.arxiv] = Known(where, path, entry.version)
        return index

    def save(self, path: Path, entry: CatalogEntry) -> None:
        atomic_write(path, entry_to_yaml(entry))
