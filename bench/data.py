"""Where the benches find their data: the folder given on the command line, else the devset beside
the checkout. A bench without its data stops with one sentence and status 2, never scoring nothing."""

from __future__ import annotations

import sys
from pathlib import Path

DEVSET = Path(__file__).resolve().parent.parent.parent / "shared" / "figure-devset"


def devset(argv: list[str], *, need: str = "*.pdf") -> Path:
    """The folder of argv[1] (or DEVSET); exits with status 2 when it holds no `need` files."""
    folder = Path(argv[1]) if len(argv) > 1 else DEVSET
    if not folder.is_dir() or not any(folder.glob(need)):
        print(
            f"error: no devset at {folder} (no {need} there); give the folder: python {argv[0]} FOLDER",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return folder
