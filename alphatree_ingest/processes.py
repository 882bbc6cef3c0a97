"""The processes a run leaves behind: Prefect's temporary API server must not outlive its run.

Prefect starts a temporary server (a `uvicorn` child marked `PREFECT__SERVER_EPHEMERAL=1`) for flow
runs without `PREFECT_API_URL`, and stops it at exit. A SIGTERM that kills the process outright
skips that, and a `kill -9` always does; `stop_on_sigterm` covers the first, `reap_orphan_servers`
(run at the start of the next command) the second.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType

_MARK = b"PREFECT__SERVER_EPHEMERAL=1"
_APP = b"prefect.server.api.server:create_app"


def stop_on_sigterm() -> None:
    """SIGTERM becomes SystemExit(143): `finally` blocks, lock releases and Prefect's own exit hook
    (which stops the temporary server) run, within seconds."""

    def _exit(signum: int, frame: FrameType | None) -> None:
        print("alphatree: stopping (SIGTERM)", file=sys.stderr)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def orphan_servers(proc: Path = Path("/proc")) -> list[int]:
    """Temporary Prefect servers of this user whose run is gone (they were re-parented to init)."""
    found: list[int] = []
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent != 1 or _APP not in (entry / "cmdline").read_bytes():
                continue
            if _MARK in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
    return found


def reap_orphan_servers() -> list[int]:
    """Stop temporary Prefect servers left running by killed runs; returns their process ids."""
    stopped = []
    for pid in orphan_servers():
        try:
            os.kill(pid, signal.SIGTERM)
            stopped.append(pid)
        except OSError:
            continue
    return stopped
