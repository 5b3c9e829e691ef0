"""Undo the content-coding of a stored payload (the WARC keeps it as the server sent it)."""

from __future__ import annotations

import gzip
import zlib

from newsarchive.errors import NewsArchiveError


class ContentDecodingError(NewsArchiveError):
    """A stored payload is not valid under its declared Content-Encoding."""


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        # Some servers send raw deflate without the zlib wrapper (browsers accept it).
        return zlib.decompress(data, -zlib.MAX_WBITS)


def _unbrotli(data: bytes) -> bytes:
    # ``decompress`` is the one call both brotli bindings (Google's and brotlipy, which pywb pulls in) share.
    import brotli

    return brotli.decompress(data)


_DECODERS = {"gzip": gzip.decompress, "x-gzip": gzip.decompress, "deflate": _inflate, "br": _unbrotli}


def decode_content(payload: bytes, content_encoding: str | None) -> bytes:
    """``payload`` with every coding of ``Content-Encoding`` undone (the last one applied is undone first)."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise ContentDecodingError(f"cannot decode Content-Encoding {coding!r}; read the raw payload instead")
        try:
            payload = decoder(payload)
        except Exception as error:  # each library raises its own error type for corrupt data
            raise ContentDecodingError(f"payload is not valid {coding}: {error}") from error
    return payload
