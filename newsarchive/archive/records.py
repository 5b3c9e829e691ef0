"""Build WARC records from plain values: one HTTP exchange becomes a request and a response record.

The HTTP header blocks are written byte for byte as given (warcio would otherwise re-encode non-ASCII
values), and response headers are made consistent with the stored body: the body is kept as the server
sent it (content-coding included) but de-chunked, so a header that no longer describes it is renamed
``X-Crawler-<Name>``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import uuid4

from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date

from newsarchive.archive.revisits import IDENTICAL_PAYLOAD_PROFILE, SERVER_NOT_MODIFIED_PROFILE, Capture

WARC_VERSION = "WARC/1.1"
WARC_1_1_SPEC = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"

HeaderList = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class HttpExchange:
    """One request and the response it got, as they crossed the network."""

    url: str
    method: str
    request_headers: HeaderList
    protocol: str
    status: int
    reason: str
    response_headers: HeaderList
    body: bytes
    date: datetime
    request_body: bytes = b""
    ip_address: str | None = None
    truncated: str | None = None
    # Twisted's HTTP client always sends HTTP/1.1 requests, whatever version the server answers with.
    request_protocol: str = "HTTP/1.1"

    @property
    def request_target(self) -> str:
        """The path and query string, as on the request line."""
        rest = self.url.split("://", 1)[-1]
        slash = rest.find("/")
        target = rest[slash:] if slash >= 0 else "/"
        return target.split("#", 1)[0] or "/"


def new_record_id() -> str:
    """A fresh ``<urn:uuid:...>`` WARC-Record-ID."""
    return f"<urn:uuid:{uuid4()}>"


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date with microseconds, in UTC."""
    return datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True)


def consistent_response_headers(headers: HeaderList, body_length: int) -> HeaderList:
    """Rename headers that no longer describe the stored (de-chunked) body to ``X-Crawler-<Name>``.

    A de-chunked body under ``Transfer-Encoding: chunked`` or under a ``Content-Length`` that differs from
    its size would make replay tools mis-frame the message; the original values stay visible under the
    new names, and a correct ``Content-Length`` is added when the message would otherwise have none.
    """
    result: HeaderList = []
    has_length = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"transfer-encoding" or (
            lowered == b"content-length" and value.strip() != str(body_length).encode()
        ):
            result.append((b"X-Crawler-" + name, value))
            continue
        has_length = has_length or lowered == b"content-length"
        result.append((name, value))
    if not has_length:
        result.append((b"Content-Length", str(body_length).encode()))
    return result


def _header_block(first_line: bytes, headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    lines = [first_line] + [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


class ExactStatusAndHeaders(StatusAndHeaders):
    """warcio's parsed view of a header block whose serialised form is pinned to the exact bytes.

    warcio's writer recomputes the header buffer before writing and percent-encodes non-ASCII values;
    an archive must keep the bytes the server sent, so the buffer set at construction is kept.
    """

    def compute_headers_buffer(self, header_filter: object = None) -> None:
        """Keep the pinned bytes (the writer calls this before every write)."""


def _http_headers(first_line: bytes, headers: HeaderList, *, is_request: bool) -> StatusAndHeaders:
    text_headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers]
    protocol, rest = first_line.decode("latin-1").split(" ", 1)
    if is_request:
        parsed = ExactStatusAndHeaders(first_line.decode("latin-1"), text_headers, is_http_request=True)
    else:
        parsed = ExactStatusAndHeaders(rest, text_headers, protocol=protocol)
    parsed.headers_buff = _header_block(first_line, headers)
    return parsed


class RecordFactory:
    """Creates warcio records; the clock-free parts (ids) come from an injectable factory."""

    def __init__(self, make_record_id: Callable[[], str] = new_record_id) -> None:
        self._builder = RecordBuilder(warc_version=WARC_VERSION)
        self._make_record_id = make_record_id

    def _warc_headers(self, record_id: str | None, date: datetime, extra: dict[str, str]) -> dict[str, str]:
        headers = {"WARC-Record-ID": record_id or self._make_record_id(), "WARC-Date": warc_date(date)}
        headers.update(extra)
        return headers

    def warcinfo(self, filename: str, info: dict[str, str], date: datetime) -> ArcWarcRecord:
        """The ``warcinfo`` record that opens every file."""
        payload = b"".join(f"{k}: {v}\r\n".encode() for k, v in info.items() if v)
        headers = self._warc_headers(None, date, {"WARC-Filename": filename})
        return self._builder.create_warc_record(
            "",
            "warcinfo",
            payload=io.BytesIO(payload),
            length=len(payload),
            warc_content_type="application/warc-fields",
            warc_headers_dict=headers,
        )

    def exchange(
        self, exchange: HttpExchange, warcinfo_id: str | None = None, refers_to: Capture | None = None
    ) -> tuple[ArcWarcRecord, ArcWarcRecord]:
        """The request and response records of one exchange: one date, linked by WARC-Concurrent-To.

        With ``refers_to`` (the original capture) the response becomes a ``revisit`` record: a ``304`` one of
        the server-not-modified profile, any other one of the identical-payload-digest profile, whose HTTP
        headers are kept and whose payload is left out (``WARC-Truncated: length``).
        """
        request_id, response_id = self._make_record_id(), self._make_record_id()
        common = {"WARC-Warcinfo-ID": warcinfo_id} if warcinfo_id else {}
        if exchange.ip_address:
            common["WARC-IP-Address"] = exchange.ip_address

        response_extra = dict(common, **{"WARC-Concurrent-To": request_id})
        status_line = f"{exchange.protocol} {exchange.status} {exchange.reason}".rstrip().encode("latin-1")
        http_headers = _http_headers(
            status_line,
            consistent_response_headers(exchange.response_headers, len(exchange.body)),
            is_request=False,
        )
        if refers_to is None:
            if exchange.truncated:
                response_extra["WARC-Truncated"] = exchange.truncated
            response = self._builder.create_warc_record(
                exchange.url,
                "response",
                payload=io.BytesIO(exchange.body),
                length=len(exchange.body),
                warc_headers_dict=self._warc_headers(response_id, exchange.date, response_extra),
                http_headers=http_headers,
            )
        else:
            response = self._revisit(exchange, response_id, response_extra, http_headers, refers_to)

        request_line = f"{exchange.method} {exchange.request_target} {exchange.request_protocol}".encode("latin-1")
        request = self._builder.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            warc_headers_dict=self._warc_headers(
                request_id, exchange.date, dict(common, **{"WARC-Concurrent-To": response_id})
            ),
            http_headers=_http_headers(request_line, exchange.request_headers, is_request=True),
        )
        return request, response

    def _revisit(
        self,
        exchange: HttpExchange,
        record_id: str,
        extra: dict[str, str],
        http_headers: StatusAndHeaders,
        original: Capture,
    ) -> ArcWarcRecord:
        extra = dict(extra)
        if exchange.status == 304:
            extra["WARC-Profile"] = SERVER_NOT_MODIFIED_PROFILE
        else:
            extra["WARC-Profile"] = IDENTICAL_PAYLOAD_PROFILE
            extra["WARC-Truncated"] = "length"
            extra["WARC-Payload-Digest"] = original.digest
        extra.update(
            {
                "WARC-Refers-To": original.record_id,
                "WARC-Refers-To-Target-URI": original.url,
                "WARC-Refers-To-Date": original.date,
            }
        )
        return self._builder.create_warc_record(
            exchange.url,
            "revisit",
            warc_headers_dict=self._warc_headers(record_id, exchange.date, extra),
            http_headers=http_headers,
        )


@dataclass(frozen=True)
class RecordLocation:
    """Where a record lives: the final WARC file name, byte offset and length of its gzip member."""

    warc_file: str
    offset: int
    length: int
    record_id: str
    date: datetime | None = None
    record_type: str = "response"
    refers_to: Capture | None = None  # for a revisit: the original, whose payload it repeats
