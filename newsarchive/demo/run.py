"""``demo()``: serve the bundled sample site on 127.0.0.1 and crawl it, with no network needed."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from newsarchive.archive.reader import Archive
from newsarchive.demo.server import start_server
from newsarchive.spiders.crawl import CrawlSummary, crawl
from newsarchive.spiders.profiles import bundled_profiles

DEMO_ARCHIVE = "newsarchive-demo"


def demo(archive: str | Path = DEMO_ARCHIVE) -> CrawlSummary:
    """Crawl the bundled Report.az-style site (served on a free loopback port) into ``archive``."""
    target = Archive(archive, create=True)
    with as_file(files("newsarchive.demo") / "site-data.json") as data, start_server(data) as server:
        # The sample site is laid out like report.az: the bundled profile reads it, moved to its address.
        profile = bundled_profiles()["report.az"].rebased(server.url)
        return crawl([], target, profile=profile, delay=0)
