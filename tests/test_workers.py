"""The page analysis worker pool: jobs run in other processes, failures come back, workers end with the pool."""

from __future__ import annotations

import os
import signal
import time
import urllib.error
from pathlib import Path

import pytest

from newsarchive.workers import Worker, WorkerCrashedError, WorkerPool


def _stat_field(pid: int, index: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[index]


def _gone(pid: int) -> bool:
    try:
        return _stat_field(pid, 0) == "Z"
    except OSError:
        return True


def _wait_gone(pids: list[int], timeout: float = 30.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (alive := [pid for pid in pids if not _gone(pid)]) and time.monotonic() < deadline:
        time.sleep(0.02)
    return alive


def test_a_job_runs_in_a_worker_process_and_returns_its_result():
    with WorkerPool(2) as pool:
        pids = {pool.submit(os.getpid).result(timeout=60) for _ in range(8)}
    assert pids and os.getpid() not in pids
    assert pids <= set(pool.pids)


def test_an_exception_raised_by_a_job_is_raised_by_its_future():
    with WorkerPool(1) as pool:
        future = pool.submit(int, "not a number")
        with pytest.raises(ValueError, match="not a number"):
            future.result(timeout=60)
        assert pool.submit(int, "7").result(timeout=60) == 7


def test_a_worker_that_dies_fails_its_jobs_and_is_replaced():
    with WorkerPool(1) as pool:
        (pid,) = pool.pids
        assert pool.submit(os.getpid).result(timeout=60) == pid
        future = pool.submit(time.sleep, 60)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerCrashedError):
            future.result(timeout=60)
        assert pool.submit(os.getpid).result(timeout=60) not in (pid, os.getpid())


def test_workers_hold_no_descriptor_of_the_parent_but_their_pipes(tmp_path):
    kept = open(tmp_path / "lock", "w")  # noqa: SIM115 - open while the workers start, as the crawl's lock is
    try:
        with WorkerPool(1) as pool:
            (pid,) = pool.pids
            pool.submit(os.getpid).result(timeout=60)
            held = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
    finally:
        kept.close()
    assert str(tmp_path / "lock") not in held
    assert os.readlink("/proc/self/fd/2") not in held or os.readlink("/proc/self/fd/2") == os.devnull


def test_workers_ignore_sigint_and_exit_when_the_pool_shuts_down():
    pool = WorkerPool(2)
    pids = pool.pids
    for pid in pids:
        assert pool.submit(os.getpid).result(timeout=60) in pids
        os.kill(pid, signal.SIGINT)
    assert pool.submit(abs, -3).result(timeout=60) == 3
    pool.shutdown()
    assert _wait_gone(pids) == []


def test_an_exception_that_cannot_be_unpickled_fails_its_job_and_the_worker_goes_on(monkeypatch):
    # HTTPError's __init__ takes five arguments: it pickles, but does not unpickle.
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))  # the worker imports this module
    with WorkerPool(1) as pool:
        future = pool.submit(_raise_http_error)
        with pytest.raises(RuntimeError, match="HTTPError"):
            future.result(timeout=60)
        assert pool.submit(abs, -4).result(timeout=60) == 4


def _raise_http_error() -> None:
    raise urllib.error.HTTPError("http://example.test/", 500, "boom", {}, None)  # type: ignore[arg-type]


def test_a_job_the_worker_cannot_load_fails_alone():
    with WorkerPool(1) as pool:  # this test module is not importable in the worker here
        with pytest.raises(ModuleNotFoundError):
            pool.submit(_raise_http_error).result(timeout=60)
        assert pool.submit(abs, -5).result(timeout=60) == 5


def test_one_workers_jobs_run_in_the_order_given_and_a_job_after_it_ended_fails_at_once():
    worker = Worker()
    try:
        futures = [worker.submit(os.getpid) for _ in range(20)]
        pid = futures[0].result(timeout=60)
        assert [future.result(timeout=60) for future in futures] == [pid] * 20
        os.kill(pid, signal.SIGKILL)
        assert _wait_gone([pid]) == []
        while worker.alive:  # the reader sees the end of the pipe just after
            time.sleep(0.01)
        with pytest.raises(WorkerCrashedError, match="has exited"):
            worker.submit(abs, -1).result(timeout=1)
    finally:
        worker.close()
