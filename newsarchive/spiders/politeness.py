"""Politeness beyond Scrapy's defaults: robots.txt ``Crawl-delay``, a floor under AutoThrottle, a page budget.

Scrapy's robots.txt middleware obeys ``Disallow`` but not ``Crawl-delay``. :class:`RobotsCrawlDelay`
listens to ``robots_parsed`` (sent before the first request to a host is let through) and makes the
site's delay the minimum delay of that host's download slot, without random jitter below it;
:class:`PoliteThrottle` is AutoThrottle that never goes under that minimum. :class:`PageBudget` lets at
most ``--max-pages`` requests reach the network, robots.txt included, then closes the spider;
:class:`BackoffRetry` slows a host down on each retry.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import deferred_from_coro

logger = logging.getLogger(__name__)

CRAWL_DELAY_KEY = "newsarchive_crawl_delay"


class RobotsCrawlDelay:
    """Applies each host's robots.txt ``Crawl-delay`` to its download slot; tells the spider the sitemaps."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_delay = crawler.settings.getfloat("NEWSARCHIVE_MAX_CRAWL_DELAY", 60.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsCrawlDelay:
        """Enabled with ``ROBOTSTXT_OBEY``."""
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured("ROBOTSTXT_OBEY is off")
        extension = cls(crawler)
        crawler.signals.connect(extension.robots_parsed, signal=signals.robots_parsed)
        return extension

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        """Set the host's slot delay from ``Crawl-delay`` (capped); hand ``Sitemap:`` lines to the spider."""
        user_agent = self.crawler.settings.get("ROBOTSTXT_USER_AGENT") or self.crawler.settings.get("USER_AGENT")
        delay = robotparser.crawl_delay(user_agent)
        if delay:
            delay = min(delay, self.max_delay)
            self.apply(urlsplit(request.url).hostname or "", delay)
        sitemaps = list(getattr(getattr(robotparser, "rp", None), "sitemaps", ()) or ())
        receiver = getattr(self.crawler.spider, "robots_sitemaps", None)
        if sitemaps and receiver is not None:
            receiver(request.url, sitemaps)

    def apply(self, host: str, delay: float) -> None:
        """Make ``delay`` the minimum of the host's slot, now and for a slot created later."""
        downloader = self.crawler.engine.downloader
        slot_settings = downloader.per_slot_settings.setdefault(host, {})
        slot_settings.update(delay=max(delay, slot_settings.get("delay", 0.0)), jitter=0.0)
        slot_settings[CRAWL_DELAY_KEY] = delay
        slot = downloader.slots.get(host)
        if slot is not None:
            floor_slot(slot, delay)
        logger.info("%s asks for a Crawl-delay of %.2f s", host, delay)


def floor_slot(slot: Slot, delay: float) -> None:
    """Raise a slot's delay to ``delay`` and drop its jitter, which could go below it."""
    slot.delay = max(slot.delay, delay)
    slot.jitter = 0.0


class PoliteThrottle(AutoThrottle):
    """AutoThrottle that never lowers a slot's delay under the host's robots.txt ``Crawl-delay``."""

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        super()._adjust_delay(slot, latency, response)
        host = urlsplit(response.url).hostname or ""
        floor = self.crawler.engine.downloader.per_slot_settings.get(host, {}).get(CRAWL_DELAY_KEY)
        if floor:
            floor_slot(slot, floor)


class PageBudget:
    """A downloader middleware that lets at most ``NEWSARCHIVE_MAX_PAGES`` requests through, then stops."""

    def __init__(self, crawler: Crawler, budget: int) -> None:
        self.crawler = crawler
        self.budget = budget
        self.sent = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudget:
        """Enabled by ``NEWSARCHIVE_MAX_PAGES``."""
        budget = crawler.settings.getint("NEWSARCHIVE_MAX_PAGES")
        if budget <= 0:
            raise NotConfigured("NEWSARCHIVE_MAX_PAGES is not set")
        return cls(crawler, budget)

    def process_request(self, request: Request, spider: scrapy.Spider | None = None) -> None:
        """Count the request, or drop it when the budget is spent (closing the spider once)."""
        if self.sent >= self.budget:
            if self.sent == self.budget:
                self.sent += 1
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="closespider_pagecount"))
            raise IgnoreRequest(f"--max-pages {self.budget} reached")
        self.sent += 1


class BackoffRetry(RetryMiddleware):
    """Scrapy's retries, plus exponential backoff per host: each retry doubles the host's slot delay.

    Starting at ``NEWSARCHIVE_RETRY_BACKOFF`` seconds, capped at ``AUTOTHROTTLE_MAX_DELAY``; AutoThrottle
    brings the delay back down as the host answers well again.
    """

    def _retry(self, request: Request, reason: str | Exception | type[Exception]) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            downloader = self.crawler.engine.downloader
            slot = downloader.slots.get(request.meta.get("download_slot") or "")
            if slot is not None:
                settings = self.crawler.settings
                base = settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF", 1.0)
                slot.delay = min(max(slot.delay * 2, base), settings.getfloat("AUTOTHROTTLE_MAX_DELAY", 60.0))
        return retry
