"""Reading page (`alphatree read`) on a real paper with a full-size random-weight Marian, in one run.

Usage: python bench/reading.py [PDF] [--repeat=2]   (default: the first devset paper; each timing is
the best of --repeat runs, the rerun's excepted)
Model: bench/translate.py's random-weight MarianMT of opus-mt-en-zh's exact shape (beams 4, a 16k source
vocabulary trained on the devset's text), forced to 64 output tokens a sentence. Times, each in its own
process (peak RSS per process):
  stage: the reading page's translation, section by section through `TranslateStage` with a memory,
         recording every input it sends to the model;
  raw:   the CTranslate2 backend's own batch call (a) on the same distinct sentences, protected as the
         stage protects them, and (b) on everything the stage sent, the piece-by-piece recovery of
         sentences whose placeholders the model mangled included: (b) is the same model work, so
         stage / (b) is the stage's own overhead, and (b) / (a) what recovery cost on this model;
  rerun: the same paper with one paragraph changed (only its sentences go to the model).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import data  # noqa: E402
from translate import Recording, model_folder, peak_rss_mb, raw_seconds  # noqa: E402

WORK = Path("/tmp/alphatree-bench-reading")


def run(kind: str, pdf: Path, repeat: int) -> dict[str, float]:
    """One part; its timings are the best of `repeat` (the machine's noise is of the size measured)."""
    from alphatree_ingest.mt.glossary import Glossary
    from alphatree_ingest.mt.marian import MarianTranslator
    from alphatree_ingest.mt.memory import TranslationMemory
    from alphatree_ingest.mt.text import protect, split_sentences
    from alphatree_ingest.mt.translate import TranslateStage
    from alphatree_ingest.site import reading

    translator = MarianTranslator(str(model_folder()), cache_dir=WORK / "cache").load()
    found = reading.parts_of(pdf)
    if kind == "rerun":
        paragraph = next(p for p in found if p.kind == "paragraph" and len(split_sentences(p.text)) >= 3)
        paragraph.text = "In this version we rewrote one paragraph. " + paragraph.text
    distinct = list(
        dict.fromkeys(s for p in found if p.kind != "figure" for s in split_sentences(p.text) or [p.text])
    )
    tokens = sum(len(translator.tokens(s)) for s in distinct)
    result: dict[str, float] = {"distinct": len(distinct), "tokens": tokens}
    if kind == "raw":
        first_pass = [protect(s, Glossary()).text for s in distinct]
        result["seconds"] = min(raw_seconds(translator, first_pass) for _ in range(repeat))
        result["sent"] = len(first_pass)
        sent = json.loads((WORK / "sent.json").read_text())  # everything the stage sent, recovery too
        result["same_work_seconds"] = min(raw_seconds(translator, sent) for _ in range(repeat))
        result["same_work_sent"] = len(sent)
    else:
        times = []
        for attempt in range(repeat if kind == "stage" else 1):
            memory = WORK / ("memory.jsonl" if attempt == 0 else f"memory-{attempt}.jsonl")
            if attempt:
                memory.unlink(missing_ok=True)  # a repeat starts from an empty memory, as the first did
            found = reading.parts_of(pdf) if attempt else found
            recording = Recording(translator)
            stage = TranslateStage(recording, Glossary(), TranslationMemory(memory))
            start = time.perf_counter()
            reading.translate(found, stage)
            times.append(time.perf_counter() - start)
            if attempt == 0:
                result["sent"] = stage.translated
                sent = [text for call in recording.calls for text in call]
                result["model_inputs"] = len(sent)
                result["recovered"] = stage.recovered
                if kind == "stage":
                    (WORK / "sent.json").write_text(json.dumps(sent))
        result["seconds"] = min(times)
    result["rss"] = peak_rss_mb()
    return result


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--part":
        print(json.dumps(run(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))))
        return 0
    args = [a for a in sys.argv[1:] if not a.startswith("--repeat=")]
    repeat = next((int(a.split("=")[1]) for a in sys.argv[1:] if a.startswith("--repeat=")), 2)
    pdf = Path(args[0]) if args else sorted(data.devset([sys.argv[0]]).glob("*.pdf"))[0]
    WORK.mkdir(parents=True, exist_ok=True)
    model_folder(data.devset([sys.argv[0]]))  # built once, its vocabulary from the devset's text
    (WORK / "memory.jsonl").unlink(missing_ok=True)
    results = {}
    for kind in ("stage", "raw", "rerun"):  # raw replays what the stage sent to the model
        out = subprocess.run(
            [sys.executable, __file__, "--part", kind, str(pdf), str(repeat)],
            check=True,
            capture_output=True,
            text=True,
        )
        results[kind] = r = json.loads(out.stdout.strip().splitlines()[-1])
        extra = ""
        if kind != "raw":
            extra = f"; {r['model_inputs']} model inputs, {r['recovered']} sentence(s) recovered by pieces"
        print(
            f"{kind:>5}: {r['seconds']:7.1f} s, {r['sent']} of {r['distinct']} distinct sentences to the "
            f"model ({r['tokens']} source tokens), peak RSS {r['rss']:.0f} MB{extra}",
            flush=True,
        )
    raw, stage = results["raw"], results["stage"]
    print(
        f"  raw engine on everything the stage sent ({raw['same_work_sent']} inputs, recovery included): "
        f"{raw['same_work_seconds']:.1f} s"
    )
    same = stage["seconds"] / raw["same_work_seconds"] - 1
    total = stage["seconds"] / raw["seconds"] - 1
    print(f"{pdf.name}: stage overhead over the raw engine doing the same model work {100 * same:+.1f}%")
    print(
        f"{pdf.name}: stage time over the raw engine on the sentences alone {100 * total:+.1f}% "
        "(the difference is the piece-by-piece recovery of sentences whose placeholders the model mangled)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
