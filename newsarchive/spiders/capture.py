"""The capture extension: every downloaded exchange becomes a WARC request + response pair.

It listens to ``response_downloaded``, which Scrapy sends right after the download handler returns and
before any downloader middleware's ``process_response``: the body is still content-coded (gzip, br) and
redirects, errors and robots.txt pass here too. The records are written in a process of their own; the future of
the response's WARC location is put in ``request.meta[LOCATION_META]`` for the spider's callback, which sees the
same meta dict (:func:`written_location`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from newsarchive.archive.layout import ArchiveLayout
from newsarchive.archive.records import HeaderList, HttpExchange, RecordLocation
from newsarchive.archive.warcinfo import CrawlInfo
from newsarchive.archive.writerprocess import WarcWriterProcess, WriteAnswer
from newsarchive.errors import ArchiveWriteError
from newsarchive.spiders.fatal import stop_for_write_failure
from newsarchive.spiders.handler import RawHead
from newsarchive.spiders.meta import LOCATION_META, RAW_HEAD_META
from newsarchive.spiders.signals import timed_out_body
from newsarchive.spiders.truncation import TIMEOUT, truncation_reason
from newsarchive.workers import WorkerCrashedError

logger = logging.getLogger(__name__)

CAPTURE_ERRORS_STAT = "newsarchive/capture_errors"
WARC_WRITE_ERRORS_STAT = "newsarchive/warc_write_errors"


def _host_header(url: str) -> bytes:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return (host if parts.port in (None, default) else f"{host}:{parts.port}").encode("idna")


def _header_list(headers: scrapy.http.headers.Headers) -> HeaderList:
    return [(name, value) for name, values in headers.items() for value in values]


def parse_raw_head(head: RawHead) -> tuple[str, str, HeaderList]:
    """Protocol, reason phrase and header list of a raw response head, bytes kept (obs-fold lines included).

    Lines without a colon are left out, as Scrapy's lenient parser (and browsers) skip them.
    """
    protocol, _, rest = head.status_line.partition(b" ")
    _, _, reason = rest.partition(b" ")
    headers: HeaderList = []
    for line in head.header_lines:
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b"\r\n" + line)
        elif b":" in line:
            name, value = line.split(b":", 1)
            headers.append((name, value.strip(b" \t")))
    return protocol.decode("latin-1"), reason.decode("latin-1"), headers


def exchange_from(request: Request, response: Response, date: datetime) -> HttpExchange:
    """The exchange as it crossed the network, from Scrapy's request and its undecoded response.

    The response head comes from :class:`RawHeadDownloadHandler` when it ran; else it is rebuilt from what
    Scrapy keeps (header names title-cased, the standard reason phrase, connection headers lost).
    """
    request_headers = [(b"Host", _host_header(request.url)), *_header_list(request.headers)]
    raw_head = request.meta.pop(RAW_HEAD_META, None)
    if raw_head is not None:
        protocol, reason, response_headers = parse_raw_head(raw_head)
    else:
        protocol, response_headers = response.protocol or "HTTP/1.1", _header_list(response.headers)
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
    # Truncated: stopped at the size cap, or fewer bytes than Content-Length or chunking promised (dataloss).
    # Scrapy's "partial" only says the body was delimited by the connection closing, which is how such a body
    # ends anyway (RFC 9112, 6.3).
    # WARC-Truncated says why: "length" (size cap, data loss) or "time" (the download timeout cut the body).
    cut = truncation_reason(response.flags)
    truncated = None if cut is None else "time" if cut == TIMEOUT else "length"
    return HttpExchange(
        url=response.url,
        method=request.method,
        request_headers=request_headers,
        request_body=request.body,
        protocol=protocol,
        status=response.status,
        reason=reason,
        response_headers=response_headers,
        body=response.body,
        date=date,
        ip_address=str(response.ip_address) if response.ip_address else None,
        truncated=truncated,
    )


def crawl_info(crawler: Crawler) -> CrawlInfo:
    """What the crawl says about itself in each WARC's ``warcinfo``, from the settings ``crawl()`` layered on."""
    settings = crawler.settings
    return CrawlInfo(
        collection=settings.get("NEWSARCHIVE_COLLECTION"),
        profile=settings.get("NEWSARCHIVE_PROFILE_NAME"),
        seeds=settings.getlist("NEWSARCHIVE_SEEDS"),
        operator=settings.get("NEWSARCHIVE_OPERATOR"),
        description=settings.get("NEWSARCHIVE_DESCRIPTION"),
        obey_robots=settings.getbool("ROBOTSTXT_OBEY"),
        user_agent=settings.get("USER_AGENT"),
    )


class WarcCapture:
    """Writes every exchange of the crawl to ``<archive>/warc/``; enabled by ``NEWSARCHIVE_ARCHIVE``.

    The records are written by :class:`~newsarchive.archive.writerprocess.WarcWriterProcess`, on another core;
    ``request.meta[LOCATION_META]`` holds the write's future, which :func:`written_location` awaits.
    """

    def __init__(self, crawler: Crawler, writer: WarcWriterProcess) -> None:
        # Imported here: importing the reactor at module level would install Twisted's default one before Scrapy
        # installs the asyncio reactor.
        from twisted.internet import reactor

        self.crawler = crawler
        self.writer = writer
        self.stats = crawler.stats
        self._reactor = reactor
        # Records and bytes written, counted as the writer answers (on its reader thread): stats at the close.
        self._count_lock = threading.Lock()
        self._records = 0
        self._bytes = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCapture:
        """Start the writer from settings and connect the signals."""
        archive = crawler.settings.get("NEWSARCHIVE_ARCHIVE")
        if not archive:
            raise NotConfigured("NEWSARCHIVE_ARCHIVE is not set")
        layout = ArchiveLayout(archive)
        writer = WarcWriterProcess(
            layout.warc_dir,
            warcinfo=crawl_info(crawler).fields(),
            prefix=crawler.settings.get("NEWSARCHIVE_WARC_PREFIX"),
            max_size=crawler.settings.getint("NEWSARCHIVE_WARC_MAX_SIZE"),
            # Each WARC's CDXJ and capture digests are made as its records are written; revisits are found there.
            indexes=layout.indexes_dir,
        )
        extension = cls(crawler, writer)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.response_downloaded, signal=timed_out_body)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def response_downloaded(self, response: Response, request: Request, spider: scrapy.Spider) -> None:
        """Give one exchange to the writer; a failure it answers is handled by :meth:`_written`."""
        try:
            exchange = exchange_from(request, response, datetime.now(UTC))
        except Exception as error:
            self._not_archived(response.url, error)
            return
        written = self.writer.write_exchange(exchange)
        request.meta[LOCATION_META] = written
        url = response.url
        written.add_done_callback(lambda done: self._answered(done, url))

    def _answered(self, done: Future[WriteAnswer], url: str) -> None:
        """On the writer's reader thread: count a plain success here; hand anything else to the reactor thread.

        Waking the reactor for every record would cost the crawl's thread more than the count does.
        """
        if done.exception() is None:
            (_, location), close_failures = done.result()
            if not close_failures:
                self._count(location)
                return
        self._reactor.callFromThread(self._written, done, url)

    def _count(self, location: RecordLocation) -> None:
        with self._count_lock:
            self._records += 2
            self._bytes += location.length

    def _written(self, done: Future[WriteAnswer], url: str) -> None:
        """A write failure stops the crawl (the records before it stay intact).

        Scrapy's signal dispatch would log and swallow a handler's exception, and the crawl would go on as if the
        page were archived: so any other failure is logged with the URL and the reason, and counted
        (``newsarchive/capture_errors``, which makes the exit code 1); without a location the spider indexes
        nothing of the page.
        """
        try:
            (_, location), close_failures = done.result()
        except ArchiveWriteError as error:
            logger.error("%s: not archived: %s", url, error)
            self._stop(str(error))
            return
        except WorkerCrashedError as error:
            logger.error("%s: not archived: %s", url, error)
            self._stop(f"the WARC writer stopped: {error}; run the crawl again (it mends the file left open)")
            return
        except Exception as error:
            self._not_archived(url, error)
            return
        self._count(location)
        for failure in close_failures:
            logger.error("%s", failure)
            self._stop(failure)

    def _not_archived(self, url: str, error: Exception) -> None:
        self.stats.inc_value(CAPTURE_ERRORS_STAT)
        logger.error("%s: not archived: %s: %s", url, type(error).__name__, error)

    def _stop(self, message: str, *, closing: bool = False) -> None:
        """A record or a file could not be written: counted, the crawl's fatal error, and the crawl stops."""
        stop_for_write_failure(self.crawler, WARC_WRITE_ERRORS_STAT, message, closing=closing)

    async def spider_closed(self, spider: scrapy.Spider) -> None:
        """Have the writer write what it was given, close its files and exit; off the reactor thread.

        A file that could not be closed stays ``.open``, and the next crawl's repair indexes and renames it.
        """
        try:
            failures = await maybe_deferred_to_future(deferToThread(self.writer.close))
        except Exception as error:
            failures = [f"cannot close the WARC writer: {error}"]
        with self._count_lock:
            self.stats.set_value("newsarchive/warc_records", self._records)
            self.stats.set_value("newsarchive/warc_bytes", self._bytes)
        for failure in failures:
            logger.error("%s", failure)
            self._stop(failure, closing=True)


async def written_location(meta: dict[str, Any]) -> RecordLocation | None:
    """Where the capture wrote the response of the request with ``meta``; None when it was not written (the
    capture counted why)."""
    written = meta.get(LOCATION_META)
    if written is None:
        return None
    try:
        # Usually written while the page was analysed: then taken at once, without a round through the loop.
        (_, location), _ = written.result() if written.done() else await asyncio.wrap_future(written)
    except Exception:
        return None
    return location
