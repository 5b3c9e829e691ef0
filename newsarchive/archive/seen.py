"""The seen-set: which article URLs the archive already holds, so an incremental crawl skips them.

Seen means archived: the URLs of the article index and those of the not-articles log (pages that looked like
articles, were archived, and gave none), so neither is fetched again without ``--refresh``.

URLs are compared normalised (:func:`normalize_url`) and kept as 64-bit hashes in a sorted array: a
million articles take 8 MB. The array is cached in ``indexes/seen-urls.bin`` together with how far into
each article index file it has read; a later start-up reads only what the index files gained since
(usually nothing), and rebuilds from the article index when a file shrank or vanished. The cache is a
by-product of the article index, which is itself rebuildable from the WARCs: deleting it is always safe.
"""

from __future__ import annotations

import heapq
import json
import os
import struct
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from pathlib import Path

from newsarchive.archive.articles import leading_url
from newsarchive.archive.jsonl import complete_lines
from newsarchive.archive.layout import INDEX_GLOB, NOT_ARTICLES_GLOB, SEEN_CACHE_NAME
from newsarchive.archive.urls import url_hash

_MAGIC = b"NASEEN1\n"


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
    cache = directory / SEEN_CACHE_NAME
    files = {p.name: p.stat().st_size for glob in (INDEX_GLOB, NOT_ARTICLES_GLOB) for p in directory.glob(glob)}
    keys, offsets = _read_cache(cache, trailing_slash)
    if keys is None or any(name not in files or files[name] < size for name, size in offsets.items()):
        keys, offsets = array("Q"), {}
    fresh = array("Q")
    for name, size in sorted(files.items()):
        start = offsets.get(name, 0)
        if size > start:
            found, offsets[name] = index_url_hashes(directory / name, lambda url: url_hash(url, trailing_slash), start)
            fresh.extend(found)
    if fresh or not cache.exists():
        # A merge of two sorted runs: memory stays near the size of the arrays themselves.
        keys = array("Q", heapq.merge(keys, sorted(fresh)))
        _write_cache(cache, keys, offsets, trailing_slash)
    return SeenSet(keys, trailing_slash)


def _read_cache(cache: Path, trailing_slash: str) -> tuple[array | None, dict[str, int]]:
    try:
        with open(cache, "rb") as stream:
            if stream.read(len(_MAGIC)) != _MAGIC:
                return None, {}
            (header_length,) = struct.unpack("<I", stream.read(4))
            header = json.loads(stream.read(header_length))
            if header.get("trailing_slash") != trailing_slash:
                return None, {}
            keys = array("Q")
            keys.frombytes(stream.read())
    except (OSError, ValueError, struct.error):
        return None, {}
    if len(keys) != header.get("count"):
        return None, {}
    return keys, {str(k): int(v) for k, v in header.get("offsets", {}).items()}


def _write_cache(cache: Path, keys: array, offsets: dict[str, int], trailing_slash: str) -> None:
    header = json.dumps({"count": len(keys), "offsets": offsets, "trailing_slash": trailing_slash}).encode()
    temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as stream:
            stream.write(_MAGIC + struct.pack("<I", len(header)) + header)
            keys.tofile(stream)
        os.replace(temporary, cache)
    except OSError:
        # A read-only archive still crawls; the next start-up rebuilds the cache.
        temporary.unlink(missing_ok=True)
