"""Translation speed: naive transformers vs our translate stage vs the raw backend, in one run.

Usage: python bench/translate.py [--sentences 200] [--naive N]
Builds a random-weight MarianMT of opus-mt-en-zh's exact shape (d_model 512, 6+6 layers, 8 heads,
FFN 2048, vocabulary 65,001, beams 4) whose generation config forces 64 output tokens (EOS suppressed
until then), then times, each in its own process (peak RSS per process):
  (a) naive: transformers, one sentence per `generate` call, at the model's beams;
  (b) stage: `TranslateStage` over the default backend (what `alphatree translate` runs);
  (c) raw:   the backend's own batch call on the same sentences.
`--naive N` times (a) on the first N sentences only and scales to all (it is the slow one).
Sentences carry no protected spans, so (b) does the same model work as (a) and (c).
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

WORDS = (
    "we propose a new method that learns robust representations from large image collections and improves "
    "the quality of generated samples while the training remains stable across many different settings "
    "our approach combines attention with convolution so that the network captures both local detail and "
    "global structure in each layer experiments show consistent gains over strong baselines on several "
    "benchmarks and the analysis explains why the proposed objective reduces mode collapse in practice"
).split()
OUT_TOKENS = 64


def sentences(n: int) -> list[str]:
    rng = random.Random(7)
    return [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(14, 30))).capitalize() + "." for _ in range(n)
    ]


def build(folder: Path, texts: list[str]) -> None:
    import sentencepiece as spm
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("source", "target"):
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(texts * 3),
            model_writer=model,
            vocab_size=300,
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


def part(name: str, folder: Path, cache: Path, texts: list[str]) -> dict[str, float]:
    from alphatree_ingest.glossary import Glossary
    from alphatree_ingest.marian import MarianTranslator
    from alphatree_ingest.translate import TranslateStage

    if name == "naive":
        import torch
        from transformers import MarianMTModel, MarianTokenizer

        tok = MarianTokenizer.from_pretrained(folder)
        model = MarianMTModel.from_pretrained(folder).eval()
        start = time.perf_counter()
        for text in texts:
            with torch.inference_mode():
                model.generate(**tok([">>cmn_Hans<< " + text], return_tensors="pt"))
        seconds = time.perf_counter() - start
    else:
        translator = MarianTranslator(str(folder), cache_dir=cache).load()
        if name == "stage":
            stage = TranslateStage(translator, Glossary())
            start = time.perf_counter()
            out = stage.translate(texts)
            seconds = time.perf_counter() - start
            assert len(out) == len(texts) and stage.model_calls == 1, stage.model_calls
        else:
            seconds = raw_seconds(translator, texts)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "sentences": len(texts), "peak_rss_mb": rss}


def raw_seconds(translator: Any, texts: list[str]) -> float:
    """The CTranslate2 backend's own batch call on `texts`, pre-tokenized as the stage does and with
    the stage's options; returns the seconds of the call alone."""
    tok = translator._tokenizer
    tokens = [tok.convert_ids_to_tokens(tok.encode(translator.prefix + t)) for t in texts]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--naive", type=int, default=None, help="time naive on N sentences, scale up")
    parser.add_argument("--part", choices=["naive", "stage", "raw"])
    parser.add_argument("--work", default="/tmp/alphatree-bench-translate")
    args = parser.parse_args()
    work = Path(args.work)
    texts = sentences(args.sentences)
    if args.part:
        chosen = texts[: args.naive] if args.part == "naive" and args.naive else texts
        print(json.dumps(part(args.part, work / "model", work / "cache", chosen)))
        return
    if not (work / "model" / "model.safetensors").exists():
        build(work / "model", texts)
    results = {}
    for name in ("raw", "stage", "naive"):  # raw first: it converts the model once for both
        cmd = [
            sys.executable,
            __file__,
            "--part",
            name,
            "--sentences",
            str(args.sentences),
            "--work",
            str(work),
        ]
        if args.naive:
            cmd += ["--naive", str(args.naive)]
        line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        results[name] = json.loads(line)
        r = results[name]
        rate = r["sentences"] * OUT_TOKENS / r["seconds"]
        print(
            f"{name:>6}: {r['seconds']:8.2f} s for {r['sentences']} sentences, {rate:7.1f} out tok/s, "
            f"peak RSS {r['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    per = {k: v["seconds"] / v["sentences"] for k, v in results.items()}
    ratio_naive, ratio_raw = per["naive"] / per["stage"], per["raw"] / per["stage"]
    print(f"stage vs naive: {ratio_naive:.1f}x   stage vs raw backend: {ratio_raw:.2f}")


if __name__ == "__main__":
    main()
