"""The start-up caches of the capture index and the seen-set: the answers of the line files they come from,
whatever happened to those files, or to the cache, since it was written."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import struct
import sys
import zlib
from pathlib import Path

import pytest

from newsarchive.archive.layout import CAPTURES_CACHE_NAME, SEEN_CACHE_NAME
from newsarchive.archive.revisits import Capture, CaptureIndex
from newsarchive.archive.seen import load_seen


def sha1_digest(text: str) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(text.encode()).digest()).decode()


def capture(serial: int, url: str | None = None, digest: str | None = None) -> Capture:
    return Capture(
        digest or sha1_digest(str(serial)),
        url or f"https://example.test/news/{serial}",
        f"2025-01-01T00:00:{serial % 60:02d}.000000Z",
        f"<urn:uuid:{serial:032x}>",
        f"newsarchive-{serial}.warc.gz",
        serial * 100,
        50,
    )


class DigestFiles:
    """``.digests`` files written into ``indexes``, and the answers they hold (first capture of each digest,
    latest of each URL, oldest file first), to compare an index with."""

    def __init__(self, indexes: Path) -> None:
        self.indexes = indexes
        indexes.mkdir(exist_ok=True)

    def path(self, name: str) -> Path:
        return self.indexes / f"{name}.digests"

    def write(self, name: str, captures: list[Capture], mode: str = "w") -> Path:
        with open(self.path(name), mode, encoding="utf-8") as out:
            out.writelines(c.line() for c in captures)
        return self.path(name)

    def captures(self) -> list[Capture]:
        """Every whole capture line, oldest file first."""
        found = []
        for path in sorted(self.indexes.glob("*.digests")):
            for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
                if line.endswith("\n"):
                    found.append(Capture.from_line(line))
        return found

    def assert_answered_by(self, index: CaptureIndex, asked: list[Capture] = ()) -> None:
        held = self.captures()
        first_by_digest: dict[str, Capture] = {}
        latest_by_url: dict[str, Capture] = {}
        for held_capture in held:
            first_by_digest.setdefault(held_capture.digest, held_capture)
            latest_by_url[held_capture.url] = held_capture
        for asked_capture in [*held, *asked]:
            assert index.by_digest(asked_capture.digest) == first_by_digest.get(asked_capture.digest)
            assert index.latest(asked_capture.url) == latest_by_url.get(asked_capture.url)
        assert len(index) == len(held)


def cache_stat(indexes: Path) -> tuple[int, int]:
    stat = (indexes / CAPTURES_CACHE_NAME).stat()
    return stat.st_ino, stat.st_mtime_ns


FIRST = "newsarchive-20250101000000-00000-host-1"


@pytest.fixture
def digests(tmp_path: Path) -> DigestFiles:
    """Two closed WARCs' ``.digests``: the second re-archives a URL of the first with new content, and holds a
    payload of the first under another URL (as two workers of one job can)."""
    files = DigestFiles(tmp_path / "indexes")
    files.write(FIRST, [capture(n) for n in range(40)])
    files.write(
        "newsarchive-20250102000000-00000-host-1",
        [
            *(capture(n) for n in range(100, 110)),
            capture(120, url=capture(5).url),
            capture(121, digest=capture(3).digest),
        ],
    )
    return files


def test_the_cache_gives_the_answers_of_the_digests_files_and_is_not_rewritten_when_nothing_changed(digests):
    built = CaptureIndex.load(digests.indexes)
    digests.assert_answered_by(built, [capture(99)])
    assert built.latest(capture(5).url) == capture(120, url=capture(5).url)
    assert built.by_digest(capture(3).digest) == capture(3)
    before = cache_stat(digests.indexes)
    digests.assert_answered_by(CaptureIndex.load(digests.indexes), [capture(99)])
    assert cache_stat(digests.indexes) == before


def test_a_digests_file_closed_since_is_read_even_when_it_sorts_before_the_others(digests):
    CaptureIndex.load(digests.indexes)
    digests.write("newsarchive-20250103000000-00000-host-1", [capture(130), capture(131, url=capture(12).url)])
    # A worker's WARC started before the others and closed after them: its captures are the oldest.
    digests.write(
        "newsarchive-20241231000000-00000-host-2",
        [capture(140, digest=capture(1).digest), capture(141, capture(2).url)],
    )
    index = CaptureIndex.load(digests.indexes)
    digests.assert_answered_by(index)
    assert index.by_digest(capture(1).digest) == capture(140, digest=capture(1).digest)
    assert index.latest(capture(2).url) == capture(2)
    assert index.latest(capture(12).url) == capture(131, url=capture(12).url)


def test_lines_appended_since_are_read_and_a_torn_last_line_once_it_is_whole(digests):
    CaptureIndex.load(digests.indexes)
    first = digests.path(FIRST)
    digests.write(FIRST, [capture(50), capture(51, url=capture(105).url)], mode="a")
    torn = capture(52).line()
    with open(first, "a", encoding="utf-8") as out:
        out.write(torn[:20])  # a crawl killed while appending
    index = CaptureIndex.load(digests.indexes)
    digests.assert_answered_by(index, [capture(52)])
    assert index.by_digest(capture(52).digest) is None
    # The second file is newer: its capture of that URL stays the latest.
    assert index.latest(capture(105).url) == capture(105)
    with open(first, "a", encoding="utf-8") as out:
        out.write(torn[20:])
    index = CaptureIndex.load(digests.indexes)
    digests.assert_answered_by(index)
    assert index.by_digest(capture(52).digest) == capture(52)


def _replace(path: Path) -> None:
    # Another file in its place, as reindex writes them, that differs only far from where the cache stopped.
    other = path.with_suffix(".new")
    lines = [capture(0, digest=sha1_digest("new 0")), *(capture(n) for n in range(1, 40)), capture(80), capture(81)]
    other.write_text("".join(c.line() for c in lines), encoding="utf-8")
    os.replace(other, path)


def _rewrite_longer(path: Path) -> None:
    path.write_text("".join(capture(n, digest=sha1_digest(f"new {n}")).line() for n in range(45)), encoding="utf-8")


def _rewrite_in_place(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[4] = capture(4, digest=sha1_digest("other payload")).line()
    before = path.stat()
    with open(path, "r+", encoding="utf-8") as out:
        out.write("".join(lines))
    assert path.stat().st_size == before.st_size
    # Later than the cache was written (a write within the clock's tick of it would look the same).
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))


def _cut(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


@pytest.mark.parametrize("change", [_replace, _rewrite_in_place, _rewrite_longer, _cut, Path.unlink])
def test_a_digests_file_replaced_rewritten_cut_or_gone_rebuilds_the_cache(digests, change):
    CaptureIndex.load(digests.indexes)
    change(digests.path(FIRST))
    # Asked for every capture there was: none of those gone may still be found.
    digests.assert_answered_by(CaptureIndex.load(digests.indexes), [capture(n) for n in range(40)])


def _claim_more_than_there_is(cache: Path) -> None:
    header = json.dumps({"byteorder": sys.byteorder, "files": [], "lengths": [10**15, 0, 0], "crc32": 0}).encode()
    cache.write_bytes(b"NACAPT1\n" + struct.pack("<I", len(header)) + header)


def _flip_a_byte(cache: Path) -> None:
    data = bytearray(cache.read_bytes())
    data[-5] ^= 0xFF
    cache.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        Path.unlink,
        lambda cache: cache.write_bytes(b""),
        lambda cache: os.truncate(cache, cache.stat().st_size - 8),
        lambda cache: os.truncate(cache, 30),
        _flip_a_byte,
        _claim_more_than_there_is,
        lambda cache: cache.write_bytes(b"NACAPT1\n\x05\x00\x00\x00[1,2]"),
        lambda cache: cache.write_bytes(b"NASEEN1\n" + cache.read_bytes()[8:]),
    ],
    ids=[
        "missing",
        "empty",
        "cut-in-the-arrays",
        "cut-in-the-header",
        "a-byte-flipped",
        "lengths-beyond-its-end",
        "no-header",
        "other-kind",
    ],
)
def test_a_damaged_cache_is_rebuilt(digests, damage):
    CaptureIndex.load(digests.indexes)
    damage(digests.indexes / CAPTURES_CACHE_NAME)
    digests.assert_answered_by(CaptureIndex.load(digests.indexes), [capture(99)])
    before = cache_stat(digests.indexes)
    digests.assert_answered_by(CaptureIndex.load(digests.indexes), [capture(99)])
    assert cache_stat(digests.indexes) == before, "the rebuilt cache is whole"


def crc_collision(texts) -> tuple[str, str]:
    """Two of ``texts`` with the same CRC-32, the key the capture index files them under."""
    seen: dict[int, str] = {}
    for text in texts:
        other = seen.setdefault(zlib.crc32(text.encode()), text)
        if other != text:
            return other, text
    raise AssertionError("no collision")


def test_digests_and_urls_that_share_a_key_never_answer_for_each_other(tmp_path: Path):
    digest, same_key_digest = crc_collision(sha1_digest(str(n)) for n in itertools.count())
    # Random-looking paths: URLs that differ in a few neighbouring bytes never share a CRC.
    url, same_key_url = crc_collision(
        f"https://example.test/{hashlib.sha1(str(n).encode()).hexdigest()[:12]}" for n in itertools.count()
    )
    both = DigestFiles(tmp_path / "both")
    both.write("a", [capture(1, url=url, digest=digest), capture(2, url=same_key_url, digest=same_key_digest)])
    one = DigestFiles(tmp_path / "one")
    one.write("a", [capture(1, url=url, digest=digest)])
    for _ in range(2):  # from the files, then from the cache
        both.assert_answered_by(CaptureIndex.load(both.indexes))
        index = CaptureIndex.load(one.indexes)
        one.assert_answered_by(index, [capture(2, url=same_key_url, digest=same_key_digest)])
        assert index.by_digest(same_key_digest) is None and index.latest(same_key_url) is None


def test_captures_added_during_a_run_are_found_before_those_loaded(digests):
    CaptureIndex.load(digests.indexes)
    index = CaptureIndex.load(digests.indexes)
    refetched = capture(70, url=capture(7).url)
    index.add(refetched)
    index.add(capture(71, digest=capture(8).digest))
    assert index.latest(capture(7).url) == refetched
    assert index.by_digest(refetched.digest) == refetched
    assert index.by_digest(capture(8).digest) == capture(8), "the first original stays the one referred to"
    assert len(index) == len(digests.captures()) + 1


def test_an_archive_without_digests_files_has_no_captures_and_a_missing_directory_stays_missing(tmp_path: Path):
    empty = CaptureIndex.load(tmp_path)
    assert len(empty) == 0 and empty.by_digest(capture(1).digest) is None and empty.latest(capture(1).url) is None
    assert len(CaptureIndex.load(tmp_path / "indexes")) == 0
    assert not (tmp_path / "indexes").exists()


def write_index(path: Path, urls: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as index:
        index.writelines(f'{{"url": "{url}", "title": "t"}}\n' for url in urls)


@pytest.mark.parametrize("damage", [_flip_a_byte, lambda cache: os.truncate(cache, cache.stat().st_size - 8)])
def test_a_damaged_seen_set_cache_is_rebuilt(tmp_path: Path, damage):
    write_index(tmp_path / "articles-20250101000000-1.jsonl", [f"https://example.test/{n}/" for n in range(100)])
    load_seen(tmp_path)
    damage(tmp_path / SEEN_CACHE_NAME)
    seen = load_seen(tmp_path)
    assert len(seen) == 100 and all(f"https://example.test/{n}/" in seen for n in range(100))


def test_an_index_file_replaced_since_rebuilds_the_seen_set(tmp_path: Path):
    index = tmp_path / "articles-20250101000000-1.jsonl"
    write_index(index, ["https://example.test/1/", "https://example.test/2/"])
    load_seen(tmp_path)
    other = tmp_path / "rewritten"
    write_index(other, ["https://example.test/3/", "https://example.test/4/"])
    os.replace(other, index)
    seen = load_seen(tmp_path)
    assert "https://example.test/3/" in seen and "https://example.test/1/" not in seen and len(seen) == 2
