"""Score newsarchive's text extraction on the public article-extraction benchmark, next to plain trafilatura.

Usage: ``python benchmarks/extraction.py [--data DIR] [--limit N] [--repeat N] [--configs]``

``--configs`` scores newsarchive's whole pipeline under each cheaper trafilatura configuration instead (the
readability/jusText fallback only below a text length, on every page, or never (``fast``); no precision
pruning), with its F1 and milliseconds per page.

The data directory is ``--data``, else ``$NEWSARCHIVE_BENCHMARK_DATA``, else
``../shared/data/article-extraction-benchmark`` beside the repository. Every configuration extracts the same
pages from the same bytes in the same run; scores use the benchmark's own rules (4-token shingles, see
``newsarchive.extract.scoring``). Speed is the best of ``--repeat`` timed passes taken in turns, after the
scoring pass has warmed the libraries' lazy imports and caches.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from newsarchive.extract import TRAFILATURA_OPTIONS, extract_article
from newsarchive.extract import extraction as extraction_module
from newsarchive.extract.scoring import CorpusScore, score_corpus

DATA_ENV = "NEWSARCHIVE_BENCHMARK_DATA"
DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "article-extraction-benchmark"


@dataclass(frozen=True)
class Page:
    """One benchmark page: its raw bytes, URL and reference body."""

    doc_id: str
    url: str
    body: bytes
    truth: str


def load_pages(data: Path, limit: int | None = None) -> list[Page]:
    """The benchmark's pages in doc_id order (the first ``limit`` of them when given)."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[:limit]
    return [
        Page(
            doc_id,
            truth[doc_id]["url"],
            gzip.decompress((data / "html" / f"{doc_id}.html.gz").read_bytes()),
            truth[doc_id]["articleBody"],
        )
        for doc_id in ids
    ]


def newsarchive_text(page: Page) -> str | None:
    """newsarchive's whole pipeline (decode, parse once, body and metadata), keeping the body."""
    article = extract_article(page.body, page.url)
    return article.text if article else None


def trafilatura_text(**options: object) -> Callable[[Page], str | None]:
    """Plain ``trafilatura.extract()`` on the same bytes, with the given options."""
    return lambda page: trafilatura.extract(page.body, url=page.url, **options)


EXTRACTORS: dict[str, Callable[[Page], str | None]] = {
    "newsarchive": newsarchive_text,
    "trafilatura (default)": trafilatura_text(),
    "trafilatura (precision)": trafilatura_text(**TRAFILATURA_OPTIONS),
}


def score(extractor: Callable[[Page], str | None], pages: list[Page]) -> CorpusScore:
    """Score one extractor on the pages (this pass also warms its lazy imports and caches)."""
    return score_corpus((extractor(page), page.truth) for page in pages)


def speeds(pages: list[Page], repeat: int) -> dict[str, float]:
    """Pages per second of each extractor: the best of ``repeat`` passes, taken in turns so drift hits all."""
    best = dict.fromkeys(EXTRACTORS, float("inf"))
    for _ in range(repeat):
        for name, extractor in EXTRACTORS.items():
            start = time.perf_counter()
            for page in pages:
                extractor(page)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: len(pages) / seconds for name, seconds in best.items()}


# The trafilatura options newsarchive could run with (trafilatura 2's ``fast`` is its old ``no_fallback``: no
# comparison with readability and jusText), and below how many characters of text the fallback runs
# (newsarchive.extract.extraction.FALLBACK_BELOW; None: on every page).
PRECISION = {"include_comments": False, "favor_precision": True}
CONFIGS: dict[str, tuple[dict[str, bool], int | None]] = {
    "precision, fallback below 1,000 chars (kept)": (PRECISION, 1000),
    "precision, fallback below 500 chars": (PRECISION, 500),
    "precision, fallback on every page": (PRECISION, None),
    "no precision pruning": ({"include_comments": False}, None),
    "precision, fast": ({**PRECISION, "fast": True}, None),
    "fast, no precision": ({"include_comments": False, "fast": True}, None),
}


def compare_configs(pages: list[Page], repeat: int) -> None:
    """newsarchive's pipeline under each of :data:`CONFIGS`: F1 and ms per page (best of ``repeat``)."""
    kept = dict(extraction_module.TRAFILATURA_OPTIONS), extraction_module.FALLBACK_BELOW
    print(f"{'trafilatura configuration':<46}{'precision':>10}{'recall':>10}{'F1':>10}{'ms/page':>10}")
    try:
        for name, (options, fallback_below) in CONFIGS.items():
            extraction_module.TRAFILATURA_OPTIONS.clear()
            extraction_module.TRAFILATURA_OPTIONS.update(options)
            extraction_module.FALLBACK_BELOW = fallback_below
            result = score(newsarchive_text, pages)
            best = float("inf")
            for _ in range(repeat):
                start = time.perf_counter()
                for page in pages:
                    newsarchive_text(page)
                best = min(best, time.perf_counter() - start)
            print(f"{name:<46}{result.precision:>10.4f}{result.recall:>10.4f}{result.f1:>10.4f}"
                  f"{1000 * best / len(pages):>10.2f}")  # fmt: skip
    finally:
        extraction_module.TRAFILATURA_OPTIONS.clear()
        extraction_module.TRAFILATURA_OPTIONS.update(kept[0])
        extraction_module.FALLBACK_BELOW = kept[1]


def main(argv: list[str] | None = None) -> int:
    """Print precision, recall, F1, accuracy and pages/s per extractor; 2 when the data is missing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get(DATA_ENV) or DEFAULT_DATA))
    parser.add_argument("--limit", type=int, help="only the first N pages (by doc_id)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per extractor (best is kept)")
    parser.add_argument("--configs", action="store_true", help="compare cheaper trafilatura configurations")
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.json").is_file():
        print(
            f"benchmark data not found in {args.data}: set {DATA_ENV} or pass --data to the directory holding "
            "ground-truth.json and html/",
            file=sys.stderr,
        )
        return 2
    pages = load_pages(args.data, args.limit)
    print(f"{len(pages)} pages from {args.data}, trafilatura {trafilatura.__version__}")
    if args.configs:
        compare_configs(pages, args.repeat)
        return 0
    print(f"{'extractor':<26}{'precision':>10}{'recall':>10}{'F1':>10}{'accuracy':>10}{'pages/s':>10}")
    scores = {name: score(extractor, pages) for name, extractor in EXTRACTORS.items()}
    rates = speeds(pages, args.repeat)
    for name, result in scores.items():
        print(
            f"{name:<26}{result.precision:>10.3f}{result.recall:>10.3f}{result.f1:>10.3f}"
            f"{result.accuracy:>10.3f}{rates[name]:>10.1f}"
        )
    cost = rates["trafilatura (precision)"] / rates["newsarchive"]
    print(f"newsarchive's cost per page: {cost:.2f}x plain trafilatura with the same options")
    return 0


if __name__ == "__main__":
    sys.exit(main())
