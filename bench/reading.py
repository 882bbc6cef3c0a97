"""Reading page (`alphatree read`) on a real paper with a full-size random-weight Marian, in one run.

Usage: python bench/reading.py [PDF]   (default: the first devset paper)
Model: bench/translate.py's random-weight MarianMT of opus-mt-en-zh's exact shape (beams 4), forced to
64 output tokens a sentence. Times, each in its own process (peak RSS per process):
  stage: the reading page's translation, section by section through `TranslateStage` with a memory;
  raw:   the CTranslate2 backend's own batch call on the same distinct sentences, as the stage sends them;
  rerun: the same paper with one paragraph changed (only its sentences go to the model).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import data  # noqa: E402
from translate import OUT_TOKENS, build, raw_seconds, sentences  # noqa: E402

WORK = Path("/tmp/alphatree-bench-reading")


def _parts(pdf: Path) -> list:  # type: ignore[type-arg]
    from alphatree_ingest import reading
    from alphatree_ingest.extract import extract

    extraction = extract(pdf)
    return reading.parts(pdf, {f.number: (f.page, f.bbox) for f in extraction.figures})


def run(kind: str, pdf: Path) -> dict[str, float]:
    from alphatree_ingest import reading
    from alphatree_ingest.glossary import Glossary
    from alphatree_ingest.marian import MarianTranslator
    from alphatree_ingest.memory import TranslationMemory
    from alphatree_ingest.text import protect, split_sentences
    from alphatree_ingest.translate import TranslateStage

    translator = MarianTranslator(str(WORK / "model"), cache_dir=WORK / "cache").load()
    found = _parts(pdf)
    if kind == "rerun":
        paragraph = next(p for p in found if p.kind == "paragraph" and len(split_sentences(p.text)) >= 3)
        paragraph.text = "In this version we rewrote one paragraph. " + paragraph.text
    distinct = list(
        dict.fromkeys(s for p in found if p.kind != "figure" for s in split_sentences(p.text) or [p.text])
    )
    tokens = sum(len(translator.tokens(s)) for s in distinct)
    if kind == "raw":
        seconds = raw_seconds(translator, [protect(s, Glossary()).text for s in distinct])
        sent = len(distinct)
    else:
        stage = TranslateStage(translator, Glossary(), TranslationMemory(WORK / "memory.jsonl"))
        start = time.perf_counter()
        reading.translate(found, stage)
        seconds = time.perf_counter() - start
        sent = stage.translated
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "distinct": len(distinct), "sent": sent, "tokens": tokens, "rss": rss}


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--part":
        print(json.dumps(run(sys.argv[2], Path(sys.argv[3]))))
        return 0
    pdf = Path(sys.argv[1]) if len(sys.argv) > 1 else sorted(data.devset([sys.argv[0]]).glob("*.pdf"))[0]
    if not (WORK / "model" / "model.safetensors").exists():
        build(WORK / "model", sentences(200))
    (WORK / "memory.jsonl").unlink(missing_ok=True)
    results = {}
    for kind in ("raw", "stage", "rerun"):  # raw first: it converts the model once for all
        out = subprocess.run(
            [sys.executable, __file__, "--part", kind, str(pdf)], check=True, capture_output=True, text=True
        )
        results[kind] = r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{kind:>5}: {r['seconds']:7.1f} s, {r['sent']} of {r['distinct']} distinct sentences to the "
            "model "
            f"({r['tokens']} source tokens, {r['sent'] * OUT_TOKENS / r['seconds']:.0f} out tok/s), "
            f"peak RSS {r['rss']:.0f} MB",
            flush=True,
        )
    overhead = results["stage"]["seconds"] / results["raw"]["seconds"] - 1
    print(f"{pdf.name}: stage overhead over the raw engine {100 * overhead:+.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
