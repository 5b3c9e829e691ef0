"""``demo()``: serve the bundled sample site on 127.0.0.1 and crawl it, with no network needed."""

from __future__ import annotations

from dataclasses import replace
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
    # The sample site is laid out like report.az, so the bundled profile reads it, on the loopback host.
    profile = replace(bundled_profiles()["report.az"], hosts=("127.0.0.1",))
    with as_file(files("newsarchive.demo") / "site-data.json") as data, start_server(data) as server:
        return crawl([server.url + "/"], target, profile=profile, delay=0)
