"""Feedback: a live status line and an export progress bar on a terminal (checked through a real pty), nothing of
that under cron or with --quiet, Scrapy's log with -v, and counts with the right plural."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from helpers import FIXTURE_PROFILE, REPO_ROOT, cli_env, run_cli

from newsarchive.cli.crawl import summary_line
from newsarchive.spiders.crawl import CrawlSummary
from newsarchive.spiders.progress import ERASE_LINE, status_line


def run_on_a_terminal(*args: str) -> tuple[int, str]:
    """``python -m newsarchive ARGS`` with stderr (and stdin) on a pseudo-terminal: exit code and what it showed."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", *args],
        stdin=slave, stdout=subprocess.DEVNULL, stderr=slave, env=cli_env(), cwd=REPO_ROOT,
    )  # fmt: skip
    os.close(slave)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return process.wait(timeout=300), shown.decode("utf-8", errors="replace")


def crawl_args(site_url: str, archive: Path) -> list[str]:
    return ["crawl", site_url + "/", "--config", str(FIXTURE_PROFILE), "--archive", str(archive), "--delay", "0"]


def test_a_crawl_on_a_terminal_shows_a_live_status_line_then_the_summary(tmp_path, news_site):
    code, shown = run_on_a_terminal(*crawl_args(news_site.url, tmp_path / "archive"), "--max-articles", "2")
    assert code == 0, shown
    assert ERASE_LINE + "0 pages, 0 new articles, 0 updated, " in shown
    last = shown.rsplit(ERASE_LINE, 1)[1]
    assert last.startswith("Fetched ") and "archived 2 articles into" in last
    assert " pages/s, 0:0" in shown


def test_quiet_on_a_terminal_shows_no_status_line(tmp_path, news_site):
    code, shown = run_on_a_terminal(*crawl_args(news_site.url, tmp_path / "archive"), "--max-articles", "1", "--quiet")
    assert code == 0, shown
    assert shown == ""


def test_a_crawl_under_cron_prints_only_the_summary(tmp_path, news_site):
    result = run_cli(*crawl_args(news_site.url, tmp_path / "archive"), "--max-articles", "1")
    assert result.returncode == 0, result.stderr
    assert ERASE_LINE not in result.stderr
    assert result.stderr.startswith("Fetched ") and result.stderr.count("\n") == 1


def test_verbose_shows_scrapys_log(tmp_path, news_site):
    result = run_cli(*crawl_args(news_site.url, tmp_path / "archive"), "--max-articles", "1", "-v")
    assert result.returncode == 0, result.stderr
    assert "[scrapy.core.engine] INFO: Spider opened" in result.stderr


def test_export_to_a_file_on_a_terminal_shows_a_progress_bar(tmp_path, news_site):
    archive = tmp_path / "archive"
    assert run_cli(*crawl_args(news_site.url, archive), "--max-articles", "2").returncode == 0
    code, shown = run_on_a_terminal("export", "--archive", str(archive), "-o", str(tmp_path / "a.jsonl"))
    assert code == 0, shown
    assert "Exporting" in shown and "100%" in shown
    assert shown.rstrip().endswith(f"Exported 2 articles to {tmp_path / 'a.jsonl'}")
    code, shown = run_on_a_terminal("export", "--archive", str(archive), "-o", str(tmp_path / "b.jsonl"), "--quiet")
    assert (code, shown) == (0, "")


def summary(**counts) -> CrawlSummary:
    fields = {"pages": 0, "articles": 0, "failures": 0, "warc_files": 0, "warc_bytes": 0, "seconds": 1.0}
    return CrawlSummary(finish_reason="finished", archive=Path("news"), **{**fields, **counts})


def test_the_summary_counts_with_the_right_plural():
    assert summary_line(summary(pages=1, articles=1, warc_files=1, warc_bytes=1, failures=1)) == (
        "Fetched 1 page, archived 1 article into news (1 new WARC file, 1 byte) in 1.0 s; 1 failure"
    )
    assert summary_line(summary(pages=2, articles=3, articles_updated=1, warc_files=2, warc_bytes=2048)) == (
        "Fetched 2 pages, archived 3 articles (1 updated) into news (2 new WARC files, 2,048 bytes) in 1.0 s"
    )


def test_the_status_line_counts_pages_articles_queue_errors_and_rate():
    stats = {
        "downloader/response_count": 120,
        "newsarchive/articles": 31,
        "newsarchive/articles_changed": 1,
        "scheduler/enqueued": 150,
        "scheduler/dequeued": 140,
        "downloader/response_status_count/500": 1,
    }
    assert status_line(stats, 65.0) == ("120 pages, 30 new articles, 1 updated, 10 queued, 1 error, 1.8 pages/s, 1:05")
