"""A no-op Scrapy crawl with newsarchive's discovery: the baseline of ``crawl --no-extract``.

    python benchmarks/noop_crawl.py BASE_URL [--concurrency 16]

Same start points (the home page and the sitemap), same link discovery (``analyse_page`` without extraction,
on the callback's thread), same host scope and Scrapy's dupefilter; nothing is archived or indexed. Prints the
number of responses.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

from newsarchive.discover.pages import analyse_page
from newsarchive.extract import ExtractionHints


class NoopSpider(scrapy.Spider):
    """Follows every in-site link and sitemap entry newsarchive's discovery finds; keeps nothing."""

    name = "noop"

    def __init__(self, base: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.start_urls = [base + "/", base + "/sitemap.xml"]
        self.allowed_domains = [urlsplit(base).hostname or ""]
        self.hints = ExtractionHints()

    def parse(self, response: Response, **kwargs: object) -> Iterator[scrapy.Request]:
        """Follow what the page names."""
        content_type = response.headers.get(b"Content-Type") or b""
        analysis = analyse_page(response.body, response.url, content_type, self.hints, extract=False)
        for link in (*analysis.feeds, *analysis.links):
            yield scrapy.Request(link.url, callback=self.parse)
        if analysis.next_page:
            yield scrapy.Request(analysis.next_page, callback=self.parse)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--concurrency", type=int, default=16)
    arguments = parser.parse_args()
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "ERROR",
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": arguments.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": arguments.concurrency,
            "DOWNLOAD_DELAY": 0,
            "TELNETCONSOLE_ENABLED": False,
            "DEFAULT_REQUEST_HEADERS": {"Accept-Encoding": "identity"},
        }
    )
    crawler = process.create_crawler(NoopSpider)
    process.crawl(crawler, base=arguments.base.rstrip("/"))
    process.start()
    print(crawler.stats.get_value("downloader/response_count", 0))


if __name__ == "__main__":
    main()
