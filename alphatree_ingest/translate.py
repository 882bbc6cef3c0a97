"""English -> Simplified Chinese: segmentation, protection of terms and formulas, memory, MarianMT.

`Translator` is the seam: anything with `name` and `translate_batch(list[str]) -> list[str]`.
`MarianTranslator` is the real one; `TranslateStage` wraps any translator with everything else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .glossary import Glossary
from .memory import TranslationMemory

logger = logging.getLogger(__name__)


class ModelUnavailable(RuntimeError):
    """The translation model cannot be loaded; the message says how to point at a local one."""


class Translator(Protocol):
    name: str
    backend: str

    def translate_batch(self, sentences: list[str]) -> list[str]:
        """One translation per sentence, in order."""
        ...


# --- segmentation ---------------------------------------------------------------------------------

_ABBREVIATIONS = (
    "e.g.",
    "i.e.",
    "et al.",
    "etc.",
    "vs.",
    "cf.",
    "Fig.",
    "Figs.",
    "fig.",
    "Eq.",
    "Eqs.",
    "eq.",
    "Sec.",
    "Tab.",
    "No.",
    "approx.",
    "resp.",
    "Dr.",
    "Mr.",
    "Ms.",
    "Prof.",
    "al.",
    "w.r.t.",
)
_ABBR = re.compile("|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len, reverse=True)))
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(\[$\\])")
_DOT = "\u2024"  # one-dot leader: stands in for the dot of an abbreviation while splitting


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, robust to abbreviations (e.g., et al., Fig. 3), decimals and formulas."""
    text = " ".join(text.split())
    if not text:
        return []
    text = _ABBR.sub(lambda m: m.group(0).replace(".", _DOT), text)
    masked, spans = _mask_math(text)
    parts = [p.strip() for p in _SENTENCE_END.split(masked) if p.strip()]
    return [_unmask(p, spans).replace(_DOT, ".") for p in parts]


_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]")


def _mask_math(text: str) -> tuple[str, list[str]]:
    spans: list[str] = []

    def keep(m: re.Match[str]) -> str:
        spans.append(m.group(0))
        return f"\x00{len(spans) - 1}\x00"

    return _MATH.sub(keep, text), spans


def _unmask(text: str, spans: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)


# --- protection ---------------------------------------------------------------------------------

_PROTECT = re.compile(
    r"\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]"  # inline math
    r"|https?://\S+[\w/]"  # URLs
    r"|\b[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+\(?\)?"  # dotted code identifiers
    r"|\b[a-z]+_[a-z0-9_]+\b|\b\w+\(\)"  # snake_case, calls
    r"|\b\d+(?:\.\d+)?\s?(?:%|x|×)\s?\d*(?:\.\d+)?(?![\w])"  # 3.5%, 512x512
    r"|\b\d+(?:\.\d+)?\s?(?:GB|MB|KB|TB|ms|s|M|B|K|GHz|FLOPs|GFLOPs|dB|px)\b"  # numbers with units
)
PLACEHOLDER = re.compile(r"ZQ(\d+)Q")
RESIDUE = re.compile(r"ZQ\d*Q?|\{v\d+\}|\x00")
_PUNCT = {".": "。", "?": "？", "!": "！", ";": "；", ":": "："}


@dataclass
class Protected:
    text: str
    """The sentence with each protected span replaced by `ZQ<n>Q`."""
    spans: list[str] = field(default_factory=list)
    """What each placeholder stands for in the Chinese output."""
    pieces: list[str] = field(default_factory=list)
    """The sentence split at protected spans: text, span, text, span, ..., text."""


def protect(sentence: str, glossary: Glossary) -> Protected:
    """Replace formulas, URLs, identifiers, numbers with units and glossary terms by placeholders."""
    found: list[tuple[int, int, str]] = [
        (m.start(), m.end(), m.group(0)) for m in _PROTECT.finditer(sentence)
    ]
    pattern = glossary.pattern()
    if pattern is not None:
        for m in pattern.finditer(sentence):
            if not any(s < m.end() and m.start() < e for s, e, _ in found):
                found.append((m.start(), m.end(), glossary.render(m.group(0))))
    found.sort()
    result = Protected(text="")
    out, pos = [], 0
    for start, end, rendering in found:
        result.pieces.append(sentence[pos:start])
        result.pieces.append(rendering)
        out.append(sentence[pos:start])
        out.append(f"ZQ{len(result.spans)}Q")
        result.spans.append(rendering)
        pos = end
    out.append(sentence[pos:])
    result.pieces.append(sentence[pos:])
    result.text = "".join(out)
    return result


def restore(output: str, protected: Protected) -> str | None:
    """Put the spans back; None when any placeholder is missing, repeated or mangled."""
    counts = [0] * len(protected.spans)
    for m in PLACEHOLDER.finditer(output):
        index = int(m.group(1))
        if index >= len(counts):
            return None
        counts[index] += 1
    if any(c != 1 for c in counts):
        return None
    restored = PLACEHOLDER.sub(lambda m: _spaced(protected.spans[int(m.group(1))]), output)
    if RESIDUE.search(restored):
        return None
    return restored


def _spaced(span: str) -> str:
    return span if has_cjk(span) else f" {span} "


def has_cjk(text: str) -> bool:
    """Whether the text holds any Chinese character."""
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def tidy_chinese(text: str) -> str:
    """Chinese punctuation at CJK boundaries, no stray spaces between CJK characters."""
    text = " ".join(text.split())
    text = re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", text)
    text = re.sub(r"(?<=[\u4e00-\u9fff]),\s*", "，", text)
    text = re.sub(r"\s*([，。；：？！、])\s*", r"\1", text)
    if text and text[-1] in _PUNCT and has_cjk(text):
        text = text[:-1] + _PUNCT[text[-1]]
    return text.strip()


# --- Traditional -> Simplified ------------------------------------------------------------------

_converter: Any = None


def to_simplified(text: str) -> str:
    """Convert any Traditional characters to Simplified (OpenCC t2s tables)."""
    global _converter
    if _converter is None:
        from opencc import OpenCC

        _converter = OpenCC("t2s")
    return str(_converter.convert(text))


# --- the real model -----------------------------------------------------------------------------


def _hub_reachable(name: str, timeout: float = 5.0) -> bool:
    import os

    import requests

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    try:
        requests.head(f"{endpoint}/api/models/{name}", timeout=timeout)
    except requests.RequestException:
        return False
    return True


def _is_cached(name: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(name, "config.json"), str)
    except Exception:
        return False


def _have_ctranslate2() -> bool:
    import importlib.util

    return importlib.util.find_spec("ctranslate2") is not None


class MarianTranslator:
    """MarianMT from a hub name or a local folder, run by `transformers` or by CTranslate2 (int8).

    Loads lazily. CTranslate2 converts the Marian folder once and keeps it in `cache_dir`. Both backends
    use the model's own generation config (beams, length limits).
    """

    def __init__(
        self,
        model: str,
        *,
        backend: str = "auto",
        target: str = "cmn_Hans",
        cache_dir: Path | None = None,
        token_budget: int = 1024,
        max_batch: int = 32,
    ) -> None:
        if backend == "auto":
            backend = "ctranslate2" if _have_ctranslate2() else "transformers"
        self.name = model
        self.backend = backend
        self.target = target
        self.cache_dir = cache_dir or Path.home() / ".cache" / "alphatree"
        self.token_budget = token_budget
        self.max_batch = max_batch
        self._tokenizer: Any = None
        self._model: Any = None
        self._generation: Any = None
        self.prefix = ""

    def _folder(self) -> Path:
        """The model's local folder: the given one, or the hub snapshot (downloaded once)."""
        local = Path(self.name).expanduser()
        if local.is_dir():
            return local
        if local.is_absolute() or self.name.startswith("."):
            raise ModelUnavailable(f"model folder {self.name} does not exist; {_HINT}.")
        cached = _is_cached(self.name)
        if not cached and not _hub_reachable(self.name):
            raise ModelUnavailable(
                f"cannot download the translation model {self.name} (the Hugging Face hub is "
                f"unreachable); {_HINT}."
            )
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(self.name, local_files_only=cached))

    def load(self) -> MarianTranslator:
        """Load tokenizer and model. Raises ModelUnavailable with one sentence on how to fix it."""
        if self._model is not None:
            return self
        try:
            folder = self._folder()
            from transformers import GenerationConfig, MarianTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            self._tokenizer = MarianTokenizer.from_pretrained(folder)
            try:
                self._generation = GenerationConfig.from_pretrained(folder)
            except OSError:
                self._generation = GenerationConfig()
            self._model = (
                self._load_ct2(folder) if self.backend == "ctranslate2" else self._load_torch(folder)
            )
        except ModelUnavailable:
            raise
        except ImportError as err:
            raise ModelUnavailable(f"{err}; pip install alphatree-ingest with its dependencies.") from None
        except Exception as err:
            raise ModelUnavailable(
                f"cannot load the translation model {self.name} ({err}); {_HINT}."
            ) from None
        token = f">>{self.target}<<"
        if token in self._tokenizer.get_vocab():
            self.prefix = token + " "
        return self

    def _load_torch(self, folder: Path) -> Any:
        from transformers import MarianMTModel

        return MarianMTModel.from_pretrained(folder).eval()

    def _load_ct2(self, folder: Path) -> Any:
        import hashlib
        import os

        import ctranslate2
        from ctranslate2.converters import TransformersConverter

        stamp = "|".join(
            f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}"
            for f in sorted(folder.iterdir())
            if f.is_file()
        )
        key = hashlib.sha256(f"{folder.resolve()}|{stamp}".encode()).hexdigest()[:16]
        out = self.cache_dir / "ct2" / f"{key}-int8"
        if not (out / "model.bin").exists():
            logger.info("converting %s to CTranslate2 int8 in %s (once)", self.name, out)
            tmp = out.with_name(out.name + ".tmp")
            TransformersConverter(str(folder)).convert(str(tmp), quantization="int8", force=True)
            os.replace(tmp, out)
        return ctranslate2.Translator(
            str(out), device="cpu", compute_type="int8", inter_threads=1, intra_threads=os.cpu_count() or 1
        )

    @property
    def beams(self) -> int:
        return int(getattr(self._generation, "num_beams", None) or 1)

    def _lengths(self, longest: int) -> tuple[int, int]:
        gen = self._generation
        most = getattr(gen, "max_new_tokens", None) or min(512, 2 * longest + 16)
        least = getattr(gen, "min_new_tokens", None) or 0
        return least, max(most, least)

    def translate_batch(self, sentences: list[str]) -> list[str]:
        """Translate, sorted by length and batched by a token budget; output in input order."""
        if not sentences:
            return []
        self.load()
        if self.backend == "ctranslate2":
            return self._translate_ct2(sentences)
        import torch

        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        results: list[str] = [""] * len(sentences)
        for batch in self._batches(order, sentences):
            texts = [self.prefix + sentences[i] for i in batch]
            encoded = self._tokenizer(
                texts, return_tensors="pt", padding=True, truncation=True, max_length=512
            )
            least, most = self._lengths(int(encoded["input_ids"].shape[1]))
            with torch.inference_mode():
                generated = self._model.generate(
                    **encoded, num_beams=self.beams, max_new_tokens=most, min_new_tokens=least
                )
            decoded = self._tokenizer.batch_decode(generated, skip_special_tokens=True)
            for i, text in zip(batch, decoded, strict=True):
                results[i] = text
        return results

    def _translate_ct2(self, sentences: list[str]) -> list[str]:
        tok = self._tokenizer
        sources = [
            tok.convert_ids_to_tokens(tok.encode(self.prefix + s, truncation=True, max_length=512))
            for s in sentences
        ]
        least, most = self._lengths(max(len(t) for t in sources))
        results = self._model.translate_batch(
            sources,
            beam_size=self.beams,
            max_batch_size=self.token_budget,
            batch_type="tokens",
            min_decoding_length=least,
            max_decoding_length=most,
        )
        return [
            tok.decode(tok.convert_tokens_to_ids(r.hypotheses[0]), skip_special_tokens=True) for r in results
        ]

    def _batches(self, order: list[int], sentences: Sequence[str]) -> list[list[int]]:
        batches: list[list[int]] = []
        current: list[int] = []
        for i in order:
            estimate = max(8, len(sentences[i]) // 3)  # tokens, roughly; sorted so the last is longest
            if (
                current
                and (len(current) + 1) * estimate > self.token_budget
                or len(current) >= self.max_batch
            ):
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
        return batches


_HINT = (
    "set ALPHATREE_MT_MODEL to a local MarianMT folder (one that holds config.json, "
    "source.spm, target.spm and vocab.json)"
)


# --- the stage ----------------------------------------------------------------------------------


@dataclass
class TranslateStage:
    """Translation as the pipeline uses it: segmentation, glossary, protection, memory, Simplified."""

    translator: Translator
    glossary: Glossary = field(default_factory=Glossary)
    memory: TranslationMemory | None = None
    model_calls: int = 0

    @classmethod
    def from_home(cls, translator: Translator, translations_dir: Path) -> TranslateStage:
        return cls(
            translator,
            Glossary.load(translations_dir / "glossary.yaml"),
            TranslationMemory(translations_dir / "memory.jsonl"),
        )

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
        outputs = self._model([p.text for _, p in todo])
        retry: list[tuple[str, Protected]] = []
        for (s, p), out in zip(todo, outputs, strict=True):
            restored = restore(out, p) if p.spans else (None if RESIDUE.search(out) else out)
            if restored is None:
                retry.append((s, p))
            else:
                done[s] = restored
        if retry:
            done.update(self._piecewise(retry))
        for s, _ in todo:
            done[s] = to_simplified(done[s])
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
                    parts.append(_spaced(piece))
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
    if text[-1] in _PUNCT:
        return text[:-1] + _PUNCT[text[-1]]
    return text if text[-1] in "。？！；：…" else text + "。"
