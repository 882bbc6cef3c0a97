"""The arXiv source against a loopback server: politeness, faults, hostile metadata, the PDF cache."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from alphatree_ingest.config import Settings, SettingsError
from alphatree_ingest.discover.arxiv_source import ArxivSource, DiscoveryError, PdfError, TransientError
from tests.support import ArxivServer, FeedEntry, atom_feed, days_ago, make_paper_pdf

PDF = make_paper_pdf("A Paper", "An abstract.")


def _settings(home: Path, server: ArxivServer, delay: float = 0.2, **kw: object) -> Settings:
    return Settings(home=home, arxiv_api=server.api, arxiv_delay=delay, **kw)  # type: ignore[arg-type]


def _papers(server: ArxivServer, n: int) -> None:
    for i in range(n):
        server.add(
            FeedEntry(f"2611.{i:05d}", f"Paper {i}", "Abstract.", published=days_ago(10 - i)),
            PDF,
        )


def test_requests_are_spaced_by_the_delay_and_pages_follow(tmp_path: Path, arxiv_server: ArxivServer) -> None:
    _papers(arxiv_server, 5)
    source = ArxivSource(_settings(tmp_path, arxiv_server), page_size=2)
    found = source.discover("cat:cs.CV")
    assert [p.arxiv_id for p in found.papers] == [f"2611.{i:05d}" for i in range(5)]  # oldest first
    for paper in found.papers[:2]:
        source.fetch_pdf(paper)
    times = [t for t, _ in arxiv_server.requests]
    assert len(times) == 3 + 2  # three pages, two PDFs
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.19, gaps


def test_the_limiter_is_shared_by_two_sources_of_one_tree(tmp_path: Path, arxiv_server: ArxivServer) -> None:
    _papers(arxiv_server, 2)
    one, two = (ArxivSource(_settings(tmp_path, arxiv_server, 0.3)) for _ in range(2))
    one.discover("x")
    two.discover("x")
    one.discover("x")
    times = [t for t, _ in arxiv_server.requests]
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.29


def test_503_is_retried_and_429_waits_for_retry_after(tmp_path: Path, arxiv_server: ArxivServer) -> None:
    _papers(arxiv_server, 1)
    arxiv_server.faults["/api/query"] = [(503, {}, b"busy"), (429, {"Retry-After": "1"}, b"slow down")]
    source = ArxivSource(_settings(tmp_path, arxiv_server, 0.0))
    source.session.backoff = 0.1
    found = source.discover("x")
    assert len(found.papers) == 1
    times = [t for t, _ in arxiv_server.requests]
    assert len(times) == 3 and times[2] - times[1] >= 0.99


def test_html_instead_of_pdf_and_oversized_pdf_fail_that_paper(
    tmp_path: Path, arxiv_server: ArxivServer
) -> None:
    _papers(arxiv_server, 1)
    source = ArxivSource(_settings(tmp_path, arxiv_server, 0.0))
    paper = source.discover("x").papers[-1]
    arxiv_server.faults["/pdf/"] = [
        (200, {"Content-Type": "text/html"}, b"<html><body>captcha</body></html>")
    ]
    with pytest.raises(PdfError, match="HTML page instead of a PDF"):
        source.fetch_pdf(paper)
    small = ArxivSource(_settings(tmp_path, arxiv_server, 0.0, max_pdf_bytes=1000))
    with pytest.raises(PdfError, match="over the 1000-byte cap"):
        small.fetch_pdf(paper)
    path = source.fetch_pdf(paper)
    assert path.read_bytes() == PDF
    count = len(arxiv_server.requests)
    assert source.fetch_pdf(paper) == path and len(arxiv_server.requests) == count  # cached


def test_hostile_ids_are_refused_and_text_is_cleaned(tmp_path: Path, arxiv_server: ArxivServer) -> None:
    arxiv_server.add(FeedEntry("2611.00001", "Good\x07 title:\n  with: yaml *and* | pipes", "Fine."))
    arxiv_server.add(dataclasses.replace(FeedEntry("../../etc/passwd", "Evil", "x"), published=days_ago(2)))
    found = ArxivSource(_settings(tmp_path, arxiv_server, 0.0)).discover("x")
    assert [p.arxiv_id for p in found.papers] == ["2611.00001"]
    assert found.papers[0].title == "Good title: with: yaml *and* | pipes"
    assert len(found.refused) == 1 and "not a valid arXiv identifier" in found.refused[0][1]


def test_since_stops_at_older_papers_and_max_papers_caps(tmp_path: Path, arxiv_server: ArxivServer) -> None:
    import datetime as dt

    _papers(arxiv_server, 5)
    source = ArxivSource(_settings(tmp_path, arxiv_server, 0.0))
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=8.5)
    assert len(source.discover("x", since=since).papers) == 3
    assert len(source.discover("x", max_papers=2).papers) == 2
    assert "lastUpdatedDate" in arxiv_server.requests[0][1] and "ascending" in arxiv_server.requests[0][1]


def test_a_delay_under_three_seconds_is_refused_for_arxiv_org() -> None:
    with pytest.raises(SettingsError, match="below arXiv's limit"):
        ArxivSource(Settings.from_env({"ALPHATREE_ARXIV_DELAY": "1"}))
    loopback = {"ALPHATREE_ARXIV_DELAY": "0.1", "ALPHATREE_ARXIV_API": "http://127.0.0.1:1/q"}
    Settings.from_env(loopback).check_arxiv_politeness()


def test_a_timeout_is_a_transient_error_for_the_task_retries(
    tmp_path: Path, arxiv_server: ArxivServer
) -> None:
    """Timeouts surface as TransientError (the flow's task retries fire on it), the next try works."""
    _papers(arxiv_server, 1)
    arxiv_server.delays["/api/query"] = [1.5]
    source = ArxivSource(_settings(tmp_path, arxiv_server, 0.0, http_timeout=0.5))
    with pytest.raises(TransientError, match="did not answer within 0.5 s"):
        source.discover("x")
    assert len(source.discover("x").papers) == 1
    assert len(arxiv_server.requests) == 2


def test_pdf_faults_that_may_pass_are_transient_and_a_404_is_not(
    tmp_path: Path, arxiv_server: ArxivServer
) -> None:
    _papers(arxiv_server, 1)
    source = ArxivSource(_settings(tmp_path, arxiv_server, 0.0))
    source.session.backoff = 0.01
    paper = source.discover("x").papers[-1]
    arxiv_server.faults["/pdf/"] = [(503, {}, b"busy")] * 4
    with pytest.raises(TransientError, match="HTTP 503"):
        source.fetch_pdf(paper)
    missing = paper.model_copy(update={"pdf_url": f"{arxiv_server.url}/pdf/nothing"})
    with pytest.raises(PdfError, match="HTTP 404") as err:
        source.fetch_pdf(missing)
    assert not isinstance(err.value, TransientError)


def test_an_empty_page_while_more_are_announced_is_retried_never_taken_as_the_end(
    tmp_path: Path, arxiv_server: ArxivServer
) -> None:
    _papers(arxiv_server, 4)
    empty = atom_feed([], arxiv_server.url, total=4, start=2).encode()
    arxiv_server.page_faults[2] = [empty, empty]
    source = ArxivSource(_settings(tmp_path, arxiv_server, 0.0), page_size=2)
    assert len(source.discover("x").papers) == 4  # two glitches, then the real page
    arxiv_server.page_faults[2] = [empty] * 4
    with pytest.raises(DiscoveryError, match="empty page although 2 more results are announced"):
        source.discover("x")


def test_malformed_atom_is_retried_then_fails_with_a_clear_error(
    tmp_path: Path, arxiv_server: ArxivServer
) -> None:
    _papers(arxiv_server, 1)
    arxiv_server.faults["/api/query"] = [(200, {}, b"<feed><entry>broken")]
    source = ArxivSource(_settings(tmp_path, arxiv_server, 0.0))
    assert len(source.discover("x").papers) == 1
    arxiv_server.faults["/api/query"] = [(200, {}, b"<feed><entry>broken")] * 4
    with pytest.raises(DiscoveryError, match="malformed Atom"):
        source.discover("x")


def test_truncated_encrypted_and_empty_pdfs_are_refused_and_not_cached(
    tmp_path: Path, arxiv_server: ArxivServer
) -> None:
    import pymupdf

    _papers(arxiv_server, 1)
    source = ArxivSource(_settings(tmp_path, arxiv_server, 0.0))
    paper = source.discover("x").papers[0]
    doc = pymupdf.open()
    doc.new_page()
    locked = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    for body, reason in ((PDF[: len(PDF) // 2], "truncated"), (locked, "encrypted")):
        arxiv_server.faults["/pdf/"] = [(200, {}, body)]
        with pytest.raises(PdfError, match=reason):
            source.fetch_pdf(paper)
    assert not list((tmp_path / "cache" / "pdf").glob("*.pdf"))


def test_an_unreadable_pdf_is_refused_with_the_same_sentence_for_each_fault(
    tmp_path: Path, arxiv_server: ArxivServer
) -> None:
    import pymupdf

    _papers(arxiv_server, 1)
    source = ArxivSource(_settings(tmp_path, arxiv_server, 0.0))
    paper = source.discover("x").papers[0]
    doc = pymupdf.open()
    doc.new_page()
    locked = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    empty = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    cases = [
        (b"%PDF-1.4\ngarbage\n%%EOF\n", "the PDF cannot be read (Failed to open stream)"),
        (locked, "the PDF is encrypted with a password"),
        (empty, "the PDF has no pages"),
        (b"<html><body>captcha</body></html>", "returned an HTML page instead of a PDF"),
    ]
    for body, sentence in cases:
        arxiv_server.faults["/pdf/"] = [(200, {}, body)]
        with pytest.raises(PdfError) as raised:
            source.fetch_pdf(paper)
        assert str(raised.value).endswith(sentence)
        assert str(raised.value).startswith(paper.pdf_url)
    assert not list((tmp_path / "cache" / "pdf").glob("*.pdf"))
