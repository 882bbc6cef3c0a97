"""What `alphatree demo` runs against, offline: a loopback HTTP server that speaks the arXiv API
(Atom) and serves PDFs, small papers drawn with PyMuPDF, and a tiny random-weight MarianMT model built
on the spot. Nothing here touches the network beyond 127.0.0.1.

The tests use the same pieces at the same seams; their fault-injecting arXiv (resets, stalls, bad
pages) is a test double and lives in `tests/doubles.py`, not here.
"""

from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

# --- arXiv ---------------------------------------------------------------------------------------


def days_ago(days: float) -> str:
    """An Atom timestamp `days` before now: test feeds stay inside the first-run lookback."""
    import datetime as dt

    moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FeedEntry:
    """One paper as the arXiv API describes it."""

    arxiv_id: str
    title: str
    abstract: str
    version: int = 1
    authors: list[str] = field(default_factory=lambda: ["Ada Lovelace", "Alan Turing"])
    published: str = field(default_factory=lambda: days_ago(1))
    updated: str | None = None
    """When the entry last changed (a new version); the published time when None."""
    comment: str | None = None
    category: str = "cs.CV"


def atom_feed(entries: list[FeedEntry], base: str, total: int, start: int) -> str:
    """An Atom page shaped like the real API's: opensearch totals, arxiv: fields, a pdf link."""
    items = []
    for e in entries:
        vid = f"{e.arxiv_id}v{e.version}"
        authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in e.authors)
        comment = f"<arxiv:comment>{escape(e.comment)}</arxiv:comment>" if e.comment else ""
        items.append(f"""
  <entry>
    <id>http://arxiv.org/abs/{vid}</id>
    <updated>{e.updated or e.published}</updated>
    <published>{e.published}</published>
    <title>{escape(e.title)}</title>
    <summary>{escape(e.abstract)}</summary>
    {authors}
    {comment}
    <link href="http://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>
    <link title="pdf" href="{base}/pdf/{vid}" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="{e.category}" scheme="http://arxiv.org/schemas/atom"/>
    <category term="{e.category}" scheme="http://arxiv.org/schemas/atom"/>
  </entry>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/test</id>
  <title>arXiv Query: test</title>
  <updated>2026-11-28T00:00:00-05:00</updated>
  <link href="https://arxiv.org/api/query" type="application/atom+xml"/>
  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>{start}</opensearch:startIndex>{"".join(items)}
</feed>
"""


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for k, v in headers.items():
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 with a free port, started and stopped as a context."""

    def _listen(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _stamp(published: str) -> str:
    """`2026-11-20T10:00:00Z` as arXiv's date-range digits `202611201000`."""
    return published[:16].replace("-", "").replace("T", "").replace(":", "")


class ArxivServer(LoopbackServer):
    """Loopback HTTP server speaking the arXiv API and serving PDFs; records every request."""

    def __init__(self) -> None:
        self.entries: list[FeedEntry] = []
        self.pdfs: dict[str, bytes] = {}
        self.requests: list[tuple[float, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append((time.time(), self.path))
                server.answer(self, urlparse(self.path).path)

        self._listen(Handler)

    def answer(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        """Answer one GET of `path`: an API page, a PDF, or 404."""
        if path == "/api/query":
            return self.api_page(handler)
        if path.startswith("/pdf/") and path[5:] in self.pdfs:
            return reply(handler, 200, self.pdfs[path[5:]], {"Content-Type": "application/pdf"})
        reply(handler, 404, b"not found", {})

    def api_page(self, handler: BaseHTTPRequestHandler) -> None:
        """One Atom page of the API: an `id_list` lookup or a query's date range, paged by `start`."""
        q = parse_qs(urlparse(handler.path).query)
        start = int(q.get("start", ["0"])[0])
        size = int(q.get("max_results", ["100"])[0])
        if q.get("id_list"):
            matching = self.by_id(q["id_list"][0].split(","))
        else:
            matching = self.select(q.get("search_query", [""])[0], q.get("sortOrder", [""])[0])
        body = atom_feed(matching[start : start + size], self.url, len(matching), start).encode()
        reply(handler, 200, body, {"Content-Type": "application/atom+xml"})

    def select(self, query: str, order: str) -> list[FeedEntry]:
        """Entries in the query's lastUpdatedDate range (the only clause honoured), by update time."""
        import re

        chosen = list(self.entries)
        window = re.search(r"lastUpdatedDate:\[(\d{12}) TO (\d{12})\]", query)
        if window:
            low, high = window.groups()
            chosen = [e for e in chosen if low <= _stamp(e.updated or e.published) <= high]
        return sorted(chosen, key=lambda e: e.updated or e.published, reverse=order != "ascending")

    def by_id(self, ids: list[str]) -> list[FeedEntry]:
        """Entries named by an `id_list` (`1512.03385` for its latest version, `1512.03385v2` for that
        one), in the order asked; unknown ids are left out, as arXiv does."""
        found = []
        for wanted in ids:
            versions = [e for e in self.entries if wanted in (e.arxiv_id, f"{e.arxiv_id}v{e.version}")]
            if versions:
                found.append(max(versions, key=lambda e: e.version))
        return found

    @property
    def api(self) -> str:
        return f"{self.url}/api/query"

    def add(self, entry: FeedEntry, pdf: bytes | None = None) -> None:
        self.entries.append(entry)
        if pdf is not None:
            self.pdfs[f"{entry.arxiv_id}v{entry.version}"] = pdf


# --- PDFs ----------------------------------------------------------------------------------------

LOREM = (
    "Deep generative models have transformed image synthesis in recent years, and many "
    "variants improve the stability of adversarial training. "
) * 3


def text_box(page: object, rect: object, text: str, **kwargs: object) -> None:
    """insert_textbox that fails loudly instead of silently dropping text that does not fit."""
    spare = page.insert_textbox(rect, text, **kwargs)  # type: ignore[attr-defined]
    assert spare >= 0, f"text does not fit in {rect}: {text[:40]!r}"


def make_paper_pdf(
    title: str,
    abstract: str,
    *,
    code_url: str | None = None,
    references: list[str] | None = None,
    two_column: bool = False,
) -> bytes:
    """A small paper: title, abstract, a vector diagram and a raster image with captions, references."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    text_box(page, pymupdf.Rect(72, 60, 540, 110), title, fontsize=16, fontname="helv", align=1)
    text_box(page, pymupdf.Rect(72, 110, 540, 132), "Ada Lovelace, Alan Turing", fontsize=10, align=1)
    text_box(page, pymupdf.Rect(72, 136, 540, 160), "Abstract", fontsize=11, fontname="hebo", align=1)
    text_box(page, pymupdf.Rect(90, 162, 522, 300), abstract, fontsize=9.5)
    intro = "1 Introduction"
    text_box(page, pymupdf.Rect(72, 306, 540, 330), intro, fontsize=11, fontname="hebo")
    body = LOREM + (f" Our code is available at {code_url} (PyTorch implementation)." if code_url else "")
    text_box(page, pymupdf.Rect(72, 332, 540, 500), body, fontsize=9.5)

    page = doc.new_page(width=612, height=792)
    text_box(page, pymupdf.Rect(72, 60, 540, 120), LOREM, fontsize=9.5)
    # a vector architecture diagram: boxes, arrows, labels
    shape = page.new_shape()
    for i in range(3):
        r = pymupdf.Rect(120 + i * 130, 150, 210 + i * 130, 200)
        shape.draw_rect(r)
        if i:
            shape.draw_line((r.x0 - 40, 175), (r.x0, 175))
    shape.finish(color=(0, 0, 0.6), fill=(0.85, 0.9, 1.0), width=1.2)
    shape.commit()
    for i, label in enumerate(["Encoder", "Latent", "Decoder"]):
        page.insert_text((130 + i * 130, 180), label, fontsize=9)
    text_box(
        page,
        pymupdf.Rect(72, 215, 540, 245),
        "Figure 1: Overview of the proposed architecture: an encoder, a latent space and a decoder.",
        fontsize=9,
    )
    text_box(page, pymupdf.Rect(72, 255, 540, 330), LOREM, fontsize=9.5)
    # a raster image
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), False)
    pix.set_rect(pix.irect, (200, 60, 60))
    page.insert_image(pymupdf.Rect(200, 340, 400, 480), pixmap=pix)
    text_box(
        page,
        pymupdf.Rect(72, 490, 540, 520),
        "Figure 2: Samples generated by our model.",
        fontsize=9,
    )

    page = doc.new_page(width=612, height=792)
    refs = references or []
    text = "References\n" + "\n".join(f"[{i + 1}] {r}" for i, r in enumerate(refs))
    text_box(page, pymupdf.Rect(72, 72, 540, 720), text, fontsize=9)
    data: bytes = doc.tobytes()
    doc.close()
    return data


# --- a tiny MarianMT -----------------------------------------------------------------------------

EN = [
    "We propose a new generative adversarial network for image synthesis.",
    "The model is trained on ImageNet with a residual network.",
    "Our method improves the quality of generated images.",
    "Figure one shows the overview of the architecture.",
]
ZH = [
    "我们提出了一种用于图像合成的新的生成对抗网络。",
    "该模型使用残差网络在ImageNet上训练。",
    "我们的方法提高了生成图像的质量。",
    "图一展示了该结构的概览。",
]


def build_tiny_marian(out: Path, *, positions: int = 256) -> Path:
    """Two SentencePiece models, a vocabulary with >>cmn_Hans<<, a random-weight MarianMTModel whose
    window is `positions` tokens."""
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    out.mkdir(parents=True, exist_ok=True)
    for name, lines in (("source", EN * 80), ("target", ZH * 80)):
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines),
            model_writer=model,
            vocab_size=80,
            character_coverage=1.0,
            model_type="unigram",
            hard_vocab_limit=False,
            minloglevel=2,
        )
        (out / f"{name}.spm").write_bytes(model.getvalue())
    # the layout of opus-mt-en-zh: </s> 0, <unk> 1, pieces, language tokens, <pad> last
    vocab = {"</s>": 0, "<unk>": 1}
    for name in ("source", "target"):
        sp = spm.SentencePieceProcessor(model_file=str(out / f"{name}.spm"))
        for i in range(sp.get_piece_size()):
            vocab.setdefault(sp.id_to_piece(i), len(vocab))
    vocab[">>cmn_Hans<<"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    tokenizer = MarianTokenizer(
        vocab=str(out / "vocab.json"),
        source_spm=str(out / "source.spm"),
        target_spm=str(out / "target.spm"),
        source_lang="en",
        target_lang="zh",
    )
    tokenizer.save_pretrained(out)
    config = MarianConfig(
        vocab_size=len(vocab),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=positions,
        pad_token_id=vocab["<pad>"],
        eos_token_id=0,
        decoder_start_token_id=vocab["<pad>"],
        forced_eos_token_id=0,
    )
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(out)
    return out
