"""A :class:`~newsarchive.archive.writer.WarcWriter` in a process of its own.

Writing a record is mostly Python (warcio's headers, digests, gzip members, the CDXJ line), about 1.6 ms of the
crawl's CPU a page measured on the reactor thread. In a :class:`~newsarchive.workers.Worker` it runs on another
core, and the crawl's process only pickles the exchange. The worker dies with the crawl as the page analysis
workers do; a crawl killed mid-write leaves an ``.open`` file, which the next crawl's repair indexes and renames.

The worker runs its jobs in order, so records are written in the order the crawl gave them. Each write answers
with the two records' locations, or the error that stopped it: a failed write (a full disk) fails every later one
too, as the in-process writer does. A file that rotates out is closed on a thread of the writer's process; a
close that failed is reported with the next answer.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from newsarchive.archive.records import HttpExchange, RecordLocation
from newsarchive.archive.revisits import CaptureIndex
from newsarchive.archive.writer import WarcWriter
from newsarchive.workers import Worker

# The writer's name on its command line (``ps``).
WRITER_ROLE = "warc-writer"
# How long closing waits for the writer to write what it was given and close its files.
CLOSE_TIMEOUT = 600.0


class WarcWriterProcess:
    """Writes exchanges in a worker process: :meth:`write_exchange` returns at once with a future.

    The arguments are :class:`~newsarchive.archive.writer.WarcWriter`'s; ``indexes`` also holds the capture
    index that revisits are found in, loaded in the worker.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        warcinfo: dict[str, str],
        prefix: str,
        max_size: int,
        indexes: str | os.PathLike[str],
    ) -> None:
        self._worker = Worker(role=WRITER_ROLE)
        self.pid = self._worker.process.pid
        # The files are named after the crawl's process, as the index files it writes are.
        self._worker.submit(_open, str(directory), warcinfo, prefix, max_size, str(indexes), os.getpid())

    def write_exchange(self, exchange: HttpExchange) -> Future[WriteAnswer]:
        """Write the exchange's request and response (or revisit); the future holds both locations and the
        failures of files closed since the last answer, or the write's error."""
        return self._worker.submit(_write_exchange, exchange)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> list[str]:
        """Write what was given, close the open file, wait for every close; return the failures not yet
        reported. The worker then exits. Raises what stopped the writer (its crash included)."""
        closing = self._worker.submit(_close)
        self._worker.close()
        try:
            return closing.result(timeout)
        finally:
            try:
                self._worker.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._worker.process.kill()


WriteAnswer = tuple[tuple[RecordLocation, RecordLocation], list[str]]


# ---------------------------------------------------------------- the writer's side (in the worker process)


class _WriterState:
    """The worker's writer, the thread its files close on, and the closes that failed since the last answer."""

    def __init__(self, **writer_arguments: Any) -> None:
        self._closes = ThreadPoolExecutor(1, thread_name_prefix="warc-close")
        self._lock = threading.Lock()
        self._failures: list[str] = []
        self.writer = WarcWriter(**writer_arguments, close_in=self._close_in_background)

    def _close_in_background(self, finish: Callable[[], None]) -> None:
        self._closes.submit(finish).add_done_callback(self._closed)

    def _closed(self, closing: Future[None]) -> None:
        error = closing.exception()
        if error is not None:
            with self._lock:
                self._failures.append(f"cannot close a WARC file: {error}")

    def failures(self) -> list[str]:
        """The closes that failed since the last call."""
        with self._lock:
            failures, self._failures = self._failures, []
        return failures

    def close(self) -> list[str]:
        """Close the open file and wait for every close."""
        self.writer.close()
        self._closes.shutdown(wait=True)
        return self.failures()


_state: _WriterState | None = None
_start_error: Exception | None = None


def _open(directory: str, warcinfo: dict[str, str], prefix: str, max_size: int, indexes: str, pid: int) -> None:
    global _state, _start_error
    try:
        _state = _WriterState(
            directory=directory,
            warcinfo=warcinfo,
            prefix=prefix,
            max_size=max_size,
            indexes=indexes,
            captures=CaptureIndex.load(Path(indexes)),
            pid=pid,
        )
    except Exception as error:  # every write then fails with it, which stops the crawl
        _start_error = error
        raise


def _writer_state() -> _WriterState:
    if _state is None:
        raise _start_error or RuntimeError("the WARC writer did not start")
    return _state


def _write_exchange(exchange: HttpExchange) -> WriteAnswer:
    state = _writer_state()
    return state.writer.write_exchange(exchange), state.failures()


def _close() -> list[str]:
    return _writer_state().close()
