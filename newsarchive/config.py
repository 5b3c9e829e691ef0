"""Crawl defaults kept with an archive: ``newsarchive.toml`` in the archive directory (or a file given by
``--config-file``).

    # <archive>/newsarchive.toml
    [crawl]
    profile = "report.az"          # what `newsarchive crawl` crawls when given no target (a name or a file)
    operator = "Example Archive, archive@example.org"
    contact = "https://example.org/crawler"
    concurrency = 2
    delay = 1.0
    user_agent = "newsarchive/0.1 (+https://example.org/crawler)"

Precedence, per option: a command-line flag, then its environment variable (``NEWSARCHIVE_CONTACT``,
``NEWSARCHIVE_OPERATOR``), then this file, then the built-in default. Unknown keys and wrong types are errors
that name the file and the key.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsarchive.archive.layout import CONFIG_NAME
from newsarchive.errors import ConfigError

# key -> (type, what the error says it must be)
CRAWL_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "profile": ((str,), "a site profile name or a profile file"),
    "operator": ((str,), "a string"),
    "contact": ((str,), "a string"),
    "user_agent": ((str,), "a string"),
    "concurrency": ((int,), "a whole number of requests"),
    "delay": ((int, float), "a number of seconds"),
    "timeout": ((int, float), "a number of seconds"),
    "max_size": ((int, float), "a number of MB"),
}


@dataclass(frozen=True)
class CrawlConfig:
    """The ``[crawl]`` table of a config file: option defaults by name, and the profile to crawl by default."""

    path: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def profile(self) -> str | None:
        """A bundled profile name, or a profile file (relative paths from the config file's directory)."""
        value = self.options.get("profile")
        if value is None or self.path is None or ("/" not in value and not value.endswith(".toml")):
            return value
        return str((self.path.parent / value).resolve())


def load_crawl_config(
    archive_dir: str | os.PathLike[str], config_file: str | os.PathLike[str] | None = None
) -> CrawlConfig:
    """``config_file``, else ``<archive_dir>/newsarchive.toml`` when it exists, else no defaults."""
    path = Path(config_file) if config_file is not None else Path(archive_dir) / CONFIG_NAME
    if config_file is None and not path.is_file():
        return CrawlConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the config file {path}: {error.strerror}") from error
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"config file {path} is not valid UTF-8 TOML: {error}") from error
    unknown_tables = sorted(set(data) - {"crawl"})
    if unknown_tables:
        raise ConfigError(f"config file {path}: unknown table or key {unknown_tables[0]!r}; use [crawl]")
    crawl = data.get("crawl", {})
    if not isinstance(crawl, dict):
        raise ConfigError(f"config file {path}: crawl must be a table ([crawl])")
    for key, value in crawl.items():
        if key not in CRAWL_KEYS:
            raise ConfigError(f"config file {path}: unknown key 'crawl.{key}'; known keys: {', '.join(CRAWL_KEYS)}")
        types, meaning = CRAWL_KEYS[key]
        if not isinstance(value, types) or isinstance(value, bool):
            raise ConfigError(f"config file {path}: crawl.{key} must be {meaning}, not {value!r}")
    return CrawlConfig(path, dict(crawl))
