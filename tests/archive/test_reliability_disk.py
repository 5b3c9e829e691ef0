"""A full disk (or an unwritable archive) ends the crawl with one error line and exit 1; every record
written before stays intact, and the next crawl carries on.

Root ignores file permissions, so the full disk is simulated with RLIMIT_FSIZE (``ulimit -f``) in the crawl
process, with SIGXFSZ ignored: a write past the limit then fails with EFBIG as a full disk fails with ENOSPC.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys

import pytest
from helpers import FIXTURE_PROFILE, REPO_ROOT, run_cli, warc_files, warcio_check

FILE_SIZE_LIMIT = 120_000


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


@pytest.fixture(scope="module")
def disk_full(news_site, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("disk_full")
    archive = root / "archive"
    args = ["crawl", news_site.url + "/", "--archive", str(archive), "--config", str(FIXTURE_PROFILE),
            "--delay", "0", "--log-file", str(root / "crawl.log")]  # fmt: skip
    full = subprocess.run(
        [sys.executable, "-m", "newsarchive", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        preexec_fn=_limit_file_size,
        timeout=120,
        check=False,
    )
    after_full = {
        "files": warc_files(archive),
        "check": warcio_check(warc_files(archive)),
        "verify": run_cli("verify", "--archive", str(archive)),
        "exported": run_cli("export", "--archive", str(archive)).stdout.splitlines(),
    }
    resumed = run_cli(*args)
    exported = run_cli("export", "--archive", str(archive))
    return {"full": full, "after_full": after_full, "resumed": resumed, "exported": exported}


def test_a_full_disk_ends_the_crawl_with_one_error_line_and_exit_1(disk_full):
    full = disk_full["full"]
    assert full.returncode == 1
    assert full.stdout == ""
    lines = full.stderr.splitlines()
    assert len(lines) == 1, full.stderr
    assert lines[0].startswith("Error: cannot write to ") and lines[0].endswith(
        ": File too large; free space or fix permissions, then run the crawl again"
    )


def test_records_written_before_the_failure_stay_intact_and_indexed(disk_full):
    after = disk_full["after_full"]
    assert after["files"] and all(f.name.endswith(".warc.gz") for f in after["files"])
    assert all(f.stat().st_size <= FILE_SIZE_LIMIT for f in after["files"])
    assert after["check"] == 0
    assert after["verify"].returncode == 0, after["verify"].stdout
    assert after["exported"], "some articles were archived before the disk filled"


def test_the_next_crawl_after_space_is_freed_archives_the_rest(disk_full, news_site):
    assert disk_full["resumed"].returncode == 0, disk_full["resumed"].stderr
    urls = [json.loads(line)["url"] for line in disk_full["exported"].stdout.splitlines()]
    assert sorted(urls) == sorted(article["url"] for article in news_site.articles)
