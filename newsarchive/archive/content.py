"""Undo the content-coding of a stored payload (the WARC keeps it as the server sent it).

warcio's ``content_stream()`` decodes too, but leniently, as replay wants: a payload that does not inflate
comes out as stored, a corrupt or cut-short stream ends quietly (or after its first gzip member), a stack of
codings (``gzip, br``) is not undone, and nothing caps the output. Verify must report those payloads, reindex
must skip them as Scrapy failed on them, and ``show`` must not print them as a page, so this module decodes.
"""

from __future__ import annotations

import zlib

from newsarchive.errors import NewsArchiveError

# The crawl's DOWNLOAD_MAXSIZE: a body that inflates past it was never parsed, and must never be inflated
# whole in memory (a gzip bomb of a few MB holds gigabytes).
MAX_DECODED_SIZE = 20 * 1024 * 1024


class ContentDecodingError(NewsArchiveError):
    """A stored payload is not valid under its declared Content-Encoding."""


class ContentTooLargeError(ContentDecodingError):
    """A stored payload inflates past the size cap; decoding stopped there."""


def _inflate_bounded(data: bytes, wbits: int, max_size: int, members: bool) -> bytes:
    """zlib-inflate at most ``max_size`` bytes; ``members``: go on through concatenated gzip members."""
    out = bytearray()
    pending = data
    while True:
        inflater = zlib.decompressobj(wbits)
        while True:
            limit = max_size + 1 - len(out)
            chunk = inflater.decompress(pending, limit)
            out += chunk
            if len(out) > max_size:
                raise ContentTooLargeError(f"payload inflates past {max_size} bytes; not decoded")
            pending = inflater.unconsumed_tail
            if inflater.eof:
                break
            if not pending and len(chunk) < limit:
                raise EOFError("compressed data ended before the end-of-stream marker")
        pending = inflater.unused_data
        if not (members and pending.startswith(b"\x1f\x8b")):
            return bytes(out)


def _gunzip(data: bytes, max_size: int) -> bytes:
    return _inflate_bounded(data, 16 + zlib.MAX_WBITS, max_size, members=True)


def _inflate(data: bytes, max_size: int) -> bytes:
    try:
        return _inflate_bounded(data, zlib.MAX_WBITS, max_size, members=False)
    except zlib.error:
        # Some servers send raw deflate without the zlib wrapper (browsers accept it).
        return _inflate_bounded(data, -zlib.MAX_WBITS, max_size, members=False)


def _unbrotli(data: bytes, max_size: int) -> bytes:
    # ``decompress`` is the one call both brotli bindings (Google's and brotlipy, which pywb pulls in) share;
    # it has no output limit, so the cap is checked after the fact (a brotli bomb is not bounded here).
    import brotli

    out = brotli.decompress(data)
    if len(out) > max_size:
        raise ContentTooLargeError(f"payload inflates past {max_size} bytes; not decoded")
    return out


_DECODERS = {"gzip": _gunzip, "x-gzip": _gunzip, "deflate": _inflate, "br": _unbrotli}


def decode_content(payload: bytes, content_encoding: str | None, max_size: int = MAX_DECODED_SIZE) -> bytes:
    """``payload`` with every coding of ``Content-Encoding`` undone (the last one applied is undone first).

    Raises :class:`ContentTooLargeError` as soon as the output passes ``max_size``: memory stays bounded.
    """
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise ContentDecodingError(f"cannot decode Content-Encoding {coding!r}; read the raw payload instead")
        try:
            payload = decoder(payload, max_size)
        except ContentTooLargeError:
            raise
        except Exception as error:  # each library raises its own error type for corrupt data
            raise ContentDecodingError(f"payload is not valid {coding}: {error}") from error
    return payload
