"""The replay tools the tests run for real: pywb's ``wayback`` (found in one place) and ReplayWeb.page.

pywb lives outside the test venv (tests/replay_env.py says why): :func:`wayback_executable` is the one place the
tests find it.
:func:`run_wayback` serves an archive with the configuration ``newsarchive replay`` writes
(:func:`newsarchive.archive.replay.pywb_config`).
ReplayWeb.page's files come from ``tests/replaywebpage.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from replay_env import wayback_executable as pywb_environment_wayback

from newsarchive.archive.layout import ArchiveLayout
from newsarchive.archive.replay import COLLECTION, WAYBACK_ENV, pywb_config

START_TIMEOUT = 60.0


def wayback_executable() -> Path:
    """pywb's ``wayback``: ``$NEWSARCHIVE_WAYBACK`` when set (as ``newsarchive replay`` honours it), else the
    tests' own pywb environment (:func:`replay_env.wayback_executable`, built on first use)."""
    configured = os.environ.get(WAYBACK_ENV)
    return Path(configured) if configured else pywb_environment_wayback()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until something listens on 127.0.0.1:port; fail with the log's tail if the process exits first."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not listen on port {port} in {START_TIMEOUT:.0f} s")


@contextmanager
def run_wayback(archive: Path, directory: Path) -> Iterator[str]:
    """pywb on 127.0.0.1 with one collection over the archive's folders; yields the collection's base URL."""
    (directory / "config.yaml").write_text(pywb_config(ArchiveLayout(archive)), encoding="utf-8")
    port = free_port()
    log = directory / "wayback.log"
    with open(log, "wb") as errors:
        process = subprocess.Popen([str(wayback_executable()), "-b", "127.0.0.1", "-p", str(port)],
                                   cwd=directory, stdout=subprocess.DEVNULL, stderr=errors)  # fmt: skip
    try:
        wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}/{COLLECTION}"
    finally:
        process.terminate()
        process.wait(timeout=10)
