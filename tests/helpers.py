"""Helpers the tests share: run the CLI as a real process, read WARCs back with warcio."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

from warcio.archiveiterator import ArchiveIterator
from warcio.checker import Checker
from warcio.recordloader import ArcWarcRecord

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_PROFILE = Path(__file__).resolve().parent / "site" / "profile.toml"


def run_cli(*args: str, timeout: float = 300, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m newsarchive ARGS`` in a subprocess (a crawl needs a process of its own: Scrapy's
    reactor cannot be restarted)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd or REPO_ROOT,
        check=False,
    )


def warc_files(archive: Path) -> list[Path]:
    """The archive's WARC files (closed and open), by name."""
    return sorted((archive / "warc").glob("*.warc.gz*"))


def iter_records(archive: Path) -> Iterator[tuple[Path, ArcWarcRecord]]:
    """Every record of every WARC in the archive, with its file."""
    for path in warc_files(archive):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                yield path, record


def record_at(path: Path, offset: int) -> tuple[ArcWarcRecord, bytes]:
    """The record at ``offset`` (one seek) and its payload exactly as stored (content-coding kept)."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        return record, record.raw_stream.read()


def warcio_check(paths: list[Path]) -> int:
    """``warcio check`` over the files: 0 when every record's digests verify."""

    arguments = SimpleNamespace(inputs=[str(p) for p in paths], verbose=False)
    return Checker(arguments).process_all()
