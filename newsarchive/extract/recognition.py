"""Which pages are articles: the one rule the crawl, ``reindex`` and repair share.

Real sites do not all declare their articles (``og:type``, JSON-LD): older templates, regional CMSs and
archives of past years rarely do. So the rule combines the evidence a site gives:

- the page declares itself an article;
- its URL is known to be one: an item of the site's feeds or sitemaps, or it has the shape of the site's known
  articles (:mod:`newsarchive.extract.shapes`), as the caller learned them;
- its content: one headline, a body of prose, a date shown near the headline, at an article-shaped URL.

With a profile's ``article_url_pattern`` the pattern alone decides, as the profile's author meant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree, html

from newsarchive.extract.article import Article, ExtractionHints
from newsarchive.extract.dates import LOCAL_TIME
from newsarchive.extract.extraction import NO_HINTS, extract_from_tree
from newsarchive.extract.metadata import PageMetadata
from newsarchive.extract.shapes import is_article_shape, url_shape

# Prose: text runs of a sentence or more outside links and page chrome (menus, lists of other news, footers).
_PROSE = etree.XPath(
    "//body//text()[string-length(normalize-space(.)) >= 60]"
    "[not(ancestor::a or ancestor::header or ancestor::nav or ancestor::footer or ancestor::aside"
    " or ancestor::script or ancestor::style or ancestor::form)]"
)
_HEADLINES = etree.XPath("//h1")
# An article's body holds at least this much prose; a listing, a home or a tag page holds almost none.
MIN_PROSE = 250


@dataclass(frozen=True)
class PageVerdict:
    """Whether a page is an article, and what it told about its site on the way.

    ``looked_like_article``: some evidence said article (a declaration, the URL, the content); when it did and
    ``article`` is None, ``reason`` says what was missing. ``declared``: the page declared itself one.
    ``offsets``: the UTC offsets its structured timestamps state (what the site's clock is).
    ``article.published`` may be a naive local time (see :data:`newsarchive.extract.dates.LOCAL_TIME`).
    """

    article: Article | None = None
    looked_like_article: bool = False
    declared: bool = False
    reason: str | None = None
    offsets: tuple[str, ...] = field(default=())


NOT_AN_ARTICLE = PageVerdict()


def has_article_content(tree: html.HtmlElement, page: PageMetadata | None = None) -> bool:
    """One headline, a body of prose, and a date shown near the headline (or stated in the page's data)."""
    if len(_HEADLINES(tree)) != 1:
        return False
    if sum(len(text.strip()) for text in _PROSE(tree)) < MIN_PROSE:
        return False
    page = page or PageMetadata(tree, "")
    return bool(page.published(LOCAL_TIME) or page.visible_date(LOCAL_TIME))


def article_from_page(
    tree: html.HtmlElement,
    url: str,
    hints: ExtractionHints = NO_HINTS,
    is_article_url: Callable[[str], bool] | None = None,
    *,
    known_article_url: bool = False,
) -> PageVerdict:
    """The verdict on one page: its article, when it is one, and the evidence seen.

    ``is_article_url`` is a profile's pattern: it alone decides. Without one, ``known_article_url`` says the
    caller knows the URL for an article's (a feed or sitemap item, the shape of the site's articles); a page
    that declares itself one, or shows an article's content at an article-shaped URL, is one too. An article
    needs a title, a date and a body.
    """
    page = PageMetadata(tree, url)
    declared = page.declares_article()
    offsets = tuple(page.stated_offsets()) if declared else ()
    if is_article_url is not None:
        candidate = is_article_url(url)
    else:
        candidate = (
            declared or known_article_url or (is_article_shape(url_shape(url)) and has_article_content(tree, page))
        )
    if not candidate:
        return PageVerdict(declared=declared, offsets=offsets)
    article = extract_from_tree(tree, url, hints, page)
    reason = None
    if article is None:
        reason = "no article text"
    elif not article.title:
        reason = "no headline"
    elif not article.published:
        reason = "no publication date"
    if reason is not None:
        return PageVerdict(None, True, declared, reason, offsets)
    return PageVerdict(article, True, declared, None, offsets)
