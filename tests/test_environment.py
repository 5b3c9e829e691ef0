"""The test environment is the user's environment: nothing the tests need changes what the crawler runs with."""

from __future__ import annotations

import importlib.util

import brotli
from scrapy.downloadermiddlewares.httpcompression import ACCEPTED_ENCODINGS, HttpCompressionMiddleware
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler


def test_pywb_is_not_installed_in_the_crawlers_environment():
    # pywb's brotlipy shadows Google's brotli; the replay tests run pywb from .venv-pywb (tests/replay_env.py).
    assert importlib.util.find_spec("pywb") is None


def test_scrapy_accepts_and_decodes_brotli():
    assert b"br" in ACCEPTED_ENCODINGS
    middleware = HttpCompressionMiddleware.from_crawler(get_crawler())
    request = Request("http://127.0.0.1/")
    page = "<html><body>Привет, br</body></html>".encode()
    response = HtmlResponse(
        request.url, body=brotli.compress(page), headers={"Content-Encoding": "br"}, request=request
    )
    assert middleware.process_response(request, response).body == page
