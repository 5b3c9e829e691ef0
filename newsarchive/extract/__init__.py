"""Text and metadata extraction: pure functions from response bytes (or a parsed tree) to an Article.

No Scrapy, no files, no network here: the crawler and ``reindex`` call the same functions on the same
bytes, so the index a crawl writes and the one rebuilt from the WARCs cannot drift apart.

The names below load their module on first use (PEP 562): the archive's readers need :class:`Article` alone,
and must not pay for trafilatura's import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsarchive.extract.article import Article, ExtractionHints
    from newsarchive.extract.extraction import (
        TRAFILATURA_OPTIONS,
        body_text,
        extract_article,
        extract_from_tree,
        published_date,
    )
    from newsarchive.extract.html import is_html_document, parse_html
    from newsarchive.extract.recognition import (
        PageVerdict,
        article_from_page,
        has_article_content,
    )
    from newsarchive.extract.shapes import ArticleUrlPattern, UrlShapes

_MODULE_OF = {
    "Article": "article",
    "ExtractionHints": "article",
    "TRAFILATURA_OPTIONS": "extraction",
    "body_text": "extraction",
    "extract_article": "extraction",
    "extract_from_tree": "extraction",
    "published_date": "extraction",
    "is_html_document": "html",
    "parse_html": "html",
    "ArticleUrlPattern": "shapes",
    "PageVerdict": "recognition",
    "article_from_page": "recognition",
    "has_article_content": "recognition",
    "UrlShapes": "shapes",
}

__all__ = [
    "TRAFILATURA_OPTIONS",
    "Article",
    "ArticleUrlPattern",
    "ExtractionHints",
    "PageVerdict",
    "UrlShapes",
    "article_from_page",
    "body_text",
    "extract_article",
    "extract_from_tree",
    "has_article_content",
    "is_html_document",
    "parse_html",
    "published_date",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value
