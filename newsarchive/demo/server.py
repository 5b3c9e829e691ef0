"""Serve the demo news site over HTTP on 127.0.0.1.

In-process::

    with start_server("site-data.json") as server:
        print(server.url)          # http://127.0.0.1:PORT

As a process (prints exactly one line, the base URL, then serves until killed)::

    python -m newsarchive.demo.server [--data FILE] [--port 0] [--request-log FILE] [--delay-ms N]

(``--data`` defaults to the bundled demo site, ``site-data.json``.)

Responses are gzip-compressed when the client accepts it; with a request log, every
request is appended to it as one JSON line once its response has been sent, with the
sha1 of the exact body bytes sent. With a delay, every response is sent that many milliseconds after its
request arrived, as a distant server would (the latency sweep of ``benchmarks/bench_crawl.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import signal
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, TextIO

from newsarchive.demo.site import NewsSite, Response

# Only text formats are worth compressing (the article images are GIFs).
_COMPRESSIBLE = ("text/", "application/xml", "application/rss+xml")


class RequestLog:
    """Thread-safe JSON-lines log of served requests."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: TextIO | None = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        """Append one entry and flush it, so readers see it at once."""
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            # A keep-alive connection can still be answered after close(); drop those.
            if self._file is not None:
                self._file.write(line)
                self._file.flush()

    def close(self) -> None:
        """Close the file; later writes are ignored."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class _SiteHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its site and its request log."""

    # Handler threads must not keep the process alive after shutdown.
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], site: NewsSite, request_log: RequestLog | None, delay: float = 0.0
    ) -> None:
        self.site = site
        self.request_log = request_log
        self.delay = delay
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _SiteHTTPServer
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: with Nagle's algorithm the body waits for the client's delayed ACK
    # (about 40 ms on Linux) on every keep-alive response, which a real server (nginx) never makes a client wait.
    disable_nagle_algorithm = True
    # Idle keep-alive connections are dropped after this many seconds.
    timeout = 30

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the request log, not stderr, records requests."""

    def _serve(self, send_body: bool) -> None:
        started = time.time()
        if self.server.delay:
            time.sleep(self.server.delay)
        response = self._site_response()
        status, headers, body = self._encode(response)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        sent = body if send_body else b""
        self.wfile.write(sent)
        self.wfile.flush()
        if self.server.request_log is not None:
            self.server.request_log.write(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "status": status,
                    "sent_sha1": hashlib.sha1(sent).hexdigest(),
                    "started": started,
                    "ended": time.time(),
                }
            )

    def _site_response(self) -> Response:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        try:
            return self.server.site.respond(self.path, f"http://{host}")
        except Exception:
            # Answer with a 500 rather than dropping the connection, and keep the cause visible.
            traceback.print_exc()
            return Response(500, "text/plain; charset=utf-8", b"Internal Server Error\n", {})

    def _encode(self, response: Response) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body as sent: gzip-compressed and 304-aware."""
        status, content_type, body, extra = response
        headers = {"Content-Type": content_type, **extra}
        if content_type.startswith(_COMPRESSIBLE):
            headers["Vary"] = "Accept-Encoding"
            if _accepts_gzip(self.headers.get("Accept-Encoding", "")):
                # mtime=0 keeps the compressed bytes identical across requests.
                body = gzip.compress(body, mtime=0)
                headers["Content-Encoding"] = "gzip"
                if "ETag" in headers:
                    headers["ETag"] = headers["ETag"][:-1] + '-gzip"'
        if status == 200 and "ETag" in headers and self.headers.get("If-None-Match") == headers["ETag"]:
            headers.pop("Content-Type")
            return 304, headers, b""
        headers["Content-Length"] = str(len(body))
        return status, headers, body


def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (``gzip;q=0`` does not)."""
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        if name.strip().lower() in ("gzip", "x-gzip"):
            quality = params.strip().removeprefix("q=").strip()
            try:
                return not quality or float(quality) > 0
            except ValueError:  # a malformed weight is ignored, as if absent
                return True
    return False


class SiteServer:
    """A running demo server (background thread); use as a context manager or close()."""

    def __init__(self, httpd: _SiteHTTPServer) -> None:
        self._httpd = httpd
        host, port = httpd.server_address[:2]
        self.host: str = str(host)
        self.port: int = int(port)
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=httpd.serve_forever, name="newsarchive-demo-site", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving, free the port and close the request log."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        if self._httpd.request_log is not None:
            self._httpd.request_log.close()

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_server(
    data_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 0,
    request_log: str | Path | None = None,
    delay: float = 0.0,
) -> SiteServer:
    """Serve the site described by ``data_path`` in a background thread.

    ``port=0`` picks a free port; the result's ``url`` tells which. With
    ``request_log``, each request is appended to that file as a JSON line; ``delay`` (seconds) holds each
    response back that long.
    """
    site = NewsSite.from_file(data_path)
    log = RequestLog(request_log) if request_log is not None else None
    try:
        httpd = _SiteHTTPServer((host, port), site, log, delay)
    except OSError:
        if log is not None:
            log.close()
        raise
    return SiteServer(httpd)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m newsarchive.demo.server",
        description="Serve the fictional Report.az-style demo news site.",
    )
    parser.add_argument("--data", type=Path, help="JSON data file of the site (default: the bundled demo site)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", default=0, type=int, help="port; 0 picks a free one (default)")
    parser.add_argument("--request-log", type=Path, help="append one JSON line per request to FILE")
    parser.add_argument("--delay-ms", default=0.0, type=float, help="answer each request after N ms (default: 0)")
    return parser.parse_args(argv)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Raised in the main thread: unwinds the `with` block, so the server closes cleanly.
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    """Run the server in the foreground: print the base URL, serve until killed."""
    args = _parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    data = args.data or Path(str(files("newsarchive.demo") / "site-data.json"))
    with start_server(data, args.host, args.port, args.request_log, args.delay_ms / 1000) as server:
        print(server.url, flush=True)
        # Ctrl-C ends the wait like SIGTERM does.
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
