"""Discovery: site profiles, generic discovery of sitemaps, feeds and listings, and the crawl options that limit it.

Parsers and URL normalisation are checked on literal documents; crawls run against variants of the fixture
site on 127.0.0.1, and what was fetched is read from the server's request log.
"""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from discovery_sites import article_paths, report_az_profile_on, requested_paths, write_site
from fixture_site import run_site
from helpers import run_cli

from newsarchive.archive.articles import read_index
from newsarchive.archive.reader import Archive
from newsarchive.archive.urls import normalize_url
from newsarchive.discover.links import (
    ARTICLE,
    SITEMAP,
    html_discovery,
    json_feed_links,
    robots_sitemaps,
    url_date,
    xml_links,
)
from newsarchive.discover.pages import analyse_page
from newsarchive.errors import ConfigError
from newsarchive.extract import ExtractionHints, parse_html
from newsarchive.extract.dates import zone
from newsarchive.profiles import ListingHints, bundled_profiles, load_profile, resolve_targets

# ------------------------------------------------------------------------------------------ URLs


@pytest.mark.parametrize(
    ("url", "policy", "expected"),
    [
        ("HTTPS://Report.AZ:443/ru/ekonomika/x/#comments", "keep", "https://report.az/ru/ekonomika/x/"),
        ("http://report.az:80/ru/?utm_source=fb&utm_medium=x&fbclid=abc", "keep", "http://report.az/ru/"),
        ("https://report.az/ru/news-feed/?page=2&gclid=1", "keep", "https://report.az/ru/news-feed/?page=2"),
        ("https://report.az/ru/ekonomika/x", "add", "https://report.az/ru/ekonomika/x/"),
        ("https://report.az/media/x.gif", "add", "https://report.az/media/x.gif"),
        ("https://report.az/ru/ekonomika/x/", "strip", "https://report.az/ru/ekonomika/x"),
        ("http://127.0.0.1:8080/ru/", "keep", "http://127.0.0.1:8080/ru/"),
    ],
)
def test_normalized_urls_drop_what_does_not_change_the_page(url, policy, expected):
    assert normalize_url(url, policy) == expected


def test_dates_in_urls_are_read():
    assert url_date("https://example.org/news/2025/09/08/story") == datetime(2025, 9, 8, tzinfo=UTC)
    assert url_date("https://example.org/ru/ekonomika/story-1871798/") is None


# ------------------------------------------------------------------------------------------ documents

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>/ru/a/1/</link><pubDate>Mon, 08 Sep 2025 15:31:00 +0400</pubDate></item>
<item><title>b</title><guid>https://report.az/ru/b/2/</guid></item>
</channel></rss>"""
ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="alternate" href="https://report.az/en/c/3/"/>
<published>2025-09-08T10:00:00Z</published></entry></feed>"""
SITEMAP_INDEX = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://report.az/sitemap/2025-09.xml</loc><lastmod>2025-09-10T12:48:00+04:00</lastmod></sitemap>
</sitemapindex>"""
NEWS_SITEMAP = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://report.az/ru/d/4/</loc>
<news:news><news:publication_date>2025-09-09T08:35:00+04:00</news:publication_date></news:news></url></urlset>"""


def test_rss_items_are_articles_with_their_dates():
    links = xml_links(RSS, "https://report.az/ru/rss/")
    assert [(link.url, link.kind) for link in links] == [
        ("https://report.az/ru/a/1/", ARTICLE),
        ("https://report.az/ru/b/2/", ARTICLE),
    ]
    assert links[0].date == datetime(2025, 9, 8, 11, 31, tzinfo=UTC)
    assert links[1].date is None


def test_atom_sitemap_index_and_news_sitemap_are_read():
    (atom,) = xml_links(ATOM, "https://report.az/en/atom/")
    assert (atom.url, atom.date) == ("https://report.az/en/c/3/", datetime(2025, 9, 8, 10, tzinfo=UTC))
    (child,) = xml_links(SITEMAP_INDEX, "https://report.az/sitemap.xml")
    assert (child.kind, child.date) == (SITEMAP, datetime(2025, 9, 10, 8, 48, tzinfo=UTC))
    (news,) = xml_links(NEWS_SITEMAP, "https://report.az/news-sitemap.xml")
    assert (news.kind, news.date) == (ARTICLE, datetime(2025, 9, 9, 4, 35, tzinfo=UTC))


def test_report_az_news_feed_json_and_robots_sitemap_lines_are_read():
    body = b'{"posts": [{"url": "/ru/ekonomika/x/"}, {"title": "no url"}]}'
    assert [link.url for link in json_feed_links(body, "https://report.az/ru/news-feed/")] == [
        "https://report.az/ru/ekonomika/x/"
    ]
    robots = b"User-agent: *\nDisallow: /search/\nSitemap: https://report.az/sitemap.xml\n"
    assert [link.url for link in robots_sitemaps(robots, "https://report.az/robots.txt")] == [
        "https://report.az/sitemap.xml"
    ]


def test_a_sitemap_kept_as_a_gzip_file_is_read_and_a_gzip_bomb_is_not_inflated_past_the_cap():
    url = "https://report.az/news-sitemap.xml.gz"
    for content_type in (b"application/x-gzip", b"application/gzip"):
        (news,) = analyse_page(gzip.compress(NEWS_SITEMAP), url, content_type, ExtractionHints()).links
        assert (news.url, news.kind) == ("https://report.az/ru/d/4/", ARTICLE)
    # Served with Content-Encoding: gzip on top, Scrapy hands over the file inflated already.
    assert [link.url for link in analyse_page(NEWS_SITEMAP, url, b"application/x-gzip", ExtractionHints()).links] == [
        "https://report.az/ru/d/4/"
    ]
    bomb = gzip.compress(NEWS_SITEMAP[:-10] + b" " * 30_000_000 + NEWS_SITEMAP[-10:])
    assert analyse_page(bomb, url, b"application/x-gzip", ExtractionHints()).links == []


MOST_READ = """<html><body><ul class="menu"><li><a href="/ru/ekonomika/">Экономика 2025</a></li></ul>
<aside><ol class="most-read">
<li><a href="/ru/ekonomika/old-story-1871281/">Old story</a><span class="news-date">19 августа, 2025</span></li>
<li><a href="/ru/ekonomika/a-1/">A</a> <a href="/ru/ekonomika/b-2/">B</a> 20 августа, 2025</li>
</ol></aside></body></html>"""


def test_a_link_shown_with_a_date_outside_any_listing_carries_that_date():
    # A "most read" block dates its links: --since need not fetch an old article to learn its age.
    tree = parse_html(MOST_READ.encode(), b"text/html")
    found = html_discovery(tree, "https://report.az/ru/", ListingHints(item=".news-item"), zone("+04:00"))
    dates = {link.url.removeprefix("https://report.az"): link.date for link in found.links}
    assert dates["/ru/ekonomika/old-story-1871281/"] == datetime(2025, 8, 18, 20, tzinfo=UTC)
    assert not any(link.listed for link in found.links)
    # A menu item with a number in its name, and an item holding two links, date nothing.
    assert dates["/ru/ekonomika/"] is None
    assert dates["/ru/ekonomika/a-1/"] is None and dates["/ru/ekonomika/b-2/"] is None


# ------------------------------------------------------------------------------------------ profiles


def test_bundled_report_az_profile_names_its_editions_and_start_points():
    profile = bundled_profiles()["report.az"]
    assert [(e.language, e.prefix) for e in profile.editions] == [("az", "/"), ("ru", "/ru/"), ("en", "/en/")]
    assert [e.feeds for e in profile.editions] == [("/rss/",), ("/ru/rss/",), ("/en/rss/",)]
    assert "/ru/news-feed/" in profile.editions[1].listings
    assert profile.language_of("https://report.az/ru/ekonomika/x/") == "ru"
    assert profile.language_of("https://report.az/iqtisadiyyat/x/") == "az"
    pattern = re.compile(profile.article_url_pattern)
    assert pattern.search("/ru/ekonomika/v-azerbajdzhane-vyroslo-proizvodstvo-funduka-1871435/")
    assert pattern.search("/iqtisadiyyat/azerbaycanda-pambiq-tedaruku-movsumu-baslayib/")
    assert not pattern.search("/ru/ekonomika/")
    assert not pattern.search("/ru/news-feed/")


def test_a_start_url_on_a_profiles_host_uses_that_profile_and_others_get_the_generic_one():
    profile, urls = resolve_targets(["https://report.az/ru/"])
    assert (profile.name, urls) == ("report.az", ["https://report.az/ru/"])
    profile, _ = resolve_targets(["https://example.org/"])
    assert profile.name == "generic" and profile.is_generic
    assert profile.hosts == ("example.org",)


def test_a_bad_profile_value_is_a_config_error_naming_the_file_and_key(tmp_path: Path):
    path = tmp_path / "site.toml"
    path.write_text('name = "x"\ntrailing_slash = "sometimes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"site\.toml: trailing_slash"):
        load_profile(path)
    path.write_text("name = \"x\"\nnever_fetch = ['(']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="never_fetch"):
        load_profile(path)


def test_sites_lists_the_bundled_profiles():
    result = run_cli("sites")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("report.az\taz,ru,en\thttps://report.az\t")


def test_crawl_rejects_a_malformed_lang_option(tmp_path: Path):
    result = run_cli("crawl", "report.az", "--archive", str(tmp_path / "a"), "--lang", "russian!")
    assert result.returncode == 2
    assert "--lang" in result.stderr
    assert not (tmp_path / "a").exists()


# ------------------------------------------------------------------------------------------ crawls


def crawl_site(base: Path, name: str, data: Path, *args: str, profile: bool = False) -> SimpleNamespace:
    """Serve ``data``, crawl it (generic discovery from the home page, or the report.az profile)."""
    archive = base / name
    with run_site(base / f"{name}.jsonl", data) as site:
        target = ["--config", str(report_az_profile_on(site.url, base / f"{name}.toml"))] if profile else [site.url]
        result = run_cli("crawl", *target, "--archive", str(archive), "--delay", "0", *args)
        assert result.returncode == 0, result.stderr
        fetched = int(re.search(r"Fetched (\d+) pages", result.stderr)[1])
        requests = site.requests(at_least=fetched)
        articles = site.articles
    archived = {entry["url"].removeprefix(site.url) for entry in read_index(archive / "indexes")}
    return SimpleNamespace(requests=requests, articles=articles, archived=archived)


@pytest.fixture(scope="module")
def sitemap_only(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("sitemap-only")
    return crawl_site(base, "crawl", write_site(base / "site.json", feeds=False, article_links=[]))


def test_generic_discovery_reads_robots_txt_sitemaps_itself_when_ignoring_robots(tmp_path: Path):
    ignoring = crawl_site(
        tmp_path, "crawl", write_site(tmp_path / "site.json", feeds=False, article_links=[]), "--ignore-robots"
    )
    assert ignoring.archived == article_paths(ignoring.articles)


def test_generic_discovery_reads_sitemaps_served_as_gzip_files(tmp_path: Path):
    data = write_site(tmp_path / "site.json", feeds=False, article_links=[], gzip_sitemaps=True)
    crawl = crawl_site(tmp_path, "crawl", data)
    assert crawl.archived == article_paths(crawl.articles)
    paths = requested_paths(crawl.requests)
    assert "/sitemap.xml.gz" in paths and [path for path in paths if path.startswith("/sitemap/")]
    assert not [path for path in paths if path.endswith(".xml")]
    # Archived as served: the gzip file's own bytes, its type kept.
    base = crawl.articles[0]["url"].removesuffix(crawl.articles[0]["path"])
    archive = Archive(tmp_path / "crawl")
    (entry,) = archive.capture_entries(base + "/sitemap.xml.gz")
    assert entry.fields["mime"] == "application/x-gzip"
    assert b"<sitemapindex" in gzip.decompress(archive.capture(base + "/sitemap.xml.gz").body)


@pytest.fixture(scope="module")
def feed_and_listings_only(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("feed-and-listings")
    data = write_site(base / "site.json", sitemaps=False, feed_size=2, article_links=["listings"])
    return crawl_site(base, "crawl", data)


def test_generic_discovery_finds_every_article_of_a_site_reachable_only_through_its_sitemap_index(sitemap_only):
    assert sitemap_only.archived == article_paths(sitemap_only.articles)
    paths = requested_paths(sitemap_only.requests)
    assert "/sitemap.xml" in paths  # named only by robots.txt


def test_generic_discovery_finds_every_article_through_feeds_and_paginated_listings(feed_and_listings_only):
    assert feed_and_listings_only.archived == article_paths(feed_and_listings_only.articles)
    paths = requested_paths(feed_and_listings_only.requests)
    assert {"/rss/", "/ru/rss/", "/en/rss/"} <= set(paths)  # found by <link rel=alternate>
    assert [path for path in paths if "?page=" in path]


SINCE = "2025-09-01"
LISTINGS = {
    "az": ["news-feed", "xarici-siyaset", "iqtisadiyyat"],
    "ru": ["news-feed", "vneshnyaya-politika", "ekonomika"],
}


@pytest.fixture(scope="module")
def since_and_lang(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("since-lang")
    data = write_site(base / "site.json")
    return crawl_site(base, "crawl", data, "--since", SINCE, "--lang", "az,ru", "--concurrency", "1", profile=True)


def is_recent(article: dict[str, Any]) -> bool:
    return date.fromisoformat(article["published"][:10]) >= date.fromisoformat(SINCE)


def test_since_and_lang_fetch_exactly_the_recent_articles_of_those_languages(since_and_lang):
    recent = {a["path"] for a in since_and_lang.articles if a["lang"] in ("az", "ru") and is_recent(a)}
    fetched = set(requested_paths(since_and_lang.requests)) & article_paths(since_and_lang.articles)
    assert fetched == recent
    assert since_and_lang.archived == recent
    assert not [path for path in requested_paths(since_and_lang.requests) if path.startswith("/en/")]


def test_since_stops_paging_a_listing_after_a_page_of_older_items(since_and_lang):
    page_size = 3
    expected = set()
    for lang, sections in LISTINGS.items():
        for section in sections:
            prefix = "" if lang == "az" else f"/{lang}"
            items = [
                a for a in since_and_lang.articles if a["lang"] == lang and section in ("news-feed", a["category_slug"])
            ]
            pages = [items[i : i + page_size] for i in range(0, len(items), page_size)]
            for number, page in enumerate(pages[:-1], start=1):
                if not any(is_recent(a) for a in page):
                    break
                expected.add(f"{prefix}/{section}/?page={number + 1}")
    walked = {path for path in requested_paths(since_and_lang.requests) if "?page=" in path}
    assert walked == expected


def test_since_skips_a_sitemap_whose_lastmod_is_older(since_and_lang):
    paths = requested_paths(since_and_lang.requests)
    assert "/sitemap.xml" in paths
    assert "/sitemap/2025-08.xml" not in paths


def test_discovery_asks_feeds_first_then_listings_then_sitemaps(since_and_lang):
    paths = requested_paths(since_and_lang.requests)
    feeds = [paths.index(p) for p in ("/rss/", "/ru/rss/")]
    listings = [paths.index(p) for p in ("/", "/news-feed/", "/ru/", "/ru/news-feed/")]
    assert max(feeds) < min(listings)
    assert max(listings) < paths.index("/sitemap.xml")
