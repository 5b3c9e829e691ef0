"""A page the download timeout cuts mid-body: archived truncated on every crawl, never a revisit nor an original.

Two crawls of the hostile server's ``/stall-body`` (headers and half a page, then nothing) with a one-second
timeout and no retries; then ``verify``. Also: ``verify`` names every revisit whose original is not in the archive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import html_exchange, iter_records
from hostile_site import run_hostile_site
from raw_archive import crawl_in_subprocess, wait_for_next_second

from newsarchive.archive.reader import Archive
from newsarchive.archive.revisits import Capture, CaptureIndex, payload_digest, read_digests
from newsarchive.archive.writer import WarcWriter

HALF_A_PAGE = b"<html><body><p>half a page"


@pytest.fixture(scope="module")
def stalled(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("stalled")
    archive = root / "archive"
    with run_hostile_site(root / "requests.jsonl") as site:
        url = site.url + "/stall-body"
        crawls = []
        for _ in range(2):
            crawls.append(crawl_in_subprocess(url, archive, DOWNLOAD_TIMEOUT=1, RETRY_TIMES=0))
            wait_for_next_second()
    records = [
        (record.rec_type, dict(record.rec_headers.headers), record.raw_stream.read())
        for _, record in iter_records(archive)
        if record.rec_headers.get_header("WARC-Target-URI") == url and record.rec_type != "request"
    ]
    return SimpleNamespace(archive=archive, url=url, crawls=crawls, records=records)


def test_each_crawl_reports_the_timeout_as_a_failure(stalled):
    assert [crawl.returncode for crawl in stalled.crawls] == [1, 1]
    assert all("DownloadTimeoutError" in crawl.stdout for crawl in stalled.crawls)


def test_a_body_cut_by_the_timeout_is_archived_with_what_came_marked_truncated_by_time(stalled):
    assert [(kind, headers.get("WARC-Truncated"), body) for kind, headers, body in stalled.records] == [
        ("response", "time", HALF_A_PAGE),
        ("response", "time", HALF_A_PAGE),
    ], "one truncated capture per crawl, the later one never a revisit"


def test_a_truncated_capture_is_never_an_original_for_revisits(stalled):
    assert stalled.url not in {capture.url for capture in read_digests(stalled.archive / "indexes")}


def test_an_archive_with_timed_out_captures_verifies_clean(stalled):
    assert Archive(stalled.archive).verify() == []


EXCHANGE = html_exchange("http://example.test/page", b"<p>the same bytes</p>", datetime(2025, 9, 8, 12, 0, tzinfo=UTC))


def _revisit_of(original: Callable[[Capture], Capture] | None, tmp_path: Path) -> Archive:
    """An archive holding EXCHANGE as an original, then a re-fetch of it written as a revisit of ``original``
    (a copy of the real one's record, altered by the test; None: the real one)."""
    captures = CaptureIndex()
    with WarcWriter(tmp_path / "warc", warcinfo={"software": "test"}, prefix="first", captures=captures) as writer:
        writer.write_exchange(EXCHANGE)
    real = captures.by_digest(payload_digest(EXCHANGE.body))
    assert real is not None
    later = CaptureIndex([original(real) if original else real])
    with WarcWriter(tmp_path / "warc", warcinfo={"software": "test"}, prefix="second", captures=later) as writer:
        _, location = writer.write_exchange(replace(EXCHANGE, date=datetime(2025, 9, 9, tzinfo=UTC)))
    assert location.record_type == "revisit"
    return Archive(tmp_path)


def _revisit_problems(archive: Archive) -> list[str]:
    return [problem.message for problem in archive.verify() if problem.kind == "revisit-target"]


def test_verify_accepts_a_revisit_of_an_original_in_the_archive(tmp_path):
    assert _revisit_problems(_revisit_of(None, tmp_path)) == []


def test_verify_reports_a_revisit_whose_original_is_in_no_warc_file(tmp_path):
    phantom = "<urn:uuid:00000000-0000-0000-0000-000000000000>"
    archive = _revisit_of(lambda real: replace(real, record_id=phantom), tmp_path)
    assert _revisit_problems(archive) == [f"revisit of {EXCHANGE.url}: its original {phantom} is not in the archive"]


def test_verify_reports_a_revisit_whose_refers_to_date_names_no_capture(tmp_path):
    archive = _revisit_of(lambda real: replace(real, date="2025-09-07T12:00:00.000000Z"), tmp_path)
    [message] = _revisit_problems(archive)
    assert "WARC-Refers-To-Date 2025-09-07T12:00:00.000000Z names no capture" in message
