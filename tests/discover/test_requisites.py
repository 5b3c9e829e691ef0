"""Archives that replay as readers saw them: page requisites, pywb replay of them, provenance, the WACZ.

The test site's article pages link a stylesheet (which names an image and a font), an icon and a photo (``src``
and a larger ``srcset`` candidate). ``twice_crawled_site`` (conftest) crawls it twice into one archive.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from collections import Counter
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from conftest import OPERATOR
from fixture_site import run_site
from helpers import FIXTURE_PROFILE, REPO_ROOT, iter_records, run_cli
from replay_tools import free_port, run_wayback, wait_for_port, wayback_executable

from newsarchive.archive.cdxj import read_cdxj
from newsarchive.archive.reader import Archive
from newsarchive.archive.replay import COLLECTION
from newsarchive.archive.runs import read_runs
from newsarchive.archive.warcinfo import parse_warc_fields
from newsarchive.demo.site import FONT_PATH, LOGO_PATH, STYLESHEET_PATH
from newsarchive.discover.links import ARTICLE, REQUISITE
from newsarchive.spiders.news import _RANKS, PRIORITY

SITE_WIDE = (STYLESHEET_PATH, LOGO_PATH, FONT_PATH)


def photos(article: dict[str, Any]) -> tuple[str, str]:
    """An article's photo and the largest candidate of its srcset."""
    return f"/media/{article['slug']}.gif", f"/media/{article['slug']}-large.gif"


def requisite_paths(site) -> set[str]:  # type: ignore[no-untyped-def]
    return {*SITE_WIDE, *(path for article in site.articles for path in photos(article))}


def captures_by_path(crawled) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Site path -> the record type of each of its captures, oldest first."""
    found: dict[str, list[str]] = {}
    for _, record in iter_records(crawled.archive):
        if record.rec_type in ("response", "revisit"):
            path = record.rec_headers.get_header("WARC-Target-URI").removeprefix(crawled.site.url)
            found.setdefault(path, []).append(record.rec_type)
    return found


def test_article_pages_bring_their_stylesheet_its_image_and_font_and_their_photos(twice_crawled_site):
    captures = captures_by_path(twice_crawled_site)
    missing = {path for path in requisite_paths(twice_crawled_site.site) if path not in captures}
    assert not missing, sorted(missing)


def test_each_requisite_is_fetched_once_per_crawl(twice_crawled_site):
    site = twice_crawled_site.site
    fetched = Counter(entry["path"] for entry in site.requests() if entry["path"] in requisite_paths(site))
    # Two crawls: the home page names the site-wide files on both; the articles (and their photos) only on the first.
    assert fetched == Counter({**dict.fromkeys(SITE_WIDE, 2), **{p: 1 for a in site.articles for p in photos(a)}})


def test_the_second_crawl_stores_unchanged_requisites_as_revisits(twice_crawled_site):
    captures = captures_by_path(twice_crawled_site)
    assert {path: captures[path] for path in SITE_WIDE} == {path: ["response", "revisit"] for path in SITE_WIDE}


def test_requisites_have_the_lowest_priority_so_they_never_delay_an_article():
    lowest_article = PRIORITY[ARTICLE] - (_RANKS - 1)
    assert PRIORITY[REQUISITE] < min(lowest_article, *(p for k, p in PRIORITY.items() if k != REQUISITE))


def test_requisites_are_never_exported_as_articles(twice_crawled_site):
    exported = run_cli("export", "--archive", str(twice_crawled_site.archive))
    urls = {json.loads(line)["url"] for line in exported.stdout.splitlines()}
    assert urls == {article["url"] for article in twice_crawled_site.site.articles}


def test_summary_runs_log_and_stats_count_requisites_apart(twice_crawled_site):
    site = twice_crawled_site.site
    first, second = (len(site.articles) * 2 + len(SITE_WIDE)), len(SITE_WIDE)
    summaries = [crawl.stderr.strip().splitlines()[-1] for crawl in twice_crawled_site.crawls]
    assert f"; {first} page requisites among them" in summaries[0]
    assert f"; {second} page requisites among them" in summaries[1]
    assert [run["requisites"] for run in read_runs(twice_crawled_site.archive)] == [first, second]
    stats = run_cli("stats", "--archive", str(twice_crawled_site.archive)).stdout
    assert f"Articles: {len(site.articles)} ({len(site.articles)} versions)\n" in stats
    assert f"Page requisites: {first} (stylesheets, images, fonts)\n" in stats


def test_no_requisites_fetches_none(tmp_path):
    with run_site(tmp_path / "requests.jsonl") as site:
        crawled = run_cli("crawl", site.url + "/", "--config", str(FIXTURE_PROFILE), "--archive",
                          str(tmp_path / "archive"), "--delay", "0", "--no-requisites")  # fmt: skip
        assert crawled.returncode == 0, crawled.stderr
        paths = {entry["path"] for entry in site.requests()}
    assert paths and not paths & requisite_paths(site)
    assert "page requisites" not in crawled.stderr


# ---------------------------------------------------------------- pywb


@pytest.fixture(scope="module")
def wayback(twice_crawled_site, tmp_path_factory) -> Any:
    with run_wayback(twice_crawled_site.archive, tmp_path_factory.mktemp("pywb")) as collection:
        yield collection


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _timestamps(crawled, path: str) -> list[str]:  # type: ignore[no-untyped-def]
    url = crawled.site.url + path
    return sorted(timestamp for _, timestamp, fields in read_cdxj(crawled.archive / "indexes") if fields["url"] == url)


@pytest.mark.parametrize("mode", ["id_", ""])
def test_pywb_serves_an_article_its_stylesheet_and_its_photo_from_each_crawl(twice_crawled_site, wayback, mode):
    site = twice_crawled_site.site
    article = site.articles[0]
    stylesheet = _timestamps(twice_crawled_site, STYLESHEET_PATH)
    assert len(stylesheet) == 2, "an original and its revisit"
    targets = [(article["path"], _timestamps(twice_crawled_site, article["path"])[0]),
               (photos(article)[0], _timestamps(twice_crawled_site, photos(article)[0])[0]),
               *((STYLESHEET_PATH, timestamp) for timestamp in stylesheet)]  # fmt: skip
    for path, timestamp in targets:
        status, body = _get(f"{wayback}/{timestamp}{mode}/{site.url}{path}")
        assert status == 200, (path, timestamp, mode)
        if mode == "id_":
            assert body == site.fetch(path).body, f"{path}@{timestamp}: not the bytes the site sent"


# ---------------------------------------------------------------- provenance


def _warcinfos(archive: Path) -> list[dict[str, str]]:
    return [parse_warc_fields(r.content_stream().read()) for _, r in iter_records(archive) if r.rec_type == "warcinfo"]


def test_warcinfo_names_software_operator_collection_seeds_profile_and_rules(twice_crawled_site):
    first, second = _warcinfos(twice_crawled_site.archive)
    versions = f"newsarchive/{version('newsarchive')} (Scrapy/{version('scrapy')}; warcio/{version('warcio')}; "
    assert first["software"].startswith(versions)
    assert first["operator"] == OPERATOR and "operator" not in second
    assert first["isPartOf"] == twice_crawled_site.archive.name
    assert first["profile"] == "fixture"
    assert first["seeds"] == twice_crawled_site.site.url + "/"
    assert first["robots"] == "obey"
    assert first["http-header-user-agent"].startswith("newsarchive/")
    assert first["format"] == "WARC File Format 1.1"
    assert first["conformsTo"] == "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
    assert first["description"].startswith("newsarchive crawl of the fixture site profile, started ")
    assert first["description"] != second["description"], "each run describes itself"


# ---------------------------------------------------------------- WACZ


@pytest.fixture(scope="module")
def wacz_file(twice_crawled_site, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("wacz") / "news.wacz"
    made = run_cli("wacz", "--archive", str(twice_crawled_site.archive), "--output", str(output))
    assert made.returncode == 0, made.stderr
    return output


def test_wacz_validate_passes(wacz_file):
    wacz = Path(sys.executable).with_name("wacz")
    checked = subprocess.run([str(wacz), "validate", "-f", str(wacz_file)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Validation succeeded" in checked.stdout


def test_wacz_has_one_page_per_exported_article_with_url_ts_title_and_text(twice_crawled_site, wacz_file):
    with zipfile.ZipFile(wacz_file) as wacz:
        header, *pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()]
        names = wacz.namelist()
    exported = list(Archive(twice_crawled_site.archive).articles())
    print(f"WACZ pages: {len(pages)}; exported articles: {len(exported)}")
    assert header["format"] == "json-pages-1.0" and header["hasText"] is True
    assert len(pages) == len(exported) == len(twice_crawled_site.site.articles)
    by_url = {article["url"]: article for article in exported}
    for page in pages:
        article = by_url[page["url"]]
        assert (page["ts"], page["title"], page["text"]) == (article["fetched_at"], article["title"], article["text"])
    assert sorted(n for n in names if n.startswith("archive/")) == [
        "archive/" + p.name for p in Archive(twice_crawled_site.archive).warc_files()
    ]


def test_wacz_pages_follow_the_filters(twice_crawled_site, tmp_path):
    output = tmp_path / "ru.wacz"
    made = run_cli("wacz", "--archive", str(twice_crawled_site.archive), "-o", str(output), "--lang", "ru")
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(output) as wacz:
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()[1:]]
    assert {page["url"] for page in pages} == {a["url"] for a in twice_crawled_site.site.articles_in("ru")}


# ---------------------------------------------------------------- replay command


def test_replay_serves_the_archive_with_pywb_until_stopped(twice_crawled_site, tmp_path):
    site, port = twice_crawled_site.site, free_port()
    article = site.articles[0]
    env = dict(os.environ, NEWSARCHIVE_WAYBACK=str(wayback_executable()))
    command = [sys.executable, "-m", "newsarchive", "replay", "--archive", str(twice_crawled_site.archive),
               "--port", str(port)]  # fmt: skip
    log = tmp_path / "replay.log"
    with open(log, "wb") as errors:
        replay = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=errors, stderr=errors)
    try:
        wait_for_port(port, replay, log)
        timestamp = _timestamps(twice_crawled_site, article["path"])[0]
        status, body = _get(f"http://127.0.0.1:{port}/{COLLECTION}/{timestamp}id_/{article['url']}")
        assert (status, body) == (200, site.fetch(article["path"]).body)
    finally:
        replay.send_signal(signal.SIGTERM)
        exit_code = replay.wait(timeout=30)
    assert exit_code == 128 + signal.SIGTERM
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()  # pywb stopped with it


def test_replay_without_pywb_says_which_extra_to_install(twice_crawled_site):
    script = (
        "import sys\n"
        "sys.modules['pywb'] = None  # as if pywb were not installed here\n"
        "from newsarchive.cli import cli\n"
        f"cli(['replay', '--archive', {str(twice_crawled_site.archive)!r}, '--port', '1'])\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "NEWSARCHIVE_WAYBACK"}
    env["PATH"] = "/usr/bin:/bin"  # no wayback elsewhere either
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    assert result.stderr == "Error: newsarchive replay needs pywb: pip install 'newsarchive[replay]'\n"
