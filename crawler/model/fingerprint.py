"""Content fingerprints: the same article content gives the same hash, whatever the fetch or typography."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crawler.model.normalize import comparable

CONTENT_FIELDS = (
    "kicker",
    "headline",
    "headline_variants",
    "lead",
    "body",
    "authors",
    "agency",
    "dateline",
    "published",
    "modified",
    "section",
    "breadcrumb",
    "tags",
    "images",
    "paywall",
)
"""What an edit can change. Fetch facts (URL, fetched_at, raw HTML hash) are left out on purpose."""


def _canonical(value: Any) -> Any:
    cls = type(value)  # the exact types of a normalized article first: this runs on every value of every article
    if cls is str:
        return comparable(value)
    if cls is list:
        return [_canonical(v) for v in value]
    if cls is dict:
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, str):
        return comparable(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def content_hash(doc: Mapping[str, Any], fields: tuple[str, ...] = CONTENT_FIELDS) -> str:
    """SHA-256 over the content fields in canonical JSON, text in its comparison form.

    Typography and whitespace do not change the hash (see `crawler.model.normalize.comparable`), so a re-crawl that
    only differs in quotes, dashes or non-breaking spaces adds no version.
    """
    payload = json.dumps({f: _canonical(doc.get(f)) for f in fields}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def short_hash(*parts: str, length: int = 20) -> str:
    """A stable short key from text parts, for string `_id`s."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]
