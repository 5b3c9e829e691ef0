"""``newsarchive replay``: pywb on 127.0.0.1 over the archive's own folders, no conversion.

pywb reads the WARCs in ``warc/`` and the CDXJ files in ``indexes/`` as they are; :func:`pywb_config` is the
one place that says how, for the command and for the tests that run pywb's ``wayback`` themselves. pywb is an
optional extra (``pip install 'newsarchive[replay]'``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from newsarchive.archive.layout import ArchiveLayout
from newsarchive.errors import ArchiveNotFoundError, MissingExtraError

COLLECTION = "news"
DEFAULT_PORT = 8080
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


def serve(archive: ArchiveLayout, port: int = DEFAULT_PORT) -> None:
    """Run pywb in this process until interrupted; a MissingExtraError names the pip command without pywb."""
    if not archive.warc_dir.is_dir():
        raise ArchiveNotFoundError(f"{archive.path} holds no archive (no warc/ folder); crawl into it first")
    try:
        from pywb.apps.cli import wayback
    except ImportError as error:
        raise MissingExtraError(f"newsarchive replay needs pywb: {INSTALL_HINT}") from error
    with tempfile.TemporaryDirectory(prefix="newsarchive-pywb-") as directory:
        (Path(directory) / "config.yaml").write_text(pywb_config(archive), encoding="utf-8")
        os.chdir(directory)  # pywb reads ./config.yaml
        wayback(["--bind", "127.0.0.1", "--port", str(port)])
