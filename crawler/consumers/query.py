"""Filters from untrusted input (command line, query string) turned into MongoDB queries we build ourselves.

A value from outside is only ever a typed value in a query: a string compared for equality, a datetime, an int,
or a regular expression we escaped. Nothing is parsed as JSON, so `{"$ne": null}` given as a site is a site
name that matches nothing, never an operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crawler.changes.classify import EditClass
from crawler.model.times import parse_instant
from crawler.store import schema

EDIT_CLASSES = tuple(c.value for c in EditClass)
FIELD_NAME = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
MAX_TEXT = 300


class BadFilter(ValueError):
    """A filter value that is not what its name promises; the message says what is expected."""


@dataclass(frozen=True)
class Kind:
    """What one exportable kind reads: its collection, the time its range filters on, its index-backed order."""

    collection: str
    time_field: str
    order: tuple[tuple[str, int], ...]
    has_site: bool = True


KINDS: dict[str, Kind] = {
    "articles": Kind(schema.ARTICLES, "published", (("_id", 1),)),
    "versions": Kind(schema.ARTICLE_VERSIONS, "fetched_at", (("_id", 1),), has_site=False),
    "teasers": Kind(schema.TEASERS, "last_seen", (("_id", 1),)),
    "changes": Kind(schema.CHANGES, "detected_at", (("seq", 1),)),
}
"""`_id` order is always indexed and groups a site's documents (ids start with the site), versions by article."""


@dataclass(frozen=True)
class Filters:
    site: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    fields: tuple[str, ...] = ()
    """Changes only: these fields and their sub-fields (`headline_variants` covers `headline_variants.h1`)."""
    edit_classes: tuple[str, ...] = ()
    article: str | None = None
    before_seq: int | None = None
    """Changes only: older than this `seq` (paging backwards)."""
    headline_differs: bool = False
    """Teasers only: those whose headline reads otherwise than their article's (`headline_vs_article`)."""
    ab_test: bool = False
    """Teasers only: those in an A/B test (`ab_tests`)."""


def text(value: object, name: str) -> str:
    """A plain string of sensible length; the only form a free-text filter takes."""
    if not isinstance(value, str) or not value.strip():
        raise BadFilter(f"{name}: expected a non-empty text")
    if len(value) > MAX_TEXT:
        raise BadFilter(f"{name}: longer than {MAX_TEXT} characters")
    return value.strip()


def field_name(value: object) -> str:
    name = text(value, "field")
    if not FIELD_NAME.match(name):
        raise BadFilter(f"field: {name!r} is not a field name (letters, digits, _ and dots)")
    return name


def edit_class(value: object) -> str:
    name = text(value, "class")
    if name not in EDIT_CLASSES:
        raise BadFilter(f"class: {name!r} is not one of {', '.join(EDIT_CLASSES)}")
    return name


def positive_int(value: object, name: str, maximum: int = 10**15) -> int:
    raw = text(value, name) if not isinstance(value, int) else str(value)
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise BadFilter(f"{name}: expected a whole number from 1 to {maximum}")
    return int(raw)


def parse_time(value: object, name: str = "time", now: datetime | None = None) -> datetime:
    """ISO 8601 or an age (`6h`), as `crawler.model.times.parse_instant` reads them; BadFilter when it is neither."""
    raw = text(value, name)
    try:
        return parse_instant(raw, name, now)
    except ValueError as exc:
        raise BadFilter(str(exc)) from None


def build_query(kind: Kind, filters: Filters) -> dict[str, Any]:
    """The MongoDB filter for `filters` on `kind`: built from typed values only."""
    query: dict[str, Any] = {}
    if filters.site is not None:
        site = str(filters.site)
        if kind.has_site:
            query["site"] = site
        else:  # ids start with `<site>:`; a range on _id uses its index (":" + 1 is ";")
            query["_id"] = {"$gte": f"{site}:", "$lt": f"{site};"}
    if filters.article is not None:
        key = "article_id" if kind.collection in (schema.ARTICLE_VERSIONS, schema.CHANGES) else "_id"
        query[key] = str(filters.article)
    span: dict[str, datetime] = {}
    if filters.since is not None:
        span["$gte"] = _instant(filters.since)
    if filters.until is not None:
        span["$lt"] = _instant(filters.until)
    if span:
        query[kind.time_field] = span
    if kind.collection == schema.TEASERS:
        if filters.headline_differs:
            query["headline_vs_article"] = {"$type": "object"}
        if filters.ab_test:
            query["ab_tests"] = {"$type": "object"}
    if kind.collection == schema.CHANGES:
        if filters.fields:
            names = [field_name(f) for f in filters.fields]
            query["$or"] = [{"field": {"$in": names}}] + [{"field": {"$regex": f"^{re.escape(n)}\\."}} for n in names]
        if filters.edit_classes:
            query["edit_class"] = {"$in": [edit_class(c) for c in filters.edit_classes]}
        if filters.before_seq is not None:
            query["seq"] = {"$lt": int(filters.before_seq)}
    return query


def _instant(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise BadFilter("expected a datetime")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
