"""Page analysis on worker threads or worker processes: which puts the second core to work?

    python benchmarks/extract_workers.py [--workers 2] [--data DIR]

The crawl analyses pages (parse once, links and article) off Scrapy's reactor thread on a bounded pool
(``NEWSARCHIVE_EXTRACT_WORKERS``). trafilatura and lxml are partly Python, partly C that may release the
GIL; this runs the spider's own ``analyse_page`` over the public benchmark's pages with one worker, N threads
and N processes (bytes pickled in, results pickled out, as a process pool would have to) and prints pages/s.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from extraction import DATA_ENV, DEFAULT_DATA, load_pages

from newsarchive.discover.pages import analyse_page
from newsarchive.extract import ExtractionHints

HINTS = ExtractionHints()


def analyse(body: bytes, url: str) -> bool:
    """One page, as the spider analyses it; whether it held an article."""
    return analyse_page(body, url, b"text/html; charset=utf-8", HINTS).article is not None


def rate(make_pool: Callable[[], Executor], pages: list[tuple[bytes, str]]) -> float:
    """Pages per second through a fresh pool (warmed on a few pages first)."""
    with make_pool() as pool:
        list(pool.map(analyse, *zip(*pages[:8], strict=True)))
        started = time.perf_counter()
        list(pool.map(analyse, *zip(*pages, strict=True)))
        return len(pages) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, help=f"benchmark directory (else ${DATA_ENV}, else {DEFAULT_DATA})")
    arguments = parser.parse_args()
    data = arguments.data or Path(os.environ.get(DATA_ENV) or DEFAULT_DATA)
    if not data.is_dir():
        raise SystemExit(f"benchmark data not found at {data}; pass --data DIR or set ${DATA_ENV}")
    pages = [(page.body, page.url) for page in load_pages(data)]
    workers = arguments.workers
    print(f"{len(pages)} pages, {os.cpu_count()} cores")
    print(f"1 thread:     {rate(lambda: ThreadPoolExecutor(1), pages):6.1f} pages/s")
    print(f"{workers} threads:    {rate(lambda: ThreadPoolExecutor(workers), pages):6.1f} pages/s")
    print(f"{workers} processes:  {rate(lambda: ProcessPoolExecutor(workers), pages):6.1f} pages/s")


if __name__ == "__main__":
    main()
