"""``verify``: check an archive against its own promises and list every problem found.

Checks, per closed WARC: one gzip member per record and every member whole; block and payload digests; each
response's HTTP message consistent with its stored body (a real status line, no ``Transfer-Encoding``, a
``Content-Length`` equal to the body, a body valid under its ``Content-Encoding``); request and response linked
both ways under one ``WARC-Date``; every revisit pointing at a complete (untruncated) ``response`` of the archive, of
the ``WARC-Refers-To-Date`` it names; the CDXJ and
``.digests`` files equal to what indexing the WARC gives now; every article index entry pointing at the record it
names.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from newsarchive.archive.articles import read_index
from newsarchive.archive.cdxj import index_lines
from newsarchive.archive.content import ContentDecodingError, ContentTooLargeError, decode_content
from newsarchive.archive.layout import CDXJ_SUFFIX, DIGESTS_SUFFIX, ArchiveLayout, index_file_name

_BLOCK = 1 << 16
_STATUS_LINE = re.compile(r"^HTTP/\d\.\d$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong: its kind (a short slug), the file, the byte offset (None: the whole file), what."""

    kind: str
    path: Path
    offset: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}" if self.offset is None else f"{self.path}@{self.offset}"
        return f"{where}: {self.kind}: {self.message}"


class GzipMemberError(Exception):
    """A gzip member that does not inflate to its end."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset


def gzip_members(stream: BinaryIO) -> Iterator[tuple[int, int]]:
    """``(offset, length)`` of each gzip member of the stream, inflated block by block (memory stays flat)."""
    buffer = b""
    position = 0  # file offset of buffer[0]
    while True:
        if not buffer:
            buffer = stream.read(_BLOCK)
            if not buffer:
                return
        start = position
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while True:
            try:
                inflater.decompress(buffer, _BLOCK)
                while inflater.unconsumed_tail and not inflater.eof:
                    inflater.decompress(inflater.unconsumed_tail, _BLOCK)
            except zlib.error as error:
                raise GzipMemberError(start, f"corrupt gzip member: {error}") from error
            if inflater.eof:
                position += len(buffer) - len(inflater.unused_data)
                buffer = inflater.unused_data
                break
            position += len(buffer)
            buffer = stream.read(_BLOCK)
            if not buffer:
                raise GzipMemberError(start, "gzip member cut short (torn write?)")
        yield start, position - start


def verify(archive: ArchiveLayout) -> list[Problem]:
    """Every problem of the archive's closed WARCs and of its indexes, in file order."""
    problems: list[Problem] = []
    responses: dict[str, Original] = {}
    revisits: list[Revisit] = []
    for path in archive.warc_files(include_open=False):
        try:
            file_problems = _check_members(path)
            if not file_problems:  # past a broken gzip member no record can be read
                file_problems = _check_records(path, responses, revisits)
                file_problems += _check_indexes(path, archive.indexes_dir)
        except ArchiveLoadFailed as error:
            file_problems = [Problem("warc", path, None, f"unreadable: {error}")]
        problems += file_problems
    problems += [Problem("revisit-target", r.path, r.offset, m) for r in revisits for m in r.problems(responses)]
    problems += _check_articles(archive)
    return problems


@dataclass(frozen=True)
class Original:
    """What a revisit's original must match: its URI, its WARC-Date, whether it was truncated."""

    uri: str
    date: str
    truncated: bool


@dataclass(frozen=True)
class Revisit:
    """A revisit record and what it says of its original."""

    path: Path
    offset: int
    uri: str
    refers_to: str
    refers_to_date: str | None

    def problems(self, responses: dict[str, Original]) -> Iterator[str]:
        """Why this revisit cannot be replayed from the archive (nothing when it can)."""
        original = responses.get(self.refers_to)
        if original is None:
            yield f"revisit of {self.uri}: its original {self.refers_to or '(none named)'} is not in the archive"
            return
        if original.truncated:
            yield f"revisit of {self.uri}: its original {self.refers_to} is truncated"
        if self.refers_to_date is not None and self.refers_to_date != original.date:
            yield (
                f"revisit of {self.uri}: WARC-Refers-To-Date {self.refers_to_date} names no capture "
                f"(the original {self.refers_to} is of {original.date})"
            )


def _revisit(path: Path, offset: int, headers) -> Revisit:  # type: ignore[no-untyped-def]
    return Revisit(
        path=path,
        offset=offset,
        uri=headers.get_header("WARC-Target-URI") or "",
        refers_to=headers.get_header("WARC-Refers-To") or "",
        refers_to_date=headers.get_header("WARC-Refers-To-Date"),
    )


def _check_members(path: Path) -> list[Problem]:
    with open(path, "rb") as stream:
        members = []
        try:
            members = [offset for offset, _ in gzip_members(stream)]
        except GzipMemberError as error:
            return [Problem("gzip", path, error.offset, str(error))]
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        offsets = [records.get_record_offset() for _ in records]
    if offsets != members:
        return [Problem("gzip", path, None, f"{len(members)} gzip members for {len(offsets)} records")]
    return []


def _check_records(path: Path, responses: dict[str, Original], revisits: list[Revisit]) -> list[Problem]:
    problems: list[Problem] = []
    pairs: dict[str, tuple[str, str, int]] = {}  # record id -> (concurrent-to, date, offset)
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream, check_digests=True)
        for record in records:
            payload = record.raw_stream.read() if record.http_headers is not None else b""
            offset = records.get_record_offset()  # reads to the end: the digests are checked now
            headers = record.rec_headers
            if record.digest_checker.passed is False:
                problems += [Problem("digest", path, offset, str(p)) for p in record.digest_checker.problems]
            if record.rec_type in ("request", "response", "revisit"):
                record_id = headers.get_header("WARC-Record-ID")
                pairs[record_id] = (
                    headers.get_header("WARC-Concurrent-To") or "",
                    headers.get_header("WARC-Date"),
                    offset,
                )
            if record.rec_type == "response":
                responses[headers.get_header("WARC-Record-ID")] = Original(
                    uri=headers.get_header("WARC-Target-URI") or "",
                    date=headers.get_header("WARC-Date") or "",
                    truncated=bool(headers.get_header("WARC-Truncated")),
                )
                problems += [Problem("http", path, offset, m) for m in _http_problems(record, payload)]
            elif record.rec_type == "revisit":
                revisits.append(_revisit(path, offset, headers))
    for record_id, (other_id, date, offset) in pairs.items():
        other = pairs.get(other_id)
        if other is None or other[0] != record_id:
            problems.append(
                Problem("pair", path, offset, f"{record_id} and {other_id or '?'} do not refer to each other")
            )
        elif other[1] != date:
            problems.append(Problem("pair", path, offset, f"{record_id} and its pair differ in WARC-Date"))
    return problems


def _http_problems(record, payload: bytes) -> Iterator[str]:  # type: ignore[no-untyped-def]
    http = record.http_headers
    if not _STATUS_LINE.match(http.protocol or "") or not (http.statusline or "")[:3].isdigit():
        yield f"bad status line {http.protocol} {http.statusline!r}"
    if http.get_header("Transfer-Encoding"):
        yield "Transfer-Encoding over a de-chunked body"
    length = http.get_header("Content-Length")
    if length is not None and length.strip() != str(len(payload)):
        yield f"Content-Length {length} but the body has {len(payload)} bytes"
    if not record.rec_headers.get_header("WARC-Truncated"):
        try:
            decode_content(payload, http.get_header("Content-Encoding"))
        except ContentTooLargeError:
            pass  # over the crawl's size cap (a gzip bomb?): never inflated, so not checkable here
        except ContentDecodingError as error:
            yield str(error)


def _check_indexes(path: Path, indexes_dir: Path) -> list[Problem]:
    lines, captures = index_lines(path)
    problems = []
    for suffix, expected in ((CDXJ_SUFFIX, lines), (DIGESTS_SUFFIX, captures)):
        index = indexes_dir / index_file_name(path.name, suffix)
        if not index.exists():
            problems.append(Problem("index", index, None, f"missing for {path.name}; run `newsarchive reindex`"))
            continue
        with open(index, encoding="utf-8") as stored:
            if stored.readlines() != expected:
                problems.append(Problem("index", index, None, f"disagrees with {path.name}; run `newsarchive reindex`"))
    return problems


def _check_articles(archive: ArchiveLayout) -> list[Problem]:
    problems = []
    for entry in read_index(archive.indexes_dir):
        warc = archive.warc_path(entry["warc_file"])
        offset = entry.get("warc_offset")
        if offset is None or not warc.exists():
            problems.append(Problem("article", warc, offset, f"article {entry['url']} points at a missing record"))
            continue
        with open(warc, "rb") as stream:
            stream.seek(offset)
            try:
                record_id = next(iter(ArchiveIterator(stream))).rec_headers.get_header("WARC-Record-ID")
            except Exception:  # any parse failure means the entry points at no record
                record_id = None
        if record_id != entry["warc_record_id"]:
            problems.append(Problem("article", warc, offset, f"article {entry['url']} points at another record"))
    return problems
