"""Links: where new articles show up, read from feeds, sitemaps, robots.txt and listing pages.

Plain functions over response bytes (no Scrapy), each returning :class:`Link` values: a URL, the date
the source gives for it (feed ``pubDate``, sitemap ``lastmod`` or news ``publication_date``, a listing
item's visible date, or a date in the URL itself) and what kind of page it leads to. The spider decides
what to fetch, in which order, from these.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

from lxml import etree, html
from protego import Protego

from newsarchive.extract.dates import parse_iso, parse_visible, stated_offset
from newsarchive.extract.metadata import select, select_text
from newsarchive.profiles import ListingHints

FEED = "feed"
SITEMAP = "sitemap"
NEWS_SITEMAP = "news_sitemap"
LISTING = "listing"
PAGE = "page"
ARTICLE = "article"
ROBOTS = "robots"
# What a page needs to render (stylesheet, image, font, icon): archived, never parsed for links or articles.
REQUISITE = "requisite"

_DIGIT = re.compile(r"\d")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|$|[^0-9])")
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json"}
# The timestamps of feeds and sitemaps, read for the offset they state (not parsed: a regex over the bytes).
_XML_STAMPS = re.compile(
    rb"<(?:[a-z]+:)?(?:pubDate|lastmod|publication_date|published|updated|date)>\s*([^<]{10,40}?)\s*</", re.I
)
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)


@dataclass(frozen=True)
class Link:
    """A URL found by discovery, with the date its source gives (UTC) and the kind of page it is."""

    url: str
    date: datetime | None = None
    kind: str = PAGE
    listed: bool = False


def absolute_http_url(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base``, without fragment; None unless it is http(s)."""
    if not href:
        return None
    href = href.strip()
    # Resolving is most of a listing's discovery cost, and a site's pages share most of their links (menus,
    # sidebars): the result is cached under the part of ``base`` it depends on, so a menu link resolves once
    # per worker. An absolute URL does not depend on the base, an absolute path only on its origin.
    if href.startswith(("http://", "https://")):
        return _resolved("", href)
    if href.startswith("/") and not href.startswith("//"):
        return _resolved(_origin(base), href)
    return _resolved(base, href)


def _origin(url: str) -> str:
    """``scheme://netloc`` of an absolute URL (what an absolute-path reference keeps of it)."""
    start = url.find("//") + 2
    end = url.find("/", start)
    return url if end < 0 else url[:end]


@lru_cache(maxsize=16_384)
def _resolved(base: str, href: str) -> str | None:
    try:
        parts = urlsplit(urljoin(base, href))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def parse_date(value: str | None, tz: tzinfo | None = None) -> datetime | None:
    """An ISO 8601 or RFC 822 date as an aware UTC datetime (naive ones in ``tz``, else UTC); None if neither."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        iso = parse_iso(value, tz)
        if iso is None:
            return None
        try:
            moment = datetime.fromisoformat(iso)
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz or UTC)
    return moment.astimezone(UTC)


def url_date(url: str) -> datetime | None:
    """The date a URL carries in its path (``/2025/09/08/``, ``/2025-09-08-``), as UTC midnight."""
    match = _URL_DATE.search(url)
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        return None


def _xml_root(body: bytes) -> etree._Element | None:
    try:
        root = etree.fromstring(body, parser=_XML_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _child_text(element: etree._Element, *names: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def xml_links(body: bytes, url: str, tz: tzinfo | None = None) -> list[Link]:
    """Links of an XML discovery document: RSS, Atom, a sitemap index, a URL set or a news sitemap.

    Feed items and URL-set entries are articles; sitemap-index entries are sitemaps. Each keeps the
    date its document gives (``pubDate``/``updated``, ``lastmod``, news ``publication_date``).
    """
    root = _xml_root(body)
    if root is None:
        return []
    kind = _local(root.tag)
    found: list[Link] = []
    if kind == "sitemapindex":
        for entry in root:
            if _local(entry.tag) == "sitemap" and (loc := _child_text(entry, "loc")):
                found.append(Link(loc, parse_date(_child_text(entry, "lastmod"), tz), SITEMAP))
    elif kind == "urlset":
        for entry in root:
            if _local(entry.tag) == "url" and (loc := _child_text(entry, "loc")):
                stamp = _child_text(entry, "publication_date") or _child_text(entry, "lastmod")
                found.append(Link(loc, parse_date(stamp, tz) or url_date(loc), ARTICLE))
    elif kind in ("rss", "rdf"):
        for item in root.iter("{*}item", "item"):
            link = _child_text(item, "link") or _child_text(item, "guid")
            if link:
                stamp = _child_text(item, "pubdate", "date", "published", "updated")
                found.append(Link(link, parse_date(stamp, tz) or url_date(link), ARTICLE))
    elif kind == "feed":
        for entry in root.iter("{*}entry"):
            href = next(
                (e.get("href") for e in entry if _local(e.tag) == "link" and e.get("rel", "alternate") == "alternate"),
                None,
            )
            if href:
                stamp = _child_text(entry, "published", "updated")
                found.append(Link(href, parse_date(stamp, tz) or url_date(href), ARTICLE))
    return _absolute(found, url)


def json_feed_links(body: bytes, url: str, tz: tzinfo | None = None) -> list[Link]:
    """Article links of a JSON list: Report.az's news-feed (``{"posts": [{"url": ...}]}``) or a JSON Feed."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    items = (data.get("posts") or data.get("items") or []) if isinstance(data, dict) else []
    found = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            stamp = next(
                (item[k] for k in ("date", "published", "date_published") if isinstance(item.get(k), str)), None
            )
            found.append(Link(item["url"], parse_date(stamp, tz) or url_date(item["url"]), ARTICLE))
    return _absolute(found, url)


def stated_offsets(body: bytes) -> list[str]:
    """The UTC offsets stated by the timestamps of a feed or sitemap (``+0400``, ``+04:00``): the site's clock."""
    return [
        offset
        for match in _XML_STAMPS.finditer(body)
        if (offset := stated_offset(match.group(1).decode("ascii", "replace")))
    ]


def robots_sitemaps(body: bytes, url: str) -> list[Link]:
    """The ``Sitemap:`` lines of a robots.txt, read by Protego, the parser Scrapy obeys robots.txt with."""
    robots = Protego.parse(body.decode("utf-8", errors="replace"))
    return _absolute([Link(sitemap, None, SITEMAP) for sitemap in robots.sitemaps], url)


@dataclass
class HtmlDiscovery:
    """What an HTML page offers discovery: feeds it declares, its next page, and its other links."""

    feeds: list[Link]
    next_page: str | None
    links: list[Link]


def html_discovery(tree: html.HtmlElement, url: str, listing: ListingHints, tz: tzinfo | None = None) -> HtmlDiscovery:
    """Feeds (``<link rel=alternate>``), the next page (``rel=next``, else ``?page=N+1``) and other links.

    A link inside a listing item (``listing.item``; without one, an ``<article>`` or ``<li>`` holding a
    ``<time>``) is ``listed`` and carries that item's visible date, else a ``<time datetime>`` inside it,
    else the date in its URL.
    """
    feeds = []
    for element in tree.iter("link"):
        rel = (element.get("rel") or "").lower().split()
        if "alternate" in rel and (element.get("type") or "").lower() in _FEED_TYPES:
            feeds.append(Link(element.get("href") or "", None, FEED))
    next_page = _next_page(tree, url, listing.page_param)
    listed = _listed_links(tree, url, listing, tz)
    mentioned = _dated_mentions(tree, url, tz, listed)
    links = []
    for href in _hrefs(tree):
        absolute = absolute_http_url(url, href)
        if absolute:
            moment = listed.get(absolute) or mentioned.get(absolute) or url_date(absolute)
            links.append(Link(absolute, moment, listed=absolute in listed))
    return HtmlDiscovery(_absolute(feeds, url), next_page, _unique(links))


def _hrefs(tree: html.HtmlElement) -> Iterable[str | None]:
    for anchor in tree.iter("a"):
        # Pagination is walked (or not) by the listing rules, never followed as a plain link.
        if not {"next", "prev"} & set((anchor.get("rel") or "").lower().split()):
            yield anchor.get("href")
    for element in tree.iter("link"):
        if element.get("hreflang"):
            yield element.get("href")


def _next_page(tree: html.HtmlElement, url: str, page_param: str) -> str | None:
    for element in tree.iter("a", "link"):
        if "next" in (element.get("rel") or "").lower().split():
            return absolute_http_url(url, element.get("href"))
    # No rel=next: a link to this path with the page parameter one higher.
    here = urlsplit(url)
    current = parse_qs(here.query).get(page_param, ["1"])[-1]
    if not current.isdigit():
        return None
    wanted = str(int(current) + 1)
    for anchor in tree.iter("a"):
        target = absolute_http_url(url, anchor.get("href"))
        if target:
            parts = urlsplit(target)
            if parts.path == here.path and parse_qs(parts.query).get(page_param, [None])[-1] == wanted:
                return target
    return None


def _listed_links(
    tree: html.HtmlElement, url: str, listing: ListingHints, tz: tzinfo | None
) -> dict[str, datetime | None]:
    """The links inside the page's listing items, with each item's date."""
    found: dict[str, datetime | None] = {}
    if listing.item:
        items = select(tree, listing.item)
    else:
        items = [item for item in tree.iter("article", "li") if next(item.iter("time"), None) is not None]
    for item in items:
        moment = _item_date(item, listing, tz)
        for anchor in item.iter("a"):
            if absolute := absolute_http_url(url, anchor.get("href")):
                found.setdefault(absolute, moment)
    return found


def _dated_mentions(
    tree: html.HtmlElement, url: str, tz: tzinfo | None, listed: dict[str, datetime | None]
) -> dict[str, datetime]:
    """Links shown with a date beside them: an ``<li>`` or ``<article>`` holding one link and a visible date
    outside it ("most read" and "latest" blocks, outside any listing). Dated, ``--since`` need not fetch an old
    one to learn its age. A listing item's own date (``listed``: :func:`_listed_links`) comes first, so those
    links are not read again."""
    found: dict[str, datetime] = {}
    for item in tree.iter("li", "article"):
        anchors = list(item.iter("a"))
        if len(anchors) != 1:
            continue
        href = absolute_http_url(url, anchors[0].get("href"))
        if href is None or listed.get(href) is not None or href in found:
            continue
        beside = item.text_content().replace(anchors[0].text_content(), " ", 1)
        if _DIGIT.search(beside) and (moment := _shown_moment(beside, tz)):
            found[href] = moment
    return found


@lru_cache(maxsize=4096)
def _shown_moment(text: str, tz: tzinfo | None) -> datetime | None:
    # Cached: a "most read" block shows the same dates on every page of a site.
    return parse_date(parse_visible(text, tz), tz)


def _item_date(item: html.HtmlElement, listing: ListingHints, tz: tzinfo | None) -> datetime | None:
    if listing.date:
        shown = " ".join(filter(None, (select_text(item, listing.date), select_text(item, listing.time))))
        if found := parse_visible(shown, tz):
            return parse_date(found, tz)
    for element in item.iter("time"):
        if found := parse_date(element.get("datetime"), tz):
            return found
    return None


def _absolute(links: list[Link], base: str) -> list[Link]:
    resolved = []
    for link in links:
        if absolute := absolute_http_url(base, link.url):
            resolved.append(Link(absolute, link.date, link.kind, link.listed))
    return _unique(resolved)


def _unique(links: list[Link]) -> list[Link]:
    seen: dict[str, Link] = {}
    for link in links:
        seen.setdefault(link.url, link)
    return list(seen.values())


def is_older(moment: datetime | None, since: date | None, tz: tzinfo | None = None) -> bool:
    """Whether a known date lies before the day ``since`` in the site's time zone (an unknown one never does)."""
    return bool(moment and since and moment.astimezone(tz or UTC).date() < since)
