"""The archive directory's layout: where WARCs and indexes are, and reading one record by its location.

Kept apart from :class:`newsarchive.archive.reader.Archive` so that the modules ``Archive`` delegates to
(``verify``, ``reindex``, ``repair``) can take the directory without importing the reader.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from newsarchive.archive.writer import OPEN_SUFFIX
from newsarchive.errors import access_error


class ArchiveLayout:
    """An archive directory: ``warc/`` (the source of truth) and ``indexes/`` (rebuildable from it)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @property
    def warc_dir(self) -> Path:
        """Where the WARC files are."""
        return self.path / "warc"

    @property
    def indexes_dir(self) -> Path:
        """Where the CDXJ and article indexes are."""
        return self.path / "indexes"

    def require_writable(self, *directories: Path) -> None:
        """Raise an ArchiveAccessError (touching nothing) unless each directory (default: the archive, ``warc/``
        and ``indexes/``) exists and this process may create files in it."""
        for directory in directories or (self.path, self.warc_dir, self.indexes_dir):
            if not directory.is_dir():
                error: OSError = NotADirectoryError(20, "Not a directory", str(directory))
                if not directory.exists():
                    error = FileNotFoundError(2, "No such file or directory", str(directory))
                raise access_error(self.path, error, "write to")
            if not os.access(directory, os.W_OK | os.X_OK):
                raise access_error(self.path, PermissionError(13, "Permission denied", str(directory)), "write to")

    def warc_files(self, include_open: bool = True) -> list[Path]:
        """WARC files, oldest first by name; ``.open`` ones (being written) too unless told otherwise."""
        files = list(self.warc_dir.glob("*.warc.gz"))
        if include_open:
            files += self.warc_dir.glob("*.warc.gz" + OPEN_SUFFIX)
        return sorted(files, key=lambda p: p.name)

    def warc_path(self, warc_file: str) -> Path:
        """The path of a WARC named in an index, whether still ``.open`` or closed."""
        closed = self.warc_dir / Path(warc_file).name
        if closed.exists():
            return closed
        return closed.with_name(closed.name + OPEN_SUFFIX)

    def records(self) -> Iterator[tuple[Path, ArcWarcRecord]]:
        """Every WARC record with the file it is in, streamed."""
        for path in self.warc_files():
            with open(path, "rb") as stream:
                for record in ArchiveIterator(stream):
                    yield path, record

    def read_record(self, warc_file: str, offset: int) -> bytes:
        """The payload of the record at ``offset`` (one seek, no scan), content-coding as stored."""
        return self.record_at(warc_file, offset)[1]

    def record_at(self, warc_file: str, offset: int) -> tuple[ArcWarcRecord, bytes]:
        """The record at ``offset`` (one seek) and its payload exactly as stored (content-coding kept)."""
        with open(self.warc_path(warc_file), "rb") as stream:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(stream)))
            return record, record.raw_stream.read()
