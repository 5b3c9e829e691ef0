"""Indexes are rebuildable from the WARCs alone; show reads through them; verify finds what is broken.

One archive of the fixture news site: a first crawl rotating WARCs at a small size, a second crawl (revisits,
articles pointing at revisits).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import FIXTURE_PROFILE, html_exchange, run_cli, warc_files
from hostile_server import article_page
from raw_archive import crawl_in_subprocess, wait_for_next_second

from newsarchive import Archive
from newsarchive.archive.articles import read_index
from newsarchive.archive.cdxj import index_warc, read_cdxj
from newsarchive.archive.layout import ArchiveLayout
from newsarchive.archive.reindex import reindex
from newsarchive.archive.writer import WarcWriter

SMALL_WARC = 40_000


def _index_snapshot(archive: Path) -> dict[str, object]:
    indexes = archive / "indexes"
    per_warc = {p.name: p.read_bytes() for p in indexes.iterdir() if p.suffix in (".cdxj", ".digests")}
    # One article file per crawl, lines in completion order; reindex writes one file in WARC order.
    articles = sorted(line for p in indexes.glob("articles-*.jsonl") for line in p.read_text().splitlines())
    return {"per_warc": per_warc, "articles": articles}


@pytest.fixture(scope="module")
def news_archive(news_site, tmp_path_factory) -> Path:
    archive = tmp_path_factory.mktemp("reindex") / "archive"
    first = crawl_in_subprocess(news_site.url + "/", archive, FIXTURE_PROFILE, NEWSARCHIVE_WARC_MAX_SIZE=SMALL_WARC)
    assert first.returncode == 0, first.stderr[-2000:]
    wait_for_next_second()
    # Crawls are incremental: only a refresh fetches the archived articles again (as revisits).
    second = crawl_in_subprocess(news_site.url + "/", archive, FIXTURE_PROFILE, NEWSARCHIVE_REFRESH=True)
    assert second.returncode == 0, second.stderr[-2000:]
    return archive


def test_first_crawl_rotated_its_warcs_and_each_closed_file_has_its_indexes(news_archive):
    files = warc_files(news_archive)
    assert len(files) >= 4, "a small NEWSARCHIVE_WARC_MAX_SIZE rotates files"
    assert all(f.name.endswith(".warc.gz") for f in files)
    for path in files[:-2]:  # the last file of each crawl may end under the limit
        assert path.stat().st_size < SMALL_WARC + 40_000
    for path in files:
        stem = path.name.removesuffix(".warc.gz")
        assert (news_archive / "indexes" / f"{stem}.cdxj").exists()
        assert (news_archive / "indexes" / f"{stem}.digests").exists()


def test_reindex_reproduces_every_index_the_crawls_wrote(news_archive, tmp_path):
    before = _index_snapshot(news_archive)
    assert any(json.loads(line)["warc_record_id"] for line in before["articles"])
    revisit_articles = [
        fields
        for _, _, fields in read_cdxj(news_archive / "indexes")
        if fields["mime"] == "warc/revisit" and fields["url"].endswith(("/", "-1"))
    ]
    assert revisit_articles, "the second crawl wrote revisits"
    copy = tmp_path / "archive"
    shutil.copytree(news_archive, copy)
    result = run_cli("reindex", "--archive", str(copy), "--config", str(FIXTURE_PROFILE))
    assert result.returncode == 0, result.stderr
    after = _index_snapshot(copy)
    assert after["per_warc"] == before["per_warc"], "CDXJ and .digests files byte-identical"
    assert after["articles"] == before["articles"], "the same article lines (order across files aside)"


def test_verify_passes_on_the_crawled_archive(news_archive):
    result = run_cli("verify", "--archive", str(news_archive))
    assert (result.returncode, result.stdout) == (0, "")
    assert "No problems found" in result.stderr


def test_verify_lists_a_corrupt_record_and_a_missing_index_and_exits_1(news_archive, tmp_path):
    copy = tmp_path / "archive"
    shutil.copytree(news_archive, copy)
    damaged = warc_files(copy)[0]
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    missing = copy / "indexes" / warc_files(copy)[-1].name.replace(".warc.gz", ".cdxj")
    missing.unlink()
    problems = Archive(copy).verify()
    kinds = {(p.kind, p.path.name) for p in problems}
    assert ("gzip", damaged.name) in kinds or ("digest", damaged.name) in kinds
    assert ("index", missing.name) in kinds
    result = run_cli("verify", "--archive", str(copy))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [str(p) for p in problems]


def test_show_reads_a_capture_back_through_the_index(news_archive, news_site):
    article = news_site.articles[0]
    html = run_cli("show", article["url"], "--archive", str(news_archive))
    assert html.returncode == 0, html.stderr
    assert article["title"] in html.stdout
    headers = run_cli("show", article["url"], "--headers", "--archive", str(news_archive))
    assert headers.stdout.startswith("HTTP/1.1 200 OK\n")  # text mode: CRLF read as \\n
    text = run_cli("show", article["url"], "--text", "--archive", str(news_archive))
    assert article["paragraphs"][0][:40] in text.stdout
    # The latest capture is a revisit, the earliest the original: both give the page.
    entries = Archive(news_archive).capture_entries(article["url"])
    assert [e.is_revisit for e in entries] == [False, True]
    first = Archive(news_archive).capture(article["url"], at=entries[0].timestamp)
    latest = Archive(news_archive).capture(article["url"])
    assert (first.record_type, latest.record_type) == ("response", "revisit")
    assert first.body == latest.body


def test_show_errors_are_one_line_with_the_contract_exit_codes(news_archive, news_site):
    unknown = run_cli("show", news_site.url + "/no-such-page", "--archive", str(news_archive))
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("Error: ") and unknown.stderr.count("\n") == 1
    bad_time = run_cli("show", news_site.url + "/", "--at", "yesterday", "--archive", str(news_archive))
    assert bad_time.returncode == 2


def test_reindex_leaves_out_articles_of_truncated_bodies_as_the_crawl_does(tmp_path):
    page = article_page("Complete", ("A whole article, every paragraph of it.",), "utf-8").encode()
    base = replace(
        html_exchange("http://example.test/news/whole", page, datetime(2025, 9, 8, tzinfo=UTC)),
        response_headers=[(b"Content-Type", b"text/html; charset=utf-8")],
    )
    indexes = tmp_path / "indexes"
    writer = WarcWriter(tmp_path / "warc", warcinfo={"software": "test"}, on_close=lambda p: index_warc(p, indexes))
    writer.write_exchange(base)
    # Cut inside the last paragraph: still an article page to the extractor, but the crawl never parses it.
    writer.write_exchange(replace(base, url="http://example.test/news/cut", body=page[:-40], truncated="length"))
    writer.close()
    assert reindex(ArchiveLayout(tmp_path)).articles == 1
    assert [entry["url"] for entry in read_index(indexes)] == ["http://example.test/news/whole"]
