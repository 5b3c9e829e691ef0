"""Log lines a cron job can act on: every download error names the URL and the reason, on one line.

Scrapy logs a failed download as ``Error downloading <GET url>`` followed by a traceback, with the reason
buried in it. A timeout, a refused connection or a body over the size cap is the site's problem, not a bug
in the crawler: :class:`ReasonLogFormatter` puts the reason on the line and :class:`NoDownloadTraceback`
drops the traceback. Spider errors (bugs) keep theirs.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.logformatter import DOWNLOADERRORMSG_LONG, DOWNLOADERRORMSG_SHORT, LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


class ReasonLogFormatter(LogFormatter):
    """``Error downloading <GET url>: <reason>`` (Scrapy leaves the reason out unless told it)."""

    def download_error(
        self, failure: Failure, request: Request, spider: Spider, errmsg: str | None = None
    ) -> LogFormatterResult:
        """The error line with the failure's message as its reason."""
        return super().download_error(failure, request, spider, errmsg or _reason(failure))


def _reason(failure: Failure) -> str:
    message = failure.getErrorMessage()
    name = failure.type.__name__ if failure.type else "error"
    return f"{name}: {message}" if message and name not in message else message or name


class NoDownloadTraceback(logging.Filter):
    """Drops the traceback of download-error lines (the line already says what went wrong)."""

    _prefixes = (DOWNLOADERRORMSG_SHORT.split("%")[0], DOWNLOADERRORMSG_LONG.split("%")[0])

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record; strip its traceback when it is a download error."""
        if isinstance(record.msg, str) and record.msg.startswith(self._prefixes):
            record.exc_info = None
            record.exc_text = None
        return True


def install_download_error_filter(logger_name: str = "scrapy.core.scraper") -> Any:
    """Attach :class:`NoDownloadTraceback` to the logger that reports download errors."""
    log_filter = NoDownloadTraceback()
    logging.getLogger(logger_name).addFilter(log_filter)
    return log_filter
