"""The JSON article index: one JSON object per line and per article version, pointing at its WARC record.

Each crawl appends to a file of its own (``indexes/articles-{YYYYmmddHHMMSS}-{pid}.jsonl``): one writer
per file, so overlapping writers can never interleave lines; readers merge every file they find.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from newsarchive.archive.records import RecordLocation
from newsarchive.extract.article import Article

# The contract's keys, in the contract's order; export writes them first and always.
CONTRACT_KEYS = (
    "url",
    "title",
    "text",
    "published",
    "language",
    "category",
    "tags",
    "author",
    "description",
    "site",
    "fetched_at",
    "version",
    "warc_file",
    "warc_record_id",
)
EXTRA_KEYS = ("modified", "image", "canonical_url", "alternates", "warc_offset", "warc_length")
INDEX_GLOB = "articles-*.jsonl"


def index_entry(article: Article, location: RecordLocation, fetched_at: datetime, version: int = 1) -> dict[str, Any]:
    """The index line for one article version (contract keys first, then the extra ones)."""
    fields = article.to_dict()
    entry: dict[str, Any] = {key: fields.get(key) for key in CONTRACT_KEYS}
    entry.update(
        fetched_at=fetched_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        version=version,
        warc_file=location.warc_file,
        warc_record_id=location.record_id,
    )
    entry.update({key: fields.get(key) for key in EXTRA_KEYS if key in fields})
    entry.update(warc_offset=location.offset, warc_length=location.length)
    return entry


class ArticleIndexWriter:
    """Appends index lines to this process's own index file; each line is flushed whole."""

    def __init__(self, directory: str | os.PathLike[str], started: datetime) -> None:
        self.path = Path(directory) / f"articles-{started.strftime('%Y%m%d%H%M%S')}-{os.getpid()}.jsonl"
        self._file: IO[str] | None = None

    def append(self, entry: dict[str, Any]) -> None:
        """Write one line and flush it, so readers and a later crash see only whole lines."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - lives until close()
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        """Sync and close the file."""
        if self._file is not None:
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None


def read_index(directory: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every complete index line of every index file, oldest file first; a torn last line is skipped."""
    for path in sorted(Path(directory).glob(INDEX_GLOB)):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if not line.endswith("\n"):
                    break  # being written, or torn by a crash: verify reports it
                try:
                    yield json.loads(line)
                except ValueError:
                    continue
