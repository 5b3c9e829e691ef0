"""Hosts that cannot be reached end their part of the crawl after a bounded number of attempts.

Scrapy retries a failed connection like any other failure and knows nothing of hosts: a site whose name does
not resolve, or whose port is closed, has every queued request tried and retried, each retry slowing the host
further, for minutes. :class:`UnreachableHosts` counts a host's connection failures in a row (a response of
any status resets the count): after ``NEWSARCHIVE_HOST_FAILURES`` of them (default 3: one request and its
two retries), or at the first name-resolution failure, the host is given up for this run with one ERROR
line, no retry of it is sent and every request still queued for it is dropped. :class:`ReservedNameResolver`
answers names under ``.invalid`` (RFC 6761: never resolvable) at once, without asking the network.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import ConnectError, ConnectionRefusedError, DNSLookupError, NoRouteError

logger = logging.getLogger(__name__)

# A connection that was never made: the host, not the page, is the problem.
CONNECT_FAILURES: tuple[type[BaseException], ...] = (
    ConnectError,
    ConnectionRefusedError,
    DownloadConnectionRefusedError,
    NoRouteError,
)
NAME_FAILURES: tuple[type[BaseException], ...] = (DNSLookupError, CannotResolveHostError)
RESERVED_SUFFIXES = (".invalid",)
# Where Scrapy logs a failed download: the scraper, and the robots.txt middleware (with a traceback).
ERROR_LOGGERS = ("scrapy.core.scraper", "scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry")
UNREACHABLE_STAT = "newsarchive/hosts_unreachable"


class UnreachableHosts:
    """A downloader middleware that gives a host up after repeated connection failures (see the module)."""

    def __init__(self, crawler: Crawler, limit: int) -> None:
        self.crawler = crawler
        self.limit = max(1, limit)
        self.failures: dict[str, int] = {}
        self.given_up: dict[str, str] = {}
        self.log_filter = _GivenUpLines(self.given_up)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UnreachableHosts:
        """Configured by ``NEWSARCHIVE_HOST_FAILURES``; the one line per host replaces the download errors."""
        middleware = cls(crawler, crawler.settings.getint("NEWSARCHIVE_HOST_FAILURES"))
        for name in ERROR_LOGGERS:
            logging.getLogger(name).addFilter(middleware.log_filter)
        crawler.signals.connect(middleware.engine_stopped, signal=signals.engine_stopped)
        return middleware

    def engine_stopped(self) -> None:
        """Detach the log filter."""
        for name in ERROR_LOGGERS:
            logging.getLogger(name).removeFilter(self.log_filter)

    def process_request(self, request: Request, spider: Any = None) -> None:
        """Drop a request to a host given up on."""
        host = _host(request.url)
        if host in self.given_up:
            raise IgnoreRequest(f"{host} is unreachable: {self.given_up[host]}")

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        """Any answer at all means the host is up."""
        self.failures.pop(_host(request.url), None)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        """Count a connection failure; at the limit, give the host up and stop this request's retries."""
        immediate = isinstance(exception, NAME_FAILURES)
        if not immediate and not isinstance(exception, CONNECT_FAILURES):
            return
        host = _host(request.url)
        if host in self.given_up:
            request.meta["dont_retry"] = True
            return
        count = self.failures.get(host, 0) + 1
        self.failures[host] = count
        if immediate or count >= self.limit:
            reason = _reason(exception)
            self.given_up[host] = reason
            request.meta["dont_retry"] = True
            self.crawler.stats.inc_value(UNREACHABLE_STAT)
            attempts = "1 attempt" if count == 1 else f"{count} attempts"
            logger.error("Gave up on %s for this run: %s (%s); check the URL and the network", host, reason, attempts)


class _GivenUpLines(logging.Filter):
    """Drops the download-error lines of a host given up on: its one ERROR line says it all."""

    def __init__(self, given_up: dict[str, str]) -> None:
        super().__init__()
        self.given_up = given_up

    def filter(self, record: logging.LogRecord) -> bool:
        """False for ``Error downloading <request>`` of a given-up host."""
        request = record.args.get("request") if isinstance(record.args, dict) else None
        return not (isinstance(request, Request) and _host(request.url) in self.given_up)


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.lower()


def _reason(exception: BaseException) -> str:
    if isinstance(exception, NAME_FAILURES):
        return "its name does not resolve"
    message = str(exception).strip().rstrip(".")
    return message or type(exception).__name__


class ReservedNameResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, answering names under reserved never-resolvable domains with a failure at
    once (RFC 6761, section 6.4), without a query to the network."""

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:
        """The address of ``name``; a DNSLookupError at once for ``*.invalid``."""
        if name.lower().rstrip(".").endswith(RESERVED_SUFFIXES) or name.lower() == "invalid":
            return defer.fail(DNSLookupError(f"{name} is a reserved name that never resolves"))
        return super().getHostByName(name, timeout)
