"""``demo()``: serve the bundled sample site on 127.0.0.1 and crawl it, with no network needed.

The site's address is part of every archived URL, so the demo archive keeps the port its site was first served
on (``demo-site.json`` in the archive) and serves it there again on every run: a second run is an incremental
crawl of the same site (no duplicates), as a cron run of a real site would be.
"""

from __future__ import annotations

import errno
import json
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsarchive.archive.layout import DEMO_SITE_NAME
from newsarchive.archive.reader import Archive
from newsarchive.errors import ConfigError
from newsarchive.profiles import bundled_profiles

if TYPE_CHECKING:
    from newsarchive.spiders.crawl import CrawlSummary

DEMO_ARCHIVE = "newsarchive-demo"


def demo_port(archive: Archive) -> int:
    """The port this demo archive's site was served on (0, any free port, for a new archive)."""
    try:
        return int(json.loads((archive.path / DEMO_SITE_NAME).read_text(encoding="utf-8"))["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def demo(archive: str | Path = DEMO_ARCHIVE, **options: Any) -> CrawlSummary:
    """Crawl the bundled Report.az-style site (served on a loopback port kept by the archive) into ``archive``;
    ``options`` are :func:`~newsarchive.spiders.crawl.crawl`'s (``progress``, ``log_level``...)."""
    # The site and Scrapy load only when the demo runs, not with the command line's help.
    from newsarchive.demo.server import start_server
    from newsarchive.spiders.crawl import crawl

    target = Archive(archive, create=True)
    target.require_writable()
    port = demo_port(target)
    with as_file(files("newsarchive.demo") / "site-data.json") as data:
        try:
            server = start_server(data, port=port)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise ConfigError(
                f"port {port}, where the demo site of {target.path} is served, is in use; "
                "free it, or give another --archive for a new demo"
            ) from None
        with server:
            (target.path / DEMO_SITE_NAME).write_text(json.dumps({"port": server.port}) + "\n", encoding="utf-8")
            # The sample site is laid out like report.az: the bundled profile reads it, moved to its address.
            profile = bundled_profiles()["report.az"].rebased(server.url)
            return crawl([], target, profile=profile, **{"delay": 0, **options})
