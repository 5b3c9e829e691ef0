"""Which earlier capture a re-fetch repeats: the payload-digest index behind ``revisit`` records.

A revisit must point at an original ``response`` (never at another revisit), so only complete (untruncated)
``200`` responses are originals. The index is rebuilt from the WARCs: each closed WARC gets a
``indexes/<warc name>.digests`` file next to its CDXJ (see :mod:`newsarchive.archive.cdxj`), one tab-separated
line per original, so loading it is one pass over small text lines with no JSON or WARC parsing.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from newsarchive.archive.jsonl import complete_lines
from newsarchive.archive.layout import DIGESTS_SUFFIX
from newsarchive.archive.positions import LineFiles

IDENTICAL_PAYLOAD_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
SERVER_NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


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

    An archive of a million captures must load in seconds and stay small: what is loaded from the
    ``.digests`` files is only two ``int -> int`` maps, from the (in-process) hash of a digest or URL to
    where its line is (a packed position: :mod:`newsarchive.archive.positions`). A lookup reads that one line
    back and checks it, so a hash collision can never return the wrong capture. Captures added during a run are
    kept whole.
    """

    def __init__(self, captures: Iterable[Capture] = ()) -> None:
        self._files = LineFiles()
        self._digest_lines: dict[int, int] = {}
        self._url_lines: dict[int, int] = {}
        self._by_digest: dict[str, Capture] = {}
        self._latest_by_url: dict[str, Capture] = {}
        for capture in captures:
            self.add(capture)

    def __len__(self) -> int:
        # Added captures are only those whose digest was not loaded: the two maps do not overlap.
        return len(self._digest_lines) + len(self._by_digest)

    def add(self, capture: Capture) -> None:
        """Remember an original just written (or read back)."""
        if self.by_digest(capture.digest) is None:
            self._by_digest[capture.digest] = capture
        self._latest_by_url[capture.url] = capture

    def by_digest(self, digest: str) -> Capture | None:
        """The original with this payload digest, if any."""
        if (found := self._by_digest.get(digest)) is not None:
            return found
        capture = self._read(self._digest_lines.get(hash(digest)))
        return capture if capture is not None and capture.digest == digest else None

    def latest(self, url: str) -> Capture | None:
        """The latest original capture of ``url`` (what a ``304`` refers to)."""
        if (found := self._latest_by_url.get(url)) is not None:
            return found
        capture = self._read(self._url_lines.get(hash(url)))
        return capture if capture is not None and capture.url == url else None

    def _read(self, position: int | None) -> Capture | None:
        if position is None:
            return None
        try:
            return Capture.from_line(self._files.line_at(position).decode("utf-8"))
        except ValueError:  # a line that does not parse names no capture (see newsarchive.archive.jsonl)
            return None

    @classmethod
    def load(cls, indexes_dir: str | os.PathLike[str]) -> CaptureIndex:
        """Index every ``.digests`` file, oldest WARC first (names start with the WARC's timestamp)."""
        index = cls()
        for path in sorted(Path(indexes_dir).glob("*" + DIGESTS_SUFFIX)):
            for position, line in index._files.scan(path):
                try:
                    digest = line[: line.index(b"\t")].decode("ascii")
                    url = line[line.rindex(b"\t") + 1 : -1].decode("utf-8")
                except ValueError:
                    continue
                index._digest_lines.setdefault(hash(digest), position)
                index._url_lines[hash(url)] = position
        return index


def read_digests(indexes_dir: str | os.PathLike[str]) -> Iterator[Capture]:
    """Every capture of every ``.digests`` file, oldest file first (lines counted as :mod:`~newsarchive.archive.jsonl`
    counts them)."""
    for path in sorted(Path(indexes_dir).glob("*" + DIGESTS_SUFFIX)):
        for _, line in complete_lines(path):
            try:
                yield Capture.from_line(line.decode("utf-8"))
            except ValueError:
                continue
