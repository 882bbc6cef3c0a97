"""Pure: the HTML build of the published Markdown pages, for any static host and for opening from disk.

Each page is rendered by a real Markdown library (markdown-it-py, CommonMark with tables), links between
pages point at the `.html` twins, Mermaid blocks become `<pre class="mermaid">` drawn in the page by
Mermaid's script (the site's own copy when publish has one, else loaded from a CDN; without it the
graph's source stays readable), and the CSS
names the CJK fonts readers have.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB",
  "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; max-width: 72rem; margin: 2rem auto;
  padding: 0 1rem; line-height: 1.7; color: #1f2328; overflow-wrap: break-word; }
h1 { font-size: 1.7rem; line-height: 1.35; }
table { border-collapse: collapse; margin: 1rem 0; display: block; max-width: 100%; overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: 0.35rem 0.6rem; vertical-align: top; }
th { background: #f6f8fa; }
img, svg { max-width: 100%; height: auto; }
td img { max-width: 12rem; }
pre { overflow-x: auto; max-width: 100%; }
pre.mermaid { background: #f6f8fa; padding: 1rem; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0 1.5rem;
  margin: 0 0 0.4rem; }
.pair > div, figcaption > div { min-width: 0; overflow-wrap: anywhere; }
.pair p { margin: 0 0 0.8rem; }
.en { color: #424a53; }
.zh.machine { border-left: 3px dotted #afb8c1; padding-left: 0.6rem; }
.zh.reviewed { border-left: 3px solid #2da44e; padding-left: 0.6rem; }
span.zh.machine, span.zh.reviewed { border: 0; padding: 0; }
h2 span.en { font-weight: normal; margin-right: 0.5em; }
.legend { font-size: 0.9rem; color: #57606a; }
.legend .machine { border-bottom: 3px dotted #afb8c1; }
.legend .reviewed { border-bottom: 3px solid #2da44e; }
figure { margin: 1.2rem 0; }
figcaption { font-size: 0.95rem; }
.view-switch button { font: inherit; padding: 0.1rem 0.8rem; border: 1px solid #d0d7de;
  background: #fff; cursor: pointer; }
.view-switch button[aria-pressed="true"] { background: #1f2328; color: #fff; }
.s.lit { background: #fff8c5; }
html.zh-only .en { display: none; }
html.zh-only .pair { grid-template-columns: minmax(0, 1fr); }
@media (max-width: 48rem) {
  body { margin: 1rem auto; padding: 0 0.75rem; }
  .pair { grid-template-columns: minmax(0, 1fr); }
  .pair { margin-bottom: 1rem; }
  table, tbody, tr, td { display: block; }
  thead { display: none; }
  tr { border: 1px solid #d0d7de; margin-bottom: 0.8rem; padding: 0.3rem 0; }
  td { border: 0; padding: 0.1rem 0.6rem; }
  td:empty { display: none; }
  td:first-child { color: #57606a; font-size: 0.85rem; }
}
"""
READING_JS = """<script>
(function () {
  var key = "alphatree-reading-view";
  var root = document.documentElement;
  function show(view) {
    root.classList.toggle("zh-only", view === "zh");
    document.querySelectorAll(".view-switch button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.view === view));
    });
    try { localStorage.setItem(key, view); } catch (e) {}
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".view-switch").forEach(function (box) {
      box.textContent = "";
      [["both", "对照"], ["zh", "中文"]].forEach(function (v) {
        var b = document.createElement("button");
        b.type = "button"; b.dataset.view = v[0]; b.textContent = v[1];
        b.addEventListener("click", function () { show(v[0]); });
        box.appendChild(b);
      });
    });
    var saved = "both";
    try { saved = localStorage.getItem(key) || "both"; } catch (e) {}
    show(saved === "zh" && location.hash !== "#view-both" ? "zh" : "both");
    document.querySelectorAll(".pair").forEach(function (pair) {
      pair.addEventListener("mouseover", function (event) {
        var s = event.target.closest(".s");
        pair.querySelectorAll(".s.lit").forEach(function (x) { x.classList.remove("lit"); });
        if (s) pair.querySelectorAll('.s[data-s="' + s.dataset.s + '"]').forEach(function (x) {
          x.classList.add("lit");
        });
      });
    });
  });
})();
</script>"""
CDN_MERMAID = (
    '<script type="module">import mermaid from "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs";'
    "mermaid.initialize({ startOnLoad: true });</script>"
)
_LOCAL_MD = re.compile(r"^(?![a-z]+:)([^#?]*)\.md(#.*)?$")


def _parser() -> Any:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    renderer: Any = md.renderer
    default_fence = renderer.rules.get("fence")

    def fence(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        if token.info.strip() == "mermaid":
            return f'<pre class="mermaid">{html.escape(token.content)}</pre>\n'
        return str(default_fence(tokens, idx, options, env))

    def link_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        href = tokens[idx].attrGet("href") or ""
        local = _LOCAL_MD.match(href)
        if local:
            tokens[idx].attrSet("href", f"{local.group(1)}.html{local.group(2) or ''}")
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("fence", fence)
    md.add_render_rule("link_open", link_open)
    return md


def to_html(pages: dict[Path, str | Path], mermaid: Path | None = None) -> dict[Path, str]:
    """An `.html` twin for every `.md` page; `mermaid` is where the site's own copy of Mermaid's script
    is written (None: the CDN's). The pages' own escaping (`markdown.inline`) keeps text from outside
    out of the HTML; `<br>` in table cells is the only markup they carry."""
    md = _parser()
    out: dict[Path, str] = {}
    for path, content in pages.items():
        if path.suffix != ".md" or not isinstance(content, str):
            continue
        body = md.render(content)
        script = ""
        if '<pre class="mermaid">' in body:
            script = CDN_MERMAID if mermaid is None else _local_mermaid(mermaid, path.parent)
        if '<div class="pair">' in body and '<span class="view-switch">' in body:
            script += READING_JS  # the bilingual reading page switches to Chinese alone in place
        title = content.splitlines()[0].lstrip("# ").strip() if content else path.stem
        out[path.with_suffix(".html")] = (
            '<!doctype html>\n<html lang="zh-Hans">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(_plain(title))}</title>\n<style>{CSS}</style>\n"
            f"{script}\n</head>\n<body>\n{body}</body>\n</html>\n"
        )
    return out


def _local_mermaid(script: Path, folder: Path) -> str:
    """Mermaid's classic script by a relative path: it loads from `file://` too (a module would not)."""
    src = html.escape(Path(os.path.relpath(script, folder)).as_posix())
    return f'<script src="{src}"></script>\n<script>mermaid.initialize({{ startOnLoad: true }});</script>'


def _plain(markdown_line: str) -> str:
    """A heading's text without Markdown escapes and link syntax, for the page title."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown_line)
    return re.sub(r"\\(.)", r"\1", text).replace("&lt;", "<").replace("&gt;", ">")
