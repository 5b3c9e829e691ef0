"""Distributed crawling on scrapy-redis: the Scrapy components that put one job's queue, seen-set and politeness
in Redis (:mod:`newsarchive.jobs` holds the Redis side). Each does one thing:

- ``SharedScheduler`` (:mod:`newsarchive.spiders.sharedqueue`, on scrapy-redis's scheduler): pops requests from
  the job's queue into this worker's in-flight hash and finishes them when :class:`ProcessedRequests` says so; on
  idle it requeues the requests of dead workers and closes the spider only when the whole job is done, not when
  the queue is empty for a moment;
- ``SharedSeenFilter`` (same module, on scrapy-redis's duplicate filter): one URL is requested once per job, by
  any worker; keyed like the archive's seen-set, which the job's first worker seeds it with;
- :class:`ProcessedRequests` (spider middleware): a popped request is finished once its links are queued and its
  article indexed, so a worker killed before that leaves it in flight for the others;
- :class:`SharedHostSlots` (downloader middleware): per-host concurrency and delay across all workers.

:func:`distributed_settings` wires them; ``crawl(redis=URL)`` applies it. The middlewares are listed in the
project settings and absent (``NotConfigured``) in a plain crawl; the scheduler and filter, which import
scrapy-redis (the ``distributed`` extra), are named only by :func:`distributed_settings`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from newsarchive.jobs import RedisJob, connect
from newsarchive.spiders.signals import request_processed

logger = logging.getLogger(__name__)

REDIS_URL_SETTING = "NEWSARCHIVE_REDIS_URL"
ARCHIVE_KEY_SETTING = "NEWSARCHIVE_REDIS_ARCHIVE_KEY"
WORKER_SETTING = "NEWSARCHIVE_REDIS_WORKER"
WORKER_TTL_SETTING = "NEWSARCHIVE_REDIS_WORKER_TTL"


def distributed_settings(url: str, archive_key: str, worker: str) -> dict[str, Any]:
    """The settings that make a crawl one worker of the archive's job on the Redis server at ``url``.

    ``$NEWSARCHIVE_REDIS_WORKER_TTL`` (seconds, default 30) sets how soon a silent worker counts as dead.
    """
    ttl = os.environ.get(WORKER_TTL_SETTING)
    return {
        **({WORKER_TTL_SETTING: float(ttl)} if ttl else {}),
        REDIS_URL_SETTING: url,
        ARCHIVE_KEY_SETTING: archive_key,
        WORKER_SETTING: worker,
        "SCHEDULER": "newsarchive.spiders.sharedqueue.SharedScheduler",
        "DUPEFILTER_CLASS": "newsarchive.spiders.sharedqueue.SharedSeenFilter",
    }


def job_from_settings(settings: Any) -> RedisJob:
    """The job the settings name (:class:`NotConfigured` when the crawl is not distributed)."""
    url = settings.get(REDIS_URL_SETTING)
    if not url:
        raise NotConfigured
    return RedisJob(connect(url), settings.get(ARCHIVE_KEY_SETTING))


class ProcessedRequests:
    """Tells the scheduler when a response's links are queued and its items processed (``request_processed``).

    Outermost spider middleware: the links a callback yields are queued here, at once, so that they are in Redis
    before the request that found them leaves the in-flight hash; items are counted until the item pipelines
    are done with them.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._items: Counter[Request] = Counter()
        self._ended: set[Request] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProcessedRequests:
        """Enabled in distributed crawls only."""
        if not crawler.settings.get(REDIS_URL_SETTING):
            raise NotConfigured
        middleware = cls(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(middleware.item_done, signal=signal)
        return middleware

    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: scrapy.Spider | None = None
    ) -> Iterator[Any]:
        """Queue links at once, count items, note the end of the output."""
        request = response.request
        try:
            for output in result:
                if self._passes(request, output):
                    yield output
        finally:
            self._end(request)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: scrapy.Spider | None = None
    ) -> AsyncIterator[Any]:
        """As :meth:`process_spider_output`, for asynchronous callbacks."""
        request = response.request
        try:
            async for output in result:
                if self._passes(request, output):
                    yield output
        finally:
            self._end(request)

    def _passes(self, request: Request | None, output: Any) -> bool:
        if isinstance(output, Request):
            self.crawler.engine.crawl(output)
            return False
        if output is not None and request is not None:
            self._items[request] += 1
        return True

    def _end(self, request: Request | None) -> None:
        if request is not None:
            self._ended.add(request)
            self._maybe_done(request)

    def item_done(self, item: Any, response: Response | None = None, **kwargs: Any) -> None:
        """An item left the pipelines (scraped, dropped or failed)."""
        request = getattr(response, "request", None)
        if request is not None and self._items[request] > 0:
            self._items[request] -= 1
            self._maybe_done(request)

    def _maybe_done(self, request: Request) -> None:
        if request in self._ended and self._items[request] <= 0:
            self._ended.discard(request)
            del self._items[request]
            self.crawler.signals.send_catch_log(request_processed, request=request)


class SharedHostSlots:
    """Per-host concurrency and delay across the job's workers: a request waits here, innermost, for one of the
    host's ``CONCURRENT_REQUESTS_PER_DOMAIN`` slots in Redis and for the host's delay to pass since the last
    start by any worker (the delay this worker's download slot has for the host: ``--delay``, robots.txt
    ``Crawl-delay``, backoff). The slot is a lease of ``DOWNLOAD_TIMEOUT`` + 10 s, so a killed worker's slots
    come back."""

    def __init__(self, crawler: Crawler, job: RedisJob) -> None:
        self.crawler = crawler
        self.job = job
        settings = crawler.settings
        self.concurrency = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.lease = settings.getfloat("DOWNLOAD_TIMEOUT") + 10.0
        self._held: dict[Request, tuple[str, str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedHostSlots:
        """Enabled in distributed crawls only."""
        return cls(crawler, job_from_settings(crawler.settings))

    async def process_request(self, request: Request, spider: scrapy.Spider | None = None) -> None:
        """Wait for a slot of the request's host."""
        host = urlparse_cached(request).hostname or ""
        token = uuid.uuid4().hex
        while (wait := self.job.acquire_slot(host, token, self.concurrency, self._delay(request), self.lease)) > 0:
            await asyncio.sleep(wait)
        self._held[request] = (host, token)

    def process_response(self, request: Request, response: Response, spider: scrapy.Spider | None = None) -> Response:
        """Give the slot back."""
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: scrapy.Spider | None = None) -> None:
        """Give the slot back."""
        self._release(request)

    def _delay(self, request: Request) -> float:
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        return slot.delay if slot is not None else self.delay

    def _release(self, request: Request) -> None:
        held = self._held.pop(request, None)
        if held is not None:
            self.job.release_slot(*held)
