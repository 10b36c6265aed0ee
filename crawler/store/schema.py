"""Indexes of the collections (named in `crawler.store.names`), created idempotently with their validators.

Keys follow the embedded server's limits (see docs/embedded-database.md): `_id`s are strings built from
natural keys, and no unique index is numeric except `changes.seq`, which consumers need. A content hash
is not unique per article: an edit that is reverted is a new version with an earlier content.
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

from crawler.store.names import (
    ARTICLE_VERSIONS,
    ARTICLES,
    CHANGES,
    COLLECTIONS,
    COUNTERS,
    CRAWL_RUNS,
    REJECTS,
    TEASERS,
)
from crawler.store.validators import apply_validators

# Readers name collections as `schema.ARTICLES`: the names are re-exported from `names`.
__all__ = [
    "ARTICLES",
    "ARTICLE_VERSIONS",
    "CHANGES",
    "COLLECTIONS",
    "COUNTERS",
    "CRAWL_RUNS",
    "INDEXES",
    "REJECTS",
    "TEASERS",
    "ensure_indexes",
]


INDEXES: dict[str, list[IndexModel]] = {
    ARTICLES: [
        IndexModel([("site", ASCENDING), ("published", DESCENDING)], name="site_published"),
        IndexModel([("site", ASCENDING), ("next_visit", ASCENDING)], name="site_next_visit"),
        IndexModel([("urls", ASCENDING)], name="urls"),
    ],
    ARTICLE_VERSIONS: [
        IndexModel([("article_id", ASCENDING), ("version", ASCENDING)], name="article_version"),
        IndexModel([("article_id", ASCENDING), ("content_hash", ASCENDING)], name="article_content"),
    ],
    TEASERS: [
        IndexModel([("site", ASCENDING), ("last_seen", DESCENDING)], name="site_last_seen"),
        IndexModel([("article_id", ASCENDING)], name="article_id"),
    ],
    CHANGES: [
        IndexModel([("seq", ASCENDING)], name="seq", unique=True),
        IndexModel([("article_id", ASCENDING), ("seq", ASCENDING)], name="article_seq"),
        IndexModel([("field", ASCENDING), ("detected_at", DESCENDING)], name="field_detected"),
    ],
    CRAWL_RUNS: [IndexModel([("spider", ASCENDING), ("started_at", DESCENDING)], name="spider_started")],
    REJECTS: [IndexModel([("run_id", ASCENDING)], name="run_id"), IndexModel([("reason", ASCENDING)])],
}


def ensure_indexes(db: Database) -> None:
    """Create every index; a no-op when they exist, so every process may call it at start."""
    apply_validators(db)  # first: a collection is created with its validator (the embedded server has no collMod)
    for collection, models in INDEXES.items():
        db[collection].create_indexes(models)
