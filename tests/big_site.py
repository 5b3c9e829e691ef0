"""A generated data file for the demo site with thousands of small articles (for the fault tests).

A fifth of the articles use the older template that declares nothing, mixed in with the current one.

Deterministic: the same arguments always give the same file. Paragraphs are short by default so pages render
and extract fast (for the tests); the benchmarks ask for articles as long as the seed Report.az article (about
2,500 characters: six paragraphs of five sentences). Dates spread over many months so the sitemaps reach every
article in two hops.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from newsarchive.demo.site import LANGUAGES, section_path

_BAKU = timezone(timedelta(hours=4))
_CATEGORIES = {
    "az": [("iqtisadiyyat", "İqtisadiyyat"), ("siyasat", "Siyasət"), ("idman", "İdman"), ("cemiyyet", "Cəmiyyət")],
    "ru": [("ekonomika", "Экономика"), ("politika", "Политика"), ("sport", "Спорт"), ("obshestvo", "Общество")],
    "en": [("economy", "Economy"), ("politics", "Politics"), ("sports", "Sports"), ("society", "Society")],
}
_WORDS = {
    "az": "Bakıda yeni layihə təqdim olunub və nazirlik açıqlama yayıb",
    "ru": "В Баку представили новый проект и министерство распространило заявление",
    "en": "A new project was presented in Baku and the ministry issued a statement",
}


def article(number: int, paragraphs: int = 2, sentences: int = 1) -> dict[str, object]:
    """The ``number``-th generated article, shaped like the data file's entries: a lead and ``paragraphs``
    paragraphs of ``sentences`` sentences."""
    lang = LANGUAGES[number % len(LANGUAGES)]
    category_slug, category = _CATEGORIES[lang][number % len(_CATEGORIES[lang])]
    slug = f"generated-story-{number}"
    words = _WORDS[lang]
    lead = f"{words} ({number})."
    body = [" ".join(f"{words}, {number}-{i}-{j}." for j in range(sentences)) for i in range(paragraphs)]
    published = datetime(2024, 1, 1, 9, 0, tzinfo=_BAKU) + timedelta(hours=7 * number)
    return {
        "lang": lang,
        "category_slug": category_slug,
        "category": category,
        "slug": slug,
        "path": section_path(lang, category_slug) + slug + "/",
        "story_id": f"g{number}",
        "title": f"{words.split(' ')[0]} {words.split(' ')[1]} {number}",
        "published": published.isoformat(),
        "author": None,
        "description": lead,
        "lead": lead,
        "paragraphs": body,
        "tags": [],
        "structured_data": number % 2 == 0,
        # A fifth of the site in the older template that declares nothing (see newsarchive.demo.site).
        "template": "legacy" if number % 5 == 4 else "current",
        "text": "\n\n".join([lead, *body]),
    }


def write_big_site(
    path: Path, count: int, paragraphs: int = 2, sentences: int = 1, feed_size: int | None = None
) -> Path:
    """Write a data file of ``count`` generated articles to ``path`` (their length as :func:`article`), with the
    newest ``feed_size`` of each language in its RSS feeds (every article when None)."""
    data: dict[str, object] = {
        "site_name": "Report.az",
        "articles": [article(n, paragraphs, sentences) for n in range(count)],
    }
    if feed_size is not None:
        data["options"] = {"feed_size": feed_size}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path
