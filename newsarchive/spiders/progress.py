"""The live status line a crawl shows on a terminal: pages, articles new/updated, queue, errors, rate, elapsed.

:class:`LiveStatus` is enabled by ``NEWSARCHIVE_PROGRESS`` (the CLI sets it only when stderr is a terminal and
``--quiet`` is not given, so cron never sees it). Once a second it rewrites one line of stderr in place
(carriage return, erase to end of line); a log line clears it first (:class:`ClearStatusLine`), the next tick
draws it again, and it is erased when the engine stops, before the summary is printed.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import IO, Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsarchive.spiders.outcome import errors_by_kind, failures_of
from newsarchive.words import plural

ERASE_LINE = "\r\x1b[K"


def status_line(stats: dict[str, Any], elapsed: float) -> str:
    """The status text for the crawl's stats so far."""
    pages = stats.get("downloader/response_count", 0)
    archived = stats.get("newsarchive/articles", 0)
    updated = stats.get("newsarchive/articles_changed", 0)
    queued = max(0, stats.get("scheduler/enqueued", 0) - stats.get("scheduler/dequeued", 0))
    errors = failures_of(errors_by_kind(stats))
    rate = pages / elapsed if elapsed > 0 else 0.0
    minutes, seconds = divmod(int(elapsed), 60)
    return (
        f"{plural(pages, 'page')}, {plural(archived - updated, 'new article')}, {updated} updated, "
        f"{queued} queued, {plural(errors, 'error')}, {rate:.1f} pages/s, {minutes}:{seconds:02d}"
    )


class ClearStatusLine(logging.Filter):
    """Erases the status line before a log line is written to the same terminal."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.stream = stream

    def filter(self, record: logging.LogRecord) -> bool:
        """Erase, then let the record through."""
        self.stream.write(ERASE_LINE)
        return True


class LiveStatus:
    """Redraws the status line once a second on stderr (see the module)."""

    def __init__(self, crawler: Crawler, stream: IO[str], interval: float) -> None:
        self.crawler = crawler
        self.stream = stream
        self.interval = interval
        self.started = time.monotonic()
        self.task: Any = None
        self.filter = ClearStatusLine(stream)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LiveStatus:
        """Enabled by ``NEWSARCHIVE_PROGRESS``."""
        if not crawler.settings.getbool("NEWSARCHIVE_PROGRESS"):
            raise NotConfigured
        extension = cls(crawler, sys.stderr, crawler.settings.getfloat("NEWSARCHIVE_PROGRESS_INTERVAL"))
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        """Start ticking; make log lines erase the status line first."""
        from twisted.internet.task import LoopingCall

        for handler in logging.getLogger().handlers:
            handler.addFilter(self.filter)
        self.started = time.monotonic()
        self.task = LoopingCall(self.draw)
        self.task.start(self.interval, now=True)

    def draw(self) -> None:
        """Write the status line in place."""
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        self.stream.write(ERASE_LINE + status_line(stats, time.monotonic() - self.started))
        self.stream.flush()

    def engine_stopped(self) -> None:
        """Stop ticking and erase the line."""
        if self.task is not None and self.task.running:
            self.task.stop()
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self.filter)
        self.stream.write(ERASE_LINE)
        self.stream.flush()
