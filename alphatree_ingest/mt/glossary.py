"""The glossary in `translations/glossary.yaml`: terms kept as they are, or with a fixed Chinese rendering."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Glossary:
    """`terms` maps an English term to its Chinese rendering, or to None when it is kept as is."""

    terms: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """Read the glossary; a missing file is an empty glossary. Raises ValueError when malformed."""
        from ..catalog import CatalogError, parse_yaml, read_text

        if not path.exists():
            return cls()
        try:
            data = parse_yaml(read_text(path)) or {}
        except CatalogError as err:
            raise ValueError(str(err)) from None
        except yaml.YAMLError as err:
            raise ValueError(f"{path} is not valid YAML: {err}") from None
        terms = data.get("terms", {}) if isinstance(data, dict) else None
        if not isinstance(terms, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in terms.items()
        ):
            raise ValueError(f"{path}: 'terms' must map English terms to Chinese text or null")
        keep = data.get("keep", []) or []
        merged: dict[str, str | None] = {str(k): None for k in keep}
        merged.update(terms)
        return cls(merged)

    @property
    def kept(self) -> frozenset[str]:
        """Terms that stay English in Chinese text (ResNet, GAN, ...)."""
        return frozenset(term for term, value in self.terms.items() if value is None)

    @property
    def version(self) -> str:
        """A short hash of the content: translation memory entries are keyed by it."""
        text = "\n".join(f"{k}\t{v}" for k, v in sorted(self.terms.items(), key=lambda kv: kv[0]))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def pattern(self) -> re.Pattern[str] | None:
        """One regex for all terms, longest first; lowercase terms match any case and plurals."""
        if not self.terms:
            return None
        parts = []
        for term in sorted(self.terms, key=len, reverse=True):
            body = re.escape(term)
            if term.islower():
                body = f"(?i:{body}(?:e?s)?)"
            parts.append(body)
        return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")

    def render(self, matched: str) -> str:
        """What a matched term becomes in Chinese."""
        if matched in self.terms:
            value = self.terms[matched]
            return matched if value is None else value
        lowered = matched.lower()
        for term, value in self.terms.items():
            if term.islower() and (lowered == term or re.fullmatch(re.escape(term) + "e?s", lowered)):
                return matched if value is None else value
        return matched
