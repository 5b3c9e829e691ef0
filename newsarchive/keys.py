"""A set of 64-bit keys that stays small as it grows: 8 bytes a key, where a Python set of ints takes about 70.

A crawl remembers a key for every request it made (Scrapy's duplicate filter, the links it followed): tens of
bytes each would make a back-fill's memory grow with the site.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable

from newsarchive.archive.caches import merged

_MASK = (1 << 64) - 1


class KeySet:
    """64-bit keys (any int is taken modulo 2**64, so ``hash()`` values fit): a sorted array, and a plain set of
    the newest keys, merged into the array once it holds ``batch`` of them."""

    def __init__(self, keys: Iterable[int] = (), batch: int = 4096) -> None:
        self._sorted = array("Q")
        self._newest: set[int] = set()
        self._batch = batch
        self.update(keys)

    def __len__(self) -> int:
        return len(self._sorted) + len(self._newest)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, int):
            return False
        key &= _MASK
        if key in self._newest:
            return True
        at = bisect_left(self._sorted, key)
        return at < len(self._sorted) and self._sorted[at] == key

    def add(self, key: int) -> None:
        """Add ``key`` (a no-op when it is in)."""
        if key in self:
            return
        self._newest.add(key & _MASK)
        if len(self._newest) >= self._batch:
            self._sorted = merged(self._sorted, array("Q", sorted(self._newest)))
            self._newest = set()

    def update(self, keys: Iterable[int]) -> None:
        """Add each of ``keys``."""
        for key in keys:
            self.add(key)
