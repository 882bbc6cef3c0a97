"""Settings: one object, read from the environment (and CLI flags), passed down explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_ARXIV_API = "https://export.arxiv.org/api/query"
DEFAULT_MT_MODEL = "Helsinki-NLP/opus-mt-en-zh"
DEFAULT_GITHUB_API = "https://api.github.com"
ARXIV_MIN_DELAY = 3.0
"""arXiv's terms of use: no more than one request every three seconds."""


class SettingsError(ValueError):
    """A setting has a value the pipeline cannot work with; the message says which and why."""


def _is_loopback(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host in {"localhost", "::1"} or host.startswith("127.")


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the defaults of DESIGN.md."""

    home: Path = field(default_factory=Path.cwd)
    """Root of the tree: holds `catalog/` and `translations/`."""
    arxiv_api: str = DEFAULT_ARXIV_API
    """arXiv query endpoint (Atom)."""
    arxiv_delay: float = ARXIV_MIN_DELAY
    """Seconds between the starts of two requests to arXiv hosts."""
    mt_model: str = DEFAULT_MT_MODEL
    """MarianMT model name on the Hugging Face hub, or a local folder."""
    mt_backend: str = "auto"
    """Translation backend: `ctranslate2` (int8), `transformers`, or `auto` (CTranslate2 when installed)."""
    mt_target: str = "cmn_Hans"
    """Target-language token for multi-target models (`>>cmn_Hans<<`); unused by models without one."""
    prefect_limit: str | None = None
    """Name of a Prefect global concurrency limit (with slot decay) that every machine's arXiv traffic
    shares; only with a Prefect server. Unset: the on-machine lock alone."""
    github_api: str = DEFAULT_GITHUB_API
    """GitHub REST API base, for implementation checks."""
    github_token: str | None = None
    """Optional token for the GitHub API."""
    http_timeout: float = 60.0
    """Seconds before a network request is abandoned."""
    max_pdf_bytes: int = 80 * 1024 * 1024
    """PDFs larger than this are refused."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Read `ALPHATREE_*` variables; keyword overrides (CLI flags) win. Raises SettingsError."""
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {}
        if env.get("ALPHATREE_HOME"):
            values["home"] = Path(env["ALPHATREE_HOME"])
        if env.get("ALPHATREE_ARXIV_API"):
            values["arxiv_api"] = env["ALPHATREE_ARXIV_API"]
        if env.get("ALPHATREE_ARXIV_DELAY"):
            raw = env["ALPHATREE_ARXIV_DELAY"]
            try:
                values["arxiv_delay"] = float(raw)
            except ValueError:
                raise SettingsError(
                    f"ALPHATREE_ARXIV_DELAY must be a number of seconds, not {raw!r}."
                ) from None
        if env.get("ALPHATREE_MT_MODEL"):
            values["mt_model"] = env["ALPHATREE_MT_MODEL"]
        if env.get("ALPHATREE_MT_BACKEND"):
            values["mt_backend"] = env["ALPHATREE_MT_BACKEND"]
        if env.get("ALPHATREE_MT_TARGET"):
            values["mt_target"] = env["ALPHATREE_MT_TARGET"]
        if env.get("ALPHATREE_PREFECT_LIMIT"):
            values["prefect_limit"] = env["ALPHATREE_PREFECT_LIMIT"]
        if env.get("ALPHATREE_GITHUB_API"):
            values["github_api"] = env["ALPHATREE_GITHUB_API"]
        if env.get("ALPHATREE_GITHUB_TOKEN"):
            values["github_token"] = env["ALPHATREE_GITHUB_TOKEN"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse settings that would break arXiv's terms or cannot work."""
        if self.arxiv_delay < 0:
            raise SettingsError("ALPHATREE_ARXIV_DELAY cannot be negative.")
        if self.arxiv_delay < ARXIV_MIN_DELAY and not _is_loopback(self.arxiv_api):
            raise SettingsError(
                f"ALPHATREE_ARXIV_DELAY={self.arxiv_delay:g} is below arXiv's limit of one request "
                f"every {ARXIV_MIN_DELAY:g} s; only loopback test servers may use a shorter delay."
            )
        if urlparse(self.arxiv_api).scheme not in {"http", "https"}:
            raise SettingsError(f"ALPHATREE_ARXIV_API must be an http(s) URL, not {self.arxiv_api!r}.")
        if self.mt_backend not in {"auto", "transformers", "ctranslate2"}:
            raise SettingsError(
                "ALPHATREE_MT_BACKEND must be 'ctranslate2', 'transformers' or 'auto', "
                f"not {self.mt_backend!r}."
            )

    # Paths under the tree's root.
    @property
    def catalog_dir(self) -> Path:
        return self.home / "catalog"

    @property
    def translations_dir(self) -> Path:
        return self.home / "translations"

    @property
    def prompts_dir(self) -> Path:
        """Templates: the tree's own `prompts/` when present, else the ones shipped with the package."""
        own = self.home / "prompts"
        if own.is_dir():
            return own
        return Path(__file__).resolve().parent.parent / "prompts"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def site_dir(self) -> Path:
        return self.home / "site"
