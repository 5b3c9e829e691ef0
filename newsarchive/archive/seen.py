"""The seen-set: which article URLs the archive already holds, so an incremental crawl skips them.

Seen means archived: the URLs of the article index and those of the not-articles log (pages that looked like
articles, were archived, and gave none), so neither is fetched again without ``--refresh``.

URLs are compared normalised (:func:`normalize_url`) and kept as 64-bit hashes in a sorted array: a
million articles take 8 MB. The array is cached in ``indexes/seen-urls.bin`` together with how far into
each article index file it has read; a later start-up reads only what the index files gained since
(usually nothing), and rebuilds from the article index when a file shrank, vanished or was replaced
(:mod:`newsarchive.archive.caches`). The cache is a by-product of the article index, which is itself
rebuildable from the WARCs: deleting it is always safe.
"""

from __future__ import annotations

import os
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from newsarchive.archive.articles import leading_url
from newsarchive.archive.caches import StartupCache, merged
from newsarchive.archive.jsonl import complete_lines
from newsarchive.archive.layout import INDEX_GLOB, NOT_ARTICLES_GLOB, SEEN_CACHE_NAME
from newsarchive.archive.urls import url_hash

_MAGIC = b"NASEEN2\n"


def index_url_hashes(path: Path, key: Callable[[str], int], start: int = 0) -> tuple[array, int]:
    """``key(url)`` of every complete line of an article index file from byte ``start``, and where the complete
    lines end (a torn or still-written last line is read by a later start-up, from there).

    Only each line's URL is decoded (the article text makes lines kilobytes long): a rebuild is bound by
    reading the file, not by JSON.
    """
    keys = array("Q")
    end = start
    for offset, raw in complete_lines(path, start):
        end = offset + len(raw)
        if (url := leading_url(raw)) is not None:
            keys.append(key(url))
    return keys, end


class SeenSet:
    """Keys of the URLs of the articles archived before this run, as a sorted array (binary search).

    Within a run, Scrapy's duplicate filter keeps a URL from being fetched twice.
    """

    def __init__(self, keys: array, trailing_slash: str = "keep") -> None:
        self._sorted = keys
        self.trailing_slash = trailing_slash

    def __len__(self) -> int:
        return len(self._sorted)

    def __iter__(self) -> Iterator[int]:
        """The keys, in ascending order (a distributed job seeds Redis with them)."""
        return iter(self._sorted)

    def url_hash(self, url: str) -> int:
        """The key of ``url``: the hash of its normal form under this set's trailing-slash policy."""
        return url_hash(url, self.trailing_slash)

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        key = self.url_hash(url)
        position = bisect_left(self._sorted, key)
        return position < len(self._sorted) and self._sorted[position] == key


def load_seen(indexes_dir: str | os.PathLike[str], trailing_slash: str = "keep") -> SeenSet:
    """The seen-set of an archive: from the cache, topped up from what the index files gained since.

    The cache is rewritten (atomically) when it was stale. Keys depend on the trailing-slash policy, which
    the cache records: a different policy rebuilds it.
    """
    directory = Path(indexes_dir)
    names = sorted(p.name for glob in (INDEX_GLOB, NOT_ARTICLES_GLOB) for p in directory.glob(glob))
    cache = StartupCache.open(directory / SEEN_CACHE_NAME, _MAGIC, 1, names, trailing_slash=trailing_slash)
    fresh = array("Q")
    for part in cache.parts:
        found, end = index_url_hashes(part.path, partial(url_hash, trailing_slash=trailing_slash), part.start)
        fresh.extend(found)
        cache.read(part, end)
    (keys,) = cache.arrays
    keys = merged(keys, array("Q", sorted(fresh)))
    cache.save([keys])
    return SeenSet(keys, trailing_slash)
