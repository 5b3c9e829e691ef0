"""``newsarchive wacz``: package the archive as one WACZ file, with the articles as its pages.

Built with Webrecorder's ``wacz`` package (``pip install 'newsarchive[wacz]'``): the closed WARCs go in
``archive/``, the index it builds from them in ``indexes/``, and ``pages/pages.jsonl`` lists one page per article
(the latest version, filtered like ``export``): its ``url``, ``ts`` (when it was fetched, so replay opens that
capture), ``title`` and ``text``, which ReplayWeb.page's full-text search reads. Page requisites are in the WARCs
but are no pages.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsarchive.archive.layout import ArchiveLayout
from newsarchive.errors import MissingExtraError, NewsArchiveError

PAGES_FORMAT = "json-pages-1.0"


class WaczError(NewsArchiveError):
    """The WACZ could not be written."""


@dataclass(frozen=True)
class WaczSummary:
    """What went into a WACZ file."""

    path: Path
    pages: int
    warc_files: int


def page_entry(article: dict[str, Any]) -> dict[str, Any]:
    """An article index entry as a WACZ page: where and when it was captured, its title and text."""
    return {"url": article["url"], "ts": article["fetched_at"], "title": article.get("title"),
            "text": article.get("text") or ""}  # fmt: skip


def pages_lines(articles: Iterable[dict[str, Any]], title: str) -> Iterator[str]:
    """``pages.jsonl``: its header line, then one line per article."""
    header = {"format": PAGES_FORMAT, "id": "pages", "title": title, "hasText": True}
    yield json.dumps(header, ensure_ascii=False) + "\n"
    for article in articles:
        yield json.dumps(page_entry(article), ensure_ascii=False) + "\n"


def _wacz_main():  # type: ignore[no-untyped-def]
    try:
        from wacz.main import main
    except ImportError as error:
        raise MissingExtraError("newsarchive wacz needs the wacz package: pip install 'newsarchive[wacz]'") from error
    return main


def write_wacz(
    archive: ArchiveLayout,
    articles: Iterable[dict[str, Any]],
    output: str | Path,
    *,
    title: str | None = None,
    description: str | None = None,
) -> WaczSummary:
    """Write ``output`` from the archive's closed WARCs, with ``articles`` (index entries) as its pages."""
    main = _wacz_main()
    warcs = [str(path) for path in archive.warc_files(include_open=False)]
    if not warcs:
        raise WaczError(f"{archive.path} holds no closed WARC file to package")
    output = Path(output)
    title = title or f"newsarchive: {archive.path.resolve().name}"
    with tempfile.TemporaryDirectory(prefix="newsarchive-wacz-") as scratch:
        pages_path = Path(scratch) / "pages.jsonl"
        count = 0
        with open(pages_path, "w", encoding="utf-8") as pages:
            for count, line in enumerate(pages_lines(articles, title)):  # noqa: B007 - the header is line 0
                pages.write(line)
        arguments = ["create", "-o", str(output), "--pages", str(pages_path), "--copy-pages", "--title", title]
        if description:
            arguments += ["--desc", description]
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            status = main([*arguments, *warcs])
    if status:
        output.unlink(missing_ok=True)
        raise WaczError(f"the wacz package could not write {output}: {log.getvalue().strip().splitlines()[-1:]}")
    return WaczSummary(path=output, pages=count, warc_files=len(warcs))
