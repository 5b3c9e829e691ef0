"""The article value that extraction returns, and the hints a site profile can give it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ExtractionHints:
    """Per-site help for extraction: CSS selectors per field and the site's time zone.

    ``selectors`` maps a field (``title``, ``date``, ``time``, ``category``, ``tags``, ``author``,
    ``body``, ``lead``) to a CSS selector; ``exclude`` lists selectors of page chrome to drop before
    extraction. ``language`` is used when the page declares none.
    """

    timezone: str | None = None
    language: str | None = None
    selectors: dict[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()


@dataclass
class Article:
    """The fields of one extracted article (the contract's keys that come from the page itself)."""

    url: str
    title: str | None = None
    text: str | None = None
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    author: str | None = None
    description: str | None = None
    image: str | None = None
    canonical_url: str | None = None
    alternates: dict[str, str] = field(default_factory=dict)
    site: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The fields as a plain dict, in declaration order."""
        return asdict(self)
