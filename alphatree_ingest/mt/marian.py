"""The MT backend: MarianMT from a hub name or a local folder, run by CTranslate2 (int8) or by
`transformers`. The only module that loads a model."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

logger = logging.getLogger(__name__)


class ModelUnavailable(RuntimeError):
    """The translation model cannot be loaded; the message says how to point at a local one."""


def quiet_transformers() -> None:
    """Hide transformers' progress bars (loading a model prints none of its own). The one call into its
    logging helpers, which transformers leaves unannotated."""
    from transformers.utils import logging as hf_logging

    cast("Callable[[], None]", hf_logging.disable_progress_bar)()


def _hub_reachable(endpoint: str, name: str, timeout: float = 5.0) -> bool:
    import requests

    try:
        requests.head(f"{endpoint.rstrip('/')}/api/models/{name}", timeout=timeout)
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
    use the model's own generation config (beams, length limits). A batch holds at most `token_budget`
    source tokens and `max_batch` sentences: the decoder's memory grows with sentences x beams x output
    length. On a whole paper (`bench/batch_size.py`, opus-mt-en-zh's shape) 16, 24 and 32 sentences
    peaked at 718, 847 and 910 MB, within 1% of each other in time; 24 keeps a margin under 1 GB.
    """

    def __init__(
        self,
        model: str,
        *,
        backend: str = "auto",
        target: str = "cmn_Hans",
        cache_dir: Path | None = None,
        token_budget: int = 1024,
        max_batch: int = 24,
        hub_endpoint: str = "https://huggingface.co",
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
        self.hub_endpoint = hub_endpoint
        self.prefix = ""
        self.window = 512
        """Source and target positions the model has (`max_position_embeddings`)."""
        self._room: int | None = None

    def check_folder(self) -> Path | None:
        """Without loading anything: a model given as a local folder exists and is complete; returns
        that folder (None for a hub name). Raises ModelUnavailable, as `load` would."""
        local = Path(self.name).expanduser()
        if local.is_dir():
            missing = missing_files(local)
            if missing:
                raise ModelUnavailable(f"model folder {local} lacks {', '.join(missing)}; {_HINT}.")
            return local
        if local.is_absolute() or self.name.startswith("."):
            raise ModelUnavailable(f"model folder {self.name} does not exist; {_HINT}.")
        return None

    def _folder(self) -> Path:
        """The model's local folder: the given one, or the hub snapshot (downloaded once)."""
        local = self.check_folder()
        if local is not None:
            return local
        cached = _is_cached(self.name)
        if not cached and not _hub_reachable(self.hub_endpoint, self.name):
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
            # The tokenizer alone: transformers' config and model classes import torch when it is
            # installed, and running a converted model needs neither (config.json is read as JSON).
            from transformers import MarianTokenizer

            quiet_transformers()
            self._tokenizer = MarianTokenizer.from_pretrained(folder)
            config = _json(folder / "config.json")
            self.window = int(config.get("max_position_embeddings") or _MARIAN_POSITIONS)
            self._generation = Generation.of(folder)
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
        if not have_torch():
            raise ModelUnavailable(
                f"the transformers backend runs {self.name} with PyTorch, which is not installed; "
                f"{_CONVERT_EXTRA}, or leave ALPHATREE_MT_BACKEND unset (CTranslate2 needs no PyTorch)"
            )
        from transformers import MarianMTModel

        model = MarianMTModel.from_pretrained(folder)
        # inference mode; transformers 5 leaves PreTrainedModel.eval unannotated (it returns the model)
        inference: Callable[[], Any] = model.eval
        return inference()

    def _load_ct2(self, folder: Path) -> Any:
        import hashlib
        import os

        import ctranslate2

        stamp = "|".join(
            f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}"
            for f in sorted(folder.iterdir())
            if f.is_file()
        )
        key = hashlib.sha256(f"{folder.resolve()}|{stamp}".encode()).hexdigest()[:16]
        out = self.cache_dir / "ct2" / f"{key}-int8"
        if not (out / "model.bin").exists():
            if not have_torch():
                raise ModelUnavailable(
                    f"converting {self.name} to CTranslate2 (once per model) needs PyTorch, which is not "
                    f"installed; {_CONVERT_EXTRA}"
                )
            from ctranslate2.converters import TransformersConverter  # imports torch

            logger.info("converting %s to CTranslate2 int8 in %s (once)", self.name, out)
            _convert_once(TransformersConverter(str(folder)), out)
        return ctranslate2.Translator(
            str(out), device="cpu", compute_type="int8", inter_threads=1, intra_threads=os.cpu_count() or 1
        )

    @property
    def beams(self) -> int:
        return int(getattr(self._generation, "num_beams", None) or 1)

    def _lengths(self, longest: int) -> tuple[int, int]:
        """Least and most output tokens: the model's generation config, within its window."""
        gen = self._generation
        most = getattr(gen, "max_new_tokens", None) or 2 * longest + 16
        least = getattr(gen, "min_new_tokens", None) or 0
        most = min(most, self.window - 1)
        return min(least, most), most

    @property
    def _limit(self) -> int:
        """Source pieces per input, leaving room for the language token and the end marker."""
        if self._room is None:
            self._room = max(8, self.window - 2 - len(self.tokens(self.prefix)))
        return self._room

    def tokens(self, text: str) -> list[str]:
        """The model's source pieces for `text` (no end marker)."""
        self.load()
        return list(self._tokenizer.tokenize(text)) if text.strip() else []

    def pieces(self, sentence: str) -> list[str]:
        """The sentence cut at word boundaries (preferring , ; :) into parts that fit the model's
        window; a sentence that fits is one part. Nothing is dropped."""
        limit = self._limit
        if len(sentence) + len(sentence.split()) < limit or len(self.tokens(sentence)) <= limit:
            return [sentence]  # at most a piece per character, plus a word-start mark per word

        parts: list[str] = []
        current: list[str] = []
        size = 0
        for word in sentence.split():
            cost = len(self.tokens(word))
            if current and size + cost > limit:
                cut = _clause_end(current)
                parts.append(" ".join(current[:cut]))
                current = current[cut:]
                size = sum(len(self.tokens(w)) for w in current)
            current.append(word)
            size += cost
        if current:
            parts.append(" ".join(current))
        return parts

    def translate_batch(self, sentences: list[str]) -> list[str]:
        """Translate, sorted by length and batched by a token budget; output in input order.

        A sentence longer than the model's window is translated in parts, joined in order."""
        if not sentences:
            return []
        self.load()
        owner: list[int] = []
        parts: list[str] = []
        for index, sentence in enumerate(sentences):
            for part in self.pieces(sentence):
                owner.append(index)
                parts.append(part)
        run = self._translate_ct2 if self.backend == "ctranslate2" else self._translate_torch
        joined: list[list[str]] = [[] for _ in sentences]
        for index, text in zip(owner, run(parts), strict=True):
            joined[index].append(text)
        return [" ".join(texts) for texts in joined]

    def _translate_torch(self, sentences: list[str]) -> list[str]:
        import torch

        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        results: list[str] = [""] * len(sentences)
        for batch in self._batches(order, sentences):
            texts = [self.prefix + sentences[i] for i in batch]
            encoded = self._tokenizer(
                texts, return_tensors="pt", padding=True, truncation=True, max_length=self.window
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
        """Batches as the torch path makes them (sorted, a token budget, at most `max_batch`
        sentences): the decoder's memory grows with sentences x beams x output length, so many short
        inputs (the pieces of a recovery) must not share one batch."""
        tok = self._tokenizer
        sources = [
            tok.convert_ids_to_tokens(tok.encode(self.prefix + s, truncation=True, max_length=self.window))
            for s in sentences
        ]
        order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
        results: list[str] = [""] * len(sources)
        for batch in self._batches(order, sentences):
            least, most = self._lengths(max(len(sources[i]) for i in batch))
            out = self._model.translate_batch(
                [sources[i] for i in batch],
                beam_size=self.beams,
                max_batch_size=self.token_budget,
                batch_type="tokens",
                min_decoding_length=least,
                max_decoding_length=most,
            )
            for i, r in zip(batch, out, strict=True):
                results[i] = tok.decode(tok.convert_tokens_to_ids(r.hypotheses[0]), skip_special_tokens=True)
        return results

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


def _convert_once(converter: Any, out: Path) -> None:
    """Convert into a folder of this process's own, then rename it into place: two first runs that
    convert at once both succeed (the second finds the first's result), and no half folder remains."""
    import shutil
    import tempfile

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        converter.convert(str(tmp), quantization="int8", force=True)
        try:
            tmp.rename(out)
        except OSError:  # another process put its conversion in place first
            if not (out / "model.bin").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _clause_end(words: list[str]) -> int:
    """Where to cut a full part: after its last word ending a clause in the second half, else at the end."""
    for cut in range(len(words) - 1, len(words) // 2, -1):
        if words[cut - 1][-1:] in ",;:":
            return cut
    return len(words)


def have_torch() -> bool:
    """Whether PyTorch is installed (without importing it): only converting a model and the
    `transformers` backend need it."""
    import importlib.util

    try:
        return importlib.util.find_spec("torch") is not None
    except ValueError:  # torch in sys.modules as None: blocked, as good as absent
        return False


_CONVERT_EXTRA = (
    "install it with `pip install 'alphatree-ingest[convert]'` (on a machine without a GPU, first "
    "`pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu`)"
)
_MARIAN_POSITIONS = 1024
"""`MarianConfig`'s own default for `max_position_embeddings`, for a config.json without one."""


def _json(path: Path) -> dict[str, Any]:
    """A JSON object from a model folder; {} when the file is absent."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Generation:
    """The model's own generation settings (generation_config.json), the ones both backends use."""

    num_beams: int | None = None
    max_new_tokens: int | None = None
    min_new_tokens: int | None = None

    @classmethod
    def of(cls, folder: Path) -> Generation:
        data = _json(folder / "generation_config.json")
        return cls(**{name: data.get(name) for name in ("num_beams", "max_new_tokens", "min_new_tokens")})


MODEL_FILES = ("config.json", "source.spm", "target.spm", "vocab.json")
WEIGHTS = ("model.safetensors", "pytorch_model.bin")
_HINT = (
    "set ALPHATREE_MT_MODEL to a local MarianMT folder (one that holds config.json, source.spm, "
    "target.spm, vocab.json and its weights, model.safetensors or pytorch_model.bin; `alphatree model "
    "pull` fetches one)"
)


def missing_files(folder: Path) -> list[str]:
    """The files a MarianMT folder lacks (empty when it is complete)."""
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if not any((folder / name).is_file() for name in WEIGHTS):
        missing.append(" or ".join(WEIGHTS))
    return missing
