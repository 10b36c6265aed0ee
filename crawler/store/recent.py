"""Recent changes for people at a terminal (`newsmon changes`), read by the feed's rule: never past `committed`.

Several writers number changes at once (`crawler.store.sequence`): a change numbered below the committed mark is
stored, one above it may still be on its way. Listing only `seq <= committed` means a later listing with
`--after` the last number shown never skips one.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

from crawler.store import schema
from crawler.store.sequence import committed_seq


def recent_changes(
    db: Database,
    *,
    after: int | None = None,
    limit: int = 20,
    site: str | None = None,
    fields: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Changes in `seq` order: the latest `limit`, or (with `after`) the first `limit` after that number.
    `fields` match a field or its sub-fields (`headline_variants` matches `headline_variants.og_title`)."""
    upto = committed_seq(db)
    seq: dict[str, int] = {"$lte": upto}
    if after is not None:
        seq["$gt"] = after
    query: dict[str, Any] = {"seq": seq}
    if site:
        query["site"] = site
    if fields:
        query["$or"] = [{"field": f} for f in fields] + [{"field": {"$regex": f"^{_escape(f)}\\."}} for f in fields]
    order = ASCENDING if after is not None else DESCENDING
    found = list(db[schema.CHANGES].find(query).sort("seq", order).limit(limit))
    return found if after is not None else found[::-1]


def _escape(text: str) -> str:
    return "".join(f"\\{c}" if not c.isalnum() and c != "_" else c for c in text)
