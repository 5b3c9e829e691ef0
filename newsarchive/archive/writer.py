"""The WARC file writer: owns one ``.open`` file at a time, rotates it by size, renames it on close."""

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

OPEN_SUFFIX = ".open"
DEFAULT_MAX_SIZE = 1_000_000_000


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def _safe_host() -> str:
    # A file name must never carry characters from outside; the host name is outside input too.
    return re.sub(r"[^A-Za-z0-9.-]+", "-", socket.gethostname()) or "localhost"


class WarcWriter:
    """Appends records to ``{prefix}-{YYYYmmddHHMMSS}-{serial:05d}-{host}-{pid}.warc.gz`` files.

    Each record is one gzip member, so any record can be read by seeking to its offset. A file is named
    ``*.open`` while written and renamed once closed; it is never appended to after that. Every write is
    flushed, so readers see every complete record at once.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        warcinfo: dict[str, str],
        prefix: str = "newsarchive",
        max_size: int = DEFAULT_MAX_SIZE,
        clock: Callable[[], datetime] = utc_now,
        make_record_id: Callable[[], str] = new_record_id,
        on_close: Callable[[Path], None] | None = None,
        captures: CaptureIndex | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        self._warcinfo_fields = warcinfo
        self._clock = clock
        self._records = RecordFactory(make_record_id)
        self._on_close = on_close
        # Without an index of earlier captures every response is written in full (no revisits).
        self.captures = captures
        self._serial = 0
        self._file: BinaryIO | None = None
        self._path: Path | None = None
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
        name = f"{self.prefix}-{now.strftime('%Y%m%d%H%M%S')}-{self._serial:05d}-{_safe_host()}-{os.getpid()}.warc.gz"
        self._serial += 1
        self._path = self.directory / (name + OPEN_SUFFIX)
        # "x": a name is never reused, so a closed file can never be appended to.
        self._file = open(self._path, "xb")  # noqa: SIM115 - lives until close()
        self._warc = WARCWriter(self._file, gzip=True, warc_version=WARC_VERSION)
        info = self._records.warcinfo(name, self._warcinfo_fields, now)
        self._warcinfo_id = info.rec_headers.get_header("WARC-Record-ID")
        self._write(info)

    def _write(self, record) -> RecordLocation:
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
        return RecordLocation(
            warc_file=self._final_name(self._path),
            offset=offset,
            length=self._file.tell() - offset,
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
        )

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
            response_location = replace(
                self._write(response), date=exchange.date, record_type=response.rec_type, refers_to=original
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
        """Sync, close and rename the open file (if any) to its final name."""
        if self._file is None or self._path is None:
            return
        path = self._path
        if self._intact_end is not None:
            self._close_after_failure(path, self._intact_end)
        else:
            try:
                self._file.flush()
                os.fsync(self._file.fileno())
            finally:
                self._file.close()
                self._file, self._warc, self._path = None, None, None
        final = path.with_name(self._final_name(path))
        os.replace(path, final)
        if self._on_close is not None:
            self._on_close(final)

    def _close_after_failure(self, path: Path, intact_end: int) -> None:
        """Close a file a write failed on, cut back to its last whole exchange (truncating needs no space)."""
        assert self._file is not None
        with contextlib.suppress(OSError):  # the buffer of the failed write may not flush either: dropped
            self._file.close()
        self._file, self._warc, self._path, self._intact_end = None, None, None, None
        os.truncate(path, intact_end)

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
