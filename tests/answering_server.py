"""A one-behaviour HTTP server on 127.0.0.1, in a thread of the test process, that logs each request it gets.

``answering_server(status, headers)`` answers every request with that status (404 for "a start URL that does
not exist", 503 with ``Retry-After`` for "a busy site that asks to be retried later"); ``requests`` lists the
paths in the order they arrived, and ``wait_for(n)`` waits until n have.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class AnsweringServer:
    """The running server: its base URL and what it received."""

    url: str
    requests: list[str] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 60.0) -> bool:
        """Whether ``count`` requests arrived within ``timeout`` seconds."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)


@contextmanager
def answering_server(status: int, headers: dict[str, str] | None = None) -> Iterator[AnsweringServer]:
    """Serve ``status`` (with ``headers``) to every request until the block ends."""
    state = AnsweringServer("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # No 40 ms wait for a delayed ACK between the headers and the body (see newsarchive/demo/server.py).
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            with state.arrived:
                state.requests.append(self.path)
                state.arrived.notify_all()
            body = f"<html><body>status {status}</body></html>".encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
