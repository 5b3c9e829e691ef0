"""One crawl per archive: an OS lock that a second crawl cannot take and a dead holder cannot keep."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import FIXTURE_PROFILE, REPO_ROOT, run_cli, start_cli

from newsarchive.archive.lock import ArchiveLock, lock_holder
from newsarchive.archive.runs import read_runs
from newsarchive.errors import ArchiveLockedError

CONTENDERS = 4


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def race(news_site, tmp_path_factory) -> dict:
    """Several crawls started at once on one archive; while the winner runs, readers read it."""
    archive = tmp_path_factory.mktemp("race") / "archive"
    # Slow enough (delay 0.4 s per request) that every contender starts while the winner still runs.
    args = ("crawl", news_site.url + "/", "--archive", str(archive), "--config", str(FIXTURE_PROFILE),
            "--delay", "0.4", "--concurrency", "1", "--max-pages", "12")  # fmt: skip
    crawls = [start_cli(*args) for _ in range(CONTENDERS)]
    index = archive / "indexes"
    _wait_for(lambda: index.is_dir() and any(p.stat().st_size for p in index.glob("articles-*.jsonl")))
    # The winner is paused while the readers run, so it still holds the lock however slow the machine is.
    winner = next(c for c in crawls if any(index.glob(f"articles-*-{c.pid}.jsonl")))
    winner.send_signal(signal.SIGSTOP)
    try:
        during = {
            "holder": lock_holder(archive),
            "export": run_cli("export", "--archive", str(archive)),
            "verify": run_cli("verify", "--archive", str(archive)),
        }
    finally:
        winner.send_signal(signal.SIGCONT)
    outcomes = [(c.pid, *c.communicate(timeout=120)) for c in crawls]
    codes = [c.returncode for c in crawls]
    return {"archive": archive, "outcomes": outcomes, "codes": codes, "during": during}


def test_exactly_one_of_simultaneous_crawls_runs_and_the_others_exit_75(race):
    assert sorted(race["codes"]) == [0] + [75] * (CONTENDERS - 1)


def test_a_refused_crawl_prints_one_line_naming_the_holder_pid_and_start_time(race):
    winner = next(pid for (pid, _, _), code in zip(race["outcomes"], race["codes"], strict=True) if code == 0)
    for (_, stdout, stderr), code in zip(race["outcomes"], race["codes"], strict=True):
        if code == 75:
            assert stdout == ""
            assert re.fullmatch(
                rf"Error: archive \S+ is locked by pid {winner} since \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00; "
                r"wait for that crawl to finish or use another --archive\n",
                stderr,
            ), stderr


def test_a_refused_crawl_touches_nothing(race):
    winner = next(pid for (pid, _, _), code in zip(race["outcomes"], race["codes"], strict=True) if code == 0)
    archive: Path = race["archive"]
    # Every file a crawl names after itself (WARCs, index files) is the winner's.
    writers = [re.search(r"-(\d+)\.(?:warc\.gz|jsonl|cdxj|digests)$", path.name) for path in archive.glob("*/*")]
    pids = [int(match[1]) for match in writers if match]
    assert len(pids) >= 2 and set(pids) == {winner}, pids
    runs = list(read_runs(archive))
    assert [run["pid"] for run in runs] == [winner]


def test_readers_work_during_a_crawl_and_see_complete_records(race):
    during = race["during"]
    assert during["holder"] and during["holder"].startswith("pid ")
    export = during["export"]
    assert export.returncode == 0, export.stderr
    lines = export.stdout.splitlines()
    assert lines
    assert all(json.loads(line)["warc_record_id"] for line in lines)
    verify = during["verify"]
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "A crawl is running (pid " in verify.stderr


def test_a_second_lock_in_the_same_process_is_refused_until_the_first_is_released(tmp_path):
    with ArchiveLock(tmp_path):
        with pytest.raises(ArchiveLockedError, match=f"locked by pid {os.getpid()} since"):
            ArchiveLock(tmp_path).acquire()
        assert lock_holder(tmp_path) is not None
    assert lock_holder(tmp_path) is None
    with ArchiveLock(tmp_path) as lock:
        assert lock.held


def test_the_kernel_releases_the_lock_of_a_killed_holder(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from newsarchive.archive.lock import ArchiveLock; "
         "ArchiveLock(sys.argv[1]).acquire(); print('locked', flush=True); time.sleep(120)", str(tmp_path)],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(ArchiveLockedError, match=f"pid {holder.pid} since"):
            ArchiveLock(tmp_path).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    with ArchiveLock(tmp_path) as lock:
        assert lock.held
