"""`crawl --no-extract`: archive only (WARCs and CDXJ, links followed); `reindex` extracts the articles later."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import FIXTURE_PROFILE, iter_records, run_cli

from newsarchive.archive.articles import read_index
from newsarchive.archive.cdxj import read_cdxj
from newsarchive.archive.reader import Archive
from newsarchive.spiders.crawl import crawl_settings


@pytest.fixture(scope="module")
def archived_only(news_site, tmp_path_factory) -> dict[str, Any]:
    archive = tmp_path_factory.mktemp("archive_only") / "archive"
    result = run_cli("crawl", news_site.url + "/", "--archive", str(archive), "--delay", "0",
                     "--config", str(FIXTURE_PROFILE), "--no-extract")  # fmt: skip
    return {"archive": archive, "result": result}


def test_an_archive_only_crawl_writes_warcs_and_cdxj_and_no_article_index(archived_only, news_site):
    archive: Path = archived_only["archive"]
    assert archived_only["result"].returncode == 0, archived_only["result"].stderr
    responses = {
        r.rec_headers.get_header("WARC-Target-URI") for _, r in iter_records(archive) if r.rec_type == "response"
    }
    assert {article["url"] for article in news_site.articles} <= responses
    assert {fields["url"] for _, _, fields in read_cdxj(archive / "indexes")} == responses
    assert list(read_index(archive / "indexes")) == []


def test_reindex_then_extracts_every_article_of_an_archive_only_crawl(archived_only, news_site, tmp_path):
    archive: Path = archived_only["archive"]
    result = run_cli("reindex", "--archive", str(archive), "--config", str(FIXTURE_PROFILE))
    assert result.returncode == 0, result.stderr
    exported = [json.loads(line) for line in run_cli("export", "--archive", str(archive)).stdout.splitlines()]
    assert sorted(a["url"] for a in exported) == sorted(article["url"] for article in news_site.articles)


def test_concurrency_sets_autothrottles_target_and_the_polite_defaults_stay(tmp_path):
    archive = Archive(tmp_path, create=True)
    assert crawl_settings(archive, concurrency=16).getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") == 16.0
    assert crawl_settings(archive, concurrency=16).getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 16
    defaults = crawl_settings(archive)
    assert defaults.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") == 2.0
    assert defaults.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 4
    assert defaults.getfloat("DOWNLOAD_DELAY") == 0.25
