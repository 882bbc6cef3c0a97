"""Pure: the site's `plan.html`, a learning plan fitted to the reader, worked out in the page.

The reader picks a goal (`select#goal`, option values are entry ids) and ticks what they know (one
`input[type=checkbox][value=<entry id>]` per entry); the plan (`ol#plan > li[data-id=<entry id>]`)
skips what they know and whatever was needed only for it, parents before children, the goal last:
the rules of `learning.path_to`, run offline by the page's own script (no server; it works from
`file://`). The choices are kept in the browser (localStorage) and in the page's address
(`plan.html#goal=<id>&known=<id>,<id>`), so a reload, a bookmark or a shared link opens the same
plan; an entry page's `plan.html#goal=<id>` keeps what the reader ticked before, and opening someone
else's link does not overwrite the reader's own saved choices until they change something. The tree
reaches the script as JSON in a `<script type="application/json">` with `<`, `>` and `&` escaped,
never spliced into HTML or code; every name in the markup is escaped for the attribute or text it
lands in.
"""

from __future__ import annotations

import html
import json

from ..models import CatalogEntry, Topic
from .html import CSS
from .learning import _LEVEL_RANK, ancestors, path_to
from .titles import short_name, subtitle_zh

LEVELS = {"beginner": "入门", "advanced": "进阶"}

PLAN_CSS = """
#known { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 0.5rem 1rem;
  align-items: start; }
#known fieldset { border: 1px solid #d0d7de; margin: 0; min-width: 0; }
#known label { display: block; overflow-wrap: anywhere; }
select { font: inherit; max-width: 100%; }
#plan li { margin: 0.3rem 0; }
#plan button { font-size: 0.8rem; margin-left: 0.4rem; }
"""

PLAN_JS = r"""
(function () {
  var data = JSON.parse(document.getElementById("plan-data").textContent);
  var byId = {};
  data.entries.forEach(function (e) { byId[e.id] = e; });
  var key = "alphatree-plan";
  var goal = document.getElementById("goal");
  var plan = document.getElementById("plan");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#known input[type=checkbox]"));

  function known() {
    var out = {};
    boxes.forEach(function (b) { if (b.checked) out[b.value] = true; });
    return out;
  }
  function reach(target, knows) {  // learning.ancestors
    var seen = {}, stack = [target];
    while (stack.length) {
      var c = stack.pop();
      if (seen[c] || !byId[c] || (knows[c] && c !== target)) continue;
      seen[c] = true;
      if (!knows[c]) byId[c].parents.forEach(function (p) { stack.push(p); });
    }
    return Object.keys(seen);
  }
  function before(a, b) {  // learning._key, then the id
    var x = [a.rank, a.year, a.sort, a.id], y = [b.rank, b.year, b.sort, b.id];
    for (var i = 0; i < x.length; i++) { if (x[i] < y[i]) return true; if (x[i] > y[i]) return false; }
    return false;
  }
  function order(chosen) {  // learning.reading_order
    var pending = {}, ready = [], out = [];
    chosen.forEach(function (id) {
      pending[id] = {};
      byId[id].parents.forEach(function (p) { if (chosen.indexOf(p) >= 0) pending[id][p] = true; });
      if (!Object.keys(pending[id]).length) ready.push(id);
    });
    while (ready.length) {
      var best = 0;
      for (var i = 1; i < ready.length; i++) if (before(byId[ready[i]], byId[ready[best]])) best = i;
      var current = ready.splice(best, 1)[0];
      out.push(current);
      chosen.forEach(function (other) {
        if (pending[other][current]) {
          delete pending[other][current];
          if (!Object.keys(pending[other]).length) ready.push(other);
        }
      });
    }
    return out;
  }
  function step(id) {
    var e = byId[id], li = document.createElement("li"), a = document.createElement("a");
    li.dataset.id = id;
    a.href = e.href;
    a.textContent = e.name;
    li.appendChild(a);
    li.appendChild(document.createTextNode(e.info));
    if (id !== goal.value) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = "已掌握";
      b.addEventListener("click", function () {
        boxes.forEach(function (x) { if (x.value === id) x.checked = true; });
        update();
      });
      li.appendChild(b);
    }
    return li;
  }
  // save is false only for the first drawing: a shared link's plan is not the reader's own yet
  function update(save) {
    var knows = known();
    var steps = order(reach(goal.value, knows));
    plan.textContent = "";
    steps.forEach(function (id) { plan.appendChild(step(id)); });
    var skipped = reach(goal.value, {}).length - steps.length;
    var note = skipped > 0 ? "（已跳过 " + skipped + " 篇：你已掌握的，和只为它们才要读的）" : "";
    document.getElementById("summary").textContent = "共 " + steps.length + " 篇" + note;
    var choice = JSON.stringify({ goal: goal.value, known: Object.keys(knows) });
    if (save !== false) { try { localStorage.setItem(key, choice); } catch (e) {} }
    // the plan is also its address: a reload, a bookmark or a shared link opens the same plan
    var address = "#goal=" + encodeURIComponent(goal.value) +
      "&known=" + Object.keys(knows).map(encodeURIComponent).join(",");
    try { history.replaceState(null, "", address); } catch (e) {}
  }

  var saved = {};
  try { saved = JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { saved = {}; }
  // "#goal=<id>" (an entry page's link) or "#goal=<id>&known=<id>,<id>" (a plan's own address)
  function decoded(text) { try { return decodeURIComponent(text); } catch (e) { return ""; } }
  var asked = /^#goal=([^&]+)(?:&known=(.*))?$/.exec(location.hash);
  var wanted = asked ? decoded(asked[1]) : saved.goal;
  if (wanted && Object.prototype.hasOwnProperty.call(byId, wanted)) goal.value = wanted;
  var knownIds = asked && asked[2] !== undefined
    ? asked[2].split(",").map(decoded)
    : (Array.isArray(saved.known) ? saved.known : []);
  var remembered = {};
  knownIds.forEach(function (id) { remembered[id] = true; });
  boxes.forEach(function (b) { b.checked = !!remembered[b.value]; b.addEventListener("change", update); });
  goal.addEventListener("change", update);
  update(false);
})();
"""


def _json_for_script(value: object) -> str:
    """JSON that cannot end its `<script>` element or open a comment there."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _info(entry: CatalogEntry) -> str:
    level = f"，{LEVELS[entry.level]}" if entry.level in LEVELS else ""
    sub = subtitle_zh(entry.name, entry.title_zh)
    return f"（{entry.year}{level}）{sub}"


def default_goal(entries: list[CatalogEntry]) -> str:
    """The entry with the longest way to it: the plan that shows most of the tree."""
    by_id = {e.id: e for e in entries}
    return max(entries, key=lambda e: (len(ancestors(e.id, by_id)), e.id)).id if entries else ""


def render_plan(entries: list[CatalogEntry], topics: dict[str, Topic]) -> str:
    """`plan.html` for the site's root; `entries` in the tree's order."""
    esc = html.escape
    by_id = {e.id: e for e in entries}
    data = {
        "entries": [
            {
                "id": e.id,
                "name": short_name(e.name),
                "info": _info(e),
                "href": f"entries/{e.id}.html",
                "parents": [p for p in e.parents if p in by_id],
                "rank": _LEVEL_RANK.get(e.level, 1),
                "year": e.year,
                "sort": e.name.lower(),
            }
            for e in entries
        ]
    }
    goal = default_goal(entries)
    groups: dict[str, list[CatalogEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.topic, []).append(entry)

    def topic_name(topic_id: str) -> str:
        topic = topics.get(topic_id)
        return topic.name_zh if topic else topic_id

    def option(e: CatalogEntry) -> str:
        chosen = " selected" if e.id == goal else ""
        return f'<option value="{esc(e.id)}"{chosen}>{esc(short_name(e.name))}</option>'

    options = "".join(
        f'<optgroup label="{esc(topic_name(t))}">' + "".join(option(e) for e in rows) + "</optgroup>\n"
        for t, rows in groups.items()
    )
    boxes = "".join(
        f"<fieldset><legend>{esc(topic_name(t))}</legend>\n"
        + "".join(
            f'<label><input type="checkbox" value="{esc(e.id)}"> {esc(short_name(e.name))}</label>\n'
            for e in rows
        )
        + "</fieldset>\n"
        for t, rows in groups.items()
    )
    steps = "".join(
        f'<li data-id="{esc(e.id)}"><a href="entries/{esc(e.id)}.html">{esc(short_name(e.name))}</a>'
        f"{esc(_info(e))}</li>\n"
        for e in (path_to(goal, entries) if goal else [])
    )
    return (
        '<!doctype html>\n<html lang="zh-Hans">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>学习计划 · AlphaTree</title>\n<style>{CSS}{PLAN_CSS}</style>\n</head>\n<body>\n"
        '<p><a href="index.html">返回目录</a></p>\n<h1>定制你的学习计划</h1>\n'
        "<p>选一个想读懂的模型，勾上你已经掌握的：计划只留下还要读的，先读它所基于的，最后是目标；"
        "你已掌握的、以及只为它们才要读的，都会跳过。你的选择保存在这个浏览器里。</p>\n"
        f'<p><label for="goal">目标：</label><select id="goal">\n{options}</select></p>\n'
        f'<h2>计划</h2>\n<p id="summary"></p>\n<ol id="plan">\n{steps}</ol>\n'
        f'<h2>我已掌握</h2>\n<div id="known">\n{boxes}</div>\n'
        f'<script type="application/json" id="plan-data">{_json_for_script(data)}</script>\n'
        f"<script>{PLAN_JS}</script>\n</body>\n</html>\n"
    )
