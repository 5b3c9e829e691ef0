"""Every article of a site without a profile: both templates, their times and offsets, nothing fetched twice.

The mixed fixture site renders a third of its articles (two per language) in an older template that declares
nothing (no Open Graph, no ``article:`` metas, no JSON-LD, no canonical or hreflang; the date only as visible
text with the time beside it, category and tags only as links), mixed with the current template in the same
listings, feeds and sitemaps. It is crawled from its home page alone, as a new user would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from discovery_sites import (
    LEGACY_PATHS_INDEXES,
    article_paths,
    mixed_articles,
    report_az_profile_on,
    requested_paths,
    write_site,
)
from fixture_site import RunningSite, run_site
from helpers import REPO_ROOT, run_cli

from newsarchive.archive.articles import read_index
from newsarchive.archive.facts import load_facts
from newsarchive.archive.layout import INDEX_GLOB
from newsarchive.archive.runs import read_runs

FIELDS = ("title", "text", "language", "category", "tags", "published")


def exported(archive: Path) -> dict[str, dict[str, Any]]:
    result = run_cli("export", "--archive", str(archive), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    return {row["url"]: row for row in map(json.loads, result.stdout.splitlines())}


@pytest.fixture(scope="module")
def mixed_site(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("mixed_site")
    with run_site(root / "requests.jsonl", write_site(root / "site.json", mixed_articles())) as site:
        yield site


@pytest.fixture(scope="module")
def crawled(mixed_site: RunningSite, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The mixed site crawled twice without a profile from its home page; the requests of each run."""
    archive = tmp_path_factory.mktemp("mixed") / "archive"
    runs = []
    for _ in range(2):
        before = len(mixed_site.requests())
        result = run_cli("crawl", mixed_site.url + "/", "--archive", str(archive), "--delay", "0")
        runs.append({"result": result, "requests": mixed_site.requests()[before:]})
    return {"archive": archive, "runs": runs}


def truth(site: RunningSite) -> dict[str, dict[str, Any]]:
    return {
        a["url"]: {
            "title": a["title"],
            "text": a["text"],
            "language": a["lang"],
            "category": a["category"],
            "tags": a["tags"],
            "published": a["published"],
        }
        for a in site.articles
    }


def test_the_mixed_site_has_both_templates_in_every_language(mixed_site):
    legacy = [a for a in mixed_site.articles if a.get("template") == "legacy"]
    assert len(legacy) == len(LEGACY_PATHS_INDEXES) and {a["lang"] for a in legacy} == {"az", "ru", "en"}
    page = mixed_site.fetch(legacy[0]["path"]).text
    assert "og:" not in page and "application/ld+json" not in page and 'hreflang="az" href' not in page


def test_every_article_of_both_templates_is_exported_with_every_field_without_a_profile(mixed_site, crawled):
    first = crawled["runs"][0]["result"]
    assert first.returncode == 0, first.stderr
    rows = exported(crawled["archive"])
    assert {url: {key: row[key] for key in truth(mixed_site)[url]} for url, row in rows.items()} == truth(mixed_site)


def test_published_is_exact_to_the_minute_with_the_sites_offset_learned_from_its_own_timestamps(crawled):
    rows = exported(crawled["archive"]).values()
    assert all(row["published"].endswith("+04:00") and len(row["published"]) == 25 for row in rows)
    facts = load_facts(crawled["archive"])
    (host,) = facts.hosts
    assert facts.utc_offset("http://" + host + "/") == "+04:00"
    assert facts.article_shapes("http://" + host + "/").shapes == {"L/W/S", "W/S"}


def test_a_second_run_requests_no_archived_page(mixed_site, crawled):
    second = crawled["runs"][1]
    assert second["result"].returncode == 0, second["result"].stderr
    paths = requested_paths(second["requests"])
    assert not set(paths) & article_paths(mixed_site.articles)
    statuses = {entry["path"]: entry["status"] for entry in second["requests"]}
    # Discovery only: robots.txt, the home pages and listings, and feeds and sitemaps that did not change.
    assert {statuses[p] for p in ("/sitemap.xml", "/rss/", "/ru/rss/", "/en/rss/")} == {304}
    assert "archived 0 articles" in second["result"].stderr


def test_reindex_recovers_the_articles_an_archive_written_by_the_old_rule_lost(mixed_site, crawled, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(crawled["archive"], old)
    legacy = {a["url"] for a in mixed_site.articles if a.get("template") == "legacy"}
    # The old rule indexed only pages that declared themselves articles, and kept no site facts.
    for index in (old / "indexes").glob(INDEX_GLOB):
        lines = index.read_text(encoding="utf-8").splitlines(keepends=True)
        index.write_text("".join(line for line in lines if json.loads(line)["url"] not in legacy), encoding="utf-8")
    (old / "site-facts.json").unlink()
    assert len(exported(old)) == len(mixed_site.articles) - len(legacy)
    result = run_cli("reindex", "--archive", str(old))
    assert result.returncode == 0, result.stderr
    assert f"{len(mixed_site.articles)} articles" in result.stderr
    rows = exported(old)
    assert {url: {key: row[key] for key in truth(mixed_site)[url]} for url, row in rows.items()} == truth(mixed_site)
    assert load_facts(old).utc_offset(mixed_site.url) == "+04:00"


def test_reindex_of_the_new_archive_reproduces_its_article_index(crawled, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(crawled["archive"], copy)
    before = sorted(json.dumps(e, sort_keys=True) for e in read_index(copy / "indexes"))
    assert run_cli("reindex", "--archive", str(copy)).returncode == 0
    assert sorted(json.dumps(e, sort_keys=True) for e in read_index(copy / "indexes")) == before


def test_a_page_that_looks_like_an_article_but_gives_none_is_counted_named_and_not_fetched_again(tmp_path):
    articles = mixed_articles()
    dateless = articles[LEGACY_PATHS_INDEXES[0]]
    dateless["shows_date"] = False
    archive, log = tmp_path / "archive", tmp_path / "crawl.log"
    with run_site(tmp_path / "requests.jsonl", write_site(tmp_path / "site.json", articles)) as site:
        url = site.url + dateless["path"]
        first = run_cli("crawl", site.url + "/", "--archive", str(archive), "--delay", "0",
                        "--log-level", "INFO", "--log-file", str(log))  # fmt: skip
        before = len(site.requests())
        second = run_cli("crawl", site.url + "/", "--archive", str(archive), "--delay", "0")
        again = [e for e in site.requests()[before:] if e["path"] == dateless["path"]]
    assert first.returncode == 1, first.stderr
    assert "1 page looked like an article but gave none" in first.stderr and url in first.stderr
    assert f"Not an article: {url} looked like one but gave none: no publication date" in log.read_text()
    run = next(read_runs(archive))
    assert run["errors"]["not_article"] == 1 and run["not_articles"] == [url] and run["exit_code"] == 1
    stats = run_cli("stats", "--archive", str(archive))
    assert f"{url}: no publication date" in stats.stdout
    assert second.returncode == 0, second.stderr
    assert again == [], "an archived page that gave no article is seen: not fetched again"
    assert url not in exported(archive) and len(exported(archive)) == len(articles) - 1


def test_an_unexpected_failure_of_the_capture_is_logged_counted_and_fails_the_crawl(tmp_path):
    # A writer that fails on one page with something other than ArchiveWriteError (a bug, a full pipe...). The
    # writer runs in a process of its own: the failure is put in every interpreter the crawl starts, through a
    # sitecustomize module on PYTHONPATH (which the crawl's worker processes inherit).
    with run_site(tmp_path / "requests.jsonl", write_site(tmp_path / "site.json", mixed_articles())) as site:
        broken = site.articles[0]["path"]
        injected = tmp_path / "injected"
        injected.mkdir()
        (injected / "sitecustomize.py").write_text(
            "from newsarchive.archive.writer import WarcWriter\n"
            "write = WarcWriter.write_exchange\n"
            "def failing(self, exchange):\n"
            f"    if exchange.url.endswith({broken!r}):\n"
            "        raise RuntimeError('simulated failure')\n"
            "    return write(self, exchange)\n"
            "WarcWriter.write_exchange = failing\n"
        )
        archive = tmp_path / "archive"
        result = subprocess.run(
            [sys.executable, "-m", "newsarchive", "crawl", site.url + "/", "--archive", str(archive), "--delay", "0"],
            capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
            env=dict(os.environ, PYTHONPATH=os.pathsep.join((str(injected), str(REPO_ROOT)))),
        )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert f"{site.url}{broken}: not archived: RuntimeError: simulated failure" in result.stderr
    (run,) = read_runs(archive)
    assert run["errors"]["capture"] == 1 and run["exit_code"] == 1
    assert site.url + broken not in exported(archive)


def test_a_refresh_killed_before_its_index_lines_is_repaired_into_new_versions_not_second_first_ones(tmp_path):
    """The defect: repair decided versions from an empty state, so a refreshed article got a second version 1."""
    archive = tmp_path / "archive"
    data = tmp_path / "site.json"
    articles = mixed_articles()
    write_site(data, articles)
    with run_site(tmp_path / "requests.jsonl", data) as site:
        port = int(site.url.rsplit(":", 1)[1])
        assert run_cli("crawl", site.url + "/", "--archive", str(archive), "--delay", "0").returncode == 0
    edited = articles[0]
    edited["paragraphs"][0] += " Обновлено."
    edited.pop("text", None)
    write_site(data, articles)
    with run_site(tmp_path / "requests2.jsonl", data, port=port) as site:
        refresh = run_cli("crawl", site.url + "/", "--archive", str(archive), "--delay", "0", "--refresh")
        assert refresh.returncode == 0, refresh.stderr
        # As if killed after its records were written, before any index line: the WARC left .open, no lines.
        newest = sorted((archive / "warc").glob("*.warc.gz"))[-1]
        newest.rename(newest.with_name(newest.name + ".open"))
        stem = newest.name.removesuffix(".warc.gz")
        (archive / "indexes" / f"{stem}.cdxj").unlink()
        (archive / "indexes" / f"{stem}.digests").unlink()
        sorted((archive / "indexes").glob(INDEX_GLOB))[-1].unlink()
        resumed = run_cli("crawl", site.url + "/", "--archive", str(archive), "--delay", "0")
    assert resumed.returncode == 0, resumed.stderr
    versions = [(e["url"], e["version"]) for e in read_index(archive / "indexes")]
    assert len(versions) == len(set(versions)), "no URL has two lines of one version"
    url = site.url + edited["path"]
    assert sorted(v for u, v in versions if u == url) == [1, 2]
    assert len(versions) == len(articles) + 1, "unchanged refreshed articles got no new line"
    assert "Обновлено.\n\n" + edited["paragraphs"][1] in exported(archive)[url]["text"]


def test_with_the_bundled_report_az_profile_both_templates_come_out_as_well(mixed_site, tmp_path):
    profile = report_az_profile_on(mixed_site.url, tmp_path / "report.az.toml")
    archive = tmp_path / "archive"
    result = run_cli("crawl", mixed_site.url + "/", "--archive", str(archive), "--config", str(profile), "--delay", "0")
    assert result.returncode == 0, result.stderr
    rows = exported(archive)
    assert {url: {key: row[key] for key in truth(mixed_site)[url]} for url, row in rows.items()} == truth(mixed_site)
    assert load_facts(archive).rule.profile == "report.az"
    # The archive remembers the profile: a plain reindex decides as that crawl did (times kept, nothing lost).
    before = sorted(json.dumps(e, sort_keys=True) for e in read_index(archive / "indexes"))
    assert run_cli("reindex", "--archive", str(archive)).returncode == 0
    assert sorted(json.dumps(e, sort_keys=True) for e in read_index(archive / "indexes")) == before
