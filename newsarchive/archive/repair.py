"""Find and repair what a killed crawl leaves behind, without ever deleting a complete record.

A crawl killed at any moment (SIGKILL, OOM killer, power cut) can leave:

- a torn last record: a WARC holds one gzip member per record, each written whole and flushed, so only
  the last member can be incomplete; everything before the end of the last complete member is intact;
- an orphaned ``.open`` WARC that nobody will close;
- a torn last line in its article index file;
- article responses in a WARC whose index lines were never written (the crawl died between the two).

:func:`find_damage` reports these; :func:`repair` truncates torn tails (only after the last complete
member, and only when no complete member follows the damage), rebuilds the missing index lines from the
WARC records, and renames orphaned ``.open`` files to their final names. Everything streams: a file is
read once, in fixed-size blocks.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_datetime

from newsarchive.archive.articles import INDEX_GLOB, ArticleIndexWriter, index_entry, read_index
from newsarchive.archive.records import RecordLocation
from newsarchive.archive.writer import OPEN_SUFFIX
from newsarchive.extract.article import Article

_BLOCK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b\x08"
# Stored bodies are capped by the crawl (DOWNLOAD_MAXSIZE); anything bigger is not re-extracted.
MAX_REBUILD_PAYLOAD = 64 * 1024 * 1024

# (url, HTTP response headers, payload as stored, content-coding kept) -> the article, or None.
ArticleFromResponse = Callable[[str, list[tuple[str, str]], bytes], Article | None]


@dataclass(frozen=True)
class Damage:
    """One problem a crash can leave; ``repairable`` when :func:`repair` fixes it without losing a record."""

    path: Path
    kind: str  # "torn-tail", "damaged-member", "open-file", "torn-index-line"
    detail: str
    offset: int | None = None
    repairable: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}"


@dataclass
class RepairReport:
    """What :func:`repair` did."""

    truncated: list[tuple[Path, int]] = field(default_factory=list)  # (file, bytes cut)
    finalised: list[Path] = field(default_factory=list)
    rebuilt_index_lines: int = 0
    left_alone: list[Damage] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was repaired."""
        return bool(self.truncated or self.finalised or self.rebuilt_index_lines)


class _DamagedMember(Exception):
    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset
        self.reason = reason


def _member_ends(stream: BinaryIO, start: int = 0) -> Iterator[int]:
    """End offsets of the complete gzip members from ``start``; raises at the first broken or cut one.

    Each member is inflated in bounded blocks and its output thrown away: zlib checks the CRC and size
    trailer, which is what proves the member was written whole.
    """
    stream.seek(start)
    consumed = 0
    inflater = zlib.decompressobj(wbits=31)
    pending = b""
    while True:
        if not pending:
            pending = stream.read(_BLOCK)
            if not pending:
                if consumed:
                    raise _DamagedMember(start, "incomplete gzip member")
                return
        try:
            inflater.decompress(pending, _BLOCK)
        except zlib.error as error:
            raise _DamagedMember(start, f"bad gzip data ({error})") from None
        if inflater.eof:
            consumed += len(pending) - len(inflater.unused_data)
            start += consumed
            yield start
            consumed, pending = 0, inflater.unused_data
            inflater = zlib.decompressobj(wbits=31)
        else:
            consumed += len(pending) - len(inflater.unconsumed_tail)
            pending = inflater.unconsumed_tail


def _complete_member_after(stream: BinaryIO, offset: int) -> bool:
    """Whether a complete gzip member starts anywhere after ``offset`` (damage in the middle, not a tail)."""
    position = offset + 1
    carry = b""
    while True:
        stream.seek(position)
        block = stream.read(_BLOCK)
        if not block:
            return False
        data = carry + block
        base = position - len(carry)
        found = data.find(_GZIP_MAGIC)
        while found >= 0:
            try:
                next(_member_ends(stream, base + found))
                return True
            except (_DamagedMember, StopIteration):
                found = data.find(_GZIP_MAGIC, found + 1)
        carry = data[-(len(_GZIP_MAGIC) - 1) :]
        position += len(block)


def scan_warc(path: Path) -> Damage | None:
    """Check that ``path`` is a sequence of complete gzip members; describe the first damage if not."""
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        try:
            for _ in _member_ends(stream):
                pass
        except _DamagedMember as damage:
            if _complete_member_after(stream, damage.offset):
                return Damage(
                    path,
                    "damaged-member",
                    f"damaged gzip member at offset {damage.offset} ({damage.reason}) with complete "
                    "records after it; not repaired automatically, restore the file from a backup",
                    damage.offset,
                    repairable=False,
                )
            return Damage(
                path,
                "torn-tail",
                f"torn last record at offset {damage.offset} ({size - damage.offset} bytes, {damage.reason})",
                damage.offset,
            )
    return None


def torn_index_line(path: Path) -> Damage | None:
    """A last index line with no newline (cut by a crash); reads only the file's tail."""
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if size == 0:
            return None
        stream.seek(size - 1)
        if stream.read(1) == b"\n":
            return None
        end = size
        while end > 0:
            start = max(0, end - _BLOCK)
            stream.seek(start)
            newline = stream.read(end - start).rfind(b"\n")
            if newline >= 0:
                end = start + newline + 1
                break
            end = start
        return Damage(path, "torn-index-line", f"torn last line at offset {end} ({size - end} bytes)", end)


def _warc_files(archive_dir: Path) -> list[Path]:
    warc_dir = archive_dir / "warc"
    return sorted([*warc_dir.glob("*.warc.gz"), *warc_dir.glob("*.warc.gz" + OPEN_SUFFIX)], key=lambda p: p.name)


def find_damage(
    archive_dir: str | os.PathLike[str], *, closed_files: bool = True, open_files: bool = True
) -> list[Damage]:
    """Every crash damage in the archive: torn tails, ``.open`` files, torn index lines.

    ``closed_files=False`` checks only ``.open`` WARCs (a closed file was synced before its rename);
    ``open_files=False`` skips them, and index tails too (a running crawl is writing them).
    """
    archive_dir = Path(archive_dir)
    found: list[Damage] = []
    for path in sorted((archive_dir / "indexes").glob(INDEX_GLOB)) if open_files else ():
        if damage := torn_index_line(path):
            found.append(damage)
    for path in _warc_files(archive_dir):
        is_open = path.name.endswith(OPEN_SUFFIX)
        if not (closed_files or is_open) or (is_open and not open_files):
            continue
        if damage := scan_warc(path):
            found.append(damage)
        if is_open:
            found.append(Damage(path, "open-file", "left .open by a crawl that did not finish"))
    return found


def _indexed_record_ids(archive_dir: Path) -> dict[str, set[str]]:
    indexed: dict[str, set[str]] = {}
    for entry in read_index(archive_dir / "indexes"):
        indexed.setdefault(entry.get("warc_file") or "", set()).add(entry.get("warc_record_id") or "")
    return indexed


def rebuild_article_lines(
    warc_path: Path,
    indexed: set[str],
    article_from_response: ArticleFromResponse,
    index: ArticleIndexWriter,
) -> int:
    """Append an index line for each article response in ``warc_path`` that has none; returns how many."""
    warc_file = warc_path.name.removesuffix(OPEN_SUFFIX)
    added = 0
    with open(warc_path, "rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            status = record.http_headers.get_statuscode() if record.http_headers else None
            if record.rec_type != "response" or status != "200" or record_id in indexed:
                continue
            payload = record.raw_stream.read(MAX_REBUILD_PAYLOAD + 1)
            records.read_to_end(record)
            if len(payload) > MAX_REBUILD_PAYLOAD:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            article = article_from_response(url, record.http_headers.headers, payload)
            if article is None:
                continue
            date = iso_date_to_datetime(record.rec_headers.get_header("WARC-Date")).replace(tzinfo=UTC)
            location = RecordLocation(
                warc_file, records.get_record_offset(), records.get_record_length(), record_id, date
            )
            index.append(index_entry(article, location, date))
            added += 1
    return added


def repair(
    archive_dir: str | os.PathLike[str],
    *,
    article_from_response: ArticleFromResponse | None = None,
    on_finalised: Callable[[Path], None] | None = None,
    closed_files: bool = True,
) -> RepairReport:
    """Repair crash damage; the caller must hold the archive's lock (no crawl may be writing).

    Torn index lines and torn WARC tails are cut off; article responses without index lines get them
    (when ``article_from_response`` is given); orphaned ``.open`` files are renamed to their final names
    and passed to ``on_finalised`` (to index them as a closed file would be). ``closed_files=False``
    limits the work to ``.open`` files, as a crawl does when it starts.
    """
    archive_dir = Path(archive_dir)
    report = RepairReport()
    for damage in find_damage(archive_dir, closed_files=closed_files):
        if damage.kind in ("torn-tail", "torn-index-line"):
            assert damage.offset is not None
            cut = damage.path.stat().st_size - damage.offset
            os.truncate(damage.path, damage.offset)
            report.truncated.append((damage.path, cut))
        elif damage.kind == "damaged-member":
            report.left_alone.append(damage)
    targets = [p for p in _warc_files(archive_dir) if closed_files or p.name.endswith(OPEN_SUFFIX)]
    if article_from_response is not None and targets:
        indexed = _indexed_record_ids(archive_dir)
        index = ArticleIndexWriter(archive_dir / "indexes", datetime.now(UTC))
        try:
            for path in targets:
                if path not in {d.path for d in report.left_alone}:
                    names = indexed.get(path.name.removesuffix(OPEN_SUFFIX), set())
                    report.rebuilt_index_lines += rebuild_article_lines(path, names, article_from_response, index)
        finally:
            index.close()
    for path in targets:
        if path.name.endswith(OPEN_SUFFIX):
            _finalise(path, report, on_finalised)
    return report


def _finalise(path: Path, report: RepairReport, on_finalised: Callable[[Path], None] | None) -> None:
    if path.stat().st_size == 0:
        # Killed before its first record was complete: nothing to keep.
        path.unlink()
        report.finalised.append(path)
        return
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    if final.exists():
        report.left_alone.append(Damage(path, "open-file", f"{final.name} exists too; compare them by hand"))
        return
    with open(path, "rb") as stream:
        os.fsync(stream.fileno())
    os.replace(path, final)
    report.finalised.append(final)
    if on_finalised is not None:
        on_finalised(final)
