"""The news spider: starts at the given URLs, stays on their hosts, follows links, yields articles."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from scrapy.linkextractors import IGNORED_EXTENSIONS

from newsarchive.extract import ExtractionHints
from newsarchive.spiders.capture import LOCATION_META
from newsarchive.spiders.pages import analyse_page

_SKIPPED_SUFFIX = re.compile(r"\.(?:" + "|".join(map(re.escape, IGNORED_EXTENSIONS)) + r")$", re.IGNORECASE)

_ANALYSED_TYPES = re.compile(rb"html|xml|rss|atom|text/plain", re.IGNORECASE)


class NewsSpider(scrapy.Spider):
    """Crawls a news site from its start URLs; each article page becomes an article item."""

    name = "news"

    def __init__(
        self,
        start_urls: Iterable[str] = (),
        hints: ExtractionHints | None = None,
        article_url_pattern: str | None = None,
        allowed_hosts: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.start_urls = list(start_urls)
        start_hosts = {urlsplit(url).hostname or "" for url in self.start_urls} - {""}
        self.allowed_domains = sorted(start_hosts | set(allowed_hosts))
        self.hints = hints or ExtractionHints()
        self._article_url = re.compile(article_url_pattern) if article_url_pattern else None
        self._executor: ThreadPoolExecutor | None = None

    def _in_scope(self, url: str) -> bool:
        return urlsplit(url).hostname in self.allowed_domains and not _SKIPPED_SUFFIX.search(urlsplit(url).path)

    def _is_article_url(self, url: str) -> bool:
        return bool(self._article_url and self._article_url.search(urlsplit(url).path))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """One request per start URL."""
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse)

    async def parse(self, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        """Analyse the page off the reactor thread, follow its in-scope links, yield its article."""
        content_type = response.headers.get(b"Content-Type") or b""
        if content_type and not _ANALYSED_TYPES.search(content_type):
            return
        if self._executor is None:
            workers = self.settings.getint("NEWSARCHIVE_EXTRACT_WORKERS", 2)
            self._executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="extract")
        analysis = await asyncio.get_running_loop().run_in_executor(
            self._executor,
            analyse_page,
            response.body,
            response.url,
            content_type,
            self.hints,
            self._is_article_url if self._article_url else None,
        )
        for link in analysis.links:
            if self._in_scope(link):
                yield scrapy.Request(link, callback=self.parse)
        location = response.meta.get(LOCATION_META)
        if analysis.article is not None and location is not None:
            yield {"article": analysis.article, "location": location, "fetched_at": location.date}

    def closed(self, reason: str) -> None:
        """Stop the extraction workers."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
