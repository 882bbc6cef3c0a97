"""The site's own copy of Mermaid's script, so its lineage graphs draw from any static host and from
disk, offline included.

The script is the `dist/mermaid.min.js` of one pinned Mermaid release, taken from the npm registry's
tarball (the registry every package install already reaches) and checked against the registry's
published sha512 before it is kept in the cache. `ALPHATREE_MERMAID_JS` names a copy instead. Without
either, the pages load Mermaid from a CDN and draw their graphs only online; publish says so.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..catalog import atomic_write
from ..config import Settings

VERSION = "11.12.1"
INTEGRITY = "sha512-UlIZrRariB11TY1RtTgUWp65tphtBv4CSq7vyS2ZZ2TgoMjs2nloq+wFqxiwcxlhHUvs7DPGgMjs2aeQxz5h9g=="
"""The registry's integrity string for mermaid-VERSION.tgz (`npm view mermaid@VERSION dist.integrity`)."""
MEMBER = "package/dist/mermaid.min.js"
TIMEOUT = 60.0


CDN_NOTE = (
    "the HTML pages load it from a CDN, so their lineage graphs draw only online "
    "(set ALPHATREE_MERMAID_JS to a mermaid.min.js)"
)


class AssetError(RuntimeError):
    pass


@dataclass(frozen=True)
class Mermaid:
    script: Path | None
    """The file to copy into the site, or None: the pages load Mermaid from the CDN."""
    note: str = ""
    """Said to the user when the script is not the site's own."""


def cached_script(settings: Settings) -> Path:
    return settings.cache_dir / "mermaid" / f"mermaid-{VERSION}.min.js"


def mermaid(settings: Settings, say: Callable[[str], None] | None = None) -> Mermaid:
    """Mermaid's script for the site: the user's copy, the cached one, or fetched once and verified."""
    if settings.mermaid_js:
        given = Path(settings.mermaid_js).expanduser()
        if not given.is_file():
            raise AssetError(f"ALPHATREE_MERMAID_JS={settings.mermaid_js} is not a file")
        return Mermaid(given)
    cached = cached_script(settings)
    if cached.is_file():
        return Mermaid(cached)
    url = f"{settings.npm_registry.rstrip('/')}/mermaid/-/mermaid-{VERSION}.tgz"
    if say is not None:
        say(f"Fetching Mermaid {VERSION} for the site's graphs (about 14 MB, once) from {url} ...")
    try:
        script = _script_from(_download(url))
    except (OSError, AssetError, tarfile.TarError) as err:
        return Mermaid(None, f"Mermaid's script could not be fetched ({err}); " + CDN_NOTE)
    try:
        atomic_write(cached, script)
    except OSError as err:
        return Mermaid(
            None, f"Mermaid's script cannot be kept in {cached.parent} ({err.strerror}); " + CDN_NOTE
        )
    return Mermaid(cached)


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:  # noqa: S310 - an https URL we build
        data: bytes = answer.read()
    algorithm, _, expected = INTEGRITY.partition("-")
    if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != expected:
        raise AssetError(f"{url} does not match Mermaid {VERSION}'s published {algorithm}")
    return data


def _script_from(tarball: bytes) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile(MEMBER)
        if member is None:
            raise AssetError(f"the Mermaid {VERSION} package has no {MEMBER}")
        return member.read()
