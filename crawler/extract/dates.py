"""Dates as pages write them (ISO with or without offset, German human dates, RFC strings), read aware."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Europe/Berlin")
"""Wall-clock times without an offset are read in this zone (German publishers); the result is still aware."""

_TZ_NAMES: dict[str, tzinfo] = {
    "CEST": timezone(timedelta(hours=2)),
    "MESZ": timezone(timedelta(hours=2)),
    "CET": timezone(timedelta(hours=1)),
    "MEZ": timezone(timedelta(hours=1)),
    "UTC": UTC,
    "GMT": UTC,
    "Z": UTC,
    "BST": timezone(timedelta(hours=1)),
    "EST": timezone(timedelta(hours=-5)),
    "EDT": timezone(timedelta(hours=-4)),
}
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_GERMAN_DATE = re.compile(
    r"(?<!\d)(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?!\d)(?:\D{1,12}?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?"
)
_GERMAN_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("januar", "jan"),
            ("februar", "feb"),
            ("märz", "mär", "maerz"),
            ("april", "apr"),
            ("mai",),
            ("juni", "jun"),
            ("juli", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt"),
            ("november", "nov"),
            ("dezember", "dez"),
        )
    )
    for m in names
}
_GERMAN_LONG = re.compile(
    r"(\d{1,2})\.\s*([A-Za-zäÄ]{3,9})\.?\s+(\d{4})(?:\D{1,12}?(\d{1,2})[:.](\d{2}))?",
)


class When:
    """A date read off a page: the aware datetime in the page's own offset, and whether it had a time."""

    __slots__ = ("has_time", "raw", "value")

    def __init__(self, value: datetime, has_time: bool, raw: str) -> None:
        self.value = value
        self.has_time = has_time
        self.raw = raw

    @property
    def utc(self) -> datetime:
        return self.value.astimezone(UTC)


def read_date(value: Any, default_tz: tzinfo = DEFAULT_TZ) -> When | None:
    """Read a machine or German human date; wall-clock times are placed in `default_tz`. None when unreadable."""
    if not isinstance(value, str):
        return None
    raw = value
    value = value.strip()
    if not value or len(value) > 80:
        return None
    if _DATE_ONLY.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
        return When(datetime(day.year, day.month, day.day, tzinfo=default_tz), False, raw)
    iso = value.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", value) else value
    if iso.endswith("Z"):
        iso = iso[:-1] + "+00:00"
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = _read_human(value)
        if parsed is None:
            return None
        if isinstance(parsed, When):
            return parsed
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    if not 1990 <= parsed.year <= 2100:
        return None
    return When(parsed, True, raw)


def read_human_date(value: str, default_tz: tzinfo = DEFAULT_TZ) -> When | None:
    """A German date written for readers (`Do 25.04.24 | 14:07 Uhr`, `28. April 2023`), found inside a text."""
    parsed = _read_human(value, fuzzy=True)
    if parsed is None or isinstance(parsed, When):
        return parsed
    return When(parsed.replace(tzinfo=parsed.tzinfo or default_tz), True, value)


def _read_human(value: str, fuzzy: bool = False) -> datetime | When | None:
    """German dates (`28.04.2023, 18:16 Uhr`, `28. April 2023`) and RFC/`date`-style strings via dateutil."""
    match = _GERMAN_DATE.search(value)
    month: int | None
    if match:
        day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        year = year + 2000 if year < 100 else year
        hour, minute = match.group(4), match.group(5)
    else:
        match = _GERMAN_LONG.search(value)
        month = _GERMAN_MONTHS.get(match.group(2).lower()) if match else None
        if match and month:
            day, year = int(match.group(1)), int(match.group(3))
            hour, minute = match.group(4), match.group(5)
        else:
            match = None
    if match and month:
        try:
            if hour is None:
                return When(datetime(year, month, day, tzinfo=DEFAULT_TZ), False, value)
            return datetime(year, month, day, int(hour), int(minute))
        except ValueError:
            return None
    if fuzzy:
        return None
    try:
        from dateutil import parser as dateutil_parser

        return dateutil_parser.parse(value, tzinfos=_TZ_NAMES)
    except (ValueError, OverflowError, TypeError, LookupError):
        return None


def parse_datetime(value: str | None) -> datetime | None:
    """ISO-8601 with an offset (`+0200` or `+02:00`, `Z`) to UTC; naive or unreadable values give None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value.strip().replace(" ", "T", 1)))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def best_date(candidates: Iterable[Any], default_tz: tzinfo = DEFAULT_TZ) -> When | None:
    """The first candidate with a time; else the first date-only candidate."""
    day_only: When | None = None
    for raw in candidates:
        when = read_date(raw, default_tz)
        if when is None:
            continue
        if when.has_time:
            return when
        day_only = day_only or when
    return day_only
