"""Append-only line logs: how every JSONL index and log of the archive is written and read.

The article index, the not-articles log and ``runs.jsonl`` hold one JSON object per line, the ``.digests`` files
(written whole as their WARC closes) one tab-separated line per capture. A writer appends whole lines and flushes
each, so a reader, and whatever a killed writer leaves, sees only whole lines plus at most one torn last line.

One rule for which lines count, the article index's (of the four line readers it alone neither lost a complete
record nor raised: the not-articles log shared it; ``runs.jsonl``'s reader and the ``.digests`` reader skipped a
torn last line too but raised on a complete line they could not parse): **a line counts once its newline is
written, and when it parses.** A last line without its newline (being written, or torn by a killed writer) is
skipped; a reader that remembers where it stopped (the seen-set cache) reads it again once it is complete. A
complete line that does not parse (a hand edit, a torn fragment) is skipped, never raised. And a writer that
opens a file ending in a torn line starts on a fresh line, so the fragment stays a line of its own and the record
appended after it is kept (``runs.jsonl`` is appended to by every run).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

_BLOCK = 1 << 16


def complete_lines(path: str | os.PathLike[str], start: int = 0) -> Iterator[tuple[int, bytes]]:
    """``(offset, line)`` of each complete line of ``path`` from byte ``start`` (newline included), in order."""
    with open(path, "rb") as lines:
        lines.seek(start)
        offset = start
        for line in lines:
            if not line.endswith(b"\n"):
                return  # only a last line can lack its newline: being written, or torn by a crash
            yield offset, line
            offset += len(line)


def parse_record(line: bytes | str) -> dict[str, Any] | None:
    """The JSON object one complete line holds, or None when it holds none."""
    try:
        # orjson parses an index line two to three times as fast; it refuses what the standard parser accepts
        # only in strings no writer of ours produces (an escaped lone surrogate), which a hand edit may hold.
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            record = json.loads(line)
        except ValueError:  # UnicodeDecodeError included
            return None
    return record if isinstance(record, dict) else None


def read_records(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every record of one log, in order (see the module docstring for which lines count)."""
    for _, line in complete_lines(path):
        if (record := parse_record(line)) is not None:
            yield record


def read_logs(directory: str | os.PathLike[str], glob: str) -> Iterator[dict[str, Any]]:
    """Every record of every log in ``directory`` matching ``glob``, oldest file (by name) first."""
    for path in sorted(Path(directory).glob(glob)):
        yield from read_records(path)


def torn_tail(path: str | os.PathLike[str]) -> int | None:
    """Where the complete lines of ``path`` end when a torn last line follows them, else None.

    Reads only the file's tail.
    """
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        end = _complete_end(stream, size)
    return None if end == size else end


def _complete_end(stream: IO[bytes], size: int) -> int:
    """Where the complete lines among the first ``size`` bytes of ``stream`` end (after their last newline)."""
    end = size
    while end > 0:
        start = max(0, end - _BLOCK)
        stream.seek(start)
        newline = stream.read(end - start).rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return 0


def line_ranges(path: str | os.PathLike[str], size: int) -> list[tuple[int, int]]:
    """The complete lines of ``path`` as it is now, cut into consecutive byte ranges ``(start, end)`` of about
    ``size`` bytes: each starts at the start of a line and ends after a newline (one line longer than ``size``
    is a range of its own); a torn last line is in none.

    The file's size is read once, so lines appended meanwhile (a crawl writing) wait for the next reader.
    """
    ranges: list[tuple[int, int]] = []
    with open(path, "rb") as stream:
        end = _complete_end(stream, os.fstat(stream.fileno()).st_size)
        start = 0
        while start < end:
            cut = min(_line_end(stream, start + max(1, size) - 1), end)
            ranges.append((start, cut))
            start = cut
    return ranges


def _line_end(stream: IO[bytes], at: int) -> int:
    """Where the line holding byte ``at`` of ``stream`` ends (after its newline), or where the stream does."""
    stream.seek(at)
    while block := stream.read(_BLOCK):
        if (newline := block.find(b"\n")) >= 0:
            return at + newline + 1
        at += len(block)
    return at


def read_range(path: str | os.PathLike[str], start: int, end: int) -> bytes:
    """Bytes ``[start, end)`` of ``path``, read in one block."""
    with open(path, "rb") as stream:
        stream.seek(start)
        return stream.read(end - start)


def range_lines(
    path: str | os.PathLike[str], start: int, end: int, offsets: Iterable[int] | None = None
) -> Iterator[tuple[int, bytes]]:
    """``(offset, line)`` of each line in bytes ``[start, end)`` of ``path`` (a range from :func:`line_ranges`,
    read in one block), newline excluded; only the lines starting at ``offsets`` (ascending) when given."""
    block = read_range(path, start, end)
    if offsets is None:
        lines = block.split(b"\n")
        lines.pop()  # what follows the range's last newline: nothing
        at = start
        for line in lines:
            yield at, line
            at += len(line) + 1
    else:
        for offset in offsets:
            at = offset - start
            yield offset, block[at : block.index(b"\n", at)]


class JsonlWriter:
    """Appends records to one log file, one line each, flushed whole; the file is created on the first record."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = None
        self._end = 0  # the file's size: where the next line starts

    def append(self, record: dict[str, Any]) -> int:
        """Write one record as one line and flush it, so readers and a later crash see only whole lines; return
        the byte offset where the line starts."""
        if self._file is None:
            self._file = self._open()
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        self._file.write(line)
        self._file.flush()
        offset = self._end
        self._end += len(line)
        return offset

    def _open(self) -> IO[bytes]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "ab+": appends, and lets the last byte be read (a write-only descriptor cannot be).
        file = open(self.path, "ab+")  # noqa: SIM115 - lives until close()
        size = os.fstat(file.fileno()).st_size
        self._end = size
        if size and os.pread(file.fileno(), 1, size - 1) != b"\n":
            file.write(b"\n")  # after a torn line: see the module docstring
            self._end += 1
        return file

    def close(self) -> None:
        """Sync and close the file."""
        if self._file is not None:
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None


def append_record(path: str | os.PathLike[str], record: dict[str, Any]) -> None:
    """Append one record to ``path`` as a single line, flushed and synced."""
    writer = JsonlWriter(path)
    try:
        writer.append(record)
    finally:
        writer.close()
