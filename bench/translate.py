"""Translation speed where the pipeline spends it: naive transformers vs our translate stage vs the raw
backend, on real papers, in the two batch shapes the pipeline makes, in one run.

Usage: python bench/translate.py [DEVSET] [--naive N]   (default: ../shared/figure-devset)

The model is a random-weight MarianMT of opus-mt-en-zh's exact shape (d_model 512, 6+6 layers, 8 heads,
FFN 2048, vocabulary 65,001, beams 4) whose generation config forces 64 output tokens (EOS suppressed
until then). Its source SentencePiece is trained on the devset papers' own text with a 16k vocabulary,
so that real sentences are cut into about as many pieces as a real opus-mt vocabulary cuts them (the
bench prints pieces per word). The batch shapes:
  night: every devset paper as the nightly flow translates it, one model call per paper (title,
         abstract and figure captions, through the glossary and protection);
  paper: the whole first paper as its reading page translates it (every sentence, at least 96 a call).
Each shape is timed three ways, each in its own process (peak RSS per process):
  (a) naive: transformers, one sentence per `generate` call, at the model's beams; `--naive N` times
      N sentences spread over the shape and scales to all (it is the slow one);
  (b) stage: `TranslateStage` over the default backend (CTranslate2 int8), recording what it sends;
  (c) raw:   the backend's own batch call on everything (b) sent, in the same calls: the same model
      work, so (b) / (c) is the stage's own overhead.
With random weights the model mangles some placeholders, and (b) translates those sentences again piece
by piece (reported: a real model rarely needs it, `alphatree model check` counts how often it does).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

WORK = Path("/tmp/alphatree-bench-mt")
REPO = Path(__file__).resolve().parent.parent
OUT_TOKENS = 64
VOCAB = 16000
WORDS = (
    "we propose a new method that learns robust representations from large image collections and improves "
    "the quality of generated samples while the training remains stable across many different settings "
    "our approach combines attention with convolution so that the network captures both local detail and "
    "global structure in each layer experiments show consistent gains over strong baselines on several "
    "benchmarks and the analysis explains why the proposed objective reduces mode collapse in practice"
).split()


def sentences(n: int) -> list[str]:
    """Synthetic sentences of real lengths (14 to 30 words), for tests of the machinery."""
    rng = random.Random(7)
    return [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(14, 30))).capitalize() + "." for _ in range(n)
    ]


def papers(devset: Path) -> list[dict[str, Any]]:
    """Each devset paper's texts as the pipeline translates them, extracted once and cached:
    `night` (title, abstract, captions) and `body` (every paragraph of its reading page, in order)."""
    cache = WORK / f"papers-{devset.resolve().as_posix().replace('/', '_')}.json"
    if cache.exists():
        return list(json.loads(cache.read_text()))
    from alphatree_ingest.pdf.extract import extract
    from alphatree_ingest.site import reading

    found = []
    for pdf in sorted(devset.glob("*.pdf")) + sorted(devset.glob("*/*.pdf")):
        extraction = extract(pdf)
        parts = reading.parts_of(pdf, extraction)
        found.append(
            {
                "name": pdf.name,
                "night": [extraction.title, extraction.abstract] + [f.caption for f in extraction.figures],
                "body": [[p.kind, p.text] for p in parts if p.kind != "figure"],
            }
        )
    WORK.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(found, ensure_ascii=False))
    return found


def model_folder(devset: Path | None = None) -> Path:
    """The bench model, built once (its vocabulary from the devset's text, else synthetic text)."""
    folder = WORK / "model"
    if not (folder / "model.safetensors").exists():
        from alphatree_ingest.mt.text import split_sentences

        texts = sentences(2000)
        if devset is not None:
            texts = [
                s
                for p in papers(devset)
                for t in [b[1] for b in p["body"]] + p["night"]
                for s in split_sentences(t)
            ]
        build(folder, texts)
    return folder


def build(folder: Path, texts: list[str]) -> None:
    import sentencepiece as spm
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("source", "target"):
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(texts),
            model_writer=model,
            vocab_size=VOCAB,
            character_coverage=1.0,
            hard_vocab_limit=False,
            minloglevel=2,
        )
        (folder / f"{name}.spm").write_bytes(model.getvalue())
    vocab = {"</s>": 0, "<unk>": 1}
    sp = spm.SentencePieceProcessor(model_file=str(folder / "source.spm"))
    for i in range(sp.get_piece_size()):
        vocab.setdefault(sp.id_to_piece(i), len(vocab))
    vocab[">>cmn_Hans<<"] = len(vocab)
    while len(vocab) < 65000:
        vocab[f"▁zh{len(vocab)}"] = len(vocab)
    vocab["<pad>"] = 65000
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    MarianTokenizer(
        vocab=str(folder / "vocab.json"),
        source_spm=str(folder / "source.spm"),
        target_spm=str(folder / "target.spm"),
    ).save_pretrained(folder)
    config = MarianConfig(
        vocab_size=65001,
        d_model=512,
        encoder_layers=6,
        decoder_layers=6,
        encoder_attention_heads=8,
        decoder_attention_heads=8,
        encoder_ffn_dim=2048,
        decoder_ffn_dim=2048,
        pad_token_id=65000,
        eos_token_id=0,
        decoder_start_token_id=65000,
        max_position_embeddings=512,
        scale_embedding=True,
    )
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(folder)
    GenerationConfig(
        num_beams=4,
        max_new_tokens=OUT_TOKENS,
        min_new_tokens=OUT_TOKENS,
        pad_token_id=65000,
        eos_token_id=0,
        decoder_start_token_id=65000,
        bad_words_ids=[[65000]],
    ).save_pretrained(folder)


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not `ru_maxrss`: Linux keeps that across `exec`, so a
    part started by a parent that had built the model would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw_seconds(translator: Any, texts: list[str]) -> float:
    """The CTranslate2 backend's own batch call on `texts`, pre-tokenized as the stage does and with
    the stage's options; returns the seconds of the call alone."""
    tok = translator._tokenizer
    tokens = [
        tok.convert_ids_to_tokens(
            tok.encode(translator.prefix + t, truncation=True, max_length=translator.window)
        )
        for t in texts
    ]
    start = time.perf_counter()
    translator._model.translate_batch(
        tokens,
        beam_size=translator.beams,
        max_batch_size=translator.token_budget,
        batch_type="tokens",
        min_decoding_length=OUT_TOKENS,
        max_decoding_length=OUT_TOKENS,
    )
    return time.perf_counter() - start


class Recording:
    """The translator as the stage sees it, keeping every batch the stage sends to the model."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.backend = inner, inner.name, inner.backend
        self.calls: list[list[str]] = []

    def translate_batch(self, texts: list[str]) -> list[str]:
        self.calls.append(list(texts))
        return list(self.inner.translate_batch(texts))


def shape(name: str, devset: Path) -> list[list[str]]:
    """The texts of each stage call the shape makes (one list per call)."""
    found = papers(devset)
    if name == "night":
        return [[t for t in p["night"] if t.strip()] for p in found]
    return [[text for _, text in found[0]["body"]]]


def distinct_sentences(calls: list[list[str]]) -> list[str]:
    from alphatree_ingest.mt.text import split_sentences

    return list(dict.fromkeys(s for texts in calls for t in texts for s in split_sentences(t)))


def part(kind: str, name: str, devset: Path, naive: int | None) -> dict[str, Any]:
    from alphatree_ingest.mt.glossary import Glossary
    from alphatree_ingest.mt.marian import MarianTranslator
    from alphatree_ingest.mt.translate import TranslateStage

    calls = shape(name, devset)
    every = distinct_sentences(calls)
    folder = model_folder(devset)
    result: dict[str, Any] = {"sentences": len(every)}
    if kind == "naive":
        import torch
        from transformers import MarianMTModel, MarianTokenizer

        tok = MarianTokenizer.from_pretrained(folder)
        model = MarianMTModel.from_pretrained(folder).eval()
        chosen = every[:: max(1, len(every) // naive)][:naive] if naive else every
        start = time.perf_counter()
        for text in chosen:
            with torch.inference_mode():
                model.generate(**tok([">>cmn_Hans<< " + text], return_tensors="pt", truncation=True))
        result["seconds"] = (time.perf_counter() - start) * len(every) / len(chosen)
        result["timed"] = len(chosen)
        words = sum(len(s.split()) for s in every)
        result["pieces_per_word"] = sum(len(tok(s)["input_ids"]) - 1 for s in every) / max(1, words)
    else:
        translator = MarianTranslator(str(folder), cache_dir=WORK / "cache").load()
        glossary = Glossary.load(REPO / "translations" / "glossary.yaml")
        if kind == "stage":
            recording = Recording(translator)
            stage = TranslateStage(recording, glossary)
            start = time.perf_counter()
            if name == "paper":
                from alphatree_ingest.site import reading

                found = [reading.Part(kind, text) for kind, text in papers(devset)[0]["body"]]
                reading.translate(found, stage)
            else:
                for texts in calls:
                    stage.translate(texts)
            result["seconds"] = time.perf_counter() - start
            result["recovered"] = stage.recovered
            result["calls"] = len(recording.calls)
            result["inputs"] = sum(len(c) for c in recording.calls)
            (WORK / f"sent-{name}.json").write_text(json.dumps(recording.calls))
        else:
            sent = json.loads((WORK / f"sent-{name}.json").read_text())
            result["seconds"] = sum(raw_seconds(translator, texts) for texts in sent)
            result["inputs"] = sum(len(c) for c in sent)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("devset", nargs="?", help="folder of PDFs (default: ../shared/figure-devset)")
    parser.add_argument("--naive", type=int, default=20, help="time naive on N sentences, scale up")
    parser.add_argument("--part", nargs=2, metavar=("KIND", "SHAPE"))
    args = parser.parse_args()
    import data

    devset = data.devset([sys.argv[0]] + ([args.devset] if args.devset else []))
    if args.part:
        print(json.dumps(part(args.part[0], args.part[1], devset, args.naive)))
        return
    print(f"Extracting the devset's papers and building the model (once) under {WORK} ...", flush=True)
    model_folder(devset)
    for name in ("night", "paper"):
        results: dict[str, dict[str, Any]] = {}
        for kind in ("stage", "raw", "naive"):  # raw replays what the stage sent
            cmd = [sys.executable, __file__, str(devset), "--part", kind, name, "--naive", str(args.naive)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            results[kind] = json.loads(out.strip().splitlines()[-1])
        stage, raw, naive = results["stage"], results["raw"], results["naive"]
        n = stage["sentences"]
        what = (
            f"{len(shape(name, devset))} papers, one call each"
            if name == "night"
            else f"one paper, {stage['calls']} calls"
        )
        print(
            f"\n{name}: {n} distinct sentences ({what}); {naive['pieces_per_word']:.2f} source pieces a word"
        )
        print(
            f"  (a) naive   {naive['seconds']:8.1f} s (timed on {naive['timed']}, scaled)  "
            f"peak RSS {naive['peak_rss_mb']:.0f} MB"
        )
        print(
            f"  (b) stage   {stage['seconds']:8.1f} s  {stage['inputs']} model inputs, "
            f"{stage['recovered']} sentence(s) recovered by pieces  peak RSS {stage['peak_rss_mb']:.0f} MB"
        )
        print(
            f"  (c) raw     {raw['seconds']:8.1f} s  the same {raw['inputs']} inputs in the same calls  "
            f"peak RSS {raw['peak_rss_mb']:.0f} MB"
        )
        print(
            f"  stage vs naive: {naive['seconds'] / stage['seconds']:.1f}x   "
            f"stage overhead over raw: {100 * (stage['seconds'] / raw['seconds'] - 1):+.1f}%",
            flush=True,
        )


if __name__ == "__main__":
    main()
