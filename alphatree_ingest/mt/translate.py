"""The translation stage: English -> Simplified Chinese with memory first, glossary and protection.

`Translator` is the seam: anything with `name`, `backend` and `translate_batch(list[str]) -> list[str]`.
`marian.MarianTranslator` is the real one; `TranslateStage` wraps any translator with everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..config import Settings
from .glossary import Glossary
from .memory import TranslationMemory
from .text import (
    PUNCT,
    RESIDUE,
    Protected,
    has_cjk,
    protect,
    restore,
    spaced,
    split_sentences,
    tidy_chinese,
    to_simplified,
)

logger = logging.getLogger(__name__)


class Translator(Protocol):
    name: str
    backend: str

    def translate_batch(self, sentences: list[str]) -> list[str]:
        """One translation per sentence, in order."""
        ...


# --- the stage ----------------------------------------------------------------------------------


@dataclass
class TranslateStage:
    """Translation as the pipeline uses it: segmentation, glossary, protection, memory, Simplified."""

    translator: Translator
    glossary: Glossary = field(default_factory=Glossary)
    memory: TranslationMemory | None = None
    model_calls: int = 0
    protected: int = 0
    """Sentences sent to the model with placeholders (formulas, URLs, terms, numbers)."""
    recovered: int = 0
    """Of those and the others, sentences whose output lost or mangled a placeholder (or left one in
    the text), so they were translated again piece by piece."""
    translated: int = 0
    """Sentences the model translated (the memory had none for them)."""
    mangled: int = 0
    """Protected sentences among the recovered: the model lost, repeated or mangled a placeholder."""

    @classmethod
    def for_tree(cls, translator: Translator, settings: Settings) -> TranslateStage:
        """The stage over the tree's glossary and translation memory. Raises ValueError for a broken
        glossary."""
        return cls(translator, Glossary.load(settings.glossary_path), TranslationMemory(settings.memory_path))

    def translate(self, texts: list[str], progress: Callable[[str], None] | None = None) -> list[str]:
        """One Chinese text per input text (empty stays empty); never leaks placeholders."""
        sentences_of = [split_sentences(t) for t in texts]
        unique: dict[str, None] = {}
        for sentences in sentences_of:
            for s in sentences:
                unique.setdefault(s)
        done = self._translate_sentences(list(unique))
        return [tidy_chinese("".join(_end(done[s], s) for s in sentences)) for sentences in sentences_of]

    def _translate_sentences(self, sentences: list[str]) -> dict[str, str]:
        done: dict[str, str] = {}
        gv = self.glossary.version
        todo: list[tuple[str, Protected]] = []
        for s in sentences:
            hit = self.memory.lookup(s, self.translator.name, gv) if self.memory else None
            if hit is not None:
                done[s] = hit
                continue
            todo.append((s, protect(s, self.glossary)))
        if not todo:
            return done
        self.translated += len(todo)
        outputs = self._model([p.text for _, p in todo])
        retry: list[tuple[str, Protected]] = []
        for (s, p), out in zip(todo, outputs, strict=True):
            restored = restore(out, p) if p.spans else (None if RESIDUE.search(out) else out)
            if restored is None:
                retry.append((s, p))
            else:
                done[s] = restored
        self.protected += sum(1 for _, p in todo if p.spans)
        self.recovered += len(retry)
        self.mangled += sum(1 for _, p in retry if p.spans)
        if retry:
            done.update(self._piecewise(retry))
        for s, _ in todo:
            # stored as the draft shows it, so that a reviewer's untouched sentence is recognised
            done[s] = tidy_chinese(_end(to_simplified(done[s]), s))
            if self.memory is not None:
                self.memory.add(s, done[s], origin="machine", model=self.translator.name, glossary=gv)
        return done

    def _piecewise(self, items: list[tuple[str, Protected]]) -> dict[str, str]:
        """Recovery: translate only the text between protected spans, then interleave the spans."""
        texts = sorted({piece for _, p in items for piece in p.pieces[0::2] if piece.strip()})
        outputs = dict(zip(texts, self._model(texts), strict=True))
        result = {}
        for s, p in items:
            parts = []
            for index, piece in enumerate(p.pieces):
                if index % 2:
                    parts.append(spaced(piece))
                elif piece.strip():
                    parts.append(RESIDUE.sub("", outputs[piece]))
            result[s] = "".join(parts)
        logger.debug("recovered %d sentences piece by piece", len(items))
        return result

    def _model(self, texts: list[str]) -> list[str]:
        if not texts:
            return []
        self.model_calls += 1
        outputs = self.translator.translate_batch(texts)
        if len(outputs) != len(texts):
            raise RuntimeError(
                f"translator {self.translator.name} returned {len(outputs)} outputs for {len(texts)} inputs"
            )
        return outputs


def _end(text: str, source: str) -> str:
    """Chinese sentence-final punctuation where the source sentence had one; none for titles."""
    text = text.strip()
    if not text or not has_cjk(text):
        return text
    if source.rstrip()[-1:] not in ".?!;:":
        return text.rstrip("。.")
    if text[-1] in PUNCT:
        return text[:-1] + PUNCT[text[-1]]
    return text if text[-1] in "。？！；：…" else text + "。"
