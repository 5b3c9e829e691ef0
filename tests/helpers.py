"""Helpers the tests share: run the CLI as a real process, read WARCs back with warcio."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from newsarchive.archive.records import HttpExchange

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_PROFILE = Path(__file__).resolve().parent / "site" / "profile.toml"


def html_exchange(url: str, body: bytes, date: datetime) -> HttpExchange:
    """A plain GET of an HTML page answered 200, as the writer is given one."""
    return HttpExchange(
        url=url,
        method="GET",
        request_headers=[(b"Host", b"example.test")],
        protocol="HTTP/1.1",
        status=200,
        reason="OK",
        response_headers=[(b"Content-Type", b"text/html")],
        body=body,
        date=date,
    )


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a CLI subprocess runs in: the checkout importable, plus ``extra``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def max_in_flight(requests: list[dict[str, Any]]) -> int:
    """The most requests a fixture server was handling at once (from its log's started/ended times)."""
    events = sorted([(r["started"], 1) for r in requests] + [(r["ended"], -1) for r in requests])
    busy = peak = 0
    for _, change in events:
        busy += change
        peak = max(peak, busy)
    return peak


def run_cli(
    *args: str, timeout: float = 300, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m newsarchive ARGS`` in a subprocess (a crawl needs a process of its own: Scrapy's
    reactor cannot be restarted); ``env`` adds variables."""
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(env),
        cwd=cwd or REPO_ROOT,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def start_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m newsarchive ARGS`` started in the background, stdout and stderr piped (text); ``env`` adds
    variables. For a test that signals, kills or races the process."""
    return subprocess.Popen(
        [sys.executable, "-m", "newsarchive", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=cli_env(env),
        cwd=REPO_ROOT,
    )


@contextmanager
def unwritable(path: Path) -> Iterator[Path]:
    """``path`` (a directory) made unwritable for the duration: mode 0555, and immutable when running as root
    (root ignores modes; ``chattr +i`` stops it too)."""
    mode = path.stat().st_mode
    path.chmod(0o555)
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield path
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(mode)


def tree(path: Path) -> dict[str, tuple[int, int]]:
    """Every file and directory under ``path`` with its size and mtime: equal before and after means untouched."""
    if not path.exists():
        return {}
    found = {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*")}
    return {".": (0, path.stat().st_mtime_ns), **found}


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
    """``warcio check`` over the files: 0 when every record's digests verify.

    Run from pywb's environment (tests/replay_env.py): warcio decodes ``br`` bodies with brotlipy's API, which
    Google's brotli (the crawler's) does not have, so in the crawler's environment it fails on a br record.
    """
    from replay_env import wayback_executable  # imports this module: imported here, when first needed

    if not paths:
        return 0  # nothing to check (the command itself insists on one file)
    warcio = wayback_executable().with_name("warcio")
    return subprocess.run([str(warcio), "check", *map(str, paths)], check=False).returncode
