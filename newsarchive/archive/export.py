"""Reading the article index for export: in ranges of whole lines, on every core when the index is big.

The index files are cut into ranges of about :data:`RANGE_BYTES` (:func:`index_ranges`), each read in one block.
Two passes, both range by range:

1. :func:`latest_in_range` reads only each line's URL and version
   (:func:`~newsarchive.archive.articles.urls_and_versions`); :func:`latest_lines` merges the ranges' answers into
   the line each URL is exported from: the first line of its highest version;
2. only those lines (every line with ``all_versions``) are parsed, filtered and made rows:
   :func:`range_entries` for :meth:`~newsarchive.archive.reader.Archive.articles`, :func:`jsonl_block` for
   :func:`export_jsonl`, which encodes a whole range into JSONL bytes at once.

:func:`export_jsonl` shares both passes between this process and worker processes
(:class:`newsarchive.workers.WorkerPool`, one fewer than the CPUs) when the index holds at least
:data:`PARALLEL_BYTES`, and writes the ranges' bytes in index order: the output is the same bytes whichever
process ran a range. Memory stays flat: a few ranges in flight, and one int per URL (which line is its
latest) while the first pass runs.
"""

from __future__ import annotations

import os
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from newsarchive.archive.articles import urls_and_versions
from newsarchive.archive.dataset import FIELDS, ArticleFilter, dataset_row, entry_as_row
from newsarchive.archive.jsonl import line_ranges, parse_record, range_lines, read_range
from newsarchive.archive.layout import INDEX_GLOB
from newsarchive.archive.positions import pack, unpack

if TYPE_CHECKING:
    from newsarchive.workers import WorkerPool

# About 600 index lines of a news site: a worker's answer (as many bytes of JSONL) crosses its pipe in a few
# milliseconds, and the ranges in flight hold a few MB (8 MB ranges cost no less CPU and double the peak RSS).
RANGE_BYTES = 2 << 20
# Below this much index (about 10,000 articles, a third of a second on one core), starting the worker processes
# (about 0.2 s) costs more than the second core saves.
PARALLEL_BYTES = 32 << 20
# Ranges given to each worker ahead of the one being written: each worker always has the next one queued.
_AHEAD_PER_WORKER = 2
_POSITION_MASK = (1 << 64) - 1
# The GIL's switch interval while workers answer (seconds; Python's default is 0.005).
_SWITCH_INTERVAL = 0.0005


@dataclass(frozen=True, slots=True)
class IndexRange:
    """Bytes ``[start, end)`` of one article index file: whole lines."""

    path: str
    start: int
    end: int


def index_ranges(indexes_dir: str | os.PathLike[str], size: int = RANGE_BYTES) -> list[IndexRange]:
    """The complete lines of every article index file as they are now, oldest file first, in ranges of about
    ``size`` bytes (:func:`~newsarchive.archive.jsonl.line_ranges`: a torn last line is in none)."""
    return [
        IndexRange(str(path), start, end)
        for path in sorted(Path(indexes_dir).glob(INDEX_GLOB))
        for start, end in line_ranges(path, size)
    ]


def latest_in_range(part: IndexRange) -> list[tuple[str, int, int]]:
    """``(url, version, offset)`` of the first line of each URL's highest version within ``part``."""
    best: dict[str, tuple[int, int]] = {}
    for offset, url, version in urls_and_versions(read_range(part.path, part.start, part.end)):
        if url is not None and version > best.get(url, (0, 0))[0]:
            best[url] = (version, part.start + offset)
    return [(url, version, offset) for url, (version, offset) in best.items()]


def latest_lines(found: Iterable[list[tuple[str, int, int]]], ranges: int) -> list[array]:
    """Per range, the offsets (ascending) of the lines to export: the first line of each URL's highest version
    in the whole index, from :func:`latest_in_range` of each of the ``ranges`` ranges, in index order."""
    # URL -> version << 64 | the line's packed position (range number, offset): one int per URL, not a tuple.
    latest: dict[str, int] = {}
    for number, answers in enumerate(found):
        for url, version, offset in answers:
            known = latest.get(url)
            if known is None or version > known >> 64:
                latest[url] = version << 64 | pack(number, offset)
    offsets = [array("Q") for _ in range(ranges)]
    for value in latest.values():
        number, offset = unpack(value & _POSITION_MASK)
        offsets[number].append(offset)
    return [array("Q", sorted(chosen)) for chosen in offsets]


def range_entries(part: IndexRange, offsets: Iterable[int] | None) -> Iterator[dict[str, Any]]:
    """The index entries of the lines of ``part`` at ``offsets`` (every line when None) that parse."""
    for _, line in range_lines(part.path, part.start, part.end, offsets):
        if (entry := parse_record(line)) is not None:
            yield entry


def jsonl_block(
    part: IndexRange, offsets: Iterable[int] | None, accepts: ArticleFilter, fields: Sequence[str]
) -> tuple[bytes, int]:
    """The JSONL of a range's rows (:func:`range_entries` that ``accepts`` keeps, as ``fields``) and how many.

    A row is one compact JSON object and a newline (orjson: about eight times as fast as the standard encoder);
    with every field, an entry of the index's own shape is its own row
    (:func:`~newsarchive.archive.dataset.entry_as_row`).
    """
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    entries = filter(accepts, range_entries(part, offsets))
    if tuple(fields) == FIELDS:
        lines = [dumps(entry_as_row(entry), option=newline) for entry in entries]
    else:
        lines = [dumps(dataset_row(entry, fields), option=newline) for entry in entries]
    return b"".join(lines), len(lines)


def selected_lines(
    parts: Sequence[IndexRange], all_versions: bool, run: Callable[..., Iterator[Any]] | None = None
) -> list[array | None]:
    """Per range, the offsets of the lines to read (None: every line, with ``all_versions``); ``run`` maps a
    function over argument tuples, in order (here, one after the other, by default)."""
    if all_versions:
        return [None] * len(parts)
    run = run or _in_order
    # The answers are small: this process may keep all of them while a worker is still starting.
    return latest_lines(run(latest_in_range, [(part,) for part in parts], len(parts)), len(parts))


def export_jsonl(
    indexes_dir: str | os.PathLike[str],
    write: Callable[[bytes], object],
    *,
    fields: Sequence[str] = FIELDS,
    accepts: ArticleFilter | None = None,
    all_versions: bool = False,
    workers: int | None = None,
    range_bytes: int = RANGE_BYTES,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Write the articles of an index directory as JSONL bytes to ``write``, in index order, the latest version
    per URL unless ``all_versions``; returns how many rows.

    ``workers`` worker processes share the reading and encoding with this one (0: this process alone; None: one
    fewer than the CPUs when the index holds at least :data:`PARALLEL_BYTES`, else none). ``on_rows(n)`` follows
    each range's ``n`` rows.
    """
    parts = index_ranges(indexes_dir, range_bytes)
    accepts = accepts or ArticleFilter()
    if workers is None:
        workers = _auto_workers(sum(part.end - part.start for part in parts))
    pool = _pool(workers) if workers > 0 else None
    switch_interval = sys.getswitchinterval()
    if pool is not None:
        # The pool's reader threads take the GIL back after each pipe read (64 KiB) while this thread encodes;
        # at the default 5 ms a worker's answers could cross at a few tens of MB/s, below what a worker makes.
        sys.setswitchinterval(_SWITCH_INTERVAL)
    try:
        run = _in_order if pool is None else _shared(pool, _AHEAD_PER_WORKER * workers)
        offsets = selected_lines(parts, all_versions, run)
        jobs = [(part, chosen, accepts, tuple(fields)) for part, chosen in zip(parts, offsets, strict=True)]
        count = 0
        for block, rows in run(jsonl_block, jobs):
            write(block)
            count += rows
            if on_rows is not None:
                on_rows(rows)
        return count
    finally:
        if pool is not None:
            sys.setswitchinterval(switch_interval)
            pool.shutdown()


def _auto_workers(index_bytes: int) -> int:
    if index_bytes < PARALLEL_BYTES:
        return 0
    from newsarchive.workers import default_workers  # loaded only when worker processes may start

    return default_workers() - 1  # this process takes its share of the ranges


def _pool(size: int) -> WorkerPool:
    from newsarchive.workers import WorkerPool

    return WorkerPool(size)


def _in_order(function: Callable[..., Any], jobs: Iterable[tuple[Any, ...]], kept: int = 0) -> Iterator[Any]:
    """The ``run`` of one process: each job when its answer is asked for (``kept``, as :func:`_shared` takes it,
    has nothing to bound here)."""
    for args in jobs:
        yield function(*args)


def _shared(pool: WorkerPool, ahead: int) -> Callable[..., Iterator[Any]]:
    """A ``run`` that shares the jobs between ``pool`` and this process and yields the answers in the jobs' order.

    The pool is given jobs in order, up to ``ahead`` unanswered; while the answer due next is not ready, this
    process takes the next job itself (keeping up to ``kept`` answers, ``ahead`` by default), so it works instead
    of waiting, from the first job on (a worker takes a moment to start), and only the pool's answers cross a pipe.
    """

    def run(function: Callable[..., Any], jobs: Iterable[tuple[Any, ...]], kept: int = ahead) -> Iterator[Any]:
        work = list(jobs)
        given: dict[int, Future[Any]] = {}
        done_here: dict[int, Any] = {}
        taken = 0  # jobs handed out so far, in order, to the pool or to this process
        for due in range(len(work)):
            while taken < len(work) and len(given) < ahead:
                given[taken] = pool.submit(function, *work[taken])
                taken += 1
            if due in done_here:
                yield done_here.pop(due)
                continue
            future = given.pop(due)
            while not future.done() and taken < len(work) and len(done_here) < kept:
                done_here[taken] = function(*work[taken])
                taken += 1
            yield future.result()

    return run
