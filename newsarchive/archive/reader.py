"""``Archive(path)``: the archive directory as a Python object: its WARCs, articles and exports."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from newsarchive.archive.articles import CONTRACT_KEYS, EXTRA_KEYS, read_index
from newsarchive.archive.writer import OPEN_SUFFIX
from newsarchive.errors import ArchiveNotFoundError, ConfigError

ARCHIVE_ENV = "NEWSARCHIVE_ARCHIVE"
DEFAULT_ARCHIVE = "newsarchive-data"
EXPORT_FORMATS = ("jsonl", "csv")


def default_archive_path() -> Path:
    """``$NEWSARCHIVE_ARCHIVE``, else ``./newsarchive-data``."""
    return Path(os.environ.get(ARCHIVE_ENV) or DEFAULT_ARCHIVE)


@dataclass(frozen=True)
class ArchiveStats:
    """Counts and sizes of an archive."""

    warc_files: int
    open_warc_files: int
    warc_bytes: int
    articles: int
    article_versions: int


class Archive:
    """An archive directory: ``warc/`` (the source of truth) and ``indexes/`` (rebuildable from it)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, create: bool = False) -> None:
        self.path = Path(path) if path is not None else default_archive_path()
        if create:
            self.warc_dir.mkdir(parents=True, exist_ok=True)
            self.indexes_dir.mkdir(parents=True, exist_ok=True)
        elif not self.warc_dir.is_dir():
            raise ArchiveNotFoundError(
                f"no archive at {self.path}: run `newsarchive crawl URL --archive {self.path}` first, "
                "or pass the right --archive"
            )

    @property
    def warc_dir(self) -> Path:
        """Where the WARC files are."""
        return self.path / "warc"

    @property
    def indexes_dir(self) -> Path:
        """Where the CDXJ and article indexes are."""
        return self.path / "indexes"

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
        with open(self.warc_path(warc_file), "rb") as stream:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(stream)))
            return record.content_stream().read() if record.rec_type == "response" else record.raw_stream.read()

    def articles(
        self,
        *,
        all_versions: bool = False,
        since: str | None = None,
        until: str | None = None,
        site: str | None = None,
        lang: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Article index entries, the latest version per URL unless ``all_versions``; filters are inclusive.

        ``since``/``until`` compare against ``published`` as ISO strings (a date or a timestamp).
        """
        latest: dict[str, int] = {}
        if not all_versions:
            for entry in read_index(self.indexes_dir):
                latest[entry["url"]] = max(latest.get(entry["url"], 0), entry.get("version") or 1)
        emitted: set[str] = set()
        for entry in read_index(self.indexes_dir):
            if not all_versions:
                if entry["url"] in emitted or (entry.get("version") or 1) != latest[entry["url"]]:
                    continue
                emitted.add(entry["url"])
            if _matches(entry, since=since, until=until, site=site, lang=lang):
                yield entry

    def export(self, output: IO[str], format: str = "jsonl", **filters: Any) -> int:
        """Stream articles to ``output`` as JSONL or CSV (contract keys first); returns how many."""
        if format not in EXPORT_FORMATS:
            raise ConfigError(f"unknown export format {format!r}; use one of: {', '.join(EXPORT_FORMATS)}")
        rows = (exported_fields(entry) for entry in self.articles(**filters))
        return (write_jsonl if format == "jsonl" else write_csv)(rows, output)

    def stats(self) -> ArchiveStats:
        """How many WARC files, bytes and articles the archive holds."""
        files = self.warc_files()
        urls: set[str] = set()
        versions = 0
        for entry in read_index(self.indexes_dir):
            urls.add(entry["url"])
            versions += 1
        return ArchiveStats(
            warc_files=len(files),
            open_warc_files=sum(1 for f in files if f.name.endswith(OPEN_SUFFIX)),
            warc_bytes=sum(f.stat().st_size for f in files),
            articles=len(urls),
            article_versions=versions,
        )


def exported_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """An index entry as exported: every contract key (null when unknown), then the extra fields."""
    row = {key: entry.get(key) for key in CONTRACT_KEYS}
    row.update({key: entry.get(key) for key in EXTRA_KEYS})
    return row


def _matches(
    entry: dict[str, Any], *, since: str | None, until: str | None, site: str | None, lang: str | None
) -> bool:
    published = entry.get("published") or ""
    if since and (not published or published[: len(since)] < since):
        return False
    if until and (not published or published[: len(until)] > until):
        return False
    if site and entry.get("site") != site:
        return False
    return not (lang and entry.get("language") != lang)


def write_jsonl(rows: Iterable[dict[str, Any]], output: IO[str]) -> int:
    """One JSON object per line, written as produced."""
    count = 0
    for row in rows:
        output.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = (
        "|".join(value)
        if isinstance(value, list)
        else (json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value))
    )
    # A spreadsheet would run a cell starting with these as a formula: prefix it so it stays text.
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(rows: Iterable[dict[str, Any]], output: IO[str]) -> int:
    """CSV with a header row; lists joined with ``|``; formula-like cells neutralised with a quote."""
    writer: csv.DictWriter | None = None
    count = 0
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(output, fieldnames=list(row))
            writer.writeheader()
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
        count += 1
    return count
