"""``Archive(path)``: the archive directory as a Python object: its WARCs, articles and exports."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from newsarchive.archive.articles import read_index, read_not_articles
from newsarchive.archive.binsearch import lines_starting_with
from newsarchive.archive.content import decode_content
from newsarchive.archive.dataset import (
    EXPORT_FORMATS,
    ArticleFilter,
    dataset_row,
    parse_fields,
    write_csv,
    write_parquet,
)
from newsarchive.archive.export import export_jsonl, index_ranges, range_entries, selected_lines
from newsarchive.archive.facts import ArticleRule
from newsarchive.archive.layout import CDXJ_SUFFIX, OPEN_SUFFIX, ArchiveLayout
from newsarchive.archive.lock import ArchiveLock, lock_holder
from newsarchive.errors import ArchiveNotFoundError, ConfigError, NewsArchiveError, access_error

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord

    from newsarchive.archive.reindex import ReindexSummary
    from newsarchive.archive.repair import RepairReport
    from newsarchive.archive.verify import Problem

ARCHIVE_ENV = "NEWSARCHIVE_ARCHIVE"
DEFAULT_ARCHIVE = "newsarchive-data"


def default_archive_path() -> Path:
    """``$NEWSARCHIVE_ARCHIVE``, else ``./newsarchive-data``."""
    return Path(os.environ.get(ARCHIVE_ENV) or DEFAULT_ARCHIVE)


class CaptureNotFoundError(NewsArchiveError):
    """No capture of the URL is in the archive's CDXJ indexes."""


@dataclass(frozen=True)
class CaptureEntry:
    """One CDXJ line: a response or revisit of ``url`` at ``timestamp`` (14 digits, UTC)."""

    url: str
    timestamp: str
    fields: dict[str, str]

    @property
    def is_revisit(self) -> bool:
        """Whether the record holds no payload of its own."""
        return self.fields.get("mime") == "warc/revisit"


@dataclass(frozen=True)
class StoredCapture:
    """A capture read back: its HTTP head and its payload as stored (content-coding kept).

    For a revisit, ``http_head`` is the revisit's own and ``payload`` the original's.
    """

    url: str
    timestamp: str
    record_type: str
    status: int
    http_head: bytes
    content_encoding: str | None
    payload: bytes
    warc_file: str
    offset: int

    @property
    def body(self) -> bytes:
        """The entity the server meant: payload with its Content-Encoding undone."""
        return decode_content(self.payload, self.content_encoding)


@dataclass(frozen=True)
class ArchiveStats:
    """Counts and sizes of an archive."""

    warc_files: int
    open_warc_files: int
    warc_bytes: int
    articles: int
    article_versions: int
    # Archived pages that looked like articles and gave none (and are no article since): URL -> reason.
    not_articles: dict[str, str] = field(default_factory=dict)
    requisites: int = 0  # page requisites (stylesheets, images, fonts) archived, by URL


class Archive(ArchiveLayout):
    """An archive directory: ``warc/`` (the source of truth) and ``indexes/`` (rebuildable from it)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, create: bool = False) -> None:
        super().__init__(path if path is not None else default_archive_path())
        if create:
            try:
                self.warc_dir.mkdir(parents=True, exist_ok=True)
                self.indexes_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise access_error(self.path, error, "create the archive directory") from error
        elif not self.warc_dir.is_dir():
            raise ArchiveNotFoundError(
                f"no archive at {self.path}: run `newsarchive crawl URL --archive {self.path}` first, "
                "or pass the right --archive"
            )

    def capture_entries(self, url: str) -> list[CaptureEntry]:
        """Every CDXJ entry of ``url`` (closed WARCs only: a WARC is indexed when it closes), oldest first.

        Each CDXJ file is sorted, so its lines of ``url`` are found by binary search, not read through.
        """
        from newsarchive.archive.cdxj import surt_key  # warcio and surt: loaded for captures, not for articles

        prefix = (surt_key(url) + " ").encode("utf-8")
        found: list[CaptureEntry] = []
        for path in sorted(self.indexes_dir.glob("*" + CDXJ_SUFFIX)):
            for line in lines_starting_with(path, prefix):
                _, timestamp, fields = line.decode("utf-8").rstrip("\n").split(" ", 2)
                found.append(CaptureEntry(url, timestamp, json.loads(fields)))
        return sorted(found, key=lambda entry: entry.timestamp)

    def capture(self, url: str, at: str | None = None) -> StoredCapture:
        """The capture of ``url`` nearest to ``at`` (a 1-14 digit timestamp prefix, as pywb's), else the latest.

        Read through the CDXJ index, one seek into the WARC; a revisit's payload comes from its original.
        """
        entries = self.capture_entries(url)
        if not entries:
            raise CaptureNotFoundError(
                f"{url} is not in the archive's indexes; check the URL, "
                "or run `newsarchive reindex` after a cut-short crawl"
            )
        if at is None:
            entry = entries[-1]
        else:
            target = int(at.ljust(14, "0")[:14])
            entry = min(entries, key=lambda e: abs(int(e.timestamp) - target))
        record, payload = self.record_at(entry.fields["filename"], int(entry.fields["offset"]))
        http = record.http_headers
        if record.rec_type == "revisit":
            payload = self._original_payload(record)
        return StoredCapture(
            url=url,
            timestamp=entry.timestamp,
            record_type=record.rec_type,
            status=int(http.get_statuscode()),
            http_head=http.headers_buff or http.to_bytes(),
            content_encoding=http.get_header("Content-Encoding"),
            payload=payload,
            warc_file=entry.fields["filename"],
            offset=int(entry.fields["offset"]),
        )

    def _original_payload(self, revisit: ArcWarcRecord) -> bytes:
        headers = revisit.rec_headers
        original_url = headers.get_header("WARC-Refers-To-Target-URI")
        from warcio.timeutils import iso_date_to_timestamp  # warcio loads when a capture is read

        timestamp = iso_date_to_timestamp(headers.get_header("WARC-Refers-To-Date"))
        digest = headers.get_header("WARC-Payload-Digest")
        for entry in self.capture_entries(original_url):
            if (
                entry.timestamp == timestamp
                and not entry.is_revisit
                and (not digest or entry.fields["digest"] == digest)
            ):
                return self.record_at(entry.fields["filename"], int(entry.fields["offset"]))[1]
        raise CaptureNotFoundError(
            f"the original of the revisit of {headers.get_header('WARC-Target-URI')} ({original_url} at {timestamp}) "
            "is not indexed; run `newsarchive reindex`"
        )

    def reindex(self, rule: ArticleRule | None = None) -> ReindexSummary:
        """Rebuild every index (CDXJ, capture digests, article index, not-articles log) from the closed WARCs
        alone, telling articles by ``rule`` (a profile's ``article_rule()``; by default the rule the archive
        remembers its last crawl by).

        Raises an ArchiveAccessError, touching nothing, when the archive or its indexes cannot be written.
        """
        # Reindexing, verifying and repairing load the extraction stack; reading the index does not.
        from newsarchive.archive.reindex import reindex

        self.require_writable(self.path, self.indexes_dir)
        try:
            return reindex(self, rule)
        except PermissionError as error:
            raise access_error(self.path, error) from error

    def verify(self) -> list[Problem]:
        """Check digests, HTTP-level consistency, gzip members and index/WARC agreement, and look for crash
        damage (torn tails, WARCs left ``.open``, torn index lines) unless a crawl is writing right now."""
        from newsarchive.archive.repair import find_damage
        from newsarchive.archive.verify import verify

        problems = verify(self)
        if lock_holder(self.path) is None:
            problems += find_damage(self, closed_files=False)
        return problems

    def repair(self, rule: ArticleRule | None = None) -> RepairReport:
        """Mend crash damage under the crawl lock (raises ArchiveLockedError while a crawl runs): cut torn
        tails, finish WARCs left ``.open``, rebuild missing index lines; never delete a complete record."""
        from newsarchive.archive.repair import repair

        self.require_writable()
        with ArchiveLock(self.path):
            return repair(self, rule)

    def articles(
        self,
        *,
        all_versions: bool = False,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
        site: str | None = None,
        lang: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Articles as dataset rows (:func:`~newsarchive.archive.dataset.dataset_row`), the latest version per
        URL unless ``all_versions``; filters are inclusive.

        ``since``/``until`` take a date, a datetime (naive means UTC) or an ISO string of either: a date compares
        with the local date the site printed, a datetime with the published instant
        (:func:`~newsarchive.archive.dataset.published_within`). ``site`` and ``lang`` ignore case.
        """
        return map(dataset_row, self._entries(all_versions, ArticleFilter.of(since, until, site, lang)))

    def _entries(self, all_versions: bool, accepts: ArticleFilter) -> Iterator[dict[str, Any]]:
        parts = index_ranges(self.indexes_dir)
        for part, offsets in zip(parts, selected_lines(parts, all_versions), strict=True):
            yield from filter(accepts, range_entries(part, offsets))

    def export(
        self,
        output: IO[str] | IO[bytes] | str | os.PathLike[str],
        format: str = "jsonl",
        fields: str | Sequence[str] | None = None,
        on_row: Callable[[], None] | None = None,
        *,
        all_versions: bool = False,
        **filters: Any,
    ) -> int:
        """Stream articles to ``output`` as JSONL (a binary stream, or a text one), CSV (a text stream) or
        Parquet (a path or a binary stream), with ``fields`` (names, or ``"a,b,c"``) in that order, all of them by
        default; returns how many.

        ``on_row`` is called after each row (a progress bar); ``filters`` are those of :meth:`articles`. A big
        index is exported to JSONL on every core (:func:`~newsarchive.archive.export.export_jsonl`).
        """
        if format not in EXPORT_FORMATS:
            raise ConfigError(f"unknown export format {format!r}; use one of: {', '.join(EXPORT_FORMATS)}")
        columns = parse_fields(fields)
        accepts = ArticleFilter.of(**filters)
        if format == "jsonl":
            write = output.write if not isinstance(output, io.TextIOBase) else _decoded(output)  # type: ignore[union-attr]
            on_rows = None if on_row is None else partial(_repeat, on_row)
            return export_jsonl(
                self.indexes_dir, write, fields=columns, accepts=accepts, all_versions=all_versions, on_rows=on_rows
            )
        rows = (dataset_row(entry, columns) for entry in self._entries(all_versions, accepts))
        if on_row is not None:
            rows = _counted(rows, on_row)
        if format == "parquet":
            return write_parquet(rows, output, columns)  # type: ignore[arg-type]
        return write_csv(rows, output, columns)  # type: ignore[arg-type]

    def stats(self) -> ArchiveStats:
        """How many WARC files, bytes and articles the archive holds."""
        from newsarchive.archive.cdxj import read_cdxj  # warcio, for the requisites' media types

        files = self.warc_files()
        urls: set[str] = set()
        versions = 0
        for entry in read_index(self.indexes_dir):
            urls.add(entry["url"])
            versions += 1
        not_articles = {e["url"]: e.get("reason") or "" for e in read_not_articles(self.indexes_dir)}
        requisites = {
            fields["url"] for _, _, fields in read_cdxj(self.indexes_dir) if is_requisite_type(fields.get("mime"))
        }
        return ArchiveStats(
            warc_files=len(files),
            open_warc_files=sum(1 for f in files if f.name.endswith(OPEN_SUFFIX)),
            warc_bytes=sum(f.stat().st_size for f in files),
            articles=len(urls),
            article_versions=versions,
            not_articles={url: reason for url, reason in not_articles.items() if url not in urls},
            requisites=len(requisites),
        )


def is_requisite_type(mime: str | None) -> bool:
    """Whether a capture's media type is that of a page requisite: a stylesheet, an image or a font."""
    mime = (mime or "").lower()
    return mime == "text/css" or mime.startswith(("image/", "font/", "application/font-", "application/x-font-"))


def _counted(rows: Iterable[dict[str, Any]], on_row: Callable[[], None]) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield row
        on_row()


def _repeat(on_row: Callable[[], None], times: int) -> None:
    for _ in range(times):
        on_row()


def _decoded(output: IO[str]) -> Callable[[bytes], object]:
    return lambda data: output.write(data.decode("utf-8"))
