"""The run log: ``<archive>/runs.jsonl``, one JSON object per crawl, appended when the crawl ends.

A cron job's history in machine-readable form: when each run started and ended, what it fetched, the
errors by kind and its exit code. Only the lock holder appends, so lines never interleave.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsarchive.archive.jsonl import append_record, read_records
from newsarchive.archive.layout import RUNS_NAME


def append_run(archive_dir: str | os.PathLike[str], run: dict[str, Any]) -> None:
    """Append one run's summary as a single line, flushed and synced."""
    append_record(Path(archive_dir) / RUNS_NAME, run)


def read_runs(archive_dir: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every run, oldest first (lines counted as :mod:`~newsarchive.archive.jsonl` counts them)."""
    path = Path(archive_dir) / RUNS_NAME
    if path.exists():
        yield from read_records(path)
