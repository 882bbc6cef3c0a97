"""Translation memory in `translations/memory.jsonl`: human corrections win over machine output."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path


def normalise(sentence: str) -> str:
    """The memory key for a source sentence: NFKC, collapsed whitespace."""
    return " ".join(unicodedata.normalize("NFKC", sentence).split())


class TranslationMemory:
    """Append-only JSON lines; the last human line for a key wins, else the last machine line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._human: dict[str, str] = {}
        self._machine: dict[tuple[str, str, str], str] = {}
        self._targets: dict[str, set[str]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn last line after a crash is skipped, never fatal
                self._remember(row)

    def _remember(self, row: dict[str, str]) -> None:
        key = normalise(row.get("source", ""))
        if not key or not isinstance(row.get("target"), str):
            return
        self._targets.setdefault(key, set()).add(row["target"])
        if row.get("origin") == "human":
            self._human[key] = row["target"]
        else:
            self._machine[(key, row.get("model", ""), row.get("glossary", ""))] = row["target"]

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
        finally:
            os.close(fd)

    def __len__(self) -> int:
        return len(self._human) + len(self._machine)
