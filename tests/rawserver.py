"""A raw-socket HTTP server on 127.0.0.1 that controls framing to the byte, for the WARC fidelity tests.

``python tests/rawserver.py`` binds port 0 and prints its URL. Every endpoint is a fixed byte string (built by
:func:`responses`), so a test can compare what the WARC holds with exactly what went over the wire;
``ENTITIES`` gives each endpoint's entity (the message body with the transfer-coding removed, content-coding
kept). ``/`` links every endpoint so a crawl from it reaches them all.
"""

from __future__ import annotations

import gzip
import socket
import socketserver
import sys

import brotli

HTML = "<!doctype html><html><head><title>{0}</title></head><body><h1>{0}</h1><p>{1}</p></body></html>"
SIZE_CAP = 64 * 1024  # the test crawl's DOWNLOAD_MAXSIZE; /oversized goes well past it


def _page(name: str, text: str = "Plain text.") -> bytes:
    return HTML.format(name, text).encode()


def _chunked(body: bytes, size: int = 37) -> bytes:
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


def _message(status: bytes, headers: list[bytes], entity: bytes, *, chunked: bool = False) -> bytes:
    # Connection: close, as the server answers one request per connection (Twisted hides this header).
    framing = [b"Connection: close"]
    framing.append(b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % len(entity))
    head = b"\r\n".join([b"HTTP/1.1 " + status, *headers, *framing]) + b"\r\n\r\n"
    return head + (_chunked(entity) if chunked else entity)


HTML_TYPE = b"Content-Type: text/html; charset=utf-8"
PLAIN = _page("Plain")
GZIPPED = gzip.compress(_page("Gzip", "Compressed by the server."), mtime=0)
CHUNKED = _page("Chunked", "Sent in chunks. " * 20)
CHUNKED_GZIPPED = gzip.compress(_page("Chunked gzip", "Compressed, then chunked. " * 20), mtime=0)
BYTES_PAGE = _page("Bytes", "Its headers carry odd bytes.")
BROTLI = brotli.compress(_page("Brotli", "Compressed with brotli."))
OVERSIZED = bytes(range(256)) * (SIZE_CAP // 64)  # four times the cap, no two cuts give the same bytes
NON_ASCII_VALUE = "café Ürün Баку".encode() + b" \xff"  # UTF-8 and one byte that is neither UTF-8 nor ASCII

ENDPOINTS = [
    "/plain",
    "/gzip",
    "/chunked",
    "/chunked-gzip",
    "/br",
    "/chain/301",
    "/missing",
    "/error",
    "/cookies",
    "/non-ascii",
    "/query?b=2&a=%C3%BC",
    "/close-delimited",
    "/early-close",
    "/oversized",
]


def responses() -> dict[str, tuple[bytes, bytes]]:
    """Request target -> (the response bytes as sent, the entity the WARC payload must equal)."""
    html = [HTML_TYPE]
    index_page = _page("Index", "".join(f'<a href="{target}">{target}</a> ' for target in ENDPOINTS))
    table: dict[str, tuple[bytes, bytes]] = {
        "/": (_message(b"200 OK", html, index_page), index_page),
        "/robots.txt": (_message(b"200 OK", [b"Content-Type: text/plain"], b"User-agent: *\n"), b"User-agent: *\n"),
        "/plain": (_message(b"200 OK", html, PLAIN), PLAIN),
        "/gzip": (_message(b"200 OK", [*html, b"Content-Encoding: gzip"], GZIPPED), GZIPPED),
        "/chunked": (_message(b"200 OK", html, CHUNKED, chunked=True), CHUNKED),
        "/chunked-gzip": (
            _message(b"200 OK", [*html, b"Content-Encoding: gzip"], CHUNKED_GZIPPED, chunked=True),
            CHUNKED_GZIPPED,
        ),
        "/br": (_message(b"200 OK", [*html, b"Content-Encoding: br"], BROTLI), BROTLI),
        "/chain/301": (_message(b"301 Moved Permanently", [b"Location: /chain/302"], b""), b""),
        "/chain/302": (_message(b"302 Found", [b"Location: /chain/end"], b""), b""),
        "/chain/end": (_message(b"200 OK", html, _page("End of chain")), _page("End of chain")),
        "/missing": (_message(b"404 Not Found", html, _page("Not here")), _page("Not here")),
        "/error": (_message(b"500 Internal Server Error", html, _page("Broken")), _page("Broken")),
        "/cookies": (
            _message(b"200 OK", [*html, b"Set-Cookie: a=1; Path=/", b"Set-Cookie: b=2; Path=/"], _page("Cookies")),
            _page("Cookies"),
        ),
        "/non-ascii": (
            _message(b"200 Fine, Thanks", [*html, b"x-MiXeD-case: yes", b"X-Title: " + NON_ASCII_VALUE], BYTES_PAGE),
            BYTES_PAGE,
        ),
        "/query?b=2&a=%C3%BC": (_message(b"200 OK", html, _page("Query")), _page("Query")),
        # No length and no chunking: the body ends when the connection closes (complete, RFC 9112 6.3).
        "/close-delimited": (
            b"HTTP/1.1 200 OK\r\n" + HTML_TYPE + b"\r\nConnection: close\r\n\r\n" + _page("Close"),
            _page("Close"),
        ),
        # Promises 1000 bytes, sends 100, closes: data loss. Archived truncated: its entity is what was sent.
        "/early-close": (
            b"HTTP/1.1 200 OK\r\n" + HTML_TYPE + b"\r\nContent-Length: 1000\r\n\r\n" + b"x" * 100,
            b"x" * 100,
        ),
        # Past the size cap: archived truncated, a prefix of its entity.
        "/oversized": (_message(b"200 OK", html, OVERSIZED), OVERSIZED),
    }
    return table


class _Handler(socketserver.BaseRequestHandler):
    table = responses()

    def handle(self) -> None:
        connection: socket.socket = self.request
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return
            data += chunk
        target = data.split(b"\r\n", 1)[0].split(b" ")[1].decode()
        response, _ = self.table.get(target, (_message(b"404 Not Found", [], b""), b""))
        try:
            connection.sendall(response)
        except (BrokenPipeError, ConnectionResetError):
            return  # the crawler stopped reading (/oversized past the size cap)
        # One response per connection: every framing case ends the same way, which keeps the server trivial.
        connection.shutdown(socket.SHUT_WR)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    """Serve on 127.0.0.1, port 0; print the URL, then serve until killed."""
    with _Server(("127.0.0.1", 0), _Handler) as server:
        print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
