"""A fictional Report.az-style news site, rendered from JSON and served over HTTP.

Used for demos and as the crawl target of the test suite: ``site.py`` renders the
pages, ``server.py`` serves them on 127.0.0.1.
"""
