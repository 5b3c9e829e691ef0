"""Article fields read by the generic path (no profile) from small hand-written pages in tests/data/extract/."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsarchive.extract import Article, ExtractionHints, extract_article
from newsarchive.extract.language import guess_language
from newsarchive.extract.metadata import strip_site_name

DATA = Path(__file__).resolve().parents[1] / "data" / "extract"
GENERIC_URL = "https://news.example.com/city/harbour-cranes-return/"


@pytest.fixture(scope="module")
def generic_article() -> Article:
    """An English page with meta tags, no JSON-LD and no <html lang>, among a header, sidebar blocks and footer."""
    article = extract_article((DATA / "generic-article.html").read_bytes(), GENERIC_URL)
    assert article is not None
    return article


@pytest.fixture(scope="module")
def azerbaijani_article() -> Article:
    """An Azerbaijani page that declares nothing: no metas, no lang, a date without a time under the headline."""
    body = (DATA / "az-date-only.html").read_bytes()
    article = extract_article(body, "https://example.az/xeberler/park/", None, ExtractionHints(timezone="Asia/Baku"))
    assert article is not None
    return article


def test_title_loses_the_site_name_suffix(generic_article: Article) -> None:
    assert generic_article.title == "Harbour cranes return to the old port"


def test_time_element_gives_published_with_its_offset(generic_article: Article) -> None:
    assert generic_article.published == "2025-03-01T08:15:00+00:00"


def test_modified_comes_from_article_modified_time(generic_article: Article) -> None:
    assert generic_article.modified == "2025-03-02T10:00:00+00:00"


def test_category_is_the_link_to_the_parent_section(generic_article: Article) -> None:
    assert generic_article.category == "City"


def test_tags_come_from_the_tag_list_after_the_body_not_the_header_bar(generic_article: Article) -> None:
    assert generic_article.tags == ["port", "heritage"]


def test_author_description_image_and_canonical_url(generic_article: Article) -> None:
    assert generic_article.author == "Jane Roe"
    assert (
        generic_article.description
        == "The city council voted to restore three cranes as a museum of the port's working past."
    )
    assert generic_article.image == "https://news.example.com/img/cranes.jpg"
    assert generic_article.canonical_url == GENERIC_URL


def test_language_comes_from_the_hreflang_of_the_page_itself(generic_article: Article) -> None:
    assert generic_article.language == "en"
    assert generic_article.alternates == {"en": GENERIC_URL, "de": "https://news.example.com/de/stadt/hafenkraene/"}


def test_text_is_the_paragraphs_without_read_also_share_related_or_footer(generic_article: Article) -> None:
    paragraphs = generic_article.text.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("The three red cranes")
    assert paragraphs[-1].endswith("in its cabin.")
    for chrome in ("Read also", "Share on Facebook", "More from City", "Tram line", "All rights reserved"):
        assert chrome not in generic_article.text


def test_a_date_shown_without_a_time_gives_a_date_only(azerbaijani_article: Article) -> None:
    assert azerbaijani_article.published == "2025-09-08"


def test_language_is_detected_when_the_page_declares_none(azerbaijani_article: Article) -> None:
    assert azerbaijani_article.language == "az"


def test_a_page_without_any_date_has_no_published() -> None:
    body = (DATA / "az-date-only.html").read_bytes().replace(b"08 sentyabr, 2025", b"")
    article = extract_article(body, "https://example.az/xeberler/park/")
    assert article is not None
    assert article.published is None


def test_a_page_without_text_gives_no_article() -> None:
    assert extract_article(b"<html><head><title>Empty</title></head><body></body></html>", GENERIC_URL) is None


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Headline - Report.az", "Report.az", "Headline"),
        ("Headline | Daily Example", "Daily Example", "Headline"),
        ("Headline — example.com", None, "Headline"),
        ("Peace talks - a new round", "Daily Example", "Peace talks - a new round"),
    ],
)
def test_site_name_suffixes_are_stripped_but_dashes_in_headlines_stay(
    title: str, site: str | None, expected: str
) -> None:
    assert strip_site_name(title, site) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The council said that the cranes will be restored and opened to visitors in the summer of this year.", "en"),
        (
            "Совет заявил, что краны будут восстановлены и открыты для посетителей, как и было обещано в этом году.",
            "ru",
        ),
        (
            "Şura bildirib ki, kranlar bərpa ediləcək və bu il ziyarətçilər üçün açıq olacaq, həm də park.",
            "az",
        ),
        ("42 17 2025", None),
    ],
)
def test_language_guess(text: str, expected: str | None) -> None:
    assert guess_language(text) == expected
