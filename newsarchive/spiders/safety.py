"""Say why a redirect is not followed: a loop, too many hops, another host, a non-HTTP(S) scheme.

Scrapy already refuses all four (``RedirectMiddleware`` ignores non-HTTP(S) targets and stops after
``REDIRECT_MAX_TIMES``; the dupe filter breaks loops; ``OffsiteMiddleware`` drops other hosts), but says
so at DEBUG level or not at all. This middleware sits just outside ``RedirectMiddleware`` and logs one
WARNING line per refused redirect, naming the URL and the reason. It changes no response.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

logger = logging.getLogger(__name__)

_REDIRECT_STATUSES = {301, 302, 303, 307, 308}


class RedirectRefusalLog:
    """Logs redirects the crawl will not follow, with the reason (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_redirects = crawler.settings.getint("REDIRECT_MAX_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectRefusalLog:
        """Built by Scrapy's middleware manager."""
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        """Log the reason a redirect response will not be followed, if it will not."""
        location = response.headers.get(b"Location")
        if response.status in _REDIRECT_STATUSES and location:
            target = urljoin(request.url, location.decode("latin-1").strip())
            reason = self.refusal(request, target)
            if reason:
                self.crawler.stats.inc_value(f"newsarchive/redirects_refused/{reason.split(' ', 1)[0]}")
                logger.warning("Not following redirect %s -> %s: %s", request.url, target, reason)
        return response

    def refusal(self, request: Request, target: str) -> str | None:
        """Why ``target`` will not be fetched, or None when it will."""
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https"):
            return f"scheme {parts.scheme!r} is not HTTP(S)"
        allowed = getattr(self.crawler.spider, "allowed_domains", None) or []
        host = parts.hostname or ""
        if allowed and not any(host == domain or host.endswith("." + domain) for domain in allowed):
            return f"host {host!r} is outside the crawl's scope"
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target.split("#", 1)[0] in {url.split("#", 1)[0] for url in chain}:
            return "loop (the chain comes back to a URL it has visited)"
        if len(chain) > self.max_redirects:
            return f"chain longer than REDIRECT_MAX_TIMES ({self.max_redirects})"
        return None
