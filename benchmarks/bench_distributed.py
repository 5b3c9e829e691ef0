"""Benchmark: one worker against two workers (``crawl --redis``) on the same generated site.

Serves a generated site of N articles (tests/big_site.py) with the demo server, starts a redis-server on a free
port of 127.0.0.1, and crawls the site into a fresh archive three ways: one plain crawl, one worker of a
distributed job, and two workers of one job. For each it reports the requests the server saw (all, articles,
repeated URLs), the most requests in flight at once, articles exported and the wall time.

Usage: ``python benchmarks/bench_distributed.py [--articles N] [--concurrency C] [--delay S]``. Figures go to
stdout. Needs redis-server on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from big_site import write_big_site  # noqa: E402
from fixture_site import run_site  # noqa: E402
from helpers import max_in_flight  # noqa: E402
from redis_server import run_redis  # noqa: E402


def crawl(workers: int, site_url: str, archive: Path, redis_url: str | None, concurrency: int, delay: float) -> float:
    """Run ``workers`` crawl processes together; the wall time until the last one ends."""
    command = [sys.executable, "-m", "newsarchive", "crawl", site_url + "/", site_url + "/sitemap.xml",
               "--archive", str(archive), "--concurrency", str(concurrency), "--delay", str(delay),
               "--quiet"]  # fmt: skip
    if redis_url:
        command += ["--redis", redis_url]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.monotonic()
    processes = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(workers)]
    codes = [process.wait() for process in processes]
    if any(codes):
        raise SystemExit(f"a crawl failed: exit codes {codes}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as scratch:
        base = Path(scratch)
        data = write_big_site(base / "site.json", args.articles)
        with run_redis(base) as redis_url:
            print(f"site: {args.articles} articles, --concurrency {args.concurrency}, --delay {args.delay}")
            heading = ("run", "requests", "articles", "repeats", "peak", "exported", "wall s")
            print(f"{heading[0]:<22} " + " ".join(f"{h:>8}" for h in heading[1:]))
            for label, workers, redis in (("plain crawl", 1, None), ("1 worker (redis)", 1, redis_url),
                                          ("2 workers (redis)", 2, redis_url)):  # fmt: skip
                log = base / f"{workers}-{bool(redis)}.jsonl"
                archive = base / f"archive-{workers}-{bool(redis)}"
                with run_site(log, data) as site:
                    seconds = crawl(workers, site.url, archive, redis, args.concurrency, args.delay)
                    entries = site.requests()
                article_paths = {a["url"].removeprefix(site.url) for a in site.articles}
                paths = Counter(entry["path"] for entry in entries)
                exported = subprocess.run([sys.executable, "-m", "newsarchive", "export", "--archive", str(archive)],
                                          capture_output=True, text=True, cwd=ROOT, check=True).stdout  # fmt: skip
                figures = (len(entries), sum(paths[p] for p in article_paths),
                           sum(c - 1 for c in paths.values() if c > 1), max_in_flight(entries),
                           len({json.loads(line)["url"] for line in exported.splitlines()}))  # fmt: skip
                print(f"{label:<22} " + " ".join(f"{n:>8}" for n in figures) + f" {seconds:>8.1f}")


if __name__ == "__main__":
    main()
