"""newsarchive: archive news sites into WARC files and turn them into clean article datasets.

>>> from newsarchive import Archive
>>> for article in Archive("newsarchive-demo").articles():  # doctest: +SKIP
...     print(article["published"], article["title"])
"""

from newsarchive.archive.reader import Archive
from newsarchive.errors import NewsArchiveError
from newsarchive.version import __version__


def crawl(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Crawl into an archive; see :func:`newsarchive.spiders.crawl.crawl` (imported lazily: Scrapy is heavy)."""
    from newsarchive.spiders.crawl import crawl as _crawl

    return _crawl(*args, **kwargs)


__all__ = ["Archive", "NewsArchiveError", "__version__", "crawl"]
