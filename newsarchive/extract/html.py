"""Decode response bytes to the right characters and parse them once into an lxml tree."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes
from lxml import etree, html

_HTTP_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Browsers treat these labels as their superset; so must we, or windows-1252 bytes break "latin-1" pages.
_ALIASES = {
    "iso-8859-1": "windows-1252",
    "latin1": "windows-1252",
    "ascii": "windows-1252",
    "us-ascii": "windows-1252",
    "iso-8859-9": "windows-1254",
    "x-user-defined": "windows-1252",
}


def _known(label: bytes | str | None) -> str | None:
    if not label:
        return None
    name = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    name = _ALIASES.get(name.lower(), name.lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def detect_encoding(body: bytes, content_type: bytes | str | None = None) -> str:
    """The page's encoding: BOM, then HTTP charset, then meta charset, then UTF-8 if valid, then detection."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    if content_type:
        raw = content_type.encode("latin-1") if isinstance(content_type, str) else content_type
        match = _HTTP_CHARSET.search(raw)
        if match and (name := _known(match.group(1))):
            return name
    match = _META_CHARSET.search(body[:4096])
    if match and (name := _known(match.group(1))):
        return name
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        best = from_bytes(body[:65536]).best()
        return _known(best.encoding) if best is not None else "windows-1252"


def parse_html(body: bytes, content_type: bytes | str | None = None) -> html.HtmlElement | None:
    """Parse a page once; None when the bytes hold no HTML document."""
    if not body.strip():
        return None
    encoding = detect_encoding(body, content_type) or "utf-8"
    # Decoding ourselves (with replacement) keeps invalid bytes from making lxml give up on the page.
    text = body.decode(encoding, errors="replace").lstrip("\ufeff")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        return html.document_fromstring(text, parser=html.HTMLParser(remove_comments=True))
    except (etree.ParserError, ValueError):
        return None
