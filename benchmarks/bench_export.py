"""Export speed: ``newsarchive export --format jsonl`` over an article index of N articles (default 200,000).

    python benchmarks/bench_export.py [--articles N] [--text-bytes B] [--dir DIR]

The index is generated (real index lines: every contract and extra key, ``--text-bytes`` of body text, some URLs
in two versions); the export runs as the CLI in a fresh process writing to /dev/null, then in this process
(``Archive(path).export`` to /dev/null). Prints articles/s, CPU seconds (the export's worker processes included)
and peak RSS of each (the target: at least 50,000 articles/s through the CLI).
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newsarchive.archive.articles import CONTRACT_KEYS, EXTRA_KEYS  # noqa: E402
from newsarchive.archive.reader import Archive  # noqa: E402

SECTIONS = ("ekonomika", "vneshnyaya-politika", "politika", "obshestvo", "sport")


def index_line(number: int, text: str, version: int = 1) -> str:
    """One article index line shaped as the crawl writes it."""
    url = f"https://report.az/ru/{SECTIONS[number % len(SECTIONS)]}/novost-nomer-{number}/"
    entry = dict.fromkeys((*CONTRACT_KEYS, *EXTRA_KEYS))
    entry.update(
        url=url, title=f"Заголовок {number}", text=text, published="2025-09-08T15:31:00+04:00", language="ru",
        category="Экономика", tags=["Азербайджан", "экономика"], site="report.az",
        fetched_at="2025-09-08T11:31:00+00:00", version=version,
        warc_file="newsarchive-20250908153100-00001-host-1.warc.gz",
        warc_record_id=f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>", warc_offset=number * 9000,
        warc_length=9000, story_id=f"s{number}", alternates={"en": url.replace("/ru/", "/en/")},
    )  # fmt: skip
    return json.dumps(entry, ensure_ascii=False) + "\n"


def write_index(indexes: Path, count: int, text_bytes: int) -> None:
    """``count`` articles; one in a hundred also has a second version, in a later file."""
    indexes.mkdir(parents=True, exist_ok=True)
    text = ("Текст статьи о новостях. " * (text_bytes // 40 + 1))[: text_bytes // 2]
    with open(indexes / "articles-20250908000000-1.jsonl", "w", encoding="utf-8") as first:
        first.writelines(index_line(n, text) for n in range(count))
    with open(indexes / "articles-20250909000000-2.jsonl", "w", encoding="utf-8") as second:
        second.writelines(index_line(n, text + " Обновлено.", 2) for n in range(0, count, 100))


def cpu(usage: resource.struct_rusage) -> float:
    """User and system seconds."""
    return usage.ru_utime + usage.ru_stime


def report(label: str, articles: int, seconds: float, cpu_seconds: float, peak_kib: int) -> None:
    """One line of figures."""
    print(f"  {label}: {articles:,} articles in {seconds:.2f} s, {articles / seconds:,.0f} articles/s, "
          f"CPU {cpu_seconds:.2f} s, peak RSS {peak_kib / 1024:.0f} MB")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--text-bytes", type=int, default=3000)
    parser.add_argument("--dir", type=Path)
    arguments = parser.parse_args()
    root = arguments.dir or Path(tempfile.mkdtemp(prefix="bench-export-"))
    indexes = root / "indexes"
    (root / "warc").mkdir(parents=True, exist_ok=True)
    if not indexes.is_dir():
        write_index(indexes, arguments.articles, arguments.text_bytes)
    size = sum(p.stat().st_size for p in indexes.iterdir())
    print(f"{arguments.articles:,} articles ({size / 2**20:.0f} MB of index), to /dev/null:")
    command = [sys.executable, "-m", "newsarchive", "export", "--archive", str(root), "--format", "jsonl"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open("/dev/null", "w") as sink:
        subprocess.run(command, stdout=sink, check=True, cwd=REPO)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report("CLI, fresh process", arguments.articles, seconds, cpu(after) - cpu(before), after.ru_maxrss)
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open("/dev/null", "wb") as sink:
        count = Archive(root).export(sink)
    seconds = time.perf_counter() - started
    used = cpu(resource.getrusage(resource.RUSAGE_SELF)) - cpu(mine)
    used += cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - cpu(children)
    report("in process", count, seconds, used, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
