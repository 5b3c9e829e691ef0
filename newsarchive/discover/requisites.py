"""Page requisites: what a page needs to render as its readers saw it (stylesheets, images, fonts, icons).

Plain functions over a parsed page or a stylesheet's bytes (no Scrapy): :func:`html_requisites` gives the
``<link rel=stylesheet>`` and icon links, every ``<img src>``, the largest ``srcset`` candidate of each image
(and of each ``<picture>`` source), ``og:image``, and what inline ``<style>`` blocks name;
:func:`css_requisites` gives the images, fonts and ``@import``-ed stylesheets a stylesheet names. URLs come
back absolute, without fragment, in document order, each once; ``data:`` and non-http(s) URLs are left out.
Which of them are fetched (hosts, robots.txt, once per crawl) is the spider's decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lxml import html

from newsarchive.discover.links import absolute_http_url

# url(...) and @import "..." in CSS; comments are removed first.
_CSS_COMMENT = re.compile(rb"/\*.*?\*/", re.DOTALL)
_CSS_URL = re.compile(rb"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(rb"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_ICON_RELS = {"icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"}
_SRCSET_WIDTH = re.compile(r"^(\d+(?:\.\d+)?)([wx])$")


def largest_srcset_candidate(srcset: str | None) -> str | None:
    """The URL of a ``srcset``'s largest candidate (by width descriptor, else density); None if empty."""
    best: tuple[float, str] | None = None
    for candidate in (srcset or "").split(","):
        parts = candidate.split()
        if not parts:
            continue
        size = 1.0
        if len(parts) > 1 and (match := _SRCSET_WIDTH.match(parts[1])):
            size = float(match[1])
        if best is None or size > best[0]:
            best = (size, parts[0])
    return best[1] if best else None


def _unique(base: str, hrefs: Iterable[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for href in hrefs:
        if href and not href.strip().lower().startswith("data:"):
            url = absolute_http_url(base, href)
            if url is not None:
                seen.setdefault(url, None)
    return list(seen)


def _css_references(css: bytes) -> Iterator[str]:
    css = _CSS_COMMENT.sub(b"", css)
    for match in (*_CSS_IMPORT.finditer(css), *_CSS_URL.finditer(css)):
        value = next((group for group in match.groups() if group is not None), b"")
        yield value.decode("utf-8", "replace").strip()


def css_requisites(css: bytes, url: str) -> list[str]:
    """The images, fonts and imported stylesheets a stylesheet at ``url`` names (relative to ``url``)."""
    return _unique(url, _css_references(css))


def _html_references(tree: html.HtmlElement) -> Iterator[str | None]:
    for link in tree.iter("link"):
        rels = set((link.get("rel") or "").lower().split())
        if "stylesheet" in rels or rels & _ICON_RELS:
            yield link.get("href")
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() in ("og:image", "og:image:url"):
            yield meta.get("content")
    for element in tree.iter("img", "source"):
        if element.tag == "img":
            yield element.get("src")
        yield largest_srcset_candidate(element.get("srcset"))
    for style in tree.iter("style"):
        yield from _css_references((style.text or "").encode("utf-8"))


def html_requisites(tree: html.HtmlElement, url: str) -> list[str]:
    """What the parsed page at ``url`` needs to render: stylesheets, icons, images, ``og:image``, inline CSS's."""
    base = url
    for element in tree.iter("base"):
        if element.get("href"):
            base = absolute_http_url(url, element.get("href")) or url
            break
    return _unique(base, _html_references(tree))


def is_stylesheet(url: str, content_type: bytes) -> bool:
    """Whether a requisite's response is a stylesheet (whose own requisites are then fetched)."""
    if content_type:
        return b"text/css" in content_type.lower()
    return url.split("?", 1)[0].lower().endswith(".css")
