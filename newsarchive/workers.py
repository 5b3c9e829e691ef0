"""Worker processes that die with the crawl: page analysis, export's blocks, the WARC writer.

trafilatura and lxml's tree walks are mostly Python, and so is warcio's record building: threads share one core
(the GIL); worker processes put every core to work. A worker is a fresh interpreter (``python -m
newsarchive.workers``), not a fork:

- it holds no file descriptor of the crawl but the two pipes it is given (``close_fds``; stdin and stdout are
  the job and result pipes, stderr is ``/dev/null``): never the crawl's stderr, never the archive's lock;
- it dies with the crawl: ``PR_SET_PDEATHSIG`` sends it SIGKILL when the crawl's thread that started it ends
  (a SIGKILL of the crawl included), and the job pipe is its lifeline: when the crawl is gone, the pipe's write
  end is closed and the worker's next read sees end-of-file and exits. A crawl killed before the worker set
  its death signal is caught by the parent-pid check right after;
- it ignores SIGINT and SIGTERM: a Ctrl-C reaches the whole process group, and the crawl's graceful stop
  still needs its workers to analyse the pages in flight; the crawl ends them by closing their pipes.

Jobs are ``(id, function, args)`` pickled onto the job pipe, results sent back as a frame (the job id and a length, 8
bytes each, then the pickle of ``(ok, value)``), so a result that cannot be unpickled here (an exception class whose
``__init__`` takes other arguments) fails its own job, not the stream; the function must be importable and
its arguments plain values. One thread per worker feeds its pipe (a write of a
large page never blocks the caller), one reads its results and resolves the caller's
:class:`concurrent.futures.Future` (``asyncio.wrap_future`` makes it awaitable on the reactor's loop).
This module is plain Python: no Scrapy.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import itertools
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, BinaryIO

import newsarchive

PR_SET_PDEATHSIG = 1
_FRAME = struct.Struct(">QQ")  # job id, length of the pickle after it
# How long shutdown() waits for a worker to finish its last job before killing it.
SHUTDOWN_TIMEOUT = 10.0
_PACKAGE_ROOT = str(Path(newsarchive.__file__).resolve().parent.parent)


class WorkerCrashedError(RuntimeError):
    """A worker process ended while it had a job (a crash in a C extension, an out-of-memory kill)."""


def default_workers() -> int:
    """The number of CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# A pipe of 1 MiB (Linux's default cap) instead of 64 KiB: each read or write of a page or a block of export crosses
# in a few system calls, and the thread doing it waits for the GIL once per call, not once per 64 KiB.
_PIPE_BYTES = 1 << 20


def _widen(pipe: BinaryIO) -> None:
    # Best effort: elsewhere than Linux, or over a lowered cap, the pipe keeps its size.
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


class Worker:
    """One worker process, the thread feeding its job pipe and the thread reading its results.

    Jobs run one after the other, in the order given: a worker is also a place for state that jobs share (the
    WARC writer process keeps its open file there). A job given once the worker has ended fails at once.
    """

    def __init__(self, role: str = "analysis") -> None:
        env = dict(os.environ)
        # The worker imports newsarchive from where this process did, installed or not.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (_PACKAGE_ROOT, env.get("PYTHONPATH"))))
        self.process = subprocess.Popen(
            # The role is for ``ps`` only: which worker does what.
            [sys.executable, "-m", "newsarchive.workers", str(os.getpid()), role],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            env=env,
        )
        for pipe in (self.process.stdin, self.process.stdout):
            assert pipe is not None
            _widen(pipe)
        self.pending: dict[int, Future[Any]] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[int, Callable[..., Any], tuple[Any, ...]] | None] = queue.SimpleQueue()
        self.alive = True
        name = f"{role}-{self.process.pid}"
        threading.Thread(target=self._feed, name=name + "-in", daemon=True).start()
        threading.Thread(target=self._read, name=name + "-out", daemon=True).start()

    @property
    def load(self) -> int:
        """Jobs given and not yet answered."""
        return len(self.pending)

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``function(*args)`` in the worker after the jobs before it; the future holds its result or error."""
        future: Future[Any] = Future()
        job_id = next(self._ids)
        with self._lock:
            # Checked under the lock the reader fails what is pending with: no job can slip between the two.
            if not self.alive:
                future.set_exception(WorkerCrashedError(f"worker {self.process.pid} has exited"))
                return future
            self.pending[job_id] = future
        self._jobs.put((job_id, function, args))
        return future

    def close(self) -> None:
        """No more jobs: the worker exits once it has answered those it has."""
        self._jobs.put(None)

    def _feed(self) -> None:
        stream = self.process.stdin
        assert stream is not None
        try:
            while (job := self._jobs.get()) is not None:
                job_id, function, args = job
                # The call is pickled apart, so a worker that cannot load it fails that job only.
                call = pickle.dumps((function, args), protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump((job_id, call), stream, protocol=pickle.HIGHEST_PROTOCOL)
                stream.flush()
        except (OSError, ValueError):  # the worker is gone; the reader fails what it had
            pass
        finally:
            with contextlib.suppress(OSError):
                stream.close()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            try:
                head = stream.read(_FRAME.size)
                if len(head) < _FRAME.size:
                    break
                job_id, length = _FRAME.unpack(head)
                data = stream.read(length)
            except OSError:
                break
            if len(data) < length:
                break
            try:
                ok, value = pickle.loads(data)
            except Exception as error:  # any unpickling failure fails its job, and the next frame is read
                ok, value = False, RuntimeError(f"page analysis result could not be read: {error!r}")
            with self._lock:
                future = self.pending.pop(job_id, None)
            if future is None or future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        self.alive = False
        code = self.process.wait()
        with self._lock:
            orphans, self.pending = list(self.pending.values()), {}
        for future in orphans:
            if not future.done():
                future.set_exception(WorkerCrashedError(f"worker process {self.process.pid} exited with {code}"))


class WorkerPool:
    """``size`` worker processes; :meth:`submit` gives a job to the least busy one.

    A worker that crashed is replaced at the next submit (from the caller's thread, so the new worker's death
    signal is tied to that thread, the crawl's reactor thread).
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._workers = [Worker() for _ in range(self.size)]
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers."""
        return [worker.process.pid for worker in self._workers]

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``function(*args)`` in a worker; the future holds its result or the exception it raised."""
        if self._closed:
            raise RuntimeError("the worker pool is shut down")
        self._workers = [worker if worker.alive else Worker() for worker in self._workers]
        worker = min(self._workers, key=lambda w: w.load)
        return worker.submit(function, *args)

    def shutdown(self, timeout: float = SHUTDOWN_TIMEOUT) -> None:
        """Let the workers finish their jobs and exit; kill those still running after ``timeout`` seconds."""
        self._closed = True
        for worker in self._workers:
            worker.close()
        for worker in self._workers:
            try:
                worker.process.wait(timeout)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()


# ---------------------------------------------------------------- the worker's side


def _die_with_parent(parent_pid: int) -> None:
    """SIGKILL when the parent's thread ends; exit now if the parent is already gone."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(0)


def _private_pipes() -> tuple[BinaryIO, BinaryIO]:
    """The job and result pipes, moved off fds 0 and 1 (which become /dev/null, so a stray print or read of a
    library cannot corrupt the protocol)."""
    jobs = os.fdopen(os.dup(0), "rb")
    results = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    return jobs, results


def serve(parent_pid: int) -> None:
    """The worker's loop: read a job, run it, write its result; return at end-of-file (the crawl is done or
    gone)."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    jobs, results = _private_pipes()
    while True:
        try:
            job_id, call = pickle.load(jobs)
        except (EOFError, OSError):
            return
        try:
            function, args = pickle.loads(call)
            answer: tuple[bool, Any] = (True, function(*args))
        except Exception as error:
            answer = (False, error)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            if not answer[0]:
                pickle.loads(data)  # an exception that cannot be read back is sent as its message
        except Exception as error:
            failure = error if answer[0] else answer[1]
            data = pickle.dumps((False, RuntimeError(f"{type(failure).__name__}: {failure}")))
        try:
            results.write(_FRAME.pack(job_id, len(data)) + data)
            results.flush()
        except OSError:
            return


if __name__ == "__main__":
    serve(int(sys.argv[1]))
