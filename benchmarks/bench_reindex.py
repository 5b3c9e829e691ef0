"""Re-indexing speed: newsarchive's per-WARC indexes (CDXJ + capture digests) next to ``cdxj-indexer -s``.

    python benchmarks/bench_reindex.py WARC_DIR [--repeat 3]

Both index the same closed WARCs (e.g. ``<archive>/warc`` of a ``bench_crawl.py`` run), each in-process in a
fresh interpreter, timing the indexing only (not the interpreter's start); the best of ``--repeat`` runs is
kept. Prints MB/s of WARC read and newsarchive's ratio to cdxj-indexer (the target: at least 0.8).
This is what ``reindex`` does per WARC besides extracting articles.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

OURS = """
import sys, time, tempfile
from pathlib import Path
from newsarchive.archive.cdxj import index_warc
files = sorted(Path(sys.argv[1]).glob("*.warc.gz"))
out = tempfile.mkdtemp()
started = time.perf_counter()
for path in files:
    index_warc(path, out)
print(time.perf_counter() - started)
"""

THEIRS = """
import io, sys, time
from pathlib import Path
from cdxj_indexer.main import main
files = [str(p) for p in sorted(Path(sys.argv[1]).glob("*.warc.gz"))]
started = time.perf_counter()
for path in files:
    main(["-s", "-o", sys.argv[2], path])
print(time.perf_counter() - started)
"""


def best(code: str, *args: str, repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``code`` in fresh interpreters (seconds it printed)."""
    runs = [
        float(subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True).stdout)
        for _ in range(repeat)
    ]
    return min(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warc_dir", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    files = sorted(arguments.warc_dir.glob("*.warc.gz"))
    if not files:
        raise SystemExit(f"no closed WARC in {arguments.warc_dir}")
    size = sum(f.stat().st_size for f in files) / 2**20
    scratch = tempfile.mkdtemp()
    ours = best(OURS, str(arguments.warc_dir), repeat=arguments.repeat)
    theirs = best(THEIRS, str(arguments.warc_dir), str(Path(scratch) / "out.cdxj"), repeat=arguments.repeat)
    print(f"{len(files)} WARCs, {size:.1f} MB")
    print(f"newsarchive (CDXJ + digests): {size / ours:7.1f} MB/s ({ours:.2f} s)")
    print(f"cdxj-indexer -s:              {size / theirs:7.1f} MB/s ({theirs:.2f} s)")
    print(f"newsarchive / cdxj-indexer:   {theirs / ours:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
