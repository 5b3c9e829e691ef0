"""Regression floor on a fixed sample of the public article-extraction benchmark.

The floors are the figures of a real run (trafilatura 2.3.1, every third page by doc_id, 61 pages:
P 0.9573, R 0.9525, F1 0.9549), rounded down to three decimals. A change that lowers them fails here;
``benchmarks/extraction.py`` gives the whole-corpus figures next to plain trafilatura.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from newsarchive.extract import extract_article
from newsarchive.extract.scoring import score_corpus

BENCHMARK = Path("article-extraction-benchmark")
REPO = Path(__file__).resolve().parents[2]
F1_FLOOR = 0.954
PRECISION_FLOOR = 0.957
SAMPLE_STEP = 3


def benchmark_dir() -> Path | None:
    """``$NEWSARCHIVE_BENCHMARK_DATA``, else ``shared/data`` beside the repository, else the workplace copy."""
    candidates = [REPO.parent / "shared" / "data" / BENCHMARK, Path("/work/shared/data") / BENCHMARK]
    if env := os.environ.get("NEWSARCHIVE_BENCHMARK_DATA"):
        candidates.insert(0, Path(env))
    return next((path for path in candidates if (path / "ground-truth.json").is_file()), None)


def test_f1_on_the_benchmark_sample_stays_above_the_recorded_floor() -> None:
    data = benchmark_dir()
    if data is None:
        pytest.skip("article-extraction-benchmark data not found: set NEWSARCHIVE_BENCHMARK_DATA to its directory")
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pairs = []
    for doc_id in sorted(truth)[::SAMPLE_STEP]:
        article = extract_article(
            gzip.decompress((data / "html" / f"{doc_id}.html.gz").read_bytes()), truth[doc_id]["url"]
        )
        pairs.append((article.text if article else None, truth[doc_id]["articleBody"]))
    score = score_corpus(pairs)
    assert len(pairs) == 61, f"the sample changed: {data} holds {len(truth)} pages"
    assert score.f1 >= F1_FLOOR, f"F1 {score.f1:.4f} fell below the floor {F1_FLOOR}"
    assert score.precision >= PRECISION_FLOOR, f"precision {score.precision:.4f} fell below {PRECISION_FLOOR}"
