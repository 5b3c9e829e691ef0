"""The article pipeline: append each extracted article to the JSON article index, as a new version if need be.

A first capture of a URL is version 1. Under ``--refresh`` (``NEWSARCHIVE_REFRESH``) an archived article is
fetched again: when its extracted content (:data:`~newsarchive.archive.articles.CONTENT_KEYS`) changed it
becomes version N+1 pointing at the record of version N (``previous_record_id``); when only the page's
chrome changed, or nothing did, no index line is written (the WARC still holds the exchange, as a revisit
record when the payload is byte-identical).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsarchive.archive.articles import (
    ArticleIndexWriter,
    LatestVersion,
    entry_at,
    index_entry,
    next_version,
    url_positions,
)
from newsarchive.archive.urls import normalize_url
from newsarchive.spiders.seen import url_key


class ArticleIndexPipeline:
    """Writes one index line per new article or changed version (items ``{"article", "location", "fetched_at"}``)."""

    def __init__(self, crawler: Crawler, index: ArticleIndexWriter, refresh: bool, trailing_slash: str) -> None:
        self.crawler = crawler
        self.index = index
        self.refresh = refresh
        self.normalize = partial(normalize_url, trailing_slash=trailing_slash)
        self._files: list[Path] = []
        self._positions: dict[int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleIndexPipeline:
        """Enabled by ``NEWSARCHIVE_ARCHIVE``."""
        settings = crawler.settings
        archive = settings.get("NEWSARCHIVE_ARCHIVE")
        if not archive:
            raise NotConfigured("NEWSARCHIVE_ARCHIVE is not set")
        return cls(
            crawler,
            ArticleIndexWriter(Path(archive) / "indexes", datetime.now(UTC)),
            refresh=settings.getbool("NEWSARCHIVE_REFRESH"),
            trailing_slash=settings.get("NEWSARCHIVE_TRAILING_SLASH", "keep"),
        )

    def _previous(self, url: str) -> dict[str, Any] | None:
        """The latest archived version of ``url`` (positions read once, on the first refreshed article)."""
        if self._positions is None:
            self._files, self._positions = url_positions(self.index.path.parent, self._key)
        position = self._positions.get(self._key(url))
        return None if position is None else entry_at(self._files, position)

    def _key(self, url: str) -> int:
        return url_key(self.normalize(url))

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Append the article's index line, unless a refresh found its content unchanged."""
        article = item["article"]
        previous = self._previous(article.url) if self.refresh else None
        stats = self.crawler.stats
        decided = next_version(article.to_dict(), LatestVersion.of(previous) if previous is not None else None)
        if decided is None:
            stats.inc_value("newsarchive/articles_unchanged")
            return item
        version, previous_record_id = decided
        entry = index_entry(
            article, item["location"], item["fetched_at"], version, previous_record_id=previous_record_id
        )
        self.index.append(entry)
        stats.inc_value("newsarchive/articles")
        if previous is not None:
            stats.inc_value("newsarchive/articles_changed")
        return item

    def close_spider(self) -> None:
        """Flush and close the index file."""
        self.index.close()
