"""Discovery: where a site's articles show up, and what each fetched page gives the crawl.

Pure code over response bytes (no Scrapy): :mod:`~newsarchive.discover.links` reads feeds, sitemaps, robots.txt
and listing pages into dated links; :mod:`~newsarchive.discover.requisites` names what a page needs to render;
:mod:`~newsarchive.discover.pages` parses a page once for all of it and its article. The spider decides what to
fetch, in which order, from these.
"""
