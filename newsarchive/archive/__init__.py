"""WARC writing and reading, the article index and the archive directory (no Scrapy, no click here)."""
