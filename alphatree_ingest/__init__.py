"""alphatree-ingest: keep the AlphaTree paper tree current, from arXiv to reviewed Chinese entries."""

from __future__ import annotations

__version__ = "0.1.0"
