"""End to end: crawl the fixture site into WARCs and an article index, then read it all back."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import FIXTURE_PROFILE, iter_records, record_at, run_cli, warc_files, warcio_check


@pytest.fixture(scope="module")
def crawled(news_site, tmp_path_factory) -> dict[str, Any]:
    """One crawl of the whole fixture site, and its export."""
    archive = tmp_path_factory.mktemp("crawl") / "archive"
    home = tmp_path_factory.mktemp("home")
    result = run_cli(
        "crawl", news_site.url + "/", "--archive", str(archive), "--delay", "0", "--config", str(FIXTURE_PROFILE),
        env={"HOME": str(home), "XDG_STATE_HOME": str(home / ".local" / "state")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    exported = run_cli("export", "--archive", str(archive), "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr
    articles = [json.loads(line) for line in exported.stdout.splitlines()]
    return {"archive": archive, "result": result, "articles": articles, "home": home}


def test_a_crawl_leaves_nothing_in_the_users_home(crawled):
    # Scrapy's remote control (on by default) would write a job file there, and open an endpoint that runs code.
    assert sorted(crawled["home"].rglob("*")) == []


def test_crawl_writes_closed_warc_files_that_pass_warcio_check(crawled):
    files = warc_files(crawled["archive"])
    assert files, "no WARC written"
    assert all(f.name.endswith(".warc.gz") for f in files), "a WARC was left .open"
    assert re.fullmatch(r"newsarchive-\d{14}-\d{5}-[A-Za-z0-9.-]+-\d+\.warc\.gz", files[0].name)
    assert warcio_check(files) == 0


def test_each_file_opens_with_warcinfo_and_every_response_has_its_request(crawled):
    by_id: dict[str, Any] = {}
    first_types = {}
    for path, record in iter_records(crawled["archive"]):
        first_types.setdefault(path, record.rec_type)
        headers = record.rec_headers
        assert headers.protocol == "WARC/1.1"
        by_id[headers.get_header("WARC-Record-ID")] = headers
    assert set(first_types.values()) == {"warcinfo"}
    responses = [h for h in by_id.values() if h.get_header("WARC-Type") == "response"]
    assert responses
    for response in responses:
        request = by_id[response.get_header("WARC-Concurrent-To")]
        assert request.get_header("WARC-Type") == "request"
        assert request.get_header("WARC-Concurrent-To") == response.get_header("WARC-Record-ID")
        assert request.get_header("WARC-Date") == response.get_header("WARC-Date")
        assert request.get_header("WARC-Target-URI") == response.get_header("WARC-Target-URI")


def test_robots_txt_and_feeds_are_archived_too(crawled, news_site):
    uris = {record.rec_headers.get_header("WARC-Target-URI") for _, record in iter_records(crawled["archive"])}
    assert news_site.url + "/robots.txt" in uris
    assert news_site.url + "/ru/rss/" in uris


def test_article_payloads_are_byte_identical_to_what_the_server_sent(crawled, news_site):
    sent = {entry["path"]: entry["sent_sha1"] for entry in news_site.requests() if entry["method"] == "GET"}
    archive: Path = crawled["archive"]
    for article in crawled["articles"]:
        record, payload = record_at(archive / "warc" / article["warc_file"], article["warc_offset"])
        assert record.rec_headers.get_header("WARC-Record-ID") == article["warc_record_id"]
        path = article["url"].removeprefix(news_site.url)
        assert hashlib.sha1(payload).hexdigest() == sent[path]
        assert record.http_headers.get_header("Content-Length") == str(len(payload))


def test_export_yields_exactly_the_fixture_articles(crawled, news_site):
    exported = {article["url"]: article for article in crawled["articles"]}
    assert set(exported) == {truth["url"] for truth in news_site.articles}
    for truth in news_site.articles:
        article = exported[truth["url"]]
        assert article["title"] == truth["title"]
        assert article["published"] == truth["published"]
        assert article["language"] == truth["lang"]
        assert article["text"] == truth["text"]


def test_article_text_has_no_page_chrome(crawled, news_site):
    other_titles = {truth["title"] for truth in news_site.articles}
    for article in crawled["articles"]:
        text = article["text"]
        for title in other_titles - {article["title"]}:
            assert title not in text, f"related-news title in {article['url']}"
        for chrome in ("Facebook", "WhatsApp", "Telegram", "©", "Report.az"):
            assert chrome not in text, f"{chrome!r} in {article['url']}"


def test_exported_lines_carry_the_contract_keys_in_order(crawled):
    keys = ["url", "title", "text", "published", "language", "category", "tags", "author", "description",
            "site", "fetched_at", "version", "warc_file", "warc_record_id"]  # fmt: skip
    for article in crawled["articles"]:
        assert list(article)[: len(keys)] == keys
        assert article["version"] == 1
        assert article["fetched_at"].endswith("Z")


def test_list_prints_one_line_per_article(crawled, news_site):
    result = run_cli("list", "--archive", str(crawled["archive"]), "--lang", "ru")
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    expected = {(a["published"], "ru", a["url"], a["title"]) for a in news_site.articles_in("ru")}
    assert {tuple(line) for line in lines} == expected


def test_stats_counts_the_archived_articles(crawled, news_site):
    result = run_cli("stats", "--archive", str(crawled["archive"]))
    assert result.returncode == 0, result.stderr
    assert f"Articles: {len(news_site.articles)} ({len(news_site.articles)} versions)" in result.stdout
    assert "(0 open)" in result.stdout


def test_export_filters_by_publication_date(crawled, news_site):
    result = run_cli("export", "--archive", str(crawled["archive"]), "--since", "2025-09-01", "--until", "2025-09-05")
    exported = {json.loads(line)["url"] for line in result.stdout.splitlines()}
    expected = {a["url"] for a in news_site.articles if "2025-09-01" <= a["published"][:10] <= "2025-09-05"}
    assert expected and exported == expected
