"""Run the fictional news site (newsarchive.demo.server) for tests, with its ground truth.

The fixtures in ``conftest.py`` are built on :func:`run_site`; tests may import the
helpers (``fetch``, ``RunningSite``, ``SITE_DATA``) from here.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SITE_DATA = Path(__file__).resolve().parent / "site" / "articles.json"
SERVER_START_TIMEOUT = 30.0


def load_ground_truth(base_url: str, data_path: Path = SITE_DATA) -> list[dict[str, Any]]:
    """The articles of a site data file, newest first, each with its absolute ``url``."""
    data = json.loads(data_path.read_text(encoding="utf-8"))
    articles = [{**article, "url": base_url + article["path"]} for article in data["articles"]]
    return sorted(articles, key=lambda a: datetime.fromisoformat(a["published"]), reverse=True)


@dataclass(frozen=True)
class FetchResult:
    """A raw HTTP response: body bytes exactly as sent (possibly gzip-compressed)."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (only meaningful when not compressed)."""
        return self.body.decode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> FetchResult:
    """GET (or HEAD) ``url``, returning any status (404, 301...) instead of raising."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return FetchResult(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return FetchResult(error.code, dict(error.headers.items()), error.read())


@dataclass
class RunningSite:
    """A demo-site server process serving the test site (see the module docstring)."""

    url: str
    articles: list[dict[str, Any]]
    log_path: Path
    process: subprocess.Popen[str] = field(repr=False)

    def requests(self, at_least: int = 0, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Entries of the request log so far, in the order they were written.

        The server logs a request just *after* sending its response, so a client
        can finish before the line is written: ``at_least`` waits (up to
        ``timeout`` seconds) until that many entries are there.
        """
        deadline = time.monotonic() + timeout
        while True:
            entries = self._read_log()
            if len(entries) >= at_least or time.monotonic() >= deadline:
                return entries
            time.sleep(0.02)

    def _read_log(self) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        text = self.log_path.read_text(encoding="utf-8")
        # Ignore a last line still being written.
        return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]

    def absolute(self, path: str) -> str:
        """Absolute URL of a root-relative path on this site."""
        return self.url + path

    def fetch(self, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> FetchResult:
        """Raw GET of a root-relative path (see :func:`fetch`)."""
        return fetch(self.absolute(path), headers, method)

    def articles_in(self, lang: str, category_slug: str | None = None) -> list[dict[str, Any]]:
        """Ground-truth articles of one language (and category), newest first."""
        return [a for a in self.articles if a["lang"] == lang and category_slug in (None, a["category_slug"])]


def _read_url_line(process: subprocess.Popen[str]) -> str:
    """The one line the server prints (its base URL), or fail if it never comes."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(SERVER_START_TIMEOUT):
            raise RuntimeError("demo site server did not print its URL in time")
    line = process.stdout.readline().strip()
    if not line.startswith("http://"):
        raise RuntimeError(f"demo site server failed to start (exit code {process.poll()}): {line!r}")
    return line


@contextmanager
def run_site(log_path: Path, data_path: Path = SITE_DATA, port: int = 0) -> Iterator[RunningSite]:
    """Run ``python -m newsarchive.demo.server`` as a subprocess for the duration.

    ``port=0`` picks a free port; a test that changes the site between two crawls serves the new data
    on the port the first server had, so the URLs stay the same.
    """
    env = dict(os.environ)
    # Importable from the checkout even when the package is not installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    command = [
        sys.executable, "-m", "newsarchive.demo.server",
        "--data", str(data_path), "--request-log", str(log_path), "--port", str(port),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT, env=env)
    try:
        url = _read_url_line(process)
        yield RunningSite(url, load_ground_truth(url, data_path), log_path, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
