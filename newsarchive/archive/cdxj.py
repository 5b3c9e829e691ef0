"""Per-WARC indexes, written when a WARC closes and rebuilt by ``reindex``: the CDXJ and the capture digests.

The CDXJ is what pywb reads: ``<SURT key> <14-digit timestamp> <JSON>``, one line per ``response``/``revisit``
record, fields ``url, mime, status, digest, length, offset, filename`` spelt exactly as cdxj-indexer writes
them, lines sorted in byte order. The ``.digests`` file lists the originals a later revisit may refer to
(:mod:`newsarchive.archive.revisits`). The writer makes both lines as it writes each record
(:func:`record_entry`), so closing a file only sorts and writes them; ``reindex``, verify and repair make the
same lines from one streaming read of the WARC.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.timeutils import iso_date_to_timestamp

from newsarchive.archive.layout import CDXJ_SUFFIX, DIGESTS_SUFFIX, OPEN_SUFFIX, index_file_name
from newsarchive.archive.revisits import Capture, is_original, payload_digest

_INDEXED_TYPES = ("response", "revisit", "resource", "metadata")
_MIME_END = re.compile(r"[;\s]")


def surt_key(url: str) -> str:
    """The SURT sort key pywb looks captures up by."""
    # Imported on first use: surt brings tldextract and requests (a quarter of a second), which the commands that
    # only read the article index never need; after the first call this is a dictionary lookup.
    import surt

    try:
        return surt.surt(url)
    except ValueError:
        return url


def _mime(record: ArcWarcRecord) -> str | None:
    if record.rec_type == "revisit":
        return "warc/revisit"
    if record.rec_type in ("response", "request"):
        value = record.http_headers.get_header("Content-Type") if record.http_headers else None
    else:
        value = record.rec_headers.get_header("Content-Type")
    return _MIME_END.split(value, 1)[0].strip() if value else value


def record_entry(
    record: ArcWarcRecord, offset: int, length: int, filename: str, payload: Callable[[], bytes]
) -> tuple[str, Capture | None]:
    """One indexed record's CDXJ line, and its capture when it is a revisitable original.

    ``offset`` and ``length`` are its gzip member's in the file called ``filename``; ``payload`` gives what the
    record holds after its HTTP headers, read only for a record without a ``WARC-Payload-Digest``. The WARC
    reader (:func:`record_entries`) and the writer, as it writes each record, call this one function, so a CDXJ
    built while crawling equals one built from the closed file.
    """
    digest = record.rec_headers.get_header("WARC-Payload-Digest")
    if not digest:
        # A payload-less revisit (a 304): cdxj-indexer reports the digest of what the record holds.
        digest = payload_digest(payload())
    status = (
        record.http_headers.get_statuscode()
        if record.rec_type in ("response", "revisit") and record.http_headers
        else None
    )
    url = record.rec_headers.get_header("WARC-Target-URI")
    date = record.rec_headers.get_header("WARC-Date")
    fields = {"url": url, "mime": _mime(record), "status": status, "digest": digest}
    fields.update(length=str(length), offset=str(offset), filename=filename)
    entry = {name: value for name, value in fields.items() if value is not None}
    line = f"{surt_key(url)} {iso_date_to_timestamp(date)} {json.dumps(entry)}\n"
    capture = None
    if (
        record.rec_type == "response"
        and status is not None
        and is_original(int(status), bool(record.rec_headers.get_header("WARC-Truncated")))
    ):
        capture = Capture(
            digest=digest,
            url=url,
            date=date,
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
            warc_file=filename,
            offset=offset,
            length=length,
        )
    return line, capture


def is_indexed(record: ArcWarcRecord) -> bool:
    """Whether the record has a CDXJ line (as cdxj-indexer decides)."""
    if record.rec_type not in _INDEXED_TYPES:
        return False
    # cdxj-indexer leaves out warc-fields resources and metadata (crawl logs and the like)
    return record.rec_type in ("response", "revisit") or (
        record.rec_headers.get_header("Content-Type") != "application/warc-fields"
    )


def record_entries(path: str | os.PathLike[str]) -> Iterator[tuple[str, Capture | None]]:
    """For each indexed record of a WARC: its CDXJ line, and the capture when it is a revisitable original."""
    filename = Path(path).name.removesuffix(OPEN_SUFFIX)
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            if not is_indexed(record):
                continue
            # Read before the offset and length, which are known once the record has been read to its end.
            content = b"" if record.rec_headers.get_header("WARC-Payload-Digest") else record.content_stream().read()
            offset, length = records.get_record_offset(), records.get_record_length()
            yield record_entry(record, offset, length, filename, content.__bytes__)


def index_lines(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    """The WARC's CDXJ lines (sorted in byte order) and ``.digests`` lines, as their files hold them."""
    lines: list[str] = []
    captures: list[str] = []
    for line, capture in record_entries(path):
        lines.append(line)
        if capture is not None:
            captures.append(capture.line())
    lines.sort(key=str.encode)
    return lines, captures


def index_warc(path: str | os.PathLike[str], indexes_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write the WARC's CDXJ (sorted in byte order) and ``.digests`` file into ``indexes_dir``, atomically."""
    lines, captures = index_lines(path)
    return write_indexes(Path(path).name, lines, captures, indexes_dir)


def write_indexes(
    warc_name: str, cdxj_lines: list[str], digest_lines: list[str], indexes_dir: str | os.PathLike[str]
) -> tuple[Path, Path]:
    """Write a WARC's CDXJ (``cdxj_lines`` sorted in byte order here) and ``.digests`` files, atomically."""
    indexes_dir = Path(indexes_dir)
    indexes_dir.mkdir(parents=True, exist_ok=True)
    cdxj_path = _write_atomically(
        indexes_dir / index_file_name(warc_name, CDXJ_SUFFIX), sorted(cdxj_lines, key=str.encode)
    )
    digests_path = _write_atomically(indexes_dir / index_file_name(warc_name, DIGESTS_SUFFIX), digest_lines)
    return cdxj_path, digests_path


def _write_atomically(path: Path, lines: list[str]) -> Path:
    partial = path.with_name(path.name + ".tmp")
    with open(partial, "w", encoding="utf-8") as out:
        out.writelines(lines)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
    return path


def read_cdxj(indexes_dir: str | os.PathLike[str]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Every line of every CDXJ file as ``(key, timestamp, fields)``."""
    for path in sorted(Path(indexes_dir).glob("*" + CDXJ_SUFFIX)):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                key, timestamp, fields = line.rstrip("\n").split(" ", 2)
                yield key, timestamp, json.loads(fields)
