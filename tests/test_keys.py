"""KeySet and KeyMap: 64-bit keys kept in sorted arrays, the newest in a small set or dict."""

from __future__ import annotations

import random
import tracemalloc

from newsarchive.keys import KeyMap, KeySet


def test_a_keyset_answers_as_a_set_does_across_merges():
    rng = random.Random(7)
    keys = KeySet(batch=64)
    reference: set[int] = set()
    for _ in range(5000):
        key = rng.choice((rng.getrandbits(64), -rng.getrandbits(63), rng.randrange(300)))
        assert (key in keys) == ((key % 2**64) in reference)
        keys.add(key)
        reference.add(key % 2**64)
    assert len(keys) == len(reference)
    assert all(key in keys for key in reference)
    others = {rng.getrandbits(64) for _ in range(1000)} - reference
    assert not [key for key in others if key in keys]
    assert "not a key" not in keys


def test_hash_values_of_any_sign_are_kept():
    keys = KeySet(hash(text) for text in ("a", "b", "http://example.test/"))
    assert hash("a") in keys and hash("http://example.test/") in keys and hash("c") not in keys
    assert len(keys) == 3
    keys.update([hash("a"), -1, 2**64 - 1])
    assert len(keys) == 4, "-1 and 2**64 - 1 are one key"


def test_thirty_thousand_keys_take_about_eight_bytes_each():
    tracemalloc.start()
    try:
        keys = KeySet(hash(f"http://example.test/news/{n}") for n in range(30_000))
        # Every key found, twice: the set of recent hits is emptied whenever it holds a batch.
        found = sum(hash(f"http://example.test/news/{n}") in keys for n in [*range(30_000), *range(30_000)])
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(keys) == 30_000 and found == 60_000
    # The array, at most one batch of newest keys and one of recent hits in sets; a set of 30,000 ints would
    # take over 2 MB.
    assert held < 30_000 * 8 + 2 * 500_000, held


def test_a_keymap_answers_as_a_dict_does_across_merges():
    rng = random.Random(11)
    entries = KeyMap(batch=64)
    reference: dict[int, int] = {}
    for n in range(5000):
        key = rng.choice((rng.getrandbits(64), -rng.getrandbits(63), rng.randrange(300)))
        assert entries.get(key) == reference.get(key % 2**64)
        entries[key] = n  # a key set again (the small ones, often) takes its new value, before and after a merge
        reference[key % 2**64] = n
    assert all(entries.get(key) == value for key, value in reference.items())
    others = {rng.getrandbits(64) for _ in range(1000)} - reference.keys()
    assert not [key for key in others if entries.get(key) is not None]


def test_thirty_thousand_entries_take_about_sixteen_bytes_each():
    tracemalloc.start()
    try:
        entries = KeyMap()
        for n in range(30_000):
            entries[hash(f"http://example.test/news/{n}")] = n * 4000
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert entries.get(hash("http://example.test/news/29999")) == 29_999 * 4000
    # The two arrays and at most one batch of newest entries in a dict; a dict of 30,000 ints would take 3 MB.
    assert held < 30_000 * 16 + 700_000, held
