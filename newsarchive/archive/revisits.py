"""Which earlier capture a re-fetch repeats: the payload-digest index behind ``revisit`` records.

A revisit must point at an original ``response`` (never at another revisit), so only complete (untruncated)
``200`` responses are originals. The index is rebuilt from the WARCs: each closed WARC gets a
``indexes/<warc name>.digests`` file next to its CDXJ (see :mod:`newsarchive.archive.cdxj`), one tab-separated
line per original, so loading it is one pass over small text lines with no JSON or WARC parsing, and a start-up
reads only what they gained since the last one (the cache of :class:`CaptureIndex`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from newsarchive.archive.caches import StartupCache, merged
from newsarchive.archive.jsonl import complete_lines
from newsarchive.archive.layout import CAPTURES_CACHE_NAME, DIGESTS_SUFFIX
from newsarchive.archive.positions import LineFiles, pack, unpack

IDENTICAL_PAYLOAD_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
SERVER_NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
_CACHE_MAGIC = b"NACAPT1\n"
# An entry of the capture index's sorted arrays: a key above the number of its line.
_NUMBER_BITS = 32
_NUMBER_MASK = (1 << _NUMBER_BITS) - 1


def payload_digest(payload: bytes) -> str:
    """``sha1:`` + base32, as warcio writes ``WARC-Payload-Digest``."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


@dataclass(frozen=True, slots=True)
class Capture:
    """An original response record: what a revisit refers to, and where its payload is."""

    digest: str
    url: str
    date: str  # the record's WARC-Date, verbatim (WARC-Refers-To-Date copies it)
    record_id: str
    warc_file: str
    offset: int
    length: int

    def line(self) -> str:
        """The record's line in a ``.digests`` file."""
        fields = (self.digest, self.date, self.record_id, self.warc_file, str(self.offset), str(self.length), self.url)
        return "\t".join(fields) + "\n"

    @classmethod
    def from_line(cls, line: str) -> Capture:
        """Parse a ``.digests`` line (the URL comes last: it is the only field that could hold odd text)."""
        digest, date, record_id, warc_file, offset, length, url = line.rstrip("\n").split("\t", 6)
        return cls(digest, url, date, record_id, warc_file, int(offset), int(length))


def is_original(status: int, truncated: bool) -> bool:
    """Whether a response may be referred to by later revisits."""
    return status == 200 and not truncated


class CaptureIndex:
    """Payload digest -> first original capture, and URL -> its latest original capture.

    An archive of a million captures must load in well under a second and stay small. What is kept of the
    ``.digests`` files is, per line, where it is (a packed position: :mod:`newsarchive.archive.positions`), and
    two sorted arrays of ``key << 32 | line number``, the key being the CRC-32 of the line's digest or URL. A
    lookup finds the key's entries by binary search and reads their lines back, oldest first for a digest, newest
    first for a URL, until one truly matches: a key shared by two digests or URLs costs one more read, never a
    wrong answer. The three arrays are kept in ``indexes/captures.bin`` and brought up to date from the
    ``.digests`` files at each load (:mod:`newsarchive.archive.caches`). Captures added during a run are kept
    whole until their WARC is closed and its ``.digests`` file written (:meth:`absorb`), so what a run keeps
    in memory is bounded by the size of one WARC, not by the length of the crawl.
    """

    def __init__(self, captures: Iterable[Capture] = ()) -> None:
        self._files = LineFiles()
        self._positions = array("Q")
        self._digest_entries = array("Q")
        self._url_entries = array("Q")
        self._by_digest: dict[str, Capture] = {}
        self._latest_by_url: dict[str, Capture] = {}
        # absorb() runs on the threads that close WARCs, lookups on the crawl's.
        self._lock = threading.Lock()
        self._absorbing = threading.Lock()
        for capture in captures:
            self.add(capture)

    def __len__(self) -> int:
        """The original captures known: the lines loaded, and those added whose digest was new."""
        return len(self._positions) + len(self._by_digest)

    @property
    def held(self) -> int:
        """How many captures are kept whole in memory: those added whose WARC is not absorbed yet."""
        with self._lock:
            return len({id(capture) for capture in (*self._by_digest.values(), *self._latest_by_url.values())})

    def add(self, capture: Capture) -> None:
        """Remember an original just written (or read back)."""
        first = self.by_digest(capture.digest) is None
        with self._lock:
            if first:
                self._by_digest[capture.digest] = capture
            self._latest_by_url[capture.url] = capture

    def absorb(self, digests_path: str | os.PathLike[str]) -> None:
        """Keep the captures of a ``.digests`` file just written (a WARC of this run, closed) as positions in it,
        as :meth:`load` keeps those of earlier runs, instead of whole. Lookups give the same answers as before."""
        path = Path(digests_path)
        positions, new_digests, new_urls = array("Q"), array("Q"), array("Q")
        # Only absorb() changes the files and arrays: lookups wait just for the swap.
        with self._absorbing:
            lines = list(complete_lines(path))
            _number_lines(lines, len(self._files.paths), 0, positions, new_digests, new_urls, len(self._positions))
            written = [Capture.from_line(line.decode("utf-8")) for _, line in lines]
            digest_entries = merged(self._digest_entries, array("Q", sorted(new_digests)))
            url_entries = merged(self._url_entries, array("Q", sorted(new_urls)))
            with self._lock:
                self._files.paths.append(path)
                self._positions += positions
                self._digest_entries, self._url_entries = digest_entries, url_entries
                for capture in written:
                    # Only the very capture: a later file may have given the URL a newer one.
                    if self._by_digest.get(capture.digest) == capture:
                        del self._by_digest[capture.digest]
                    if self._latest_by_url.get(capture.url) == capture:
                        del self._latest_by_url[capture.url]

    def by_digest(self, digest: str) -> Capture | None:
        """The original with this payload digest, if any."""
        with self._lock:
            if (found := self._by_digest.get(digest)) is not None:
                return found
            lines = self._lines(self._digest_entries, digest, latest_first=False)
            return next((capture for capture in lines if capture.digest == digest), None)

    def latest(self, url: str) -> Capture | None:
        """The latest original capture of ``url`` (what a ``304`` refers to)."""
        with self._lock:
            if (found := self._latest_by_url.get(url)) is not None:
                return found
            lines = self._lines(self._url_entries, url, latest_first=True)
            return next((capture for capture in lines if capture.url == url), None)

    def _lines(self, entries: array, text: str, latest_first: bool) -> Iterator[Capture]:
        key = zlib.crc32(text.encode("utf-8", "surrogatepass")) << _NUMBER_BITS
        first = bisect_left(entries, key)
        numbers = entries[first : bisect_left(entries, key + (1 << _NUMBER_BITS), first)]
        positions = (self._positions[entry & _NUMBER_MASK] for entry in numbers)
        for position in sorted(positions, key=self._in_file_order, reverse=latest_first):
            if (capture := self._read(position)) is not None:
                yield capture

    def _in_file_order(self, position: int) -> tuple[str, int]:
        # Oldest WARC first (names start with the WARC's timestamp), whatever order the files were read in.
        number, offset = unpack(position)
        return self._files.paths[number].name, offset

    def _read(self, position: int) -> Capture | None:
        try:
            return Capture.from_line(self._files.line_at(position).decode("utf-8"))
        except ValueError:  # a line that does not parse names no capture (see newsarchive.archive.jsonl)
            return None

    @classmethod
    def load(cls, indexes_dir: str | os.PathLike[str]) -> CaptureIndex:
        """Index every ``.digests`` file, oldest WARC first (names start with the WARC's timestamp), through the
        cache: only what the files gained since it was written is read (usually nothing), and it is rebuilt
        from them all when it cannot be brought up to date."""
        directory = Path(indexes_dir)
        names = sorted(path.name for path in directory.glob("*" + DIGESTS_SUFFIX))
        cache = StartupCache.open(directory / CAPTURES_CACHE_NAME, _CACHE_MAGIC, 3, names)
        index = cls()
        index._positions, digest_entries, url_entries = cache.arrays
        new_digests, new_urls = array("Q"), array("Q")
        for part in cache.parts:
            lines = complete_lines(part.path, part.start)
            end = _number_lines(lines, part.number, part.start, index._positions, new_digests, new_urls)
            cache.read(part, end)
        index._files = LineFiles(directory / state.name for state in cache.files)
        index._digest_entries = merged(digest_entries, array("Q", sorted(new_digests)))
        index._url_entries = merged(url_entries, array("Q", sorted(new_urls)))
        cache.save([index._positions, index._digest_entries, index._url_entries])
        return index


def _number_lines(
    lines: Iterable[tuple[int, bytes]],
    file_number: int,
    start: int,
    positions: array,
    digest_entries: array,
    url_entries: array,
    first: int | None = None,
) -> int:
    """Number ``lines`` (``(offset, line)`` of a ``.digests`` file, the first at byte ``start``) after those in
    ``positions`` (or from ``first``): append each line's position and entries; return where the lines end."""
    base = pack(file_number, 0)
    end = start
    number = len(positions) if first is None else first
    # Bound once: a rebuild runs this for every line of the archive.
    crc32, add_digest, add_url, add_position = zlib.crc32, digest_entries.append, url_entries.append, positions.append
    for offset, line in lines:
        end = offset + len(line)
        fields = line.split(b"\t", 6)
        if len(fields) == 7:  # else no capture: see Capture.from_line
            add_digest(crc32(fields[0]) << _NUMBER_BITS | number)
            add_url(crc32(fields[6][:-1]) << _NUMBER_BITS | number)
            add_position(base | offset)
            number += 1
    return end


def read_digests(indexes_dir: str | os.PathLike[str]) -> Iterator[Capture]:
    """Every capture of every ``.digests`` file, oldest file first (lines counted as :mod:`~newsarchive.archive.jsonl`
    counts them)."""
    for path in sorted(Path(indexes_dir).glob("*" + DIGESTS_SUFFIX)):
        for _, line in complete_lines(path):
            try:
                yield Capture.from_line(line.decode("utf-8"))
            except ValueError:
                continue
