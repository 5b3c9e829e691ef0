"""A one-behaviour HTTP server on 127.0.0.1, in a thread of the test process, that logs each request it gets.

``answering_server(status, headers)`` answers every request with that status (404 for "a start URL that does
not exist", 503 with ``Retry-After`` for "a busy site that asks to be retried later");
``scripted_server(answer)`` answers what ``answer(path, n)`` says to the n-th request for a path (a site that
fails, then recovers). ``requests`` lists the paths in the order they arrived, ``arrivals`` when, and
``wait_for(n)`` waits until n have.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class AnsweringServer:
    """The running server: its base URL and what it received."""

    url: str
    requests: list[str] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)  # time.monotonic() of each request
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 60.0) -> bool:
        """Whether ``count`` requests arrived within ``timeout`` seconds."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)


# A status, its headers and its body.
Answer = tuple[int, dict[str, str], str]


def answering_server(status: int, headers: dict[str, str] | None = None) -> AbstractContextManager[AnsweringServer]:
    """Serve ``status`` (with ``headers``) to every request until the block ends."""
    body = f"<html><body>status {status}</body></html>"
    return scripted_server(lambda path, n: (status, headers or {}, body))


@contextmanager
def scripted_server(answer: Callable[[str, int], Answer]) -> Iterator[AnsweringServer]:
    """Serve ``answer(path, n)`` to the n-th request (from 0) for each path until the block ends."""
    state = AnsweringServer("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # No 40 ms wait for a delayed ACK between the headers and the body (see newsarchive/demo/server.py).
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            with state.arrived:
                status, headers, text = answer(self.path, state.requests.count(self.path))
                state.requests.append(self.path)
                state.arrivals.append(time.monotonic())
                state.arrived.notify_all()
            body = text.encode()
            self.send_response(status)
            for name, value in headers.items():
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
