"""The only arXiv network code: topic queries, paging, the politeness limiter, retries, PDF download."""

from __future__ import annotations

import collections
import datetime as dt
import email.utils
import fcntl
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import requests.adapters
import urllib3
import urllib3.connection

from ..catalog import atomic_write, safe_filename
from ..config import Settings
from ..models import ARXIV_ID, Paper

logger = logging.getLogger(__name__)

USER_AGENT = "alphatree-ingest/0.1 (https://github.com/alphatree; polite nightly harvester)"
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_QUERY_RESULTS = 30000
"""arXiv serves at most this many results for one query."""
MAX_RETRY_AFTER = 300.0
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ArxivUnavailable(RuntimeError):
    """arXiv (or the configured endpoint) cannot be reached at all; the run cannot start."""


class DiscoveryError(RuntimeError):
    """A page of the topic query could not be read after retries; the message says why."""


class PdfError(RuntimeError):
    """A paper's PDF could not be fetched or is not a usable PDF; the message says why."""


class TransientError(RuntimeError):
    """A fault worth trying again later in the run: a timeout, a broken connection, a 5xx answer.

    Flows retry on this, and only on this; everything else will give the same answer again."""


class NotPdfError(PdfError):
    """The PDF host answered with something else (an HTML page, a captcha): usually the host's doing."""


class TransientPdfError(PdfError, TransientError):
    """The PDF could not be fetched for a reason that may pass (timeout, connection, 5xx)."""


class PoliteLimiter:
    """Never two requests in flight, and at least `delay` seconds from the end of one request (its
    body read) to the start of the next, across processes: so arXiv sees its spacing whatever the
    network's jitter. State lives in a lock file that `flock` serialises."""

    def __init__(self, lock_path: Path, delay: float, prefect_limit: str | None = None) -> None:
        self.lock_path = lock_path
        self.delay = delay
        self.prefect_limit = prefect_limit

    def _shared_budget(self) -> None:
        """With a Prefect server: take a slot of the global rate limit that all machines share."""
        from prefect.concurrency.sync import rate_limit

        try:
            rate_limit(self.prefect_limit, occupy=1, strict=True)  # type: ignore[arg-type]
        except Exception as err:
            raise ArxivUnavailable(
                f"the Prefect rate limit {self.prefect_limit!r} is not usable ({type(err).__name__}); "
                f"create it with: prefect gcl create {self.prefect_limit} --limit 1 --slot-decay-per-second "
                f"{1 / max(self.delay, 3.0):.3f}"
            ) from None

    @contextmanager
    def slot(self) -> Iterator[None]:
        if self.prefect_limit:
            self._shared_budget()
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                f.seek(0)
                raw = f.read().strip()
                last = float(raw) if raw else 0.0
                wait = last + self.delay - time.time()
                if wait > 0:
                    logger.debug("politeness: waiting %.2f s", wait)
                    time.sleep(wait)
                yield
            finally:
                f.seek(0)
                f.truncate()
                f.write(repr(time.time()))
                f.flush()
                fcntl.flock(f, fcntl.LOCK_UN)


_SENT: collections.Counter[str] = collections.Counter()
_WATCH = threading.local()


class _Deadline:
    """Bounds one request in total time: when it expires, the sockets of the request are shut down,
    which ends any read in progress (a read timeout alone never fires on a host that trickles)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        _WATCH.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _WATCH.deadline = None

    def track(self, sock: socket.socket | None) -> None:
        if sock is not None:
            self.sockets.append(sock)
            if self.expired:
                self._shut(sock)

    def _expire(self) -> None:
        self.expired = True
        for sock in self.sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


def _track(sock: socket.socket | None) -> None:
    deadline = getattr(_WATCH, "deadline", None)
    if deadline is not None:
        deadline.track(sock)


class _Tracked:
    """Registers a connection's socket with the request's deadline, for new and reused connections."""

    sock: socket.socket | None

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _track(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _track(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Tracked, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Tracked, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def requests_sent(url: str) -> int:
    """Requests this process has sent to the host of `url`, retries included (for run summaries)."""
    return _SENT[_host(url)]


class BodyTooLarge(RuntimeError):
    """An answer's body is over the size cap; the download was stopped."""


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed is None:
            return None
        return max(0.0, (parsed - dt.datetime.now(dt.UTC)).total_seconds())


class PoliteSession(requests.Session):
    """A `requests.Session` whose every request goes through the limiter, with bounded retries.

    5xx answers are retried with backoff and 429 waits for `Retry-After`; the final answer is returned.
    Timeouts and broken connections raise TransientError (the caller's task retries decide), and a
    host that never answered raises ArxivUnavailable.
    """

    def __init__(
        self,
        limiter: PoliteLimiter,
        *,
        timeout: float,
        retries: int = 3,
        backoff: float = 2.0,
        max_bytes: int = 80 * 1024 * 1024,
        deadline: float = 120.0,
    ) -> None:
        super().__init__()
        self.limiter = limiter
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.deadline = deadline
        self.answered = False
        self.headers["User-Agent"] = USER_AGENT
        self.mount("http://", _DeadlineAdapter())
        self.mount("https://", _DeadlineAdapter())

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        kwargs.pop("headers", None)  # the arxiv package's own user-agent is replaced by ours
        for attempt in range(self.retries + 1):
            deadline = _Deadline(self.deadline)
            try:
                with self.limiter.slot(), deadline:  # the body is read inside the slot: never two in flight
                    _SENT[_host(url)] += 1
                    kwargs["stream"] = True
                    response = super().request(method, url, *args, **kwargs)
                    self._read_body(response)
                if deadline.expired:
                    raise requests.ConnectionError("deadline")
            except requests.RequestException as err:
                if deadline.expired:
                    raise TransientError(
                        f"{_host(url)} took longer than {self.deadline:g} s in total; abandoned"
                    ) from None
                if not isinstance(err, requests.Timeout | requests.ConnectionError):
                    raise
                if isinstance(err, requests.Timeout):
                    raise TransientError(f"{_host(url)} did not answer within {self.timeout:g} s") from None
                if not self.answered:
                    raise ArxivUnavailable(
                        f"cannot reach {_host(url)} ({_reason(err)}); check the network or "
                        "ALPHATREE_ARXIV_API."
                    ) from None
                raise TransientError(f"the connection to {_host(url)} broke ({_reason(err)})") from None
            self.answered = True
            if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                return response
            wait = _retry_after(response)
            if wait is None:
                wait = self.backoff * (2**attempt)
            wait = min(wait, MAX_RETRY_AFTER)
            logger.warning("%s answered %s; retrying in %.1f s", _host(url), response.status_code, wait)
            response.close()
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _read_body(self, response: requests.Response) -> None:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise BodyTooLarge(f"{response.url} is {int(declared)} bytes, over the {self.max_bytes}-byte cap")
        chunks, size = [], 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > self.max_bytes:
                response.close()
                raise BodyTooLarge(f"{response.url} is over the {self.max_bytes}-byte cap")
            chunks.append(chunk)
        response._content = b"".join(chunks)
        response._content_consumed = True  # type: ignore[attr-defined]


def _host(url: str | bytes) -> str:
    from urllib.parse import urlparse

    text = url.decode() if isinstance(url, bytes) else url
    return urlparse(text).netloc or text


def _reason(err: Exception) -> str:
    text = str(err)
    for marker in ("Name or service not known", "Connection refused", "timed out"):
        if marker in text:
            return marker.lower()
    return type(err).__name__


def clean_text(value: str) -> str:
    """Feed text made safe to store: control characters removed, whitespace collapsed, length bounded."""
    value = _CONTROL.sub("", value)
    value = " ".join(value.split())
    return value[:20000]


def _split_version(short_id: str) -> tuple[str, int]:
    match = re.match(r"^(.*?)v(\d+)$", short_id)
    if match:
        return match.group(1), int(match.group(2))
    return short_id, 1


@dataclass
class Discovery:
    """What a topic query found: valid papers (oldest first), and feed entries refused with the reason."""

    papers: list[Paper] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    requests: int = 0
    """API pages fetched."""
    truncated: bool = False
    """True when `max_papers` stopped the paging before the end."""


_NO_DATE_CLAUSE: set[str] = set()
"""API endpoints that refused the lastUpdatedDate clause in this process (loopback listings)."""


class ArxivSource:
    """arXiv API and PDF access for one run; every request shares one politeness limiter."""

    def __init__(self, settings: Settings, *, page_size: int = 200, page_retries: int = 3) -> None:
        settings.check_arxiv_politeness()
        self.settings = settings
        self.page_retries = page_retries
        self.limiter = PoliteLimiter(
            settings.cache_dir / "arxiv.lock", settings.arxiv_delay, settings.prefect_limit
        )
        self.session = PoliteSession(
            self.limiter,
            timeout=settings.http_timeout,
            max_bytes=settings.max_pdf_bytes,
            deadline=settings.http_deadline,
        )
        self.page_size = page_size
        self.date_clause = settings.arxiv_api not in _NO_DATE_CLAUSE
        """False once the server refused `lastUpdatedDate` (HTTP 400): then filtered here instead."""

    def _url(self, search: Any, start: int) -> str:
        import arxiv

        client = arxiv.Client(page_size=self.page_size)
        client.query_url_format = self.settings.arxiv_api.rstrip("?") + "?{}"
        return str(client._format_url(search, start, self.page_size))

    def _page(self, url: str, *, expected: int | None) -> Any:
        """One parsed Atom page. An empty page while more results are announced (a known arXiv
        glitch) and malformed Atom are retried, then raise DiscoveryError: never taken as the end."""
        from arxiv import _feed

        problem = ""
        for attempt in range(self.page_retries + 1):
            response = self.session.get(url)
            if response.status_code in RETRY_STATUSES:
                raise TransientError(f"{_host(url)} answered HTTP {response.status_code} for {url}")
            if response.status_code != 200:
                raise DiscoveryError(f"{_host(url)} answered HTTP {response.status_code} for {url}")
            feed = _feed.parse(response.content)
            if feed.malformed or b"totalResults" not in response.content:
                problem = f"malformed Atom ({feed.error or 'no opensearch:totalResults'})"
            elif not feed.results:
                announced = feed.header.total_results if expected is None else expected
                if announced <= 0:
                    return feed  # really nothing (more) to read
                problem = f"empty page although {announced} more results are announced"
            else:
                return feed
            logger.warning("%s (try %d of %d): %s", problem, attempt + 1, self.page_retries + 1, url)
        raise DiscoveryError(
            f"gave up on a page of {_host(url)} after {self.page_retries + 1} tries: {problem}"
        )

    def discover(
        self, query: str, *, since: dt.datetime | dt.date | None = None, max_papers: int | None = None
    ) -> Discovery:
        """Papers for `query` new or revised since `since`, oldest change first, paging as far as needed.

        Sorting and filtering by arXiv's lastUpdatedDate brings new papers and new versions alike.

        Raises ArxivUnavailable (endpoint unreachable) or DiscoveryError (a page that cannot be read).
        """
        if since is not None and not isinstance(since, dt.datetime):
            since = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        if since is not None and self.date_clause:
            upto = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
            dated = f"({query}) AND lastUpdatedDate:[{since:%Y%m%d%H%M} TO {upto:%Y%m%d%H%M}]"
            try:
                return self._discover(dated, since, max_papers)
            except DiscoveryError as err:
                if " answered HTTP 400 " not in str(err):
                    raise
                # a server that cannot read the date clause (a loopback listing): ask without it from
                # now on, and keep only the papers changed since `since`
                logger.warning(
                    "%s refused the lastUpdatedDate clause; asking without it", _host(self.settings.arxiv_api)
                )
                self.date_clause = False
                _NO_DATE_CLAUSE.add(self.settings.arxiv_api)  # every later source of this process too
        return self._discover(query, since, max_papers)

    def _discover(self, query: str, since: dt.datetime | None, max_papers: int | None) -> Discovery:
        import arxiv

        search = arxiv.Search(
            query=query,
            max_results=None,
            sort_by=arxiv.SortCriterion.LastUpdatedDate,
            sort_order=arxiv.SortOrder.Ascending,
        )
        found = Discovery()
        seen: set[str] = set()
        start, total = 0, None
        while total is None or start < min(total, MAX_QUERY_RESULTS):
            feed = self._page(self._url(search, start), expected=None if total is None else total - start)
            total = feed.header.total_results if total is None else total
            found.requests += 1
            if not feed.results:
                break
            start += len(feed.results)
            for result in feed.results:
                paper, problem = to_paper(result)
                if paper is None:
                    found.refused.append((str(getattr(result, "entry_id", "?"))[:200], problem))
                    continue
                if since is not None and paper.changed < since or paper.arxiv_id in seen:
                    continue
                seen.add(paper.arxiv_id)
                found.papers.append(paper)
                if max_papers is not None and len(found.papers) >= max_papers:
                    found.truncated = True
                    return found
        found.truncated = total is not None and total > MAX_QUERY_RESULTS  # arXiv serves no more
        return found

    def lookup(self, ids: list[str], *, chunk: int = 50) -> Discovery:
        """Papers by arXiv id (`1512.03385` for the latest version, `1512.03385v2` for that one), whatever
        their date, through the API's `id_list`: one request per `chunk` ids, through the limiter. Ids
        arXiv does not know are missing from `papers` (its feed leaves them out, or sends an entry
        without an id, refused). Raises ArxivUnavailable, TransientError or DiscoveryError."""
        import arxiv
        from arxiv import _feed

        found = Discovery()
        for at in range(0, len(ids), chunk):
            part = ids[at : at + chunk]
            client = arxiv.Client(page_size=len(part))
            client.query_url_format = self.settings.arxiv_api.rstrip("?") + "?{}"
            url = str(client._format_url(arxiv.Search(id_list=part, max_results=len(part)), 0, len(part)))
            response = self.session.get(url)
            found.requests += 1
            if response.status_code in RETRY_STATUSES:
                raise TransientError(f"{_host(url)} answered HTTP {response.status_code} for {url}")
            if response.status_code != 200:
                raise DiscoveryError(f"{_host(url)} answered HTTP {response.status_code} for {url}")
            feed = _feed.parse(response.content)
            if feed.malformed:
                raise DiscoveryError(f"{_host(url)} answered malformed Atom for {url} ({feed.error})")
            for result in feed.results:  # in arXiv's order, not the order asked: matched by id below
                paper, problem = to_paper(result)
                if paper is None:
                    found.refused.append((str(getattr(result, "entry_id", "?"))[:200], problem))
                elif paper.arxiv_id not in {p.arxiv_id for p in found.papers}:
                    found.papers.append(paper)
        return found

    def fetch_pdf(self, paper: Paper) -> Path:
        """The paper's PDF, from the cache or downloaded and validated. Raises PdfError."""
        dest = cached_pdf(self.settings, paper.arxiv_id, paper.version)
        if dest.exists() and _looks_like_pdf(dest.read_bytes()[:1024]):
            return dest
        data = self._download(paper.pdf_url)
        if not _looks_like_pdf(data[:1024]):
            kind = "an HTML page" if b"<html" in data[:2048].lower() else "not a PDF"
            raise NotPdfError(f"{paper.pdf_url} returned {kind} instead of a PDF")
        problem = pdf_problem(data)
        if problem:
            raise PdfError(f"{paper.pdf_url}: {problem}")
        atomic_write(dest, data)
        return dest

    def _download(self, url: str) -> bytes:
        """The body of a PDF link. Raises TransientPdfError for what may pass, PdfError otherwise."""
        try:
            response = self.session.get(url)
        except (ArxivUnavailable, TransientError) as err:
            raise TransientPdfError(f"download of {url} failed: {err}") from None
        except BodyTooLarge as err:
            raise PdfError(str(err)) from None
        except requests.RequestException as err:
            raise TransientPdfError(f"download of {url} failed or broke off: {_reason(err)}") from None
        if response.status_code in RETRY_STATUSES:
            raise TransientPdfError(f"{url} answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise PdfError(f"{url} answered HTTP {response.status_code}")
        return bytes(response.content)


def cached_pdf(settings: Settings, arxiv_id: str, version: int) -> Path:
    """Where a paper version's PDF is kept once downloaded."""
    return settings.cache_dir / "pdf" / f"{safe_filename(arxiv_id)}v{version}.pdf"


def pdf_problem(data: bytes) -> str | None:
    """None for a complete, readable PDF; else what is wrong (truncated here; damaged, encrypted or
    without pages as `extract.open_pdf` decides for every PDF). Checked before the PDF is cached."""
    from ..pdf.extract import ExtractError, open_pdf

    if b"%%EOF" not in data[-2048:]:
        return "the PDF is truncated (no end-of-file marker)"
    try:
        open_pdf(data).close()
    except ExtractError as err:
        return str(err)
    return None


def _looks_like_pdf(head: bytes) -> bool:
    return head.lstrip()[:5] == b"%PDF-"


def to_paper(result: Any) -> tuple[Paper | None, str]:
    """An `arxiv.Result` as a Paper, or None and the reason it was refused (hostile or broken ids)."""
    try:
        short = result.get_short_id()
    except Exception:
        return None, "entry has no arXiv id"
    arxiv_id, version = _split_version(short)
    if not ARXIV_ID.match(arxiv_id):
        return None, f"{short[:80]!r} is not a valid arXiv identifier"
    pdf_url = result.pdf_url or f"https://arxiv.org/pdf/{arxiv_id}v{version}"
    try:
        paper = Paper(
            arxiv_id=arxiv_id,
            version=version,
            title=clean_text(result.title or ""),
            authors=[clean_text(a.name) for a in result.authors][:200],
            abstract=clean_text(result.summary or ""),
            published=result.published,
            updated=result.updated,
            pdf_url=pdf_url,
            comment=clean_text(result.comment) if result.comment else None,
            journal_ref=clean_text(result.journal_ref) if result.journal_ref else None,
            primary_category=result.primary_category,
            categories=list(result.categories or []),
        )
    except Exception as err:  # a broken entry is reported, never fatal
        return None, f"{short}: unusable metadata ({type(err).__name__})"
    if not paper.title:
        return None, f"{short}: entry has no title"
    return paper, ""
