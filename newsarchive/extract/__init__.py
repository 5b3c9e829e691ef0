"""Text and metadata extraction: pure functions from response bytes (or a parsed tree) to an Article.

No Scrapy, no files, no network here: the crawler and ``reindex`` call the same functions on the same
bytes, so the index a crawl writes and the one rebuilt from the WARCs cannot drift apart.
"""

from newsarchive.extract.article import Article, ExtractionHints
from newsarchive.extract.extraction import (
    TRAFILATURA_OPTIONS,
    body_text,
    extract_article,
    extract_from_tree,
    published_date,
)
from newsarchive.extract.html import is_html_document, parse_html
from newsarchive.extract.recognition import ArticleUrlPattern, PageVerdict, article_from_page, has_article_content
from newsarchive.extract.shapes import UrlShapes

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
