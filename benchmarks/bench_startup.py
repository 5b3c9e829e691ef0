"""Crawl start-up on an archive of 1,000,000 articles: seconds and peak RSS of a one-page crawl.

    python benchmarks/bench_startup.py [--articles 1000000] [--dir DIR]

The archive is generated cheaply: an article index of N short lines (``benchmarks/seen_set.py``'s generator)
and the ``.digests`` files of N original captures (``benchmarks/capture_index.py``'s), which is what a crawl
loads before its first request (the seen-set and the revisit index). Then ``newsarchive crawl BASE/
--max-pages 1`` runs against a small local site: on an empty archive (the floor); on the big one with no
start-up caches (the first crawl after an upgrade: both rebuilt from the index files); again (caches warm,
topped up with what the previous crawl wrote); and after another 1,000 articles and captures were indexed
(the cron run after a day's crawl: the caches are brought up to date). Targets: under 5 s and 500 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))

from big_site import write_big_site  # noqa: E402
from capture_index import generate as write_digests  # noqa: E402
from seen_set import write_index  # noqa: E402

from newsarchive.archive.layout import CAPTURES_CACHE_NAME, SEEN_CACHE_NAME  # noqa: E402

DAY = 1_000  # articles and captures a day's crawl adds


def one_page_crawl(base: str, archive: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``crawl BASE/ --max-pages 1`` in a fresh process."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "newsarchive", "crawl", base + "/", "--archive", str(archive),
               "--max-pages", "1", "--delay", "0"]  # fmt: skip
    crawl = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN only ever grows: a smaller later run would not show).
    _, _, usage = os.wait4(crawl.pid, 0)
    seconds = time.perf_counter() - started
    return seconds, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path)
    arguments = parser.parse_args()
    root = arguments.dir or Path(tempfile.mkdtemp(prefix="bench-startup-"))
    big, empty = root / "big", root / "empty"
    indexes = big / "indexes"
    if not indexes.is_dir():
        indexes.mkdir(parents=True)
        (big / "warc").mkdir()
        write_index(indexes / "articles-20250101000000-1.jsonl", 0, arguments.articles, 200)
        write_digests(indexes, arguments.articles, max(1, arguments.articles // 20_000))
    for cache in (SEEN_CACHE_NAME, CAPTURES_CACHE_NAME):
        (indexes / cache).unlink(missing_ok=True)
    site = root / "site.json"
    write_big_site(site, 20)
    server = subprocess.Popen([sys.executable, "-m", "newsarchive.demo.server", "--data", str(site)],
                              stdout=subprocess.PIPE, text=True, cwd=REPO)  # fmt: skip
    assert server.stdout is not None
    base = server.stdout.readline().strip()
    try:
        print(f"{arguments.articles:,} articles in {root}")
        for name, archive in (("empty archive", empty), ("caches rebuilt", big), ("caches warm", big)):
            seconds, peak = one_page_crawl(base, archive)
            print(f"{name:<28}{seconds:>7.2f} s{peak:>8.0f} MB peak RSS")
        # Named by the time now (UTC), as the crawl's own files are, so they sort after every file read before.
        now = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        write_index(indexes / f"articles-{now}-2.jsonl", arguments.articles, DAY, 200)
        write_digests(indexes, DAY, 1, first=arguments.articles, started=int(now))
        seconds, peak = one_page_crawl(base, big)
        print(f"{f'+{DAY:,} since, topped up':<28}{seconds:>7.2f} s{peak:>8.0f} MB peak RSS")
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
