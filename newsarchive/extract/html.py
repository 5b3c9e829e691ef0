"""Decode response bytes to the right characters and parse them once into an lxml tree."""

from __future__ import annotations

import codecs
import re
import threading

from charset_normalizer import from_bytes
from lxml import etree, html
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
    to_unicode,
)


def detect_encoding(body: bytes, content_type: bytes | str | None = None) -> str:
    """The page's encoding: a BOM, else the HTTP charset, else a meta charset, else detection.

    The declarations are read as browsers read them (w3lib's WHATWG prescan, labels mapped to their superset:
    "latin-1" is windows-1252). A declared UTF-8 that most of the non-ASCII bytes contradict is a server's
    mistake (a windows-1251 page sent as UTF-8), so detection decides there; stray invalid bytes in real UTF-8
    only become U+FFFD.
    """
    bom_encoding, _ = read_bom(body)
    if bom_encoding is not None:
        return bom_encoding
    header = content_type.decode("latin-1") if isinstance(content_type, bytes) else content_type
    declared = http_content_type_encoding(header) or html_body_declared_encoding(body)
    if declared is not None and (declared != "utf-8" or not _mostly_invalid_utf8(body)):
        return declared
    if _is_utf8(body):
        return "utf-8"
    best = from_bytes(body[:65536]).best()
    return (resolve_encoding(best.encoding) if best is not None else None) or "cp1252"


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _mostly_invalid_utf8(body: bytes) -> bool:
    if _is_utf8(body):
        return False
    text = body.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    return invalid > sum(1 for char in text if char > "\x7f") - invalid


_PARSERS = threading.local()


def _parser() -> html.HTMLParser:
    # A parser is reused (building one per page costs time) but never shared between threads.
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = html.HTMLParser(encoding="utf-8", remove_comments=True, collect_ids=False)
    return parser


def parse_html(body: bytes, content_type: bytes | str | None = None) -> html.HtmlElement | None:
    """Parse a page once; None when the bytes hold no HTML document."""
    if not body.strip():
        return None
    encoding = detect_encoding(body, content_type)
    # libxml2 gets UTF-8 it can trust: valid UTF-8 as it is (no copy), anything else decoded here with
    # replacement characters, so that invalid bytes cannot make it drop the rest of the page.
    data = body.removeprefix(codecs.BOM_UTF8)
    if encoding != "utf-8" or not _is_utf8(data):
        data = to_unicode(data, encoding).lstrip("\ufeff").encode("utf-8")
    try:
        return html.document_fromstring(data, parser=_parser())
    except (etree.ParserError, ValueError):
        return None


_NOT_HTML_TYPES = re.compile(rb"xml|rss|atom|json", re.IGNORECASE)


def is_html_document(body: bytes, content_type: bytes) -> bool:
    """False for feeds, sitemaps and JSON (by type, or an XML declaration with no HTML): they hold no article."""
    if _NOT_HTML_TYPES.search(content_type):
        return False
    head = body[:256].lstrip().lower()
    return not (head.startswith(b"<?xml") and b"<html" not in body[:1024].lower())
