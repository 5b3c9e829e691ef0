"""Site profiles: declarative TOML files saying where a site's articles are and how to read them."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsarchive.errors import ConfigError
from newsarchive.extract import ExtractionHints

_SELECTOR_FIELDS = ("title", "body", "date", "time", "category", "tags", "author")


@dataclass(frozen=True)
class SiteProfile:
    """One site: its hosts, start points, article URL pattern and extraction hints."""

    name: str
    hosts: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    article_url_pattern: str | None = None
    hints: ExtractionHints = field(default_factory=ExtractionHints)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> SiteProfile:
        """Build a profile from parsed TOML; a ConfigError names the file and the bad key."""
        try:
            extraction = data.get("extraction", {})
            hints = ExtractionHints(
                timezone=data.get("timezone"),
                language=data.get("language"),
                selectors={key: extraction[key] for key in _SELECTOR_FIELDS if key in extraction},
                exclude=tuple(extraction.get("exclude", ())),
            )
            return cls(
                name=data.get("name") or Path(source).stem,
                hosts=tuple(data.get("hosts", ())),
                start_urls=tuple(data.get("start_urls", ())),
                article_url_pattern=data.get("article_url_pattern"),
                hints=hints,
            )
        except (TypeError, AttributeError) as error:
            raise ConfigError(f"site profile {source} is malformed ({error}); see README, 'Site profiles'") from error


def load_profile(path: str | Path) -> SiteProfile:
    """Read a profile TOML file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read site profile {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"site profile {path} is not valid TOML: {error}") from error
    return SiteProfile.from_dict(data, str(path))


def bundled_profiles() -> dict[str, SiteProfile]:
    """The profiles shipped with newsarchive, by name."""
    found = {}
    for entry in files("newsarchive.spiders").joinpath("profiles").iterdir():
        if entry.name.endswith(".toml"):
            profile = SiteProfile.from_dict(tomllib.loads(entry.read_text(encoding="utf-8")), entry.name)
            found[profile.name] = profile
    return found


def resolve_targets(targets: list[str], config: str | Path | None = None) -> tuple[SiteProfile | None, list[str]]:
    """The profile and start URLs for ``crawl TARGET...``.

    A target is a bundled profile's name (``report.az``: its start URLs) or a start URL. ``--config``
    gives the profile; otherwise a start URL on a bundled profile's host uses that profile.
    """
    profile = load_profile(config) if config else None
    bundled = bundled_profiles()
    start_urls: list[str] = []
    for target in targets:
        if target in bundled:
            profile = profile or bundled[target]
            start_urls += bundled[target].start_urls
        else:
            start_urls.append(check_start_url(target))
    if not targets and profile is not None:
        start_urls = list(profile.start_urls)
    if not start_urls:
        raise ConfigError("nothing to crawl: give a start URL or a site profile name (see `newsarchive sites`)")
    if profile is None:
        hosts = {urlsplit(url).hostname for url in start_urls}
        profile = next((p for p in bundled.values() if hosts & set(p.hosts)), None)
    return profile, start_urls


def check_start_url(url: str) -> str:
    """A start URL must be absolute http(s) with a host; raise a ConfigError that says so otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{url!r} is neither a site profile nor a start URL: give an absolute http(s) URL "
            "(e.g. https://report.az/ru/) or a name from `newsarchive sites`"
        )
    return url.strip()
