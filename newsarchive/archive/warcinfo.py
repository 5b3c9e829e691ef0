"""The ``warcinfo`` record's fields: who wrote a WARC file, with what software, for which crawl, under which rules.

Field names follow the WARC 1.1 annex and what Heritrix and Browsertrix write (``software``, ``operator``,
``isPartOf``, ``description``, ``robots``, ``http-header-user-agent``, ``format``, ``conformsTo``), plus
``seeds`` and ``profile``. Versions are read from the installed distributions (:mod:`importlib.metadata`),
so they name what really ran.
"""

from __future__ import annotations

import platform
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from newsarchive.archive.records import WARC_1_1_SPEC
from newsarchive.version import __version__

WARC_FORMAT = "WARC File Format 1.1"


def distribution_version(name: str) -> str:
    """The installed version of a distribution (``unknown`` when it is not installed as one)."""
    try:
        return version(name)
    except PackageNotFoundError:
        return __version__ if name == "newsarchive" else "unknown"


def software() -> str:
    """``newsarchive/X (Scrapy/Y; warcio/Z; Python/W)`` with the versions that are installed."""
    return (
        f"newsarchive/{distribution_version('newsarchive')} (Scrapy/{distribution_version('scrapy')}; "
        f"warcio/{distribution_version('warcio')}; Python/{platform.python_version()})"
    )


@dataclass(frozen=True)
class CrawlInfo:
    """What one crawl says about itself in every WARC file it writes."""

    collection: str
    profile: str
    seeds: Sequence[str] = ()
    operator: str = ""
    description: str = ""
    obey_robots: bool = True
    user_agent: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, str]:
        """The ``application/warc-fields`` payload, in a stable order (empty values are left out)."""
        values = {
            "software": software(),
            "hostname": socket.gethostname(),
            "operator": self.operator,
            "isPartOf": self.collection,
            "description": self.description,
            "profile": self.profile,
            "seeds": " ".join(self.seeds),
            "robots": "obey" if self.obey_robots else "ignore",
            "http-header-user-agent": self.user_agent,
            "format": WARC_FORMAT,
            "conformsTo": WARC_1_1_SPEC,
            **self.extra,
        }
        return {name: value for name, value in values.items() if value}


def parse_warc_fields(payload: bytes) -> dict[str, str]:
    """A ``warcinfo`` payload read back (``name: value`` lines; a repeated name keeps its first value)."""
    found: dict[str, str] = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            found.setdefault(name.strip(), value.strip())
    return found
