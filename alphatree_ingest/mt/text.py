"""Pure text helpers of the translation stage: sentence segmentation, protection of terms and
formulas by placeholders, CJK checks and Chinese tidying. No model, no IO."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .glossary import Glossary

# --- segmentation ---------------------------------------------------------------------------------

_ABBREVIATIONS = (
    "e.g.",
    "i.e.",
    "et al.",
    "etc.",
    "vs.",
    "cf.",
    "Fig.",
    "Figs.",
    "fig.",
    "Eq.",
    "Eqs.",
    "eq.",
    "Sec.",
    "Tab.",
    "No.",
    "approx.",
    "resp.",
    "Dr.",
    "Mr.",
    "Ms.",
    "Prof.",
    "al.",
    "w.r.t.",
)
_ABBR = re.compile("|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len, reverse=True)))
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(\[$\\])")
_DOT = "\u2024"  # one-dot leader: stands in for the dot of an abbreviation while splitting


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, robust to abbreviations (e.g., et al., Fig. 3), decimals and formulas."""
    text = " ".join(text.split())
    if not text:
        return []
    text = _ABBR.sub(lambda m: m.group(0).replace(".", _DOT), text)
    masked, spans = _mask_math(text)
    parts = [p.strip() for p in _SENTENCE_END.split(masked) if p.strip()]
    return [_unmask(p, spans).replace(_DOT, ".") for p in parts]


_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]")


def _mask_math(text: str) -> tuple[str, list[str]]:
    spans: list[str] = []

    def keep(m: re.Match[str]) -> str:
        spans.append(m.group(0))
        return f"\x00{len(spans) - 1}\x00"

    return _MATH.sub(keep, text), spans


def _unmask(text: str, spans: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)


# --- protection ---------------------------------------------------------------------------------

_PROTECT = re.compile(
    r"\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]"  # inline math
    r"|https?://\S+[\w/]"  # URLs
    r"|\b[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+\(?\)?"  # dotted code identifiers
    r"|\b[a-z]+_[a-z0-9_]+\b|\b\w+\(\)"  # snake_case, calls
    r"|\b\d+(?:\.\d+)?\s?(?:%|x|×)\s?\d*(?:\.\d+)?(?![\w])"  # 3.5%, 512x512
    r"|\b\d+(?:\.\d+)?\s?(?:GB|MB|KB|TB|ms|s|M|B|K|GHz|FLOPs|GFLOPs|dB|px)\b"  # numbers with units
)
PLACEHOLDER = re.compile(r"ZQ(\d+)Q")
RESIDUE = re.compile(r"ZQ\d*Q?|\{v\d+\}|\x00")
PUNCT = {".": "。", "?": "？", "!": "！", ";": "；", ":": "："}


@dataclass
class Protected:
    text: str
    """The sentence with each protected span replaced by `ZQ<n>Q`."""
    spans: list[str] = field(default_factory=list)
    """What each placeholder stands for in the Chinese output."""
    pieces: list[str] = field(default_factory=list)
    """The sentence split at protected spans: text, span, text, span, ..., text."""


def protect(sentence: str, glossary: Glossary) -> Protected:
    """Replace formulas, URLs, identifiers, numbers with units and glossary terms by placeholders."""
    found: list[tuple[int, int, str]] = [
        (m.start(), m.end(), m.group(0)) for m in _PROTECT.finditer(sentence)
    ]
    pattern = glossary.pattern()
    if pattern is not None:
        for m in pattern.finditer(sentence):
            if not any(s < m.end() and m.start() < e for s, e, _ in found):
                found.append((m.start(), m.end(), glossary.render(m.group(0))))
    found.sort()
    result = Protected(text="")
    out, pos = [], 0
    for start, end, rendering in found:
        result.pieces.append(sentence[pos:start])
        result.pieces.append(rendering)
        out.append(sentence[pos:start])
        out.append(f"ZQ{len(result.spans)}Q")
        result.spans.append(rendering)
        pos = end
    out.append(sentence[pos:])
    result.pieces.append(sentence[pos:])
    result.text = "".join(out)
    return result


def restore(output: str, protected: Protected) -> str | None:
    """Put the spans back; None when any placeholder is missing, repeated or mangled."""
    counts = [0] * len(protected.spans)
    for m in PLACEHOLDER.finditer(output):
        index = int(m.group(1))
        if index >= len(counts):
            return None
        counts[index] += 1
    if any(c != 1 for c in counts):
        return None
    restored = PLACEHOLDER.sub(lambda m: spaced(protected.spans[int(m.group(1))]), output)
    if RESIDUE.search(restored):
        return None
    return restored


def spaced(span: str) -> str:
    return span if has_cjk(span) else f" {span} "


def has_cjk(text: str) -> bool:
    """Whether the text holds any Chinese character."""
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def tidy_chinese(text: str) -> str:
    """Chinese punctuation at CJK boundaries, no stray spaces between CJK characters."""
    text = " ".join(text.split())
    text = re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", text)
    text = re.sub(r"(?<=[\u4e00-\u9fff]),\s*", "，", text)
    text = re.sub(r"\s*([，。；：？！、])\s*", r"\1", text)
    if text and text[-1] in PUNCT and has_cjk(text):
        text = text[:-1] + PUNCT[text[-1]]
    return text.strip()


# --- Traditional -> Simplified ------------------------------------------------------------------

_converter: Any = None


def to_simplified(text: str) -> str:
    """Convert any Traditional characters to Simplified (OpenCC t2s tables)."""
    global _converter
    if _converter is None:
        from opencc import OpenCC

        _converter = OpenCC("t2s")
    return str(_converter.convert(text))


# --- translation checks (the approval gate) --------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_KEPT_SPANS = re.compile(
    r"https?://\S+|\$[^$]+\$|\\\(.+?\\\)|\b[\w.]*[_.]\w+\(?\)?|\b\w+\(\)"  # URLs, math, identifiers
)
ENGLISH_LIMIT = 0.2
"""A Chinese text may hold at most this share of untranslated English (names and terms aside)."""
LENGTH_BAND = (0.6, 4.5)
"""Plausible Chinese characters per English word of the source (checked from 8 source words on)."""


def untranslated_share(chinese: str, source: str, kept: frozenset[str] = frozenset()) -> float:
    """Share of the text's letters that are English words left untranslated: lowercase words that are
    no glossary term, and capitalised words the source does not use as names. Names (ResNet, GAN,
    WGAN-GP), kept terms, formulas, URLs and code identifiers do not count."""
    text = _KEPT_SPANS.sub(" ", chinese)
    kept_words = {w.lower() for term in kept for w in term.split()}
    source_words = set(_LATIN_WORD.findall(source))
    english = 0
    for word in _LATIN_WORD.findall(text):
        name = any(c.isupper() for c in word[1:]) or word.isupper()
        if word.lower() in kept_words or name or (word[0].isupper() and word in source_words):
            continue
        english += len(word)
    cjk = len(_CJK.findall(text))
    return english / max(1, english + cjk)


def repetition(text: str) -> str | None:
    """A piece repeated four times or more in a row (`的的的的`, `网络网络网络网络`): degenerate output."""
    match = re.search(r"(\S{1,8}?)\1{3,}", text.replace(" ", ""))
    if match and (_CJK.search(match.group(1)) or match.group(1).isalpha()):
        return match.group(0)[:24]
    return None


def length_ratio(chinese: str, source: str) -> float | None:
    """Chinese characters (and kept Latin words) per English word of the source; None when short."""
    words = len(_LATIN_WORD.findall(source))
    if words < 8:
        return None
    size = len(_CJK.findall(chinese)) + len(_LATIN_WORD.findall(chinese))
    return size / words


def translation_problems(
    field: str, chinese: str, source: str, kept: frozenset[str] = frozenset()
) -> list[str]:
    """Why a Chinese text is not yet a translation of its source, each with its number; [] when fine."""
    if not chinese.strip():
        return [f"{field} is empty"]
    if RESIDUE.search(chinese):
        return [f"{field} contains placeholder residue"]
    if not has_cjk(chinese) or chinese.strip() == source.strip():
        return [f"{field} is not translated into Chinese"]
    problems = []
    share = untranslated_share(chinese, source, kept)
    if share > ENGLISH_LIMIT:
        problems.append(
            f"{field}: {share:.0%} of its letters are untranslated English (at most {ENGLISH_LIMIT:.0%})"
        )
    repeated = repetition(chinese)
    if repeated:
        problems.append(f"{field} repeats itself: {repeated!r}")
    ratio = length_ratio(chinese, source)
    if ratio is not None and not LENGTH_BAND[0] <= ratio <= LENGTH_BAND[1]:
        problems.append(
            f"{field}: {ratio:.2f} Chinese characters per English word, outside the plausible "
            f"{LENGTH_BAND[0]}-{LENGTH_BAND[1]} (a part left out, or text the model made up)"
        )
    return problems
