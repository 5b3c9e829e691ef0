"""What the archive knows about its sites: how its last crawl told articles (the profile's rule), and what it
learned: the shape of their article URLs and the UTC offset of their clocks.

A site without a profile still tells how its article URLs look (the pages that declare themselves articles, the
items of its feeds and sitemaps) and what its clock is (the offsets its structured timestamps state). The crawl
learns both as it goes and keeps them in ``<archive>/site-facts.json``, so later runs, ``reindex`` and repair
recognise the articles of older templates and place their local times. The file is small (counts per host),
rewritten atomically whenever what it implies changes, and rebuildable: ``reindex`` learns it again from the
WARCs when it is missing. The rule (:class:`ArticleRule`: the profile's name, extraction hints, article URL
pattern, URL policy, and a digest of them) lets ``reindex`` and repair decide as the crawl did without being
told the profile again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from newsarchive.archive.layout import FACTS_NAME
from newsarchive.extract.article import ExtractionHints
from newsarchive.extract.shapes import ArticleUrlPattern, UrlShapes, is_article_shape, url_shape

if TYPE_CHECKING:
    from newsarchive.extract.recognition import PageVerdict

# A shape is the site's once this many known articles have it: one odd page does not make a pattern.
MIN_SHAPE_VOTES = 2
_UTC = "+00:00"


@dataclass(frozen=True)
class ArticleRule:
    """How a crawl tells its site's articles: a profile's name, extraction hints (selectors, time zone), article
    URL pattern and URL policy. What ``reindex`` and repair need of a profile to decide as the crawl did."""

    hints: ExtractionHints = field(default_factory=ExtractionHints)
    article_url_pattern: str | None = None
    trailing_slash: str = "keep"
    profile: str = "generic"

    def pattern(self) -> ArticleUrlPattern | None:
        """The profile's article URL pattern as a matcher (None without one)."""
        return ArticleUrlPattern(re.compile(self.article_url_pattern)) if self.article_url_pattern else None

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data, with a digest of its content."""
        data = asdict(self)
        data["hints"]["exclude"] = list(self.hints.exclude)
        data["sha256"] = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleRule:
        """The rule from :meth:`to_dict`'s data."""
        hints = data.get("hints") or {}
        return cls(
            ExtractionHints(
                timezone=hints.get("timezone"),
                language=hints.get("language"),
                selectors=dict(hints.get("selectors") or {}),
                exclude=tuple(hints.get("exclude") or ()),
            ),
            data.get("article_url_pattern"),
            data.get("trailing_slash") or "keep",
            data.get("profile") or "generic",
        )


def host_of(url: str) -> str:
    """The host a fact belongs to (lower case, port kept: two sites on one address are two sites)."""
    return urlsplit(url).netloc.lower()


@dataclass
class HostFacts:
    """Evidence counted for one host: article URL shapes and stated UTC offsets."""

    shapes: Counter[str] = field(default_factory=Counter)
    offsets: Counter[str] = field(default_factory=Counter)

    def article_shapes(self) -> UrlShapes:
        """The shapes seen often enough to be the site's article shapes."""
        return UrlShapes(frozenset(shape for shape, votes in self.shapes.items() if votes >= MIN_SHAPE_VOTES))

    def utc_offset(self) -> str | None:
        """The site's clock: the offset its timestamps state most often.

        ``Z``/``GMT``/``+00:00`` say nothing about the clock a page shows (feeds and sitemaps are often written
        in UTC), so they never count: a site whose timestamps are all in UTC gets no offset, and its shown local
        times stay dates until ``--timezone`` or a profile says.
        """
        local = [(votes, offset) for offset, votes in self.offsets.items() if offset != _UTC]
        return max(local)[1] if local else None


class SiteFacts:
    """The learned facts of every host of an archive; what they imply is cached and re-derived on change."""

    def __init__(self, hosts: dict[str, HostFacts] | None = None, rule: ArticleRule | None = None) -> None:
        self.hosts: dict[str, HostFacts] = hosts or {}
        self.rule = rule  # how the last crawl told articles
        self._shapes: dict[str, UrlShapes] = {}
        self.changed = False  # what the facts imply changed since the last save
        self.revision = 0  # counts those changes, for a reader waiting on one
        self.learned = False  # any evidence counted since the last save

    def _host(self, url: str) -> HostFacts:
        return self.hosts.setdefault(host_of(url), HostFacts())

    def learn_article_url(self, url: str) -> None:
        """``url`` is known to be an article's (it declared itself one, or a feed or sitemap lists it)."""
        shape = url_shape(url)
        if not is_article_shape(shape):
            return
        facts = self._host(url)
        facts.shapes[shape] += 1
        self.learned = True
        if facts.shapes[shape] == MIN_SHAPE_VOTES:
            self._shapes.pop(host_of(url), None)
            self._changed()

    def learn_offsets(self, url: str, offsets: list[str] | tuple[str, ...]) -> None:
        """The UTC offsets stated by the timestamps of a page (or feed, or sitemap) of ``url``'s host."""
        if not offsets:
            return
        facts = self._host(url)
        before = facts.utc_offset()
        facts.offsets.update(offsets)
        self.learned = True
        if facts.utc_offset() != before:
            self._changed()

    def learn_page(self, url: str, verdict: PageVerdict, offsets: tuple[str, ...] | None = None) -> None:
        """What one analysed page teaches: its timestamps' offsets (``offsets``, a feed's or sitemap's, else the
        verdict's) and, when it declared itself an article and was one, its URL's shape. The crawl and
        ``reindex`` learn through this one call."""
        self.learn_offsets(url, verdict.offsets if offsets is None else offsets)
        if verdict.declared and verdict.article is not None:
            self.learn_article_url(url)

    def _changed(self) -> None:
        self.changed = True
        self.revision += 1

    def article_shapes(self, url: str) -> UrlShapes:
        """The article URL shapes of ``url``'s host."""
        host = host_of(url)
        if host not in self._shapes:
            facts = self.hosts.get(host)
            self._shapes[host] = facts.article_shapes() if facts else UrlShapes()
        return self._shapes[host]

    def is_article_url(self, url: str) -> bool:
        """Whether ``url`` has the shape of its site's known articles; until they are known, whether it has an
        article's shape at all (a slug, an id, a file name): a page met before the evidence arrived is judged
        as an article, so an article of an older template is never passed over for coming early."""
        shapes = self.article_shapes(url)
        return shapes(url) if shapes else is_article_shape(url_shape(url))

    def utc_offset(self, url: str) -> str | None:
        """The learned UTC offset of ``url``'s site, as ``+04:00``; None when its timestamps stated none."""
        facts = self.hosts.get(host_of(url))
        return facts.utc_offset() if facts else None

    def to_dict(self) -> dict[str, Any]:
        """The facts as JSON-ready data (counts, and what they imply, for a human reading the file)."""
        return {
            "rule": self.rule.to_dict() if self.rule else None,
            "hosts": {
                host: {
                    "article_shapes": sorted(facts.article_shapes().shapes),
                    "utc_offset": facts.utc_offset(),
                    "shape_votes": dict(sorted(facts.shapes.items())),
                    "offset_votes": dict(sorted(facts.offsets.items())),
                }
                for host, facts in sorted(self.hosts.items())
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteFacts:
        """Facts from :meth:`to_dict`'s data; what does not parse is left out (it is learned again)."""
        hosts = {}
        for host, facts in (data.get("hosts") or {}).items():
            if isinstance(facts, dict):
                hosts[host] = HostFacts(
                    Counter({str(k): int(v) for k, v in (facts.get("shape_votes") or {}).items()}),
                    Counter({str(k): int(v) for k, v in (facts.get("offset_votes") or {}).items()}),
                )
        rule = data.get("rule")
        return cls(hosts, ArticleRule.from_dict(rule) if isinstance(rule, dict) else None)


def load_facts(archive_dir: str | os.PathLike[str]) -> SiteFacts | None:
    """The archive's learned facts, or None when it has none yet (or the file is unreadable)."""
    try:
        data = json.loads((Path(archive_dir) / FACTS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return SiteFacts.from_dict(data) if isinstance(data, dict) else None


def remember_rule(archive_dir: str | os.PathLike[str], rule: ArticleRule) -> None:
    """Keep the rule a crawl tells articles by, with the facts, for ``reindex`` and repair to use."""
    facts = load_facts(archive_dir) or SiteFacts()
    if facts.rule != rule:
        facts.rule = rule
        save_facts(archive_dir, facts)


def save_facts(archive_dir: str | os.PathLike[str], facts: SiteFacts) -> None:
    """Write the facts atomically (a crash leaves the old file or the new one, never half of one)."""
    path = Path(archive_dir) / FACTS_NAME
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(facts.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    facts.changed = facts.learned = False
