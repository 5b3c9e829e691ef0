"""The raw-socket server as a subprocess, and an archive crawled from it twice (the second crawl: revisits)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from helpers import REPO_ROOT
from rawserver import SIZE_CAP

TESTS = Path(__file__).resolve().parent


@dataclass(frozen=True)
class RawArchive:
    """The archive, the server's URL, and the exit code and summary line of each crawl."""

    path: Path
    url: str
    crawls: list[subprocess.CompletedProcess[str]]


@contextmanager
def run_raw_server() -> Iterator[str]:
    """``tests/rawserver.py`` on 127.0.0.1, port 0; yields its URL."""
    process = subprocess.Popen([sys.executable, str(TESTS / "rawserver.py")], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def crawl_in_subprocess(
    url: str, archive: Path, config: Path | None = None, **settings: object
) -> subprocess.CompletedProcess[str]:
    """``crawl()`` in a process of its own (Scrapy's reactor runs once), with extra Scrapy settings."""
    config_path = str(config) if config else None
    script = (
        "import sys\n"
        "from newsarchive.spiders.crawl import crawl\n"
        f"summary = crawl([{url!r}], {str(archive)!r}, config={config_path!r}, delay=0, extra={settings!r})\n"
        "print(summary)\n"
        "sys.exit(summary.exit_code)\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def wait_for_next_second() -> None:
    """Until the wall clock shows the next second (WARC and CDXJ timestamps have a one-second grain)."""
    last_second = int(time.time())
    while int(time.time()) == last_second:
        time.sleep(0.05)


@contextmanager
def raw_archive(directory: Path) -> Iterator[RawArchive]:
    """Crawl the raw server twice into ``directory/archive``, with one retry (so /error is fetched twice)."""
    with run_raw_server() as url:
        archive = directory / "archive"
        crawls = [crawl_in_subprocess(url + "/", archive, DOWNLOAD_MAXSIZE=SIZE_CAP, RETRY_TIMES=1)]
        # Replay picks captures by 14-digit timestamp: start the second crawl in a later second, so its
        # revisits are told apart from the originals.
        wait_for_next_second()
        crawls.append(crawl_in_subprocess(url + "/", archive, DOWNLOAD_MAXSIZE=SIZE_CAP, RETRY_TIMES=1))
        yield RawArchive(archive, url, crawls)
