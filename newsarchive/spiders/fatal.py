"""A write the crawl cannot do (a WARC record, a file's close, the queue): the error that ends the crawl.

The first failure is the crawl's fatal error (``newsarchive/fatal_error``): ``crawl()`` raises it as
:class:`~newsarchive.errors.ArchiveWriteError`, one line and exit 1. What fails after it follows from it (a
writer that crashed cannot close either): counted, not named instead.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

FATAL_ERROR_STAT = "newsarchive/fatal_error"


def stop_for_write_failure(crawler: Crawler, stat: str, message: str, *, closing: bool = False) -> None:
    """Count the failure in ``stat``, keep the first ``message`` as the fatal error, and close the spider
    (unless it is ``closing`` already)."""
    stats = crawler.stats
    assert stats is not None
    stats.inc_value(stat)
    if stats.get_value(FATAL_ERROR_STAT) is None:
        stats.set_value(FATAL_ERROR_STAT, message)
    if not closing:
        assert crawler.engine is not None
        deferred_from_coro(crawler.engine.close_spider_async(reason="archive_write_error"))
