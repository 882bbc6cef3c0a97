"""The processes a run leaves behind: Prefect's temporary API server must not outlive its run.

Prefect starts a temporary server (a `uvicorn` child marked `PREFECT__SERVER_EPHEMERAL=1`) for flow
runs without `PREFECT_API_URL`, and stops it at exit. A SIGTERM that kills the process outright
skips that, and a `kill -9` always does; `stop_on_sigterm` covers the first, `reap_orphan_servers`
(run at the start of the next command) the second. Only servers an `alphatree` command started are
touched: `mark_servers` puts the command's process id into the environment its server inherits, and
a server is an orphan when that process is gone. Another program's temporary server is never ours.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType

_MARK = b"PREFECT__SERVER_EPHEMERAL=1"
_APP = b"prefect.server.api.server:create_app"
OWNER = "ALPHATREE_RUN_PID"
"""The environment variable naming the `alphatree` process a temporary server was started by."""


def mark_servers() -> None:
    """Temporary Prefect servers this process starts carry its process id (they inherit the
    environment), so a later command knows them as an `alphatree` run's, and whether that run is gone."""
    os.environ[OWNER] = str(os.getpid())


def _alive(pid: int, proc: Path) -> bool:
    """Whether process `pid` runs (a zombie, dead but not yet waited for, does not)."""
    try:
        state = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def stop_on_sigterm() -> None:
    """SIGTERM becomes SystemExit(143): `finally` blocks, lock releases and Prefect's own exit hook
    (which stops the temporary server) run, within seconds."""

    def _exit(signum: int, frame: FrameType | None) -> None:
        print("alphatree: stopping (SIGTERM)", file=sys.stderr)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def orphan_servers(proc: Path = Path("/proc")) -> list[int]:
    """Temporary Prefect servers started by `alphatree` commands of this user that are gone."""
    found: list[int] = []
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != os.getuid() or _APP not in (entry / "cmdline").read_bytes():
                continue
            environ = (entry / "environ").read_bytes().split(b"\0")
            owners = [v for v in environ if v.startswith(OWNER.encode() + b"=")]
            if _MARK not in environ or not owners:
                continue  # not temporary, or not started by an alphatree command
            owner = int(owners[0].split(b"=", 1)[1])
            if owner != os.getpid() and not _alive(owner, proc):
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
