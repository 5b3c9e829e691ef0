"""Sets and maps of 64-bit keys that stay small as they grow: 8 bytes a key (:class:`KeySet`) and 16 an entry
(:class:`KeyMap`), where a Python set of ints takes about 70 and a dict of ints to ints about 130.

A crawl remembers a key for every request it made (Scrapy's duplicate filter, the links it followed) and where
in its index file each article it added is: tens of bytes each would make a back-fill's memory grow with the site.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from newsarchive.archive.caches import merged

_MASK = (1 << 64) - 1


class KeySet:
    """64-bit keys (any int is taken modulo 2**64, so ``hash()`` values fit): a sorted array, and a plain set of
    the newest keys, merged into the array once it holds ``batch`` of them.

    A key found in the array is also kept in a set of up to ``batch`` recent hits (emptied when full): a crawl
    asks again and again for the same few keys (the links of a site's menus on every page), and a set answers
    in tens of nanoseconds where a search of the array takes about half a microsecond.
    """

    def __init__(self, keys: Iterable[int] = (), batch: int = 4096) -> None:
        self._sorted = array("Q")
        self._newest: set[int] = set()
        self._hits: set[int] = set()
        self._batch = batch
        self.update(keys)

    def __len__(self) -> int:
        return len(self._sorted) + len(self._newest)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, int):
            return False
        key &= _MASK
        if key in self._newest or key in self._hits:
            return True
        at = bisect_left(self._sorted, key)
        if at == len(self._sorted) or self._sorted[at] != key:
            return False
        if len(self._hits) >= self._batch:
            self._hits = set()
        self._hits.add(key)
        return True

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


class KeyMap:
    """64-bit keys (taken modulo 2**64, as in :class:`KeySet`) to unsigned 64-bit values: two arrays sorted by
    key, and a dict of the newest entries, merged into them once it holds ``batch`` of them. A key set again
    takes its new value."""

    def __init__(self, batch: int = 4096) -> None:
        self._keys = array("Q")
        self._values = array("Q")
        self._newest: dict[int, int] = {}
        self._batch = batch

    def get(self, key: int) -> int | None:
        """The value of ``key``, or None."""
        key &= _MASK
        if (value := self._newest.get(key)) is not None:
            return value
        at = bisect_left(self._keys, key)
        if at < len(self._keys) and self._keys[at] == key:
            return self._values[at]
        return None

    def __setitem__(self, key: int, value: int) -> None:
        self._newest[key & _MASK] = value
        if len(self._newest) >= self._batch:
            self._merge()

    def _merge(self) -> None:
        # As caches.merged does for a set: each new key placed by binary search, the old entries between two new
        # ones copied as one slice.
        keys, values = array("Q"), array("Q")
        start = 0
        for key in sorted(self._newest):
            at = bisect_right(self._keys, key, start)
            keys += self._keys[start:at]
            values += self._values[start:at]
            if keys and keys[-1] == key:
                values[-1] = self._newest[key]
            else:
                keys.append(key)
                values.append(self._newest[key])
            start = at
        keys += self._keys[start:]
        values += self._values[start:]
        self._keys, self._values, self._newest = keys, values, {}
