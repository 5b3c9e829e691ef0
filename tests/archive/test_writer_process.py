"""The WARC writer in a process of its own: records written in order, revisits found, failures reported."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import html_exchange
from warcio.archiveiterator import ArchiveIterator

from newsarchive.archive.cdxj import index_warc
from newsarchive.archive.writerprocess import WarcWriterProcess
from newsarchive.workers import WorkerCrashedError

EXCHANGE = html_exchange("http://example.test/news/a", b"<p>hi</p>", datetime(2025, 9, 8, 11, 31, tzinfo=UTC))


def _writer_process(root: Path, max_size: int = 1 << 30) -> WarcWriterProcess:
    return WarcWriterProcess(
        root / "warc", warcinfo={"software": "test"}, prefix="newsarchive", max_size=max_size, indexes=root / "indexes"
    )


def test_exchanges_are_written_in_another_process_in_order_with_revisits(tmp_path):
    writer = _writer_process(tmp_path, max_size=4000)
    pages = [replace(EXCHANGE, url=f"http://example.test/{n}", body=b"<p>page %d</p>" % (n % 3)) for n in range(9)]
    answers = [writer.write_exchange(page) for page in pages]
    locations = [answer.result(timeout=60)[0][1] for answer in answers]
    assert writer.close() == []
    assert writer.pid != os.getpid()
    # Pages 3 to 8 repeat the payloads of pages 0 to 2: revisits of them, across the files rotated meanwhile.
    assert [location.record_type for location in locations] == ["response"] * 3 + ["revisit"] * 6
    assert [location.refers_to.record_id for location in locations[3:]] == [
        locations[n % 3].record_id for n in range(3, 9)
    ]
    files = sorted((tmp_path / "warc").iterdir())
    assert len(files) > 1 and all(path.name.endswith(".warc.gz") for path in files), "rotated, all closed"
    assert all(path.name.endswith(f"-{os.getpid()}.warc.gz") for path in files), "named after the crawl's process"
    written = []
    for path in files:
        with open(path, "rb") as stream:
            written += [(r.rec_headers.get_header("WARC-Target-URI"), r.rec_type) for r in ArchiveIterator(stream)]
        for index in index_warc(path, tmp_path / "reread"):
            assert (tmp_path / "indexes" / index.name).read_bytes() == index.read_bytes(), "made while writing"
    assert [url for url, kind in written if kind != "warcinfo"] == [page.url for page in pages for _ in (0, 1)]
    by_id = {location.record_id: location for location in locations}
    for path in files:
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                location = by_id.get(record.rec_headers.get_header("WARC-Record-ID"))
                if location is not None:
                    assert (location.warc_file, location.offset) == (path.name, records.get_record_offset())


def test_a_killed_writer_fails_the_writes_after_it_and_leaves_its_file_open_for_repair(tmp_path):
    writer = _writer_process(tmp_path)
    writer.write_exchange(EXCHANGE).result(timeout=60)
    os.kill(writer.pid, signal.SIGKILL)
    with pytest.raises(WorkerCrashedError):
        writer.write_exchange(replace(EXCHANGE, url="http://example.test/after")).result(timeout=60)
    with pytest.raises(WorkerCrashedError):
        writer.close()
    (left,) = (tmp_path / "warc").iterdir()
    assert left.name.endswith(".warc.gz.open")
    with open(left, "rb") as stream:
        assert [record.rec_type for record in ArchiveIterator(stream)] == ["warcinfo", "request", "response"]
