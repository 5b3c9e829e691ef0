"""Every field of every article of the Report.az-style test site, read back with and without a profile.

The pages are rendered by the test site (``newsarchive.demo.site``) from ``tests/site/articles.json``, which
doubles as the ground truth. A third of the articles have no JSON-LD or article:* metas: their date and time
are only shown on the page.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import html

from newsarchive.demo.site import NewsSite
from newsarchive.extract import Article, ExtractionHints, extract_article, extract_from_tree, parse_html
from newsarchive.extract.scoring import score_page

SITE_DATA = Path(__file__).resolve().parents[1] / "site" / "articles.json"
BASE_URL = "https://report.az"
ARTICLES: list[dict[str, Any]] = json.loads(SITE_DATA.read_text(encoding="utf-8"))["articles"]
SITE = NewsSite.from_file(SITE_DATA)

# What the bundled report.az profile gives extraction (its selectors are the test site's classes).
REPORT_AZ_HINTS = ExtractionHints(
    timezone="Asia/Baku",
    selectors={
        "title": "h1.news-title",
        "category": ".news-article .news-category",
        "tags": ".news-article .news-tags a",
        "date": ".news-article .news-date",
        "time": ".news-article .news-time",
        "author": ".news-article .news-author",
        "lead": ".news-article .news-lead",
    },
    exclude=(".related-news", ".share-buttons", ".trending-tags", ".news-tags", ".news-image", ".most-read"),
)
GENERIC = ExtractionHints()
# Page chrome whose text must never reach an article's body.
CHROME = ".trending-tags, .share-buttons, .related-news, .news-tags, .most-read, .site-footer, .site-header"


def by_id(article: dict[str, Any]) -> str:
    return f"{article['lang']}-{article['slug'][:30]}"


def render(article: dict[str, Any]) -> tuple[bytes, str, dict[str, str]]:
    response = SITE.respond(article["path"], BASE_URL)
    assert response.status == 200
    return response.body, BASE_URL + article["path"], {"Content-Type": response.content_type}


def extract(article: dict[str, Any], hints: ExtractionHints) -> Article:
    body, url, headers = render(article)
    extracted = extract_article(body, url, headers, hints)
    assert extracted is not None
    return extracted


def expected_published(article: dict[str, Any], hints: ExtractionHints) -> str:
    # Without a profile, a time shown on the page has no known zone: only the date may be given.
    if hints is GENERIC and not article["structured_data"]:
        return datetime.fromisoformat(article["published"]).date().isoformat()
    return article["published"]


def test_the_site_has_articles_in_three_languages_some_without_structured_data() -> None:
    assert {a["lang"] for a in ARTICLES} == {"az", "ru", "en"}
    assert {a["lang"] for a in ARTICLES if not a["structured_data"]} == {"az", "ru", "en"}


@pytest.mark.parametrize("hints", [REPORT_AZ_HINTS, GENERIC], ids=["report.az profile", "generic"])
@pytest.mark.parametrize("article", ARTICLES, ids=by_id)
def test_every_field_matches_the_ground_truth(article: dict[str, Any], hints: ExtractionHints) -> None:
    extracted = extract(article, hints)
    assert extracted.title == article["title"]
    assert extracted.published == expected_published(article, hints)
    assert extracted.category == article["category"]
    assert extracted.tags == article["tags"]
    assert extracted.language == article["lang"]
    assert extracted.author == article["author"]
    assert extracted.description == article["description"]
    assert extracted.canonical_url == BASE_URL + article["path"]
    assert extracted.image == f"{BASE_URL}/media/{article['slug']}.gif"
    assert extracted.site == "report.az"


@pytest.mark.parametrize("hints", [REPORT_AZ_HINTS, GENERIC], ids=["report.az profile", "generic"])
@pytest.mark.parametrize("article", ARTICLES, ids=by_id)
def test_body_is_the_lead_and_paragraphs_without_page_chrome(article: dict[str, Any], hints: ExtractionHints) -> None:
    body, _, _ = render(article)
    text = extract(article, hints).text
    assert score_page(text, article["text"]).f1 >= 0.98
    assert text.startswith(article["lead"])
    chrome = [block.text_content().strip() for block in html.fromstring(body).cssselect(CHROME)]
    assert not [block for block in chrome if block and block in text]


def test_translations_are_listed_as_alternates_by_language() -> None:
    story = next(a["story_id"] for a in ARTICLES if a["lang"] == "en")
    editions = {a["lang"]: BASE_URL + a["path"] for a in ARTICLES if a["story_id"] == story}
    article = next(a for a in ARTICLES if a["story_id"] == story and a["lang"] == "en")
    assert extract(article, GENERIC).alternates == editions


def test_the_spiders_tree_gives_the_same_article_and_is_left_unchanged() -> None:
    article = ARTICLES[0]
    body, url, headers = render(article)
    tree = parse_html(body, headers["Content-Type"])
    before = html.tostring(tree)
    assert extract_from_tree(tree, url, REPORT_AZ_HINTS) == extract_article(body, url, headers, REPORT_AZ_HINTS)
    assert html.tostring(tree) == before
