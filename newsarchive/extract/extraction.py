"""Article extraction: from a page parsed once to an :class:`Article` (body text, title, dates, metadata)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from functools import cache
from urllib.parse import urlsplit

from cssselect import GenericTranslator
from lxml import html

from newsarchive.extract.article import Article, ExtractionHints
from newsarchive.extract.dates import LOCAL_TIME, localize, parse_visible, zone
from newsarchive.extract.html import parse_html
from newsarchive.extract.language import guess_language
from newsarchive.extract.metadata import PageMetadata, clean, select, select_text, strip_site_name, unique

NO_HINTS = ExtractionHints()

# Chosen by measurement on the public benchmark (181 pages, trafilatura 2.3.1, corpus F1, comments off as
# comments are never article text; the default with comments is 0.953): favor_precision
# 0.964, default balanced 0.960, favor_recall 0.959, precision without tables 0.957, precision with
# deduplicate 0.961, precision with fast 0.946 (twice as quick).
TRAFILATURA_OPTIONS = {"include_comments": False, "favor_precision": True}
# A text trafilatura extracts shorter than this many characters is extracted again with its fallback (a
# comparison with readability and jusText, a third of the cost); None runs the fallback on every page. On the
# public benchmark (benchmarks/extraction.py --configs) 1,000 gives F1 0.9662, as the fallback on every page
# does, and 500 gives 0.9684; without any fallback it is 0.9481.
FALLBACK_BELOW: int | None = 1000


def extract_article(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    hints: ExtractionHints = NO_HINTS,
) -> Article | None:
    """Extract an article from decoded response bytes; None when the page holds no article text."""
    content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), None)
    tree = parse_html(body, content_type)
    if tree is None:
        return None
    article = extract_from_tree(tree, url, hints)
    if article is not None:
        tz = zone(hints.timezone)
        article.published, article.modified = localize(article.published, tz), localize(article.modified, tz)
    return article


def extract_from_tree(
    tree: html.HtmlElement, url: str, hints: ExtractionHints = NO_HINTS, page: PageMetadata | None = None
) -> Article | None:
    """Extract an article from a page parsed once by the caller (the tree is left unchanged); ``page`` is its
    metadata when the caller read it already."""
    page = page or PageMetadata(tree, url)
    selectors = hints.selectors
    title = strip_site_name(select_text(tree, selectors.get("title")), page.site_name()) or page.title()
    text = body_text(tree, url, hints, page, title)
    if not text:
        return None
    # Without a known zone a shown time is kept as local time: the caller places it once it knows the site's
    # offset (newsarchive.extract.dates.localize), or keeps the date alone.
    tz = zone(hints.timezone) or LOCAL_TIME
    tags = unique(clean(el.text_content()) for el in select(tree, selectors.get("tags")))
    return Article(
        url=url,
        title=title,
        text=text,
        published=published_date(tree, page, hints, tz),
        modified=page.modified(tz),
        language=page.language() or hints.language or guess_language(text),
        category=select_text(tree, selectors.get("category")) or page.category() or page.category_link(),
        tags=tags or page.tags() or page.tag_links(),
        author=select_text(tree, selectors.get("author")) or page.author(),
        description=page.description(),
        image=page.image(),
        canonical_url=page.canonical_url(),
        alternates=page.alternates(),
        site=urlsplit(url).hostname,
    )


def published_date(tree: html.HtmlElement, page: PageMetadata, hints: ExtractionHints, tz: tzinfo | None) -> str | None:
    """When the article was published, as ISO 8601 in the site's zone (a date alone when no time is known).

    Structured data first (JSON-LD, article:published_time, ``<time datetime>``), then the profile's date and
    time selectors, then the dateline written beside the headline, then htmldate.
    """
    if found := page.published(tz):
        return found
    selectors = hints.selectors
    if "date" in selectors:
        shown = " ".join(filter(None, (select_text(tree, selectors["date"]), select_text(tree, selectors.get("time")))))
        if found := parse_visible(shown, tz):
            return found
    if found := page.visible_date(tz):
        return found
    # htmldate gives a day, never a time, and costs the most, so it comes last. original_date: a news page's
    # date is when it was first published, not its latest update. Its extensive search (dateparser over free
    # text) found 2 more of 35 undated benchmark pages at 3.5 times the cost, so it stays off.
    from htmldate import find_date  # imported on first use, as trafilatura below

    return find_date(tree, original_date=True, extensive_search=False, outputformat="%Y-%m-%d")


def without_headline(text: str, title: str | None) -> str:
    """Drop a first paragraph that only repeats the headline (an image caption, a kicker)."""
    first, _, rest = text.partition("\n\n")
    if title and clean(first) == clean(title):
        return rest
    return text


@cache
def _xpath(css: str) -> str:
    return GenericTranslator().css_to_xpath(css)


def body_text(
    tree: html.HtmlElement,
    url: str,
    hints: ExtractionHints = NO_HINTS,
    page: PageMetadata | None = None,
    title: str | None = None,
) -> str | None:
    """The article body: paragraphs separated by blank lines, lead included, no headline or page chrome."""
    text = None
    if body_css := hints.selectors.get("body"):
        text = "\n\n".join(p for el in select(tree, body_css) if (p := clean(el.text_content())))
    if not text:
        # Imported on first use: trafilatura takes a third of a second to import, and the commands that only
        # read the archive (`--help`, `list`, `stats`, `export`) never extract.
        import trafilatura

        options = {
            "url": url,
            "output_format": "txt",
            "with_metadata": False,
            "prune_xpath": [_xpath(css) for css in hints.exclude] or None,
            **TRAFILATURA_OPTIONS,
        }
        # trafilatura's own extraction first, its fallback only for a short text: where it changes the result.
        extracted = None if FALLBACK_BELOW is None else trafilatura.extract(tree, **{**options, "fast": True})
        if FALLBACK_BELOW is None or len(extracted or "") < FALLBACK_BELOW:
            extracted = trafilatura.extract(tree, **options)
        text = "\n\n".join(line.strip() for line in (extracted or "").splitlines() if line.strip())
    text = without_headline(text, title)
    if not text:
        return None
    # News sites often set the lead apart from the body's container, where trafilatura does not look.
    page = page or PageMetadata(tree, url)
    flat = clean(text) or ""
    if "lead" in hints.selectors:
        lead = select_text(tree, hints.selectors["lead"])
    else:
        description = page.description()
        # A description already in the text needs no search for a lead block.
        lead = page.visible_lead(text) if description and description not in flat else None
    if lead and lead not in flat:
        text = f"{lead}\n\n{text}"
    return text
