"""Article metadata from the parsed page: JSON-LD, meta tags, link tags, profile selectors, visible text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import tzinfo
from functools import cache
from urllib.parse import urljoin, urlsplit

from lxml import html
from lxml.cssselect import CSSSelector

from newsarchive.extract.dates import parse_iso, parse_visible, stated_offset

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "blogposting",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "liveblogposting",
    "report",
}
_SPACE = re.compile(r"\s+")
_DATELINE_WINDOW = 300
# Class or id tokens of an article's tag list ("news-tags", "article__tags", "tag-list", "keywords").
_TAG_CLASS = re.compile(r"(?:^|[\s_-])(?:tags?|tag-?list|keywords|topics)(?:$|[\s_-])", re.IGNORECASE)
# Blocks after the headline (XPath's following:: axis is in document order).
_TAG_BLOCKS = "following::*[contains(@class, 'tag') or contains(@id, 'tag') or contains(@class, 'keyword')][.//a]"
_SITE_WIDE_CLASS = re.compile(r"trend|popular|cloud|most", re.IGNORECASE)
_CHROME = ("header", "nav", "aside", "footer")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_MIN_LEAD = 40
_LEAD_PREFIX = 40
_LANGUAGE = re.compile(r"([a-z]{2})(?:$|[-_])", re.IGNORECASE)
_SITE_SUFFIX = re.compile(r"\s+(?:[-|–—]|::)\s+([^-|–—:]+)$")


def clean(value: object) -> str | None:
    """Collapse whitespace; None for empty values."""
    if value is None:
        return None
    text = _SPACE.sub(" ", str(value)).strip()
    return text or None


@cache
def _selector(css: str) -> CSSSelector:
    return CSSSelector(css)


def select(tree: html.HtmlElement, css: str | None) -> list[html.HtmlElement]:
    """Elements matching a CSS selector (an empty list for no selector)."""
    return _selector(css)(tree) if css else []


def select_text(tree: html.HtmlElement, css: str | None) -> str | None:
    """The text of the first element matching ``css``."""
    for element in select(tree, css):
        if text := clean(element.text_content()):
            return text
    return None


class PageMetadata:
    """Read-once access to a page's structured metadata."""

    def __init__(self, tree: html.HtmlElement, url: str) -> None:
        self.tree = tree
        self.url = url
        self.meta: dict[str, str] = {}
        for element in tree.iterfind(".//meta"):
            key = (element.get("property") or element.get("name") or element.get("itemprop") or "").lower()
            content = element.get("content")
            if key and content and key not in self.meta:
                self.meta[key] = content
        self.jsonld = next((obj for obj in self._jsonld_objects() if _is_article(obj)), {})

    def _jsonld_objects(self) -> Iterator[dict]:
        for script in self.tree.iterfind(".//script[@type='application/ld+json']"):
            try:
                data = json.loads(script.text or "")
            except ValueError:
                continue
            stack = [data]
            while stack:
                item = stack.pop()
                if isinstance(item, list):
                    stack.extend(item)
                elif isinstance(item, dict):
                    yield item
                    if isinstance(item.get("@graph"), list):
                        stack.extend(item["@graph"])

    def declares_article(self) -> bool:
        """The page says it is an article (og:type or a JSON-LD article type)."""
        return bool(self.jsonld) or self.meta.get("og:type", "").lower() == "article"

    def language(self) -> str | None:
        """ISO 639-1 code the page declares: ``<html lang>``, the hreflang of its own URL, og:locale, JSON-LD."""
        # Checked in turn, not gathered first: the hreflang lookup is only needed on pages without a lang.
        return (
            language_code(self.tree.get("lang"))
            or language_code(self.meta.get("content-language"))
            or language_code(self._own_hreflang())
            or language_code(self.meta.get("og:locale"))
            or language_code(self.jsonld.get("inLanguage"))
        )

    def _own_hreflang(self) -> str | None:
        """The hreflang of the alternate link that points at this very page (URL or canonical)."""
        own = {self.url, self.canonical_url()}
        for link in self.tree.iterfind(".//link[@hreflang]"):
            if link.get("href") and urljoin(self.url, link.get("href").strip()) in own:
                return link.get("hreflang")
        return None

    def canonical_url(self) -> str | None:
        """The canonical link, else og:url, absolute."""
        for link in self.tree.iterfind(".//link[@rel]"):
            if link.get("rel", "").lower() == "canonical" and link.get("href"):
                return urljoin(self.url, link.get("href").strip())
        return urljoin(self.url, self.meta["og:url"]) if "og:url" in self.meta else None

    def alternates(self) -> dict[str, str]:
        """Other language editions declared with ``hreflang``: language -> absolute URL."""
        found: dict[str, str] = {}
        for link in self.tree.iterfind(".//link[@hreflang]"):
            lang = link.get("hreflang", "").split("-")[0].lower()
            if lang and lang != "x" and link.get("href"):
                found.setdefault(lang, urljoin(self.url, link.get("href").strip()))
        return found

    def title(self) -> str | None:
        """The headline without a site-name suffix."""
        for candidate in (self.jsonld.get("headline"), self.meta.get("og:title")):
            if isinstance(candidate, str) and (text := clean(candidate)):
                return strip_site_name(text, self.site_name())
        h1 = select_text(self.tree, "h1")
        if h1:
            return h1
        title = self.tree.findtext(".//title")
        return strip_site_name(clean(title), self.site_name()) if title else None

    def site_name(self) -> str | None:
        """The site's name from og:site_name or JSON-LD publisher."""
        publisher = self.jsonld.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            return publisher["name"]
        return self.meta.get("og:site_name")

    def published(self, tz: tzinfo | None) -> str | None:
        """Publication time from structured data: JSON-LD, article meta tags, ``<time datetime>``."""
        return self._structured_date(
            ("datePublished", "dateCreated"),
            (
                "article:published_time",
                "og:article:published_time",
                "pubdate",
                "publishdate",
                "date",
                "dc.date.issued",
                "dc.date",
            ),
            tz,
            use_time_elements=True,
        )

    def stated_offsets(self) -> list[str]:
        """The UTC offsets the page's structured timestamps state (JSON-LD, ``article:`` metas, ``<time>``): what
        the site's clock is, for pages that show a local time only."""
        candidates = [self.jsonld.get(key) for key in ("datePublished", "dateModified", "dateCreated")]
        candidates += [self.meta.get(key) for key in ("article:published_time", "article:modified_time")]
        candidates += [el.get("datetime") for el in self.tree.iterfind(".//time[@datetime]")][:1]
        return [offset for value in candidates if isinstance(value, str) and (offset := stated_offset(value))]

    def modified(self, tz: tzinfo | None) -> str | None:
        """Last modification time from structured data."""
        return self._structured_date(("dateModified",), ("article:modified_time", "og:updated_time"), tz)

    def _structured_date(
        self,
        jsonld_keys: tuple[str, ...],
        meta_keys: tuple[str, ...],
        tz: tzinfo | None,
        use_time_elements: bool = False,
    ) -> str | None:
        candidates = [self.jsonld.get(key) for key in jsonld_keys] + [self.meta.get(key) for key in meta_keys]
        if use_time_elements:
            candidates += [el.get("datetime") for el in self.tree.iterfind(".//time[@datetime]")][:1]
        for candidate in candidates:
            if isinstance(candidate, str) and (parsed := parse_iso(candidate, tz)):
                return parsed
        return None

    def category(self) -> str | None:
        """The section from JSON-LD ``articleSection`` or ``article:section``."""
        section = self.jsonld.get("articleSection")
        if isinstance(section, list):
            section = section[0] if section else None
        return clean(section) or clean(self.meta.get("article:section"))

    def category_link(self) -> str | None:
        """The text of a link to the article's parent path (``/ru/economy/`` for ``/ru/economy/slug/``)."""
        path = urlsplit(self.url).path.rstrip("/")
        parent = path.rsplit("/", 1)[0]
        if not parent:
            return None
        section = parent.rsplit("/", 1)[-1]
        # Resolving every link of a page is slow; only links that name the section can point at it.
        for anchor in self.tree.xpath(".//a[contains(@href, $section)]", section=section):
            if urlsplit(urljoin(self.url, anchor.get("href"))).path.rstrip("/") != parent:
                continue
            if text := clean(anchor.text_content()):
                return text
        return None

    def tags(self) -> list[str]:
        """Keywords from ``article:tag`` metas or JSON-LD ``keywords``."""
        tags = [clean(el.get("content")) for el in self.tree.iterfind(".//meta[@property='article:tag']")]
        if not any(tags):
            keywords = self.jsonld.get("keywords")
            tags = keywords if isinstance(keywords, list) else str(keywords or "").split(",")
        return unique(clean(tag) for tag in tags)

    def tag_links(self) -> list[str]:
        """The links of the article's own tag block (``class="news-tags"``), not a site-wide trending bar.

        The block must follow the headline inside the headline's ``<article>`` (or, without one, outside the
        page's header, navigation, sidebars and footer), so bars of popular tags elsewhere never count.
        """
        heading = next(self.tree.iter("h1"), None)
        if heading is None:
            return []
        scope = next(heading.iterancestors("article"), None)
        for block in heading.xpath(_TAG_BLOCKS):
            names = f"{block.get('class', '')} {block.get('id', '')}"
            if not _TAG_CLASS.search(names) or _SITE_WIDE_CLASS.search(names):
                continue
            if scope is not None and scope not in block.iterancestors():
                break
            if scope is None and next(block.iterancestors(*_CHROME), None) is not None:
                continue
            if tags := unique(clean((a.text_content() or "").lstrip("#")) for a in block.iter("a")):
                return tags
        return []

    def author(self) -> str | None:
        """The author's name from JSON-LD or the author meta tag."""
        author = self.jsonld.get("author")
        if isinstance(author, list):
            author = author[0] if author else None
        if isinstance(author, dict):
            author = author.get("name")
        return clean(author) or clean(self.meta.get("author")) or clean(self.meta.get("article:author"))

    def description(self) -> str | None:
        """The summary from the description metas."""
        return clean(self.meta.get("description") or self.meta.get("og:description"))

    def visible_lead(self, body_start: str) -> str | None:
        """The description, when the page shows it as its own block just before the body (a news lead).

        ``body_start`` is the beginning of the extracted body. A block of the same text elsewhere (a
        standfirst under the headline, a teaser in a list) is a summary, not part of the article's text.
        """
        description = self.description()
        if not description or len(description) < _MIN_LEAD:
            return None
        body = self.tree.find("body")
        if body is None:
            return None
        # Looking up a prefix in C is cheap; only then compare whole blocks of text.
        for node in body.xpath(".//text()[contains(., $start)]", start=description[:_LEAD_PREFIX]):
            # The lead block is the outermost element holding exactly the description (<div><strong>...).
            block, element = None, node.getparent()
            while element is not None and element is not body:
                text = clean(element.text_content()) or ""
                if text != description:
                    if block is not None or len(text) > len(description):
                        break
                else:
                    block = element
                element = element.getparent()
            if block is not None:
                return description if _leads_into(block, body_start) else None
        return None

    def image(self) -> str | None:
        """The lead image, absolute."""
        image = self.meta.get("og:image") or self.jsonld.get("image")
        if isinstance(image, list):
            image = image[0] if image else None
        if isinstance(image, dict):
            image = image.get("url")
        return urljoin(self.url, image) if isinstance(image, str) and image.strip() else None

    def visible_date(self, tz: tzinfo | None) -> str | None:
        """The date (and time) written on the page next to the headline."""
        heading = next(self.tree.iter("h1"), None)
        if heading is None:
            return None
        # The dateline sits just after (or around) the headline; related-news dates come much later.
        window = ""
        for element in heading.itersiblings():
            window += " " + " ".join(element.itertext())
            if len(window) > _DATELINE_WINDOW:
                break
        found = parse_visible((clean(window) or "")[:_DATELINE_WINDOW], tz)
        parent = heading.getparent()
        if found is None and parent is not None:
            found = parse_visible(_leading_text(parent, _DATELINE_WINDOW), tz)
        return found


def _leading_text(element: html.HtmlElement, limit: int) -> str:
    """The first ``limit`` characters of ``" ".join(element.itertext())`` with whitespace collapsed, read no
    further than that needs (the headline's parent may hold the whole page)."""
    text, enough = "", 2 * limit
    for piece in element.itertext():
        text = f"{text} {piece}" if text else piece
        if len(text) > enough:
            # A cleaned text longer than the limit has its first ``limit`` characters settled.
            if len(cleaned := clean(text) or "") > limit:
                return cleaned[:limit]
            enough *= 2
    return (clean(text) or "")[:limit]


def _is_article(obj: dict) -> bool:
    kinds = obj.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(kind, str) and kind.lower() in ARTICLE_TYPES for kind in kinds)


def strip_site_name(title: str | None, site_name: str | None) -> str | None:
    """``Headline - Report.az`` -> ``Headline`` (also ``|``, ``—``, ``::`` separators)."""
    if not title:
        return title
    match = _SITE_SUFFIX.search(title)
    if match:
        last = match.group(1).strip().lower()
        if (site_name and last == site_name.strip().lower()) or re.fullmatch(r"[\w.-]+\.[a-z]{2,}", last):
            return title[: match.start()].strip()
    return title


def _leads_into(element: html.HtmlElement, body_start: str) -> bool:
    """``element`` is a paragraph-like block directly followed by the block where the body starts."""
    following = element.getnext()
    return (
        element.tag not in _HEADINGS
        and following is not None
        and body_start[:_LEAD_PREFIX] in (clean(following.text_content()) or "")
    )


def language_code(raw: object) -> str | None:
    """The ISO 639-1 part of a language tag (``ru-RU``, ``az_AZ``, ``en``); None for anything else."""
    if not isinstance(raw, str):
        return None
    match = _LANGUAGE.match(raw.strip())
    return match.group(1).lower() if match else None


def unique(values: object) -> list[str]:
    """Non-empty values in first-seen order, without duplicates."""
    seen: dict[str, None] = {}
    for value in values:  # type: ignore[attr-defined]
        if value:
            seen.setdefault(value, None)
    return list(seen)
