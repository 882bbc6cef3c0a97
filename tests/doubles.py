"""Test doubles that only tests and benches need: the loopback arXiv of `alphatree demo`
(`alphatree_ingest.run.demo_kit`) with faults to inject (resets, stalls, a trickling host, answers and
pages served once before the normal ones)."""

from __future__ import annotations

import socket
import struct
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from alphatree_ingest.run import demo_kit
from alphatree_ingest.run.demo_kit import reply


class ArxivServer(demo_kit.ArxivServer):
    """The demo's loopback arXiv, recording every request, with faults served before normal answers."""

    def __init__(self) -> None:
        self.faults: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        """Per path prefix, answers served (once each) before the normal ones."""
        self.delays: dict[str, list[float]] = {}
        """Per path prefix, seconds to stall before answering (once each): timeouts."""
        self.page_faults: dict[int, list[bytes]] = {}
        """Per `start` offset, Atom bodies served (once each) instead of that page."""
        self.resets: set[str] = set()
        """Path prefixes whose every connection is reset without an answer (a broken host)."""
        self.trickle: dict[str, float] = {}
        """Path prefixes answered one byte at a time, this many seconds apart (a stalling host)."""
        super().__init__()

    def answer(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        if any(path.startswith(prefix) for prefix in self.resets):
            return _reset(handler)
        for prefix, pause in self.trickle.items():
            if path.startswith(prefix):
                return _trickle(handler, pause)
        for prefix, stalls in self.delays.items():
            if path.startswith(prefix) and stalls:
                time.sleep(stalls.pop(0))
                return reply(handler, 200, b"too late", {})
        for prefix, queue in self.faults.items():
            if path.startswith(prefix) and queue:
                status, headers, body = queue.pop(0)
                return reply(handler, status, body, headers)
        super().answer(handler, path)

    def api_page(self, handler: BaseHTTPRequestHandler) -> None:
        start = int(parse_qs(urlparse(handler.path).query).get("start", ["0"])[0])
        if self.page_faults.get(start):
            return reply(handler, 200, self.page_faults[start].pop(0), {})
        super().api_page(handler)


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection with RST, unanswered: "connection reset by peer"."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def _trickle(handler: BaseHTTPRequestHandler, pause: float) -> None:
    """A PDF's start, then one byte every `pause` seconds until the client gives up."""
    body = b"%PDF-1.7\n" + b"x" * 100000
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    try:
        for i in range(len(body)):
            handler.wfile.write(body[i : i + 1])
            handler.wfile.flush()
            time.sleep(pause)
    except OSError:
        return  # the client gave up, as it should
