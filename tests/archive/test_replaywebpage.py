"""ReplayWeb.page, in a real headless Chromium, shows an archived article from the WACZ with its title and photo.

The page that embeds ReplayWeb.page, its ``ui.js`` and ``sw.js`` (the npm package, unpacked by
``tests/replaywebpage.py``) and the WACZ are served from 127.0.0.1; Chromium resolves no host name, so nothing else
is reachable. The test waits until the replayed article has rendered, takes a screenshot
(``.artifacts/replaywebpage-article.png``, or ``$NEWSARCHIVE_ARTIFACTS/...``), and checks it shows the photo: the
fixture's photos are one solid colour (``PHOTO_RGB``), which a broken-image placeholder never paints.
"""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path
from typing import Any

import pytest
from browser import Chromium
from helpers import REPO_ROOT
from PIL import Image
from replaywebpage import replaywebpage_dir
from static_server import serve_directory

from newsarchive.archive.reader import Archive
from newsarchive.archive.wacz import write_wacz
from newsarchive.demo.site import PHOTO_RGB

SCREENSHOT = Path(os.environ.get("NEWSARCHIVE_ARTIFACTS") or REPO_ROOT / ".artifacts") / "replaywebpage-article.png"
# The photo is drawn 800 x 450 CSS pixels (or narrower, scaled): far more than this many pixels of its colour.
MIN_PHOTO_PIXELS = 50_000
RENDER_TIMEOUT = 90.0

EMBED = """<!doctype html>
<html><head><meta charset="utf-8"><title>newsarchive replay test</title>
<script src="/replay/ui.js"></script>
<style>html, body {{ margin: 0; height: 100%; }} replay-web-page {{ display: block; height: 100vh; }}</style>
</head><body>
<replay-web-page source="/news.wacz" url="{url}" replayBase="/replay/" embed="replayonly"></replay-web-page>
</body></html>
"""

# In the replayed article's frame: its heading, and whether its photo loaded (complete, with real pixels).
ARTICLE_STATE = """JSON.stringify({
  title: (document.querySelector('.news-title') || {}).textContent || null,
  photo: (() => { const img = document.querySelector('.news-image img');
                  return !!img && img.complete && img.naturalWidth > 0; })(),
})"""


@pytest.fixture(scope="module")
def replay_root(twice_crawled_site, tmp_path_factory) -> Path:
    """The folder the browser loads: the embedding page, ReplayWeb.page's scripts, the WACZ."""
    root = tmp_path_factory.mktemp("replaywebpage")
    archive = Archive(twice_crawled_site.archive)
    write_wacz(archive, archive.articles(), root / "news.wacz")
    (root / "replay").mkdir()
    for name in ("ui.js", "sw.js"):
        (root / "replay" / name).write_bytes((replaywebpage_dir() / name).read_bytes())
    return root


def _article_state(browser: Chromium, article_url: str) -> dict[str, Any] | None:
    """The replayed article's state, once ReplayWeb.page has put it in a frame of its own."""
    for frame in browser.frames():
        if frame["url"].endswith(article_url) and "/replay/w/" in frame["url"]:
            state = json.loads(browser.evaluate(ARTICLE_STATE, frame_id=frame["id"]))
            if state["title"] and state["photo"]:
                return state
    return None


def test_replaywebpage_shows_the_archived_article_with_its_title_and_photo(twice_crawled_site, replay_root, tmp_path):
    article = twice_crawled_site.site.articles[0]
    (replay_root / "index.html").write_text(EMBED.format(url=escape(article["url"])), encoding="utf-8")
    with serve_directory(replay_root) as base, Chromium(tmp_path / "profile", tmp_path / "chromium.log") as browser:
        browser.send("Page.navigate", url=base + "/index.html")
        state = browser.wait_for(lambda: _article_state(browser, article["url"]), RENDER_TIMEOUT, "the article")
        browser.screenshot(SCREENSHOT)
    print(f"ReplayWeb.page screenshot: {SCREENSHOT}")
    assert state["title"] == article["title"]
    with Image.open(SCREENSHOT) as shot:
        colours = shot.convert("RGB").getcolors(maxcolors=1 << 24) or []
    photo_pixels = sum(n for n, rgb in colours if all(abs(a - b) <= 2 for a, b in zip(rgb, PHOTO_RGB, strict=True)))
    assert photo_pixels >= MIN_PHOTO_PIXELS, f"{photo_pixels} pixels of the photo's colour in {SCREENSHOT}"
