"""Binary search over a byte-sorted file finds exactly the lines a full read would, wherever blocks split them."""

from __future__ import annotations

import random
from pathlib import Path

from newsarchive.archive.binsearch import BLOCK_SIZE, lines_starting_with


def sorted_file(path: Path, lines: list[bytes]) -> list[bytes]:
    """Write ``lines`` sorted in byte order, as the CDXJ writer does; return them as written."""
    lines = sorted(lines)
    path.write_bytes(b"".join(lines))
    return lines


def test_every_prefix_finds_the_lines_a_full_read_finds(tmp_path: Path) -> None:
    chance = random.Random(14)
    keys = sorted({f"org,example)/{chance.choice('abcdef')}/{chance.randrange(400)}".encode() for _ in range(600)})
    lines = [
        key + b" " + str(20250101000000 + n).encode() + b" " + b"x" * chance.randrange(10, 3 * BLOCK_SIZE // 4) + b"\n"
        for key in keys
        for n in range(chance.randrange(1, 4))
    ]
    lines = sorted_file(tmp_path / "index.cdxj", lines)
    assert len(b"".join(lines)) > 20 * BLOCK_SIZE
    for prefix in [key + b" " for key in keys] + [b"a", b"org,example)/c", b"org,example)/zz ", b"\xff"]:
        assert list(lines_starting_with(tmp_path / "index.cdxj", prefix)) == [
            line for line in lines if line.startswith(prefix)
        ], prefix


def test_the_first_and_last_lines_are_found_whatever_their_length(tmp_path: Path) -> None:
    lines = sorted_file(
        tmp_path / "index.cdxj",
        [b"a 1 " + b"x" * 3 * BLOCK_SIZE + b"\n", b"m 1 {}\n", b"z 1 " + b"y" * 3 * BLOCK_SIZE + b"\n"],
    )
    for prefix, expected in ((b"a ", lines[:1]), (b"m ", lines[1:2]), (b"z ", lines[2:]), (b"q ", [])):
        assert list(lines_starting_with(tmp_path / "index.cdxj", prefix)) == expected


def test_an_empty_file_has_no_lines(tmp_path: Path) -> None:
    (tmp_path / "index.cdxj").write_bytes(b"")
    assert list(lines_starting_with(tmp_path / "index.cdxj", b"a ")) == []
