"""Lines of a byte-sorted text file found by binary search over the file, as pywb looks up its CDXJ indexes.

A lookup reads a few blocks (one per halving, then the block holding the answer), not the whole file: a CDXJ
of a 1 GB WARC holds tens of thousands of lines, and ``show`` reads every CDXJ of the archive.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

BLOCK_SIZE = 8192


def _first_line_after(stream: BinaryIO, position: int) -> bytes:
    """The first whole line starting after ``position`` (the first line of the file at 0); b"" past the end."""
    stream.seek(position)
    if position:
        stream.readline()  # the rest of the line ``position`` falls in
    return stream.readline()


def lines_starting_with(path: str | os.PathLike[str], prefix: bytes) -> Iterator[bytes]:
    """The lines (newline kept) of the byte-sorted file at ``path`` that start with ``prefix``, in file order."""
    with open(path, "rb") as stream:
        # Block ``low`` starts before the first line >= prefix: its first whole line is smaller (or it is the
        # start of the file). Block ``high``'s first whole line is >= prefix, or there is none (end of file,
        # which must not move ``low`` past a last line that matches).
        low, high = 0, stream.seek(0, os.SEEK_END) // BLOCK_SIZE + 1
        while high - low > 1:
            middle = (low + high) // 2
            line = _first_line_after(stream, middle * BLOCK_SIZE)
            if line and line < prefix:
                low = middle
            else:
                high = middle
        stream.seek(low * BLOCK_SIZE)
        if low:
            stream.readline()
        for line in stream:
            if line.startswith(prefix):
                yield line
            elif line > prefix:
                return
