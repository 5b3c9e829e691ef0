"""Benchmark: start-up of the seen-set on an archive of N articles (default 1,000,000).

Writes an article index of N generated entries (each line shaped like a real one, with ``--text-bytes`` of
body text) to a scratch directory, then measures, each in a fresh process so peak RSS is its own:

- cold: no cache file, the seen-set is rebuilt from the article index (and the cache written);
- warm: the cache is fresh (the usual start-up of a cron run);
- topped-up: a new index file of 1,000 articles appeared since (a run in between);
- lookups: 100,000 membership tests, half hits, half misses.

Usage: ``python benchmarks/seen_set.py [--articles N] [--text-bytes B] [--dir DIR]``. Figures go to stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsarchive.archive.layout import SEEN_CACHE_NAME  # noqa: E402
from newsarchive.archive.seen import load_seen  # noqa: E402

SECTIONS = ("ekonomika", "vneshnyaya-politika", "politika", "obshestvo", "sport")


def article_url(number: int) -> str:
    """A Report.az-shaped article URL."""
    return f"https://report.az/ru/{SECTIONS[number % len(SECTIONS)]}/novost-nomer-{number}-{number * 7919 % 10**7}/"


def write_index(path: Path, first: int, count: int, text_bytes: int) -> None:
    """``count`` index lines for articles ``first``..``first + count - 1``."""
    text = ("Текст статьи. " * (text_bytes // 25 + 1))[: text_bytes // 2]
    with open(path, "w", encoding="utf-8") as index:
        for number in range(first, first + count):
            entry = {
                "url": article_url(number),
                "title": f"Заголовок {number}",
                "text": text,
                "published": "2025-09-08T15:31:00+04:00",
                "language": "ru",
                "version": 1,
                "warc_file": "newsarchive-20250908153100-00001-host-1.warc.gz",
                "warc_record_id": f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>",
            }
            index.write(json.dumps(entry, ensure_ascii=False) + "\n")


def measure(indexes: Path, lookups: int = 0) -> dict[str, float]:
    """Run one start-up (and lookups) in this process; seconds and peak RSS in MB."""
    started = time.perf_counter()
    seen = load_seen(indexes)
    loaded = time.perf_counter() - started
    result = {"articles": len(seen), "seconds": round(loaded, 3)}
    if lookups:
        started = time.perf_counter()
        hits = sum(article_url(n * 2 if n % 2 else -n - 1) in seen for n in range(lookups))
        result["lookup_us"] = round((time.perf_counter() - started) / lookups * 1e6, 2)
        result["hits"] = hits
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def in_fresh_process(indexes: Path, lookups: int = 0) -> dict[str, float]:
    """:func:`measure` in a new interpreter, so its peak RSS is not this one's."""
    output = subprocess.run(
        [sys.executable, __file__, "--measure", str(indexes), "--lookups", str(lookups)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def main() -> None:
    """Generate the index, then print one line of figures per scenario."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--text-bytes", type=int, default=1500, help="body text per article line")
    parser.add_argument("--dir", type=Path, help="scratch directory (default: a temporary one)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--lookups", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.lookups)))
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        indexes = Path(scratch) / "indexes"
        indexes.mkdir()
        started = time.perf_counter()
        write_index(indexes / "articles-20250101000000-1.jsonl", 0, args.articles, args.text_bytes)
        size = (indexes / "articles-20250101000000-1.jsonl").stat().st_size
        seconds = time.perf_counter() - started
        print(f"generated {args.articles:,} articles, {size / 1e6:,.0f} MB index, in {seconds:.1f} s")
        print("cold (rebuild from index):", in_fresh_process(indexes))
        print(f"cache file: {(indexes / SEEN_CACHE_NAME).stat().st_size / 1e6:.1f} MB")
        print("warm (fresh cache):       ", in_fresh_process(indexes))
        write_index(indexes / "articles-20250102000000-2.jsonl", args.articles, 1000, args.text_bytes)
        print("topped-up (+1,000):       ", in_fresh_process(indexes))
        print("warm + 100,000 lookups:   ", in_fresh_process(indexes, lookups=100_000))
        baseline = subprocess.run(
            [sys.executable, "-c", "import resource, newsarchive.archive.seen; "
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"],
            capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout.strip()  # fmt: skip
        print(f"(interpreter + imports alone: {baseline} MB peak RSS)")


if __name__ == "__main__":
    main()
