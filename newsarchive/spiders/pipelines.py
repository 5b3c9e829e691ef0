"""The article pipeline: add each extracted article to the JSON article index, as a new version if need be.

The decision is :class:`~newsarchive.archive.articles.ArticleIndex`'s (shared with ``reindex`` and repair): a
first capture of a URL is version 1; under ``--refresh`` (``NEWSARCHIVE_REFRESH``) an archived article whose
extracted content changed becomes version N+1 pointing at the record of version N, and one whose page changed
only around the text (or not at all) gets no new line.

A page of a site without a profile may show a local time and no offset. Its time is placed in the site's
UTC offset as the spider learned it (:attr:`NewsSpider.facts <newsarchive.spiders.news.NewsSpider.facts>`,
a :class:`~newsarchive.archive.facts.SiteFacts`); an article that comes
before the offset is known waits for it (up to :data:`MAX_WAITING` of them), and is written with its date
alone if the crawl ends without one: a time is never given an invented offset.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsarchive.archive.articles import ArticleIndex
from newsarchive.archive.facts import SiteFacts
from newsarchive.archive.layout import ArchiveLayout
from newsarchive.extract.dates import is_local_time, zone
from newsarchive.spiders.news import NewsSpider

logger = logging.getLogger(__name__)

MAX_WAITING = 1000


class ArticleIndexPipeline:
    """Writes one index line per new article or changed version (items ``{"article", "location", "fetched_at"}``)."""

    def __init__(self, crawler: Crawler, spider: NewsSpider, index: ArticleIndex) -> None:
        self.crawler = crawler
        self.spider = spider
        self.index = index
        self._waiting: list[dict[str, Any]] = []
        self._revision = -1

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleIndexPipeline:
        """Enabled by ``NEWSARCHIVE_ARCHIVE``, for the news spider (whose seen-set and site facts it reads)."""
        settings = crawler.settings
        archive = settings.get("NEWSARCHIVE_ARCHIVE")
        if not archive:
            raise NotConfigured("NEWSARCHIVE_ARCHIVE is not set")
        spider = crawler.spider
        if not isinstance(spider, NewsSpider):
            raise NotConfigured(f"the article index is kept by the news spider's crawls, not {spider!r}'s")
        refresh = settings.getbool("NEWSARCHIVE_REFRESH")

        def archived(url: str) -> bool:
            # Without --refresh only a URL of the seen-set can have versions already (a start URL, a redirect).
            # The spider loads its seen-set when the crawl starts: read it at each call.
            seen = spider.seen
            return refresh or seen is None or url in seen

        index = ArticleIndex(
            ArchiveLayout(archive).indexes_dir,
            datetime.now(UTC),
            trailing_slash=settings.get("NEWSARCHIVE_TRAILING_SLASH"),
            archived=archived,
        )
        return cls(crawler, spider, index)

    @property
    def facts(self) -> SiteFacts:
        """What the spider learned of its sites (their UTC offsets), as it stands now."""
        return self.spider.facts

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Append the article's index line, unless a refresh found its content unchanged."""
        facts = self.facts
        if facts.revision != self._revision:
            self._revision = facts.revision
            self._write_placeable(facts)
        article = item["article"]
        offset = facts.utc_offset(article.url)
        if offset is None and is_local_time(article.published):
            if len(self._waiting) < MAX_WAITING:
                self._waiting.append(item)
                return item
            logger.info("%s: no UTC offset known for its shown time yet; keeping its date alone", article.url)
        self._write(item, offset)
        return item

    def _write_placeable(self, facts: SiteFacts) -> None:
        """Write the waiting articles whose site's offset is now known."""
        waiting, self._waiting = self._waiting, []
        for item in waiting:
            offset = facts.utc_offset(item["article"].url)
            if offset is None:
                self._waiting.append(item)
            else:
                self._write(item, offset)

    def _write(self, item: dict[str, Any], offset: str | None) -> None:
        stats = self.crawler.stats
        entry = self.index.add(item["article"], item["location"], item["fetched_at"], zone(offset))
        if entry is None:
            stats.inc_value("newsarchive/articles_unchanged")
            return
        stats.inc_value("newsarchive/articles")
        if entry["version"] > 1:
            stats.inc_value("newsarchive/articles_changed")

    def close_spider(self) -> None:
        """Write what still waits (dates alone where no offset was learned), flush and close the index file."""
        facts = self.facts
        for item in self._waiting:
            self._write(item, facts.utc_offset(item["article"].url))
        self._waiting = []
        self.index.close()
