"""Packed line positions: where a line is among several files, as one integer.

An index too big to keep whole in memory (the capture digests, the latest version of each article) keeps only
``key -> position`` and reads the line back when asked. A position packs the file's number (its place in a
:class:`LineFiles`) above a 40-bit byte offset (files of up to 1 TiB), so a million lines take a plain
``dict[int, int]`` or an array of 64-bit integers. A position is kept on disk only beside the list of the files
it numbers (the capture index's start-up cache: :mod:`newsarchive.archive.caches`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from newsarchive.archive.jsonl import complete_lines

OFFSET_BITS = 40
_OFFSET_MASK = (1 << OFFSET_BITS) - 1


def pack(file_number: int, offset: int) -> int:
    """The position of byte ``offset`` of file number ``file_number``."""
    return file_number << OFFSET_BITS | offset


def unpack(position: int) -> tuple[int, int]:
    """``(file number, byte offset)`` of a position."""
    return position >> OFFSET_BITS, position & _OFFSET_MASK


class LineFiles:
    """The files, in the order they were scanned, whose lines positions point at."""

    def __init__(self, paths: Iterable[str | os.PathLike[str]] = ()) -> None:
        self.paths: list[Path] = [Path(path) for path in paths]

    def scan(self, path: str | os.PathLike[str]) -> Iterator[tuple[int, bytes]]:
        """Number ``path`` after the files scanned before it; ``(position, line)`` of each of its complete lines."""
        base = pack(len(self.paths), 0)
        self.paths.append(Path(path))
        return ((base | offset, line) for offset, line in complete_lines(path))

    def line_at(self, position: int) -> bytes:
        """The line at ``position`` (one seek, one line), newline included."""
        number, offset = unpack(position)
        with open(self.paths[number], "rb") as lines:
            lines.seek(offset)
            return lines.readline()
