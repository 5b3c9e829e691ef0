"""trafilatura adapter for the benchmark's local site (``benchmarks/bench_crawl.py``), loaded by trafilatura's
venv through ``PYTHONPATH``.

courlan (trafilatura's URL filter) rejects ``127.0.0.1:PORT`` and ``localhost:PORT`` URLs, so the benchmark
names the site ``bench.test:PORT``; this makes ``bench.test`` resolve to 127.0.0.1, nothing else. (The
benchmark also turns trafilatura's SSRF protection off in a copy of its settings file: the site is on
loopback.)
"""

import socket

_getaddrinfo = socket.getaddrinfo


def _bench_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    return _getaddrinfo("127.0.0.1" if host == "bench.test" else host, *args, **kwargs)


socket.getaddrinfo = _bench_getaddrinfo
