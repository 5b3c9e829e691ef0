"""The archive directory's layout: the name of every file and folder in it, and reading one record by its location.

Every module that reads or writes a file of the archive takes its name from here. Kept apart from
:class:`newsarchive.archive.reader.Archive` so that the modules ``Archive`` delegates to (``verify``, ``reindex``,
``repair``) can take the directory without importing the reader; and light (warcio is imported only to read a
record), so that commands that read no WARC start fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newsarchive.errors import access_error

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord

# The source of truth, and the indexes rebuildable from it (``reindex`` builds them aside first).
WARC_DIR = "warc"
INDEXES_DIR = "indexes"
# The crawl's requests waiting to be fetched (spiders/frontier.py): there only while a crawl runs.
QUEUE_DIR = "queue"
REINDEX_STAGING_DIR = "indexes.reindex"
WARC_SUFFIX = ".warc.gz"
# A WARC's name starts with this prefix by default; the writer starts the next file once one reaches this size.
DEFAULT_WARC_PREFIX = "newsarchive"
DEFAULT_WARC_MAX_SIZE = 1_000_000_000
# A WARC being written; renamed without the suffix once closed.
OPEN_SUFFIX = ".open"
# Per closed WARC, in ``indexes/``: its CDXJ and its revisitable originals (see newsarchive.archive.cdxj).
CDXJ_SUFFIX = ".cdxj"
DIGESTS_SUFFIX = ".digests"
# Append-only logs in ``indexes/``, one file per writing process (see log_file_name).
ARTICLES_LOG = "articles"
NOT_ARTICLES_LOG = "not-articles"
INDEX_GLOB = f"{ARTICLES_LOG}-*.jsonl"
NOT_ARTICLES_GLOB = f"{NOT_ARTICLES_LOG}-*.jsonl"
# Caches in ``indexes/``: deleting one only costs work.
SEEN_CACHE_NAME = "seen-urls.bin"
CAPTURES_CACHE_NAME = "captures.bin"
VALIDATORS_NAME = "validators.json"
# At the archive's top level.
RUNS_NAME = "runs.jsonl"
FACTS_NAME = "site-facts.json"
CONFIG_NAME = "newsarchive.toml"
LOCK_NAME = "crawl.lock"
JOIN_LOCK_NAME = "crawl.lock.join"
ARCHIVE_ID_NAME = "archive-id"
DEMO_SITE_NAME = "demo-site.json"


def warc_file_name(prefix: str, started: datetime, serial: int, host: str, pid: int | None = None) -> str:
    """``{prefix}-{YYYYmmddHHMMSS}-{serial:05d}-{host}-{pid}.warc.gz``: names sort by start time; the pid is the
    crawl's (this process's unless given)."""
    crawl_pid = os.getpid() if pid is None else pid
    return f"{prefix}-{started.strftime('%Y%m%d%H%M%S')}-{serial:05d}-{host}-{crawl_pid}{WARC_SUFFIX}"


def index_file_name(warc_file: str, suffix: str) -> str:
    """``newsarchive-...-123.warc.gz`` (or ``.warc.gz.open``) -> ``newsarchive-...-123<suffix>``."""
    return Path(warc_file).name.removesuffix(OPEN_SUFFIX).removesuffix(WARC_SUFFIX) + suffix


def log_file_name(kind: str, started: datetime) -> str:
    """``{kind}-{YYYYmmddHHMMSS}-{pid}.jsonl``: one writer per file, so lines of two writers never interleave."""
    return f"{kind}-{started.strftime('%Y%m%d%H%M%S')}-{os.getpid()}.jsonl"


class ArchiveLayout:
    """An archive directory: ``warc/`` (the source of truth) and ``indexes/`` (rebuildable from it)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @property
    def warc_dir(self) -> Path:
        """Where the WARC files are."""
        return self.path / WARC_DIR

    @property
    def indexes_dir(self) -> Path:
        """Where the CDXJ and article indexes are."""
        return self.path / INDEXES_DIR

    @property
    def queue_dir(self) -> Path:
        """Where a running crawl keeps the requests waiting to be fetched."""
        return self.path / QUEUE_DIR

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
        files = list(self.warc_dir.glob("*" + WARC_SUFFIX))
        if include_open:
            files += self.warc_dir.glob("*" + WARC_SUFFIX + OPEN_SUFFIX)
        return sorted(files, key=lambda p: p.name)

    def warc_path(self, warc_file: str) -> Path:
        """The path of a WARC named in an index, whether still ``.open`` or closed."""
        closed = self.warc_dir / Path(warc_file).name
        if closed.exists():
            return closed
        return closed.with_name(closed.name + OPEN_SUFFIX)

    def records(self) -> Iterator[tuple[Path, ArcWarcRecord]]:
        """Every WARC record with the file it is in, streamed."""
        from warcio.archiveiterator import ArchiveIterator

        for path in self.warc_files():
            with open(path, "rb") as stream:
                for record in ArchiveIterator(stream):
                    yield path, record

    def read_record(self, warc_file: str, offset: int) -> bytes:
        """The payload of the record at ``offset`` (one seek, no scan), content-coding as stored."""
        return self.record_at(warc_file, offset)[1]

    def record_at(self, warc_file: str, offset: int) -> tuple[ArcWarcRecord, bytes]:
        """The record at ``offset`` (one seek) and its payload exactly as stored (content-coding kept)."""
        from warcio.archiveiterator import ArchiveIterator

        with open(self.warc_path(warc_file), "rb") as stream:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(stream)))
            return record, record.raw_stream.read()
