"""Datasets: one fixed schema in JSONL, CSV and Parquet; ``--fields``, case-insensitive ``--lang``, CSV lists that
round-trip, ``published`` typed, the Python API's ``since`` taking a date or a datetime, and the README's pandas
and duckdb recipes run as written."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import REPO_ROOT, run_cli

from newsarchive import Archive
from newsarchive.archive.dataset import FIELDS

ENTRIES = [
    {
        "url": "https://news.example/ru/economy/oil-1/",
        "title": "Нефть",
        "text": "=1+1 is not a formula here",
        "published": "2025-09-08T15:31:00+04:00",
        "language": "ru",
        "category": "Экономика",
        "tags": ["oil|gas", "Баку"],
        "site": "news.example",
        "fetched_at": "2025-09-08T12:00:00.5Z",
        "version": 1,
        "warc_file": "a.warc.gz",
        "warc_record_id": "<urn:uuid:1>",
        "alternates": {"ru": "https://news.example/ru/economy/oil-1/", "en": "https://news.example/en/economy/oil-1/"},
        "warc_offset": 10,
        "warc_length": 20,
    },
    {
        "url": "https://news.example/en/economy/oil-1/",
        "title": "Oil",
        "text": "Known only to the day.",
        "published": "2025-09-07",
        "language": "en",
        "tags": [],
        "site": "news.example",
        "fetched_at": "2025-09-08T12:00:01Z",
        "version": 1,
        "warc_file": "a.warc.gz",
        "warc_record_id": "<urn:uuid:2>",
        "alternates": {},
        "warc_offset": 30,
        "warc_length": 40,
    },
]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """An archive whose article index holds a timestamped ru article and an en one known only to the day."""
    path = tmp_path / "archive"
    (path / "warc").mkdir(parents=True)
    (path / "indexes").mkdir()
    lines = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in ENTRIES)
    (path / "indexes" / "articles-20250908120000-1.jsonl").write_text(lines, encoding="utf-8")
    return path


def export(archive: Path, *args: str) -> str:
    result = run_cli("export", "--archive", str(archive), *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_jsonl_rows_have_every_field_in_order_and_alternates_as_a_list(archive):
    rows = [json.loads(line) for line in export(archive).splitlines()]
    assert [list(row) for row in rows] == [list(FIELDS)] * 2
    assert rows[0]["alternates"] == [
        {"language": "en", "url": "https://news.example/en/economy/oil-1/"},
        {"language": "ru", "url": "https://news.example/ru/economy/oil-1/"},
    ]
    assert rows[1]["alternates"] == []
    assert [(r["published"], r["published_date"], r["published_precision"]) for r in rows] == [
        ("2025-09-08T15:31:00+04:00", "2025-09-08", "datetime"),
        ("2025-09-07", "2025-09-07", "date"),
    ]


def test_csv_lists_are_json_arrays_that_split_back_exactly(archive):
    rows = list(csv.DictReader(export(archive, "--format", "csv").splitlines()))
    assert json.loads(rows[0]["tags"]) == ["oil|gas", "Баку"]
    assert json.loads(rows[0]["alternates"])[0] == {"language": "en", "url": "https://news.example/en/economy/oil-1/"}
    assert rows[0]["text"] == "'=1+1 is not a formula here"
    assert rows[1]["tags"] == "[]"


def test_fields_picks_and_orders_the_columns_in_every_format(archive, tmp_path):
    assert export(archive, "--fields", "title,url").splitlines()[0] == (
        '{"title":"Нефть","url":"https://news.example/ru/economy/oil-1/"}'
    )
    assert export(archive, "--format", "csv", "--fields", "language,title").splitlines() == [
        "language,title",
        "ru,Нефть",
        "en,Oil",
    ]
    run_cli("export", "--archive", str(archive), "--format", "parquet", "--fields", "url,published", "-o",
            str(tmp_path / "a.parquet"))  # fmt: skip
    assert pq.read_schema(tmp_path / "a.parquet").names == ["url", "published"]


def test_an_unknown_field_is_a_usage_error_naming_it(archive):
    result = run_cli("export", "--archive", str(archive), "--fields", "url,headline")
    assert result.returncode == 2
    assert result.stderr.startswith("Error: unknown field 'headline' for --fields; choose from: url, title, text,")
    assert result.stdout == ""


def test_lang_ignores_case(archive):
    assert [json.loads(line)["language"] for line in export(archive, "--lang", "RU").splitlines()] == ["ru"]


def test_parquet_has_a_fixed_schema_with_published_as_a_timestamp_with_time_zone(archive, tmp_path):
    output = tmp_path / "articles.parquet"
    result = run_cli("export", "--archive", str(archive), "--format", "parquet", "-o", str(output))
    assert result.returncode == 0, result.stderr
    table = pq.read_table(output)
    assert table.schema.field("published").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("published_date").type == pa.date32()
    assert table.schema.field("tags").type == pa.list_(pa.string())
    assert table.schema.field("alternates").type == pa.list_(pa.struct([("language", pa.string()),
                                                                        ("url", pa.string())]))  # fmt: skip
    rows = table.to_pylist()
    assert rows[0]["published"] == datetime(2025, 9, 8, 11, 31, tzinfo=UTC)
    assert rows[0]["fetched_at"] == datetime(2025, 9, 8, 12, 0, 0, 500000, tzinfo=UTC)
    assert (rows[1]["published"], rows[1]["published_date"], rows[1]["published_precision"]) == (
        None,
        date(2025, 9, 7),
        "date",
    )


def test_parquet_of_an_empty_selection_still_has_the_schema(archive, tmp_path):
    output = tmp_path / "none.parquet"
    run_cli("export", "--archive", str(archive), "--format", "parquet", "--lang", "az", "-o", str(output))
    assert pq.read_table(output).num_rows == 0
    assert pq.read_schema(output).names == list(FIELDS)


def test_parquet_to_stdout_is_refused(archive):
    result = run_cli("export", "--archive", str(archive), "--format", "parquet")
    assert result.returncode == 2
    assert result.stderr == "Error: parquet is a binary file format: give --output FILE.parquet\n"


def test_parquet_without_pyarrow_names_the_extra(archive, tmp_path):
    blocker = tmp_path / "no-pyarrow"
    (blocker / "pyarrow").mkdir(parents=True)
    (blocker / "pyarrow" / "__init__.py").write_text("raise ImportError('pyarrow is not installed')\n")
    output = tmp_path / "a.parquet"
    result = run_cli(
        "export", "--archive", str(archive), "--format", "parquet", "-o", str(output),
        env={"PYTHONPATH": os.pathsep.join([str(blocker), str(REPO_ROOT)])},
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        "Error: the parquet format needs pyarrow: pip install 'newsarchive[parquet]' (or pip install pyarrow)\n"
    )
    assert not output.exists()


def test_articles_since_takes_a_date_a_datetime_or_a_string(archive):
    def urls(**filters) -> list[str]:
        return [a["language"] for a in Archive(archive).articles(**filters)]

    assert urls(since=date(2025, 9, 8)) == ["ru"]
    assert urls(since="2025-09-07") == ["ru", "en"]
    assert urls(until=date(2025, 9, 7)) == ["en"]
    # 15:31 in Baku is 11:31 UTC; a naive datetime is UTC.
    assert urls(since=datetime(2025, 9, 8, 11, 31, tzinfo=UTC)) == ["ru"]
    assert urls(since=datetime(2025, 9, 8, 11, 32)) == []
    # A day-only article is within a datetime bound on its day.
    assert urls(since=datetime(2025, 9, 7, 23, 0, tzinfo=UTC)) == ["ru", "en"]


# ---------------------------------------------------------------- the README's recipes, as written there


@pytest.fixture
def exports(archive, tmp_path) -> Path:
    """articles.jsonl, articles.csv and articles.parquet in a directory (the recipes' working directory)."""
    for format_ in ("jsonl", "csv", "parquet"):
        result = run_cli("export", "--archive", str(archive), "--format", format_, "-o",
                         str(tmp_path / f"articles.{format_}"))  # fmt: skip
        assert result.returncode == 0, result.stderr
    return tmp_path


def test_pandas_reads_each_format_with_typed_dates(exports, monkeypatch):
    monkeypatch.chdir(exports)
    # README, "Datasets": pandas
    frame = pd.read_parquet("articles.parquet")
    jsonl = pd.read_json("articles.jsonl", lines=True, dtype={"published": str, "published_date": str})
    jsonl["published"] = pd.to_datetime(jsonl["published"].where(jsonl["published_precision"] == "datetime"),
                                        utc=True, format="ISO8601")  # fmt: skip
    table = pd.read_csv("articles.csv", converters={"tags": json.loads, "alternates": json.loads})
    # end of recipe
    assert str(frame["published"].dtype) == "datetime64[us, UTC]"
    assert frame["published"].iloc[0] == pd.Timestamp("2025-09-08T11:31:00Z")
    assert pd.isna(frame["published"].iloc[1])
    assert jsonl["published"].iloc[0] == frame["published"].iloc[0]
    assert table["tags"].iloc[0] == ["oil|gas", "Баку"]


def test_duckdb_reads_each_format_with_typed_dates(exports, monkeypatch):
    monkeypatch.chdir(exports)
    # README, "Datasets": duckdb
    parquet = duckdb.sql("SELECT published, published_date, tags FROM 'articles.parquet'").fetchall()
    jsonl = duckdb.sql(
        "SELECT CASE WHEN published_precision = 'datetime' THEN published::TIMESTAMPTZ END AS published, "
        "published_date::DATE AS published_date FROM read_json_auto('articles.jsonl')"
    ).fetchall()
    tags = duckdb.sql("SELECT tags::VARCHAR[] FROM read_csv('articles.csv')").fetchall()
    # end of recipe
    assert parquet[0][0] == jsonl[0][0]
    assert parquet[0][0].astimezone(UTC) == datetime(2025, 9, 8, 11, 31, tzinfo=UTC)
    assert parquet[1][:2] == (None, date(2025, 9, 7)) == jsonl[1]
    assert parquet[0][2] == ["oil|gas", "Баку"] == tags[0][0]
