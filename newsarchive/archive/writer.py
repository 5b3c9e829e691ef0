"""The WARC file writer: owns one ``.open`` file at a time, rotates it by size, renames it on close.

With ``indexes``, the file's CDXJ and ``.digests`` lines are made as each record is written (the writer knows
its offset, length, digests and status: :func:`~newsarchive.archive.cdxj.record_entry`), so closing a file
is: flush, fsync, write the sorted indexes, rename. ``close_in`` runs that step elsewhere (the crawl gives it
a thread), while the writer goes on with its next file at once: a rotation never stalls the records after it.
A crawl killed between the two leaves a ``.open`` file that repair indexes and renames.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.warcwriter import WARCWriter

from newsarchive.archive.cdxj import is_indexed, record_entry, write_indexes
from newsarchive.archive.layout import DEFAULT_WARC_MAX_SIZE, DEFAULT_WARC_PREFIX, OPEN_SUFFIX, warc_file_name
from newsarchive.archive.records import (
    WARC_VERSION,
    HttpExchange,
    RecordFactory,
    RecordLocation,
    new_record_id,
    warc_date,
)
from newsarchive.archive.revisits import Capture, CaptureIndex, is_original, payload_digest
from newsarchive.errors import ArchiveWriteError


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def _safe_host() -> str:
    # A file name must never carry characters from outside; the host name is outside input too.
    return re.sub(r"[^A-Za-z0-9.-]+", "-", socket.gethostname()) or "localhost"


class WarcWriter:
    """Appends records to ``{prefix}-{YYYYmmddHHMMSS}-{serial:05d}-{host}-{pid}.warc.gz`` files
    (:func:`~newsarchive.archive.layout.warc_file_name`).

    Each record is one gzip member, so any record can be read by seeking to its offset. A file is named
    ``*.open`` while written and renamed once closed; it is never appended to after that. Every write is
    flushed, so readers see every complete record at once.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        warcinfo: dict[str, str],
        prefix: str = DEFAULT_WARC_PREFIX,
        max_size: int = DEFAULT_WARC_MAX_SIZE,
        clock: Callable[[], datetime] = utc_now,
        make_record_id: Callable[[], str] = new_record_id,
        on_close: Callable[[Path], None] | None = None,
        captures: CaptureIndex | None = None,
        indexes: str | os.PathLike[str] | None = None,
        close_in: Callable[[Callable[[], None]], object] | None = None,
        pid: int | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        self._warcinfo_fields = warcinfo
        self._clock = clock
        self._records = RecordFactory(make_record_id)
        self._on_close = on_close
        self.indexes = Path(indexes) if indexes is not None else None
        self._close_in = close_in
        # The crawl's pid for the file names, when the writer runs in a process of its own.
        self._pid = pid
        # The open file's index lines as (offset, line): CDXJ and capture digests.
        self._cdxj: list[tuple[int, str]] = []
        self._digests: list[tuple[int, str]] = []
        # Without an index of earlier captures every response is written in full (no revisits).
        self.captures = captures
        self._serial = 0
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._name = ""
        self._warcinfo_id: str | None = None
        self._warc: WARCWriter | None = None
        # After a failed write (disk full): where the last whole exchange ends and why; nothing more is written.
        self._intact_end: int | None = None
        self._failure = ""

    @property
    def current_file(self) -> Path | None:
        """The ``.open`` file being written, if any."""
        return self._path

    def _final_name(self, path: Path) -> str:
        return path.name.removesuffix(OPEN_SUFFIX)

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        now = self._clock()
        name = warc_file_name(self.prefix, now, self._serial, _safe_host(), self._pid)
        self._serial += 1
        self._path = self.directory / (name + OPEN_SUFFIX)
        # One string for every record of the file: each capture of the run keeps it.
        self._name = name
        # "x": a name is never reused, so a closed file can never be appended to.
        self._file = open(self._path, "xb")  # noqa: SIM115 - lives until close()
        self._warc = WARCWriter(self._file, gzip=True, warc_version=WARC_VERSION)
        info = self._records.warcinfo(name, self._warcinfo_fields, now)
        self._warcinfo_id = info.rec_headers.get_header("WARC-Record-ID")
        self._write(info)

    def _write(self, record, payload: bytes = b"") -> RecordLocation:
        assert self._file is not None and self._warc is not None and self._path is not None
        if self._intact_end is not None:
            raise ArchiveWriteError(self._failure)
        offset = self._file.tell()
        try:
            self._warc.write_record(record)
            self._file.flush()
        except OSError as error:
            self._intact_end = offset
            self._failure = (
                f"cannot write to {self._path}: {error.strerror}; free space or fix "
                "permissions, then run the crawl again"
            )
            raise ArchiveWriteError(self._failure) from error
        location = RecordLocation(
            warc_file=self._name,
            offset=offset,
            length=self._file.tell() - offset,
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
        )
        if self.indexes is not None and is_indexed(record):
            line, capture = record_entry(record, offset, location.length, location.warc_file, lambda: payload)
            self._cdxj.append((offset, line))
            if capture is not None:
                self._digests.append((offset, capture.line()))
        return location

    def write_exchange(self, exchange: HttpExchange) -> tuple[RecordLocation, RecordLocation]:
        """Write the request and response (or revisit) records of one exchange; return both locations.

        A complete ``200`` whose payload digest is already archived becomes an identical-payload-digest
        revisit, a ``304`` a server-not-modified revisit of the URL's latest capture; the location of a revisit
        carries the original it refers to (``refers_to``). A truncated exchange is always written in full, as a
        ``response`` with ``WARC-Truncated``: never a revisit, never an original.
        """
        if self._file is None:
            self._open()
        original: Capture | None = None
        digest: str | None = None
        if self.captures is not None and not exchange.truncated:
            if exchange.status == 304:
                original = self.captures.latest(exchange.url)
            elif is_original(exchange.status, bool(exchange.truncated)):
                digest = payload_digest(exchange.body)
                original = self.captures.by_digest(digest)
        request, response = self._records.exchange(exchange, self._warcinfo_id, refers_to=original)
        start = self._file.tell()
        try:
            request_location = replace(self._write(request), date=exchange.date, record_type="request")
            # A revisit holds no payload; a response's is the body (digested only when warcio gave no digest).
            payload = b"" if response.rec_type == "revisit" else exchange.body
            response_location = replace(
                self._write(response, payload), date=exchange.date, record_type=response.rec_type, refers_to=original
            )
        except ArchiveWriteError:
            # The exchange is the unit: a request whose response could not be written goes too.
            self._intact_end = min(start, self._intact_end if self._intact_end is not None else start)
            raise
        if self.captures is not None and digest is not None and original is None:
            self.captures.add(
                Capture(
                    digest=digest,
                    url=exchange.url,
                    date=warc_date(exchange.date),
                    record_id=response_location.record_id,
                    warc_file=response_location.warc_file,
                    offset=response_location.offset,
                    length=response_location.length,
                )
            )
        assert self._file is not None
        if self._file.tell() >= self.max_size:
            self.close()
        return request_location, response_location

    def close(self) -> None:
        """Close the open file (if any): sync it, write its indexes, rename it to its final name.

        With ``close_in`` that work runs where it says and this returns at once; the next write opens a new file.
        """
        if self._file is None or self._path is None:
            return
        file, path = self._file, self._path
        cdxj, digests, intact_end = self._cdxj, self._digests, self._intact_end
        self._file, self._warc, self._path, self._intact_end = None, None, None, None
        self._cdxj, self._digests = [], []
        if intact_end is not None:
            # A write failed: cut back to the last whole exchange (truncating needs no space); index what stays.
            with contextlib.suppress(OSError):  # the buffer of the failed write may not flush either: dropped
                file.close()
            os.truncate(path, intact_end)
            cdxj = [entry for entry in cdxj if entry[0] < intact_end]
            digests = [entry for entry in digests if entry[0] < intact_end]
            self._finish(path, None, cdxj, digests)
            return
        file.flush()
        if self._close_in is not None:
            self._close_in(lambda: self._finish(path, file, cdxj, digests))
        else:
            self._finish(path, file, cdxj, digests)

    def _finish(
        self, path: Path, file: BinaryIO | None, cdxj: list[tuple[int, str]], digests: list[tuple[int, str]]
    ) -> None:
        """Sync and close ``file``, write the indexes of ``path`` from its lines, rename it."""
        if file is not None:
            try:
                os.fsync(file.fileno())
            finally:
                file.close()
        final = path.with_name(self._final_name(path))
        digests_path = None
        if self.indexes is not None:
            _, digests_path = write_indexes(
                final.name, [line for _, line in cdxj], [line for _, line in digests], self.indexes
            )
        os.replace(path, final)
        if self.captures is not None and digests_path is not None:
            # The file's originals are now read back from its .digests file when a revisit needs one.
            self.captures.absorb(digests_path)
        if self._on_close is not None:
            self._on_close(final)

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
