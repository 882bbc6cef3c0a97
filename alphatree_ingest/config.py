"""Settings: one object, read from the environment (and CLI flags), passed down explicitly."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Mapping
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
    """Seconds before a network request is abandoned (`ALPHATREE_HTTP_TIMEOUT`)."""
    http_deadline: float = 120.0
    """Seconds a request may take in total, body included (`ALPHATREE_HTTP_DEADLINE`): a host that
    trickles bytes is abandoned, and the arXiv lock it holds is freed for other runs."""
    retry_delays: tuple[float, ...] = (10.0, 60.0)
    """Seconds before each retry of a network task after a transient fault (`ALPHATREE_RETRY_DELAYS`)."""
    max_pdf_bytes: int = 80 * 1024 * 1024
    """PDFs larger than this are refused."""
    reviewer: str = field(default_factory=getpass.getuser)
    """Name recorded in `provenance.reviewed_by` (`ALPHATREE_REVIEWER`, default: the login)."""
    review_token: str | None = None
    """`ALPHATREE_REVIEW_TOKEN`: the token `review serve` asks for (default: a new one off loopback)."""
    prefect_api_url: str | None = None
    """`PREFECT_API_URL`: with a server, drafts get review runs and CLI decisions resume them."""
    site_url: str = ""
    """`ALPHATREE_SITE_URL`: where the published site is served, for absolute links in its feeds."""
    mermaid_js: str = ""
    """`ALPHATREE_MERMAID_JS`: Mermaid's script (`mermaid.min.js`) for the HTML site; unset: fetched
    once from the npm registry and checked against its pinned hash."""
    npm_registry: str = "https://registry.npmjs.org"
    """`ALPHATREE_NPM_REGISTRY`: where that script is fetched from."""
    hub_endpoint: str = "https://huggingface.co"
    """`HF_ENDPOINT`: where models named by hub id are downloaded from."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read `ALPHATREE_*` (and `PREFECT_API_URL`, `HF_ENDPOINT`); keyword overrides (CLI flags)
        win. The only place that reads the environment. Raises SettingsError."""
        env = dict(os.environ if env is None else env)
        home = Path(env["ALPHATREE_HOME"]) if env.get("ALPHATREE_HOME") else overrides.get("home")
        for variable, value in tree_settings(Path(str(home)) if home else Path.cwd()).items():
            if not env.get(variable):  # the environment wins
                env[variable] = value
        values: dict[str, object] = {}
        for variable, (name, parse) in _VARIABLES.items():
            raw = env.get(variable)
            if not raw:
                continue
            try:
                values[name] = parse(raw)
            except ValueError:
                raise SettingsError(f"{variable} must be {_EXPECTED[parse]}, not {raw!r}.") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse settings that would break arXiv's terms or cannot work."""
        if self.arxiv_delay < 0:
            raise SettingsError("ALPHATREE_ARXIV_DELAY cannot be negative.")
        if urlparse(self.arxiv_api).scheme not in {"http", "https"}:
            raise SettingsError(f"ALPHATREE_ARXIV_API must be an http(s) URL, not {self.arxiv_api!r}.")
        if self.http_timeout <= 0:
            raise SettingsError("ALPHATREE_HTTP_TIMEOUT must be a positive number of seconds.")
        if self.http_deadline <= 0:
            raise SettingsError("ALPHATREE_HTTP_DEADLINE must be a positive number of seconds.")
        if any(d < 0 for d in self.retry_delays):
            raise SettingsError("ALPHATREE_RETRY_DELAYS cannot be negative.")
        if self.mt_backend not in {"auto", "transformers", "ctranslate2"}:
            raise SettingsError(
                "ALPHATREE_MT_BACKEND must be 'ctranslate2', 'transformers' or 'auto', "
                f"not {self.mt_backend!r}."
            )

    def check_arxiv_politeness(self) -> None:
        """Refuse a delay under arXiv's limit for a real arXiv host. Checked by the commands that
        contact arXiv (ingest, serve, deploy), not by those that never do (translate, review, publish)."""
        if self.arxiv_delay < ARXIV_MIN_DELAY and not _is_loopback(self.arxiv_api):
            raise SettingsError(
                f"ALPHATREE_ARXIV_DELAY={self.arxiv_delay:g} is below arXiv's limit of one request "
                f"every {ARXIV_MIN_DELAY:g} s; only loopback test servers may use a shorter delay."
            )

    # Paths under the tree's root.
    @property
    def catalog_dir(self) -> Path:
        return self.home / "catalog"

    @property
    def translations_dir(self) -> Path:
        return self.home / "translations"

    @property
    def glossary_path(self) -> Path:
        """`translations/glossary.yaml`: terms kept as they are, or with a fixed Chinese rendering."""
        return self.translations_dir / "glossary.yaml"

    @property
    def memory_path(self) -> Path:
        """`translations/memory.jsonl`: the translation memory."""
        return self.translations_dir / "memory.jsonl"

    @property
    def prompts_dir(self) -> Path:
        """Templates: the tree's own `prompts/` when present, else the ones shipped with the package."""
        own = self.home / "prompts"
        if own.is_dir():
            return own
        return packaged_prompts()

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def site_dir(self) -> Path:
        return self.home / "site"


TREE_SETTINGS = "alphatree.env"
"""A tree's own settings file: `NAME=value` lines for the variables in `TREE_VARIABLES`."""
TREE_VARIABLES = ("ALPHATREE_MT_MODEL", "ALPHATREE_MT_BACKEND", "ALPHATREE_MT_TARGET")
"""What a tree may remember (its translation model): a tree copied from elsewhere cannot redirect
arXiv, GitHub or tokens."""


def tree_settings(home: Path) -> dict[str, str]:
    """The settings a tree remembers in `<home>/alphatree.env` (`alphatree demo` writes its model
    there); {} without the file. A value starting `./` or `../` is relative to the tree. Raises
    SettingsError naming the file and line."""
    path = home / TREE_SETTINGS
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except (OSError, UnicodeDecodeError) as err:
        raise SettingsError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = (part.strip() for part in line.partition("="))
        if not sep or name not in TREE_VARIABLES:
            raise SettingsError(
                f"{path} line {number}: a tree remembers only {', '.join(TREE_VARIABLES)} (NAME=value)"
            )
        if value.startswith(("./", "../")):
            value = str((home / value).resolve())
        found[name] = value
    return found


def packaged_prompts() -> Path:
    """The templates installed with the package (`alphatree_ingest.prompts`, mapped from `prompts/`)."""
    from importlib.resources import files

    return Path(str(files("alphatree_ingest.prompts")))


def _delays(raw: str) -> tuple[float, ...]:
    return tuple(float(part) for part in raw.split(",") if part.strip())


def _text(raw: str) -> str:
    return raw


_VARIABLES: dict[str, tuple[str, Callable[[str], object]]] = {
    "ALPHATREE_HOME": ("home", Path),
    "ALPHATREE_ARXIV_API": ("arxiv_api", _text),
    "ALPHATREE_ARXIV_DELAY": ("arxiv_delay", float),
    "ALPHATREE_MT_MODEL": ("mt_model", _text),
    "ALPHATREE_MT_BACKEND": ("mt_backend", _text),
    "ALPHATREE_MT_TARGET": ("mt_target", _text),
    "ALPHATREE_PREFECT_LIMIT": ("prefect_limit", _text),
    "ALPHATREE_GITHUB_API": ("github_api", _text),
    "ALPHATREE_GITHUB_TOKEN": ("github_token", _text),
    "ALPHATREE_HTTP_TIMEOUT": ("http_timeout", float),
    "ALPHATREE_HTTP_DEADLINE": ("http_deadline", float),
    "ALPHATREE_SITE_URL": ("site_url", _text),
    "ALPHATREE_MERMAID_JS": ("mermaid_js", _text),
    "ALPHATREE_NPM_REGISTRY": ("npm_registry", _text),
    "ALPHATREE_RETRY_DELAYS": ("retry_delays", _delays),
    "ALPHATREE_REVIEWER": ("reviewer", _text),
    "ALPHATREE_REVIEW_TOKEN": ("review_token", _text),
    "PREFECT_API_URL": ("prefect_api_url", _text),
    "HF_ENDPOINT": ("hub_endpoint", _text),
}
"""Environment variable -> (settings field, parser)."""
_EXPECTED: dict[Callable[[str], object], str] = {
    float: "a number of seconds",
    _delays: "comma-separated seconds such as 10,60",
    Path: "a path",
    _text: "text",
}
