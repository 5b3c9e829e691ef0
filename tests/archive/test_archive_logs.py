"""The archive's append-only logs (one rule for which lines count) and packed line positions."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from newsarchive.archive.jsonl import JsonlWriter, line_ranges, range_lines, read_records, torn_tail
from newsarchive.archive.positions import LineFiles, pack, unpack
from newsarchive.archive.runs import append_run, read_runs


def test_a_torn_last_line_counts_once_its_newline_is_written(tmp_path: Path):
    log = tmp_path / "log.jsonl"
    log.write_text('{"n": 1}\n{"n": 2}', encoding="utf-8")
    assert list(read_records(log)) == [{"n": 1}]
    assert torn_tail(log) == len('{"n": 1}\n')
    with open(log, "a", encoding="utf-8") as more:
        more.write("\n")
    assert list(read_records(log)) == [{"n": 1}, {"n": 2}]
    assert torn_tail(log) is None


def test_ranges_hold_the_complete_lines_in_order_and_no_torn_last_line(tmp_path: Path):
    log = tmp_path / "log.jsonl"
    log.write_bytes(b'{"n": 1}\n{"n": 22}\n\n{"n": 333}\n{"n": 4')
    for size in (1, 9, 10, 20, 1000):
        ranges = line_ranges(log, size)
        assert ranges[0][0] == 0 and ranges[-1][1] == torn_tail(log)
        assert all(end == next_start for (_, end), (next_start, _) in pairwise(ranges))
        lines = [(offset, line) for start, end in ranges for offset, line in range_lines(log, start, end)]
        assert lines == [(0, b'{"n": 1}'), (9, b'{"n": 22}'), (19, b""), (20, b'{"n": 333}')], size
    assert list(range_lines(log, 9, 31, [9, 20])) == [(9, b'{"n": 22}'), (20, b'{"n": 333}')]
    assert line_ranges(tmp_path / "log.jsonl", 10**6) == [(0, 31)]
    (tmp_path / "torn.jsonl").write_bytes(b'{"n": 1')
    assert line_ranges(tmp_path / "torn.jsonl", 10) == []


def test_a_complete_line_that_is_no_json_object_is_skipped(tmp_path: Path):
    log = tmp_path / "log.jsonl"
    log.write_bytes(b'{"n": 1}\nnot json\n[1, 2]\n\xff\xfe\n{"n": 2}\n')
    assert list(read_records(log)) == [{"n": 1}, {"n": 2}]


def test_a_run_appended_after_a_torn_line_is_kept(tmp_path: Path):
    append_run(tmp_path, {"run": 1})
    with open(tmp_path / "runs.jsonl", "a", encoding="utf-8") as runs:
        runs.write('{"run": 2, "pa')  # the writer was killed mid-line
    append_run(tmp_path, {"run": 3})
    assert list(read_runs(tmp_path)) == [{"run": 1}, {"run": 3}]


def test_a_writer_writes_one_line_per_record_and_no_file_for_none(tmp_path: Path):
    writer = JsonlWriter(tmp_path / "new" / "log.jsonl")
    writer.close()
    assert not writer.path.exists()
    writer.append({"text": "a\nb", "title": "Ə"})
    writer.close()
    assert writer.path.read_text(encoding="utf-8") == '{"text": "a\\nb", "title": "Ə"}\n'


def test_packed_positions_read_back_the_line_in_the_file_they_name(tmp_path: Path):
    first, second = tmp_path / "a.digests", tmp_path / "b.digests"
    first.write_bytes(b"one\ntwo\n")
    second.write_bytes(b"three\nfour")
    files = LineFiles()
    positions = [position for path in (first, second) for position, _ in files.scan(path)]
    assert [unpack(position) for position in positions] == [(0, 0), (0, 4), (1, 0)]
    assert [files.line_at(position) for position in positions] == [b"one\n", b"two\n", b"three\n"]
    assert unpack(pack(3, (1 << 40) - 1)) == (3, (1 << 40) - 1)
