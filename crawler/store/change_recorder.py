"""The change detector's store side: compare a new version with the previous one, write `changes`, alert.

It runs in the store's writer thread, right after the savers wrote a batch, so it never blocks the reactor and
reads what it needs in a few batched queries: the previous versions (`$in` by version id) and the articles'
teaser documents (for the teaser prominence at that moment); for teaser records the teaser saver hands over
the stored teaser documents and article headlines it read. The comparison itself is `crawler.changes` (pure).

The feed holds edits over time and nothing else: a first observation (version 1, a teaser's first sighting)
is never a change, a teaser headline that differs from its article's is kept on the teaser document, and a
version read by a new extractor version is a re-baseline without changes.

Every change has a natural `_id` (article, versions from/to, field, position in that comparison; or the
teaser's flush), so a replayed batch writes nothing twice and alerts nothing twice; `seq` comes from
`crawler.store.sequence`, which keeps the feed in order for followers.

Parser drift: presence flips (a field going empty or appearing) are held by a `DriftDetector` until the run
ends (`finish`), then written or suppressed with a health alert. Unchanged articles are observed too, so the
share of articles that lost a field is taken over all articles compared in the run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from crawler.changes import DriftDetector, FieldChange, compare_text, compare_versions
from crawler.changes.alerts import Alerter
from crawler.changes.classify import EditClass
from crawler.store import schema
from crawler.store.sequence import publish

logger = logging.getLogger(__name__)

TEASER_FIELDS = ("headline", "kicker")
HOMEPAGE_PATHS = ("", "/")


def version_id(aid: str, version: int) -> str:
    return f"{aid}:v{version:06d}"


def prominence(teaser: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The teaser's best place in its latest sighting: the homepage before sections, then the lowest position."""
    if not teaser:
        return None
    places = list((teaser.get("placements") or {}).values())
    latest = max((p.get("last_seen") for p in places if p.get("last_seen")), default=None)
    current = [p for p in places if p.get("last_seen") == latest] or places
    if not current:
        return None

    def rank(place: Mapping[str, Any]) -> tuple[int, int]:
        path = "/" + str(place.get("page", "")).split("://", 1)[-1].partition("/")[2]
        return (0 if path.rstrip("/") in HOMEPAGE_PATHS else 1, int(place.get("position") or 10**6))

    best = min(current, key=rank)
    return {
        "page": best.get("page"),
        "block": best.get("block"),
        "position": best.get("position"),
        "homepage": rank(best)[0] == 0,
        "seen_at": best.get("last_seen"),
    }


class ChangeRecorder:
    """One per store writer (one per crawl). `alerter` may be None (no alerts, e.g. in tests of the store)."""

    def __init__(
        self,
        alerter: Alerter | None = None,
        detector: DriftDetector | None = None,
        ab_window: timedelta = timedelta(days=7),
    ) -> None:
        self.alerter = alerter
        self.ab_window = ab_window
        """A teaser wording returning to one seen within this window is an A/B test flip (`ab_flip`)."""
        self.detector = detector or DriftDetector()
        self.written = 0
        self.suppressed = 0
        self.rebaselines = 0
        self.health_alerts: list[dict[str, Any]] = []

    # -- articles ------------------------------------------------------------------------------------------------
    def unchanged(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """Articles fetched again with the same content: they count in the drift shares as 'no flip'."""
        for doc in docs:
            self.detector.observe_versions(doc["site"], doc["article_id"], doc, doc)

    def new_versions(self, db: Database, versions: list[tuple[dict[str, Any], int]]) -> int:
        """Compare each new version (number > 1) with the one before it; write and alert the changes.

        A re-baseline (a version read by another extractor version, `crawler.store.savers.rebaseline`) is not
        compared: an upgrade of newsmon is not an edit.
        """
        upgraded = [doc for doc, number in versions if number > 1 and doc.get("rebaseline")]
        if upgraded:
            self.rebaselines += len(upgraded)
            logger.info("%d article(s) re-read by a new extractor version: stored as re-baselines", len(upgraded))
        versions = [(doc, number) for doc, number in versions if number > 1 and not doc.get("rebaseline")]
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
        out = []
        for doc, number in versions:
            aid = doc["article_id"]
            old = previous.get(aid)
            if old is None:
                logger.warning(
                    "no version %d of %s to compare with: changes of version %d skipped", number - 1, aid, number
                )
                continue
            context = {
                "article_id": aid,
                "site": doc["site"],
                "url": doc["url"],
                "headline": doc.get("headline"),
                "version_from": number - 1,
                "version_to": number,
                "run_id": doc.get("run_id"),
                "prominence": prominence(teasers.get(aid)),
                "key": f"{version_id(aid, number - 1)}>{number:06d}",
            }
            changes = compare_versions(old, doc)
            numbered = {id(c): k for k, c in enumerate(changes)}
            for change in self.detector.screen(doc["site"], aid, old, doc, changes, context=(context, numbered)):
                out.append(self._doc(change, context, numbered[id(change)]))
        return self._write(db, out)

    # -- teasers -------------------------------------------------------------------------------------------------
    def teaser_records(
        self,
        records: list[dict[str, Any]],
        stored: Mapping[str, Mapping[str, Any]],
        article_headlines: Mapping[str, str | None],
        flips: Mapping[str, frozenset[str]],
    ) -> list[dict[str, Any]]:
        """The change documents a run's teaser records bring, read against the stored teaser documents.

        Only a teaser's own headline or kicker changing is a change (`teaser.headline`, `teaser.kicker`); a
        first sighting never is, and a teaser headline that reads otherwise than its article's is a fact on the
        teaser document (`headline_vs_article`), not a change. A change that is a flip of an A/B test (`flips`:
        the fields per article, `crawler.model.teasers.teaser_facts`) is classed `ab_flip`. The caller writes them
        (`write`) once the teaser documents are merged.
        """
        out = []
        for record in records:
            aid = record["article_id"]
            before = stored.get(aid) or {}
            if record["flush_id"] in (before.get("flushes") or []):
                continue  # already merged: its changes were written then
            context = {
                "article_id": aid,
                "site": record["site"],
                "url": record["url"],
                "headline": article_headlines.get(aid),
                "version_from": None,
                "version_to": None,
                "run_id": record.get("run_id"),
                "prominence": prominence(record),
                "key": f"{aid}:teaser:{record['flush_id']}",
            }
            changes: list[FieldChange] = []
            for name in TEASER_FIELDS:
                if before.get(name) and record.get(name):
                    change = compare_text(f"teaser.{name}", before[name], record[name])
                    if change and name in flips.get(aid, ()):
                        change = replace(change, edit_class=EditClass.AB_FLIP)
                    changes += [change] if change else []
            out += [self._doc(c, context, k) for k, c in enumerate(changes)]
        return out

    def write(self, db: Database, docs: list[dict[str, Any]]) -> int:
        """Write change documents made by `teaser_records` (new ones are alerted)."""
        return self._write(db, docs)

    # -- end of run ----------------------------------------------------------------------------------------------
    def finish(self, db: Database) -> list[dict[str, Any]]:
        """Decide the held presence flips; write the edits, raise a health alert per drifting field."""
        outcome = self.detector.finish()
        released = []
        for held in outcome.released:
            context, numbered = held.context
            released.append(self._doc(held.change, context, numbered[id(held.change)]))
        self._write(db, released)
        self.suppressed += len(outcome.suppressed)
        for alert in outcome.alerts:
            logger.warning("health: %s", alert["message"])
            if self.alerter:
                self.alerter.health(alert)
        self.health_alerts += outcome.alerts
        return outcome.alerts

    def close(self) -> None:
        if self.alerter:
            self.alerter.close()

    # -- writing -------------------------------------------------------------------------------------------------
    @staticmethod
    def _doc(change: FieldChange, context: Mapping[str, Any], index: int) -> dict[str, Any]:
        doc = {
            "_id": f"{context['key']}:{change.field}:{index}",
            **{k: v for k, v in context.items() if k != "key"},
            **change.to_doc(),
            "detected_at": datetime.now(UTC),
        }
        return doc

    def _write(self, db: Database, docs: list[dict[str, Any]]) -> int:
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
