"""The crawl's frontier: the requests it has yet to fetch wait on disk, in ``<archive>/queue/``, for that crawl
only; those it has seen are kept as 8-byte keys."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

from helpers import FIXTURE_PROFILE, REPO_ROOT, run_cli, start_cli
from scrapy import Request, Spider
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.test import get_crawler

from newsarchive.archive.runs import read_runs
from newsarchive.spiders.frontier import BufferedLifoDiskQueue, CompactDupeFilter


def _requests(first: int, count: int) -> list[Request]:
    return [Request(f"http://127.0.0.1:8000/news/{n}/") for n in range(first, first + count)]


def test_waiting_requests_are_on_disk_for_the_run_only_and_a_killed_crawls_queue_is_removed(news_site, tmp_path):
    archive, log = tmp_path / "archive", tmp_path / "crawl.log"
    queue = archive / "queue"
    # One request a second: killed while its queue is in use.
    slow = start_cli("crawl", news_site.url + "/", "--archive", str(archive), "--config", str(FIXTURE_PROFILE),
                     "--delay", "1", "--concurrency", "1", "--no-requisites")  # fmt: skip
    deadline = time.monotonic() + 60
    while not queue.is_dir() and slow.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    slow.send_signal(signal.SIGKILL)
    slow.communicate(timeout=60)
    assert queue.is_dir(), "the crawl never made its queue (or a killed crawl cleaned up)"

    result = run_cli("crawl", news_site.url + "/", "--archive", str(archive), "--config", str(FIXTURE_PROFILE),
                     "--delay", "0", "--log-file", str(log), "--log-level", "INFO")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not queue.exists(), "the queue outlived its crawl"
    # Scrapy's stats, dumped to the log when the crawl closes: every request went through the disk queue.
    stats = dict(re.findall(r"'(scheduler/[a-z/]+)': (\d+)", log.read_text(encoding="utf-8")))
    assert int(stats["scheduler/enqueued"]) > len(news_site.articles)
    assert stats["scheduler/enqueued/disk"] == stats["scheduler/enqueued"] == stats["scheduler/dequeued/disk"]
    exported = run_cli("export", "--archive", str(archive))
    assert {json.loads(line)["url"] for line in exported.stdout.splitlines()} == {a["url"] for a in news_site.articles}


def test_the_compact_filter_tells_repeats_as_scrapys_does(tmp_path):
    compact, scrapys = CompactDupeFilter(), RFPDupeFilter()
    urls = [f"http://127.0.0.1:8000/news/{n % 700}/?b=2&a=1" for n in range(2000)]
    urls += ["http://127.0.0.1:8000/news/1/?a=1&b=2", "http://127.0.0.1:8000/news/1/#part"]
    for url in urls:
        for method in ("GET", "HEAD"):
            request = Request(url, method=method)
            assert compact.request_seen(request) == scrapys.request_seen(request), (url, method)
    # With a JOBDIR, Scrapy's own filter: its file of fingerprints is read back by the next run.
    first = CompactDupeFilter(str(tmp_path))
    first.request_seen(Request(urls[0]))
    first.close("finished")
    assert CompactDupeFilter(str(tmp_path)).request_seen(Request(urls[0]))


def test_a_buffered_queue_keeps_its_newest_requests_in_memory_and_pops_in_scrapys_lifo_order(tmp_path):
    crawler = get_crawler(Spider, {"NEWSARCHIVE_QUEUE_MEMORY": 3})
    path = tmp_path / "requests" / "-100"
    queue = BufferedLifoDiskQueue.from_crawler(crawler, str(path))
    for request in _requests(0, 3):
        queue.push(request)
    assert len(queue) == 3 and not path.exists(), "three requests fit in memory: no file"
    for request in _requests(3, 4):
        queue.push(request)
    assert path.is_file() and len(queue) == 7
    assert queue.peek().url.endswith("/6/")
    popped = [queue.pop() for _ in range(3)]
    queue.push(_requests(7, 1)[0])  # pushed among the pops: still on top
    popped += [queue.pop() for _ in range(5)]
    assert [request.url.rsplit("/", 2)[1] for request in popped] == ["6", "5", "4", "7", "3", "2", "1", "0"]
    assert queue.pop() is None and queue.peek() is None and len(queue) == 0
    queue.close()
    assert not path.exists(), "an emptied queue leaves no file"


def test_a_request_that_cannot_be_pickled_waits_in_memory_and_is_counted(tmp_path):
    crawler = get_crawler(Spider, {"NEWSARCHIVE_QUEUE_MEMORY": 1})
    queue = BufferedLifoDiskQueue.from_crawler(crawler, str(tmp_path / "0"))
    queue.push(Request("http://127.0.0.1:8000/local/", callback=lambda response: None))  # not a spider method
    for request in _requests(0, 2):
        queue.push(request)
    assert crawler.stats.get_value("scheduler/unserializable") == 1
    assert [queue.pop().url.rsplit("/", 2)[1] for _ in range(len(queue))] == ["1", "local", "0"]


def test_under_a_jobdir_closing_a_buffered_queue_writes_its_memory_for_the_next_run(tmp_path):
    crawler = get_crawler(Spider, {"NEWSARCHIVE_QUEUE_MEMORY": 4, "JOBDIR": str(tmp_path)})
    path = str(tmp_path / "requests" / "0")
    queue = BufferedLifoDiskQueue.from_crawler(crawler, path)
    for request in _requests(0, 6):
        queue.push(request)
    queue.close()
    resumed = BufferedLifoDiskQueue.from_crawler(crawler, path)
    assert [resumed.pop().url.rsplit("/", 2)[1] for _ in range(len(resumed))] == ["5", "4", "3", "2", "1", "0"]


def test_under_a_jobdir_a_request_in_memory_that_cannot_be_pickled_is_counted_when_the_queue_closes(tmp_path):
    crawler = get_crawler(Spider, {"NEWSARCHIVE_QUEUE_MEMORY": 4, "JOBDIR": str(tmp_path)})
    path = str(tmp_path / "requests" / "0")
    queue = BufferedLifoDiskQueue.from_crawler(crawler, path)
    queue.push(_requests(0, 1)[0])
    queue.push(Request("http://127.0.0.1:8000/local/", callback=lambda response: None))  # not a spider method
    queue.close()
    assert crawler.stats.get_value("scheduler/unserializable") == 1
    resumed = BufferedLifoDiskQueue.from_crawler(crawler, path)
    assert [resumed.pop().url for _ in range(len(resumed))] == ["http://127.0.0.1:8000/news/0/"]


def test_a_queue_that_cannot_be_written_ends_the_crawl_with_one_error_line_and_exit_1(news_site, tmp_path):
    # The disk fills up under the queue (root ignores permissions, and the WARC would fill a size limit first).
    script = (
        "import errno, itertools, queuelib.queue\n"
        "push, pushes = queuelib.queue.LifoDiskQueue.push, itertools.count()\n"
        "def full(self, data):\n"
        "    if next(pushes) >= 5:\n"
        "        raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "    return push(self, data)\n"
        "queuelib.queue.LifoDiskQueue.push = full\n"
        "import newsarchive.spiders.settings\n"
        "newsarchive.spiders.settings.NEWSARCHIVE_QUEUE_MEMORY = 0  # every request to the file\n"
        "from newsarchive.cli import main\n"
        "main()\n"
    )
    archive = tmp_path / "archive"
    result = subprocess.run(
        [sys.executable, "-c", script, "crawl", news_site.url + "/", "--archive", str(archive), "--delay", "0",
         "--config", str(FIXTURE_PROFILE), "--log-file", str(tmp_path / "crawl.log")],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"Error: cannot write the crawl's queue in {archive / 'queue'}: No space left on device; free space or fix "
        "permissions, then run the crawl again"
    ]
    (run,) = read_runs(archive)
    assert run["exit_code"] == 1
    # What was archived stays, and the next crawl (space freed) archives the rest.
    assert run_cli("verify", "--archive", str(archive)).returncode == 0
    again = run_cli("crawl", news_site.url + "/", "--archive", str(archive), "--delay", "0",
                    "--config", str(FIXTURE_PROFILE))  # fmt: skip
    assert again.returncode == 0, again.stderr
    exported = run_cli("export", "--archive", str(archive))
    assert {json.loads(line)["url"] for line in exported.stdout.splitlines()} == {a["url"] for a in news_site.articles}
