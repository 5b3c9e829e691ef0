"""A crawl of a hostile and broken site: every case is survived, logged, and the crawl goes on.

One crawl of ``tests/hostile_server.py`` (see its docstring for the cases), with the log in a file; the
tests then read the server's request log, the archive and the crawl's log.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO_ROOT, iter_records, run_cli, warc_files, warcio_check
from hostile_server import HUGE_CHUNK, HUGE_SIZE, MIB, RUSSIAN_TEXT, RUSSIAN_TITLE
from hostile_site import run_hostile_site

from newsarchive.archive.runs import read_runs

PEAK_RSS_LIMIT = 500 * 1024 * 1024


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Any:
    root = tmp_path_factory.mktemp("hostile")
    with run_hostile_site(root / "requests.jsonl") as site:
        archive, log = root / "archive", root / "crawl.log"
        command = [sys.executable, "-m", "newsarchive", "crawl", site.url + "/", "--archive", str(archive),
                   "--delay", "0", "--timeout", "2", "--log-file", str(log), "--log-level", "WARNING"]  # fmt: skip
        crawl = subprocess.Popen(
            command, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        )
        assert crawl.stderr is not None
        stderr = crawl.stderr.read()
        # wait4 gives this child's own resource usage: its peak RSS, measured by the kernel.
        _, status, usage = os.wait4(crawl.pid, 0)
        crawl.returncode = os.waitstatus_to_exitcode(status)
        crawl.stderr.close()
        exported = run_cli("export", "--archive", str(archive))
        assert exported.returncode == 0, exported.stderr
        yield {
            "capped": _capped_responses(archive, site.url),
            "site": site,
            "archive": archive,
            "exit_code": crawl.returncode,
            "stderr": stderr,
            "peak_rss": usage.ru_maxrss * 1024,
            "log": log.read_text(encoding="utf-8"),
            "articles": {json.loads(line)["url"]: json.loads(line) for line in exported.stdout.splitlines()},
        }


def _capped_responses(archive: Path, base: str) -> dict[str, list[dict[str, Any]]]:
    """What the archive holds for the size-cap cases, one record at a time (a payload is up to 20 MiB)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for _, record in iter_records(archive):
        path = (record.rec_headers.get_header("WARC-Target-URI") or "").removeprefix(base)
        if record.rec_type != "response" or path not in ("/huge", "/huge-unsized", "/bomb"):
            continue
        payload = record.raw_stream.read()  # as stored: the bomb stays gzip
        http = record.http_headers
        found.setdefault(path, []).append({
            "truncated": record.rec_headers.get_header("WARC-Truncated"),
            "length": len(payload),
            "content_length": http.get_header("Content-Length"),
            "original_length": http.get_header("X-Crawler-Content-Length"),
            "prefix": (HUGE_CHUNK * (len(payload) // len(HUGE_CHUNK) + 1)).startswith(payload),
        })  # fmt: skip
    return found


def test_the_crawl_finishes_reporting_failed_pages_with_exit_1(hostile):
    assert hostile["exit_code"] == 1
    assert re.fullmatch(
        r"Fetched \d+ pages, archived 6 articles into .*; \d+ failures; errors: .*\n", hostile["stderr"]
    )


def test_peak_memory_stays_bounded_despite_a_gzip_bomb_and_a_60_mb_page(hostile):
    print(f"peak RSS of the hostile crawl: {hostile['peak_rss'] / 2**20:.0f} MiB")
    assert hostile["peak_rss"] < PEAK_RSS_LIMIT


def test_the_off_scope_listener_receives_no_request(hostile):
    assert [r for r in hostile["site"].requests() if r["server"] == "offsite"] == []


def test_only_http_urls_of_the_site_are_archived(hostile):
    uris = {record.rec_headers.get_header("WARC-Target-URI") for _, record in iter_records(hostile["archive"])}
    uris.discard(None)
    assert uris and all(uri.startswith(hostile["site"].url + "/") for uri in uris), uris


def test_russian_pages_with_the_charset_only_in_a_meta_tag_come_out_as_cyrillic(hostile):
    base = hostile["site"].url
    for path, title in (("/article/cp1251", RUSSIAN_TITLE), ("/article/koi8r", RUSSIAN_TITLE + " (КОИ-8)")):
        article = hostile["articles"][base + path]
        assert article["title"] == title
        assert article["text"] == "\n\n".join(RUSSIAN_TEXT)


def test_an_article_with_invalid_utf8_is_still_extracted(hostile):
    article = hostile["articles"][hostile["site"].url + "/article/bad-utf8"]
    assert article["text"].startswith("Before the bad bytes.") and article["text"].endswith("After them.")


def test_urls_differing_only_in_tracking_parameters_or_fragment_are_fetched_once(hostile):
    tracked = [r for r in hostile["site"].requests() if r["path"].startswith("/article/tracked")]
    assert [r["path"] for r in tracked] == ["/article/tracked"]
    assert hostile["site"].url + "/article/tracked" in hostile["articles"]


def test_a_503_is_retried_no_sooner_than_its_retry_after(hostile):
    first, second = hostile["site"].requests_for("/article/after-503")
    assert second["time"] - first["time"] >= 1.0
    assert hostile["site"].url + "/article/after-503" in hostile["articles"]


def test_a_500_is_retried_with_growing_delays_then_given_up_with_an_error_line(hostile):
    times = [r["time"] for r in hostile["site"].requests_for("/down")]
    assert len(times) == 3
    first_gap, second_gap = (b - a for a, b in pairwise(times))
    assert first_gap >= 1.0 and second_gap >= 2.0
    assert re.search(r"ERROR: Gave up retrying <GET \S+/down> \(failed 3 times\): 500 ", hostile["log"])


@pytest.mark.parametrize("path", ["/stall", "/stall-body"])
def test_a_stalled_server_times_out_and_the_error_line_names_url_and_reason(hostile, path):
    assert len(hostile["site"].requests_for(path)) == 3
    assert re.search(rf"ERROR: Error downloading <GET \S+{path}>: DownloadTimeoutError: ", hostile["log"])


@pytest.mark.parametrize("path", ["/huge", "/huge-unsized"])
def test_bodies_over_the_size_cap_are_archived_truncated_with_a_log_line(hostile, path):
    assert len(hostile["site"].requests_for(path)) == 1
    reason = "body over the size cap of 20971520 bytes: archived truncated"
    assert re.search(rf"WARNING: Truncated <200 \S+{path}>: {reason}", hostile["log"])
    [record] = hostile["capped"][path]
    assert record["truncated"] == "length"
    # The cap and at most one network read past it: never the whole 60 MiB in memory.
    assert 20 * MIB < record["length"] < 21 * MIB
    assert record["prefix"], "the first bytes the server sent"
    assert record["content_length"] == str(record["length"])
    assert record["original_length"] == (str(HUGE_SIZE) if path == "/huge" else None)


def test_a_gzip_bomb_is_archived_whole_and_never_inflated_past_the_cap(hostile):
    assert len(hostile["site"].requests_for("/bomb")) == 1
    reason = r"Ignored response <200 \S+/bomb> because its body .* exceeded DOWNLOAD_MAXSIZE .* decompression"
    assert re.search(reason, hostile["log"])
    # 8 MB on the wire, under the cap: a complete body, stored as sent (gzip), so not truncated.
    [record] = hostile["capped"]["/bomb"]
    assert record["truncated"] is None
    assert record["content_length"] == str(record["length"]) and record["length"] < 20 * MIB


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("/loop/b", "loop"),
        ("/chain/10", r"chain longer than REDIRECT_MAX_TIMES \(10\)"),
        ("/to-offsite", "host '127.0.0.2' is outside the crawl's scope"),
        ("/to-ftp", "scheme 'ftp' is not HTTP\\(S\\)"),
        ("/to-file", "scheme 'file' is not HTTP\\(S\\)"),
    ],
)
def test_refused_redirects_are_logged_with_the_reason(hostile, source, reason):
    assert re.search(rf"WARNING: Not following redirect \S+{re.escape(source)} -> \S+: {reason}", hostile["log"])


@pytest.mark.parametrize(
    "path", ["/malformed", "/empty", "/binary", "/gone", "/missing", "/article/wrong-charset", "/chain/10"]
)
def test_broken_pages_are_archived_once_and_the_crawl_goes_on(hostile, path):
    assert len(hostile["site"].requests_for(path)) == 1
    uris = [r.rec_headers.get_header("WARC-Target-URI") for _, r in iter_records(hostile["archive"])
            if r.rec_type == "response"]  # fmt: skip
    assert uris.count(hostile["site"].url + path) == 1


def test_the_archive_passes_warcio_check_and_verify(hostile):
    files = warc_files(hostile["archive"])
    assert files and all(f.name.endswith(".warc.gz") for f in files)
    assert warcio_check(files) == 0
    assert run_cli("verify", "--archive", str(hostile["archive"])).returncode == 0


def test_the_run_summary_counts_errors_by_kind(hostile):
    (run,) = read_runs(hostile["archive"])
    assert run["exit_code"] == 1
    assert run["articles_new"] == 6
    assert run["errors"]["DownloadTimeoutError"] == 6
    assert run["errors"]["size_cap"] == 2
    assert "DownloadCancelledError" not in run["errors"]
    assert run["errors"]["http_500"] == 3
    assert run["errors"]["http_404"] >= 1 and run["errors"]["http_410"] == 1
