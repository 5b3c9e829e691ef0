"""A hostile and broken web site, for the reliability tests; run as a process of its own.

    python tests/hostile_server.py --log FILE

prints two lines, the site's base URL (``http://127.0.0.1:PORT``) and that of an off-scope listener
(``http://127.0.0.2:PORT``), then serves until killed. Every request either server receives is appended
to FILE as a JSON line (``server``: "site" or "offsite", ``path``, ``time``) before it is answered, so a
request the crawler should never have made is seen even if its answer never finishes.

The home page links every case below, plus the off-scope host and non-HTTP schemes:

    /article/cp1251, /article/koi8r   Russian articles, charset only in a <meta> tag
    /article/bad-utf8                 an article declared UTF-8 with invalid bytes in it
    /article/wrong-charset            HTTP says UTF-8, the bytes are windows-1251
    /article/tracked                  linked with utm_*/fbclid parameters and a fragment too
    /article/after-503                first a 503 with Retry-After: 1, then the article
    /bomb                             a gzip bomb: 8 GiB of zeros in 128 gzip members, streamed
    /huge                             a 60 MiB page with Content-Length
    /huge-unsized                     a 60 MiB page without Content-Length (ends at close)
    /stall                            headers, then nothing
    /stall-body                       headers and half a page, then nothing
    /gone, /missing                   410, 404
    /down                             500 every time
    /loop/a <-> /loop/b               a redirect loop
    /chain/N                          redirects N -> N+1 ... (30 hops)
    /to-offsite                       redirect to the off-scope host
    /to-ftp, /to-file                 redirect to ftp:// and file:// URLs
    /malformed, /empty, /binary       broken HTML, an empty 200, random bytes as text/html
"""

from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MIB = 1024 * 1024
BOMB_MEMBER_ZEROS = 64 * MIB
BOMB_MEMBERS = 128  # 8 GiB once inflated
HUGE_SIZE = 60 * MIB
HUGE_CHUNK = b"<p>" + b"x" * (MIB - 8) + b"</p>\n"  # /huge and /huge-unsized repeat it

RUSSIAN_TITLE = "Пожар на складе в Баку потушен"
RUSSIAN_TEXT = (
    "Пожарные потушили возгорание на складе в Хатаинском районе Баку, пострадавших нет.",
    "По данным МЧС, площадь пожара составила около двухсот квадратных метров.",
    "Причины возгорания выясняются, на месте работает следственная группа.",
)


def article_page(title: str, paragraphs: tuple[str, ...], meta_charset: str | None) -> str:
    """A small article that declares itself one (og:type, a publication date) for generic discovery."""
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="ru"><head>{meta}<title>{title}</title>'
        '<meta property="og:type" content="article">'
        f'<meta property="og:title" content="{title}">'
        '<meta property="article:published_time" content="2025-09-08T15:31:00+04:00">'
        f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def _bomb_member() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return compressor.compress(bytes(BOMB_MEMBER_ZEROS)) + compressor.flush()


class HostileHandler(BaseHTTPRequestHandler):
    """Answers one path per misbehaviour (see the module docstring)."""

    protocol_version = "HTTP/1.1"
    # No 40 ms wait for a delayed ACK between two writes (see newsarchive/demo/server.py).
    disable_nagle_algorithm = True
    server: HostileServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the JSON request log is the record."""

    def do_GET(self) -> None:
        self.server.log_request_line(self.path)
        if self.server.name == "offsite":
            self._send(200, "text/html", b"<html><body>off-scope: must never be fetched</body></html>")
            return
        route = self.path.split("?", 1)[0].split("#", 1)[0]
        handler = getattr(self, "route_" + route.strip("/").replace("/", "_").replace("-", "_"), None)
        try:
            if route == "/":
                self.route_home()
            elif route.startswith("/chain/"):
                self.route_chain(int(route.rsplit("/", 1)[1]))
            elif handler is not None:
                handler()
            else:
                self._send(404, "text/html", b"<html><body>not here</body></html>")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up (size cap, timeout): that is what it should do

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self._send(302, "text/plain", b"moved\n", {"Location": location})

    # ---- pages

    def route_home(self) -> None:
        offsite = self.server.offsite_url
        links = [
            "/article/cp1251", "/article/koi8r", "/article/bad-utf8", "/article/wrong-charset",
            "/article/tracked", "/article/tracked?utm_source=x&utm_medium=y", "/article/tracked?fbclid=abc",
            "/article/tracked#comments", "/article/after-503",
            "/bomb", "/huge", "/huge-unsized", "/stall", "/stall-body", "/gone", "/missing", "/down",
            "/loop/a", "/chain/0", "/to-offsite", "/to-ftp", "/to-file", "/malformed", "/empty", "/binary",
            f"{offsite}/linked", "ftp://127.0.0.1/file.txt", "mailto:editor@example.org",
            "javascript:alert(1)", "file:///etc/passwd", "data:text/html,<p>x</p>",
        ]  # fmt: skip
        anchors = "".join(f'<a href="{link}">{link}</a> ' for link in links)
        self._send(200, "text/html; charset=utf-8", f"<html><body>{anchors}</body></html>".encode())

    def route_article_cp1251(self) -> None:
        page = article_page(RUSSIAN_TITLE, RUSSIAN_TEXT, "windows-1251")
        self._send(200, "text/html", page.encode("cp1251"))

    def route_article_koi8r(self) -> None:
        page = article_page(RUSSIAN_TITLE + " (КОИ-8)", RUSSIAN_TEXT, "koi8-r")
        self._send(200, "text/html", page.encode("koi8-r"))

    def route_article_bad_utf8(self) -> None:
        page = article_page("Invalid bytes inside", ("Before the bad bytes. \xff\xfe After them.",), "utf-8")
        body = page.encode("utf-8").replace("\xff\xfe".encode(), b"\xff\xfe\xc3")
        self._send(200, "text/html; charset=utf-8", body)

    def route_article_wrong_charset(self) -> None:
        page = article_page(RUSSIAN_TITLE + " (wrong charset)", RUSSIAN_TEXT, None)
        self._send(200, "text/html; charset=utf-8", page.encode("cp1251"))

    def route_article_tracked(self) -> None:
        page = article_page("Tracked article", ("Linked with tracking parameters and a fragment.",), "utf-8")
        self._send(200, "text/html; charset=utf-8", page.encode())

    def route_article_after_503(self) -> None:
        if self.server.count("/article/after-503") == 1:
            self._send(503, "text/html", b"<html><body>busy</body></html>", {"Retry-After": "1"})
            return
        page = article_page("Served after a 503", ("The server asked to come back in a second.",), "utf-8")
        self._send(200, "text/html; charset=utf-8", page.encode())

    def route_bomb(self) -> None:
        member = self.server.bomb_member
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(member) * BOMB_MEMBERS))
        self.end_headers()
        for _ in range(BOMB_MEMBERS):
            self.wfile.write(member)

    def route_huge(self) -> None:
        self._stream_huge(sized=True)

    def route_huge_unsized(self) -> None:
        self._stream_huge(sized=False)

    def _stream_huge(self, *, sized: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if sized:
            self.send_header("Content-Length", str(HUGE_SIZE))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        for _ in range(HUGE_SIZE // len(HUGE_CHUNK)):
            self.wfile.write(HUGE_CHUNK)

    def route_stall(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.flush()
        self.server.stop.wait()

    def route_stall_body(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"<html><body><p>half a page")
        self.wfile.flush()
        self.server.stop.wait()

    def route_gone(self) -> None:
        self._send(410, "text/html", b"<html><body>gone</body></html>")

    def route_down(self) -> None:
        self._send(500, "text/html", b"<html><body>internal error</body></html>")

    def route_loop_a(self) -> None:
        self._redirect("/loop/b")

    def route_loop_b(self) -> None:
        self._redirect("/loop/a")

    def route_chain(self, hop: int) -> None:
        if hop >= 30:
            self._send(200, "text/html", b"<html><body>end of the chain</body></html>")
        else:
            self._redirect(f"/chain/{hop + 1}")

    def route_to_offsite(self) -> None:
        self._redirect(self.server.offsite_url + "/redirected")

    def route_to_ftp(self) -> None:
        self._redirect("ftp://127.0.0.1/file.txt")

    def route_to_file(self) -> None:
        self._redirect("file:///etc/passwd")

    def route_malformed(self) -> None:
        body = b"<html><head><title>broken</tit<body><div><p>unclosed <b><i>nested\x00nul</div></p></html><<<>>"
        self._send(200, "text/html", body)

    def route_empty(self) -> None:
        self._send(200, "text/html; charset=utf-8", b"")

    def route_binary(self) -> None:
        self._send(200, "text/html", b"\x89PNG\r\n\x1a\n" + random.Random(6).randbytes(200_000))


class HostileServer(ThreadingHTTPServer):
    """One listener (the site or the off-scope host) sharing the request log."""

    daemon_threads = True

    def __init__(self, host: str, name: str, log: _RequestLog, stop: threading.Event) -> None:
        super().__init__((host, 0), HostileHandler)
        self.name = name
        self.log = log
        self.stop = stop
        self.offsite_url = ""
        self.bomb_member = b""

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def log_request_line(self, path: str) -> None:
        self.log.write({"server": self.name, "path": path, "time": time.time()})

    def count(self, path: str) -> int:
        return self.log.count(self.name, path)


class _RequestLog:
    def __init__(self, path: str) -> None:
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}

    def write(self, entry: dict[str, Any]) -> None:
        with self._lock:
            key = (entry["server"], entry["path"])
            self._counts[key] = self._counts.get(key, 0) + 1
            self._file.write(json.dumps(entry) + "\n")
            self._file.flush()

    def count(self, server: str, path: str) -> int:
        with self._lock:
            return self._counts.get((server, path), 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    log, stop = _RequestLog(args.log), threading.Event()
    site = HostileServer("127.0.0.1", "site", log, stop)
    offsite = HostileServer("127.0.0.2", "offsite", log, stop)
    site.offsite_url = offsite.url
    site.bomb_member = _bomb_member()
    for server in (site, offsite):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(site.url, flush=True)
    print(offsite.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        os._exit(0)


if __name__ == "__main__":
    main()
