"""A newsarchive crawl started by ``scrapy crawl news -a archive=DIR -a target=...`` (scrapyd runs jobs so).

Spider arguments are plain strings there: ``target`` (profile names or start URLs, separated by commas or
spaces), ``archive`` (default ``$NEWSARCHIVE_ARCHIVE``, then ``./newsarchive-data``), and optionally ``config``
(a profile file on the scrapyd host), ``refresh`` (``1``) and ``max_pages``. :func:`standalone_run` does what
:func:`newsarchive.spiders.crawl.crawl` does around the Scrapy run: the archive's lock before anything is written,
the repair of what a killed crawl left, the remembered article rule, and the run appended to ``runs.jsonl``.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from newsarchive.archive.facts import remember_rule
from newsarchive.archive.lock import ArchiveLock
from newsarchive.archive.reader import Archive
from newsarchive.errors import ConfigError
from newsarchive.profiles import resolve_targets
from newsarchive.spiders.crawl import record_run, repair_interrupted_crawl, summarize

ARCHIVE_ENV = "NEWSARCHIVE_ARCHIVE"


def standalone_run(crawler: Crawler, arguments: dict[str, Any]) -> dict[str, Any]:
    """Take the archive for this crawl (raising ``ArchiveLockedError`` when another holds it) and return the
    spider's keyword arguments, string arguments resolved into a profile and start URLs."""
    arguments = dict(arguments)
    targets = str(arguments.pop("target", "")).replace(",", " ").split()
    archive = Archive(arguments.pop("archive", None) or os.environ.get(ARCHIVE_ENV, "newsarchive-data"), create=True)
    profile, start_urls = resolve_targets(targets, arguments.pop("config", None))
    settings = crawler.settings
    settings.set("NEWSARCHIVE_ARCHIVE", str(archive.path), priority="spider")
    settings.set("NEWSARCHIVE_TRAILING_SLASH", profile.trailing_slash, priority="spider")
    settings.set("NEWSARCHIVE_REFRESH", arguments.pop("refresh", "") in ("1", "true", "yes"), priority="spider")
    if max_pages := arguments.pop("max_pages", None):
        if not str(max_pages).isdigit():
            raise ConfigError(f"max_pages={max_pages!r}: give a number of requests")
        settings.set("NEWSARCHIVE_MAX_PAGES", int(max_pages), priority="spider")
    lock = ArchiveLock(archive.path).acquire()
    repaired = repair_interrupted_crawl(archive, profile)
    remember_rule(archive.path, profile.article_rule())
    started, clock = datetime.now(UTC), time.monotonic()
    files_before = {p.name for p in archive.warc_files()}

    def stopped() -> None:
        try:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            record_run(archive, started, targets, summarize(stats, archive, files_before, time.monotonic() - clock),
                       repaired)  # fmt: skip
        finally:
            lock.release()

    # After the engine stopped: the WARC is closed and renamed, the indexes written, before the lock goes.
    crawler.signals.connect(stopped, signal=signals.engine_stopped, weak=False)
    return {**arguments, "profile": profile, "start_urls": start_urls}
