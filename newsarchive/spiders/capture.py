"""The capture extension: every downloaded exchange becomes a WARC request + response pair.

It listens to ``response_downloaded``, which Scrapy sends right after the download handler returns and
before any downloader middleware's ``process_response``: the body is still content-coded (gzip, br) and
redirects, errors and robots.txt pass here too. The WARC location of the response is put in
``request.meta[LOCATION_META]`` for the spider's callback, which sees the same meta dict.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from newsarchive.archive.layout import ArchiveLayout
from newsarchive.archive.records import HeaderList, HttpExchange
from newsarchive.archive.revisits import CaptureIndex
from newsarchive.archive.warcinfo import CrawlInfo
from newsarchive.archive.writer import WarcWriter
from newsarchive.errors import ArchiveWriteError
from newsarchive.spiders.handler import RawHead
from newsarchive.spiders.meta import LOCATION_META, RAW_HEAD_META
from newsarchive.spiders.signals import timed_out_body
from newsarchive.spiders.truncation import TIMEOUT, truncation_reason

logger = logging.getLogger(__name__)

CAPTURE_ERRORS_STAT = "newsarchive/capture_errors"


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
    """Writes every exchange of the crawl to ``<archive>/warc/``; enabled by ``NEWSARCHIVE_ARCHIVE``."""

    def __init__(self, crawler: Crawler, writer: WarcWriter, closes: BackgroundCloses) -> None:
        self.crawler = crawler
        self.writer = writer
        self.stats = crawler.stats
        self.closes = closes

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCapture:
        """Build the writer from settings and connect the signals."""
        archive = crawler.settings.get("NEWSARCHIVE_ARCHIVE")
        if not archive:
            raise NotConfigured("NEWSARCHIVE_ARCHIVE is not set")
        closes = BackgroundCloses(crawler)
        layout = ArchiveLayout(archive)
        writer = WarcWriter(
            layout.warc_dir,
            warcinfo=crawl_info(crawler).fields(),
            prefix=crawler.settings.get("NEWSARCHIVE_WARC_PREFIX"),
            max_size=crawler.settings.getint("NEWSARCHIVE_WARC_MAX_SIZE"),
            # Each WARC's CDXJ and capture digests are made as its records are written.
            indexes=layout.indexes_dir,
            captures=CaptureIndex.load(layout.indexes_dir),
            # A file that rotates out is synced, indexed and renamed off the reactor thread.
            close_in=closes.run,
        )
        extension = cls(crawler, writer, closes)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.response_downloaded, signal=timed_out_body)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def response_downloaded(self, response: Response, request: Request, spider: scrapy.Spider) -> None:
        """Archive one exchange; a write failure stops the crawl (the records before it stay intact).

        Scrapy's signal dispatch logs and swallows a handler's exception, and the crawl would go on as if the
        page were archived: so any other failure is caught here, logged with the URL and the reason, counted
        (``newsarchive/capture_errors``, which makes the exit code 1); without a location the spider indexes
        nothing of the page.
        """
        try:
            exchange = exchange_from(request, response, datetime.now(UTC))
            _, location = self.writer.write_exchange(exchange)
        except ArchiveWriteError as error:
            self.stats.inc_value("newsarchive/warc_write_errors")
            self.stats.set_value("newsarchive/fatal_error", str(error))
            logger.error("%s: not archived: %s", response.url, error)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_write_error"))
            return
        except Exception as error:
            self.stats.inc_value(CAPTURE_ERRORS_STAT)
            logger.error("%s: not archived: %s: %s", response.url, type(error).__name__, error)
            return
        request.meta[LOCATION_META] = location
        self.stats.inc_value("newsarchive/warc_records", 2)
        self.stats.inc_value("newsarchive/warc_bytes", location.length)

    async def spider_closed(self, spider: scrapy.Spider) -> None:
        """Close and rename the open WARC; wait for every file being closed."""
        self.writer.close()
        await maybe_deferred_to_future(self.closes.wait())


class BackgroundCloses:
    """WARC files being closed on Twisted's thread pool (sync, indexes, rename).

    A failure is logged, counted (``newsarchive/warc_write_errors``) and stops the crawl; the file stays
    ``.open``, and the next crawl's repair indexes and renames it.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._pending: set[Deferred[None]] = set()

    def run(self, finish: Callable[[], None]) -> None:
        """Run one file's closing step on a thread."""
        closing = deferToThread(finish)
        self._pending.add(closing)
        closing.addErrback(self._failed)
        closing.addBoth(lambda _: self._pending.discard(closing))

    def wait(self) -> Deferred[object]:
        """Fires once every file being closed is."""
        return DeferredList(list(self._pending))

    def _failed(self, failure: Failure) -> None:
        stats = self.crawler.stats
        message = f"cannot close a WARC file: {failure.getErrorMessage()}"
        stats.inc_value("newsarchive/warc_write_errors")
        stats.set_value("newsarchive/fatal_error", message)
        logger.error("%s", message)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_write_error"))
