"""Site profiles: declarative TOML files saying where a site's articles are and how to read them.

A profile names the site's hosts, its language editions (URL prefix and start points of each: home page,
RSS/Atom feeds, news sitemaps, category listings), its sitemap index, which URLs are articles and which are
never to be fetched, how listings paginate, and hints for extraction. Start points may be root-relative
(``/ru/rss/``): they are resolved against ``base_url``, or against the start URL given on the command line,
so one profile serves the real site and a local copy of it. See README, "Site profiles".
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from newsarchive.archive.facts import ArticleRule
from newsarchive.errors import ConfigError
from newsarchive.extract import ExtractionHints
from newsarchive.profiles.schema import validate_profile

_SELECTOR_FIELDS = ("title", "body", "date", "time", "category", "tags", "author")
TRAILING_SLASH_POLICIES = ("keep", "add", "strip")


@dataclass(frozen=True)
class Edition:
    """One language edition of a site: its URL prefix and where its new articles show up first."""

    language: str
    prefix: str = "/"
    home: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    news_sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListingHints:
    """How a listing page shows its items, so ``--since`` can stop paginating at old pages.

    ``item`` selects one entry of the list; ``date``/``time`` select its visible date and time inside it.
    Pagination follows ``rel=next`` links, else a link to the same path with ``{param}=N+1``.
    """

    item: str | None = None
    date: str | None = None
    time: str | None = None
    page_param: str = "page"


@dataclass(frozen=True)
class SiteProfile:
    """One site: hosts, language editions and start points, URL rules, extraction hints, time zone.

    A profile without editions (``generic``) discovers its start points itself: robots.txt ``Sitemap``
    lines, ``<link rel=alternate>`` feeds, pagination and in-site links from the start URLs.
    """

    name: str
    hosts: tuple[str, ...] = ()
    # Hosts that serve the site's page requisites only (CDNs): never crawled for pages.
    asset_hosts: tuple[str, ...] = ()
    base_url: str | None = None
    start_urls: tuple[str, ...] = ()
    editions: tuple[Edition, ...] = ()
    sitemaps: tuple[str, ...] = ()
    article_url_pattern: str | None = None
    never_fetch: tuple[str, ...] = ()
    trailing_slash: str = "keep"
    follow_links: bool = True
    listing: ListingHints = field(default_factory=ListingHints)
    hints: ExtractionHints = field(default_factory=ExtractionHints)
    description: str = ""
    operator: str = ""  # who runs crawls with this profile (warcinfo); --operator wins

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> SiteProfile:
        """Build a profile from parsed TOML; a ConfigError names the file and the bad key."""
        validate_profile(data, source)
        try:
            extraction = data.get("extraction", {})
            hints = ExtractionHints(
                timezone=data.get("timezone"),
                language=data.get("language"),
                selectors={key: extraction[key] for key in _SELECTOR_FIELDS if key in extraction},
                exclude=tuple(extraction.get("exclude", ())),
            )
            listing = data.get("listing", {})
            editions = tuple(
                Edition(
                    language=language,
                    prefix=edition.get("prefix", "/"),
                    home=_strings(edition, "home"),
                    feeds=_strings(edition, "feeds"),
                    news_sitemaps=_strings(edition, "news_sitemaps"),
                    listings=_strings(edition, "listings"),
                )
                for language, edition in data.get("languages", {}).items()
            )
            profile = cls(
                name=data.get("name") or Path(source).stem,
                hosts=tuple(host.lower() for host in data.get("hosts", ())),
                asset_hosts=tuple(host.lower() for host in _strings(data, "asset_hosts")),
                base_url=data.get("base_url"),
                start_urls=_strings(data, "start_urls"),
                editions=editions,
                sitemaps=_strings(data, "sitemaps"),
                article_url_pattern=data.get("article_url_pattern"),
                never_fetch=_strings(data, "never_fetch"),
                trailing_slash=data.get("trailing_slash", "keep"),
                follow_links=bool(data.get("follow_links", True)),
                listing=ListingHints(
                    item=listing.get("item"),
                    date=listing.get("date"),
                    time=listing.get("time"),
                    page_param=listing.get("page_param", "page"),
                ),
                hints=hints,
                description=data.get("description", ""),
                operator=data.get("operator", ""),
            )
        except (TypeError, AttributeError, ValueError) as error:
            raise ConfigError(f"site profile {source} is malformed ({error}); see README, 'Site profiles'") from error
        profile.check(source)
        return profile

    def article_rule(self) -> ArticleRule:
        """How this profile tells its articles, as the archive's library calls (reindex, repair) take it."""
        return ArticleRule(self.hints, self.article_url_pattern, self.trailing_slash, self.name)

    def check(self, source: str) -> None:
        """Raise a ConfigError naming the file and the key when a value cannot be used."""
        if self.trailing_slash not in TRAILING_SLASH_POLICIES:
            raise ConfigError(
                f"site profile {source}: trailing_slash must be one of {', '.join(TRAILING_SLASH_POLICIES)}"
            )
        for key, pattern in [("article_url_pattern", self.article_url_pattern)] + [
            ("never_fetch", p) for p in self.never_fetch
        ]:
            try:
                re.compile(pattern or "")
            except re.error as error:
                raise ConfigError(
                    f"site profile {source}: {key} {pattern!r} is not a regular expression: {error}"
                ) from error
        if self.base_url is not None and not _is_http_url(self.base_url):
            raise ConfigError(f"site profile {source}: base_url must be an absolute http(s) URL")

    @property
    def is_generic(self) -> bool:
        """True when the profile names no start points of its own: discovery finds them."""
        return not (self.editions or self.sitemaps)

    def rebased(self, base_url: str) -> SiteProfile:
        """The profile with root-relative start points resolved against ``base_url``'s origin.

        The host of ``base_url`` joins the hosts in scope, so a profile also crawls a mirror or a local copy.
        """
        parts = urlsplit(base_url)
        host = (parts.hostname or "").lower()
        return replace(
            self,
            base_url=f"{parts.scheme}://{parts.netloc}",
            hosts=self.hosts if host in self.hosts else (*self.hosts, host),
        )

    def absolute(self, url: str) -> str:
        """A start point as an absolute URL (root-relative ones against ``base_url``)."""
        return urljoin(self.base_url + "/", url) if self.base_url else url

    def language_of(self, url: str) -> str | None:
        """The edition a URL belongs to, by the longest matching prefix; None when the profile has none."""
        path = urlsplit(url).path or "/"
        best: Edition | None = None
        for edition in self.editions:
            if path.startswith(edition.prefix) and (best is None or len(edition.prefix) > len(best.prefix)):
                best = edition
        if best is not None:
            return best.language
        if not self.editions:
            # A generic site: a two-letter first path segment (/ru/, /en/) is taken for a language.
            first = path.strip("/").split("/", 1)[0]
            return first if re.fullmatch(r"[a-z]{2}", first) else None
        return None


def _strings(table: dict[str, Any], key: str) -> tuple[str, ...]:
    # Types were checked by validate_profile.
    return tuple(table.get(key, ()))


def _is_http_url(url: str) -> bool:
    """Absolute http(s) with a host that can be sent: no spaces or control characters, a valid port."""
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
        host = parts.hostname or ""
        if host and not host.startswith("[") and ":" not in host:
            host.encode("idna")
    except (ValueError, UnicodeError):
        return False
    return parts.scheme in ("http", "https") and bool(host)


GENERIC = SiteProfile(name="generic", description="discovers robots.txt sitemaps, feeds, listings and links")


def load_profile(path: str | Path) -> SiteProfile:
    """Read a profile TOML file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read site profile {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"site profile {path} is not UTF-8 text (a bad byte at offset {error.start}); save it as UTF-8"
        ) from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"site profile {path} is not valid TOML: {error}") from error
    return SiteProfile.from_dict(data, str(path))


def bundled_profiles() -> dict[str, SiteProfile]:
    """The profiles shipped with newsarchive, by name."""
    found = {}
    for entry in sorted(files("newsarchive.profiles").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            profile = SiteProfile.from_dict(tomllib.loads(entry.read_text(encoding="utf-8")), entry.name)
            found[profile.name] = profile
    return found


def resolve_targets(targets: list[str], config: str | Path | None = None) -> tuple[SiteProfile, list[str]]:
    """The profile and extra start URLs for ``crawl TARGET...``.

    A target is a bundled profile's name (``report.az``) or a start URL. ``--config`` gives the profile;
    otherwise a start URL on a bundled profile's host uses that profile, and any other gets the generic
    one. A profile given with a start URL on another host is rebased onto that URL (a mirror, a local copy).
    """
    profile = load_profile(config) if config else None
    bundled = bundled_profiles()
    start_urls: list[str] = []
    for target in targets:
        if target in bundled:
            profile = profile or bundled[target]
        else:
            start_urls.append(check_start_url(target))
    if profile is None and start_urls:
        hosts = {(urlsplit(url).hostname or "").lower() for url in start_urls}
        profile = next((p for p in bundled.values() if hosts & set(p.hosts)), None)
    if profile is None:
        if not start_urls:
            raise ConfigError("nothing to crawl: give a start URL or a site profile name (see `newsarchive sites`)")
        profile = GENERIC
    if start_urls and (profile.base_url is None or urlsplit(start_urls[0]).hostname not in profile.hosts):
        profile = profile.rebased(start_urls[0])
    if not start_urls and profile.is_generic and not profile.start_urls:
        raise ConfigError(f"site profile {profile.name} names no start points: give a start URL too")
    return profile, start_urls


def check_start_url(url: str) -> str:
    """A start URL must be absolute http(s) with a host; raise a ConfigError that says so otherwise."""
    url = url.strip()
    if not _is_http_url(url):
        # A URL with a space in the host, a bad IPv6 literal or port: say so before anything is created.
        raise ConfigError(
            f"{url!r} is neither a site profile nor a start URL: give an absolute http(s) URL "
            "(e.g. https://report.az/ru/) or a name from `newsarchive sites`"
        )
    return url
