"""Page analysis, run off the reactor: parse a page once, take its links and, if it is one, its article."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from newsarchive.extract import Article, ExtractionHints, article_from_page, is_html_document, parse_html
from newsarchive.extract.dates import zone
from newsarchive.spiders.discovery import Link, html_discovery, json_feed_links, xml_links
from newsarchive.spiders.profiles import ListingHints
from newsarchive.spiders.requisites import html_requisites

NO_LISTING_HINTS = ListingHints()

_JSON_TYPES = re.compile(rb"json", re.IGNORECASE)


@dataclass
class PageAnalysis:
    """What one page gave: its links (with dates where the page gives them), the feeds it declares,
    its next page, the article it holds (if any) and its page requisites (stylesheets, images, icons)."""

    links: list[Link] = field(default_factory=list)
    feeds: list[Link] = field(default_factory=list)
    next_page: str | None = None
    article: Article | None = None
    requisites: list[str] = field(default_factory=list)


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
    if not is_html_document(body, content_type):
        return PageAnalysis(links=xml_links(body, url, tz))
    tree = parse_html(body, content_type)
    if tree is None:
        return PageAnalysis()
    found = html_discovery(tree, url, listing, tz)
    # Requisites first: extraction may prune the tree.
    analysis = PageAnalysis(
        links=found.links, feeds=found.feeds, next_page=found.next_page, requisites=html_requisites(tree, url)
    )
    analysis.article = article_from_page(tree, url, hints, is_article_url)
    return analysis
