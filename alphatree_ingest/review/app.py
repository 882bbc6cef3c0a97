"""`alphatree review serve`: the review queue as a small local web app, one draft per page.

Failing checks first; each English sentence above its Chinese box; the figures as images, the diagram
picked by clicking one; code candidates with their evidence; parents, topic and level as choices from
the tree. A decision goes through `review.edit.submit` (the Prefect review flow's path: the edits into
the draft, then `decide()` and its gate), resumes a waiting Prefect review run, and a refused approval
comes back on the same page with its failing checks and the curator's edits kept.

Bound to loopback it needs no token (other Host headers are refused, against DNS rebinding); bound to
anything else it requires one. Every form carries a CSRF token. Everything from a draft is escaped."""

# ruff: noqa: E501  (the page templates below keep one HTML element per line)

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import secrets
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import jinja2
from markupsafe import Markup

from ..catalog import Catalog, CatalogError, CatalogSnapshot
from ..config import Settings
from ..models import CatalogEntry
from ..mt.text import split_sentences
from .form import OTHER, evidence_sentences, hint
from .gate import ReviewError, find_draft, gate, queue

logger = logging.getLogger(__name__)

FRAMEWORKS = ("pytorch", "tensorflow", "jax", "other")
LEVELS = ("beginner", "advanced")
COOKIE = "alphatree_review_token"
MAX_BODY = 1_000_000
"""The largest form accepted (bytes): a draft's Chinese text is a few kilobytes."""
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def is_loopback(host: str) -> bool:
    """Whether a bind address only answers this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def state_path(settings: Settings) -> Path:
    """The file a running review app writes (its URL and process id), removed when it stops."""
    return settings.cache_dir / "review-app.json"


def running_url(settings: Settings) -> str | None:
    """The base URL of the review app serving this tree, or None when none runs."""
    try:
        state = json.loads(state_path(settings).read_text(encoding="utf-8"))
        pid, url = int(state["pid"]), str(state["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # a killed server left its file behind
    except PermissionError:
        pass
    return url


def review_url(base: str, arxiv_id: str) -> str:
    return f"{base.rstrip('/')}/review/{quote(arxiv_id)}"


@dataclass
class Refusal:
    """A decision not carried out, shown on the draft's page with the form as it was sent."""

    message: str
    problems: list[str]
    answer: dict[str, Any]


@dataclass
class AppState:
    settings: Settings
    token: str | None
    read: bool
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    notices: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def catalog(self) -> Catalog:
        return Catalog(self.settings.catalog_dir)

    def kept(self) -> frozenset[str]:
        from ..mt.glossary import Glossary

        return Glossary.load(self.settings.glossary_path).kept


# --- pages (pure: a draft and the tree in, HTML out) ------------------------------------------------


def _href(url: str) -> str | None:
    """A link target only for http(s) URLs: a draft's `javascript:` URL is shown as text."""
    return url if urlparse(url).scheme in ("http", "https") else None


def _figure_src(file: str) -> str | None:
    return "/" + quote(file) if file.startswith("figures/") else None


_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True)
_ENV.filters["href"] = _href
_ENV.filters["figure_src"] = _figure_src
_ENV.filters["sentences"] = split_sentences

_CSS = """
*{box-sizing:border-box}
body{font:16px/1.5 "Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei",
 "WenQuanYi Micro Hei",sans-serif;margin:0 auto;max-width:62rem;padding:.75rem;overflow-wrap:anywhere;color:#1f2328}
h1{font-size:1.3rem;margin:.3rem 0}h2{font-size:1.1rem;margin:1.2rem 0 .4rem;border-bottom:1px solid #ddd}
textarea,input[type=text],input[type=url],select{width:100%;font:inherit;padding:.4rem;border:1px solid #999;
 border-radius:4px}
textarea{min-height:2.6rem;field-sizing:content;max-height:60vh}
.en{margin:.2rem 0;color:#333}.en li{margin:.1rem 0}
ol.en{padding-left:1.4rem}
.checks{background:#fff4e5;border:1px solid #f0a040;border-radius:6px;padding:.5rem .8rem}
.checks.ok{background:#eaf7ea;border-color:#5a5}
.refused{background:#fdeaea;border:1px solid #d44;border-radius:6px;padding:.5rem .8rem}
.notice{background:#e8f0fe;border-radius:6px;padding:.4rem .8rem;margin:.3rem 0}
.figs{display:grid;align-items:start;grid-template-columns:repeat(auto-fill,minmax(min(100%,17rem),1fr));gap:.8rem}
.fig{border:2px solid #ccc;border-radius:6px;padding:.4rem}
.fig:has(input:checked){border-color:#2a7;background:#f0fbf4}
.fig label{display:block;cursor:pointer}
.fig img{display:block;max-width:100%;height:auto;max-height:16rem;margin:.3rem auto;background:#fff}
.choice{display:block;padding:.25rem 0}
.evidence{font-size:.9rem;color:#555;margin:.2rem 0 .4rem;padding-left:1.2rem}
.row{display:flex;gap:.5rem;flex-wrap:wrap}.row>*{flex:1 1 12rem}
.bar{position:sticky;bottom:0;background:#fafafa;border-top:1px solid #ccc;padding:.4rem 0;
 display:flex;gap:.4rem;flex-wrap:wrap;align-items:center}
.bar input{flex:1 1 15rem}.bar button{flex:1 0 auto}
button{font:inherit;padding:.45rem 1rem;border-radius:6px;border:1px solid #666;cursor:pointer}
button[value=approve]{background:#2a7;color:#fff;border-color:#185}
button[value=reject]{background:#fff;color:#b22}
.queue li{margin:.5rem 0}.muted{color:#666;font-size:.9rem}
"""

_LAYOUT = _ENV.from_string(
    """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><style>{{ css }}</style></head>
<body>
{% for notice in notices %}<p class="notice" role="status">{{ notice }}</p>{% endfor %}
{{ body }}
</body></html>
"""
)

_QUEUE = _ENV.from_string(
    """<h1>Review queue · 待审阅</h1>
{% if not items %}<p>No drafts waiting for review.</p>{% endif %}
<ol class="queue">
{% for item in items %}<li>
{% if item.entry %}<a href="/review/{{ item.arxiv | urlencode }}">{{ item.arxiv }} {{ item.entry.name }}</a>
 <span class="muted">{{ item.entry.topic }} · {{ item.age_days }}d · {{ item.flags | join(", ") }}</span>
 <div>{{ item.entry.title }}</div>
{% else %}{{ item.arxiv }} <span class="muted">invalid draft: {{ item.problems | join("; ") }}</span>{% endif %}
</li>{% endfor %}
</ol>
{% for flag in flags %}<p class="muted">{{ flag.arxiv }}: approved entry {{ flag.entry }} has a new arXiv version
 v{{ flag.new_version }}; <code>alphatree review approve {{ flag.arxiv }}</code> once seen.</p>{% endfor %}
"""
)

_DRAFT = _ENV.from_string(
    """<p class="muted"><a href="/">← queue</a> · {{ position }}</p>
<h1>{{ e.arxiv }} · {{ e.name }}</h1>
<p class="muted">{{ authors }}{% if e.arxiv %} ·
 <a href="https://arxiv.org/abs/{{ e.arxiv | urlencode }}" target="_blank" rel="noopener noreferrer">arXiv ↗</a>
{% endif %}</p>
{% if refusal %}<section class="refused" id="refused" role="alert"><strong>{{ refusal.message }}</strong>
<ul>{% for p in refusal.problems %}<li>{{ p }} — <em>{{ hint(p) }}</em></li>{% endfor %}</ul></section>
{% elif problems %}<section class="checks" id="checks"><strong>Checks that still fail</strong>
<ul>{% for p in problems %}<li>{{ p }} — <em>{{ hint(p) }}</em></li>{% endfor %}</ul></section>
{% else %}<section class="checks ok" id="checks"><strong>Ready to approve</strong></section>{% endif %}
<form method="post" action="/review/{{ e.arxiv | urlencode }}">
<input type="hidden" name="csrf" value="{{ csrf }}">
<h2>Title · 标题</h2>
<p class="en">{{ e.title }}</p>
<textarea name="title_zh" lang="zh" rows="2" aria-label="中文标题">{{ v.title_zh }}</textarea>
<h2>Abstract · 摘要</h2>
<ol class="en">{% for s in e.abstract | sentences %}<li>{{ s }}</li>{% endfor %}</ol>
<textarea name="abstract_zh" lang="zh" rows="8" aria-label="中文摘要">{{ v.abstract_zh }}</textarea>
<h2>Figures · 图 <span class="muted">(click the diagram · 点击选择图示)</span></h2>
<p class="evidence">{% for s in evidence.diagram %}{{ s }} {% endfor %}</p>
<div class="figs">
{% for f in e.figures %}<div class="fig">
<label><input type="radio" name="diagram" value="{{ f.file }}"{% if v.diagram == f.file %} checked{% endif %}>
 diagram · 图示 <span class="muted">({{ f.kind or "figure" }})</span>
{% if f.file | figure_src %}<img src="{{ f.file | figure_src }}" alt="{{ f.caption[:120] }}">
{% else %}<span class="muted">{{ f.file }} (not under figures/)</span>{% endif %}</label>
{% if f.file | figure_src %}<a href="{{ f.file | figure_src }}" target="_blank" rel="noopener">enlarge · 放大 ↗</a>{% endif %}
<ol class="en">{% for s in f.caption | sentences %}<li>{{ s }}</li>{% endfor %}</ol>
<textarea name="caption_zh_{{ loop.index0 }}" lang="zh" rows="2" aria-label="中文图注">{{ v.captions[loop.index0] }}</textarea>
</div>{% endfor %}
<div class="fig"><label><input type="radio" name="diagram" value="none"{% if v.diagram == "none" %} checked{% endif %}>
 no diagram · 无图示</label></div>
</div>
<h2>Code · 代码</h2>
{% for c in e.code %}<label class="choice"><input type="radio" name="code" value="{{ c.url }}"{% if v.code == c.url %} checked{% endif %}>
{% if c.url | href %}<a href="{{ c.url | href }}" target="_blank" rel="noopener noreferrer">{{ c.url }}</a>{% else %}{{ c.url }}{% endif %}
 <span class="muted">{{ c.framework or "framework unknown" }}, {{ "official" if c.official else "unofficial" }}</span></label>
{% endfor %}
<label class="choice"><input type="radio" name="code" value="{{ other }}"{% if v.code == other %} checked{% endif %}>
 another repository · 其他链接:</label>
<div class="row"><input type="url" name="code_url" placeholder="https://github.com/…" value="{{ v.code_url }}" aria-label="code URL">
<select name="code_framework" aria-label="framework">{% for fw in frameworks %}
<option{% if v.code_framework == fw %} selected{% endif %}>{{ fw }}</option>{% endfor %}</select></div>
<ul class="evidence">{% for s in evidence.code %}<li>{{ s }}</li>{% endfor %}</ul>
<h2>Parents · 父节点</h2>
{% for p in parent_choices %}<label class="choice"><input type="checkbox" name="parents" value="{{ p.id }}"{% if p.id in v.parents %} checked{% endif %}>
 {{ p.id }} <span class="muted">{{ p.name }} · {{ p.topic }}</span></label>{% endfor %}
<select name="parents_add" aria-label="add a parent"><option value="">add a parent · 添加…</option>
{% for p in tree %}<option value="{{ p.id }}">{{ p.id }} · {{ p.name }} ({{ p.topic }})</option>{% endfor %}</select>
<ul class="evidence">{% for s in evidence.parents %}<li>{{ s }}</li>{% endfor %}</ul>
<div class="row"><div><h2>Topic · 主题</h2>
<select name="topic" aria-label="topic">{% for t in topics %}
<option value="{{ t.id }}"{% if v.topic == t.id %} selected{% endif %}>{{ t.id }} · {{ t.name_zh }}</option>{% endfor %}</select>
<p class="evidence">{% for s in evidence.topic %}{{ s }} {% endfor %}</p></div>
<div><h2>Level · 难度</h2>
{% for lv in levels %}<label class="choice"><input type="radio" name="level" value="{{ lv }}"{% if v.level == lv %} checked{% endif %}> {{ lv }}</label>{% endfor %}
</div></div>
<div class="bar">
<input type="text" name="reason" placeholder="reason (needed to reject) · 理由" value="{{ v.reason }}" aria-label="reason">
<button type="submit" name="decision" value="approve">Approve · 通过</button>
<button type="submit" name="decision" value="reject">Reject · 拒绝</button>
</div>
</form>
"""
)


def _values(entry: CatalogEntry, answer: dict[str, Any] | None) -> dict[str, Any]:
    """What the form shows: the draft's values, or the answer a refused decision sent."""
    code = entry.code[0].url if entry.code else OTHER
    values: dict[str, Any] = {
        "title_zh": entry.title_zh,
        "abstract_zh": entry.abstract_zh,
        "captions": [f.caption_zh for f in entry.figures],
        "diagram": entry.diagram or "",
        "code": code,
        "code_url": "",
        "code_framework": "pytorch",
        "parents": list(entry.parents),
        "topic": entry.topic,
        "level": entry.level or "advanced",
        "reason": "",
    }
    if answer:
        values.update({k: v for k, v in answer.items() if k in values and k != "captions"})
        values["captions"] = [answer.get(f"caption_zh_{n}", c) for n, c in enumerate(values["captions"])]
    return values


def render_queue(snapshot: CatalogSnapshot, items: list[Any], notices: list[str]) -> str:
    body = _QUEUE.render(items=items, flags=snapshot.flags)
    return _LAYOUT.render(title="Review queue", css=Markup(_CSS), notices=notices, body=Markup(body))


def render_draft(
    entry: CatalogEntry,
    snapshot: CatalogSnapshot,
    problems: list[str],
    *,
    csrf: str,
    position: str = "",
    refusal: Refusal | None = None,
    notices: list[str] | None = None,
) -> str:
    """The review page of one draft; `refusal` shows why a decision was not carried out, with the
    form as it was sent."""
    suggestions = entry.provenance.get("suggestions") or {}
    evidence = {
        name: evidence_sentences((suggestions.get(name) or {}).get("evidence"))
        for name in ("topic", "parents", "code", "diagram")
    }
    tree = sorted(snapshot.entries, key=lambda e: (e.topic, e.id))
    by_id = {e.id: e for e in tree}
    cited = (suggestions.get("parents") or {}).get("evidence")
    also = cited.get("also cited (not suggested)", []) if isinstance(cited, dict) else []
    offered = list(entry.parents) + [str(a).split(":")[0] for a in also]
    values = _values(entry, refusal.answer if refusal else None)
    offered += [p for p in values["parents"] if p not in offered]
    # a parent the reviewer wrote that is not in the tree yet (another draft) stays offered and ticked:
    # a decision in the app never drops it (the gate says what it waits for)
    choices = [by_id.get(p) or _Absent(p) for p in dict.fromkeys(offered)]
    authors = ", ".join(entry.authors[:8]) + (" et al." if len(entry.authors) > 8 else "")
    body = _DRAFT.render(
        e=entry,
        v=values,
        problems=problems,
        refusal=refusal,
        hint=hint,
        csrf=csrf,
        evidence=evidence,
        parent_choices=choices,
        tree=tree,
        topics=list(snapshot.topics.values()),
        levels=LEVELS,
        frameworks=FRAMEWORKS,
        other=OTHER,
        authors=authors,
        position=position,
    )
    title = f"Review {entry.arxiv} {entry.name}"
    return _LAYOUT.render(title=title, css=Markup(_CSS), notices=notices or [], body=Markup(body))


# --- the submitted form ----------------------------------------------------------------------------


class BadForm(ValueError):
    """A form no page of this app sends (a value outside the choices offered): 400."""


def parse_answer(
    fields: dict[str, list[str]], entry: CatalogEntry, snapshot: CatalogSnapshot
) -> dict[str, Any]:
    """The answer `review.edit.submit` takes, from the posted form; every choice checked against what
    the page offered, so that no value outside them reaches the draft. Raises BadForm."""

    def one(name: str, default: str = "") -> str:
        return (fields.get(name) or [default])[-1]

    answer: dict[str, Any] = {
        "title_zh": one("title_zh"),
        "abstract_zh": one("abstract_zh"),
        "code_url": one("code_url").strip(),
        "code_framework": one("code_framework", "pytorch"),
        "reason": one("reason"),
        "decision": one("decision"),
    }
    for n in range(len(entry.figures)):
        if f"caption_zh_{n}" in fields:
            answer[f"caption_zh_{n}"] = one(f"caption_zh_{n}")
    files = {f.file for f in entry.figures} | {"none"}
    tree_ids = {e.id for e in snapshot.entries}
    checks: list[tuple[str, str | None, set[str]]] = [
        ("decision", answer["decision"], {"approve", "reject"}),
        ("code_framework", answer["code_framework"], set(FRAMEWORKS)),
        ("diagram", fields.get("diagram", [None])[-1], files),
        ("code", fields.get("code", [None])[-1], {c.url for c in entry.code} | {OTHER}),
        ("topic", fields.get("topic", [None])[-1], set(snapshot.topics)),
        ("level", fields.get("level", [None])[-1], set(LEVELS)),
    ]
    for name, value, allowed in checks:
        if value is None:
            continue
        if value not in allowed:
            raise BadForm(f"{name} {value!r} is not one of the choices offered")
        answer[name] = value
    parents = list(dict.fromkeys(fields.get("parents", []) + [p for p in fields.get("parents_add", []) if p]))
    unknown = [p for p in parents if p not in tree_ids and p not in entry.parents]
    if unknown:
        raise BadForm(f"parent {unknown[0]!r} is not an entry of the tree")
    answer["parents"] = parents
    if answer["decision"] == "reject" and not answer["reason"].strip():
        raise ReviewError("a rejection needs a reason", ["write the reason beside the Reject button"])
    if answer["code_url"] and _href(answer["code_url"]) is None:
        raise ReviewError("the code URL must start with https://", ["code_url must be an http(s) URL"])
    return answer


# --- the app -----------------------------------------------------------------------------------------


def create_app(
    settings: Settings, *, token: str | None = None, read: bool = True, loopback: bool = True
) -> Any:
    """The Starlette app. `token`: required on every request (a `?token=` once, then a cookie);
    `loopback`: only Host headers naming this machine are answered; `read`: make the Chinese reading
    page after an approval."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.routing import Route

    views = _Views(AppState(settings, token, read))
    routes = [
        Route("/", views.queue_page),
        Route("/review/{arxiv_id:path}", views.review_page, methods=["GET", "POST"]),
        Route("/figures/{path:path}", views.figure),
    ]
    middleware = [Middleware(_Guard, token=token)]
    if loopback:
        hosts = ["127.0.0.1", "localhost", "::1", "[::1]"]
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=hosts))
    app = Starlette(routes=routes, middleware=middleware)
    app.state.review = views.state
    return app


class _Views:
    """The app's pages over one AppState: the queue, one draft's review form (shown and sent), its
    figures."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def _take_notices(self) -> list[str]:
        notices, self.state.notices[:] = list(self.state.notices), []
        return notices

    def queue_page(self, request: Any) -> Any:
        from starlette.responses import HTMLResponse

        catalog = self.state.catalog
        snapshot = catalog.load()
        items = queue(catalog, snapshot, kept=self.state.kept())
        return HTMLResponse(render_queue(snapshot, items, self._take_notices()))

    def _draft(self, arxiv_id: str) -> tuple[Path, CatalogEntry, CatalogSnapshot] | Any:
        """The draft of `arxiv_id`, or a 404 response."""
        from starlette.responses import PlainTextResponse

        catalog = self.state.catalog
        snapshot = catalog.load()
        try:
            path, entry = find_draft(catalog, snapshot, arxiv_id)
        except ReviewError as err:
            why = "; ".join(err.problems) or str(err)
            return PlainTextResponse(f"No draft to review: {why}", status_code=404)
        return path, entry, snapshot

    def _position(self, snapshot: CatalogSnapshot, arxiv_id: str) -> tuple[str, str | None]:
        """Where the draft stands in the queue ("draft 2 of 5") and the draft to show after it."""
        ids = [
            i.arxiv
            for i in queue(self.state.catalog, snapshot, kept=self.state.kept())
            if i.entry is not None
        ]
        if arxiv_id not in ids:
            return "", ids[0] if ids else None
        at = ids.index(arxiv_id)
        later = ids[at + 1 :] + ids[:at]
        return f"draft {at + 1} of {len(ids)}", later[0] if later else None

    def show(self, arxiv_id: str, refusal: Refusal | None = None, status: int = 422) -> Any:
        from starlette.responses import HTMLResponse

        found = self._draft(arxiv_id)
        if not isinstance(found, tuple):
            return found
        _, entry, snapshot = found
        problems = gate(entry, snapshot, self.state.kept())
        position, _ = self._position(snapshot, arxiv_id)
        html = render_draft(
            entry,
            snapshot,
            problems,
            csrf=self.state.csrf,
            position=position,
            refusal=refusal,
            notices=self._take_notices(),
        )
        return HTMLResponse(html, status_code=status if refusal else 200)

    async def review_page(self, request: Any) -> Any:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import PlainTextResponse

        arxiv_id = request.path_params["arxiv_id"]
        if request.method == "GET":
            return await run_in_threadpool(self.show, arxiv_id)
        if (
            request.headers.get("content-type", "").split(";")[0].strip()
            != "application/x-www-form-urlencoded"
        ):
            return PlainTextResponse("Send the review form.", status_code=415)
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("The form is too large.", status_code=413)
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        origin = request.headers.get("origin")
        if origin and (origin == "null" or urlparse(origin).netloc != request.headers.get("host")):
            return PlainTextResponse("A form from another site is refused.", status_code=403)
        if not _same((fields.get("csrf") or [""])[-1], self.state.csrf):
            # nothing is done; the form comes back with what was typed in it and a fresh token (a
            # restarted app makes every open page stale: the curator's edits are not lost)
            kept = {k: v[-1] for k, v in fields.items() if v and k != "csrf"} | _parents(fields)
            stale = Refusal(
                "Nothing was saved: the form's security token is missing or stale (was the review app "
                "restarted?). Check your edits below and send them again.",
                [],
                kept,
            )
            return await run_in_threadpool(self.show, arxiv_id, stale, 403)
        return await run_in_threadpool(self.decide_page, arxiv_id, fields)

    def decide_page(self, arxiv_id: str, fields: dict[str, list[str]]) -> Any:
        from starlette.responses import PlainTextResponse

        found = self._draft(arxiv_id)
        if not isinstance(found, tuple):
            return found
        _, entry, snapshot = found
        raw = {k: v[-1] for k, v in fields.items() if v}
        try:
            answer = parse_answer(fields, entry, snapshot)
        except BadForm as err:
            return PlainTextResponse(f"Bad form: {err}.", status_code=400)
        except ReviewError as err:
            return self.show(arxiv_id, Refusal(f"Not sent: {err}.", err.problems, raw | _parents(fields)))
        try:
            outcome = self._submit(arxiv_id, answer)
        except ReviewError as err:
            verb = "approval" if answer["decision"] == "approve" else "rejection"
            message = f"Last {verb} refused: {err}. Your edits are saved in the draft."
            return self.show(arxiv_id, Refusal(message, err.problems, answer))
        except (CatalogError, OSError) as err:  # the draft or the tree could not be read or written
            message = f"Not decided: {err}. Fix it and send again; your edits are kept below."
            return self.show(arxiv_id, Refusal(message, [], answer))
        return self._decided(arxiv_id, outcome, answer)

    def _submit(self, arxiv_id: str, answer: dict[str, Any]) -> Any:
        """Edit the draft and decide it, under the app's lock. Raises ReviewError, CatalogError, OSError."""
        from ..mt.memory import TranslationMemory
        from .edit import submit

        settings = self.state.settings
        with self.state.lock:
            outcome, _ = submit(
                self.state.catalog,
                arxiv_id,
                answer,
                reviewer=settings.reviewer,
                memory=TranslationMemory(settings.memory_path),
                kept=self.state.kept(),
                prompts_dir=settings.prompts_dir,
            )
        return outcome

    def _decided(self, arxiv_id: str, outcome: Any, answer: dict[str, Any]) -> Any:
        """After a decision: say what happened, resume the Prefect runs waiting on this draft, make the
        reading page in the background, and go on to the next draft."""
        from starlette.background import BackgroundTask
        from starlette.responses import RedirectResponse

        from .runs import settle

        state = self.state
        settle(state.settings, outcome, state.notices.append, answer.get("reason", ""))
        task = None
        if outcome.decision == "approve" and state.read:
            task = BackgroundTask(_reading_page, state, outcome.path)
            state.notices.append(f"Making the Chinese reading page of {arxiv_id} in the background.")
        _, following = self._position(state.catalog.load(), arxiv_id)
        target = f"/review/{quote(following)}" if following else "/"
        return RedirectResponse(target, status_code=303, background=task)

    def figure(self, request: Any) -> Any:
        from starlette.responses import FileResponse, PlainTextResponse

        root = self.state.catalog.figures_dir.resolve()
        wanted = (root / request.path_params["path"]).resolve()
        if not wanted.is_relative_to(root) or not wanted.is_file():
            return PlainTextResponse("No such figure.", status_code=404)
        return FileResponse(wanted)


@dataclass(frozen=True)
class _Absent:
    """A parent the draft names that is not (yet) an entry of the tree."""

    id: str
    name: str = "not in the tree yet · 尚未入树"
    topic: str = "—"


def _parents(fields: dict[str, list[str]]) -> dict[str, Any]:
    return {"parents": fields.get("parents", [])}


def _reading_page(state: AppState, entry_path: Path) -> None:
    from ..run.stages import reading_at_approval

    _, message = reading_at_approval(state.settings, entry_path, None)
    state.notices.append(message)


SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make the browser send `Origin: null`
]


def _same(given: str, secret: str) -> bool:
    """Constant-time comparison of a token sent with the one expected (any text, not only ASCII)."""
    return hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


class _Guard:
    """Every response gets a strict content security policy (no script at all); with a token, a
    request without it (query `?token=` once, then a cookie) is refused."""

    def __init__(self, app: Callable[..., Awaitable[None]], token: str | None) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse, RedirectResponse

        async def secured(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = dict(message, headers=list(message.get("headers", [])) + SECURITY_HEADERS)
            await send(message)

        if self.token:
            request = Request(scope)
            given = request.query_params.get("token")
            if given is not None and _same(given, self.token):
                response = RedirectResponse(request.url.remove_query_params("token").path or "/", 303)
                response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
                await response(scope, receive, secured)
                return
            if not _same(request.cookies.get(COOKIE, ""), self.token):
                refused = PlainTextResponse(
                    "This review app needs its token: open the URL `alphatree review serve` printed.",
                    status_code=401,
                )
                await refused(scope, receive, secured)
                return
        await self.app(scope, receive, secured)


def serve(settings: Settings, host: str, port: int, *, read: bool = True, token: str | None = None) -> None:
    """Run the review app until Ctrl-C; the URL goes to stderr and into `state_path` while it runs.
    Raises OSError when the port cannot be bound."""
    import socket
    import sys

    import uvicorn

    loopback = is_loopback(host)
    if not loopback and not token:
        token = secrets.token_urlsafe(24)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{sock.getsockname()[1]}"
    app = create_app(settings, token=token, read=read, loopback=loopback)
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": base, "pid": os.getpid()}), encoding="utf-8")
    entry = f"{base}/?token={token}" if token else f"{base}/"
    print(f"Review app on {entry}  (Ctrl-C stops)", file=sys.stderr, flush=True)
    try:
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        path.unlink(missing_ok=True)
