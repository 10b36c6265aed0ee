"""The store's side of change detection: read what the detector needs, write what it finds, alert the new ones.

It runs in the store's writer thread, right after the savers wrote a batch, so it never blocks the reactor and
reads what it needs in a few batched queries: the previous versions (`$in` by version id) and the articles'
teaser documents; for teaser records the teaser saver hands over the stored teaser documents and article
headlines it read. What is a change is decided by `crawler.changes.detector.ChangeDetector` (docs/changes.md).

Every change has a natural `_id`, so a replayed batch writes nothing twice and alerts nothing twice; `seq` comes
from `crawler.store.sequence`, which keeps the feed in order for followers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from crawler.changes.alerts import Alerter
from crawler.changes.detector import ChangeDetector, VersionPair
from crawler.store import schema
from crawler.store.sequence import publish

logger = logging.getLogger(__name__)


def version_id(aid: str, version: int) -> str:
    return f"{aid}:v{version:06d}"


class ChangeRecorder:
    """One per store writer (one per crawl). `alerter` may be None (no alerts, e.g. in tests of the store)."""

    def __init__(self, detector: ChangeDetector | None = None, alerter: Alerter | None = None) -> None:
        self.detector = detector or ChangeDetector()
        self.alerter = alerter
        self.written = 0

    @property
    def suppressed(self) -> int:
        """Presence flips of the run not written: parser drift."""
        return self.detector.suppressed

    # -- articles ------------------------------------------------------------------------------------------------
    def unchanged(self, docs: Iterable[Mapping[str, Any]]) -> None:
        self.detector.unchanged(docs)

    def new_versions(self, db: Database, versions: list[tuple[dict[str, Any], int]]) -> int:
        """Compare each new version with the one before it; write and alert the changes."""
        versions = self.detector.to_compare(versions)
        if not versions:
            return 0
        previous = {
            d["article_id"]: d
            for d in db[schema.ARTICLE_VERSIONS].find(
                {"_id": {"$in": [version_id(doc["article_id"], n - 1) for doc, n in versions]}}
            )
        }
        teasers = {
            d["_id"]: d
            for d in db[schema.TEASERS].find(
                {"_id": {"$in": [doc["article_id"] for doc, _ in versions]}}, {"placements": 1}
            )
        }
        pairs = []
        for doc, number in versions:
            aid = doc["article_id"]
            old = previous.get(aid)
            if old is None:
                logger.warning(
                    "no version %d of %s to compare with: changes of version %d skipped", number - 1, aid, number
                )
                continue
            key = f"{version_id(aid, number - 1)}>{number:06d}"
            pairs.append(VersionPair(key, old, doc, number, teasers.get(aid)))
        return self.write(db, self.detector.versions(pairs))

    # -- teasers -------------------------------------------------------------------------------------------------
    def teasers(
        self,
        db: Database,
        records: list[dict[str, Any]],
        stored: Mapping[str, Mapping[str, Any]],
        article_headlines: Mapping[str, str | None],
        flips: Mapping[str, frozenset[str]],
    ) -> int:
        """Write and alert the changes a run's teaser records bring (`ChangeDetector.teaser_records`)."""
        return self.write(db, self.detector.teaser_records(records, stored, article_headlines, flips))

    # -- end of run ----------------------------------------------------------------------------------------------
    def finish(self, db: Database) -> list[dict[str, Any]]:
        """Decide the held presence flips: write the edits, alert and return a health alert per drifting field."""
        end = self.detector.finish()
        self.write(db, end.changes)
        if self.alerter:
            for alert in end.alerts:
                self.alerter.health(alert)
        return end.alerts

    def close(self) -> None:
        if self.alerter:
            self.alerter.close()

    # -- writing -------------------------------------------------------------------------------------------------
    def write(self, db: Database, docs: list[dict[str, Any]]) -> int:
        """Upsert the changes under a block of `seq` numbers; alert the ones that were new."""
        if not docs:
            return 0
        inserted: list[dict[str, Any]] = []

        def insert(first: int) -> None:
            ops = [
                UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": {**doc, "seq": first + k}}, upsert=True)
                for k, doc in enumerate(docs)
            ]
            try:
                result = db[schema.CHANGES].bulk_write(ops, ordered=False)
                upserted = set(result.upserted_ids)
            except BulkWriteError as exc:  # duplicate _id from a concurrent writer: that one has it
                details = exc.details or {}
                if any(e.get("code") != 11000 for e in details.get("writeErrors", [])):
                    raise
                upserted = {u["index"] for u in details.get("upserted", [])}
            inserted.extend({**docs[i], "seq": first + i} for i in sorted(upserted))

        publish(db, len(docs), insert)
        self.written += len(inserted)
        if self.alerter:
            for doc in inserted:
                self.alerter.emit(doc)
        return len(inserted)
