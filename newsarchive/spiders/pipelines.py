"""The article pipeline: append each extracted article to the JSON article index."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsarchive.archive.articles import ArticleIndexWriter, index_entry


class ArticleIndexPipeline:
    """Writes one index line per article item (``{"article", "location", "fetched_at"}``)."""

    def __init__(self, crawler: Crawler, index: ArticleIndexWriter) -> None:
        self.crawler = crawler
        self.index = index

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleIndexPipeline:
        """Enabled by ``NEWSARCHIVE_ARCHIVE``."""
        archive = crawler.settings.get("NEWSARCHIVE_ARCHIVE")
        if not archive:
            raise NotConfigured("NEWSARCHIVE_ARCHIVE is not set")
        return cls(crawler, ArticleIndexWriter(Path(archive) / "indexes", datetime.now(UTC)))

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Append the article's index line."""
        self.index.append(index_entry(item["article"], item["location"], item["fetched_at"]))
        self.crawler.stats.inc_value("newsarchive/articles")
        return item

    def close_spider(self) -> None:
        """Flush and close the index file."""
        self.index.close()
