"""The shape of a site's article URLs, learned from the URLs known to be articles.

A URL's shape is its path cut into segments, each replaced by its class: a language prefix (``L``), a number
(``N``), a year (``Y``), a month or day (``D``), a slug (``S``: a headline of several words, or words ending in
an id), a plain word (``W``: a section, a tag, a page name), with the file extension kept. Report.az's
``/ru/ekonomika/v-azerbajdzhane-vyroslo-proizvodstvo-funduka-1871435/`` is ``L/W/S``; its listing
``/ru/ekonomika/`` is ``L/W`` and its home ``/ru/`` is ``L``. Only shapes that end in a slug, a number or a
file name are article shapes: a listing, a section or a home page never has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

# Codes that a news site uses as a language prefix (ISO 639-1, the ones of the region and the big ones).
LANGUAGE_PREFIXES = frozenset(
    [
        "az",
        "ru",
        "en",
        "tr",
        "ka",
        "hy",
        "uz",
        "kk",
        "ky",
        "tk",
        "tg",
        "fa",
        "ar",
        "de",
        "fr",
        "es",
        "it",
        "pt",
        "uk",
        "be",
        "pl",
        "ro",
        "bg",
        "sr",
        "hr",
        "cs",
        "sk",
        "hu",
        "el",
        "zh",
        "ja",
        "ko",
    ]
)
_NUMBER = re.compile(r"\d+")
_WORDS = re.compile(r"[\W_]+")
_EXTENSION = re.compile(r"\.(html?|php|aspx?|shtml)$", re.IGNORECASE)
# A slug has at least this many words (``azerbaycan-ve-qazaxistan-...``); a section has one to three.
_SLUG_WORDS = 4
ARTICLE_ENDINGS = ("S", "N", "F")


def segment_class(segment: str, position: int) -> str:
    """The class of one path segment (see the module docstring); ``F`` + extension for a file name."""
    if match := _EXTENSION.search(segment):
        return "F" + match.group(1).lower()
    if _NUMBER.fullmatch(segment):
        if len(segment) == 4 and segment[:2] in ("19", "20"):
            return "Y"
        return "D" if len(segment) <= 2 else "N"
    if position == 0 and segment.lower() in LANGUAGE_PREFIXES:
        return "L"
    words = [word for word in _WORDS.split(segment) if word]
    if len(words) >= _SLUG_WORDS or (len(words) > 1 and words[-1].isdigit()):
        return "S"
    return "W"


def url_shape(url: str) -> str:
    """The shape of ``url``'s path, e.g. ``L/W/S`` (``""`` for the root)."""
    segments = [s for s in unquote(urlsplit(url).path).split("/") if s]
    return "/".join(segment_class(segment, number) for number, segment in enumerate(segments))


def is_article_shape(shape: str) -> bool:
    """Whether a shape can be an article's: it ends in a slug, a number or a file name."""
    return bool(shape) and shape.rsplit("/", 1)[-1].startswith(ARTICLE_ENDINGS)


@dataclass(frozen=True)
class UrlShapes:
    """The article URL shapes learned for one site: a plain value, so the crawl hands it to page analysis."""

    shapes: frozenset[str] = field(default_factory=frozenset)

    def __call__(self, url: str) -> bool:
        """Whether ``url`` has the shape of the site's known articles."""
        return bool(self.shapes) and url_shape(url) in self.shapes

    def __bool__(self) -> bool:
        return bool(self.shapes)


@dataclass(frozen=True)
class ArticleUrlPattern:
    """A profile's regular expression over URL paths that marks article pages; a plain value (picklable), so
    the crawl can hand it to worker processes."""

    pattern: re.Pattern[str]

    def __call__(self, url: str) -> bool:
        """Whether ``url``'s path matches."""
        return bool(self.pattern.search(urlsplit(url).path))
