"""``newsarchive replay``: pywb on 127.0.0.1 over the archive's own folders, no conversion.

pywb reads the WARCs in ``warc/`` and the CDXJ files in ``indexes/`` as they are; :func:`pywb_config` is the
one place that says how, for the command and for the tests that run pywb themselves. pywb is an optional extra
(``pip install 'newsarchive[replay]'``); as its ``brotlipy`` shadows the ``brotli`` module Scrapy decodes with, it
may live in an environment of its own: :func:`find_wayback` takes its ``wayback`` command from
``$NEWSARCHIVE_WAYBACK``, else from this environment when pywb is installed here, else from ``PATH``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

from newsarchive.archive.layout import ArchiveLayout
from newsarchive.errors import ArchiveNotFoundError, MissingExtraError

COLLECTION = "news"
DEFAULT_PORT = 8080
WAYBACK_ENV = "NEWSARCHIVE_WAYBACK"
INSTALL_HINT = "pip install 'newsarchive[replay]'"


def pywb_config(archive: ArchiveLayout, collection: str = COLLECTION) -> str:
    """pywb's ``config.yaml``: one collection over the archive's ``warc/`` and ``indexes/`` folders."""
    return (
        f"collections:\n  {collection}:\n"
        f"    archive_paths: {archive.warc_dir.resolve()}/\n"
        f"    index_paths: {archive.indexes_dir.resolve()}/\n"
    )


def replay_url(port: int, url: str | None = None, collection: str = COLLECTION) -> str:
    """Where pywb shows the collection (or, given ``url``, its latest capture)."""
    base = f"http://127.0.0.1:{port}/{collection}/"
    return base + url if url else base


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules (blocked)
        return False


def find_wayback() -> Path:
    """pywb's ``wayback`` command, or a MissingExtraError naming the pip command that installs it."""
    if configured := os.environ.get(WAYBACK_ENV):
        return Path(configured)
    beside = Path(sys.executable).with_name("wayback")
    if _importable("pywb") and beside.is_file():
        return beside
    if on_path := shutil.which("wayback"):
        return Path(on_path)
    raise MissingExtraError(f"newsarchive replay needs pywb: {INSTALL_HINT}")


class _Stopped(Exception):
    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


def serve(archive: ArchiveLayout, port: int = DEFAULT_PORT, wayback: Path | None = None) -> int:
    """Run pywb on 127.0.0.1:``port`` until it stops or this process is interrupted (SIGINT, SIGTERM: pywb is
    stopped too); returns the exit code (pywb's, or 128 + the signal)."""
    if not archive.warc_dir.is_dir():
        raise ArchiveNotFoundError(f"{archive.path} holds no archive (no warc/ folder); crawl into it first")
    wayback = wayback or find_wayback()
    with tempfile.TemporaryDirectory(prefix="newsarchive-pywb-") as directory:
        (Path(directory) / "config.yaml").write_text(pywb_config(archive), encoding="utf-8")
        process = subprocess.Popen([str(wayback), "--bind", "127.0.0.1", "--port", str(port)], cwd=directory)

        def stop(signum: int, frame: FrameType | None) -> None:
            raise _Stopped(128 + signum)

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            return process.wait()
        except KeyboardInterrupt:
            return 128 + signal.SIGINT
        except _Stopped as stopped:
            return stopped.exit_code
        finally:
            signal.signal(signal.SIGTERM, previous)
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
