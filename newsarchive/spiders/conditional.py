"""Conditional re-fetching of discovery pages (feeds, sitemaps, listings) with the server's validators.

Each run re-fetches the pages where new articles appear. Where the server gave an ``ETag`` or a
``Last-Modified``, the next request carries ``If-None-Match`` / ``If-Modified-Since`` and an unchanged page
costs the site a 304. The validators, and the ``lastmod`` a sitemap index last gave each child sitemap,
are kept in ``indexes/validators.json``: a small file, rewritten at the end of each run, rebuildable from
the WARCs' response headers (:func:`validators_from_records`), so deleting it only costs full re-fetches.
The spider reads and adds to the same store: it takes the middleware's with
``crawler.get_downloader_middleware(ConditionalRequests).store``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from warcio.recordloader import ArcWarcRecord

from newsarchive.archive.layout import VALIDATORS_NAME, ArchiveLayout
from newsarchive.spiders.meta import CONDITIONAL_META

_FEED_TYPES = re.compile(rb"rss|atom|xml", re.IGNORECASE)


class ValidatorStore:
    """URL -> ``{"etag", "last_modified", "lastmod"}`` for the discovery pages of an archive."""

    def __init__(self, path: Path, entries: dict[str, dict[str, str]] | None = None) -> None:
        self.path = path
        self.entries = entries or {}

    @classmethod
    def load(cls, indexes_dir: str | os.PathLike[str]) -> ValidatorStore:
        """The archive's store; an unreadable file counts as empty (it is only an optimisation)."""
        path = Path(indexes_dir) / VALIDATORS_NAME
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = {}
        return cls(path, entries if isinstance(entries, dict) else {})

    def get(self, url: str) -> dict[str, str]:
        """What is known about ``url`` (empty when nothing)."""
        return self.entries.get(url, {})

    def update(self, url: str, **values: str | None) -> None:
        """Record validators (or a sitemap ``lastmod``) for ``url``; None values are left out."""
        known = {key: value for key, value in values.items() if value}
        if known:
            self.entries.setdefault(url, {}).update(known)

    def save(self) -> None:
        """Write the store atomically."""
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(self.entries, indent=0, sort_keys=True), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            temporary.unlink(missing_ok=True)


def validators_from_records(records: Iterable[ArcWarcRecord], urls: set[str]) -> dict[str, dict[str, str]]:
    """Rebuild the store's validators from WARC response records of ``urls`` (the latest capture wins)."""
    entries: dict[str, dict[str, str]] = {}
    for record in records:
        url = record.rec_headers.get_header("WARC-Target-URI")
        if record.rec_type != "response" or url not in urls or record.http_headers is None:
            continue
        if record.http_headers.get_statuscode() != "200":
            continue
        found = {
            "etag": record.http_headers.get_header("ETag"),
            "last_modified": record.http_headers.get_header("Last-Modified"),
        }
        entries[url] = {key: value for key, value in found.items() if value}
    return entries


class ConditionalRequests:
    """Adds the stored validators to discovery requests; stores the ones each 200 response brings."""

    def __init__(self, store: ValidatorStore) -> None:
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequests:
        """Enabled by ``NEWSARCHIVE_ARCHIVE``; loads the archive's store."""
        archive = crawler.settings.get("NEWSARCHIVE_ARCHIVE")
        if not archive:
            raise NotConfigured("NEWSARCHIVE_ARCHIVE is not set")
        middleware = cls(ValidatorStore.load(ArchiveLayout(archive).indexes_dir))
        crawler.signals.connect(middleware.spider_closed, signal=scrapy.signals.spider_closed)
        return middleware

    def process_request(self, request: Request, spider: scrapy.Spider | None = None) -> None:
        """Make a discovery request conditional when validators are known."""
        if not request.meta.get(CONDITIONAL_META):
            return
        known = self.store.get(request.url)
        if known.get("etag"):
            request.headers.setdefault(b"If-None-Match", known["etag"].encode("latin-1"))
        if known.get("last_modified"):
            request.headers.setdefault(b"If-Modified-Since", known["last_modified"].encode("latin-1"))

    def process_response(self, request: Request, response: Response, spider: scrapy.Spider | None = None) -> Any:
        """Remember a discovery page's validators: a page requested as one, or one that turned out to be a feed
        or a sitemap (a footer's RSS link met before the page that declares it); the spider then requests that
        URL conditionally on every later run, whichever link it meets first."""
        content_type = response.headers.get(b"Content-Type") or b""
        discovery = request.meta.get(CONDITIONAL_META) or _FEED_TYPES.search(content_type)
        if discovery and response.status == 200:
            headers = response.headers
            self.store.update(
                request.url,
                etag=(headers.get(b"ETag") or b"").decode("latin-1") or None,
                last_modified=(headers.get(b"Last-Modified") or b"").decode("latin-1") or None,
            )
        return response

    def spider_closed(self, spider: scrapy.Spider) -> None:
        """Persist the store."""
        self.store.save()
