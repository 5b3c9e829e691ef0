"""Helpers of the discovery, incremental and politeness tests: variants of the fixture site and its profile."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fixture_site import SITE_DATA

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_REPORT_AZ = REPO_ROOT / "newsarchive" / "profiles" / "report.az.toml"


def fixture_articles() -> list[dict[str, Any]]:
    """The fixture site's articles (a fresh copy to change)."""
    return copy.deepcopy(json.loads(SITE_DATA.read_text(encoding="utf-8"))["articles"])


def write_site(path: Path, articles: list[dict[str, Any]] | None = None, **options: Any) -> Path:
    """A site data file with these articles (the fixture's by default) and demo-site options."""
    data = {"site_name": "Report.az", "articles": fixture_articles() if articles is None else articles}
    if options:
        data["options"] = options
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def report_az_profile_on(site_url: str, path: Path) -> Path:
    """The bundled report.az profile, unchanged but for its base URL and hosts: the fixture site's."""
    text = BUNDLED_REPORT_AZ.read_text(encoding="utf-8")
    text = text.replace('base_url = "https://report.az"', f'base_url = "{site_url}"')
    text = text.replace('hosts = ["report.az", "www.report.az"]', f'hosts = ["{urlsplit(site_url).hostname}"]')
    path.write_text(text, encoding="utf-8")
    return path


def requested_paths(requests: list[dict[str, Any]]) -> list[str]:
    """The path (with query) of each GET in a request log, in order."""
    return [entry["path"] for entry in requests if entry["method"] == "GET"]


def article_paths(articles: list[dict[str, Any]]) -> set[str]:
    """The paths of these articles."""
    return {article["path"] for article in articles}


# Two articles per language, with and without structured data before: rendered in the older template.
LEGACY_PATHS_INDEXES = (1, 3, 6, 9, 13, 16)


def mixed_articles() -> list[dict[str, Any]]:
    """The fixture's articles with a third of them (two per language) in the older, undeclared template."""
    articles = fixture_articles()
    for number in LEGACY_PATHS_INDEXES:
        articles[number]["template"] = "legacy"
    return articles
