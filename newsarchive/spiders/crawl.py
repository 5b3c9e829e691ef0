"""``crawl()``: the library entry point behind ``newsarchive crawl``; runs Scrapy in-process."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from newsarchive.archive.reader import Archive
from newsarchive.errors import ArchiveWriteError
from newsarchive.spiders.news import NewsSpider
from newsarchive.spiders.profiles import SiteProfile, check_start_url, resolve_targets

CONTACT_ENV = "NEWSARCHIVE_CONTACT"


@dataclass(frozen=True)
class CrawlSummary:
    """What one crawl did."""

    pages: int
    articles: int
    failures: int
    warc_files: int
    warc_bytes: int
    seconds: float
    finish_reason: str

    @property
    def exit_code(self) -> int:
        """0 when everything worked, 1 when some pages failed (the contract's codes)."""
        return 1 if self.failures else 0


def user_agent_with_contact(user_agent: str, contact: str | None) -> str:
    """The User-Agent, naming ``contact`` (a URL or e-mail where the site can reach the operator) if given."""
    if not contact or contact in user_agent:
        return user_agent
    return f"{user_agent[:-1]}; {contact})" if user_agent.endswith(")") else f"{user_agent} (+{contact})"


def crawl_settings(
    archive: Archive,
    *,
    max_pages: int | None = None,
    max_articles: int | None = None,
    concurrency: int | None = None,
    delay: float | None = None,
    user_agent: str | None = None,
    contact: str | None = None,
    ignore_robots: bool = False,
    refresh: bool = False,
    trailing_slash: str = "keep",
    log_level: str = "WARNING",
    extra: dict[str, Any] | None = None,
) -> Settings:
    """The project settings with this crawl's options on top (``cmdline`` priority, as Scrapy's CLI).

    ``contact`` defaults to ``$NEWSARCHIVE_CONTACT``; ``max_pages`` bounds the requests that reach the
    network (robots.txt included).
    """
    settings = Settings()
    settings.setmodule("newsarchive.spiders.settings", priority="project")
    options: dict[str, Any] = {
        "NEWSARCHIVE_ARCHIVE": str(archive.path),
        "LOG_LEVEL": log_level,
        "NEWSARCHIVE_REFRESH": refresh,
        "NEWSARCHIVE_TRAILING_SLASH": trailing_slash,
        "USER_AGENT": user_agent_with_contact(
            user_agent or settings.get("USER_AGENT"), contact or os.environ.get(CONTACT_ENV)
        ),
    }
    if max_pages:
        options["NEWSARCHIVE_MAX_PAGES"] = max_pages
    if max_articles:
        options["CLOSESPIDER_ITEMCOUNT"] = max_articles
    if concurrency:
        options["CONCURRENT_REQUESTS_PER_DOMAIN"] = concurrency
    if delay is not None:
        options["DOWNLOAD_DELAY"] = delay
        options["AUTOTHROTTLE_START_DELAY"] = max(delay, 0.01)
    if ignore_robots:
        options["ROBOTSTXT_OBEY"] = False
    options.update(extra or {})
    settings.setdict(options, priority="cmdline")
    return settings


def crawl(
    targets: Sequence[str],
    archive: str | Path | Archive | None = None,
    *,
    config: str | Path | None = None,
    profile: SiteProfile | None = None,
    since: date | None = None,
    lang: Sequence[str] = (),
    refresh: bool = False,
    **options: Any,
) -> CrawlSummary:
    """Crawl ``targets`` (site profile names or start URLs) into ``archive`` and return a summary.

    ``config`` is a site profile file, ``profile`` a profile object (it wins). Incremental: articles in
    the archive are not fetched again unless ``refresh``. ``since`` skips articles dated before it,
    ``lang`` keeps to those language editions. Other options are those of :func:`crawl_settings`.
    Scrapy's reactor cannot be restarted, so this runs once per process; run more crawls in subprocesses
    (as the CLI and the tests do).
    """
    if profile is None:
        profile, start_urls = resolve_targets(list(targets), config)
    else:
        start_urls = [check_start_url(target) for target in targets]
    archive = archive if isinstance(archive, Archive) else Archive(archive, create=True)
    settings = crawl_settings(archive, refresh=refresh, trailing_slash=profile.trailing_slash, **options)
    started = time.monotonic()
    files_before = {p.name: p.stat().st_size for p in archive.warc_files()}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(
        crawler,
        profile=profile,
        start_urls=start_urls,
        since=since,
        languages=lang,
    )
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if fatal := stats.get("newsarchive/fatal_error"):
        raise ArchiveWriteError(fatal)
    new_files = [p for p in archive.warc_files() if p.name not in files_before]
    ignored = stats.get("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest", 0)
    failures = (
        stats.get("downloader/exception_count", 0)
        - ignored
        + stats.get("spider_exceptions/count", 0)
        + sum(v for k, v in stats.items() if k.startswith("downloader/response_status_count/5"))
    )
    return CrawlSummary(
        pages=stats.get("downloader/response_count", 0),
        articles=stats.get("newsarchive/articles", 0),
        failures=failures,
        warc_files=len(new_files),
        warc_bytes=sum(p.stat().st_size for p in new_files),
        seconds=time.monotonic() - started,
        finish_reason=str(stats.get("finish_reason", "")),
    )
