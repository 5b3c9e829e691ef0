"""Golden records and the writer's file rules: exact bytes with fixed ids and dates, rotation, revisits."""

from __future__ import annotations

import io
import itertools
import re
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from newsarchive.archive.cdxj import index_warc
from newsarchive.archive.records import HttpExchange, RecordFactory
from newsarchive.archive.revisits import Capture, CaptureIndex
from newsarchive.archive.verify import gzip_members
from newsarchive.archive.writer import WarcWriter
from newsarchive.spiders.capture import exchange_from
from newsarchive.spiders.handler import RawHead
from newsarchive.spiders.meta import RAW_HEAD_META

DATE = datetime(2025, 9, 8, 11, 31, 0, 123456, tzinfo=UTC)
ODD_VALUE = "café".encode() + b" \xff"  # UTF-8 plus a byte that is not: kept as is, never re-encoded
EXCHANGE = HttpExchange(
    url="http://example.test/news/a?x=1",
    method="GET",
    request_headers=[(b"Host", b"example.test"), (b"User-Agent", b"newsarchive-test")],
    protocol="HTTP/1.1",
    status=200,
    reason="OK",
    response_headers=[(b"content-type", b"text/html"), (b"Transfer-Encoding", b"chunked"), (b"X-Odd", ODD_VALUE)],
    body=b"<p>hi</p>",
    date=DATE,
    ip_address="127.0.0.1",
)


def _fixed_ids() -> itertools.count:
    return itertools.count(1)


def _factory() -> RecordFactory:
    counter = _fixed_ids()
    return RecordFactory(lambda: f"<urn:uuid:00000000-0000-4000-8000-{next(counter):012d}>")


def _golden(text: str) -> bytes:
    return text.replace("\n", "\r\n").replace("<FF>", "\udcff").encode("utf-8", "surrogateescape")


# The response of EXCHANGE: de-chunked body under X-Crawler-Transfer-Encoding and a true Content-Length; header
# names in the case received; the odd header bytes as received.
GOLDEN_RESPONSE = _golden("""WARC/1.1
WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000002>
WARC-Date: 2025-09-08T11:31:00.123456Z
WARC-Warcinfo-ID: <urn:uuid:00000000-0000-4000-8000-000000000099>
WARC-IP-Address: 127.0.0.1
WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000001>
WARC-Type: response
WARC-Target-URI: http://example.test/news/a?x=1
WARC-Payload-Digest: sha1:W3N4WQRZLF5DWDHQ4HCTGEQSOELIOZM2
WARC-Block-Digest: sha1:XEE2UA65RFMUYFBC2L2LKASFSED4SGWC
Content-Type: application/http; msgtype=response
Content-Length: 126

HTTP/1.1 200 OK
content-type: text/html
X-Crawler-Transfer-Encoding: chunked
X-Odd: café <FF>
Content-Length: 9

<p>hi</p>

""")

GOLDEN_REQUEST = _golden("""WARC/1.1
WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>
WARC-Date: 2025-09-08T11:31:00.123456Z
WARC-Warcinfo-ID: <urn:uuid:00000000-0000-4000-8000-000000000099>
WARC-IP-Address: 127.0.0.1
WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000002>
WARC-Type: request
WARC-Target-URI: http://example.test/news/a?x=1
WARC-Payload-Digest: sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ
WARC-Block-Digest: sha1:FYY7IRN4R2MHYH7IPZTMXATPV4QO2JU6
Content-Type: application/http; msgtype=request
Content-Length: 78

GET /news/a?x=1 HTTP/1.1
Host: example.test
User-Agent: newsarchive-test



""")

# The same page fetched again a day later: headers kept, payload left out, pointing at the original.
GOLDEN_REVISIT = _golden("""WARC/1.1
WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000002>
WARC-Date: 2025-09-09T11:31:00.123456Z
WARC-IP-Address: 127.0.0.1
WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000001>
WARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest
WARC-Truncated: length
WARC-Payload-Digest: sha1:W3N4WQRZLF5DWDHQ4HCTGEQSOELIOZM2
WARC-Refers-To: <urn:uuid:00000000-0000-4000-8000-000000000042>
WARC-Refers-To-Target-URI: http://example.test/news/a?x=1
WARC-Refers-To-Date: 2025-09-08T11:31:00.123456Z
WARC-Type: revisit
WARC-Target-URI: http://example.test/news/a?x=1
WARC-Block-Digest: sha1:3REQLSETEAX3ARTPQ4YC25GOVR7EFUWY
Content-Type: application/http; msgtype=response
Content-Length: 117

HTTP/1.1 200 OK
content-type: text/html
X-Crawler-Transfer-Encoding: chunked
X-Odd: café <FF>
Content-Length: 9



""")

ORIGINAL = Capture(
    digest="sha1:W3N4WQRZLF5DWDHQ4HCTGEQSOELIOZM2",
    url=EXCHANGE.url,
    date="2025-09-08T11:31:00.123456Z",
    record_id="<urn:uuid:00000000-0000-4000-8000-000000000042>",
    warc_file="a.warc.gz",
    offset=0,
    length=1,
)


def _written(record, gzip: bool) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    WARCWriter(out, gzip=gzip, warc_version="WARC/1.1").write_record(record)
    return out.getvalue()


@pytest.mark.parametrize("gzip", [False, True])
def test_exchange_records_are_written_byte_for_byte(gzip):
    request, response = _factory().exchange(EXCHANGE, "<urn:uuid:00000000-0000-4000-8000-000000000099>")
    _, revisit = _factory().exchange(replace(EXCHANGE, date=DATE + timedelta(days=1)), None, refers_to=ORIGINAL)
    for record, golden in ((response, GOLDEN_RESPONSE), (request, GOLDEN_REQUEST), (revisit, GOLDEN_REVISIT)):
        written = _written(record, gzip)
        assert (zlib.decompress(written, 16 + zlib.MAX_WBITS) if gzip else written) == golden
        # Read back, the record checks out and its header bytes survive a parse.
        parsed = next(iter(ArchiveIterator(io.BytesIO(written), check_digests=True)))
        parsed.content_stream().read()
        assert parsed.digest_checker.passed is not False


def _writer(directory: Path, **options) -> WarcWriter:  # type: ignore[no-untyped-def]
    counter = _fixed_ids()
    ticks = itertools.count()
    return WarcWriter(
        directory / "warc",
        warcinfo={"software": "newsarchive-test", "format": "WARC File Format 1.1"},
        clock=lambda: DATE + timedelta(seconds=next(ticks)),
        make_record_id=lambda: f"<urn:uuid:00000000-0000-4000-8000-{next(counter):012d}>",
        on_close=lambda path: index_warc(path, directory / "indexes"),
        **options,
    )


def test_writer_rotates_at_the_size_limit_and_indexes_each_file_on_close(tmp_path):
    with _writer(tmp_path, max_size=1) as writer:
        for n in range(3):
            writer.write_exchange(replace(EXCHANGE, url=f"http://example.test/{n}", body=b"page %d" % n))
    files = sorted((tmp_path / "warc").iterdir())
    names = [re.fullmatch(r"newsarchive-(\d{14})-(\d{5})-.+-\d+\.warc\.gz", f.name) for f in files]
    assert [m.groups() for m in names] == [("20250908113100", "00000"), ("20250908113101", "00001"),
                                           ("20250908113102", "00002")]  # fmt: skip
    for path in files:
        with open(path, "rb") as stream:
            types = [record.rec_type for record in ArchiveIterator(stream)]
        assert types == ["warcinfo", "request", "response"]
        with open(path, "rb") as stream:
            assert len(list(gzip_members(stream))) == 3, "one gzip member per record"
        assert (tmp_path / "indexes" / path.name.replace(".warc.gz", ".cdxj")).read_text().count("\n") == 1


def test_revisits_point_at_the_original_response_never_at_a_revisit(tmp_path):
    with _writer(tmp_path, captures=CaptureIndex()) as writer:
        _, first = writer.write_exchange(EXCHANGE)
        _, same_url = writer.write_exchange(replace(EXCHANGE, date=DATE + timedelta(hours=1)))
        _, other_url = writer.write_exchange(replace(EXCHANGE, url="http://example.test/copy"))
        _, truncated = writer.write_exchange(
            replace(EXCHANGE, url="http://example.test/t", body=b"<p>", truncated="length")
        )
        _, not_modified = writer.write_exchange(replace(EXCHANGE, status=304, reason="Not Modified", body=b""))
    assert first.record_type == "response"
    assert same_url.record_type == other_url.record_type == "revisit"
    assert same_url.refers_to.record_id == other_url.refers_to.record_id == first.record_id
    assert truncated.record_type == "response", "a truncated body is never deduplicated"
    assert not_modified.record_type == "revisit" and not_modified.refers_to.record_id == first.record_id
    with open(tmp_path / "warc" / first.warc_file, "rb") as stream:
        records = {r.rec_headers.get_header("WARC-Record-ID"): r.rec_headers for r in ArchiveIterator(stream)}
    headers = records[not_modified.record_id]
    assert headers.get_header("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
    assert headers.get_header("WARC-Refers-To-Target-URI") == EXCHANGE.url
    assert records[truncated.record_id].get_header("WARC-Truncated") == "length"
    # The digest index is rebuilt from what the closed WARC holds: the same original answers both lookups.
    reloaded = CaptureIndex.load(tmp_path / "indexes")
    assert reloaded.by_digest(ORIGINAL.digest).record_id == first.record_id
    assert reloaded.latest(EXCHANGE.url).record_id == first.record_id


def test_a_closed_warcs_originals_are_read_back_from_its_digests_file_not_kept_in_memory(tmp_path):
    captures = CaptureIndex()
    # Every exchange fills a file: each is closed, indexed and absorbed as soon as it is written.
    with _writer(tmp_path, max_size=1, captures=captures, indexes=tmp_path / "indexes") as writer:
        _, first = writer.write_exchange(EXCHANGE)
        assert captures.held == 0 and len(captures) == 1
        _, copy = writer.write_exchange(replace(EXCHANGE, url="http://example.test/copy"))
        _, not_modified = writer.write_exchange(replace(EXCHANGE, status=304, reason="Not Modified", body=b""))
        _, changed = writer.write_exchange(replace(EXCHANGE, body=b"<p>changed</p>"))
        _, not_modified_again = writer.write_exchange(replace(EXCHANGE, status=304, reason="Not Modified", body=b""))

    def where(capture):  # type: ignore[no-untyped-def]
        return capture.record_id, capture.warc_file, capture.offset, capture.length

    assert copy.record_type == "revisit" and where(copy.refers_to) == where(first)
    assert where(not_modified.refers_to) == where(first)
    assert changed.record_type == "response"
    assert where(not_modified_again.refers_to) == where(changed), "the URL's latest capture, of the newest file"
    assert captures.held == 0 and len(captures) == 2
    # Until its file is closed, a capture is kept whole.
    with _writer(tmp_path / "open", captures=CaptureIndex(), indexes=tmp_path / "open" / "indexes") as writer:
        writer.write_exchange(EXCHANGE)
        writer.write_exchange(replace(EXCHANGE, url="http://example.test/other", body=b"other"))
        assert writer.captures.held == 2
    assert writer.captures.held == 0


def test_exchange_keeps_the_raw_head_and_marks_data_loss_and_the_size_cap_as_truncated():
    request = Request("http://example.test/a?b=1")
    request.meta[RAW_HEAD_META] = RawHead(
        b"HTTP/1.0 200 Fine", (b"content-TYPE: text/html", b"X-Folded: one", b" two", b"no colon here")
    )
    response = HtmlResponse(request.url, status=200, body=b"<p>", request=request, flags=["dataloss"])
    exchange = exchange_from(request, response, DATE)
    assert (exchange.protocol, exchange.reason, exchange.request_protocol) == ("HTTP/1.0", "Fine", "HTTP/1.1")
    assert exchange.response_headers == [(b"content-TYPE", b"text/html"), (b"X-Folded", b"one\r\n two")]
    assert exchange.truncated == "length"
    stopped_at_cap = HtmlResponse(request.url, status=200, body=b"<p>", request=request, flags=["download_stopped"])
    assert exchange_from(request, stopped_at_cap, DATE).truncated == "length"
    close_delimited = HtmlResponse(request.url, status=200, body=b"<p>", request=request, flags=["partial"])
    assert exchange_from(request, close_delimited, DATE).truncated is None


def test_the_cdxj_made_while_writing_equals_the_one_read_from_the_closed_files(tmp_path):
    finishing = []
    streamed = tmp_path / "streamed"
    writer = WarcWriter(
        tmp_path / "warc",
        warcinfo={"software": "newsarchive-test"},
        max_size=2_000,
        captures=CaptureIndex(),
        indexes=streamed,
        close_in=finishing.append,  # run later, as the crawl's thread would
    )
    with writer:
        for n in range(6):
            writer.write_exchange(replace(EXCHANGE, url=f"http://example.test/{n % 4}", body=b"page %d" % (n % 3)))
        writer.write_exchange(replace(EXCHANGE, status=304, reason="Not Modified", body=b""))
        assert len(finishing) >= 2 and all(p.name.endswith(".open") for p in (tmp_path / "warc").iterdir())
    for finish in finishing:
        finish()
    files = sorted((tmp_path / "warc").iterdir())
    assert len(files) == len(finishing) and not [f for f in files if f.name.endswith(".open")]
    for path in files:
        reread = index_warc(path, tmp_path / "reread")
        for index in reread:
            assert (streamed / index.name).read_bytes() == index.read_bytes(), index.name
