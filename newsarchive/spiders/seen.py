"""The seen-set: which article URLs the archive already holds, so an incremental crawl skips them.

URLs are compared normalised (:func:`normalize_url`) and kept as 64-bit hashes in a sorted array: a
million articles take 8 MB. The array is cached in ``indexes/seen-urls.bin`` together with how far into
each article index file it has read; a later start-up reads only what the index files gained since
(usually nothing), and rebuilds from the article index when a file shrank or vanished. The cache is a
by-product of the article index, which is itself rebuildable from the WARCs: deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
from array import array
from bisect import bisect_left
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsarchive.archive.articles import INDEX_GLOB

CACHE_NAME = "seen-urls.bin"
_MAGIC = b"NASEEN1\n"
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Parameters that only say where a click came from; the page is the same without them.
_TRACKING = re.compile(r"^(?:utm_.*|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl|ref_src)$", re.I)


def normalize_url(url: str, trailing_slash: str = "keep") -> str:
    """The form two URLs of one page share: lower-case scheme and host, no default port, no fragment, no
    tracking parameters (``utm_*``, ``fbclid``...), and the path's trailing slash per the site's policy
    (``keep``, ``add`` to a last segment without a dot, or ``strip``)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = parts.path or "/"
    if trailing_slash == "add" and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"
    elif trailing_slash == "strip" and path != "/":
        path = path.rstrip("/") or "/"
    query = parts.query
    if query:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _TRACKING.match(k)]
        query = urlencode(kept)
    return urlunsplit((scheme, netloc, path, query, ""))


def url_key(normalized_url: str) -> int:
    """A 64-bit key of a normalised URL (blake2b): collisions are one in 10^19 per pair."""
    return int.from_bytes(hashlib.blake2b(normalized_url.encode("utf-8"), digest_size=8).digest(), "big")


def index_urls(path: Path, start: int = 0) -> tuple[list[str], int]:
    """The ``url`` of every complete line of an article index file from byte ``start``, and where it stopped.

    An index line starts with ``{"url": "...``, so only that string is decoded, not the whole line (the
    article text makes lines kilobytes long): a rebuild is bound by reading the file, not by JSON.
    """
    urls: list[str] = []
    scan = json.decoder.scanstring  # type: ignore[attr-defined]
    with open(path, "rb") as lines:
        lines.seek(start)
        offset = start
        for raw in lines:
            if not raw.endswith(b"\n"):
                break  # being written: the next start-up reads it
            offset += len(raw)
            line = raw.decode("utf-8", errors="replace")
            if line.startswith('{"url": "'):
                urls.append(scan(line, 9)[0])
            else:
                try:
                    url = json.loads(line).get("url")
                except (ValueError, AttributeError):
                    continue
                if isinstance(url, str):
                    urls.append(url)
    return urls, offset


class SeenSet:
    """Keys of the URLs of the articles archived before this run, as a sorted array (binary search).

    Within a run, Scrapy's duplicate filter keeps a URL from being fetched twice.
    """

    def __init__(self, keys: array, trailing_slash: str = "keep") -> None:
        self._sorted = keys
        self.trailing_slash = trailing_slash

    def __len__(self) -> int:
        return len(self._sorted)

    def key(self, url: str) -> int:
        """The key of ``url`` after normalisation."""
        return url_key(normalize_url(url, self.trailing_slash))

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        key = self.key(url)
        position = bisect_left(self._sorted, key)
        return position < len(self._sorted) and self._sorted[position] == key


def load_seen(indexes_dir: str | os.PathLike[str], trailing_slash: str = "keep") -> SeenSet:
    """The seen-set of an archive: from the cache, topped up from what the index files gained since.

    The cache is rewritten (atomically) when it was stale. Keys depend on the trailing-slash policy, which
    the cache records: a different policy rebuilds it.
    """
    directory = Path(indexes_dir)
    cache = directory / CACHE_NAME
    files = {p.name: p.stat().st_size for p in directory.glob(INDEX_GLOB)}
    keys, offsets = _read_cache(cache, trailing_slash)
    if keys is None or any(name not in files or files[name] < size for name, size in offsets.items()):
        keys, offsets = array("Q"), {}
    fresh: list[int] = []
    for name, size in sorted(files.items()):
        start = offsets.get(name, 0)
        if size > start:
            urls, offsets[name] = index_urls(directory / name, start)
            fresh.extend(url_key(normalize_url(url, trailing_slash)) for url in urls)
    if fresh or not cache.exists():
        keys = array("Q", sorted(set(keys).union(fresh)) if fresh else keys)
        _write_cache(cache, keys, offsets, trailing_slash)
    return SeenSet(keys, trailing_slash)


def _read_cache(cache: Path, trailing_slash: str) -> tuple[array | None, dict[str, int]]:
    try:
        with open(cache, "rb") as stream:
            if stream.read(len(_MAGIC)) != _MAGIC:
                return None, {}
            (header_length,) = struct.unpack("<I", stream.read(4))
            header = json.loads(stream.read(header_length))
            if header.get("trailing_slash") != trailing_slash:
                return None, {}
            keys = array("Q")
            keys.frombytes(stream.read())
    except (OSError, ValueError, struct.error):
        return None, {}
    if len(keys) != header.get("count"):
        return None, {}
    return keys, {str(k): int(v) for k, v in header.get("offsets", {}).items()}


def _write_cache(cache: Path, keys: array, offsets: dict[str, int], trailing_slash: str) -> None:
    header = json.dumps({"count": len(keys), "offsets": offsets, "trailing_slash": trailing_slash}).encode()
    temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as stream:
            stream.write(_MAGIC + struct.pack("<I", len(header)) + header)
            keys.tofile(stream)
        os.replace(temporary, cache)
    except OSError:
        # A read-only archive still crawls; the next start-up rebuilds the cache.
        temporary.unlink(missing_ok=True)
