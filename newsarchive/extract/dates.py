"""Publication dates: ISO strings from structured data and visible dates in Russian, Azerbaijani, English.

A time is never invented: a page that shows only a date gives a date only (``2025-09-08``).
"""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "января январь январе jan january yanvar yanvarın",
        "февраля февраль феврале feb february fevral fevralın",
        "марта март марте mar march mart martın",
        "апреля апрель апреле apr april aprel aprelin",
        "мая май мае may mayın",
        "июня июнь июне jun june iyun iyunun",
        "июля июль июле jul july iyul iyulun",
        "августа август августе aug august avqust avqustun",
        "сентября сентябрь сентябре sep sept september sentyabr sentyabrın",
        "октября октябрь октябре oct october oktyabr oktyabrın",
        "ноября ноябрь ноябре nov november noyabr noyabrın",
        "декабря декабрь декабре dec december dekabr dekabrın",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_MONTH_WORD = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_WORD})\.?,?\s+(\d{{4}})\b", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH_WORD})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b")
_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?")


def zone(name: str | None) -> tzinfo | None:
    """The time zone named by a profile (``Asia/Baku``), or None when unnamed or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def format_moment(day: date, clock: time | None, tz: tzinfo | None) -> str:
    """ISO 8601: a full timestamp with offset when the time and the zone are known, else the date alone.

    A local time without a zone cannot be given an offset without inventing one, so it is dropped.
    """
    if clock is None or tz is None:
        return day.isoformat()
    return datetime.combine(day, clock, tzinfo=tz).isoformat()


def parse_iso(value: str | None, tz: tzinfo | None = None) -> str | None:
    """Normalise an ISO-like date string to the site's zone.

    A timestamp with an offset is shown in the site's zone when one is known (``11:31Z`` is ``15:31+04:00`` in
    Baku); a naive one takes the site's zone, or is cut to its date when no zone is known.
    """
    if not value:
        return None
    match = _ISO.match(value)
    if not match:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        the_day = date(int(year), int(month), int(day))
        if hour is None:
            return the_day.isoformat()
        clock = time(int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    if not offset:
        return format_moment(the_day, clock, tz)
    moment = datetime.combine(the_day, clock, tzinfo=_offset(offset))
    return (moment.astimezone(tz) if tz is not None else moment).isoformat()


def _offset(text: str) -> tzinfo:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[-2:])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def find_visible_date(text: str) -> date | None:
    """The first calendar date written out in ``text`` (``08 сентября, 2025``, ``September 8, 2025``...)."""
    candidates: list[tuple[int, date]] = []
    for pattern, order in ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy")):
        match = pattern.search(text)
        if not match:
            continue
        if order == "dmy":
            day, month, year = match.group(1), _MONTHS[match.group(2).lower()], match.group(3)
        else:
            month, day, year = _MONTHS[match.group(1).lower()], match.group(2), match.group(3)
        try:
            candidates.append((match.start(), date(int(year), month, int(day))))
        except ValueError:
            continue
    match = _NUMERIC_DATE.search(text)
    if match:
        day, month, year = (int(group) for group in match.groups())
        with suppress(ValueError):
            candidates.append((match.start(), date(year, month, day)))
    return min(candidates)[1] if candidates else None


def find_visible_time(text: str) -> time | None:
    """The first ``HH:MM`` clock time in ``text``."""
    match = _TIME.search(text)
    return time(int(match.group(1)), int(match.group(2))) if match else None


def parse_visible(text: str, tz: tzinfo | None) -> str | None:
    """A date (and time, when one is written beside it) from visible text, as ISO 8601."""
    day = find_visible_date(text)
    if day is None:
        return None
    return format_moment(day, find_visible_time(text), tz)
