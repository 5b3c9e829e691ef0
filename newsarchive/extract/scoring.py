"""The article-extraction-benchmark's own scoring: 4-token shingles, per-page P/R, corpus means.

Follows the rules in the benchmark's README (``shared/data/article-extraction-benchmark/README.md``):
tokens are maximal ``\\w+`` runs (case kept), shingles are overlapping runs of 4 tokens counted as a
multiset, a page's precision is TP/(TP+FP) and recall TP/(TP+FN); corpus precision and recall are the means
over the pages where they are defined, and F1 is the harmonic mean of those two means.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")
SHINGLE_SIZE = 4


def shingles(text: str | None, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """The multiset of ``size``-token shingles of ``text`` (one shorter shingle for a short text)."""
    tokens = _TOKEN.findall(text or "")
    if not tokens:
        return Counter()
    return Counter(tuple(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1)))


@dataclass(frozen=True)
class PageScore:
    """Shingle overlap of one page, as shares of TP+FP+FN (so every page weighs the same)."""

    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float | None:
        """TP/(TP+FP); None when the extractor returned nothing."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp > 0 else None

    @property
    def recall(self) -> float | None:
        """TP/(TP+FN); None when the reference is empty."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn > 0 else None

    @property
    def f1(self) -> float:
        """The page's own F1, 2TP/(2TP+FP+FN) (the corpus F1 is computed from means instead)."""
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)


def score_page(predicted: str | None, truth: str) -> PageScore:
    """Compare a predicted body with the reference body."""
    pred, true = shingles(predicted), shingles(truth)
    tp = sum((pred & true).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    if total == 0:
        # Both empty: a perfect answer.
        return PageScore(1.0, 0.0, 0.0)
    return PageScore(tp / total, fp / total, fn / total)


@dataclass(frozen=True)
class CorpusScore:
    """Corpus precision, recall and F1, plus exact-token accuracy."""

    precision: float
    recall: float
    f1: float
    accuracy: float


def score_corpus(pairs: Iterable[tuple[str | None, str]]) -> CorpusScore:
    """Score (predicted, truth) pairs the benchmark's way: F1 of the mean precision and mean recall."""
    precisions: list[float] = []
    recalls: list[float] = []
    exact = pages = 0
    for predicted, truth in pairs:
        pages += 1
        page = score_page(predicted, truth)
        if (p := page.precision) is not None:
            precisions.append(p)
        if (r := page.recall) is not None:
            recalls.append(r)
        exact += _TOKEN.findall(predicted or "") == _TOKEN.findall(truth)
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return CorpusScore(precision, recall, f1, exact / pages if pages else 0.0)
