"""Distributed crawls: worker processes share one queue, seen-set and politeness through a real redis-server.

Every crawl here is a real ``newsarchive crawl --redis`` subprocess against the fixture site on 127.0.0.1; the
site's request log (one line per request, with its start and end time) is the witness.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from big_site import write_big_site
from fixture_site import RunningSite, run_site
from helpers import FIXTURE_PROFILE, max_in_flight, run_cli, start_cli
from redis_server import free_port

from newsarchive.archive.articles import read_index
from newsarchive.archive.lock import JobLock
from newsarchive.jobs import RedisJob, archive_id

CONCURRENCY = 2
JOB_TARGET = "http://127.0.0.1:9/"  # never requested: the refused crawls stop before any request


def start_worker(archive: Path, redis_url: str, *targets: str, env: dict[str, str] | None = None,
                 extra: tuple[str, ...] = ()) -> subprocess.Popen[str]:  # fmt: skip
    """One worker: ``newsarchive crawl TARGETS --redis URL`` in a process of its own."""
    return start_cli("crawl", *targets, "--archive", str(archive), "--redis", redis_url, "--delay", "0",
                     "--concurrency", str(CONCURRENCY), *extra, env=env)  # fmt: skip


def finish(worker: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str]:
    """Wait for a worker; its exit code and stderr."""
    _, stderr = worker.communicate(timeout=timeout)
    return worker.returncode, stderr


def wait_for(condition: Callable[[], bool], timeout: float = 300.0) -> None:
    """Wait until ``condition()`` holds (no timing assertion: the timeout only stops a hung test)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def exported(archive: Path) -> list[dict[str, Any]]:
    result = run_cli("export", "--archive", str(archive))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory, redis_server: str) -> dict[str, Any]:
    """Two workers crawl the fixture site (profile) together into one archive."""
    directory = tmp_path_factory.mktemp("two_workers")
    archive = directory / "archive"
    with run_site(directory / "requests.jsonl") as site:
        profile = ("--config", str(FIXTURE_PROFILE))
        workers = [start_worker(archive, redis_server, site.url + "/", extra=profile) for _ in range(2)]
        results = [finish(worker) for worker in workers]
        return {"site": site, "archive": archive, "results": results, "log": site.requests()}


def article_paths(site: RunningSite) -> set[str]:
    return {urlsplit(article["url"]).path for article in site.articles}


def test_both_workers_end_the_job_with_exit_0(two_workers):
    assert [code for code, _ in two_workers["results"]] == [0, 0], two_workers["results"]


def test_two_workers_fetch_every_article_exactly_once(two_workers):
    site: RunningSite = two_workers["site"]
    fetched = Counter(entry["path"] for entry in two_workers["log"])
    assert {path: fetched[path] for path in article_paths(site)} == dict.fromkeys(article_paths(site), 1)


def test_no_url_is_fetched_twice_by_the_two_workers(two_workers):
    fetched = Counter(entry["path"] for entry in two_workers["log"] if entry["path"] != "/robots.txt")
    assert [path for path, count in fetched.items() if count > 1] == []


def test_the_merged_export_has_every_article_once(two_workers):
    urls = [article["url"] for article in exported(two_workers["archive"])]
    assert sorted(urls) == sorted(article["url"] for article in two_workers["site"].articles)


def test_combined_in_flight_requests_never_exceed_the_concurrency(two_workers):
    assert max_in_flight(two_workers["log"]) <= CONCURRENCY


def test_verify_reindex_and_show_read_every_workers_files(two_workers, tmp_path):
    archive: Path = two_workers["archive"]
    assert run_cli("verify", "--archive", str(archive)).returncode == 0
    before = sorted(article["url"] for article in exported(archive))
    reindexed = run_cli("reindex", "--archive", str(archive))
    assert reindexed.returncode == 0, reindexed.stderr
    assert sorted(article["url"] for article in exported(archive)) == before
    last = two_workers["site"].articles[-1]["url"]
    shown = run_cli("show", last, "--archive", str(archive), "--text")
    assert shown.returncode == 0 and shown.stdout.strip()


def test_a_worker_killed_mid_crawl_leaves_its_requests_to_the_other(tmp_path, redis_server):
    site_data = write_big_site(tmp_path / "big.json", 400)
    archive = tmp_path / "archive"
    with run_site(tmp_path / "requests.jsonl", site_data) as site:
        targets = (site.url + "/", site.url + "/sitemap.xml")
        # A silent worker counts as dead after 2 s here (30 s by default).
        env = {"NEWSARCHIVE_REDIS_WORKER_TTL": "2"}
        doomed = start_worker(archive, redis_server, *targets, env=env, extra=("--timeout", "5"))
        wait_for(lambda: _index_lines(archive) >= 20)
        survivor = start_worker(archive, redis_server, *targets, env=env, extra=("--timeout", "5"))
        wait_for(lambda: _index_lines(archive) >= 60)
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate()
        code, stderr = finish(survivor)
        assert code == 0, stderr
        assert sorted(article["url"] for article in exported(archive)) == sorted(a["url"] for a in site.articles)
        assert max_in_flight(site.requests()) <= CONCURRENCY


def _index_lines(archive: Path) -> int:
    return sum(1 for _ in read_index(archive / "indexes")) if (archive / "indexes").is_dir() else 0


def test_redis_unreachable_is_one_error_line_and_exit_2(tmp_path):
    result = run_cli("crawl", "http://127.0.0.1:9/", "--archive", str(tmp_path / "a"),
                     "--redis", f"redis://127.0.0.1:{free_port()}/0")  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("Error: cannot reach Redis at redis://127.0.0.1:")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def running_job(tmp_path: Path, redis_server: str):
    """An archive held by a distributed job of JOB_TARGET (its first worker, in this process)."""
    archive = tmp_path / "archive"
    archive.mkdir()
    job = RedisJob.open(redis_server, archive)
    lock = JobLock(archive).acquire()
    assert lock.first
    lock.started(job.start([JOB_TARGET], []), redis_server)
    yield archive
    lock.release()


def test_a_plain_crawl_is_refused_with_75_while_a_job_holds_the_archive(running_job):
    result = run_cli("crawl", "http://127.0.0.1:9/", "--archive", str(running_job))
    assert result.returncode == 75
    assert "is locked by distributed crawl job" in result.stderr


def test_a_worker_of_another_job_is_refused_with_75(running_job, redis_server):
    result = run_cli("crawl", "http://127.0.0.1:8/", "--archive", str(running_job), "--redis", redis_server)
    assert result.returncode == 75
    assert "is crawled by distributed job" in result.stderr and "not of http://127.0.0.1:8/" in result.stderr


def test_a_worker_on_another_redis_is_refused_with_75(running_job, tmp_path):
    from redis_server import run_redis

    other = tmp_path / "other-redis"
    other.mkdir()
    with run_redis(other) as other_url:
        result = run_cli("crawl", JOB_TARGET, "--archive", str(running_job), "--redis", other_url)
    assert result.returncode == 75
    assert "which Redis at" in result.stderr


def _archive_id_at(directories: list[Path], start: Any, answers: Any) -> None:
    for directory in directories:
        start.wait()
        answers.put((directory, archive_id(directory)))


def test_workers_starting_together_on_a_new_archive_agree_on_its_id(tmp_path):
    """Two workers' first look at a new archive races to create its id; both must read the whole id, or the
    second would look for the job under other keys in Redis and be refused."""
    context = multiprocessing.get_context("fork")
    directories = [tmp_path / str(n) for n in range(300)]
    for directory in directories:
        directory.mkdir()
    start, answers = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_archive_id_at, args=(directories, start, answers)) for _ in range(2)]
    for worker in workers:
        worker.start()
    ids: dict[Path, set[str]] = {}
    for _ in range(2 * len(directories)):
        directory, answer = answers.get(timeout=60)
        ids.setdefault(directory, set()).add(answer)
    for worker in workers:
        worker.join()
    assert [d for d, found in ids.items() if found != {(d / "archive-id").read_text().strip()}] == []
    assert [p.name for d in directories for p in d.iterdir() if p.name != "archive-id"] == []
