"""The fictional news site itself, checked through real HTTP against its ground truth."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from html import escape
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from fixture_site import SITE_DATA, RunningSite, fetch

from newsarchive.demo.server import start_server
from newsarchive.demo.site import NewsSite

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
LANGUAGES = ("az", "ru", "en")
PREFIX = {"az": "", "ru": "/ru", "en": "/en"}


class _Anchors(HTMLParser):
    """Collects the attributes of every <a> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append({name: value or "" for name, value in attrs})


def anchors(html: str) -> list[dict[str, str]]:
    parser = _Anchors()
    parser.feed(html)
    return parser.anchors


def xml_texts(body: bytes, path: str) -> list[str]:
    root = ET.fromstring(body)
    return [element.text or "" for element in root.findall(path, SITEMAP_NS)]


def listing_paths(site: RunningSite, start: str) -> tuple[list[str], int]:
    """Article paths of a paginated listing, following rel=next; and the page count."""
    paths: list[str] = []
    url: str | None = site.absolute(start)
    pages = 0
    while url is not None:
        response = fetch(url)
        assert response.status == 200, url
        pages += 1
        links = anchors(response.text)
        paths += [a["href"] for a in links if a.get("class") == "news-item-title"]
        following = [a["href"] for a in links if a.get("rel") == "next"]
        url = urljoin(url, following[0]) if following else None
    return paths, pages


def test_robots_txt_points_to_the_sitemap(news_site: RunningSite) -> None:
    response = news_site.fetch("/robots.txt")

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /search/" in lines
    assert f"Sitemap: {news_site.url}/sitemap.xml" in lines


def test_sitemap_index_lists_monthly_sitemaps_covering_every_article(news_site: RunningSite) -> None:
    index = news_site.fetch("/sitemap.xml")
    assert index.status == 200
    assert index.headers["Content-Type"].startswith("application/xml")
    sitemaps = xml_texts(index.body, "sm:sitemap/sm:loc")
    assert sorted(sitemaps) == [f"{news_site.url}/sitemap/2025-08.xml", f"{news_site.url}/sitemap/2025-09.xml"]
    assert len(xml_texts(index.body, "sm:sitemap/sm:lastmod")) == 2

    listed: dict[str, str] = {}
    for sitemap in sitemaps:
        month = sitemap.rsplit("/", 1)[1].removesuffix(".xml")
        body = fetch(sitemap).body
        for loc in xml_texts(body, "sm:url/sm:loc"):
            listed[loc] = month
        assert len(xml_texts(body, "sm:url/sm:lastmod")) == len(xml_texts(body, "sm:url/sm:loc"))

    # Months are those of Baku time: the 2025-09-01T00:20+04:00 article is in September.
    assert listed == {a["url"]: a["published"][:7] for a in news_site.articles}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_rss_lists_the_languages_articles_newest_first(news_site: RunningSite, lang: str) -> None:
    response = news_site.fetch(f"{PREFIX[lang]}/rss/")

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/rss+xml")
    items = ET.fromstring(response.body).findall("channel/item")
    expected = news_site.articles_in(lang)
    assert [item.findtext("link") for item in items] == [a["url"] for a in expected]
    for item, article in zip(items, expected, strict=True):
        assert item.findtext("title") == article["title"]
        assert item.findtext("category") == article["category"]
        assert parsedate_to_datetime(item.findtext("pubDate") or "") == datetime.fromisoformat(article["published"])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_category_listings_paginate_and_cover_the_category(news_site: RunningSite, lang: str) -> None:
    categories = {a["category_slug"] for a in news_site.articles_in(lang)}
    assert len(categories) >= 2
    page_counts = []
    for slug in categories:
        paths, pages = listing_paths(news_site, f"{PREFIX[lang]}/{slug}/")
        assert paths == [a["path"] for a in news_site.articles_in(lang, slug)]
        page_counts.append(pages)
    assert max(page_counts) > 1, "some category should need more than one page"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_news_feed_covers_the_language(news_site: RunningSite, lang: str) -> None:
    paths, pages = listing_paths(news_site, f"{PREFIX[lang]}/news-feed/")

    assert paths == [a["path"] for a in news_site.articles_in(lang)]
    assert pages == 2


def test_article_pages_show_title_date_time_tags_and_text(news_site: RunningSite) -> None:
    visible_dates = {"ru": "08 сентября, 2025", "az": "08 sentyabr, 2025", "en": "08 September, 2025"}
    for article in news_site.articles:
        response = news_site.fetch(article["path"])
        assert response.status == 200, article["path"]
        html = response.text
        published = datetime.fromisoformat(article["published"])

        assert f'<html lang="{article["lang"]}">' in html
        assert f"<title>{escape(article['title'])} - Report.az</title>" in html
        assert f'<h1 class="news-title">{escape(article["title"])}</h1>' in html
        assert f'<li class="news-time">{published:%H:%M}</li>' in html
        assert f'<link rel="canonical" href="{article["url"]}">' in html
        for tag in article["tags"]:
            assert f">{escape(tag)}</a>" in html
        for paragraph in [article["lead"], *article["paragraphs"]]:
            assert escape(paragraph) in html
        if published.day == 8 and published.month == 9:
            assert f'<li class="news-date">{visible_dates[article["lang"]]}</li>' in html

        has_structured_data = "application/ld+json" in html
        assert has_structured_data == article["structured_data"]
        assert ("article:published_time" in html) == article["structured_data"]
        assert (article["published"] in html) == article["structured_data"]


def test_json_ld_describes_the_article(news_site: RunningSite) -> None:
    article = next(a for a in news_site.articles if a["structured_data"])
    html = news_site.fetch(article["path"]).text

    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match is not None
    data = json.loads(match[1])
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == article["title"]
    assert data["datePublished"] == article["published"]
    assert data["articleSection"] == article["category"]
    assert data["keywords"] == ", ".join(article["tags"])


def test_translations_link_each_other_with_hreflang(news_site: RunningSite) -> None:
    story = [a for a in news_site.articles if a["story_id"] == "t01"]
    assert sorted(a["lang"] for a in story) == ["az", "en", "ru"]
    for article in story:
        html = news_site.fetch(article["path"]).text
        for other in story:
            assert f'<link rel="alternate" hreflang="{other["lang"]}" href="{other["url"]}">' in html


def test_article_page_has_validators(news_site: RunningSite) -> None:
    article = news_site.articles[0]
    response = news_site.fetch(article["path"])

    assert parsedate_to_datetime(response.headers["Last-Modified"]) == datetime.fromisoformat(article["published"])
    etag = response.headers["ETag"]
    assert news_site.fetch(article["path"], {"If-None-Match": etag}).status == 304


def test_gzip_is_served_when_asked_and_logged_with_its_sha1(fresh_news_site: RunningSite) -> None:
    site = fresh_news_site
    article = site.articles[0]
    plain = site.fetch(article["path"])
    packed = site.fetch(article["path"], {"Accept-Encoding": "gzip"})

    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert int(packed.headers["Content-Length"]) == len(packed.body)
    assert gzip.decompress(packed.body) == plain.body
    # mtime=0: the compressed bytes are the same on every request.
    assert site.fetch(article["path"], {"Accept-Encoding": "gzip"}).body == packed.body

    log = site.requests(at_least=3)
    assert [entry["path"] for entry in log] == [article["path"]] * 3
    assert log[0]["sent_sha1"] == hashlib.sha1(plain.body).hexdigest()
    assert log[1]["sent_sha1"] == hashlib.sha1(packed.body).hexdigest()
    assert log[1]["headers"]["Accept-Encoding"] == "gzip"
    assert all(e["method"] == "GET" and e["status"] == 200 for e in log)
    assert all(e["started"] <= e["ended"] for e in log)


def test_unknown_pages_404_and_directories_redirect(news_site: RunningSite) -> None:
    assert news_site.fetch("/no-such-section/").status == 404
    assert news_site.fetch("/ru/ekonomika/?page=9").status == 404
    assert news_site.fetch("/sitemap/2024-01.xml").status == 404

    redirect = news_site.fetch("/ru/ekonomika")
    assert redirect.status == 301
    assert redirect.headers["Location"] == f"{news_site.url}/ru/ekonomika/"


def test_data_file_text_is_lead_then_paragraphs(news_site: RunningSite) -> None:
    for article in news_site.articles:
        assert article["text"] == "\n\n".join([article["lead"], *article["paragraphs"]])
    assert sum(not a["structured_data"] for a in news_site.articles) >= len(news_site.articles) // 4


def test_in_process_server_serves_the_same_bytes(news_site: RunningSite, tmp_path) -> None:
    article = news_site.articles[0]
    log = tmp_path / "requests.jsonl"
    with start_server(SITE_DATA, request_log=log) as server:
        response = fetch(server.url + article["path"])
        assert response.status == 200
    expected = NewsSite.from_file(SITE_DATA).respond(article["path"], server.url).body
    assert response.body == expected
    assert len(log.read_text().splitlines()) == 1
