"""How an entry is named on a page: its name once, then its Chinese title without the name repeated.

A drafted Chinese title often keeps the paper's own `Name:` in front (`StyleMixGAN：用于…`), and a name
drafted from a long title can end in the title's colon (`An Image is Worth 16x16 Words:`). Joined as
`name：title_zh` they read `StyleMixGAN：StyleMixGAN：…` or `…Words:：…`; these helpers say it once.
"""

from __future__ import annotations

import re

_COLON = re.compile(r"\s*[:：]\s*")
_CJK = re.compile(r"[\u3000-\u9fff\uf900-\ufaff]")


def short_name(name: object) -> str:
    """The entry's name without a trailing colon or spaces."""
    return _COLON.sub(":", " ".join(str(name or "").split())).rstrip(":").strip()


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _same_name(name: str, head: str) -> bool:
    """`head` (the text before a title's colon) names the entry: `MobileNets` for `MobileNet V1`."""
    a, b = _key(name), _key(head)
    if not a or not b or _CJK.search(head) or len(head) > 60:
        return False
    a, b = a.rstrip("s"), b.rstrip("s")
    shorter = min(len(a), len(b))
    return a == b or (shorter >= 4 and (a.startswith(b) or b.startswith(a)))


def subtitle_zh(name: object, title_zh: object) -> str:
    """The Chinese title without a leading copy of the name and its colon (`StyleMixGAN：用于…` gives
    `用于…`)."""
    title = " ".join(str(title_zh or "").split())
    plain = short_name(name)
    match = _COLON.search(title)
    while match and _same_name(plain, title[: match.start()]) and title[match.end() :].strip():
        title = title[match.end() :]
        match = _COLON.search(title)
    if _key(title) == _key(plain) and _key(plain):  # the Chinese title is only the name
        return ""
    return title


def headline(name: object, title_zh: object) -> str:
    """`Name：中文标题`, the name said once (the name alone when there is no other Chinese title)."""
    plain = short_name(name)
    rest = subtitle_zh(name, title_zh)
    return f"{plain}：{rest}" if rest and plain else (rest or plain)
