"""Sentences per model batch: time and peak memory of a whole paper's reading-page translation.

Usage: python bench/batch_size.py [PDF] [--sizes=16,24,32]   (default: the first devset paper)
Model: bench/translate.py's random-weight MarianMT of opus-mt-en-zh's shape (beams 4, 64 output tokens
forced). Each size runs in its own process: the paper is extracted, the model loaded, then every
sentence goes through `TranslateStage` with `MarianTranslator(max_batch=N)` (the default is 24). The
decoder's memory grows with sentences x beams x output length; smaller batches cost some throughput.
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
from translate import WORK, model_folder, peak_rss_mb  # noqa: E402


def part(pdf: Path, size: int) -> dict[str, float]:
    from alphatree_ingest.mt.glossary import Glossary
    from alphatree_ingest.mt.marian import MarianTranslator
    from alphatree_ingest.mt.translate import TranslateStage
    from alphatree_ingest.site import reading

    found = reading.parts_of(pdf)
    translator = MarianTranslator(str(model_folder()), cache_dir=WORK / "cache", max_batch=size).load()
    loaded = peak_rss_mb()
    start = time.perf_counter()
    reading.translate(found, TranslateStage(translator, Glossary()))
    return {"seconds": time.perf_counter() - start, "loaded": loaded, "peak": peak_rss_mb()}


def main() -> int:
    if len(sys.argv) > 3 and sys.argv[1] == "--part":
        print(json.dumps(part(Path(sys.argv[2]), int(sys.argv[3]))))
        return 0
    args = [a for a in sys.argv[1:] if not a.startswith("--sizes=")]
    sizes = next((a.split("=")[1] for a in sys.argv[1:] if a.startswith("--sizes=")), "16,24,32")
    pdf = Path(args[0]) if args else sorted(data.devset([sys.argv[0]]).glob("*.pdf"))[0]
    model_folder(data.devset([sys.argv[0]]))
    for size in (int(s) for s in sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--part", str(pdf), str(size)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{pdf.name}, at most {size:>2} sentences a batch: {r['seconds']:5.1f} s, "
            f"peak RSS {r['peak']:.0f} MB ({r['loaded']:.0f} MB once loaded)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
