"""Start-up caches: what a crawl computed from the archive's line files, kept so the next one need not read them.

The seen-set (:mod:`newsarchive.archive.seen`) and the capture index (:mod:`newsarchive.archive.revisits`) are
computed from line files in ``indexes/`` that are only ever appended to or added (the article index, the
``.digests`` files). Each keeps what it computed, arrays of 64-bit integers, in one cache file, with the state of
every line file it read (:class:`FileState`). The next start-up compares those states with the files
(:func:`unread_parts`):

- a file with the same inode, size and modification time is not read;
- a file with the same inode and another size that still holds what was read (at least as long, the same bytes
  before where the reading stopped) is read from there: it grew (or a torn last line was cut off);
- a new file is read whole;
- anything else (a file gone, replaced, shorter than what was read, rewritten) makes the whole cache be rebuilt
  from every file.

The line files are append-only: a writer appends whole lines, and whatever rewrites one (``reindex``) writes a
new file in its place. A file rewritten in place to a longer one that ends its first part with the same bytes
would go unnoticed; even then, the capture index checks every line it reads back, so it could miss an answer,
never give a wrong one.

A cache that is missing, unreadable, cut short, corrupt (its arrays carry a CRC), of another format or written
for other settings is rebuilt the same way; one that cannot be written (a read-only archive) costs the next
start-up the same work. It is derived data: deleting it is always safe. It is written to a temporary file renamed
over the old one, so a reader sees the old cache or the new one, never a mix. The arrays are in the machine's
byte order, which the header names (a cache moved to a machine of the other order is rebuilt).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import sys
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

# Read from a file before where a cache stopped reading it, to tell an appended file from a rewritten one.
_TAIL_BYTES = 4096


def tail_fingerprint(path: Path, end: int) -> str:
    """A fingerprint of the bytes of ``path`` just before byte ``end`` (the last line a cache read)."""
    with open(path, "rb") as stream:
        tail = os.pread(stream.fileno(), min(end, _TAIL_BYTES), max(0, end - _TAIL_BYTES))
    return hashlib.blake2b(tail, digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class FileState:
    """A line file as a cache last read it: which file it was, and how far its complete lines went."""

    name: str
    inode: int
    size: int
    mtime_ns: int
    end: int  # where the complete lines read end (a torn last line is read again next time)
    tail: str  # tail_fingerprint(file, end)

    @classmethod
    def from_json(cls, entry: Any) -> FileState:
        """The state a cache header lists; ValueError when the entry is not one."""
        if not (
            isinstance(entry, list)
            and len(entry) == 6
            and isinstance(entry[0], str)
            and isinstance(entry[5], str)
            and all(type(value) is int for value in entry[1:5])
        ):
            raise ValueError(f"not a file state: {entry!r}")
        return cls(*entry)


@dataclass(frozen=True, slots=True)
class Part:
    """What a cache has yet to read of one line file: from byte ``start`` to its end."""

    number: int  # the file's place in the cache's list of files
    path: Path
    start: int
    stat: os.stat_result  # taken before reading: what is appended later counts as growth next time

    def state(self, end: int) -> FileState:
        """The file's state once its complete lines were read up to ``end``."""
        stat = self.stat
        return FileState(
            self.path.name, stat.st_ino, stat.st_size, stat.st_mtime_ns, end, tail_fingerprint(self.path, end)
        )


def unread_parts(directory: Path, names: Sequence[str], files: Sequence[FileState]) -> list[Part] | None:
    """What of the line files ``names`` (in ``directory``) a cache that read ``files`` has yet to read, in the
    order of the cache's file numbers (the files read before keep theirs, new ones follow in the order of
    ``names``); None when the cache cannot be brought up to date and must be rebuilt (see the module docstring).
    """
    present = set(names)
    parts: list[Part] = []
    for number, state in enumerate(files):
        path = directory / state.name
        if state.name not in present:
            return None
        try:
            stat = path.stat()
            if stat.st_ino != state.inode or stat.st_size < state.end:
                return None
            if stat.st_size == state.size:
                if stat.st_mtime_ns == state.mtime_ns:
                    continue
                return None  # written to without growing: rewritten in place
            if tail_fingerprint(path, state.end) != state.tail:
                return None
        except OSError:
            return None
        parts.append(Part(number, path, state.end, stat))
    known = {state.name for state in files}
    number = len(files)
    for name in names:
        if name in known:
            continue
        try:
            stat = (directory / name).stat()
        except FileNotFoundError:
            continue  # gone since it was listed: as if it had never been there
        parts.append(Part(number, directory / name, 0, stat))
        number += 1
    return parts


def merged(keys: array, new_keys: array) -> array:
    """Two sorted arrays as one, sorted.

    Each new key is put in place by binary search and the old keys between two new ones are copied as one slice:
    a few new keys cost little more than copying the array.
    """
    if not new_keys:
        return keys
    if not keys:
        return new_keys
    out = array("Q")
    start = 0
    for key in new_keys:
        at = bisect_right(keys, key, start)
        out += keys[start:at]
        out.append(key)
        start = at
    out += keys[start:]
    return out


def read_cache(path: Path, magic: bytes, arrays: int, **fields: object) -> tuple[list[FileState], list[array]] | None:
    """The file states and the ``arrays`` arrays of a cache, or None when there is no usable cache: missing,
    unreadable, cut short, corrupt, of another format (``magic``), or written with other ``fields``."""
    try:
        with open(path, "rb") as stream:
            if stream.read(len(magic)) != magic:
                return None
            (length,) = struct.unpack("<I", stream.read(4))
            header = json.loads(stream.read(length))
            if (
                not isinstance(header, dict)
                or header.get("byteorder") != sys.byteorder
                or any(header.get(name) != value for name, value in fields.items())
                or not isinstance(header.get("files"), list)
                or not isinstance(header.get("lengths"), list)
                or len(header["lengths"]) != arrays
                or not all(type(count) is int and count >= 0 for count in header["lengths"])
                # The arrays fill the rest of the file exactly: a cache cut short or grown is not read.
                or sum(header["lengths"]) * 8 != os.fstat(stream.fileno()).st_size - stream.tell()
            ):
                return None
            loaded, crc = [], 0
            for count in header["lengths"]:
                values = array("Q")
                values.fromfile(stream, count)
                crc = zlib.crc32(values, crc)
                loaded.append(values)
            if crc != header.get("crc32"):
                return None
            files = [FileState.from_json(entry) for entry in header["files"]]
    except (OSError, EOFError, ValueError, TypeError, struct.error):
        return None
    return files, loaded


def write_cache(
    path: Path, magic: bytes, files: Sequence[FileState], arrays: Sequence[array], **fields: object
) -> None:
    """Write a cache atomically; when the archive refuses the write, leave it (the next start-up rebuilds)."""
    crc = 0
    for values in arrays:
        crc = zlib.crc32(values, crc)
    header = {
        **fields,
        "byteorder": sys.byteorder,
        "files": [list(astuple(state)) for state in files],
        "lengths": [len(values) for values in arrays],
        "crc32": crc,
    }
    encoded = json.dumps(header).encode()
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as stream:
            stream.write(magic + struct.pack("<I", len(encoded)) + encoded)
            for values in arrays:
                values.tofile(stream)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


@dataclass
class StartupCache:
    """A cache opened at start-up: its arrays (empty when it is rebuilt), the parts of the line files it has yet
    to read, and, once they are read, writing it back."""

    path: Path
    magic: bytes
    files: list[FileState]
    arrays: list[array]
    parts: list[Part]
    rebuilt: bool
    fields: dict[str, object] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path, magic: bytes, arrays: int, names: Sequence[str], **fields: object) -> StartupCache:
        """The cache at ``path`` over the line files ``names`` (beside it): see :func:`unread_parts`."""
        cached = read_cache(path, magic, arrays, **fields)
        if cached is not None:
            files, loaded = cached
            parts = unread_parts(path.parent, names, files)
            if parts is not None:
                return cls(path, magic, files, loaded, parts, rebuilt=False, fields=fields)
        parts = unread_parts(path.parent, names, [])
        assert parts is not None  # with nothing read before, every file is new
        return cls(path, magic, [], [array("Q") for _ in range(arrays)], parts, rebuilt=True, fields=fields)

    def read(self, part: Part, end: int) -> None:
        """Note that the complete lines of ``part`` were read, up to ``end``."""
        state = part.state(end)
        if part.number < len(self.files):
            self.files[part.number] = state
        else:
            self.files.append(state)

    def save(self, arrays: Sequence[array]) -> None:
        """Write the cache back with ``arrays`` when anything was read (or it is new)."""
        if self.parts or self.rebuilt:
            write_cache(self.path, self.magic, self.files, arrays, **self.fields)
