"""The crawl's frontier, kept so that its memory does not grow with the site: the requests waiting to be fetched
on disk, and those seen as 8-byte keys.

A sitemap or a listing names thousands of pages at once. As Request objects in Scrapy's memory queue (about
700 bytes each) they would make a back-fill's memory grow with the site. Scrapy keeps its queue on disk only
under a ``JOBDIR``, which also makes the next run resume the queue. The archive already tells a crawl what it
has (the seen-set, the capture index), so each crawl starts its queue afresh in ``<archive>/queue/`` and
removes it when it ends; the next crawl removes the one a killed crawl left (it holds the archive's lock).
A request that cannot be pickled waits in memory, as in Scrapy (``scheduler/unserializable``). A queue that cannot
be written (a full disk) stops the crawl as a WARC that cannot be written does: one error line, exit 1
(Scrapy's stat ``newsarchive/queue_write_errors``); the next crawl finds again what was waiting.

Scrapy's duplicate filter keeps each request's 20-byte fingerprint in a set (about 90 bytes a request);
:class:`CompactDupeFilter` keeps the first 8 bytes of the same fingerprint in a :class:`~newsarchive.keys.KeySet`
(two requests of a million alike by chance: about one chance in 30 million).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from twisted.internet.defer import Deferred

from newsarchive.archive.layout import ArchiveLayout
from newsarchive.keys import KeySet
from newsarchive.spiders.fatal import FATAL_ERROR_STAT, stop_for_write_failure

QUEUE_WRITE_ERRORS_STAT = "newsarchive/queue_write_errors"
logger = logging.getLogger(__name__)


class DiskQueueScheduler(Scheduler):
    """Scrapy's scheduler with its disk queues in ``<archive>/queue/``: enabled by ``NEWSARCHIVE_ARCHIVE``
    unless a ``JOBDIR`` is set (then Scrapy's own job persistence applies)."""

    _queue_root: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiskQueueScheduler:
        """Scrapy's scheduler, given the archive's queue directory."""
        scheduler = super().from_crawler(crawler)
        archive = crawler.settings.get("NEWSARCHIVE_ARCHIVE")
        if scheduler.dqdir is None and archive:
            root = ArchiveLayout(archive).queue_dir
            shutil.rmtree(root, ignore_errors=True)  # a killed crawl's: never resumed
            if root.is_file() or root.is_symlink():
                root.unlink()  # the name is the archive's (contract: the archive layout)
            scheduler._queue_root = root
            queues = root / "requests"
            queues.mkdir(parents=True)
            scheduler.dqdir = str(queues)
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        """Scrapy's, but a queue write that fails (a full disk) stops the crawl with one error line."""
        try:
            return super().enqueue_request(request)
        except OSError as error:
            assert self.crawler is not None
            message = (
                f"cannot write the crawl's queue in {self._queue_root}: {error.strerror or error}; free space "
                "or fix permissions, then run the crawl again"
            )
            if self.crawler.stats.get_value(FATAL_ERROR_STAT) is None:
                logger.error("%s: not queued: %s", request.url, message)
            stop_for_write_failure(self.crawler, QUEUE_WRITE_ERRORS_STAT, message)
            return False

    def close(self, reason: str) -> Deferred[None] | None:
        """Close the queues (what is still waiting is dropped, as from memory) and remove the directory."""
        closed = super().close(reason)
        if self._queue_root is not None:
            shutil.rmtree(self._queue_root, ignore_errors=True)
        return closed


class CompactDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter (the same fingerprints, the same log), keeping 8 bytes a request seen; with a
    ``JOBDIR``, Scrapy's own (its file of fingerprints is read back by the next run)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen = KeySet()

    def request_seen(self, request: Request) -> bool:
        """Whether a request with the same fingerprint was seen; remember this one."""
        if self.file:
            return super().request_seen(request)
        key = int.from_bytes(self.fingerprinter.fingerprint(request)[:8], "big")
        if key in self._seen:
            return True
        self._seen.add(key)
        return False
