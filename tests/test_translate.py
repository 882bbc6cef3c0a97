"""Segmentation, protection and recovery, Simplified output, memory; the tiny real model too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alphatree_ingest.mt.glossary import Glossary
from alphatree_ingest.mt.marian import MarianTranslator, ModelUnavailable
from alphatree_ingest.mt.memory import TranslationMemory
from alphatree_ingest.mt.text import PLACEHOLDER, split_sentences
from alphatree_ingest.mt.translate import TranslateStage

GLOSSARY = Glossary({"generative adversarial network": "生成对抗网络", "ResNet": None})


class Echo:
    """A well-behaved fake: 'translates' by tagging, keeps placeholders. Records every call."""

    name = "echo"
    backend = "fake"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def translate_batch(self, sentences: list[str]) -> list[str]:
        self.calls.append(list(sentences))
        return [f"译{s}" for s in sentences]


class Misbehaving(Echo):
    """Drops, duplicates, mangles placeholders and invents new ones, by turns."""

    name = "misbehaving"

    def translate_batch(self, sentences: list[str]) -> list[str]:
        self.calls.append(list(sentences))
        out = []
        for i, s in enumerate(sentences):
            mode = i % 4
            if mode == 0:
                s = PLACEHOLDER.sub("", s)
            elif mode == 1:
                s = PLACEHOLDER.sub(lambda m: m.group(0) * 2, s)
            elif mode == 2:
                s = PLACEHOLDER.sub(lambda m: m.group(0).replace("Q", "q"), s)
            else:
                s = s + " ZQ7Q {v3}"
            out.append(f"译{s}")
        return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We use e.g. ResNet. It works.", ["We use e.g. ResNet.", "It works."]),
        ("Smith et al. showed it. Next.", ["Smith et al. showed it.", "Next."]),
        ("See Fig. 3 for details. Then go.", ["See Fig. 3 for details.", "Then go."]),
        ("Error drops by 3.5%. Good.", ["Error drops by 3.5%.", "Good."]),
        ("That is, i.e. this one. Yes!", ["That is, i.e. this one.", "Yes!"]),
        ("The loss is $a. B$. Then more.", ["The loss is $a. B$.", "Then more."]),
        ("", []),
    ],
)
def test_segmentation(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


TEXT = (
    "We train a generative adversarial network with ResNet at https://github.com/a/b-c. "
    "The loss $L = x^2$ falls by 3.5% on 512x512 images. "
    "Call torch.nn.Conv2d() and set max_epochs to 10 GB. "
    "Plain sentence without spans."
)


@pytest.mark.parametrize("translator", [Echo, Misbehaving])
def test_every_protected_span_comes_back_once_and_no_placeholder_leaks(translator: type[Echo]) -> None:
    stage = TranslateStage(translator(), GLOSSARY)
    (out,) = stage.translate([TEXT])
    for span in (
        "生成对抗网络",
        "ResNet",
        "https://github.com/a/b-c",
        "$L = x^2$",
        "3.5%",
        "512x512",
        "torch.nn.Conv2d()",
        "max_epochs",
        "10 GB",
    ):
        assert out.count(span) == 1, (span, out)
    assert not re.search(r"ZQ|zq\d|\{v\d+\}|\x00", out, re.IGNORECASE), out
    assert "generative adversarial network" not in out


def test_memory_hit_skips_the_model(tmp_path: Path) -> None:
    fake = Echo()
    first = TranslateStage(fake, GLOSSARY, TranslationMemory(tmp_path / "memory.jsonl"))
    result = first.translate([TEXT])
    calls = len(fake.calls)
    again = TranslateStage(fake, GLOSSARY, TranslationMemory(tmp_path / "memory.jsonl"))
    assert again.translate([TEXT]) == result
    assert len(fake.calls) == calls and again.model_calls == 0


def test_human_translation_wins_over_machine(tmp_path: Path) -> None:
    memory = TranslationMemory(tmp_path / "memory.jsonl")
    memory.add("Plain sentence without spans.", "没有特殊片段的句子。", origin="human")
    stage = TranslateStage(Echo(), GLOSSARY, TranslationMemory(tmp_path / "memory.jsonl"))
    assert stage.translate(["Plain sentence without spans."]) == ["没有特殊片段的句子。"]


def test_output_is_simplified_chinese() -> None:
    class Traditional(Echo):
        def translate_batch(self, sentences: list[str]) -> list[str]:
            return ["這個網絡的學習開發。" for _ in sentences]

    (out,) = TranslateStage(Traditional(), GLOSSARY).translate(["This network learns."])
    assert out == "这个网络的学习开发。"


def test_empty_and_very_long_inputs() -> None:
    fake = Echo()
    stage = TranslateStage(fake, GLOSSARY)
    assert stage.translate(["", "   "]) == ["", ""]
    assert fake.calls == []
    long = " ".join(f"Sentence number {i} is here." for i in range(400))
    (out,) = stage.translate([long])
    assert out.count("译") == 400


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_tiny_real_model_through_the_real_loading_path(
    tiny_model: Path, tmp_path: Path, backend: str
) -> None:
    translator = MarianTranslator(str(tiny_model), backend=backend, cache_dir=tmp_path).load()
    assert translator.prefix == ">>cmn_Hans<< " and translator.backend == backend
    stage = TranslateStage(translator, GLOSSARY)
    outputs = stage.translate(["We propose a generative adversarial network.", "", "It uses ResNet at 3.5%."])
    assert outputs[0] and outputs[1] == "" and "3.5%" in outputs[2] and "ResNet" in outputs[2]
    assert not any(re.search(r"ZQ\d", o) for o in outputs)


def test_a_missing_local_model_folder_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="ALPHATREE_MT_MODEL"):
        MarianTranslator(str(tmp_path / "nope")).load()


def test_both_backends_agree_and_the_conversion_is_cached(tiny_model: Path, tmp_path: Path) -> None:
    texts = ["We propose a generative adversarial network.", "The model is trained on images."]
    reference = MarianTranslator(str(tiny_model), backend="transformers").translate_batch(texts)
    fast = MarianTranslator(str(tiny_model), backend="ctranslate2", cache_dir=tmp_path)
    assert fast.translate_batch(texts) == reference
    (converted,) = (tmp_path / "ct2").iterdir()
    stamp = (converted / "model.bin").stat().st_mtime_ns
    MarianTranslator(str(tiny_model), backend="ctranslate2", cache_dir=tmp_path).load()
    assert (converted / "model.bin").stat().st_mtime_ns == stamp


def test_many_short_inputs_are_split_into_small_batches_in_input_order(
    tiny_model: Path, tmp_path: Path
) -> None:
    """The decoder's memory grows with sentences x beams x output length: the pieces of a recovery
    (many short inputs) must not all share one CTranslate2 batch; the answers stay in input order."""
    texts = [f"{word} network" for word in "deep wide small large sparse dense fast slow tiny huge".split()]
    one_by_one = [
        MarianTranslator(str(tiny_model), backend="ctranslate2", cache_dir=tmp_path).translate_batch([t])[0]
        for t in texts
    ]
    batched = MarianTranslator(str(tiny_model), backend="ctranslate2", cache_dir=tmp_path, max_batch=3).load()
    engine = batched._model
    sizes: list[int] = []

    class Counting:  # the CTranslate2 engine itself, with each call's batch size noted
        def translate_batch(self, sources: list[list[str]], **options: object) -> object:
            sizes.append(len(sources))
            return engine.translate_batch(sources, **options)

    batched._model = Counting()
    assert batched.translate_batch(texts) == one_by_one
    assert max(sizes) <= 3 and sum(sizes) == len(texts)


def test_models_without_language_tokens_get_no_prefix(tiny_model: Path, tmp_path: Path) -> None:
    import json
    import shutil

    plain = tmp_path / "plain"
    shutil.copytree(tiny_model, plain)
    vocab = json.loads((plain / "vocab.json").read_text())
    vocab["cmn_Hans_token_gone"] = vocab.pop(">>cmn_Hans<<")
    (plain / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    translator = MarianTranslator(str(plain), backend="transformers").load()
    assert translator.prefix == ""
    assert MarianTranslator(str(tiny_model), backend="transformers", target="yue").load().prefix == ""


@pytest.mark.slow  # two interpreters importing torch; the race itself is pinned in-process below
def test_two_first_runs_converting_at_once_both_load(tiny_model: Path, tmp_path: Path) -> None:
    """Two processes convert the model for CTranslate2 at the same moment: both load it, and no
    temporary folder is left behind (it used to fail with "Directory not empty")."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from alphatree_ingest.mt.marian import MarianTranslator; "
        "t = MarianTranslator(sys.argv[1], backend='ctranslate2', cache_dir=Path(sys.argv[2])).load(); "
        "print(len(t.translate_batch(['We propose a model.'])))"
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tiny_model), str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    assert [run.communicate(timeout=300)[0].strip() for run in runs] == ["1", "1"]
    assert all(run.returncode == 0 for run in runs)
    (converted,) = (tmp_path / "ct2").iterdir()
    assert (converted / "model.bin").exists() and not converted.name.startswith(".")


def test_two_first_runs_converting_the_model_at_once_both_succeed_and_leave_no_debris(
    tmp_path: Path,
) -> None:
    """Bug: the second of two first runs failed with "Directory not empty: ...-int8.tmp", with advice
    to set ALPHATREE_MT_MODEL, and left the .tmp folder behind."""
    import threading
    import time

    from alphatree_ingest.mt.marian import _convert_once

    class SlowConverter:
        def convert(self, out: str, **options: object) -> None:
            time.sleep(0.3)  # both are converting at the same time
            (Path(out) / "model.bin").write_bytes(b"weights")
            (Path(out) / "config.json").write_text("{}")

    target = tmp_path / "cache" / "opus-mt-en-zh-int8"
    errors: list[BaseException] = []

    def first_run() -> None:
        try:
            _convert_once(SlowConverter(), target)
        except BaseException as err:  # noqa: BLE001 (collected for the assertion)
            errors.append(err)

    runs = [threading.Thread(target=first_run) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert errors == []
    assert (target / "model.bin").read_bytes() == b"weights"
    assert sorted(p.name for p in target.parent.iterdir()) == ["opus-mt-en-zh-int8"]


def test_a_model_folder_missing_a_file_is_named_in_one_sentence(tmp_path: Path, tiny_model: Path) -> None:
    """Bug: the README's file list left out the weights, so a folder with exactly those files failed
    obscurely; an empty folder gave "expected str, bytes or os.PathLike object, not NoneType"."""
    import shutil

    from alphatree_ingest.mt.marian import MarianTranslator, ModelUnavailable

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(
        ModelUnavailable, match="lacks config.json, source.spm, target.spm, vocab.json, model"
    ):
        MarianTranslator(str(empty)).load()
    no_weights = tmp_path / "no-weights"
    shutil.copytree(tiny_model, no_weights)
    for weights in ("model.safetensors", "pytorch_model.bin"):
        (no_weights / weights).unlink(missing_ok=True)
    with pytest.raises(
        ModelUnavailable, match=r"lacks model.safetensors or pytorch_model.bin; set ALPHATREE_MT"
    ):
        MarianTranslator(str(no_weights)).load()
