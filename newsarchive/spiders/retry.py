"""Retries that back off: exponential delays between attempts, and the server's ``Retry-After`` honoured.

Scrapy's ``RetryMiddleware`` re-queues a failed request at once. A news site that answers 503 is
overloaded or in maintenance; hammering it is rude and useless. :class:`BackoffRetryMiddleware` slows the
whole host down (its download slot's delay doubles per retry, from ``NEWSARCHIVE_RETRY_BACKOFF`` up to
``NEWSARCHIVE_RETRY_BACKOFF_MAX`` seconds) and brings it back as the host answers again: each answer that needs
no retry halves it, and once that reaches the first step, the host has the delay it had before (AutoThrottle
lowers a delay only on a 200, so a host answering redirects and 404s would otherwise keep the backoff's delay
for the rest of the run),
and waits before handing the retry back (without blocking the reactor), so the retry itself never comes early:
``Retry-After`` when the server sends one, else ``NEWSARCHIVE_RETRY_BACKOFF`` * 2^(attempt-1) seconds.
A ``Retry-After`` longer than ``NEWSARCHIVE_RETRY_AFTER_MAX`` is not waited for in this run: the page is given
up and logged.
Once the crawl is told to stop (:meth:`BackoffRetryMiddleware.stop`, on the first SIGINT/SIGTERM) no retry is
sent and the waits in progress end at once.

It extends the public ``process_response`` / ``process_exception`` of Scrapy's ``RetryMiddleware``: a
:class:`~scrapy.Request` returned is a retry (made by Scrapy's ``get_retry_request``). The host's slot is
``crawler.engine.downloader.slots[request.meta["download_slot"]]``, semi-public as in spiders/politeness.py.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header (delta seconds or an HTTP date) in seconds; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, with the host's delay doubled per retry and a wait before each retry."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF")
        self.backoff_max = settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX")
        self.stopping = False
        self._waits: set[Deferred[None]] = set()
        # The delay each slowed-down host had before its first backoff, by download slot.
        self._delays_before: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """The middleware, listening to every download: a redirect never reaches ``process_response`` here."""
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """A host that answered without needing a retry is on its way back to its delay before the backoff."""
        if response.status not in self.retry_http_codes:
            self._recover(request)

    def stop(self) -> None:
        """No more retries: end the waits in progress (their requests fail as they are) and retry nothing."""
        self.stopping = True
        for wait in list(self._waits):
            if not wait.called:
                wait.callback(None)

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        """Retry a retryable status after ``Retry-After`` or the backoff delay."""
        if self.stopping or request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if asked is not None and asked > self.retry_after_max:
            logger.error(
                "Gave up %s: %d, server asks to retry after %.0f s (over NEWSARCHIVE_RETRY_AFTER_MAX)",
                request.url, response.status, asked,
            )  # fmt: skip
            return response
        retry = super().process_response(request, response)
        if isinstance(retry, Request):
            self._slow_down(request, f"{response.status} on {request.url}")
            await self._wait(asked if asked is not None else self._backoff(retry))
            if self.stopping:
                return response
        return retry

    async def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        """Retry a network failure (timeout, refused, reset) after the backoff delay."""
        if self.stopping:
            return None
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            self._slow_down(request, f"{type(exception).__name__} on {request.url}")
            await self._wait(self._backoff(retry))
            if self.stopping:
                return None
        return retry

    def _slow_down(self, request: Request, reason: str) -> None:
        """Double the delay of the request's host (at least ``backoff``, at most ``backoff_max`` seconds)."""
        key = request.meta.get("download_slot") or ""
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is None:
            return
        self._delays_before.setdefault(key, slot.delay)
        slot.delay = min(max(slot.delay * 2, self.backoff), self.backoff_max)
        logger.info("Slowing down for %s: %.2f s between requests after a %s", key, slot.delay, reason)

    def _recover(self, request: Request) -> None:
        """Halve the delay of a slowed-down host that answered without needing a retry; below the backoff's
        first step, give it back the delay it had before."""
        key = request.meta.get("download_slot") or ""
        if (before := self._delays_before.get(key)) is None:
            return
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None and slot.delay / 2 > max(before, self.backoff):
            slot.delay /= 2
            return
        del self._delays_before[key]
        if slot is not None:
            slot.delay = min(slot.delay, before)
            logger.info("%s answers again: %.2f s between requests, as before it failed", key, slot.delay)

    def _backoff(self, retry: Request) -> float:
        return self.backoff * 2 ** (retry.meta.get("retry_times", 1) - 1)

    async def _wait(self, seconds: float) -> None:
        """Wait ``seconds`` without blocking the reactor, or less when :meth:`stop` is called meanwhile."""
        # Imported here: importing the reactor at module level would install Twisted's default one
        # before Scrapy installs the asyncio reactor.
        from twisted.internet import reactor

        if seconds <= 0 or self.stopping:
            return
        wait: Deferred[None] = Deferred()
        timer = reactor.callLater(seconds, lambda: wait.called or wait.callback(None))
        self._waits.add(wait)
        try:
            await maybe_deferred_to_future(wait)
        finally:
            self._waits.discard(wait)
            if timer.active():
                timer.cancel()
