"""The run log: ``<archive>/runs.jsonl``, one JSON object per crawl, appended when the crawl ends.

A cron job's history in machine-readable form: when each run started and ended, what it fetched, the
errors by kind and its exit code. Only the lock holder appends, so lines never interleave.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RUNS_NAME = "runs.jsonl"


def append_run(archive_dir: str | os.PathLike[str], run: dict[str, Any]) -> None:
    """Append one run's summary as a single line, flushed and synced."""
    with open(Path(archive_dir) / RUNS_NAME, "a", encoding="utf-8") as runs:
        runs.write(json.dumps(run, ensure_ascii=False) + "\n")
        runs.flush()
        os.fsync(runs.fileno())


def read_runs(archive_dir: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every complete run line, oldest first (a line torn by a crash is skipped)."""
    path = Path(archive_dir) / RUNS_NAME
    if not path.exists():
        return
    with open(path, encoding="utf-8") as runs:
        for line in runs:
            if line.endswith("\n"):
                yield json.loads(line)
