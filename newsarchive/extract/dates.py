"""Publication dates: ISO strings from structured data and visible dates in Russian, Azerbaijani, English.

A time is never invented: a page that shows only a date gives a date only (``2025-09-08``). A time shown
without a zone to place it in is kept as local time only under :data:`LOCAL_TIME`, for a caller that learns
the site's UTC offset later (:func:`localize`); everywhere else it is dropped.
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


_FIXED_OFFSET = re.compile(r"^(?:UTC)?([+-])(\d{2}):?(\d{2})$")
# The offset a date string states: ISO (+04:00, +0400, Z) or RFC 822 (+0400, GMT, UT).
_STATED_OFFSET = re.compile(r"(?:\d(Z)|([+-]\d{2}):?(\d{2})|\s(GMT|UTC?))\s*$")


_CLOCK = re.compile(r"\d:\d\d")


class _LocalTime(tzinfo):
    """A zone that is not known yet: times in it print without an offset (``utcoffset`` is None)."""

    def utcoffset(self, moment: datetime | None) -> None:
        return None

    def dst(self, moment: datetime | None) -> None:
        return None

    def tzname(self, moment: datetime | None) -> str:
        return "local"

    def __repr__(self) -> str:
        return "LOCAL_TIME"


# Keep a shown time as naive local time (``2025-09-08T15:31:00``) for :func:`localize` to place later.
LOCAL_TIME: tzinfo = _LocalTime()


def zone(name: str | None) -> tzinfo | None:
    """The time zone named by a profile (``Asia/Baku``) or a fixed UTC offset (``+04:00``); None when unnamed
    or unknown."""
    if not name:
        return None
    if match := _FIXED_OFFSET.match(name.strip()):
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-delta if sign == "-" else delta) if delta < timedelta(hours=24) else None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def is_known_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone or a fixed offset that :func:`zone` understands."""
    return zone(name) is not None


def stated_offset(value: str | None) -> str | None:
    """The UTC offset a timestamp states, as ``+04:00`` (``+00:00`` for ``Z`` and ``GMT``); None if it states none.

    Only a timestamp with a time of day states one (a date alone has no offset).
    """
    if not value or not (match := _STATED_OFFSET.search(value.strip())) or not _CLOCK.search(value):
        return None
    zulu, hours, minutes, gmt = match.groups()
    if zulu or gmt:
        return "+00:00"
    return f"{hours}:{minutes}"


def is_local_time(value: str | None) -> bool:
    """Whether ``value`` is a naive local timestamp waiting for its zone (see :data:`LOCAL_TIME`)."""
    if not value or len(value) <= 10:
        return False
    try:
        return datetime.fromisoformat(value).utcoffset() is None
    except ValueError:
        return False


def localize(value: str | None, tz: tzinfo | None) -> str | None:
    """Place a naive local timestamp (from :data:`LOCAL_TIME`) in ``tz``; without a zone keep its date alone.

    Values with an offset, and dates alone, are returned as they are.
    """
    if not is_local_time(value):
        return value
    moment = datetime.fromisoformat(value)  # type: ignore[arg-type]
    if tz is None or tz is LOCAL_TIME:
        return moment.date().isoformat()
    return moment.replace(tzinfo=tz).isoformat()


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
    return (moment.astimezone(tz) if tz is not None and tz is not LOCAL_TIME else moment).isoformat()


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
