"""WARC fidelity against a raw-socket server that controls framing to the byte (tests/rawserver.py).

One archive, crawled twice (session fixture ``raw_site_archive``): every exchange is checked against the exact
bytes the server sent, with warcio, gzip, cdxj-indexer and our own verify.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import warc_files, warcio_check
from rawserver import NON_ASCII_VALUE, SIZE_CAP, responses
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from newsarchive import Archive
from newsarchive.archive.content import decode_content

SENT = responses()


@dataclass
class Stored:
    """One record as read back: WARC headers, and its block split into HTTP head and payload, bytes exact."""

    path: Path
    offset: int
    type: str
    headers: StatusAndHeaders
    http_head: bytes
    payload: bytes

    def get(self, name: str) -> str | None:
        return self.headers.get_header(name)


def _raw_record(path: Path, offset: int) -> bytes:
    with open(path, "rb") as stream:
        stream.seek(offset)
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(stream.read())


def _stored_records(archive: Path) -> list[Stored]:
    stored = []
    for path in warc_files(archive):
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                offset = records.get_record_offset()
                raw = _raw_record(path, offset)
                block = raw.split(b"\r\n\r\n", 1)[1][: int(record.rec_headers.get_header("Content-Length"))]
                head, _, payload = block.partition(b"\r\n\r\n")
                stored.append(Stored(path, offset, record.rec_type, record.rec_headers, head + b"\r\n\r\n", payload))
    return stored


@pytest.fixture(scope="module")
def stored(raw_site_archive):
    """Every record of the archive, and the responses/revisits of each target, oldest first."""
    records = _stored_records(raw_site_archive.path)
    by_target: dict[str, list[Stored]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r.get("WARC-Date") or ""):
        if record.type in ("response", "revisit"):
            by_target[record.get("WARC-Target-URI").removeprefix(raw_site_archive.url)].append(record)
    return {"all": records, "by_target": by_target}


TRUNCATED = ("/early-close", "/oversized")
ARCHIVED = [t for t in SENT if t not in TRUNCATED]


def test_crawls_report_truncated_bodies_as_failures_naming_url_and_reason(raw_site_archive):
    url = raw_site_archive.url
    for crawl in raw_site_archive.crawls:
        assert crawl.returncode == 1, crawl.stderr[-2000:]
        assert f"Truncated <200 {url}/early-close>: connection closed before the end of the body" in crawl.stderr
        assert f"Truncated <200 {url}/oversized>: body over the size cap of {SIZE_CAP} bytes" in crawl.stderr
        assert "'dataloss': 1" in crawl.stdout and "'size_cap': 1" in crawl.stdout


@pytest.mark.parametrize("target", TRUNCATED)
def test_truncated_bodies_are_archived_as_a_prefix_under_consistent_lengths(stored, target):
    sent, entity = SENT[target]
    sent_length = sent.split(b"\r\nContent-Length: ", 1)[1].split(b"\r\n", 1)[0]
    records = stored["by_target"][target]
    assert len(records) == 2, "one capture per crawl, never a revisit of a truncated body"
    for record in records:
        assert record.type == "response"
        assert record.get("WARC-Truncated") == "length"
        assert entity.startswith(record.payload)
        head = record.http_head
        assert b"\r\nContent-Length: %d\r\n" % len(record.payload) in head
        assert b"\r\nX-Crawler-Content-Length: " + sent_length + b"\r\n" in head
    if target == "/oversized":
        # Stopped just past the cap: the cap and at most one network read more, far from the whole entity.
        assert all(SIZE_CAP < len(r.payload) < len(entity) // 2 for r in records)
    else:
        assert all(r.payload == entity for r in records), "every byte the server sent before closing"


def test_warcs_pass_warcio_check_gzip_test_and_verify(raw_site_archive):
    files = warc_files(raw_site_archive.path)
    assert len(files) == 2
    assert warcio_check(files) == 0
    for path in files:
        assert subprocess.run(["gzip", "-t", str(path)], check=False).returncode == 0
    assert Archive(raw_site_archive.path).verify() == []


@pytest.mark.parametrize("target", ARCHIVED)
def test_first_capture_stores_the_entity_the_server_sent_with_its_head(stored, target):
    """The canary of Scrapy's private API (newsarchive/spiders/handler.py, the upper bound on Scrapy in
    pyproject.toml): a crawl of a real server on 127.0.0.1, read back with warcio, keeps the raw response head,
    its reason phrase ("200 Fine, Thanks"), header case ("x-MiXeD-case") and order as sent. It fails when a
    Scrapy release changes the handler classes in a way that still imports but loses the raw head."""
    original = stored["by_target"][target][0]
    sent, entity = SENT[target]
    assert original.type == "response"
    assert original.payload == entity
    sent_head = sent.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    stored_head = original.http_head.removesuffix(b"\r\n\r\n").split(b"\r\n")
    assert stored_head[0] == sent_head[0], "status line with the server's protocol and reason phrase"
    renamed = [line if not line.startswith(b"Transfer-Encoding") else b"X-Crawler-" + line for line in sent_head[1:]]
    expected = renamed + ([b"Content-Length: %d" % len(entity)] if b"Content-Length" not in sent else [])
    assert stored_head[1:] == expected, "every header line, in order, bytes exact"
    assert original.get("WARC-Truncated") is None


def test_non_ascii_header_bytes_and_repeated_headers_round_trip(stored):
    head = stored["by_target"]["/non-ascii"][0].http_head
    assert b"\r\nX-Title: " + NON_ASCII_VALUE + b"\r\n" in head
    assert b"\r\nx-MiXeD-case: yes\r\n" in head
    cookies = stored["by_target"]["/cookies"][0].http_head
    assert b"\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\n" in cookies


def test_chunked_bodies_are_stored_de_chunked_under_consistent_headers(stored):
    for target in ("/chunked", "/chunked-gzip"):
        record = stored["by_target"][target][0]
        assert b"\r\nTransfer-Encoding" not in record.http_head
        assert b"\r\nX-Crawler-Transfer-Encoding: chunked\r\n" in record.http_head
        assert b"\r\nContent-Length: %d\r\n" % len(record.payload) in record.http_head


def test_every_attempt_is_archived_retries_included(stored):
    # RETRY_TIMES=1: the 500 is fetched twice in each of the two crawls, and each attempt is an exchange.
    assert [r.type for r in stored["by_target"]["/error"]] == ["response"] * 4
    assert len(stored["by_target"]["/missing"]) == 2, "a 404 is not retried"


def test_redirects_and_errors_are_archived(stored):
    statuses = {t: stored["by_target"][t][0].http_head.split(b"\r\n", 1)[0] for t in ARCHIVED}
    assert statuses["/chain/301"] == b"HTTP/1.1 301 Moved Permanently"
    assert statuses["/chain/302"] == b"HTTP/1.1 302 Found"
    assert statuses["/missing"] == b"HTTP/1.1 404 Not Found"
    assert statuses["/error"] == b"HTTP/1.1 500 Internal Server Error"
    assert statuses["/robots.txt"] == b"HTTP/1.1 200 OK"


def test_each_exchange_is_a_request_response_pair_with_one_date(stored, raw_site_archive):
    by_id = {r.get("WARC-Record-ID"): r for r in stored["all"]}
    warcinfo = {r.path: r.get("WARC-Record-ID") for r in stored["all"] if r.type == "warcinfo"}
    for record in stored["all"]:
        assert record.headers.protocol == "WARC/1.1"
        if record.type not in ("response", "revisit"):
            continue
        request = by_id[record.get("WARC-Concurrent-To")]
        assert request.type == "request"
        assert request.get("WARC-Concurrent-To") == record.get("WARC-Record-ID")
        assert request.get("WARC-Date") == record.get("WARC-Date")
        assert record.get("WARC-IP-Address") == request.get("WARC-IP-Address") == "127.0.0.1"
        assert record.get("WARC-Warcinfo-ID") == request.get("WARC-Warcinfo-ID") == warcinfo[record.path]
        assert not record.get("WARC-Target-URI").startswith("<")


def test_request_records_hold_the_request_as_sent(stored, raw_site_archive):
    host = raw_site_archive.url.removeprefix("http://").encode()
    requests = {
        r.get("WARC-Target-URI").removeprefix(raw_site_archive.url): r for r in stored["all"] if r.type == "request"
    }
    head = requests["/query?b=2&a=%C3%BC"].http_head
    lines = head.removesuffix(b"\r\n\r\n").split(b"\r\n")
    assert lines[0] == b"GET /query?b=2&a=%C3%BC HTTP/1.1"
    assert lines[1] == b"Host: " + host
    assert b"Accept-Encoding: identity" in lines
    assert any(line.startswith(b"User-Agent: newsarchive/") for line in lines)
    assert any(line.startswith(b"Referer: ") for line in lines)


def test_cdxj_equals_what_cdxj_indexer_writes(raw_site_archive):
    indexer = Path(sys.executable).with_name("cdxj-indexer")
    reference = subprocess.run(
        [str(indexer), "-s", *map(str, warc_files(raw_site_archive.path))], capture_output=True, check=True
    ).stdout.splitlines()
    ours = []
    for index in sorted((raw_site_archive.path / "indexes").glob("*.cdxj")):
        lines = index.read_bytes().splitlines()
        assert lines == sorted(lines), f"{index.name} is not sorted in byte order"
        ours += lines
    assert sorted(ours) == sorted(reference)
    assert len(ours) == sum(1 for line in reference if line)
    assert all(set(json.loads(line.split(b" ", 2)[2])) >= {"url", "status", "digest", "length", "offset", "filename"}
               for line in ours)  # fmt: skip


@pytest.mark.parametrize("target", [t for t in ARCHIVED if SENT[t][1]])
def test_archive_reads_back_the_decoded_entity(raw_site_archive, target):
    entity = SENT[target][1]
    sent_head = SENT[target][0].split(b"\r\n\r\n", 1)[0]
    coding = next((line.split(b": ", 1)[1].decode() for line in sent_head.split(b"\r\n")
                   if line.startswith(b"Content-Encoding")), None)  # fmt: skip
    capture = Archive(raw_site_archive.path).capture(raw_site_archive.url + target)
    assert capture.body == decode_content(entity, coding)


def test_second_crawl_writes_revisits_pointing_at_the_original_response(stored):
    revisits = 0
    for target in ARCHIVED:
        first, *later = stored["by_target"][target]
        assert first.type == "response"
        if not first.http_head.startswith(b"HTTP/1.1 200"):
            assert {r.type for r in later} == {"response"}, "only complete 200 responses are deduplicated"
            continue
        [second] = later
        revisits += 1
        assert second.type == "revisit"
        assert second.get("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
        assert second.get("WARC-Refers-To") == first.get("WARC-Record-ID")
        assert second.get("WARC-Refers-To-Target-URI") == first.get("WARC-Target-URI")
        assert second.get("WARC-Refers-To-Date") == first.get("WARC-Date")
        assert second.get("WARC-Payload-Digest") == first.get("WARC-Payload-Digest")
        assert second.get("WARC-Truncated") == "length"
        assert second.payload == b""
        assert second.http_head.split(b"\r\n")[0] == first.http_head.split(b"\r\n")[0]
    assert revisits == len([t for t in ARCHIVED if SENT[t][0].startswith(b"HTTP/1.1 200")])
