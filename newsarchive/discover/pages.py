"""Page analysis, run off the reactor: parse a page once, take its links and, if it is one, its article."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from newsarchive.archive.content import ContentDecodingError, decode_content
from newsarchive.discover.links import Link, html_discovery, json_feed_links, stated_offsets, xml_links
from newsarchive.discover.requisites import html_requisites
from newsarchive.extract import Article, ExtractionHints, PageVerdict, article_from_page, is_html_document, parse_html
from newsarchive.extract.dates import zone
from newsarchive.extract.recognition import NOT_AN_ARTICLE
from newsarchive.profiles import ListingHints

NO_LISTING_HINTS = ListingHints()

_JSON_TYPES = re.compile(rb"json", re.IGNORECASE)
_GZIP_TYPES = re.compile(rb"gzip", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class PageAnalysis:
    """What one page gave: its links (with dates where the page gives them), the feeds it declares,
    its next page, the verdict on it as an article, the UTC offsets its timestamps state, and its page
    requisites (stylesheets, images, icons)."""

    links: list[Link] = field(default_factory=list)
    feeds: list[Link] = field(default_factory=list)
    next_page: str | None = None
    verdict: PageVerdict = NOT_AN_ARTICLE
    offsets: tuple[str, ...] = ()
    requisites: list[str] = field(default_factory=list)

    @property
    def article(self) -> Article | None:
        """The article the page holds, if it is one."""
        return self.verdict.article


def analyse_page(
    body: bytes,
    url: str,
    content_type: bytes,
    hints: ExtractionHints,
    is_article_url: Callable[[str], bool] | None = None,
    listing: ListingHints = NO_LISTING_HINTS,
    known_article_url: bool = False,
    extract: bool = True,
) -> PageAnalysis:
    """Parse once; discovery links from the document; the verdict on it as an article (``is_article_url`` and
    ``known_article_url`` as :func:`~newsarchive.extract.article_from_page` takes them), unless not ``extract``
    (an archive-only crawl)."""
    tz = zone(hints.timezone)
    if _GZIP_TYPES.search(content_type):
        # A sitemap kept as a gzip file (sitemap.xml.gz as application/x-gzip, no Content-Encoding): the XML
        # inside, inflated no further than the crawl's size cap, as Scrapy's SitemapSpider reads one. (Served
        # with a Content-Encoding on top, it comes here inflated already.)
        if body.startswith(_GZIP_MAGIC):
            try:
                body = decode_content(body, "gzip")
            except ContentDecodingError:
                return PageAnalysis()
        content_type = b"application/xml"
    if _JSON_TYPES.search(content_type):
        return PageAnalysis(links=json_feed_links(body, url, tz))
    if not is_html_document(body, content_type):
        return PageAnalysis(links=xml_links(body, url, tz), offsets=tuple(stated_offsets(body)))
    tree = parse_html(body, content_type)
    if tree is None:
        return PageAnalysis()
    found = html_discovery(tree, url, listing, tz)
    requisites = html_requisites(tree, url)  # first: extraction may prune the tree
    if not extract:
        return PageAnalysis(found.links, found.feeds, found.next_page, requisites=requisites)
    verdict = article_from_page(tree, url, hints, is_article_url, known_article_url=known_article_url)
    return PageAnalysis(found.links, found.feeds, found.next_page, verdict, verdict.offsets, requisites)
