"""The revisit policy, pure: when a stored article is due again, and which signals make it due sooner.

As NewsDiffs does, the interval between two fetches of an article grows with the time since the article last
changed (by default ~15 min under 3 h, hourly under a day, every 3 h under a week, every 3 days under a month,
then monthly). "Last changed" is the latest of its publication, the modification date it declares and the last
edit newsmon saw, so a live story that keeps changing stays young and an old article found in a sitemap does not.

Signals say an article changed before its turn: a teaser headline that differs from the one stored, or a date
from a sitemap (`lastmod`), feed or page (`dateModified`) past what is stored. A known article that is neither
due nor signalled is not requested; an unknown one always is. No Scrapy, no database: see
`crawler.discover.revisit.planner` for the component that applies it in a crawl.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crawler.config import default
from crawler.model.known import Known
from crawler.model.normalize import clean_text, comparable

DEFAULT_INTERVALS: str = default("NEWSMON_REVISIT_INTERVALS")
"""`age=interval` pairs, youngest first; `*` covers every older article."""

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
SLACK = timedelta(seconds=1)
"""Dates are compared with this slack: BSON keeps milliseconds, sitemaps seconds, HTTP dates whole seconds."""


def parse_duration(text: str) -> timedelta:
    """`15m`, `3h`, `1.5d`, `2w` -> timedelta."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r} (use a number and one of s, m, h, d, w: 15m, 3h, 1d)")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@dataclass(frozen=True)
class Intervals:
    """Revisit interval by age: `steps` are (age limit, interval) pairs, youngest first; `rest` for older."""

    steps: tuple[tuple[timedelta, timedelta], ...]
    rest: timedelta

    @classmethod
    def parse(cls, text: str = DEFAULT_INTERVALS) -> Intervals:
        """`"3h=15m, 1d=1h, *=30d"`: ages must increase; `*` (required, last) is the interval beyond them."""
        steps: list[tuple[timedelta, timedelta]] = []
        rest: timedelta | None = None
        for part in filter(None, (p.strip() for p in str(text).split(","))):
            age, sep, interval = part.partition("=")
            if not sep:
                raise ValueError(f"revisit interval {part!r}: use age=interval, e.g. 3h=15m")
            if rest is not None:
                raise ValueError(f"revisit intervals: {part!r} after the `*` entry")
            if age.strip() == "*":
                rest = parse_duration(interval)
                continue
            limit = parse_duration(age)
            if steps and limit <= steps[-1][0]:
                raise ValueError(f"revisit intervals: ages must increase ({part!r})")
            steps.append((limit, parse_duration(interval)))
        if rest is None:
            raise ValueError("revisit intervals: end with `*=<interval>` for articles older than the last age")
        return cls(tuple(steps), rest)

    def interval(self, age: timedelta) -> timedelta:
        for limit, interval in self.steps:
            if age < limit:
                return interval
        return self.rest


@dataclass(frozen=True)
class Hint:
    """What discovery saw of an article: a teaser's headline, a sitemap/feed date."""

    headline: str | None = None
    modified: datetime | None = None


def utc(value: datetime | None) -> datetime | None:
    """pymongo gives naive UTC datetimes unless tz_aware; every comparison here is aware."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def last_change(known: Known) -> datetime | None:
    """The latest moment the article is known to have changed: publication, declared modification, or an
    edit newsmon stored (a first version is not an edit: it only says when newsmon first fetched it)."""
    candidates = [utc(known.published), utc(known.modified)]
    if known.version > 1:
        candidates.append(utc(known.last_changed))
    found = [c for c in candidates if c is not None]
    return max(found) if found else None


class RevisitPolicy:
    """Decides, for one run, which known articles are fetched again and when each is due next."""

    def __init__(self, intervals: Intervals | None = None) -> None:
        self.intervals = intervals or Intervals.parse()

    def next_visit(self, fetched_at: datetime, changed_at: datetime | None) -> datetime:
        """Due time after a fetch at `fetched_at` of an article last changed at `changed_at`."""
        fetched_at = utc(fetched_at) or datetime.now(UTC)
        changed_at = utc(changed_at) or fetched_at
        return fetched_at + self.intervals.interval(max(timedelta(0), fetched_at - changed_at))

    def due_at(self, known: Known) -> datetime | None:
        """When `known` is due: the stored `next_visit`, else (stored before it existed) from its last fetch;
        None for an article never fetched (always due)."""
        if known.next_visit is not None:
            return utc(known.next_visit)
        if known.last_fetched is None:
            return None
        return self.next_visit(known.last_fetched, last_change(known) or utc(known.last_fetched))

    def is_due(self, known: Known, now: datetime) -> bool:
        due = self.due_at(known)
        return due is None or due <= now

    @staticmethod
    def signal(known: Known, hint: Hint | None) -> str | None:
        """Why `hint` says the article changed since it was stored (`teaser_headline`, `modified`), or None."""
        if hint is None:
            return None
        if hint.headline and known.teaser_headline and _text(hint.headline) != _text(known.teaser_headline):
            return "teaser_headline"
        moved = utc(hint.modified)
        if moved is not None:
            stored = [utc(d) for d in (known.modified, known.published, known.hinted_modified)]
            base = max((d for d in stored if d is not None), default=None)
            if base is None or moved > base + SLACK:
                return "modified"
        return None


def _text(value: str) -> str:
    return comparable(clean_text(value))


def parse_intervals(value: str | Sequence[str] | None) -> Intervals:
    """The `NEWSMON_REVISIT_INTERVALS` setting (a string, or a list of `age=interval` items)."""
    if value is None or value == "":
        return Intervals.parse()
    if not isinstance(value, str):
        value = ", ".join(value)
    return Intervals.parse(value)
