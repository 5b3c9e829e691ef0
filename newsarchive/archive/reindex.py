"""``reindex``: rebuild every index from the closed WARCs, with the functions the crawl itself uses.

The CDXJ and ``.digests`` files come from :func:`newsarchive.archive.cdxj.index_warc` (what the crawl runs when
a WARC closes); the article index from :func:`newsarchive.extract.article_from_page` (the rule the spider
applies to every page) over each ``2xx`` HTML response, in WARC order, decoded as Scrapy decodes it. An
identical-payload revisit is analysed with its original's payload, as the spider saw the full page.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warcio.archiveiterator import ArchiveIterator

from newsarchive.archive.articles import INDEX_GLOB, ArticleIndexWriter, ArticleVersions
from newsarchive.archive.cdxj import CDXJ_SUFFIX, index_warc
from newsarchive.archive.content import ContentDecodingError, decode_content
from newsarchive.archive.records import RecordLocation
from newsarchive.archive.revisits import DIGESTS_SUFFIX, CaptureIndex
from newsarchive.extract import ArticleUrlPattern, ExtractionHints, article_from_page, is_html_document, parse_html

if TYPE_CHECKING:
    from newsarchive.archive.layout import ArchiveLayout


@dataclass(frozen=True)
class ReindexSummary:
    """What ``reindex`` rebuilt."""

    warc_files: int
    captures: int
    articles: int


def reindex(
    archive: ArchiveLayout, *, hints: ExtractionHints | None = None, article_url_pattern: str | None = None
) -> ReindexSummary:
    """Rebuild ``indexes/`` from the closed WARCs: build aside, then replace the old index files."""
    staging = archive.path / "indexes.reindex"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    warcs = archive.warc_files(include_open=False)
    for path in warcs:
        index_warc(path, staging)
    captures = CaptureIndex.load(staging)
    writer = ArticleIndexWriter(staging, datetime.now(UTC))
    articles = 0
    try:
        for entry in article_entries(archive, warcs, captures, hints, article_url_pattern):
            writer.append(entry)
            articles += 1
    finally:
        writer.close()
    archive.indexes_dir.mkdir(parents=True, exist_ok=True)
    for pattern in ("*" + CDXJ_SUFFIX, "*" + DIGESTS_SUFFIX, INDEX_GLOB):
        for old in archive.indexes_dir.glob(pattern):
            old.unlink()
    for new in staging.iterdir():
        new.replace(archive.indexes_dir / new.name)
    staging.rmdir()
    return ReindexSummary(warc_files=len(warcs), captures=len(captures), articles=articles)


def article_entries(
    archive: ArchiveLayout,
    warcs: list[Path],
    captures: CaptureIndex,
    hints: ExtractionHints | None,
    article_url_pattern: str | None,
) -> Iterator[dict[str, Any]]:
    """Article index entries for the responses of ``warcs``, with the crawl's versioning rule."""
    hints = hints or ExtractionHints()
    versions = ArticleVersions()
    is_article_url = ArticleUrlPattern(re.compile(article_url_pattern)) if article_url_pattern else None

    for path in warcs:
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                if record.rec_type not in ("response", "revisit") or not record.http_headers:
                    continue
                status = int(record.http_headers.get_statuscode())
                if not 200 <= status < 300:
                    continue
                # The crawl never parses a truncated body (spiders/truncation.py). (A revisit's WARC-Truncated
                # only says its payload is left out: the original's is read below.)
                if record.rec_type == "response" and record.rec_headers.get_header("WARC-Truncated"):
                    continue
                payload = record.raw_stream.read()
                if record.rec_type == "revisit":
                    original = captures.by_digest(record.rec_headers.get_header("WARC-Payload-Digest") or "")
                    if original is None:
                        continue
                    payload = archive.read_record(original.warc_file, original.offset)
                content_type = (record.http_headers.get_header("Content-Type") or "").encode("latin-1")
                try:
                    body = decode_content(payload, record.http_headers.get_header("Content-Encoding"))
                except ContentDecodingError:
                    continue  # Scrapy failed on it too: the spider never saw the page
                url = record.rec_headers.get_header("WARC-Target-URI")
                tree = parse_html(body, content_type) if is_html_document(body, content_type) else None
                article = article_from_page(tree, url, hints, is_article_url) if tree is not None else None
                if article is None:
                    continue
                date = datetime.fromisoformat(record.rec_headers.get_header("WARC-Date"))
                location = RecordLocation(
                    warc_file=path.name,
                    offset=records.get_record_offset(),
                    length=records.get_record_length(),
                    record_id=record.rec_headers.get_header("WARC-Record-ID"),
                    date=date,
                )
                # A re-fetch whose extracted content did not change is no new version (as in the crawl).
                if (entry := versions.entry(article, location, date)) is not None:
                    yield entry
