"""Export in ranges of whole lines, shared with worker processes: the same bytes as one process, whatever the
ranges; each URL once, at its latest version, where that line stands in the index; a torn last line left out
until its newline is written; the workers gone when the export ends, and when its reader goes away."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import run_cli

from newsarchive import Archive
from newsarchive.archive.articles import read_index
from newsarchive.archive.dataset import ArticleFilter
from newsarchive.archive.export import export_jsonl
from newsarchive.archive.jsonl import JsonlWriter

LATER_INDEX = "articles-29990101000000-1.jsonl"


@pytest.fixture
def archive(twice_crawled_site, tmp_path) -> Path:
    """The crawled test site's article index, then a later index file, written as a crawl writes it, with a
    second version of the 2nd and 5th articles and a third version of the 2nd."""
    path = tmp_path / "archive"
    (path / "warc").mkdir(parents=True)
    (path / "indexes").mkdir()
    for index in (twice_crawled_site.archive / "indexes").glob("articles-*.jsonl"):
        shutil.copy(index, path / "indexes")
    crawled = list(read_index(path / "indexes"))
    assert len({entry["url"] for entry in crawled}) == len(crawled) >= 5
    writer = JsonlWriter(path / "indexes" / LATER_INDEX)
    for entry, version in ((crawled[1], 2), (crawled[4], 2), (crawled[1], 3)):
        writer.append({**entry, "title": f"{entry['title']} (version {version})", "version": version})
    writer.close()
    return path


def export(archive: Path, **options) -> bytes:
    out = io.BytesIO()
    export_jsonl(archive / "indexes", out.write, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    "options",
    [{}, {"all_versions": True}, {"fields": ("version", "url", "tags")}, {"accepts": ArticleFilter.of(lang="EN")}],
    ids=["latest", "all-versions", "fields", "lang"],
)
def test_ranges_shared_with_workers_give_the_same_bytes_as_one_process(archive, options):
    alone = export(archive, workers=0, **options)
    assert alone.count(b"\n") >= 2
    assert export(archive, workers=1, range_bytes=1, **options) == alone  # each line a range of its own
    assert export(archive, workers=2, range_bytes=5000, **options) == alone


def test_the_cli_and_a_text_stream_get_the_same_rows(archive):
    alone = export(archive, workers=0).decode("utf-8")
    result = run_cli("export", "--archive", str(archive))
    assert result.returncode == 0, result.stderr
    assert result.stdout == alone
    text = io.StringIO()
    assert Archive(archive).export(text) == alone.count("\n")
    assert text.getvalue() == alone


def test_each_url_is_exported_once_at_its_latest_version_where_that_line_stands(archive):
    crawled = [entry for entry in read_index(archive / "indexes") if entry["version"] == 1]
    rows = [json.loads(line) for line in export(archive, workers=1, range_bytes=1).splitlines()]
    second, fifth = crawled[1]["url"], crawled[4]["url"]
    expected = [entry["url"] for entry in crawled if entry["url"] not in (second, fifth)] + [fifth, second]
    assert [row["url"] for row in rows] == expected
    assert [(row["version"], row["title"]) for row in rows[-2:]] == [
        (2, f"{crawled[4]['title']} (version 2)"),
        (3, f"{crawled[1]['title']} (version 3)"),
    ]


def test_a_torn_last_line_is_left_out_until_its_newline_is_written(archive):
    before = export(archive, workers=0)
    entry = next(read_index(archive / "indexes"))
    line = json.dumps({**entry, "version": 4}, ensure_ascii=False)
    with open(archive / "indexes" / LATER_INDEX, "a", encoding="utf-8") as index:
        index.write(line[: len(line) // 2])  # a crawl killed mid-line, or still writing it
    assert export(archive, workers=0) == before
    assert export(archive, workers=1, range_bytes=1) == before
    with open(archive / "indexes" / LATER_INDEX, "a", encoding="utf-8") as index:
        index.write(line[len(line) // 2 :] + "\n")
    after = export(archive, workers=1, range_bytes=1)
    assert after == export(archive, workers=0) != before
    assert json.loads(after.splitlines()[-1])["version"] == 4


def test_the_workers_end_with_the_export_and_when_its_reader_goes_away(archive):
    def closed_pipe(data: bytes) -> None:
        raise BrokenPipeError

    export(archive, workers=2, range_bytes=1)
    with pytest.raises(BrokenPipeError):
        export_jsonl(archive / "indexes", closed_pipe, workers=2, range_bytes=1)
    assert worker_processes() == []


def worker_processes() -> list[int]:
    """The process ids of this process's live worker processes (``python -m newsarchive.workers``), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"newsarchive.workers" in command:
            found.append(int(stat.parent.name))
    return found
