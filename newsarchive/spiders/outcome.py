"""What a crawl's stats say about its outcome: errors by kind, failures, and start URLs that answered an error.

One derivation, used by the summary (``crawl()``), the run log and the live status line. :class:`StartUrlErrors`
is the extension that notes a start URL given by the user that answered with an error status (a 404 start
is the user's mistake: when nothing was archived the crawl says so and exits 1, instead of 0 with nothing).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from newsarchive.spiders.capture import CAPTURE_ERRORS_STAT
from newsarchive.spiders.news import NOT_ARTICLES_STAT
from newsarchive.spiders.truncation import TRUNCATED_STAT

START_ERRORS_STAT = "newsarchive/start_errors"


def errors_by_kind(stats: dict[str, Any]) -> dict[str, int]:
    """Failures counted by kind from Scrapy's stats: ``http_503``, ``TimeoutError``, ``size_cap``, ``dataloss``,
    ``capture`` (an exchange that could not be archived), ``not_article`` (a page that looked like an article
    and gave none)..."""
    kinds: Counter[str] = Counter()
    for key, value in stats.items():
        if key.startswith("downloader/exception_type_count/"):
            name = key.rsplit(".", 1)[-1].rsplit("/", 1)[-1]
            if name != "IgnoreRequest":
                kinds[name] += value
        elif key.startswith("downloader/response_status_count/") and key.rsplit("/", 1)[-1] >= "400":
            kinds["http_" + key.rsplit("/", 1)[-1]] += value
        elif key.startswith("spider_exceptions/") and key != "spider_exceptions/count":
            kinds[key.split("/", 1)[1]] += value
        elif key == "newsarchive/warc_write_errors":
            kinds["warc_write"] += value
        elif key == CAPTURE_ERRORS_STAT:
            kinds["capture"] += value
        elif key == NOT_ARTICLES_STAT:
            kinds["not_article"] += value
        elif key.startswith(TRUNCATED_STAT + "/"):
            kinds[key.rsplit("/", 1)[-1]] += value
    return dict(sorted(kinds.items()))


def failures_of(errors: dict[str, int]) -> int:
    """The failures among the errors: a 4xx is the site's answer about one URL (archived as such), not one."""
    return sum(count for kind, count in errors.items() if not kind.startswith("http_4"))


def start_problem(stats: dict[str, Any]) -> str | None:
    """One sentence when a start URL answered an error status and no article was archived, else None."""
    answered = stats.get(START_ERRORS_STAT) or []
    if not answered or stats.get("newsarchive/articles", 0):
        return None
    listed = ", ".join(answered)
    return f"no article archived: the start URL answered an error ({listed}); check the URL"


class StartUrlErrors:
    """Notes, in :data:`START_ERRORS_STAT`, each start URL of the spider that answered with status 400 or more."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StartUrlErrors:
        """Connected to ``response_received``."""
        extension = cls(crawler)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        return extension

    def response_received(self, response: Response, request: Request, spider: Any) -> None:
        """Note the error answer of a start URL (after redirects)."""
        if response.status < 400:
            return
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        noted = self.crawler.stats.get_value(START_ERRORS_STAT) or []
        if first in set(getattr(spider, "start_urls", ())) and not any(n.startswith(first + " ") for n in noted):
            self.crawler.stats.set_value(START_ERRORS_STAT, [*noted, f"{first} {response.status}"])
