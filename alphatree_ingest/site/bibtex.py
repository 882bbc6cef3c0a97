"""Pure: a BibTeX record for a tree entry, for the `.bib` beside its page.

Every value is escaped for LaTeX (`& % $ # _ { } ~ ^ \\`), so a title or venue from arXiv can neither
break the record's braces nor run a TeX command; capitals in the title are kept as written.
"""

from __future__ import annotations

import re
import unicodedata

from ..models import CatalogEntry

_TEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SMALL = {"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "towards", "toward", "via"}


def tex(text: object) -> str:
    """Text safe inside a BibTeX value's braces."""
    return "".join(_TEX.get(c, c) for c in " ".join(str(text or "").split()))


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def cite_key(entry: CatalogEntry) -> str:
    """`he2016deep`: the first author's family name, the year, the title's first word that says
    something; the entry's id when the authors or title give nothing."""
    authors = [a for a in entry.authors if a != "et al."]
    family = _ascii(authors[0].split(",")[0].split()[-1]) if authors and authors[0].split() else ""
    words = [w for w in re.findall(r"[A-Za-z0-9]+", entry.title) if w.lower() not in _SMALL]
    word = _ascii(words[0]) if words else ""
    if not family or not word:
        return re.sub(r"[^A-Za-z0-9_-]", "", entry.id) + str(entry.year)
    return f"{family}{entry.year}{word}"


def bibtex(entry: CatalogEntry) -> str:
    """The entry as one BibTeX record (`@article`, arXiv's fields when it has an arXiv id)."""
    fields = [("title", "{" + tex(entry.title or entry.name) + "}")]
    authors = [a for a in entry.authors if a != "et al."]
    if authors:
        fields.append(
            ("author", tex(" and ".join(authors) + (" and others" if "et al." in entry.authors else "")))
        )
    fields.append(("year", str(entry.year)))
    if entry.venue:
        fields.append(("journal", tex(entry.venue)))
    if entry.arxiv:
        if not entry.venue:
            fields.append(("journal", tex(f"arXiv preprint arXiv:{entry.arxiv}")))
        fields += [
            ("eprint", tex(entry.arxiv)),
            ("archivePrefix", "arXiv"),
            ("url", tex(f"https://arxiv.org/abs/{entry.arxiv}")),
        ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@article{{{cite_key(entry)},\n{body}\n}}\n"


def fenced(text: str, info: str = "") -> str:
    """`text` as a Markdown code block whose fence no line of it can close."""
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"
