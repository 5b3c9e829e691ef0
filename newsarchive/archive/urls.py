"""URL normalisation: the one spelling of a page's URL that the seen-set, versions and story ids compare."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Parameters that only say where a click came from; the page is the same without them.
_TRACKING = re.compile(r"^(?:utm_.*|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl|ref_src)$", re.I)


def normalize_url(url: str, trailing_slash: str = "keep") -> str:
    """The form two URLs of one page share: lower-case scheme and host, no default port, no fragment, no
    tracking parameters (``utm_*``, ``fbclid``...), and the path's trailing slash per the site's policy
    (``keep``, ``add`` to a last segment without a dot, or ``strip``)."""
    if _is_normal(url, trailing_slash):
        return url
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


# Most URLs (those the crawler requested, so those in the index) are normal already: a lower-case
# http(s) URL with a path and no query, fragment or default port. Recognising them skips the parse.
_PLAIN = re.compile(r"https?://[a-z0-9.-]+(?::\d+)?/[^?#\s]*")


def _is_normal(url: str, trailing_slash: str) -> bool:
    if not _PLAIN.fullmatch(url):
        return False
    authority = url.split("/", 3)[2]
    if authority.endswith((":80", ":443")):
        return False
    if trailing_slash == "add":
        return url.endswith("/") or "." in url.rsplit("/", 1)[-1]
    if trailing_slash == "strip":
        return not url.endswith("/") or url.count("/") == 3
    return True


def url_hash(url: str, trailing_slash: str = "keep") -> int:
    """A 64-bit hash of ``url``'s normal form (blake2b; collisions are one in 10^19 per pair): the identity
    the seen-set and the article index compare URLs by."""
    normal = normalize_url(url, trailing_slash)
    return int.from_bytes(hashlib.blake2b(normal.encode("utf-8"), digest_size=8).digest(), "big")
