"""Pure: text from outside (arXiv, reviewers, failures) made safe in Markdown, with one policy for every
Markdown the project writes: the site's pages, the reading pages, the review form and the run's Prefect
artifacts. No HTML, code spans, emphasis, links or block syntax come from the text itself."""

from __future__ import annotations

import re

_INLINE = {"\\": "\\\\", "*": "\\*", "_": "\\_", "`": "\\`", "[": "\\[", "]": "\\]", "<": "&lt;", ">": "&gt;"}
_BLOCK_START = re.compile(r"^(?:#{1,6}(?:\s|$)|>|[-+](?:\s|$)|[=~-]{3,}|\d{1,9}[.)](?:\s|$))")
"""What would start a heading, quote, list, rule or fence at the beginning of a line."""


def inline(text: object) -> str:
    """Text from outside safe on one Markdown line: no HTML, code spans or fences, emphasis or links,
    and no block syntax (heading, list, quote) at its start."""
    value = "".join(_INLINE.get(c, c) for c in " ".join(str(text or "").split()))
    start = _BLOCK_START.match(value)
    if not start:
        return value
    if value[0].isdigit():  # `1. ` is a list item, `1\. ` is text (a digit cannot be escaped)
        at = start.end() - (1 if start.group(0)[-1].isspace() else 0) - 1
        return value[:at] + "\\" + value[at:]
    return "\\" + value


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell: what `inline` does, and no pipes."""
    return inline(text).replace("|", "\\|")


def url(value: object) -> str:
    """A link target from outside: http(s) only, and nothing that ends the Markdown link early."""
    text = str(value or "").strip()
    if not re.match(r"^https?://[^\s]+$", text):
        return ""
    return text.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def url_path(path: str) -> str:
    """A relative file path as a link target: each part percent-escaped where Markdown would stop."""
    return "/".join(
        part.replace("%", "%25").replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        for part in path.split("/")
    )


def code(text: object) -> str:
    """Text as a Markdown code span, shown as typed: a fence of backticks longer than any run of
    backticks inside it (a backtick in a file name never ends the span), padded when the text starts
    or ends with one. Nothing inside a code span is escaped, so this is the only safe way to quote."""
    value = " ".join(str(text if text is not None else "").split())
    if not value:
        return ""  # an empty code span would show its backticks
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"
