"""Shared fixtures: the fictional news site served by a real HTTP server process.

``news_site`` (one server for the whole session) and ``fresh_news_site`` (a new server
and request log per test, for tests that count requests) both yield a
:class:`fixture_site.RunningSite`:

- ``url``: base URL, ``http://127.0.0.1:PORT`` (no trailing slash)
- ``articles``: ground truth from ``tests/site/articles.json``, newest first, each a
  dict with the data-file fields (``lang``, ``path``, ``title``, ``published``,
  ``lead``, ``paragraphs``, ``text``, ``tags``, ``structured_data``, ...) plus its
  absolute ``url``
- ``requests(at_least=0)``: the server's request log so far (one dict per request)
- ``fetch(path, headers)``: a raw HTTP GET (no redirects followed, no decompression)
- ``articles_in(lang, category_slug=None)``, ``absolute(path)``, ``log_path``
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fixture_site import RunningSite, run_site
from raw_archive import RawArchive, raw_archive


@pytest.fixture(scope="session")
def news_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSite]:
    """The test site, one server for the whole session (its log is shared by all tests)."""
    with run_site(tmp_path_factory.mktemp("news_site") / "requests.jsonl") as site:
        yield site


@pytest.fixture
def fresh_news_site(tmp_path: Path) -> Iterator[RunningSite]:
    """The test site on a server of its own, with an empty request log."""
    with run_site(tmp_path / "requests.jsonl") as site:
        yield site


@pytest.fixture(scope="session")
def raw_site_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawArchive]:
    """The raw-socket server (tests/rawserver.py), crawled twice into one archive (WARC fidelity tests)."""
    with raw_archive(tmp_path_factory.mktemp("raw_site")) as archive:
        yield archive


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on 127.0.0.1 for the session; yields its URL (each test uses its own database)."""
    from redis_server import run_redis

    with run_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url
