"""news-please adapter for the benchmark's local site (``benchmarks/bench_crawl.py``), loaded by every Python
process of news-please's venv through ``PYTHONPATH`` (news-please starts each crawler as a subprocess).

news-please derives a spider's ``allowed_domains`` from its start URL with the port kept
(``127.0.0.1:8000``); Scrapy's OffsiteMiddleware compares host names without ports, so it would drop every
link of a site served on a port. This strips the port, nothing else.
"""

import re

try:
    from newsplease.helper_classes.url_extractor import UrlExtractor
except ImportError:  # not news-please's venv, or an older layout: leave everything as it is
    UrlExtractor = None

if UrlExtractor is not None:
    _original = UrlExtractor.get_allowed_domain

    def _without_port(url: str, allow_subdomains: bool = True) -> str:
        return re.sub(r":\d+$", "", _original(url, allow_subdomains))

    UrlExtractor.get_allowed_domain = staticmethod(_without_port)
