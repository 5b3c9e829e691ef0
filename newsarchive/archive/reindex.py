"""``reindex``: rebuild every index from the closed WARCs, with the functions the crawl itself uses.

The CDXJ and ``.digests`` files come from :func:`newsarchive.archive.cdxj.index_warc` (what the crawl runs when
a WARC closes); the article index and the not-articles log from :func:`newsarchive.extract.article_from_page`
(the rule the spider applies to every page) over each ``2xx`` HTML response, in WARC order, decoded as Scrapy
decodes it, through :class:`~newsarchive.archive.articles.ArticleIndex`, with the site facts the crawl learned.
An identical-payload revisit is analysed with its original's payload, as the spider saw the full page.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import html
from warcio.archiveiterator import ArchiveIterator

from newsarchive.archive.articles import ArticleIndex, NotArticleLog
from newsarchive.archive.cdxj import index_warc
from newsarchive.archive.content import ContentDecodingError, decode_content
from newsarchive.archive.facts import ArticleRule, SiteFacts, load_facts, save_facts
from newsarchive.archive.layout import (
    CDXJ_SUFFIX,
    DIGESTS_SUFFIX,
    INDEX_GLOB,
    NOT_ARTICLES_GLOB,
    REINDEX_STAGING_DIR,
    ArchiveLayout,
)
from newsarchive.archive.records import RecordLocation
from newsarchive.archive.revisits import CaptureIndex
from newsarchive.extract import (
    PageVerdict,
    article_from_page,
    is_html_document,
    parse_html,
)
from newsarchive.extract.dates import zone
from newsarchive.extract.metadata import PageMetadata


@dataclass(frozen=True)
class ReindexSummary:
    """What ``reindex`` rebuilt."""

    warc_files: int
    captures: int
    articles: int
    not_articles: int = 0


@dataclass(frozen=True)
class PageCapture:
    """One archived ``2xx`` page as the spider saw it: its URL, record and the verdict on it."""

    url: str
    location: RecordLocation
    verdict: PageVerdict


def reindex(archive: ArchiveLayout, rule: ArticleRule | None = None) -> ReindexSummary:
    """Rebuild ``indexes/`` from the closed WARCs: build aside, then replace the old index files.

    ``rule`` defaults to the one the archive remembers its last crawl by (else the generic rule). The site
    facts (:mod:`newsarchive.archive.facts`) the crawls learned are used as they are; an archive without them
    (written before they existed) has them learned from its WARCs first, and kept.
    """
    facts = load_facts(archive.path)
    rule = rule or (facts.rule if facts and facts.rule else ArticleRule())
    staging = archive.path / REINDEX_STAGING_DIR
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    warcs = archive.warc_files(include_open=False)
    for path in warcs:
        index_warc(path, staging)
    captures = CaptureIndex.load(staging)
    learned = facts is None
    if facts is None:
        facts = learn_facts(archive, warcs, captures, rule)
    started = datetime.now(UTC)
    index = ArticleIndex(staging, started, trailing_slash=rule.trailing_slash, existing=False)
    not_articles = NotArticleLog(staging, started)
    articles = misses = 0
    try:
        for page in page_captures(archive, warcs, captures, rule, facts):
            if page.verdict.article is not None:
                articles += index_article(index, page, facts) is not None
            elif page.verdict.looked_like_article:
                not_articles.append(page.url, page.verdict.reason or "no article", page.location)
                misses += 1
    finally:
        index.close()
        not_articles.close()
    archive.indexes_dir.mkdir(parents=True, exist_ok=True)
    for pattern in ("*" + CDXJ_SUFFIX, "*" + DIGESTS_SUFFIX, INDEX_GLOB, NOT_ARTICLES_GLOB):
        for old in archive.indexes_dir.glob(pattern):
            old.unlink()
    for new in staging.iterdir():
        new.replace(archive.indexes_dir / new.name)
    staging.rmdir()
    if learned:
        save_facts(archive.path, facts)
    return ReindexSummary(warc_files=len(warcs), captures=len(captures), articles=articles, not_articles=misses)


def index_article(index: ArticleIndex, page: PageCapture, facts: SiteFacts) -> dict[str, Any] | None:
    """Add a page's article to ``index``, its shown local time placed by the site's learned offset."""
    assert page.verdict.article is not None
    return index.add(page.verdict.article, page.location, page.location.date, zone(facts.utc_offset(page.url)))


def learn_facts(archive: ArchiveLayout, warcs: list[Path], captures: CaptureIndex, rule: ArticleRule) -> SiteFacts:
    """The site facts of WARCs crawled before the archive kept them: article URL shapes from the pages that
    declare themselves articles, UTC offsets from their timestamps. Parsing only, no extraction."""
    facts = SiteFacts()
    for url, tree, _ in _html_pages(archive, warcs, captures):
        page = PageMetadata(tree, url)
        if page.declares_article():
            facts.learn_article_url(url)
            facts.learn_offsets(url, page.stated_offsets())
    return facts


def page_captures(
    archive: ArchiveLayout,
    warcs: list[Path],
    captures: CaptureIndex,
    rule: ArticleRule,
    facts: SiteFacts,
    skip: Callable[[str], bool] | None = None,
) -> Iterator[PageCapture]:
    """The verdict on every archived page of ``warcs``, in WARC order, with the crawl's rule; ``facts`` learns
    from each page as the crawl's did. ``skip`` leaves out records by id before any parsing."""
    hints = rule.hints
    is_article_url = rule.pattern()
    for url, tree, location in _html_pages(archive, warcs, captures, skip):
        known = is_article_url is None and facts.is_article_url(url)
        verdict = article_from_page(tree, url, hints, is_article_url, known_article_url=known)
        facts.learn_page(url, verdict)
        yield PageCapture(url, location, verdict)


def _html_pages(
    archive: ArchiveLayout,
    warcs: list[Path],
    captures: CaptureIndex,
    skip: Callable[[str], bool] | None = None,
) -> Iterator[tuple[str, html.HtmlElement, RecordLocation]]:
    """Each ``2xx`` HTML page of ``warcs`` parsed, with its record's location, in WARC order.

    Decoded as Scrapy decodes it; an identical-payload revisit is read with its original's payload, as the
    spider saw the full page; truncated bodies are left out, as the crawl never parses them.
    """
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
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                if skip is not None and skip(record_id):
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
                tree = parse_html(body, content_type) if is_html_document(body, content_type) else None
                if tree is None:
                    continue
                location = RecordLocation(
                    warc_file=path.name,
                    offset=records.get_record_offset(),
                    length=records.get_record_length(),
                    record_id=record_id,
                    date=datetime.fromisoformat(record.rec_headers.get_header("WARC-Date")),
                )
                yield record.rec_headers.get_header("WARC-Target-URI"), tree, location
