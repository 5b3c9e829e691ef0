"""Truncated bodies are archived, then kept from the spider: the size cap and early closes.

A body over ``DOWNLOAD_MAXSIZE`` is not cancelled (Scrapy's own cap would drop every byte of it): the download
handler gives Scrapy's body reader no cap (:mod:`newsarchive.spiders.handler`), and :class:`TruncatedBodies`
counts each download's bytes on Scrapy's ``bytes_received`` signal and stops it once past the cap, with
:class:`~scrapy.exceptions.StopDownload`; Scrapy then returns the bytes so far, flagged ``download_stopped``.
A body cut short by the server (``DOWNLOAD_FAIL_ON_DATALOSS = False``) arrives flagged ``dataloss``. Either is
archived with ``WARC-Truncated`` (:mod:`newsarchive.spiders.capture`), and :class:`TruncatedBodies` then drops
the response before any other middleware sees it: half a page yields no article, a cut gzip stream is never
inflated, and no validator (ETag, Last-Modified) of an incomplete page is remembered. Each such page is one
WARNING line, counted in ``newsarchive/truncated/<reason>``; the crawl summary counts it as a failure.

A download cut by the download timeout after its head arrived fails as ``DownloadTimeoutError`` (retried and
counted as such); what it received is archived too, with ``WARC-Truncated: time``: :class:`TruncatedBodies`
sends it with :data:`~newsarchive.spiders.signals.timed_out_body`, which the capture listens to as to
``response_downloaded``.

A truncated capture is never a revisit, and never the original a later revisit refers to
(:func:`newsarchive.archive.revisits.is_original`).
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Request, Response

from newsarchive.spiders.handler import TIMEOUT_FLAG, partial_response
from newsarchive.spiders.signals import timed_out_body

logger = logging.getLogger(__name__)

# Stats keys: one per reason, and their sum (spiders/crawl.py counts the sum as failures).
TRUNCATED_STAT = "newsarchive/truncated"
SIZE_CAP = "size_cap"
DATALOSS = "dataloss"
TIMEOUT = "timeout"


def truncation_reason(flags: list[str]) -> str | None:
    """``size_cap`` or ``dataloss`` when a response's flags say its body is incomplete, else None."""
    if "download_stopped" in flags:
        return SIZE_CAP
    if "dataloss" in flags:
        return DATALOSS
    if TIMEOUT_FLAG in flags:
        return TIMEOUT
    return None


class TruncatedBodies:
    """Stops a download past the size cap; drops truncated responses (after the capture archived them).

    A downloader middleware at 800: its ``process_response`` runs before that of every other middleware but
    ``DownloaderStats`` (850, which counts the page), so a truncated redirect is not followed, a truncated 5xx
    is not retried and a truncated gzip body is never inflated.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        # Bytes received so far, per download in flight (reset when the head arrives: a retry starts again).
        self._received: dict[Request, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TruncatedBodies:
        """Connect the download signals."""
        middleware = cls(crawler)
        crawler.signals.connect(middleware.headers_received, signal=signals.headers_received)
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(middleware.request_left_downloader, signal=signals.request_left_downloader)
        return middleware

    def _cap(self, request: Request) -> int:
        # The same per-request override HttpCompressionMiddleware honours for the decompressed size.
        return int(request.meta.get("download_maxsize", self.max_size))

    # Scrapy passes a signal handler only the arguments it names.
    def headers_received(self, request: Request) -> None:
        """A download's body starts: count from zero."""
        self._received[request] = 0

    def bytes_received(self, data: bytes, request: Request) -> None:
        """Count the bytes; past the cap, stop the download and keep what came (Scrapy flags it)."""
        received = self._received.get(request, 0) + len(data)
        self._received[request] = received
        cap = self._cap(request)
        if cap and received > cap:
            raise StopDownload(fail=False)

    def request_left_downloader(self, request: Request) -> None:
        """The download is over, whatever its outcome: forget its count."""
        self._received.pop(request, None)

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A timeout that cut a body: have what came archived (the timeout itself goes on to be retried)."""
        response = partial_response(exception)
        if response is not None:
            self.crawler.signals.send_catch_log(
                signal=timed_out_body, response=response, request=request, spider=self.crawler.spider
            )

    def process_response(self, request: Request, response: Response) -> Response:
        """Let complete responses through; log, count and drop truncated ones."""
        reason = truncation_reason(response.flags)
        if reason is None:
            return response
        if reason == SIZE_CAP:
            why = f"body over the size cap of {self._cap(request)} bytes"
        else:
            why = "connection closed before the end of the body"
        message = f"Truncated <{response.status} {response.url}>: {why}: archived truncated, not parsed"
        logger.warning(message)
        self.stats.inc_value(TRUNCATED_STAT)
        self.stats.inc_value(f"{TRUNCATED_STAT}/{reason}")
        raise IgnoreRequest(message)
