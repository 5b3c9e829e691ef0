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

Each of Scrapy's disk queues (one per host and priority) is a file of pickled requests: a request pushed and
popped costs the crawl's thread a ``to_dict``, a pickle, a write, a read, a truncate and the way back, and a queue
that empties is closed and its file removed, to be made again by the next request of that priority (a listing's
next page). :class:`BufferedLifoDiskQueue` keeps the top of each such stack in memory, up to
``NEWSARCHIVE_QUEUE_MEMORY`` requests, and pickles only what is pushed below that: the order is Scrapy's LIFO, the
memory bounded, and a queue that never holds more than that touches no file.

Scrapy's duplicate filter keeps each request's 20-byte fingerprint in a set (about 90 bytes a request);
:class:`CompactDupeFilter` keeps the first 8 bytes of the same fingerprint in a :class:`~newsarchive.keys.KeySet`
(two requests of a million alike by chance: about one chance in 30 million).
"""

from __future__ import annotations

import logging
import shutil
from collections import deque
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.squeues import PickleLifoDiskQueue
from scrapy.utils.misc import build_from_crawler
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


class BufferedLifoDiskQueue:
    """Scrapy's ``PickleLifoDiskQueue`` (``SCHEDULER_DISK_QUEUE``) with the top of its stack in memory: the newest
    ``NEWSARCHIVE_QUEUE_MEMORY`` requests; the oldest of them goes to the file when one more is pushed, and the
    file is read only once they are all popped; it is made on the first such push."""

    def __init__(self, crawler: Crawler, key: str) -> None:
        self._crawler, self._key = crawler, key
        self._memory_size = crawler.settings.getint("NEWSARCHIVE_QUEUE_MEMORY")
        self._top: deque[Request] = deque()
        self._held: list[Request] = []
        self._disk: Any = self._open_disk() if Path(key).exists() else None  # a JOBDIR's, resumed

    @classmethod
    def from_crawler(cls, crawler: Crawler, key: str) -> BufferedLifoDiskQueue:
        """Scrapy's queue factory signature: the crawler and the queue's path."""
        return cls(crawler, key)

    def _open_disk(self) -> Any:
        return build_from_crawler(PickleLifoDiskQueue, self._crawler, self._key)

    def push(self, request: Request) -> None:
        """Push onto the stack; past the memory's size, its oldest request is pickled to the file (an ``OSError``
        there is raised, as from Scrapy's queue)."""
        self._top.append(request)
        if len(self._top) > self._memory_size:
            oldest = self._top.popleft()
            try:
                self._spill(oldest)
            except OSError:
                self._top.appendleft(oldest)
                raise

    def _spill(self, request: Request) -> None:
        """Pickle ``request`` to the file; one that cannot be pickled waits in memory, counted, as Scrapy's
        scheduler keeps it in its memory queue."""
        if self._disk is None:
            self._disk = self._open_disk()
        try:
            self._disk.push(request)
        except ValueError:
            self._held.append(request)
            self._crawler.stats.inc_value("scheduler/unserializable")  # type: ignore[union-attr]

    def pop(self) -> Request | None:
        """The newest request (one that cannot be pickled comes before those on file), or ``None``."""
        if self._top:
            return self._top.pop()
        if self._held:
            return self._held.pop()
        return self._disk.pop() if self._disk is not None else None

    def peek(self) -> Request | None:
        """What :meth:`pop` would return, left in the queue."""
        if self._top:
            return self._top[-1]
        if self._held:
            return self._held[-1]
        return self._disk.peek() if self._disk is not None else None

    def close(self) -> None:
        """Under a ``JOBDIR``, write what memory holds to the file for the next run (a request that cannot be
        pickled is counted and dropped, as from Scrapy's memory queue); otherwise the queue ends with its crawl."""
        if self._crawler.settings.get("JOBDIR"):
            while self._top:
                self._spill(self._top.popleft())
        if self._disk is not None:
            self._disk.close()

    def __len__(self) -> int:
        return len(self._top) + len(self._held) + (len(self._disk) if self._disk is not None else 0)


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
