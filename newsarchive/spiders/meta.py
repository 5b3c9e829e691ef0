"""The ``request.meta`` keys newsarchive's components read and write, in one place.

Scrapy's own keys (``handle_httpstatus_list``, ``download_slot``, ``dont_retry``, ``allow_offsite``...) are
used as Scrapy documents them. Each key here says who sets it and who reads it. Their values are kept as
they are: a distributed crawl's queue holds serialised requests that carry them.
"""

# The kind of page a request fetches (newsarchive.discover.links: ARTICLE, FEED, LISTING, SITEMAP, ...).
# Set by the spider; read by its callback and by --max-articles' ArticleRequestBudget (spiders/budget.py).
KIND_META = "newsarchive_kind"

# True on a discovery request to be made conditional with the stored validators. Set by the spider; read by
# ConditionalRequests (spiders/conditional.py), which adds If-None-Match / If-Modified-Since.
CONDITIONAL_META = "newsarchive_conditional"

# The response head exactly as received (a spiders.handler.RawHead). Set by the download handler
# (spiders/handler.py); taken (popped) by the capture (spiders/capture.py) when it writes the exchange.
RAW_HEAD_META = "newsarchive_raw_head"

# Where the response was archived (an archive.records.RecordLocation). Set by the capture on
# ``response_downloaded``; read by the spider's callback, which indexes the article at that location.
LOCATION_META = "newsarchive_response"
