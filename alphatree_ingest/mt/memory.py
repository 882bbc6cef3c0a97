"""Translation memory in `translations/memory.jsonl`: human corrections win over machine output."""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Iterator
from pathlib import Path


def normalise(sentence: str) -> str:
    """The memory key for a source sentence: NFKC, collapsed whitespace."""
    return " ".join(unicodedata.normalize("NFKC", sentence).split())


def same_chinese(a: str, b: str) -> bool:
    """Whether two Chinese renderings are the same text once tidied (spacing, punctuation forms)."""
    from .text import tidy_chinese

    def canonical(text: str) -> str:
        return tidy_chinese(unicodedata.normalize("NFKC", text)).rstrip("。.!！?？;；")

    return canonical(a) == canonical(b)


FIELDS = ("source", "target", "origin", "model", "glossary")


def _lines(path: Path) -> Iterator[bytes]:
    """The file's lines as bytes, read one at a time: a torn UTF-8 character costs its own line only
    (`json.loads` decodes each and refuses what is not UTF-8). Nothing when there is no file."""
    try:
        with open(path, "rb") as f:
            yield from (line.rstrip(b"\r\n") for line in f)
    except FileNotFoundError:
        return


class TranslationMemory:
    """Append-only JSON lines; the last human line for a key wins, else the last machine line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._human: dict[str, str] = {}
        self._machine: dict[tuple[str, str, str], str] = {}
        self._targets: dict[str, set[str]] = {}
        self._machine_targets: dict[str, list[str]] = {}
        self.skipped = 0
        """Lines that are not a translation row (torn, not an object, wrong types): skipped, counted."""
        for line in _lines(path):
            try:
                row = json.loads(line)
            except ValueError:  # JSON or UTF-8: a torn last line after a crash is skipped, never fatal
                row = None
            if not self._remember(row):
                self.skipped += bool(line.strip())

    def _remember(self, row: object) -> bool:
        if not isinstance(row, dict) or not all(isinstance(row.get(k, ""), str) for k in FIELDS):
            return False
        key = normalise(row.get("source", ""))
        if not key or not isinstance(row.get("target"), str):
            return False
        self._targets.setdefault(key, set()).add(row["target"])
        if row.get("origin") == "human":
            self._human[key] = row["target"]
        else:
            self._machine[(key, row.get("model", ""), row.get("glossary", ""))] = row["target"]
            self._machine_targets.setdefault(key, []).append(row["target"])
        return True

    def machine_wrote(self, source: str, target: str) -> bool:
        """Whether some model's translation of `source` is `target` (compared once tidied)."""
        return any(same_chinese(target, t) for t in self._machine_targets.get(normalise(source), []))

    def audit(self) -> list[dict[str, str]]:
        """Rows marked human that only repeat what a model wrote for the same sentence."""
        rows = []
        for key, target in self._human.items():
            if self.machine_wrote(key, target):
                rows.append({"source": key, "target": target})
        return rows

    def repair(self) -> int:
        """Drop the human rows `audit` finds (rewriting the file atomically); returns how many."""
        from ..catalog import atomic_write

        wrong = {(r["source"], r["target"]) for r in self.audit()}
        if not wrong or not self.path.exists():
            return 0
        kept: list[bytes] = []
        for line in _lines(self.path):
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and row.get("origin") == "human":
                if (normalise(str(row.get("source", ""))), row.get("target")) in wrong:
                    continue
            kept.append(line)
        atomic_write(self.path, b"".join(line + b"\n" for line in kept))
        for source, _ in wrong:
            self._human.pop(source, None)
        return len(wrong)

    def lookup(self, source: str, model: str, glossary: str) -> str | None:
        key = normalise(source)
        return self._human.get(key) or self._machine.get((key, model, glossary))

    def knows(self, source: str, target: str) -> bool:
        """Whether `target` is already stored for `source`, by any model or person."""
        return target in self._targets.get(normalise(source), set())

    def add(self, source: str, target: str, *, origin: str, model: str = "", glossary: str = "") -> None:
        """Store one translation (origin `machine` or `human`), appending one line atomically."""
        row = {
            "source": normalise(source),
            "target": target,
            "origin": origin,
            "model": model,
            "glossary": glossary,
        }
        self._remember(row)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        except OSError as err:  # a full disk: the message names the file, for the operator
            raise OSError(err.errno, err.strerror, str(self.path)) from None
        finally:
            os.close(fd)

    def __len__(self) -> int:
        return len(self._human) + len(self._machine)
