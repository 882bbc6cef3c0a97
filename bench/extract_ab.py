"""Extraction speed of two checkouts, side by side: is a change slower?

Usage: python bench/extract_ab.py CHECKOUT_A CHECKOUT_B [--rounds N] [--pdfs DIR]

Each round extracts every PDF of DIR (default ../shared/figure-devset) with PNGs, as `alphatree
extract --out` does, twice in a fresh process per checkout (`PYTHONPATH` set to it), A then B; a
round's time is the faster of its two passes. Prints every round and each checkout's best and median
over N rounds (default 5), and B's best against A's. Alternating the checkouts in one run spreads the
machine's noise (other jobs, a neighbour's load) over both, where two runs of `extract_speed.py` an
hour apart may differ by a tenth.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import data  # noqa: E402

ONE_ROUND = """
import sys, tempfile, time
from pathlib import Path
from alphatree_ingest.pdf.extract import extract
pdfs = sorted(Path(sys.argv[1]).glob("*.pdf"))
best = float("inf")
for _ in range(2):
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        for pdf in pdfs:
            extract(pdf, Path(out) / pdf.stem)
        best = min(best, time.perf_counter() - start)
print(best)
"""


def one_round(checkout: Path, pdfs: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, "-c", ONE_ROUND, str(pdfs)], env=env, cwd=checkout, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"error: extraction failed in {checkout}:\n{done.stderr.strip()}")
    return float(done.stdout.strip())


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("takes a positive whole number")
    return int(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs=2, type=Path, metavar="CHECKOUT", help="A, then B")
    parser.add_argument("--rounds", type=_positive, default=5)
    parser.add_argument("--pdfs", default="", help="a folder of PDFs (default ../shared/figure-devset)")
    args = parser.parse_args(argv)
    checkouts = [c.resolve() for c in args.checkouts]
    if not all((c / "alphatree_ingest").is_dir() for c in checkouts):
        print("error: give two checkouts (folders with alphatree_ingest/ in them)", file=sys.stderr)
        return 2
    usage = "bench/extract_ab.py A B --pdfs"
    pdfs = data.devset([usage, args.pdfs] if args.pdfs else [usage], need="*.pdf")
    times: dict[Path, list[float]] = {c: [] for c in checkouts}
    for n in range(1, args.rounds + 1):
        for checkout in checkouts:
            times[checkout].append(one_round(checkout, pdfs))
        a, b = (times[c][-1] for c in checkouts)
        print(f"round {n}: A {a:.2f} s, B {b:.2f} s", flush=True)
    for name, checkout in zip("AB", checkouts, strict=True):
        ts = times[checkout]
        print(f"{name} {checkout}: best {min(ts):.2f} s, median {statistics.median(ts):.2f} s")
    a, b = (min(times[c]) for c in checkouts)
    print(f"B against A (best): {b / a:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
