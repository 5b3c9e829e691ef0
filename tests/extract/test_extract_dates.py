"""Publication dates: visible Russian, Azerbaijani and English dates, structured timestamps, time zones."""

from __future__ import annotations

import pytest

from newsarchive.extract.dates import parse_iso, parse_visible, zone

BAKU = zone("Asia/Baku")


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("08 сентября, 2025 15:31", "2025-09-08T15:31:00+04:00"),
        ("08 sentyabr, 2025 15:31", "2025-09-08T15:31:00+04:00"),
        ("08 September, 2025 15:31", "2025-09-08T15:31:00+04:00"),
        ("1 января 2024 г., 09:05", "2024-01-01T09:05:00+04:00"),
        ("27 avqust, 2025 · 09:05", "2025-08-27T09:05:00+04:00"),
        ("September 8, 2025 at 15:31", "2025-09-08T15:31:00+04:00"),
        ("08.09.2025 15:31", "2025-09-08T15:31:00+04:00"),
    ],
)
def test_visible_date_and_time_in_each_language_take_the_site_offset(shown: str, expected: str) -> None:
    assert parse_visible(shown, BAKU) == expected


@pytest.mark.parametrize("shown", ["08 сентября, 2025", "08 sentyabr, 2025", "08 September, 2025"])
def test_a_date_without_a_time_stays_a_date(shown: str) -> None:
    assert parse_visible(shown, BAKU) == "2025-09-08"


def test_a_visible_time_without_a_known_zone_is_dropped_rather_than_given_an_invented_offset() -> None:
    assert parse_visible("08 сентября, 2025 15:31", None) == "2025-09-08"


def test_text_without_a_date_gives_none() -> None:
    assert parse_visible("Другие новости 15:31", BAKU) is None


def test_an_impossible_date_is_not_a_date() -> None:
    assert parse_visible("31 февраля, 2025", BAKU) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-09-08T15:31:00+04:00", "2025-09-08T15:31:00+04:00"),
        ("2025-09-08T15:31:00+0400", "2025-09-08T15:31:00+04:00"),
        ("2025-09-08T11:31:00Z", "2025-09-08T15:31:00+04:00"),
        ("2025-09-08T22:31:00.123-02:00", "2025-09-09T04:31:00+04:00"),
        ("2025-09-08T15:31:00", "2025-09-08T15:31:00+04:00"),
        ("2025-09-08", "2025-09-08"),
    ],
)
def test_structured_timestamps_are_shown_in_the_site_zone(value: str, expected: str) -> None:
    assert parse_iso(value, BAKU) == expected


def test_winter_and_summer_offsets_follow_the_zone_database() -> None:
    berlin = zone("Europe/Berlin")
    assert parse_iso("2025-01-15T12:00:00Z", berlin) == "2025-01-15T13:00:00+01:00"
    assert parse_iso("2025-07-15T12:00:00Z", berlin) == "2025-07-15T14:00:00+02:00"


def test_without_a_site_zone_an_offset_is_kept_and_a_naive_timestamp_becomes_a_date() -> None:
    assert parse_iso("2025-09-08T11:31:00Z", None) == "2025-09-08T11:31:00+00:00"
    assert parse_iso("2025-09-08T15:31:00", None) == "2025-09-08"


@pytest.mark.parametrize("value", ["", "yesterday", "2025-13-01", "08/09/2025"])
def test_what_is_not_an_iso_date_gives_none(value: str) -> None:
    assert parse_iso(value, BAKU) is None


def test_an_unknown_zone_name_is_no_zone() -> None:
    assert zone("Mars/Olympus_Mons") is None
