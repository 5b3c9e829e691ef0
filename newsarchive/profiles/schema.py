"""The site profile schema: which keys a profile TOML file may hold, of which type, checked before use.

Pure code (no Scrapy), kept apart from :mod:`newsarchive.profiles` so it moves with the profiles.
:func:`validate_profile` raises a :class:`~newsarchive.errors.ConfigError` that names the file and the key:
an unknown key (a typo would otherwise be ignored), a wrong type (``hosts = "report.az"`` would become a tuple
of letters), a time zone that is not an IANA zone (``Mars/Olympus`` would silently drop every time of day).
"""

from __future__ import annotations

from typing import Any

from newsarchive.errors import ConfigError
from newsarchive.extract.dates import is_known_zone

STRING = "a string"
STRINGS = "a list of strings"
BOOLEAN = "true or false"
TABLE = "a table"

SELECTOR_KEYS = ("title", "body", "date", "time", "category", "tags", "author")

# key -> expected type; a nested dict is a table with its own keys.
EDITION_SCHEMA: dict[str, Any] = {
    "prefix": STRING,
    "home": STRINGS,
    "feeds": STRINGS,
    "news_sitemaps": STRINGS,
    "listings": STRINGS,
}
PROFILE_SCHEMA: dict[str, Any] = {
    "name": STRING,
    "description": STRING,
    "hosts": STRINGS,
    "asset_hosts": STRINGS,  # hosts (CDNs) fetched for page requisites only
    "operator": STRING,  # who runs crawls with this profile, for the warcinfo
    "base_url": STRING,
    "start_urls": STRINGS,
    "timezone": STRING,
    "language": STRING,
    "trailing_slash": STRING,
    "sitemaps": STRINGS,
    "article_url_pattern": STRING,
    "never_fetch": STRINGS,
    "follow_links": BOOLEAN,
    "languages": {"*": EDITION_SCHEMA},  # one table per language code
    "listing": {"item": STRING, "date": STRING, "time": STRING, "page_param": STRING},
    "extraction": {**{key: STRING for key in SELECTOR_KEYS}, "exclude": STRINGS},
}


def validate_profile(data: dict[str, Any], source: str) -> None:
    """Check parsed profile TOML against :data:`PROFILE_SCHEMA`; raise a ConfigError naming file and key."""
    _check_table(data, PROFILE_SCHEMA, source, "")
    timezone = data.get("timezone")
    if timezone is not None:
        check_timezone(timezone, f"site profile {source}: timezone")


def check_timezone(name: str, where: str) -> None:
    """Raise a ConfigError unless ``name`` is an IANA time zone (``Asia/Baku``) or a UTC offset (``+04:00``)."""
    if not is_known_zone(name):
        raise ConfigError(
            f"{where} {name!r} is not an IANA time zone; use a name such as 'Asia/Baku' or an offset such as '+04:00'"
        )


def _check_table(table: dict[str, Any], schema: dict[str, Any], source: str, prefix: str) -> None:
    for key, value in table.items():
        where = f"{prefix}{key}"
        expected = schema.get(key, schema.get("*"))
        if expected is None:
            known = ", ".join(name for name in schema if name != "*")
            raise ConfigError(f"site profile {source}: unknown key {where!r}; known keys here: {known}")
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"site profile {source}: {where} must be {TABLE} ([{where}])")
            _check_table(value, expected, source, where + ".")
        elif not _has_type(value, expected):
            hint = f" (write {where} = [{value!r}])" if expected == STRINGS and isinstance(value, str) else ""
            raise ConfigError(f"site profile {source}: {where} must be {expected}, not {_describe(value)}{hint}")


def _has_type(value: Any, expected: str) -> bool:
    if expected == STRING:
        return isinstance(value, str)
    if expected == BOOLEAN:
        return isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list):
        return "a list with non-string items"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
