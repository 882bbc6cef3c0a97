"""`alphatree review serve` over plain HTTP (Starlette's TestClient on the real app): the page of a
draft, its token, CSRF, unknown ids, figures served only from the catalog's figures folder, hostile
drafts escaped, and decisions through the same gate as the command line."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from alphatree_ingest.config import Settings
from tests.conftest import InProcessCli
from tests.support import save_yaml

ID = "2611.03001"
DRAFT: dict[str, Any] = {
    "id": "uigan",
    "name": "UIGAN",
    "arxiv": ID,
    "version": 1,
    "title": "UIGAN: Reviewed in the Browser",
    "title_zh": "UIGAN: Reviewed in the Browser",  # the machine left it in English: the gate refuses
    "authors": ["Ada Lovelace", "Alan Turing"],
    "year": 2026,
    "topic": "gan",
    "level": "advanced",
    "parents": ["gan"],
    "abstract": "We propose UIGAN. It is reviewed in a browser.",
    "abstract_zh": "我们提出 UIGAN。它在浏览器中被审阅。",
    "figures": [
        {
            "file": f"figures/{ID}/fig-1.png",
            "caption": "Figure 1: Overview of UIGAN.",
            "caption_zh": "图1：UIGAN 概览。",
            "kind": "architecture",
            "diagram": True,
        },
        {
            "file": f"figures/{ID}/fig-2.png",
            "caption": "Figure 2: Samples. They look real.",
            "caption_zh": "图2：样本。它们看起来很真实。",
            "kind": "plot",
        },
    ],
    "code": [
        {"url": "https://github.com/lab/uigan", "framework": "pytorch", "official": True},
        {"url": "https://github.com/lab/uigan-tf", "framework": "tensorflow", "official": False},
    ],
    "status": "draft",
    "provenance": {
        "suggestions": {
            "parents": {"evidence": {"gan": ["cited 3 times", "named in the abstract"]}},
            "code": {"evidence": ["https://github.com/lab/uigan: confidence 0.90; linked in the abstract"]},
            "diagram": {"evidence": "figure 1: the best-ranked architecture figure"},
            "topic": {"evidence": "found by the arXiv query of topic gan"},
        }
    },
}


def write_png(path: Path, width: int, height: int, rgb: tuple[int, int, int]) -> None:
    import pymupdf

    path.parent.mkdir(parents=True, exist_ok=True)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, width, height), False)
    pix.set_rect(pix.irect, rgb)
    pix.save(str(path))


def write_draft(home: Path, **changes: Any) -> Path:
    """The draft as ingest leaves it (machine field hashes included), with its two figure PNGs."""
    from alphatree_ingest.drafting.draft import field_hashes
    from alphatree_ingest.models import CatalogEntry

    data = dict(DRAFT, **changes)
    data["provenance"] = dict(
        data["provenance"], machine_fields=field_hashes(CatalogEntry.model_validate(data))
    )
    drafts = home / "catalog" / "drafts"
    drafts.mkdir(parents=True, exist_ok=True)
    path = drafts / f"{ID}.yaml"
    save_yaml(path, data)
    for n, fig in enumerate(data["figures"]):
        if not (home / "catalog" / fig["file"]).exists():
            write_png(home / "catalog" / fig["file"], 160 + 40 * n, 90, (40, 90 + 60 * n, 200))
    return path


def client(home: Path, **options: Any) -> Any:
    from starlette.testclient import TestClient

    from alphatree_ingest.review.app import create_app

    settings = Settings.from_env({"ALPHATREE_HOME": str(home), "ALPHATREE_REVIEWER": "Ada"})
    options.setdefault("read", False)
    return TestClient(create_app(settings, **options), base_url="http://127.0.0.1")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the form carries no CSRF token"
    return found.group(1)


def form(html: str, **values: Any) -> dict[str, Any]:
    """What a browser sends for the page's form with nothing changed, then `values`."""
    data: dict[str, Any] = {"csrf": csrf_of(html)}
    for name in ("title_zh", "abstract_zh", "caption_zh_0", "caption_zh_1"):
        found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
        if found:
            import html as html_lib

            data[name] = html_lib.unescape(found.group(1))
    data.update(code="https://github.com/lab/uigan", code_framework="pytorch", topic="gan", level="advanced")
    data["parents"] = ["gan"]
    data.update(values)
    return data


def test_a_draft_page_has_the_shape_links_and_tests_rely_on(home: Path) -> None:
    write_draft(home)
    with client(home) as http:
        page = http.get(f"/review/{ID}")
    assert page.status_code == 200
    html = page.text
    for needle in (
        '<textarea name="title_zh"',
        '<textarea name="abstract_zh"',
        f'<input type="radio" name="diagram" value="figures/{ID}/fig-1.png"',
        f'<input type="radio" name="diagram" value="figures/{ID}/fig-2.png"',
        '<input type="radio" name="diagram" value="none"',
        '<input type="url" name="code_url"',
        '<select name="code_framework"',
        '<button type="submit" name="decision" value="approve"',
        '<button type="submit" name="decision" value="reject"',
        f'<img src="/figures/{ID}/fig-1.png"',
    ):
        assert needle in html, needle
    # failing checks come first, before the form
    assert html.index("title_zh is not translated") < html.index("<form")
    # each English sentence of the abstract on its own, above the Chinese box
    assert html.index("<li>We propose UIGAN.</li>") < html.index("<li>It is reviewed in a browser.</li>")
    assert html.index("It is reviewed in a browser.") < html.index('<textarea name="abstract_zh"')
    # evidence as sentences, never Python syntax
    assert "gan: cited 3 times; named in the abstract" in html
    assert "{'" not in html and "['" not in html
    # outside links open in a new tab
    assert 'href="https://arxiv.org/abs/2611.03001" target="_blank"' in html


def test_the_queue_lists_drafts_with_links_to_their_pages(home: Path) -> None:
    write_draft(home)
    with client(home) as http:
        html = http.get("/").text
    assert f'href="/review/{ID}"' in html and "UIGAN" in html and "check(s) failing" in html


def test_unknown_and_malformed_ids_are_404(home: Path) -> None:
    write_draft(home)
    with client(home) as http:
        assert http.get("/review/2611.09999").status_code == 404
        assert http.get("/review/not-an-id").status_code == 404
        assert http.get("/review/..%2F..%2Fcatalog%2Ftopics").status_code == 404
        csrf = csrf_of(http.get(f"/review/{ID}").text)
        sent = http.post("/review/2611.09999", data={"csrf": csrf, "decision": "approve"})
        assert sent.status_code == 404


def test_figures_are_served_only_from_the_figures_folder(home: Path, tmp_path: Path) -> None:
    write_draft(home)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the browser")
    (home / "catalog" / "figures" / ID / "link.png").symlink_to(secret)
    with client(home) as http:
        image = http.get(f"/figures/{ID}/fig-1.png")
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
        for path in (
            "/figures/../topics.yaml",
            "/figures/%2e%2e/topics.yaml",
            f"/figures/{ID}/..%2F..%2Ftopics.yaml",
            "/figures/%2Fetc%2Fpasswd",
            f"/figures/{ID}/link.png",
            f"/figures/{ID}/missing.png",
            f"/figures/{ID}",
        ):
            got = http.get(path)
            assert got.status_code == 404, path
            assert b"topics" not in got.content and b"not for the browser" not in got.content


def test_a_form_without_its_csrf_token_changes_nothing(home: Path) -> None:
    path = write_draft(home)
    before = path.read_text()
    with client(home) as http:
        html = http.get(f"/review/{ID}").text
        data = form(
            html, title_zh="UIGAN：在浏览器中审阅", diagram=f"figures/{ID}/fig-1.png", decision="approve"
        )
        for csrf in (None, "", "forged", "fórged"):
            sent = dict(data)
            if csrf is None:
                sent.pop("csrf")
            else:
                sent["csrf"] = csrf
            got = http.post(f"/review/{ID}", data=sent, follow_redirects=False)
            assert got.status_code == 403, csrf
            # nothing lost: what was typed comes back, with a fresh token, to be checked and sent again
            assert "Nothing was saved" in got.text and ">UIGAN：在浏览器中审阅</textarea>" in got.text
            assert csrf_of(got.text) == data["csrf"]
        # a page of another site posting here (its Origin says so) gets nothing back, not even a form
        for origin in ("http://evil.example", "null"):  # null: a sandboxed frame, a data: URL
            forged = http.post(f"/review/{ID}", data=data, headers={"origin": origin})
            assert forged.status_code == 403 and "<form" not in forged.text
        same = http.post(f"/review/{ID}", data=dict(data, csrf="x"), headers={"origin": "http://127.0.0.1"})
        assert same.status_code == 403 and "Nothing was saved" in same.text
    assert path.read_text() == before
    assert not (home / "catalog" / "tree" / "gan" / "uigan.yaml").exists()


def test_with_a_token_nothing_is_served_without_it(home: Path) -> None:
    write_draft(home)
    with client(home, token="s3cret-token", loopback=False) as http:
        assert http.get(f"/review/{ID}").status_code == 401
        assert http.get(f"/figures/{ID}/fig-1.png").status_code == 401
        assert http.get("/?token=wrong").status_code == 401
        assert http.get("/?token=s3cret-tökén").status_code == 401  # not ASCII: refused, not a crash
        first = http.get(f"/review/{ID}?token=s3cret-token", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == f"/review/{ID}"
        assert "httponly" in first.headers["set-cookie"].lower()
        assert http.get(f"/review/{ID}").status_code == 200  # the cookie now
        http.cookies.clear()
        assert http.get(f"/review/{ID}").status_code == 401


def test_on_loopback_other_host_names_are_refused(home: Path) -> None:
    """DNS rebinding: a page of another site whose name now points at 127.0.0.1 gets nothing."""
    write_draft(home)
    with client(home) as http:
        assert http.get(f"/review/{ID}", headers={"host": "evil.example:8765"}).status_code == 400
        assert http.get(f"/review/{ID}", headers={"host": "localhost:8765"}).status_code == 200


def test_pages_forbid_scripts_and_escape_hostile_drafts(home: Path) -> None:
    write_draft(
        home,
        name="<img src=x onerror=alert(1)>",
        title="</textarea><script>alert(2)</script>",
        title_zh="</textarea><b>bold</b>",
        code=[{"url": "javascript:alert(3)", "framework": "pytorch", "official": False}],
    )
    with client(home) as http:
        page = http.get(f"/review/{ID}")
        queue = http.get("/")
    assert page.status_code == 200
    for html in (page.text, queue.text):
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;/textarea&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page.text
    assert "</textarea><b>" not in page.text
    assert 'href="javascript:' not in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_a_refused_approval_shows_its_checks_and_keeps_the_edits(home: Path) -> None:
    path = write_draft(home)
    with client(home) as http:
        html = http.get(f"/review/{ID}").text
        edited = "我们提出 UIGAN。它在浏览器里被审阅。"
        data = form(html, abstract_zh=edited, diagram=f"figures/{ID}/fig-2.png", decision="approve")
        refused = http.post(f"/review/{ID}", data=data, follow_redirects=False)
    assert refused.status_code == 422
    assert "Last approval refused" in refused.text
    assert "title_zh is not translated into Chinese" in refused.text
    assert f">{edited}</textarea>" in refused.text  # the curator's edit is still in the box
    assert f'value="figures/{ID}/fig-2.png" checked' in refused.text
    saved = yaml.safe_load(path.read_text())
    assert saved["abstract_zh"] == edited and saved["diagram"] == f"figures/{ID}/fig-2.png"
    assert saved["status"] == "draft"


def test_an_approval_lands_in_the_tree_with_the_edits_and_the_reviewer(home: Path) -> None:
    write_draft(home)
    with client(home) as http:
        html = http.get(f"/review/{ID}").text
        data = form(
            html,
            title_zh="UIGAN：在浏览器中审阅",
            diagram=f"figures/{ID}/fig-1.png",
            caption_zh_1="图2：样本，看起来很真实。",
            code=" (another URL, below)".strip(),
            code_url="https://github.com/other/uigan",
            parents=["gan", "dcgan"],
            level="beginner",
            decision="approve",
        )
        done = http.post(f"/review/{ID}", data=data, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/"
        queue = http.get("/").text
    assert f"Approved {ID}: catalog/tree/gan/uigan.yaml" in queue
    entry = yaml.safe_load((home / "catalog" / "tree" / "gan" / "uigan.yaml").read_text())
    assert entry["title_zh"] == "UIGAN：在浏览器中审阅"
    assert entry["diagram"] == f"figures/{ID}/fig-1.png"
    assert entry["figures"][1]["caption_zh"] == "图2：样本，看起来很真实。"
    assert entry["code"][0] == {
        "url": "https://github.com/other/uigan",
        "framework": "pytorch",
        "official": False,
    }
    assert entry["parents"] == ["gan", "dcgan"] and entry["level"] == "beginner"
    assert entry["provenance"]["reviewed_by"] == "Ada" and entry["status"] == "approved"
    assert not (home / "catalog" / "drafts" / f"{ID}.yaml").exists()
    rows = [json.loads(x) for x in (home / "translations" / "memory.jsonl").read_text().splitlines()]
    human = [(r["source"], r["target"]) for r in rows if r["origin"] == "human"]
    assert ("UIGAN: Reviewed in the Browser", "UIGAN：在浏览器中审阅") in human


def test_a_rejection_needs_a_reason_and_then_is_filed(home: Path) -> None:
    write_draft(home)
    with client(home) as http:
        html = http.get(f"/review/{ID}").text
        refused = http.post(f"/review/{ID}", data=form(html, decision="reject", reason=" "))
        assert refused.status_code == 422 and "a rejection needs a reason" in refused.text
        done = http.post(
            f"/review/{ID}", data=form(html, decision="reject", reason="off topic"), follow_redirects=False
        )
        assert done.status_code == 303
        queue = http.get("/").text
    # the app says what the CLI says after a decision, the ranker's lesson included
    assert f"Rejected {ID}: catalog/rejected/{ID}.yaml" in queue
    assert "Ranker updated with this decision (catalog/ranker.json)." in queue
    rejected = yaml.safe_load((home / "catalog" / "rejected" / f"{ID}.yaml").read_text())
    assert rejected["provenance"]["rejected_reason"] == "off topic"
    assert rejected["provenance"]["reviewed_by"] == "Ada"


@pytest.mark.parametrize(
    "field, value",
    [
        ("topic", "astrology"),
        ("level", "expert"),
        ("diagram", "../../topics.yaml"),
        ("parents", ["nope"]),
        ("code_framework", "cobol"),
        ("decision", "publish"),
    ],
)
def test_a_value_outside_the_choices_never_reaches_the_draft(home: Path, field: str, value: Any) -> None:
    path = write_draft(home)
    before = path.read_text()
    with client(home) as http:
        html = http.get(f"/review/{ID}").text
        got = http.post(f"/review/{ID}", data=form(html, **{"decision": "approve", field: value}))
    assert got.status_code == 400
    assert path.read_text() == before


def test_a_code_url_that_is_not_http_is_refused_with_the_edits_kept(home: Path) -> None:
    path = write_draft(home)
    before = path.read_text()
    with client(home) as http:
        html = http.get(f"/review/{ID}").text
        got = http.post(
            f"/review/{ID}",
            data=form(html, title_zh="UIGAN：审阅", code_url="javascript:alert(1)", decision="approve"),
        )
    assert got.status_code == 422 and "http(s) URL" in got.text
    assert ">UIGAN：审阅</textarea>" in got.text
    assert path.read_text() == before


def test_review_list_prints_each_drafts_url_while_the_app_runs(home: Path, cli: InProcessCli) -> None:
    import subprocess
    import sys

    from tests.conftest import cli_env

    write_draft(home)
    env = cli_env(home, None, None)
    state = home / "cache" / "review-app.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"url": "http://127.0.0.1:8765", "pid": os.getpid()}))
    shown = cli(["review", "list"], env)
    assert shown.returncode == 0, shown.stderr
    assert f"review: http://127.0.0.1:8765/review/{ID}" in shown.stdout
    gone = subprocess.Popen([sys.executable, "-c", "pass"])  # a server killed without cleaning up
    gone.wait()
    state.write_text(json.dumps({"url": "http://127.0.0.1:8765", "pid": gone.pid}))
    assert "review: http" not in cli(["review", "list"], env).stdout
    state.unlink()
    assert "review: http" not in cli(["review", "list"], env).stdout


def test_the_ingest_summary_links_each_draft_to_the_review_app(capsys: pytest.CaptureFixture[str]) -> None:
    from alphatree_ingest.cli import _print_summary
    from alphatree_ingest.models import Outcome, RunSummary

    summary = RunSummary(topic="gan", drafted=[Outcome(id=ID, draft=f"catalog/drafts/{ID}.yaml")])
    _print_summary(summary, "http://127.0.0.1:8765")
    assert f"  {ID}" in capsys.readouterr().out.split("review them in the browser")[1]
    _print_summary(summary, "http://127.0.0.1:8765")
    assert f"http://127.0.0.1:8765/review/{ID}" in capsys.readouterr().out
    _print_summary(summary, None)
    out = capsys.readouterr().out
    assert "http://" not in out and "alphatree review approve ID" in out


def test_a_parent_not_yet_in_the_tree_stays_offered_ticked_and_kept(home: Path) -> None:
    """Found in review: the page offered only tree entries, so any decision dropped a parent the
    reviewer wrote that is another draft still waiting (and an approval then passed without it)."""
    write_draft(home, parents=["gan", "uigan-base"])
    with client(home) as http:
        html = http.get(f"/review/{ID}").text
        assert re.search(r'value="uigan-base" checked', html) and "not in the tree yet" in html
        done = http.post(
            f"/review/{ID}",
            data=form(html, decision="reject", reason="later", parents=["gan", "uigan-base"]),
            follow_redirects=False,
        )
        assert done.status_code == 303
    rejected = yaml.safe_load((home / "catalog" / "rejected" / f"{ID}.yaml").read_text())
    assert rejected["parents"] == ["gan", "uigan-base"]


def test_the_pages_style_reaches_the_browser_unescaped(home: Path) -> None:
    """Found in review: the CSS was HTML-escaped inside <style>, so the CJK font list and the row layout
    were dropped by the browser."""
    write_draft(home)
    with client(home) as http:
        for page in (http.get("/").text, http.get(f"/review/{ID}").text):
            style = page.split("<style>", 1)[1].split("</style>", 1)[0]
            assert "&#34;" not in style and "&gt;" not in style and '"Noto Sans CJK SC"' in style
