"""The JSON article index: one JSON object per line and per article version, pointing at its WARC record.

Each crawl appends to a file of its own (``indexes/articles-{YYYYmmddHHMMSS}-{pid}.jsonl``): one writer
per file, so overlapping writers can never interleave lines; readers merge every file they find.
:class:`ArticleIndex` is the one component that decides whether a capture is a new article, a new version or
nothing new, under one URL identity (:func:`~newsarchive.archive.urls.url_hash`): the crawl's pipeline,
``reindex`` and repair all add captures through it.

Beside it, the not-articles log (``indexes/not-articles-*.jsonl``) names each archived page that looked like
an article and gave none, with the reason: it is reported, and such a page counts as seen.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsarchive.archive.jsonl import JsonlWriter, parse_record, read_logs
from newsarchive.archive.layout import ARTICLES_LOG, INDEX_GLOB, NOT_ARTICLES_GLOB, NOT_ARTICLES_LOG, log_file_name
from newsarchive.archive.positions import LineFiles
from newsarchive.archive.urls import normalize_url, url_hash
from newsarchive.extract.article import Article
from newsarchive.extract.dates import localize
from newsarchive.keys import KeyMap

if TYPE_CHECKING:
    from newsarchive.archive.records import RecordLocation  # warcio: not loaded to read the index

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
EXTRA_KEYS = (
    "modified",
    "image",
    "canonical_url",
    "alternates",
    "story_id",
    "previous_record_id",
    "warc_offset",
    "warc_length",
)
# What makes two versions of an article differ: the extracted content, never the page's chrome or bytes.
CONTENT_KEYS = ("title", "text", "published", "category", "tags", "author", "description")


def index_entry(
    article: Article,
    location: RecordLocation,
    fetched_at: datetime,
    version: int = 1,
    *,
    previous_record_id: str | None = None,
) -> dict[str, Any]:
    """The index line for one article version (contract keys first, then the extra ones).

    ``story_id`` (:func:`story_id`) is shared by the language editions of one story;
    ``previous_record_id`` is the WARC record of the version this one replaces (None for a first version).
    """
    fields = {
        **article.to_dict(),
        "story_id": story_id(article.url, article.alternates),
        "previous_record_id": previous_record_id,
    }
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


def content_digest(fields: dict[str, Any]) -> str:
    """A digest of an article's extracted content (:data:`CONTENT_KEYS`): equal digests, same version."""
    content = json.dumps([fields.get(key) for key in CONTENT_KEYS], ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(content.encode("utf-8")).hexdigest()


def story_id(url: str, alternates: dict[str, str]) -> str:
    """One id for the language editions of a story: a digest of the sorted set of its (normalised) URLs.

    Each edition declares the same hreflang set (itself included), so each gets the same id; a page
    without alternates is a story of its own.
    """
    urls = sorted({normalize_url(url), *(normalize_url(u) for u in alternates.values())})
    return hashlib.sha1("\n".join(urls).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class LatestVersion:
    """What deciding an article's next version needs of its latest indexed one (not its text: reindex keeps one
    per URL in memory)."""

    version: int
    record_id: str | None
    digest: str

    @classmethod
    def of(cls, entry: dict[str, Any]) -> LatestVersion:
        """From an index entry."""
        return cls(entry.get("version") or 1, entry.get("warc_record_id"), content_digest(entry))


def next_version(fields: dict[str, Any], previous: LatestVersion | None) -> tuple[int, str | None] | None:
    """``(version, previous_record_id)`` of a new capture of an article given its latest indexed version,
    or None when the extracted content did not change (chrome-only changes make no new version)."""
    if previous is None:
        return 1, None
    if previous.digest == content_digest(fields):
        return None
    return previous.version + 1, previous.record_id


class ArticleIndexWriter(JsonlWriter):
    """Appends index lines to this process's own index file (:func:`~newsarchive.archive.layout.log_file_name`)."""

    def __init__(self, directory: str | os.PathLike[str], started: datetime, kind: str = ARTICLES_LOG) -> None:
        super().__init__(Path(directory) / log_file_name(kind, started))


def read_index(directory: str | os.PathLike[str], glob: str = INDEX_GLOB) -> Iterator[dict[str, Any]]:
    """Every index entry of every index file, oldest file first (lines counted as
    :mod:`~newsarchive.archive.jsonl` counts them: a torn last line is skipped)."""
    return read_logs(directory, glob)


_VERSION_KEY = b', "version": '


def url_and_version(raw: bytes) -> tuple[str | None, int]:
    """The ``url`` and ``version`` of one index line (bytes), without parsing the whole line.

    The index is written by ``json.dumps`` with its default separators, so the key ``version`` shows as
    ``, "version": N`` and nowhere else (a quote inside a string is escaped). A line in another shape is parsed.
    """
    at = raw.find(_VERSION_KEY)
    if at >= 0:
        start = at + len(_VERSION_KEY)
        end = start
        while end < len(raw) and 48 <= raw[end] <= 57:
            end += 1
        if end > start:
            return leading_url(raw), int(raw[start:end])
    try:
        entry = json.loads(raw)
    except ValueError:
        return None, 1
    return (entry.get("url"), entry.get("version") or 1) if isinstance(entry, dict) else (None, 1)


_URL_KEY = b'{"url": "'
_DIGITS = re.compile(rb"[0-9]+")


def urls_and_versions(block: bytes) -> Iterator[tuple[int, str | None, int]]:
    """``(offset, url, version)`` of each line of ``block``, as :func:`url_and_version` reads it; a line of the
    usual shape (``{"url": "...", ..., "version": N, ...}``, its URL without escapes) is read in place, without
    being copied out of the block."""
    find, size, pos = block.find, len(block), 0
    while pos < size:
        end = find(b"\n", pos)
        if end < 0:
            end = size
        at = find(_VERSION_KEY, pos, end)
        digits = _DIGITS.match(block, at + len(_VERSION_KEY), end) if at >= 0 else None
        quote = find(b'"', pos + len(_URL_KEY), end)
        if (
            digits
            and quote >= 0
            and block.startswith(_URL_KEY, pos)
            and b"\\" not in (url := block[pos + len(_URL_KEY) : quote])
        ):
            yield pos, url.decode("utf-8", errors="replace"), int(digits[0])
        else:
            yield (pos, *url_and_version(block[pos:end]))
        pos = end + 1


def indexed_record_ids(directory: str | os.PathLike[str]) -> set[str]:
    """The WARC record ids the article index names (each line's ``warc_record_id``)."""
    return {entry["warc_record_id"] for entry in read_index(directory) if entry.get("warc_record_id")}


def leading_url(raw: bytes) -> str | None:
    """The ``url`` of one index line (bytes), decoding only that string: lines start with ``{"url": "``.

    A line in another shape (hand-edited) is parsed whole; a line that is not JSON gives None.
    """
    if raw.startswith(b'{"url": "'):
        plain = raw[9 : raw.find(b'"', 9)]
        if b"\\" not in plain:
            return plain.decode("utf-8", errors="replace")
        return json.decoder.scanstring(raw.decode("utf-8", errors="replace"), 9)[0]  # type: ignore[attr-defined]
    try:
        url = json.loads(raw).get("url")
    except (ValueError, AttributeError):
        return None
    return url if isinstance(url, str) else None


def url_positions(directory: str | os.PathLike[str], key: Callable[[str], int]) -> tuple[LineFiles, dict[int, int]]:
    """Where the latest index line of each article URL is: ``key(url)`` -> its packed position
    (:mod:`newsarchive.archive.positions`) among the returned files.

    Files are read in name order (a crawl's file is named by its start time), so a later line wins.
    Only each line's leading ``url`` string is decoded (:func:`leading_url`).
    """
    files = LineFiles()
    positions: dict[int, int] = {}
    for path in sorted(Path(directory).glob(INDEX_GLOB)):
        for position, raw in files.scan(path):
            if (url := leading_url(raw)) is not None:
                positions[key(url)] = position
    return files, positions


def entry_at(files: LineFiles, position: int) -> dict[str, Any] | None:
    """The index entry at a position from :func:`url_positions` (one seek, one line); None when it does not parse."""
    return parse_record(files.line_at(position))


class ArticleIndex:
    """The article index as one component: decides new article, new version or nothing, and appends the line.

    A URL's latest version comes from this component's own additions, else (when ``existing``) from the index
    files already in ``directory``, read lazily on the first URL that ``archived`` says may be there (all URLs
    when ``archived`` is None). So a crawl, a repair after a killed crawl and a ``reindex`` number versions
    alike. Shown local times are placed in the zone the caller gives (see
    :func:`newsarchive.extract.dates.localize`) before the content is compared.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        started: datetime,
        *,
        trailing_slash: str = "keep",
        existing: bool = True,
        archived: Callable[[str], bool] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.trailing_slash = trailing_slash
        self.writer = ArticleIndexWriter(directory, started)
        self._existing = existing
        self._archived = archived
        # The URLs this component added, by key: where their latest line is in its own file (read back when the
        # same URL comes again, rare within a run), not the whole version, 16 bytes each: small for a big crawl.
        self._added = KeyMap()
        self._own = LineFiles([self.writer.path])
        self._files = LineFiles()
        self._positions: dict[int, int] | None = None

    def url_hash(self, url: str) -> int:
        """The URL identity of ``url``."""
        return url_hash(url, self.trailing_slash)

    def latest(self, url: str) -> LatestVersion | None:
        """The latest indexed version of ``url``, if any."""
        key = self.url_hash(url)
        if (offset := self._added.get(key)) is not None and (added := entry_at(self._own, offset)) is not None:
            return LatestVersion.of(added)
        if not self._existing or (self._archived is not None and not self._archived(url)):
            return None
        if self._positions is None:
            self._files, self._positions = url_positions(self.directory, self.url_hash)
        position = self._positions.get(key)
        entry = None if position is None else entry_at(self._files, position)
        return None if entry is None else LatestVersion.of(entry)

    def add(
        self,
        article: Article,
        location: RecordLocation,
        fetched_at: datetime,
        tz: tzinfo | None = None,
    ) -> dict[str, Any] | None:
        """Append this capture's line when it is a new article or a new version; return it (else None).

        ``tz`` places a shown local time (see :func:`newsarchive.extract.dates.localize`).
        """
        article.published = localize(article.published, tz)
        article.modified = localize(article.modified, tz)
        previous = self.latest(article.url)
        decided = next_version(article.to_dict(), previous)
        if decided is None:
            return None
        version, previous_record_id = decided
        entry = index_entry(article, location, fetched_at, version, previous_record_id=previous_record_id)
        self._added[self.url_hash(article.url)] = self.writer.append(entry)
        return entry

    def close(self) -> None:
        """Flush and close this component's index file."""
        self.writer.close()


class NotArticleLog:
    """Appends one line per archived page that looked like an article and gave none (URL, reason, record)."""

    def __init__(self, directory: str | os.PathLike[str], started: datetime) -> None:
        self.writer = ArticleIndexWriter(directory, started, kind=NOT_ARTICLES_LOG)

    def append(self, url: str, reason: str, location: RecordLocation) -> None:
        """Name one page (its line starts with its ``url``, as the seen-set reads it)."""
        self.writer.append(
            {
                "url": url,
                "reason": reason,
                "fetched_at": location.date.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "warc_file": location.warc_file,
                "warc_record_id": location.record_id,
            }
        )

    def close(self) -> None:
        """Flush and close the log file."""
        self.writer.close()


def read_not_articles(directory: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every complete line of the not-articles logs, oldest file first."""
    return read_index(directory, NOT_ARTICLES_GLOB)
