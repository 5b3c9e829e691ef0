"""A download handler that remembers the response head exactly as it came off the wire.

Scrapy's HTTP/1.1 handler (through Twisted) drops what an archive needs: the reason phrase, the case and order
of header names, and the connection-level headers (``Transfer-Encoding``, ``Connection``, ``Keep-Alive``),
which Twisted files apart from the response headers. This handler records the status line and every header
line as received and puts them in ``request.meta[RAW_HEAD_META]`` (a :class:`RawHead`), where the capture
extension finds them; everything else is Scrapy's own handler.

A download that times out after its head arrived still raises Scrapy's ``DownloadTimeoutError`` (so it is
retried and logged as before), carrying the bytes that came as a response flagged ``download_timeout``
(:func:`partial_response`): :mod:`newsarchive.spiders.truncation` has it archived with ``WARC-Truncated: time``.

This is the one module of newsarchive on Scrapy's (and Twisted's) private API, because Scrapy offers no
public way to the raw head: it extends the private ``http11`` classes below, swaps the class of the parser
Scrapy builds, replaces the connection pool's ``_factory`` and reads the body reader's buffer on a timeout.
Hence the upper bound on Scrapy in ``pyproject.toml`` (the release line this was written against), and the
canary test ``tests/archive/test_warc_fidelity.py::test_first_capture_stores_the_entity_the_server_sent_with_its_head``:
a change in those classes that still imports makes the capture fall back, silently, to the headers Scrapy
exposes, which lose the details above, and the canary fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
    _ScrapyAgent,
)
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import Request, Response
from scrapy.utils._download_handlers import wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.web._newclient import STATUS

from newsarchive.spiders.meta import RAW_HEAD_META

TIMEOUT_FLAG = "download_timeout"
_PARTIAL_ATTRIBUTE = "newsarchive_partial_response"


def partial_response(error: BaseException) -> Response | None:
    """The bytes a timed-out download received, as a response flagged ``download_timeout`` (None: no head came)."""
    return getattr(error, _PARTIAL_ATTRIBUTE, None)


@dataclass(frozen=True)
class RawHead:
    """A response's status line and header lines, bytes as received (line ends removed)."""

    status_line: bytes
    header_lines: tuple[bytes, ...]


class _HeadRecordingParser(_LenientHTTPClientParser):
    """Scrapy's lenient parser that also keeps the raw head lines and hangs them on the response."""

    def lineReceived(self, line: bytes) -> None:
        """Keep the line, then parse it as Scrapy does."""
        # The class is swapped in after construction (as Scrapy does for its own parser): state is lazy.
        if self.state == STATUS:
            self._raw_head_lines: list[bytes] = []
        self._raw_head_lines.append(line.removesuffix(b"\r"))
        super().lineReceived(line)

    def allHeadersReceived(self) -> None:
        """The head is complete (the last line is the empty one): attach it to the response."""
        status_line, *header_lines = self._raw_head_lines[:-1]
        self.response.newsarchive_raw_head = RawHead(status_line, tuple(header_lines))
        super().allHeadersReceived()


class _HeadRecordingProtocol(_LenientHTTP11ClientProtocol):
    def request(self, request):  # type: ignore[no-untyped-def]
        deferred = super().request(request)
        assert self._parser is not None
        self._parser.__class__ = _HeadRecordingParser
        return deferred


class _HeadRecordingFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr):  # type: ignore[no-untyped-def]
        return _HeadRecordingProtocol(self._quiescentCallback)


class _HeadRecordingAgent(_ScrapyAgent):
    def _cb_bodyready(self, txresponse, request: Request):  # type: ignore[no-untyped-def]
        raw_head = getattr(txresponse, "newsarchive_raw_head", None)
        if raw_head is not None:
            request.meta[RAW_HEAD_META] = raw_head
        return super()._cb_bodyready(txresponse, request)

    def _cb_timeout(self, result, request: Request, url: str, timeout: float):  # type: ignore[no-untyped-def]
        try:
            return super()._cb_timeout(result, request, url, timeout)
        except DownloadTimeoutError as error:
            reader = getattr(self._txresponse, "_bodyProtocol", None)
            if self._txresponse is not None and reader is not None:
                body = reader._bodybuf.getvalue()
                response = self._cb_bodydone(
                    {"txresponse": self._txresponse, "body": body, "flags": [TIMEOUT_FLAG],
                     "ip_address": reader._ip_address},
                    url,
                )  # fmt: skip
                setattr(error, _PARTIAL_ATTRIBUTE, response)
            raise


class RawHeadDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, plus the exact response head in ``request.meta[RAW_HEAD_META]``."""

    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        super().__init__(crawler)
        self._pool._factory = _HeadRecordingFactory

    async def download_request(self, request: Request) -> Response:
        """Download as Scrapy's handler does, through an agent that records the head and has no size cap."""
        agent = _HeadRecordingAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            # No cap in Scrapy's body reader, which would cancel the download and drop every byte: the cap is
            # enforced by spiders/truncation.py, which stops the download and keeps the bytes so far. (A request
            # with its own meta["download_maxsize"] still gets Scrapy's cancel; the spider sets none.)
            maxsize=0,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        with wrap_twisted_exceptions():
            return await maybe_deferred_to_future(agent.download_request(request))
