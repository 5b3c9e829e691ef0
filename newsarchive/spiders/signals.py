"""newsarchive's own signals, sent through ``crawler.signals`` as Scrapy's are (see :mod:`scrapy.signals`).

A component that has something to tell another sends one of these; the receiver connects a handler to it, so
neither looks the other up. Scrapy passes a handler only the arguments it names.
"""

# Sent with (sitemaps, request) when a host's robots.txt names sitemaps: ``sitemaps`` are its ``Sitemap:``
# URLs, ``request`` the request that had robots.txt fetched (spiders/politeness.py; the spider walks them).
robots_sitemaps_found = object()

# Sent with (response, request, spider) for the bytes of a download the timeout cut (spiders/truncation.py):
# the capture archives them as it does a response of ``response_downloaded``.
timed_out_body = object()

# Sent with (request) by a distributed crawl's ProcessedRequests (spiders/distributed.py) once that request's
# links are queued and its items processed: the shared scheduler (spiders/sharedqueue.py) then finishes it.
request_processed = object()
