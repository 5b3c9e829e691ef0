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
from collections.abc import Iterator
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
        end = size
        while end > 0:
            start = max(0, end - _BLOCK)
            stream.seek(start)
            newline = stream.read(end - start).rfind(b"\n")
            if newline >= 0:
                end = start + newline + 1
                break
            end = start
    return None if end == size else end


class JsonlWriter:
    """Appends records to one log file, one line each, flushed whole; the file is created on the first record."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None

    def append(self, record: dict[str, Any]) -> None:
        """Write one record as one line and flush it, so readers and a later crash see only whole lines."""
        if self._file is None:
            self._file = self._open()
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()

    def _open(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "a+": appends, and lets the last byte be read (a write-only descriptor cannot be).
        file = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - lives until close()
        size = os.fstat(file.fileno()).st_size
        if size and os.pread(file.fileno(), 1, size - 1) != b"\n":
            file.write("\n")  # after a torn line: see the module docstring
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
