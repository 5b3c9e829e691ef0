"""Page analysis, run off the reactor: parse a page once, take its links and, if it is one, its article."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree, html

from newsarchive.extract import Article, ExtractionHints, extract_from_tree, parse_html
from newsarchive.extract.metadata import PageMetadata

_XML_TYPES = re.compile(rb"xml|rss|atom", re.IGNORECASE)
_FEED_LINK_TYPES = {"application/rss+xml", "application/atom+xml"}
# Campaign and click-tracking parameters: the same page under another URL, fetched twice without this.
_TRACKING_PARAMETER = re.compile(
    r"^(?:utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|ysclid|mc_cid|mc_eid|_ga|_gl|igshid|ref_src)$",
    re.IGNORECASE,
)


@dataclass
class PageAnalysis:
    """What one page gave: the links to follow and the article it holds (if any)."""

    links: list[str] = field(default_factory=list)
    article: Article | None = None


def absolute_http_url(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base``, without fragment; None unless it is http(s)."""
    if not href:
        return None
    href = href.strip()
    try:
        parts = urlsplit(urljoin(base, href))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", without_tracking(parts.query), ""))


def without_tracking(query: str) -> str:
    """The query string without tracking parameters (``utm_*``, ``fbclid``...); untouched if it has none."""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(name, value) for name, value in pairs if not _TRACKING_PARAMETER.match(name)]
    return query if len(kept) == len(pairs) else urlencode(kept)


def html_links(tree: html.HtmlElement, url: str) -> list[str]:
    """Links a crawler follows: anchors, pagination, feeds and language alternates."""
    hrefs = [a.get("href") for a in tree.iter("a")]
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower()
        if (
            rel in ("next", "prev")
            or link.get("hreflang")
            or (rel == "alternate" and (link.get("type") or "").lower() in _FEED_LINK_TYPES)
        ):
            hrefs.append(link.get("href"))
    return _unique_urls(url, hrefs)


def xml_links(body: bytes, url: str) -> list[str]:
    """Links in a sitemap (``<loc>``), RSS (``<link>``) or Atom (``<link href>``) document."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return []
    if root is None:
        return []
    hrefs: list[str | None] = []
    for element in root.iter("{*}loc", "{*}link"):
        hrefs.append(element.get("href") if element.get("href") else element.text)
    return _unique_urls(url, hrefs)


def _unique_urls(base: str, hrefs: list[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for href in hrefs:
        if absolute := absolute_http_url(base, href):
            seen.setdefault(absolute, None)
    return list(seen)


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
) -> PageAnalysis:
    """Parse once; links from the tree; an article when the page is one and has a dated body."""
    if is_xml(content_type, body):
        return PageAnalysis(links=xml_links(body, url))
    tree = parse_html(body, content_type)
    if tree is None:
        return PageAnalysis()
    links = html_links(tree, url)
    # An article is a page the profile says is one (URL pattern), or that declares itself one.
    looks_like_article = is_article_url(url) if is_article_url else PageMetadata(tree, url).declares_article()
    if not looks_like_article:
        return PageAnalysis(links=links)
    article = extract_from_tree(tree, url, hints)
    if article is None or not (article.title and article.published):
        return PageAnalysis(links=links)
    return PageAnalysis(links=links, article=article)
