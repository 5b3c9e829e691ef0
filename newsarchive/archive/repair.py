"""Find and repair what a killed crawl leaves behind, without ever deleting a complete record.

A crawl killed at any moment (SIGKILL, OOM killer, power cut) can leave:

- a torn last exchange: a WARC holds one gzip member per record, each written whole and flushed, so only
  the last member can be incomplete, and the request before a torn (or never written) response is left
  alone at the end; everything before that exchange is intact;
- an orphaned ``.open`` WARC that nobody will close (and its CDXJ never built);
- a torn last line in its article index file;
- article responses in a WARC whose index lines were never written (the crawl died between the two).

:func:`find_damage` reports these as :class:`~newsarchive.archive.verify.Problem` values; :func:`repair` cuts
torn tails (only after the last complete member, and only when no complete member follows the damage),
rebuilds the missing article index lines with reindex's own functions, renames orphaned ``.open`` files to
their final names and indexes them as a closing writer would. Everything streams, in fixed-size blocks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator

from newsarchive.archive.articles import ArticleIndex, indexed_record_ids
from newsarchive.archive.cdxj import index_warc
from newsarchive.archive.facts import ArticleRule, SiteFacts, load_facts
from newsarchive.archive.jsonl import torn_tail
from newsarchive.archive.layout import INDEX_GLOB, OPEN_SUFFIX, ArchiveLayout
from newsarchive.archive.reindex import index_article, page_captures
from newsarchive.archive.revisits import CaptureIndex
from newsarchive.archive.verify import GzipMemberError, Problem, gzip_members

_BLOCK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b\x08"
# Kinds of crash damage; the first three are repaired without losing a complete record.
REPAIRABLE = ("torn-tail", "torn-index-line", "open-file")
DAMAGED_MEMBER = "damaged-member"


@dataclass
class RepairReport:
    """What :func:`repair` did, and what it left for a human."""

    truncated: list[tuple[Path, int]] = field(default_factory=list)  # (file, bytes cut)
    finalised: list[Path] = field(default_factory=list)
    rebuilt_index_lines: int = 0
    left_alone: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was repaired."""
        return bool(self.truncated or self.finalised or self.rebuilt_index_lines)


def _complete_member_after(stream: BinaryIO, offset: int) -> bool:
    """Whether a whole gzip member starts anywhere after ``offset`` (damage in the middle, not a torn tail)."""
    position, carry = offset + 1, b""
    while True:
        stream.seek(position)
        block = stream.read(_BLOCK)
        if not block:
            return False
        data, base = carry + block, position - len(carry)
        found = data.find(_GZIP_MAGIC)
        while found >= 0:
            stream.seek(base + found)
            try:
                next(gzip_members(stream))
                return True
            except (GzipMemberError, StopIteration):
                found = data.find(_GZIP_MAGIC, found + 1)
        carry = data[-(len(_GZIP_MAGIC) - 1) :]
        position += len(block)


def warc_damage(path: Path) -> Problem | None:
    """Check that ``path`` ends with a whole exchange; describe the damage if it does not.

    A torn tail is cut back to the start of its exchange: the request is written before its response, so a
    last record that is a request (its response torn or never written) goes with the torn bytes; a request
    alone records nothing the server sent. Damage followed by whole records is reported, never cut.
    """
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        last_member: int | None = None
        end, reason = size, ""
        try:
            for offset, _ in gzip_members(stream):
                last_member = offset
        except GzipMemberError as damage:
            if _complete_member_after(stream, damage.offset):
                return Problem(
                    DAMAGED_MEMBER,
                    path,
                    damage.offset,
                    f"{damage}, with whole records after it: not repaired automatically; restore the file "
                    "from a backup",
                )
            end, reason = damage.offset, f"{damage}"
        if last_member is not None and _is_request(stream, last_member):
            end, reason = last_member, "a request without its response" + (f", then {reason}" if reason else "")
    if end == size:
        return None
    return Problem("torn-tail", path, end, f"torn last exchange ({size - end} bytes: {reason})")


def _is_request(stream: BinaryIO, offset: int) -> bool:
    stream.seek(offset)
    return next(iter(ArchiveIterator(stream))).rec_type == "request"


def torn_index_line(path: Path) -> Problem | None:
    """A last index line with no newline (cut by a crash); reads only the file's tail."""
    end = torn_tail(path)
    if end is None:
        return None
    return Problem("torn-index-line", path, end, f"torn last line ({path.stat().st_size - end} bytes)")


def _warc_files(archive: ArchiveLayout, closed_files: bool) -> Iterator[Path]:
    for path in archive.warc_files(include_open=True):
        if closed_files or path.name.endswith(OPEN_SUFFIX):
            yield path


def find_damage(archive: ArchiveLayout, *, closed_files: bool = True) -> list[Problem]:
    """Crash damage: torn index lines, torn or damaged WARC members, ``.open`` files left behind.

    ``closed_files=False`` looks at ``.open`` WARCs only (a closed file was synced before its rename;
    ``verify`` checks closed files in full).
    """
    found = [p for p in map(torn_index_line, sorted(archive.indexes_dir.glob(INDEX_GLOB))) if p]
    for path in _warc_files(archive, closed_files):
        if damage := warc_damage(path):
            found.append(damage)
        if path.name.endswith(OPEN_SUFFIX):
            found.append(Problem("open-file", path, None, "left .open by a crawl that did not finish"))
    return found


def repair(archive: ArchiveLayout, rule: ArticleRule | None = None, *, closed_files: bool = True) -> RepairReport:
    """Repair crash damage; the caller holds the archive's lock (no crawl may be writing).

    Torn index lines and torn WARC tails are cut off; article responses without an index line get one (with
    ``rule`` as the crawl used it, by default the one the archive remembers, and the versions numbered after
    those already indexed); orphaned ``.open``
    files are renamed and indexed. ``closed_files=False`` limits the WARC work to ``.open`` files, as a crawl
    does on start.
    """
    report = RepairReport()
    for damage in find_damage(archive, closed_files=closed_files):
        if damage.kind in ("torn-tail", "torn-index-line"):
            assert damage.offset is not None
            cut = damage.path.stat().st_size - damage.offset
            os.truncate(damage.path, damage.offset)
            report.truncated.append((damage.path, cut))
        elif damage.kind == DAMAGED_MEMBER:
            report.left_alone.append(damage)
    damaged = {problem.path for problem in report.left_alone}
    targets = [path for path in _warc_files(archive, closed_files) if path not in damaged]
    if targets:
        report.rebuilt_index_lines = _rebuild_article_lines(archive, targets, rule)
    for path in targets:
        if path.name.endswith(OPEN_SUFFIX):
            _finalise(archive, path, report)
    return report


def _rebuild_article_lines(archive: ArchiveLayout, warcs: list[Path], rule: ArticleRule | None) -> int:
    """Index the articles of ``warcs`` that have no index line (records already indexed are skipped unread),
    by ``rule``, else the one the archive remembers its last crawl by."""
    indexed = indexed_record_ids(archive.indexes_dir)
    captures = CaptureIndex.load(archive.indexes_dir)
    facts = load_facts(archive.path) or SiteFacts()
    rule = rule or facts.rule or ArticleRule()
    index = ArticleIndex(archive.indexes_dir, datetime.now(UTC), trailing_slash=rule.trailing_slash)
    added = 0
    try:
        for path in warcs:
            pages = page_captures(archive, [path], captures, rule, facts, skip=indexed.__contains__)
            for page in pages:
                if page.verdict.article is None:
                    continue
                # Named by its final name, as the crawl names it: readers find a still-.open file too.
                page = replace(page, location=replace(page.location, warc_file=path.name.removesuffix(OPEN_SUFFIX)))
                added += index_article(index, page, facts) is not None
    finally:
        index.close()
    return added


def _finalise(archive: ArchiveLayout, path: Path, report: RepairReport) -> None:
    if path.stat().st_size == 0:
        # Killed before its first record was whole: there is nothing in it to keep.
        path.unlink()
        report.finalised.append(path)
        return
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    if final.exists():
        report.left_alone.append(Problem("open-file", path, None, f"{final.name} exists too; compare them by hand"))
        return
    with open(path, "rb") as stream:
        os.fsync(stream.fileno())
    # Index first, rename last: killed in between, the file is still .open and the next repair redoes both;
    # the other way round a closed WARC could be left without its CDXJ.
    index_warc(path, archive.indexes_dir)
    os.replace(path, final)
    report.finalised.append(final)
