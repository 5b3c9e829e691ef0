"""Politeness beyond Scrapy's defaults: robots.txt ``Crawl-delay`` and ``Sitemap:`` lines, a page budget.

Scrapy's robots.txt middleware obeys ``Disallow`` (:class:`RobotsTxt` fixes it for concurrent first
requests) but not ``Crawl-delay``. :class:`RobotsCrawlDelay` listens to ``robots_parsed`` (sent before the
first request to a host is let through) and makes the site's delay the minimum delay of that host's download
slot, without random jitter below it, and raises it back whenever AutoThrottle lowered it under that minimum;
it also sends the file's ``Sitemap:`` URLs (read by :class:`RobotsTxtParser`) to whoever listens to
:data:`~newsarchive.spiders.signals.robots_sitemaps_found` (the spider). :class:`PageBudget` lets at most
``--max-pages`` requests reach the network, robots.txt included, then closes the spider.

Only Scrapy's public API is used here (settings, signals, the robots.txt parser interface), and the download
slots: ``crawler.engine.downloader.slots`` and ``per_slot_settings`` (the ``DOWNLOAD_SLOTS`` setting at run
time) are semi-public, attributes without an underscore that Scrapy's own AutoThrottle works on but does not
document.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import scrapy
from protego import Protego
from scrapy import signals
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser, decode_robotstxt
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.python import to_unicode

from newsarchive.spiders.signals import robots_sitemaps_found

logger = logging.getLogger(__name__)


class RobotsTxtParser(RobotParser):
    """Scrapy's default robots.txt parser (Protego, the same decoding), which also gives the ``Sitemap:`` URLs.

    Named by ``ROBOTSTXT_PARSER``: Scrapy's parser interface has no sitemaps, Protego has.
    """

    def __init__(self, robots: Protego) -> None:
        self._robots = robots

    @classmethod
    def from_crawler(cls, crawler: Crawler, robotstxt_body: bytes) -> RobotsTxtParser:
        """Parse a robots.txt body."""
        return cls(Protego.parse(decode_robotstxt(robotstxt_body, crawler.spider if crawler else None)))

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        """Whether ``user_agent`` may fetch ``url``."""
        return self._robots.can_fetch(to_unicode(url), to_unicode(user_agent))

    def crawl_delay(self, user_agent: str | bytes) -> float | None:
        """The ``Crawl-delay`` asked of ``user_agent``, in seconds (None: none)."""
        delay = self._robots.crawl_delay(to_unicode(user_agent))
        return None if delay is None else float(delay)

    @property
    def sitemaps(self) -> list[str]:
        """The ``Sitemap:`` URLs, in the file's order."""
        return list(self._robots.sitemaps)


class RobotsTxt(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, fixed for requests that wait while robots.txt is downloading.

    Since scrapy/scrapy#6802 (Scrapy 2.13) those waiters await one Deferred through ``asFuture``, which
    hands its result to the first waiter only: the others get None, which means "no robots.txt", and go
    out unchecked. Each parsed robots.txt is sent with ``robots_parsed`` before the waiters resume: it is
    kept from there and given to them.

    The requests of a host also pass the check in the order they came (the scheduler's, by priority): a request
    that came after robots.txt was parsed, but before the waiters resumed, would otherwise reach the host's
    download slot ahead of them, and a sitemap be fetched before the feeds and listings that came first.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.parsed: dict[str, RobotParser] = {}
        # Host -> the check of the request that came last, which the next one waits for.
        self._last_check: dict[str, asyncio.Future[None]] = {}
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        """Keep the host's parsed robots.txt (``request`` is the one that had it fetched)."""
        self.parsed[urlparse_cached(request).netloc] = robotparser

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The host's parsed robots.txt (None only when it could not be fetched), in the requests' order."""
        netloc = urlparse_cached(request).netloc
        previous = self._last_check.get(netloc)
        checked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last_check[netloc] = checked
        try:
            if previous is not None and not previous.done():
                await previous
            parser = await super().robot_parser(request)
            return parser if parser is not None else self.parsed.get(netloc)
        finally:
            checked.set_result(None)
            if self._last_check.get(netloc) is checked:
                del self._last_check[netloc]


class RobotsCrawlDelay:
    """Applies each host's robots.txt ``Crawl-delay`` to its download slot; announces its ``Sitemap:`` URLs."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_delay = crawler.settings.getfloat("NEWSARCHIVE_MAX_CRAWL_DELAY")
        # Host -> its Crawl-delay (capped): the floor under its slot's delay.
        self.floors: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsCrawlDelay:
        """Enabled with ``ROBOTSTXT_OBEY``."""
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured  # bare: --ignore-robots is a choice, not a warning
        extension = cls(crawler)
        crawler.signals.connect(extension.robots_parsed, signal=signals.robots_parsed)
        # Scrapy calls a signal's handlers in the order they were connected, and this extension is built after
        # AutoThrottle (EXTENSIONS order 10 against its 0): each response's floor comes after AutoThrottle's
        # adjustment, before the slot sends its next request.
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        return extension

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        """Set the host's slot delay from ``Crawl-delay`` (capped); announce the ``Sitemap:`` URLs."""
        user_agent = self.crawler.settings.get("ROBOTSTXT_USER_AGENT") or self.crawler.settings.get("USER_AGENT")
        delay = robotparser.crawl_delay(user_agent)
        if delay:
            delay = min(delay, self.max_delay)
            self.apply(urlsplit(request.url).hostname or "", delay)
        sitemaps = robotparser.sitemaps if isinstance(robotparser, RobotsTxtParser) else []
        if sitemaps:
            self.crawler.signals.send_catch_log(signal=robots_sitemaps_found, sitemaps=sitemaps, request=request)

    def apply(self, host: str, delay: float) -> None:
        """Make ``delay`` the minimum of the host's slot, now and for a slot created later."""
        downloader = self.crawler.engine.downloader
        slot_settings = downloader.per_slot_settings.setdefault(host, {})
        slot_settings.update(delay=max(delay, slot_settings.get("delay", 0.0)), jitter=0.0)
        self.floors[host] = delay
        slot = downloader.slots.get(host)
        if slot is not None:
            floor_slot(slot, delay)
        logger.info("%s asks for a Crawl-delay of %.2f s", host, delay)

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Keep the host's slot at its ``Crawl-delay`` or above, whatever AutoThrottle just made of it."""
        if not self.floors:
            return  # no host asked for a Crawl-delay: nothing to parse on every response
        floor = self.floors.get(urlsplit(response.url).hostname or "")
        if floor:
            slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot") or "")
            if slot is not None:
                floor_slot(slot, floor)


def floor_slot(slot: Slot, delay: float) -> None:
    """Raise a slot's delay to ``delay`` and drop its jitter, which could go below it."""
    slot.delay = max(slot.delay, delay)
    slot.jitter = 0.0


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
            raise NotConfigured  # bare: Scrapy logs a reason as a warning, and no budget is normal
        return cls(crawler, budget)

    def process_request(self, request: Request, spider: scrapy.Spider | None = None) -> None:
        """Count the request, or drop it when the budget is spent (closing the spider once)."""
        if self.sent >= self.budget:
            if self.sent == self.budget:
                self.sent += 1
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="closespider_pagecount"))
            raise IgnoreRequest(f"--max-pages {self.budget} reached")
        self.sent += 1
