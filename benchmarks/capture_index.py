"""Start-up cost of the revisit (payload digest) index on a big archive: load time and peak RSS.

    python benchmarks/capture_index.py [--captures 1000000] [--files 10]

Generates ``.digests`` files for N original captures in a temporary directory (as the crawl writes them when
its WARCs close), then loads them in a fresh process the way a crawl does at start-up and looks a few up:
first with no cache (built from the files: the first crawl after an upgrade), then with it (every later one).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsarchive.archive.layout import DIGESTS_SUFFIX
from newsarchive.archive.revisits import Capture, CaptureIndex


def generate(directory: Path, captures: int, files: int, first: int = 0, started: int = 20250101000000) -> None:
    """Write ``captures`` lines over ``files`` ``.digests`` files, named as those of WARCs started one second
    apart from ``started`` (YYYYmmddHHMMSS) are, numbering the captures from ``first``."""
    per_file = captures // files
    for number in range(files):
        with open(directory / f"newsarchive-{started + number}-00000-host-1{DIGESTS_SUFFIX}", "w") as out:
            for line in range(per_file):
                serial = first + number * per_file + line
                digest = "sha1:" + base64.b32encode(hashlib.sha1(str(serial).encode()).digest()).decode()
                url = f"https://report.az/ru/ekonomika/article-number-{serial}-{serial * 7919 % 100000}/"
                out.write(
                    Capture(digest, url, "2025-01-01T00:00:00.000000Z", f"<urn:uuid:{serial:032x}>",
                            f"newsarchive-{number}.warc.gz", serial * 100, 5000).line()
                )  # fmt: skip


def measure(directory: Path) -> None:
    """Load the index and print the figures (run in a fresh process so RSS is this load's own)."""
    started = time.perf_counter()
    index = CaptureIndex.load(directory)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    digest = "sha1:" + base64.b32encode(hashlib.sha1(b"12345").digest()).decode()
    for _ in range(1000):
        found = index.by_digest(digest)
    lookup = (time.perf_counter() - started) / 1000
    assert found is not None
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(index):,} captures: loaded in {loaded:.2f} s, peak RSS {peak_mb:.0f} MB, lookup {lookup * 1e6:.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        measure(arguments.measure)
        return
    with tempfile.TemporaryDirectory() as directory:
        generate(Path(directory), arguments.captures, arguments.files)
        for cache in ("built", "warm"):
            print(f"{cache}: ", end="", flush=True)
            subprocess.run([sys.executable, __file__, "--measure", directory], check=True)


if __name__ == "__main__":
    main()
