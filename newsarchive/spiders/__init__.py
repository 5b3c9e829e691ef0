"""Everything that touches Scrapy: the spider, WARC capture, the article pipeline and ``crawl()``."""
