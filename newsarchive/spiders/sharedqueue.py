"""The job's shared queue and seen-set, on scrapy-redis's scheduler, queue and duplicate filter.

See :mod:`newsarchive.spiders.distributed` for how they fit with the middlewares, and :mod:`newsarchive.jobs` for
the Redis keys. Imported only in distributed crawls: scrapy-redis is the optional ``distributed`` extra.
"""

from __future__ import annotations

import logging

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base as RedisQueueBase
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from newsarchive.archive.urls import url_hash
from newsarchive.jobs import Heartbeat, RedisJob
from newsarchive.spiders.distributed import WORKER_SETTING, WORKER_TTL_SETTING, job_from_settings
from newsarchive.spiders.signals import request_processed

logger = logging.getLogger(__name__)


class InFlightQueue(RedisQueueBase):
    """scrapy-redis's priority queue layout (score ``-priority``), popped atomically into a worker's in-flight hash."""

    def __init__(self, job: RedisJob, spider: scrapy.Spider, worker: str) -> None:
        super().__init__(job.client, spider, job.key("queue"))
        self.job = job
        self.worker = worker

    def __len__(self) -> int:
        return self.job.queued()

    def push(self, request: Request) -> None:
        """Queue a request (serialised as scrapy-redis does: ``request.to_dict``, pickled)."""
        self.job.push(self._encode_request(request), request.priority)

    def pop(self, token: str) -> Request | None:  # type: ignore[override]
        """The best request, now in flight under ``token``; None when the queue is empty."""
        data = self.job.pop(self.worker, token)
        return self._decode_request(data) if data is not None else None


class SharedSeenFilter(RFPDupeFilter):
    """scrapy-redis's duplicate filter over the job's ``seen`` set, keyed like the archive's seen-set
    (:func:`~newsarchive.archive.urls.url_hash` under the profile's trailing-slash policy)."""

    def __init__(self, job: RedisJob, trailing_slash: str = "keep") -> None:
        super().__init__(job.client, job.key("seen"))
        self.trailing_slash = trailing_slash

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedSeenFilter:
        """The filter of the crawl's job."""
        return cls(job_from_settings(crawler.settings), crawler.settings.get("NEWSARCHIVE_TRAILING_SLASH"))

    def request_fingerprint(self, request: Request) -> str | int:  # type: ignore[override]
        """The URL's key for a plain GET (what the crawl sends); scrapy-redis's fingerprint otherwise."""
        if request.method == "GET" and not request.body:
            return url_hash(request.url, self.trailing_slash)
        return super().request_fingerprint(request)

    def close(self, reason: str = "") -> None:
        """Keep the set: it belongs to the job, which outlives this worker."""


class SharedScheduler(RedisScheduler):
    """scrapy-redis's scheduler with in-flight bookkeeping and job-wide completion (see the module docstring)."""

    def __init__(self, crawler: Crawler, job: RedisJob, worker: str, ttl: float) -> None:
        super().__init__(
            server=job.client,
            persist=True,  # the queue and seen-set are the job's: the last worker out does not flush them either
            queue_key=job.key("queue"),
            dupefilter=SharedSeenFilter(job, crawler.settings.get("NEWSARCHIVE_TRAILING_SLASH")),
        )
        self.crawler = crawler
        self.stats = crawler.stats
        self.job = job
        self.worker = worker
        self.heartbeat = Heartbeat(job, worker, ttl)
        self._tokens: dict[Request, str] = {}
        self._serial = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        """The scheduler of the crawl's job; listens for finished requests and for the spider going idle."""
        settings = crawler.settings
        scheduler = cls(
            crawler, job_from_settings(settings), settings.get(WORKER_SETTING), settings.getfloat(WORKER_TTL_SETTING)
        )
        crawler.signals.connect(scheduler.request_done, signal=request_processed)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: scrapy.Spider) -> None:
        """Join the job as a worker (with a heartbeat) and open the shared queue."""
        self.spider = spider
        self.queue = InFlightQueue(self.job, spider, self.worker)
        self.heartbeat.start()
        logger.info("Worker %s joined the job: %d requests queued, %d URLs seen", self.worker, len(self.queue),
                    self.job.seen_count())  # fmt: skip

    def close(self, reason: str) -> None:
        """Leave the job; what this worker still had in flight (dropped or failed requests) goes back."""
        self.heartbeat.stop()
        self._tokens.clear()
        requeued = self.job.unregister(self.worker)
        if requeued:
            logger.info("Worker %s left %d requests to the others", self.worker, requeued)

    def next_request(self) -> Request | None:
        """The job's best request, in flight for this worker until it is processed."""
        self._serial += 1
        token = str(self._serial)
        request = self.queue.pop(token)
        if request is not None:
            self._tokens[request] = token
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        """Whether the job's queue holds requests."""
        return len(self.queue) > 0

    def request_done(self, request: Request) -> None:
        """A popped request is processed: it leaves the in-flight hash."""
        token = self._tokens.pop(request, None)
        if token is not None:
            self.job.finish(self.worker, token)

    def spider_idle(self, spider: scrapy.Spider) -> None:
        """Idle here: everything popped is processed. Recover dead workers' requests; close only when the job
        is done (other workers may still queue more)."""
        self._tokens.clear()
        self.job.mark_idle(self.worker)
        for worker, count in self.job.recover_dead_workers().items():
            logger.warning("Worker %s stopped beating: %d of its requests are queued again", worker, count)
        if not self.job.finished():
            raise DontCloseSpider
