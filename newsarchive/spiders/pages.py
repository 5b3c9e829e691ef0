"""Page analysis, run off the reactor: parse a page once, take its links and, if it is one, its article."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from newsarchive.extract import Article, ExtractionHints, extract_from_tree, parse_html
from newsarchive.extract.dates import zone
from newsarchive.extract.metadata import PageMetadata
from newsarchive.spiders.discovery import Link, html_discovery, json_feed_links, xml_links
from newsarchive.spiders.profiles import ListingHints

NO_LISTING_HINTS = ListingHints()

_XML_TYPES = re.compile(rb"xml|rss|atom", re.IGNORECASE)
_JSON_TYPES = re.compile(rb"json", re.IGNORECASE)


@dataclass
class PageAnalysis:
    """What one page gave: its links (with dates where the page gives them), the feeds it declares,
    its next page, and the article it holds (if any)."""

    links: list[Link] = field(default_factory=list)
    feeds: list[Link] = field(default_factory=list)
    next_page: str | None = None
    article: Article | None = None


def is_xml(content_type: bytes, body: bytes) -> bool:
    """Sitemaps and feeds are XML; so is a body that starts with an XML declaration and no HTML."""
    if _XML_TYPES.search(content_type):
        return True
    head = body[:256].lstrip().lower()
    return head.startswith(b"<?xml") and b"<html" not in body[:1024].lower()


def analyse_page(
    body: bytes,
    url: str,
    content_type: bytes,
    hints: ExtractionHints,
    is_article_url: Callable[[str], bool] | None = None,
    listing: ListingHints = NO_LISTING_HINTS,
) -> PageAnalysis:
    """Parse once; discovery links from the document; an article when the page is one and has a dated body."""
    tz = zone(hints.timezone)
    if _JSON_TYPES.search(content_type):
        return PageAnalysis(links=json_feed_links(body, url, tz))
    if is_xml(content_type, body):
        return PageAnalysis(links=xml_links(body, url, tz))
    tree = parse_html(body, content_type)
    if tree is None:
        return PageAnalysis()
    found = html_discovery(tree, url, listing, tz)
    analysis = PageAnalysis(links=found.links, feeds=found.feeds, next_page=found.next_page)
    # An article is a page the profile says is one (URL pattern), or that declares itself one.
    looks_like_article = is_article_url(url) if is_article_url else PageMetadata(tree, url).declares_article()
    if looks_like_article:
        article = extract_from_tree(tree, url, hints)
        if article is not None and article.title and article.published:
            analysis.article = article
    return analysis
