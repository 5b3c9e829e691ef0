"""The benchmark's scoring rules: 4-token shingles as a multiset, corpus means, F1 of the means."""

from __future__ import annotations

import pytest

from newsarchive.extract.scoring import score_corpus, score_page, shingles


def test_tokens_are_word_runs_so_punctuation_splits_and_case_is_kept() -> None:
    assert shingles("The U.S. said") == {("The", "U", "S", "said"): 1}


def test_a_text_shorter_than_four_tokens_is_one_shorter_shingle() -> None:
    assert shingles("Breaking news") == {("Breaking", "news"): 1}
    assert shingles("") == {}


def test_repeated_shingles_count_as_a_multiset() -> None:
    assert shingles("a b c d a b c d")[("a", "b", "c", "d")] == 2


def test_page_precision_and_recall_from_shingle_overlap() -> None:
    page = score_page("one two three four five six", "one two three four five")
    assert page.precision == pytest.approx(2 / 3)
    assert page.recall == 1.0


def test_an_empty_prediction_lowers_recall_but_not_precision() -> None:
    score = score_corpus([("one two three four", "one two three four"), (None, "five six seven eight")])
    assert score.precision == 1.0
    assert score.recall == 0.5
    assert score.f1 == pytest.approx(2 / 3)
    assert score.accuracy == 0.5
