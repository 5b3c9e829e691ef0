"""Crash damage: ``verify`` lists it (exit 1), ``verify --repair`` fixes it and never loses a complete record.

The damage is what a kill leaves: a torn write is a prefix of the file, so the tests write real records
with the real writer and cut the file inside its last record, or append the zeros a power cut can leave.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fixture_site import SITE_DATA, load_ground_truth
from helpers import FIXTURE_PROFILE, iter_records, run_cli, warc_files, warcio_check

from newsarchive.archive.articles import ArticleIndexWriter, read_index
from newsarchive.archive.reader import Archive
from newsarchive.archive.records import HttpExchange, RecordLocation
from newsarchive.archive.repair import find_damage, repair, warc_damage
from newsarchive.archive.writer import WarcWriter
from newsarchive.demo.site import NewsSite

BASE = "http://127.0.0.1:8000"
ARTICLES = 5


def _exchange(path: str) -> HttpExchange:
    status, content_type, body, _ = NewsSite.from_file(SITE_DATA).respond(path, BASE)
    return HttpExchange(
        url=BASE + path,
        method="GET",
        request_headers=[(b"Host", b"127.0.0.1:8000")],
        protocol="HTTP/1.1",
        status=status,
        reason="OK",
        response_headers=[(b"Content-Type", content_type.encode())],
        body=body,
        date=datetime.now(UTC),
    )


def _index_line(location: RecordLocation, url: str) -> dict:
    return {"url": url, "version": 1, "warc_file": location.warc_file, "warc_record_id": location.record_id,
            "warc_offset": location.offset, "warc_length": location.length}  # fmt: skip


def killed_archive(root: Path) -> dict:
    """An archive as a crawl killed mid-write leaves it: an ``.open`` WARC whose last record is torn, an
    index file whose last line is torn, and one complete article with no index line at all."""
    articles = load_ground_truth(BASE)[:ARTICLES]
    writer = WarcWriter(root / "warc", warcinfo={"software": "test"})
    exchanges = [writer.write_exchange(_exchange(a["path"])) for a in articles]
    locations = [response for _, response in exchanges]
    index = ArticleIndexWriter(root / "indexes", datetime.now(UTC))
    for location, article in zip(locations[:3], articles, strict=False):
        index.append(_index_line(location, article["url"]))
    index.close()
    torn_line = json.dumps(_index_line(locations[3], articles[3]["url"]))
    with open(index.path, "a", encoding="utf-8") as lines:
        lines.write(torn_line[: len(torn_line) // 2])
    open_file = writer.current_file
    assert open_file is not None
    last = locations[-1]
    with open(open_file, "r+b") as warc:
        warc.truncate(last.offset + last.length // 2)
    return {"root": root, "open_file": open_file, "locations": locations, "articles": articles,
            "last_request": exchanges[-1][0]}  # fmt: skip


@pytest.fixture
def killed(tmp_path) -> dict:
    return killed_archive(tmp_path / "archive")


def test_verify_lists_every_crash_damage_and_exits_1(killed):
    result = run_cli("verify", "--archive", str(killed["root"]))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    open_file = killed["open_file"]
    last = killed["last_request"]
    assert re.fullmatch(r".*/articles-\d+-\d+\.jsonl@\d+: torn-index-line: torn last line \(\d+ bytes\)", lines[0])
    assert re.fullmatch(
        rf"{open_file}@{last.offset}: torn-tail: torn last exchange \(\d+ bytes: a request without "
        r"its response, then gzip member cut short \(torn write\?\)\)",
        lines[1],
    )
    assert lines[2] == f"{open_file}: open-file: left .open by a crawl that did not finish"
    assert len(lines) == 3
    assert "3 problems found; `newsarchive verify --repair` fixes crash damage" in result.stderr


def test_verify_repair_cuts_torn_tails_finishes_open_files_and_rebuilds_missing_index_lines(killed):
    result = run_cli("verify", "--archive", str(killed["root"]), "--repair", "--config", str(FIXTURE_PROFILE))
    assert result.returncode == 0, result.stdout + result.stderr
    files = warc_files(killed["root"])
    assert [f.name for f in files] == [killed["open_file"].name.removesuffix(".open")]
    assert warcio_check(files) == 0
    complete = killed["locations"][:-1]
    responses = [r.rec_headers.get_header("WARC-Record-ID") for _, r in iter_records(killed["root"])
                 if r.rec_type == "response"]  # fmt: skip
    assert responses == [location.record_id for location in complete]
    indexed = [entry["warc_record_id"] for entry in read_index(killed["root"] / "indexes")]
    assert sorted(indexed) == sorted(location.record_id for location in complete)
    rebuilt = [e for e in read_index(killed["root"] / "indexes") if e["warc_record_id"] == complete[3].record_id]
    assert rebuilt[0]["title"] == killed["articles"][3]["title"]
    assert (rebuilt[0]["warc_offset"], rebuilt[0]["warc_length"]) == (complete[3].offset, complete[3].length)
    assert find_damage(Archive(killed["root"])) == []


def test_damage_in_the_middle_of_a_file_is_reported_and_left_alone(tmp_path):
    root = tmp_path / "archive"
    with WarcWriter(root / "warc", warcinfo={"software": "test"}) as writer:
        locations = [writer.write_exchange(_exchange(a["path"]))[1] for a in load_ground_truth(BASE)[:3]]
    (path,) = warc_files(root)
    data = bytearray(path.read_bytes())
    middle = locations[0].offset + locations[0].length // 2
    data[middle : middle + 8] = b"\x00" * 8
    path.write_bytes(bytes(data))
    damage = warc_damage(path)
    assert damage is not None and damage.kind == "damaged-member"
    report = repair(Archive(root))
    assert report.left_alone == [damage]
    assert path.read_bytes() == bytes(data)


def test_zeros_after_the_last_record_are_a_torn_tail_cut_back_to_the_exact_end(tmp_path):
    root = tmp_path / "archive"
    with WarcWriter(root / "warc", warcinfo={"software": "test"}) as writer:
        writer.write_exchange(_exchange(load_ground_truth(BASE)[0]["path"]))
    (path,) = warc_files(root)
    intact = path.read_bytes()
    with open(path, "ab") as warc:
        warc.write(b"\x00" * 4096)
    assert warc_damage(path) is not None
    assert repair(Archive(root)).truncated == [(path, 4096)]
    assert path.read_bytes() == intact


def test_csv_export_neutralises_formula_cells(tmp_path):
    root = tmp_path / "archive"
    (root / "warc").mkdir(parents=True)
    index = ArticleIndexWriter(root / "indexes", datetime.now(UTC))
    titles = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "plain"]
    for number, title in enumerate(titles):
        index.append({"url": f"{BASE}/{number}", "title": title, "version": 1})
    index.close()
    result = run_cli("export", "--archive", str(root), "--format", "csv")
    assert result.returncode == 0, result.stderr
    exported = [row["title"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert exported == ["'" + title for title in titles[:4]] + ["plain"]


def test_a_file_cut_at_any_byte_is_repaired_to_exactly_the_exchanges_written_whole_before_the_cut(tmp_path):
    source = tmp_path / "source"
    with WarcWriter(source / "warc", warcinfo={"software": "test"}) as writer:
        exchanges = [writer.write_exchange(_exchange(a["path"])) for a in load_ground_truth(BASE)[:4]]
    (whole,) = warc_files(source)
    data = whole.read_bytes()
    rng = random.Random(6)
    cuts = sorted({*rng.sample(range(1, len(data)), 40), *(r.offset + r.length for _, r in exchanges)})
    for cut in cuts:
        root = tmp_path / f"cut-{cut}"
        (root / "warc").mkdir(parents=True)
        (root / "warc" / (whole.name + ".open")).write_bytes(data[:cut])
        repair(Archive(root))
        kept = [r.rec_headers.get_header("WARC-Record-ID") for _, r in iter_records(root) if r.rec_type != "warcinfo"]
        expected = [
            location.record_id
            for request, response in exchanges
            if response.offset + response.length <= cut
            for location in (request, response)
        ]
        assert kept == expected, f"cut at byte {cut}"
        assert find_damage(Archive(root)) == []
        assert warcio_check(warc_files(root)) == 0
