"""Incremental crawling: a second run fetches only what is new; --refresh makes versions of changed articles.

Three crawls of the fixture site with the bundled report.az profile, on one port: the site as shipped;
then with two new articles and two edited ones (server restarted on the new data); then ``--refresh``.
Request counts come from the server's request log.
"""

from __future__ import annotations

import inspect
import json
import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from discovery_sites import article_paths, fixture_articles, report_az_profile_on, requested_paths, write_site
from fixture_site import RunningSite, run_site
from helpers import iter_records, run_cli

from newsarchive.archive.articles import read_index
from newsarchive.archive.layout import SEEN_CACHE_NAME
from newsarchive.archive.reader import Archive
from newsarchive.archive.seen import load_seen
from newsarchive.demo.site import FONT_PATH, LOGO_PATH, STYLESHEET_PATH
from newsarchive.profiles import load_profile
from newsarchive.spiders import capture
from newsarchive.spiders.conditional import ValidatorStore, validators_from_records


def changed_site(articles: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """The site a while later: two new Russian articles, one Russian and one English article edited."""
    ru = [a for a in articles if a["lang"] == "ru"]
    en = [a for a in articles if a["lang"] == "en"]
    edited = [ru[1], en[2]]
    for article in edited:
        article["paragraphs"].append(f"Correction: the figures in {article['slug'][:20]} were updated.")
        article["text"] = "\n\n".join([article["lead"], *article["paragraphs"]])
    new = []
    for number in range(2):
        fresh = dict(ru[0], paragraphs=list(ru[0]["paragraphs"]), story_id=f"new-{number}")
        fresh["slug"] = f"novaya-statya-{number}-1990{number}"
        fresh["path"] = f"/ru/{fresh['category_slug']}/{fresh['slug']}/"
        fresh["title"] = f"Новая статья номер {number}"
        fresh["published"] = f"2025-09-11T1{number}:00:00+04:00"
        new.append(fresh)
    return articles + new, [a["path"] for a in new], [a["path"] for a in edited]


def crawl_and_log(site: RunningSite, profile: Path, archive: Path, *extra: str) -> list[dict[str, Any]]:
    """Crawl the site with the profile; the server's request log of that crawl."""
    result = run_cli("crawl", "--config", str(profile), "--archive", str(archive), "--delay", "0", *extra)
    assert result.returncode == 0, result.stderr
    fetched = int(re.search(r"Fetched (\d+) pages", result.stderr)[1])
    return site.requests(at_least=fetched)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("incremental")
    archive = base / "archive"
    with run_site(base / "requests-1.jsonl", write_site(base / "site-1.json")) as site:
        profile = report_az_profile_on(site.url, base / "report.az.toml")
        first = crawl_and_log(site, profile, archive)
        port = int(site.url.rsplit(":", 1)[1])
        first_articles = site.articles
    articles, new, edited = changed_site(fixture_articles())
    later = write_site(base / "site-2.json", articles)
    with run_site(base / "requests-2.jsonl", later, port=port) as site:
        second = crawl_and_log(site, profile, archive)
        index_after_second = list(read_index(archive / "indexes"))
        records_before_refresh = sum(1 for _ in iter_records(archive))
    with run_site(base / "requests-3.jsonl", later, port=port) as site:
        third = crawl_and_log(site, profile, archive, "--refresh")
        later_articles = site.articles
    return SimpleNamespace(
        archive=archive,
        profile=load_profile(profile),
        url=site.url,
        first=first,
        second=second,
        third=third,
        new=new,
        edited=edited,
        first_articles=first_articles,
        later_articles=later_articles,
        index_after_second=index_after_second,
        records_before_refresh=records_before_refresh,
    )


def test_first_run_archives_every_article(runs):
    urls = {entry["url"] for entry in runs.index_after_second}
    assert {a["url"] for a in runs.first_articles} <= urls


def test_second_run_fetches_each_new_article_once_and_no_old_one(runs):
    all_articles = article_paths(runs.later_articles)
    fetched = Counter(path for path in requested_paths(runs.second) if path in all_articles)
    assert fetched == Counter(runs.new)


def test_second_run_fetches_only_feeds_sitemaps_and_first_listing_pages_besides(runs):
    profile = runs.profile
    start_points = {
        profile.absolute(url).removeprefix(runs.url)
        for edition in profile.editions
        for url in (*edition.feeds, *edition.home, *edition.listings)
    }
    # The month the new articles went into; the other month's lastmod did not move.
    allowed = start_points | {"/robots.txt", "/sitemap.xml", "/sitemap/2025-09.xml"}
    paths = [path for path in requested_paths(runs.second) if path not in runs.new]
    others = Counter(path for path in paths if not is_requisite(path))
    assert set(others) <= allowed, sorted(set(others) - allowed)
    assert all(count == 1 for count in others.values()), others
    assert "/sitemap/2025-08.xml" not in others
    # Page requisites apart: the site-wide files the home pages name, and the new articles' photos, once each.
    new_photos = {
        f"/media/{path.rstrip('/').rsplit('/', 1)[1]}{size}.gif" for path in runs.new for size in ("", "-large")
    }
    requisites = Counter(path for path in paths if is_requisite(path))
    assert requisites == Counter(SITE_WIDE_REQUISITES + tuple(new_photos))
    print(f"second run: {sum(others.values())} discovery requests + {len(runs.new)} new articles"
          f" + {sum(requisites.values())} page requisites")  # fmt: skip


SITE_WIDE_REQUISITES = (STYLESHEET_PATH, LOGO_PATH, FONT_PATH)


def is_requisite(path: str) -> bool:
    """A page requisite of the test site: its static files and article photos."""
    return path.startswith(("/static/", "/media/"))


def test_second_run_asks_for_feeds_conditionally_and_unchanged_ones_cost_a_304(runs):
    feeds = {entry["path"]: entry for entry in runs.second if entry["path"].endswith("/rss/")}
    assert set(feeds) == {"/rss/", "/ru/rss/", "/en/rss/"}
    assert all(entry["headers"].get("If-None-Match") for entry in feeds.values())
    assert feeds["/rss/"]["status"] == feeds["/en/rss/"]["status"] == 304
    assert feeds["/ru/rss/"]["status"] == 200  # two new articles


def test_language_editions_of_one_story_share_a_story_id(runs):
    by_url = {entry["url"]: entry["story_id"] for entry in runs.index_after_second}
    stories: dict[str, set[str]] = {}
    for article in runs.first_articles:
        stories.setdefault(article["story_id"], set()).add(by_url[article["url"]])
    assert all(len(ids) == 1 for ids in stories.values())
    assert len({next(iter(ids)) for ids in stories.values()}) == len(stories)


def test_refresh_makes_an_edited_article_version_2_pointing_at_version_1(runs):
    entries = list(read_index(runs.archive / "indexes"))
    first_versions = {e["url"]: e for e in entries if e["version"] == 1}
    second_versions = {e["url"]: e for e in entries if e["version"] == 2}
    assert set(second_versions) == {runs.url + path for path in runs.edited}
    for url, entry in second_versions.items():
        assert entry["previous_record_id"] == first_versions[url]["warc_record_id"]
        assert entry["warc_record_id"] != first_versions[url]["warc_record_id"]
    latest = {a["url"]: a for a in Archive(runs.archive).articles()}
    truth = {a["url"]: a for a in runs.later_articles}
    for url in second_versions:
        assert latest[url]["version"] == 2
        assert latest[url]["text"] == truth[url]["text"]


def test_refresh_refetches_archived_articles_but_adds_no_version_when_only_chrome_changed(runs):
    refetched = set(requested_paths(runs.third)) & article_paths(runs.later_articles)
    assert refetched == article_paths(runs.later_articles)
    # Russian pages changed bytes (their related-news lists show the new articles), not content.
    versions = Counter(e["url"] for e in read_index(runs.archive / "indexes"))
    assert sum(versions.values()) == len(runs.later_articles) + len(runs.edited)


@pytest.mark.skipif(
    "revisit" not in inspect.getsource(capture).lower(), reason="revisit records are written by the fidelity branch"
)
def test_refresh_turns_byte_identical_articles_into_revisit_records(runs):
    edited = {runs.url + path for path in runs.edited}
    unchanged_bytes = {a["url"] for a in runs.later_articles if a["lang"] in ("az", "en") and a["url"] not in edited}
    records = list(iter_records(runs.archive))[runs.records_before_refresh :]
    revisited = {r.rec_headers.get_header("WARC-Target-URI") for _, r in records if r.rec_type == "revisit"}
    assert unchanged_bytes <= revisited


def write_index_lines(path: Path, urls: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as index:
        for url in urls:
            index.write(json.dumps({"url": url, "title": "t", "text": 'x \\ " y'}, ensure_ascii=False) + "\n")


def test_seen_set_knows_archived_urls_in_any_spelling_and_follows_the_index(tmp_path: Path):
    first = tmp_path / "articles-20250101000000-1.jsonl"
    write_index_lines(first, ["https://report.az/ru/a/1/", 'https://report.az/ru/"quoted"/2/'])
    seen = load_seen(tmp_path, "add")
    assert "HTTPS://REPORT.AZ:443/ru/a/1?utm_source=x#top" in seen
    assert 'https://report.az/ru/"quoted"/2/' in seen
    assert "https://report.az/ru/a/3/" not in seen
    assert (tmp_path / SEEN_CACHE_NAME).exists()
    # A later crawl's index file, and a line appended to the first: read from where the cache stopped.
    write_index_lines(tmp_path / "articles-20250102000000-2.jsonl", ["https://report.az/ru/a/3/"])
    write_index_lines(first, ["https://report.az/ru/a/4/"])
    seen = load_seen(tmp_path, "add")
    assert "https://report.az/ru/a/3/" in seen and "https://report.az/ru/a/4/" in seen
    assert len(seen) == 4
    # An index file that shrank (rewritten by a reindex) invalidates the cache: rebuilt from scratch.
    first.write_text("", encoding="utf-8")
    seen = load_seen(tmp_path, "add")
    assert len(seen) == 1 and "https://report.az/ru/a/3/" in seen


def test_validators_store_can_be_rebuilt_from_the_warcs(runs):
    store = ValidatorStore.load(runs.archive / "indexes")
    with_etags = {url: entry for url, entry in store.entries.items() if entry.get("etag")}
    assert {runs.url + "/ru/rss/", runs.url + "/sitemap.xml"} <= set(with_etags)
    rebuilt = validators_from_records((record for _, record in iter_records(runs.archive)), set(with_etags))
    assert {url: entry["etag"] for url, entry in rebuilt.items()} == {
        url: entry["etag"] for url, entry in with_etags.items()
    }
