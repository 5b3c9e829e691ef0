"""Articles as a dataset: one fixed schema in every export format (JSONL, CSV, Parquet) and in the Python API.

The article index keeps what the crawl extracted; this module is the reading edge that turns an index entry into
a dataset row (:func:`dataset_row`), the same in every format:

- the contract's keys first, then the extra ones, then ``published_date`` (the local date the site printed,
  ``YYYY-MM-DD``) and ``published_precision`` (``datetime`` when the page gave a time, ``date`` when only a day);
- ``alternates`` is a list of ``{"language", "url"}`` objects sorted by language, so its schema does not depend
  on the site's languages;
- in CSV a list cell holds a JSON array (``["economy", "oil|gas"]``), which splits back exactly, and a cell that
  a spreadsheet would run as a formula is prefixed with ``'``;
- in Parquet each column has one fixed type (:func:`parquet_schema`): ``published`` is a timestamp with time
  zone (UTC; null when only a date is known: no time is invented), ``published_date`` a date,
  ``fetched_at`` a timestamp, ``tags`` a list of strings, ``alternates`` a list of structs.

Writers stream: memory stays constant in the archive's size (Parquet in row groups of :data:`PARQUET_BATCH`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from newsarchive.archive.articles import CONTRACT_KEYS, EXTRA_KEYS
from newsarchive.errors import ConfigError

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
DERIVED_KEYS = ("published_date", "published_precision")
FIELDS = (*CONTRACT_KEYS, *EXTRA_KEYS, *DERIVED_KEYS)
PARQUET_BATCH = 1000
PARQUET_EXTRA = "parquet"


def alternates_list(value: Any) -> list[dict[str, str]]:
    """``{"ru": url, ...}`` (as the index keeps it) or a list of ``{language, url}`` -> the list, by language."""
    if not value:
        return []
    if isinstance(value, dict):
        return [{"language": language, "url": url} for language, url in sorted(value.items())]
    return sorted(({"language": a["language"], "url": a["url"]} for a in value), key=lambda a: a["language"])


def published_parts(published: str | None) -> tuple[str | None, str | None]:
    """``(published_date, published_precision)`` of a ``published`` value (``None, None`` when unknown)."""
    if not published:
        return None, None
    return published[:10], ("datetime" if "T" in published else "date")


def dataset_row(entry: dict[str, Any], fields: Sequence[str] = FIELDS) -> dict[str, Any]:
    """An article index entry as a dataset row: the keys of ``fields`` (all of :data:`FIELDS` by default), in
    that order (null when unknown)."""
    row = {key: entry.get(key) for key in fields}
    if "tags" in row:
        row["tags"] = list(row["tags"] or [])
    if "alternates" in row:
        row["alternates"] = alternates_list(row["alternates"])
    if "published_date" in row or "published_precision" in row:
        day, precision = published_parts(entry.get("published"))
        if "published_date" in row:
            row["published_date"] = day
        if "published_precision" in row:
            row["published_precision"] = precision
    return row


_INDEX_KEYS = (*CONTRACT_KEYS, *EXTRA_KEYS)


def entry_as_row(entry: dict[str, Any]) -> dict[str, Any]:
    """:func:`dataset_row` with every field, made of ``entry`` itself (which the caller gives up) when it holds
    the index's keys in the index's order, as the crawl writes them: export then builds no second dict."""
    if tuple(entry) != _INDEX_KEYS:
        return dataset_row(entry)
    entry["tags"] = list(entry["tags"] or [])
    entry["alternates"] = alternates_list(entry["alternates"])
    entry["published_date"], entry["published_precision"] = published_parts(entry["published"])
    return entry


def parse_fields(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"url,title"`` or a list -> the fields, in that order; all of :data:`FIELDS` when None. A ConfigError
    names an unknown field and lists the known ones."""
    if value is None:
        return FIELDS
    names = [name.strip() for name in (value.split(",") if isinstance(value, str) else value) if name.strip()]
    unknown = [name for name in names if name not in FIELDS]
    if unknown or not names:
        raise ConfigError(
            f"unknown field {', '.join(map(repr, unknown)) or '(none given)'} for --fields; "
            f"choose from: {', '.join(FIELDS)}"
        )
    return tuple(dict.fromkeys(names))


# ------------------------------------------------------------------------------------------------ writers


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: lists and objects as JSON, formula-like text neutralised with a leading quote."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)
    # A spreadsheet would run a cell starting with these as a formula: prefix it so it stays text.
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(rows: Iterable[dict[str, Any]], output: IO[str], fields: Sequence[str] = FIELDS) -> int:
    """CSV with a header row (``fields``, written even when no row follows); returns how many rows."""
    writer = csv.DictWriter(output, fieldnames=list(fields))
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
        count += 1
    return count


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ConfigError(
            "the parquet format needs pyarrow: pip install 'newsarchive[parquet]' (or pip install pyarrow)"
        ) from None
    return pyarrow


def parquet_schema(fields: Sequence[str] = FIELDS) -> Any:
    """The Arrow schema of the Parquet export: one fixed type per column, whatever the site."""
    pa = _pyarrow()
    types = {
        "tags": pa.list_(pa.string()),
        "alternates": pa.list_(pa.struct([("language", pa.string()), ("url", pa.string())])),
        "published": pa.timestamp("us", tz="UTC"),
        "modified": pa.timestamp("us", tz="UTC"),
        "fetched_at": pa.timestamp("us", tz="UTC"),
        "published_date": pa.date32(),
        "version": pa.int32(),
        "warc_offset": pa.int64(),
        "warc_length": pa.int64(),
    }
    return pa.schema([(key, types.get(key, pa.string())) for key in fields])


def _instant(value: str | None) -> datetime | None:
    """An ISO timestamp with offset as an aware UTC datetime; None for a date alone or nothing."""
    if not value or "T" not in value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:  # a local time without a zone is not an instant
        return None
    return moment.astimezone(UTC)


_PARQUET_VALUE: dict[str, Callable[[Any], Any]] = {
    "published": _instant,
    "modified": _instant,
    "fetched_at": _instant,
    "published_date": lambda value: date.fromisoformat(value) if value else None,
}


def write_parquet(
    rows: Iterable[dict[str, Any]], output: str | Path | IO[bytes], fields: Sequence[str] = FIELDS
) -> int:
    """Parquet with :func:`parquet_schema`, written in row groups of :data:`PARQUET_BATCH`; returns how many rows."""
    pa = _pyarrow()
    schema = parquet_schema(fields)
    count = 0
    batch: list[dict[str, Any]] = []
    with pa.parquet.ParquetWriter(output, schema) as writer:

        def flush() -> None:
            columns = {key: [_PARQUET_VALUE.get(key, _same)(row[key]) for row in batch] for key in fields}
            writer.write_table(pa.table(columns, schema=schema))
            batch.clear()

        for row in rows:
            batch.append(row)
            count += 1
            if len(batch) >= PARQUET_BATCH:
                flush()
        if batch or count == 0:
            flush()
    return count


def _same(value: Any) -> Any:
    return value


# ------------------------------------------------------------------------------------------------ filters


def as_bound(value: str | date | datetime | None) -> date | datetime | None:
    """A ``since``/``until`` bound: a date, an aware datetime (a naive one is taken as UTC), or an ISO string
    of either."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{value!r} is not a date (YYYY-MM-DD) or an ISO 8601 timestamp") from None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def published_within(row: dict[str, Any], since: date | datetime | None, until: date | datetime | None) -> bool:
    """Whether the article's ``published`` is within the inclusive bounds (an undated article never is).

    A date bound compares with the local date the site printed; a datetime bound with the instant, or, for an
    article known only to the day, with that day (so a day is never cut in two by a time it does not have).
    """
    if since is None and until is None:
        return True
    day_text, precision = published_parts(row.get("published"))
    if day_text is None:
        return False
    day = date.fromisoformat(day_text)
    instant = _instant(row.get("published")) if precision == "datetime" else None
    for bound, later in ((since, True), (until, False)):
        if bound is None:
            continue
        if isinstance(bound, datetime) and instant is not None:
            ok = instant >= bound if later else instant <= bound
        else:
            bound_day = bound.astimezone(UTC).date() if isinstance(bound, datetime) else bound
            ok = day >= bound_day if later else day <= bound_day
        if not ok:
            return False
    return True


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which index entries a reader keeps: published within ``since``/``until`` (inclusive, see
    :func:`published_within`), of host ``site`` and in language ``lang`` (lower case; None keeps all).

    A plain value, so worker processes can be given it.
    """

    since: date | datetime | None = None
    until: date | datetime | None = None
    site: str | None = None
    lang: str | None = None

    @classmethod
    def of(
        cls,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
        site: str | None = None,
        lang: str | None = None,
    ) -> ArticleFilter:
        """From the arguments of :meth:`newsarchive.archive.reader.Archive.articles` (bounds as :func:`as_bound`
        reads them, ``site`` and ``lang`` in any case)."""
        return cls(as_bound(since), as_bound(until), site.lower() if site else None, lang.lower() if lang else None)

    def __call__(self, entry: dict[str, Any]) -> bool:
        """Whether ``entry`` is kept."""
        if self.site and (entry.get("site") or "").lower() != self.site:
            return False
        if self.lang and (entry.get("language") or "").lower() != self.lang:
            return False
        return published_within(entry, self.since, self.until)
