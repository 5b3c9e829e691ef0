"""``--max-articles N``: at most N new articles (or new versions) archived, and not many more pages fetched.

Scrapy's ``CLOSESPIDER_ITEMCOUNT`` only starts a graceful close once N items passed, and every request already
scheduled still goes out, so a small N archives whatever was queued. Two components share the budget
(``NEWSARCHIVE_MAX_ARTICLES``):

- :class:`ArticleRequestBudget`, a downloader middleware, lets a request for an article URL (the profile's
  pattern says so) through only while the articles archived plus the article requests in flight are under
  N; one that answers with an error, or fails, gives its place back. Discovery pages are not limited.
- :class:`ArticleBudgetPipeline`, before the index pipeline, is the hard cap (a generic crawl learns that a
  page is an article only once it is parsed): an item past the N-th is dropped, and reaching N closes the
  spider (``finish_reason`` ``closespider_articlecount``).
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro

from newsarchive.discover.links import ARTICLE as ARTICLE_KIND
from newsarchive.spiders.meta import KIND_META

ARTICLES_STAT = "newsarchive/articles"  # index lines written (new articles and new versions)
UNCHANGED_STAT = "newsarchive/articles_unchanged"
FINISH_REASON = "closespider_articlecount"


def _budget(crawler: Crawler) -> int:
    budget = crawler.settings.getint("NEWSARCHIVE_MAX_ARTICLES")
    if budget <= 0:
        raise NotConfigured  # bare: no budget is the normal case
    return budget


class ArticleRequestBudget:
    """Article requests in flight plus articles archived stay within ``NEWSARCHIVE_MAX_ARTICLES``."""

    def __init__(self, crawler: Crawler, budget: int) -> None:
        self.crawler = crawler
        self.budget = budget
        self.in_flight: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleRequestBudget:
        """Enabled by ``NEWSARCHIVE_MAX_ARTICLES``."""
        return cls(crawler, _budget(crawler))

    def _archived(self) -> int:
        return self.crawler.stats.get_value(ARTICLES_STAT, 0)

    def process_request(self, request: Request, spider: Any = None) -> None:
        """Let an article request through while the budget has room (a retry keeps its place)."""
        if request.meta.get(KIND_META) != ARTICLE_KIND or request.url in self.in_flight:
            return
        if self._archived() + len(self.in_flight) >= self.budget:
            self.crawler.stats.inc_value("newsarchive/skipped_max_articles")
            raise IgnoreRequest(f"--max-articles {self.budget} reached")
        self.in_flight.add(request.url)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        """An article page that answered stays counted until its article is archived; an error frees its place."""
        if request.url in self.in_flight and (response.status != 200 or self._archived() >= self.budget):
            self.in_flight.discard(request.url)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        """A failed attempt frees its place (a retry takes it again)."""
        self.in_flight.discard(request.url)

    def article_archived(self, url: str) -> None:
        """Called by the pipeline: the article of ``url`` is archived, so it counts in the stats, not here."""
        self.in_flight.discard(url)


class ArticleBudgetPipeline:
    """Drops articles past the budget and closes the spider when the budget is reached."""

    def __init__(self, crawler: Crawler, budget: int) -> None:
        self.crawler = crawler
        self.budget = budget
        self.passed = 0
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleBudgetPipeline:
        """Enabled by ``NEWSARCHIVE_MAX_ARTICLES``."""
        return cls(crawler, _budget(crawler))

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Let the article through while under the budget (an unchanged re-fetch gives its place back)."""
        stats = self.crawler.stats
        used = self.passed - stats.get_value(UNCHANGED_STAT, 0)
        if used >= self.budget:
            raise DropItem(f"--max-articles {self.budget} reached", log_level="DEBUG")
        self.passed += 1
        requests = self.crawler.get_downloader_middleware(ArticleRequestBudget)
        if requests is not None:
            requests.article_archived(item["article"].url)
        if used + 1 >= self.budget and not self.closing:
            self.closing = True
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=FINISH_REASON))
        return item
