"""Turn batches of item documents into idempotent bulk writes, one saver per kind of document.

Every write is keyed by a string `_id` built from natural keys, so writing the same batch twice (a retry,
a replay of the spool, a second crawl at the same time) changes nothing the first did not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol

from pymongo import InsertOne, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from crawler.model.fingerprint import CONTENT_FIELDS, content_hash, short_hash
from crawler.model.identity import article_id
from crawler.model.teasers import TeaserFacts, teaser_facts
from crawler.store import schema
from crawler.store.change_recorder import ChangeRecorder, version_id

logger = logging.getLogger(__name__)

DUPLICATE_KEY = 11000


@dataclass
class SaveResult:
    written: int = 0
    rejected: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    """Documents the database refused for a reason a retry cannot fix (kept as rejects)."""
    retry: list[dict[str, Any]] = field(default_factory=list)
    """Documents that lost a race with another writer and must be saved again from a fresh read."""
    counts: dict[str, int] = field(default_factory=dict)
    """What the batch did, e.g. `new_articles`, `new_versions`, `unchanged`."""

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


class Saver(Protocol):
    kind: str

    def save(self, db: Database, docs: list[dict[str, Any]]) -> SaveResult: ...


def _now() -> datetime:
    return datetime.now(UTC)


def _bulk(
    db: Database, collection: str, ops: Sequence[UpdateOne | InsertOne]
) -> tuple[dict[int, dict[str, Any]], set[int]]:
    """Unordered bulk write; returns write errors by op index and the indexes that inserted (an upsert that
    inserted, or an insert without error)."""
    if not ops:
        return {}, set()
    inserts = {k for k, op in enumerate(ops) if isinstance(op, InsertOne)}
    try:
        result = db[collection].bulk_write(ops, ordered=False)
        return {}, set(result.upserted_ids) | inserts
    except BulkWriteError as exc:
        details = exc.details or {}
        errors = {e["index"]: e for e in details.get("writeErrors", [])}
        upserted = {u["index"] for u in details.get("upserted", [])}
        return errors, upserted | (inserts - set(errors))


@dataclass
class _Round:
    """The writes one round of `ArticleSaver.save` plans: new versions first, then the articles."""

    version_ops: list[InsertOne] = field(default_factory=list)
    versions: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    """Each new version's document and number, in the order of `version_ops`."""
    article_ops: list[UpdateOne | InsertOne] = field(default_factory=list)
    article_docs: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)


class ArticleSaver:
    """Current article state in `articles`, each distinct content once in `article_versions`.

    Versions are numbered per article. Two writers that race for the same number are told apart by the
    version's content hash: the loser's document comes back in `retry` and is saved again from a fresh read.
    New versions go through the change detection stage (`recorder`) before the articles are updated, so a crash
    in between leaves the article behind its version and the replay compares again (docs/reliability.md).
    """

    kind = "article"
    CURRENT: ClassVar[dict[str, int]] = dict.fromkeys(("version", "content_hash", "extractor", "url", "urls"), 1)
    """What a fetched article is read against: its stored version, content and URLs."""

    def __init__(self, recorder: ChangeRecorder | None = None) -> None:
        self.recorder = recorder

    def save(self, db: Database, docs: list[dict[str, Any]]) -> SaveResult:
        result = SaveResult()
        firsts = self._one_per_article(docs, result)
        current = {d["_id"]: d for d in db[schema.ARTICLES].find({"_id": {"$in": list(firsts)}}, self.CURRENT)}
        plan = _Round()
        for aid, doc in firsts.items():
            cur = current.get(aid)
            if cur and cur.get("content_hash") == doc["content_hash"]:
                self._plan_unchanged(plan, aid, doc, cur)
                result.count("unchanged")
            else:
                self._plan_version(plan, aid, doc, cur)
        compared, lost, refused = self._write_versions(db, plan, result)
        self._detect_changes(db, compared, plan.unchanged, result)
        self._write_articles(db, plan, lost | refused, result)
        result.retry.extend(doc for doc, _ in plan.versions if doc["article_id"] in lost)
        return result

    @staticmethod
    def _one_per_article(docs: list[dict[str, Any]], result: SaveResult) -> dict[str, dict[str, Any]]:
        """Identify each document; a second fetch of the same article in one batch waits a round (`retry`)."""
        firsts: dict[str, dict[str, Any]] = {}
        for doc in docs:
            if "article_id" not in doc:
                doc["article_id"] = article_id(doc["site"], doc.get("publisher_id"), doc["url"])
            if not doc.get("content_hash"):  # set by the normalize pipeline: not hashed a second time here
                doc["content_hash"] = content_hash(doc)
            if doc["article_id"] in firsts:
                result.retry.append(doc)
            else:
                firsts[doc["article_id"]] = doc
        return firsts

    @staticmethod
    def _plan_unchanged(plan: _Round, aid: str, doc: dict[str, Any], cur: dict[str, Any]) -> None:
        """Same content: only what changed, usually the fetch time and the next visit. An update of `$set`/`$max`
        alone is also one the embedded server compiles once and reuses (its update-plan cache)."""
        update: dict[str, Any] = {"$max": {"last_fetched": doc.get("fetched_at") or _now()}}
        changed = {"url": doc["url"]} if cur.get("url") != doc["url"] else {}  # moved: content stays
        if doc.get("extractor") and cur.get("extractor") != doc["extractor"]:
            # the extractor that read it is kept current, so a later edit is not taken for an upgrade
            changed["extractor"] = doc["extractor"]
        if changed:
            update["$set"] = changed
        new_urls = [u for u in _urls(doc) if u not in (cur.get("urls") or ())]
        if new_urls:
            update["$addToSet"] = {"urls": {"$each": new_urls}}
        plan.article_ops.append(UpdateOne({"_id": aid}, _with_revisit(update, doc, doc.get("next_visit"))))
        plan.article_docs.append(doc)
        plan.unchanged.append(doc)

    def _plan_version(self, plan: _Round, aid: str, doc: dict[str, Any], cur: dict[str, Any] | None) -> None:
        """New content: insert the next version, and move the article onto it guarded by the version it was at."""
        fetched_at = doc.get("fetched_at") or _now()
        # After a lost race (or a crash between the two writes) the next free number is higher.
        number = max((cur or {}).get("version", 0) + 1, doc.get("_next_version", 0))
        doc["rebaseline"] = rebaseline(cur, doc)
        # An insert (a version never changes): a duplicate key means it is stored already, and
        # _check_versions reads it back to tell a replay (same content) from a lost race.
        plan.version_ops.append(
            InsertOne({"_id": version_id(aid, number), **self._version_doc(doc, number, fetched_at)})
        )
        plan.versions.append((doc, number))
        fields = {f: doc.get(f) for f in CONTENT_FIELDS}
        fields.update(
            site=doc["site"],
            publisher_id=doc.get("publisher_id"),
            url=doc["url"],
            language=doc.get("language"),
            word_count=doc.get("word_count"),
            html_hash=doc.get("html_hash"),
            extractor=doc.get("extractor"),
            version=number,
            content_hash=doc["content_hash"],
            last_fetched=fetched_at,
        )
        if not doc["rebaseline"]:
            fields["last_changed"] = fetched_at
        # A new version of a known article is an edit: it is due again soon (`next_visit_changed`).
        next_visit = doc.get("next_visit_changed") if cur and not doc["rebaseline"] else None
        update = {
            "$set": fields,
            "$setOnInsert": {"first_seen": fetched_at},
            "$addToSet": {"urls": {"$each": _urls(doc)}},
        }
        update = _with_revisit(update, doc, next_visit or doc.get("next_visit"))
        # A new article is inserted, not upserted: in the server an insert skips compiling and applying the
        # update (a first crawl or a backfill is all new articles). A duplicate key means another writer stored
        # it meanwhile: `_write_articles` sends the article round again, to be compared with what is stored.
        if cur is None:
            plan.article_ops.append(InsertOne(_inserted(aid, update)))
        else:  # guarded by the version it was at: another writer that moved it on makes a duplicate key
            plan.article_ops.append(UpdateOne({"_id": aid, "version": cur["version"]}, update, upsert=True))
        plan.article_docs.append(doc)

    def _write_versions(
        self, db: Database, plan: _Round, result: SaveResult
    ) -> tuple[list[tuple[dict[str, Any], int]], set[str], set[str]]:
        """Insert the new versions; returns those to compare (inserted now, or stored with this very content by
        an interrupted earlier write), and the articles whose number another writer took or the database
        refused."""
        errors, upserted = _bulk(db, schema.ARTICLE_VERSIONS, plan.version_ops)
        lost, refused, replayed = self._check_versions(db, plan.versions, errors, upserted, result)
        fresh = [pair for index, pair in enumerate(plan.versions) if index in upserted]
        for _doc, number in fresh:
            result.count("new_versions")
            if number == 1:
                result.count("new_articles")
        return fresh + replayed, lost, refused

    def _detect_changes(
        self,
        db: Database,
        versions: list[tuple[dict[str, Any], int]],
        unchanged: list[dict[str, Any]],
        result: SaveResult,
    ) -> None:
        """The change detection stage. A replayed version is compared again: its changes may not have been
        written before the interruption, and their natural ids keep them single."""
        if self.recorder is None:
            return
        changes = self.recorder.new_versions(db, versions)
        self.recorder.unchanged(unchanged)
        if changes:
            result.count("changes", changes)

    @staticmethod
    def _write_articles(db: Database, plan: _Round, skip: set[str], result: SaveResult) -> None:
        """Update the articles whose version is stored (not `skip`); one another writer moved on is read again."""
        keep = [
            (op, doc)
            for op, doc in zip(plan.article_ops, plan.article_docs, strict=True)
            if doc["article_id"] not in skip
        ]
        errors, _ = _bulk(db, schema.ARTICLES, [op for op, _ in keep])
        for index, (_, doc) in enumerate(keep):
            error = errors.get(index)
            if error is None:
                result.written += 1
            elif error.get("code") == DUPLICATE_KEY:
                result.retry.append(doc)  # another writer moved the article on: read again
            else:
                result.rejected.append((doc, f"store: {error.get('errmsg', error)}"))

    @staticmethod
    def _version_doc(doc: dict[str, Any], number: int, fetched_at: datetime) -> dict[str, Any]:
        version = {f: doc.get(f) for f in CONTENT_FIELDS}
        version.update(
            article_id=doc["article_id"],
            version=number,
            content_hash=doc["content_hash"],
            url=doc["url"],
            fetched_at=fetched_at,
            html_hash=doc.get("html_hash"),
            extractor=doc.get("extractor"),
            run_id=doc.get("run_id"),
        )
        if doc.get("rebaseline"):
            version["rebaseline"] = doc["rebaseline"]
        return version

    @staticmethod
    def _check_versions(
        db: Database,
        version_docs: list[tuple[dict[str, Any], int]],
        errors: dict[int, dict[str, Any]],
        upserted: set[int],
        result: SaveResult,
    ) -> tuple[set[str], set[str], list[tuple[dict[str, Any], int]]]:
        """Articles whose version number another writer took with other content, refused ones, and versions
        that were already stored with this very content (a replay)."""
        lost: set[str] = set()
        refused: set[str] = set()
        existing: list[tuple[dict[str, Any], int]] = []
        replayed: list[tuple[dict[str, Any], int]] = []
        for index, (doc, number) in enumerate(version_docs):
            error = errors.get(index)
            if error is None:
                if index not in upserted:
                    existing.append((doc, number))
            elif error.get("code") == DUPLICATE_KEY:
                existing.append((doc, number))  # stored already: this content (a replay) or another (a race)
            else:
                refused.add(doc["article_id"])
                result.rejected.append((doc, f"store: {error.get('errmsg', error)}"))
        if existing:
            ids = [version_id(doc["article_id"], number) for doc, number in existing]
            stored = {
                d["_id"]: d.get("content_hash")
                for d in db[schema.ARTICLE_VERSIONS].find({"_id": {"$in": ids}}, {"content_hash": 1})
            }
            for vid, (doc, number) in zip(ids, existing, strict=True):
                if stored.get(vid) != doc["content_hash"]:
                    lost.add(doc["article_id"])
                    doc["_next_version"] = number + 1
                else:
                    replayed.append((doc, number))
        return lost, refused, replayed


def rebaseline(current: dict[str, Any] | None, doc: dict[str, Any]) -> dict[str, Any] | None:
    """A new version read by another extractor version than the stored one: an upgrade of newsmon, not an edit.

    Such a version is a re-baseline (`{"from_extractor", "to_extractor"}` on the version): it makes no
    changes and no alerts, and the article's `last_changed` stays. The page may have been edited at the same
    time; without the old page to read again the two cannot be told apart, so the upgrade wins.
    """
    old, new = (current or {}).get("extractor"), doc.get("extractor")
    return {"from_extractor": old, "to_extractor": new} if old and new and old != new else None


REVISIT_FIELDS = ("etag", "last_modified")
"""HTTP validators of the last full fetch, sent back on the next one (crawler.discover.revisit.planner)."""


def _urls(doc: dict[str, Any]) -> list[str]:
    """Every URL an article was fetched under: its canonical URL and the one the request went to."""
    return sorted({u for u in (doc["url"], doc.get("fetched_url")) if u})


INSERTABLE = ("$set", "$setOnInsert", "$max", "$addToSet")


def _inserted(aid: str, update: dict[str, Any]) -> dict[str, Any]:
    """The document an upsert of `update` inserts where there is none. Only the operators article updates use,
    on top-level fields; anything else is refused, so the insert cannot drift from the upsert it replaces."""
    inserted: dict[str, Any] = {"_id": aid}
    for operator, fields in update.items():
        if operator not in INSERTABLE or any("." in name or name in inserted for name in fields):
            raise ValueError(f"no insert for {operator} {sorted(fields)}")
        for name, value in fields.items():
            if operator == "$addToSet":
                values = value["$each"] if isinstance(value, dict) and "$each" in value else [value]
                value = list(dict.fromkeys(values))
            inserted[name] = value
    return inserted


def _with_revisit(update: dict[str, Any], doc: dict[str, Any], next_visit: datetime | None) -> dict[str, Any]:
    """Add what revisiting needs to an article update: validators, the next visit, the last signal acted on."""
    revisit = {f: doc[f] for f in REVISIT_FIELDS if doc.get(f)}
    if next_visit is not None:
        revisit["next_visit"] = next_visit
    if revisit:
        update["$set"] = {**update.get("$set", {}), **revisit}
    if doc.get("hinted_modified") is not None:
        update["$max"] = {**update.get("$max", {}), "hinted_modified": doc["hinted_modified"]}
    return update


class RevisitSaver:
    """A re-fetch answered `304 Not Modified`: the article was checked, nothing else happened.

    Only `last_fetched` (`$max`), `next_visit` and any validator the 304 refreshed are written, batched like
    every other write; no version, no change, no parse. A 304 for an article not (or no longer) stored does
    nothing (no upsert).
    """

    kind = "revisit"

    def save(self, db: Database, docs: list[dict[str, Any]]) -> SaveResult:
        ops = []
        for doc in docs:
            update: dict[str, Any] = {"$max": {"last_fetched": doc["last_fetched"]}}
            fields = {f: doc[f] for f in (*REVISIT_FIELDS, "next_visit") if doc.get(f)}
            if fields:
                update["$set"] = fields
            if doc.get("hinted_modified") is not None:
                update["$max"]["hinted_modified"] = doc["hinted_modified"]
            ops.append(UpdateOne({"_id": doc["article_id"]}, update))
        result = _simple_result(db, schema.ARTICLES, ops, docs)
        result.count("not_modified", len(docs))
        return result


class TeaserSaver:
    """Merges a run's teaser record (`crawler.store.documents.teaser_doc`) into one document per article.

    Before merging, the record is read against the stored teaser and its article's headline
    (`crawler.model.teasers.teaser_facts`): whether the teaser's headline differs from the article's
    (`headline_vs_article`) and its A/B tests (`ab_tests`) are set on the document; the teaser's own edits go
    through the change detection stage (`recorder`).

    Placements and variants are maps keyed by a short hash, so one update can raise a count, keep the earliest
    first_seen (`$min`) and the latest last_seen (`$max`) of each without reading the document first. A record
    is applied once: its flush id is remembered (the last `FLUSH_MEMORY`) and the filter skips a document that
    already has it; the upsert then hits the `_id` and fails with a duplicate key, which is told apart from a
    race between two new inserts by reading the flush ids back.
    """

    kind = "teaser"
    FLUSH_MEMORY = 20
    STORED: ClassVar[dict[str, int]] = dict.fromkeys(
        ("headline", "kicker", "variants", "flushes", "headline_vs_article", "ab_tests"), 1
    )
    """What a record is read against: the teaser's last wordings, variants, merged flushes and its facts."""

    def __init__(self, recorder: ChangeRecorder | None = None) -> None:
        self.recorder = recorder
        self.ab_window = recorder.detector.ab_window if recorder is not None else timedelta(days=7)

    def save(self, db: Database, docs: list[dict[str, Any]]) -> SaveResult:
        ids = [d["article_id"] for d in docs]
        stored = {d["_id"]: d for d in db[schema.TEASERS].find({"_id": {"$in": ids}}, self.STORED)}
        headlines = {
            d["_id"]: d.get("headline") for d in db[schema.ARTICLES].find({"_id": {"$in": ids}}, {"headline": 1})
        }
        facts = {
            aid: teaser_facts(stored.get(aid), d, headlines.get(aid), self.ab_window)
            for d in docs
            if (aid := d["article_id"])
        }
        changes = 0
        if self.recorder is not None:
            flips = {aid: f.flips for aid, f in facts.items()}
            changes = self.recorder.teasers(db, docs, stored, headlines, flips)
        ops = [
            UpdateOne(
                {"_id": d["article_id"], "flushes": {"$ne": d["flush_id"]}},
                self._update(d, facts[d["article_id"]]),
                upsert=True,
            )
            for d in docs
        ]
        result = SaveResult()
        if changes:
            result.count("changes", changes)
        errors, _ = _bulk(db, schema.TEASERS, ops)
        dups = [docs[i] for i, e in errors.items() if e.get("code") == DUPLICATE_KEY]
        applied = set()
        if dups:
            for stored in db[schema.TEASERS].find({"_id": {"$in": [d["article_id"] for d in dups]}}, {"flushes": 1}):
                applied.update((stored["_id"], f) for f in stored.get("flushes", []))
        for index, doc in enumerate(docs):
            error = errors.get(index)
            if error is None:
                result.written += 1
            elif error.get("code") == DUPLICATE_KEY:
                if (doc["article_id"], doc["flush_id"]) in applied:
                    result.count("teasers_already_applied")
                else:
                    result.retry.append(doc)  # two upserts of one new _id at once: the second now updates
            else:
                result.rejected.append((doc, f"store: {error.get('errmsg', error)}"))
        return result

    def _update(self, doc: dict[str, Any], facts: TeaserFacts) -> dict[str, Any]:
        latest = {k: doc.get(k) for k in ("url", "headline", "kicker", "text", "image")}
        latest["headline_vs_article"] = facts.headline_vs_article
        latest.update({f"ab_tests.{name}": test for name, test in facts.ab_tests.items()})
        first: dict[str, Any] = {"first_seen": doc["first_seen"]}
        last: dict[str, Any] = {"last_seen": doc["last_seen"]}
        inc: dict[str, Any] = {"observations": doc["observations"], "runs": int(doc.get("new_run", True))}
        for key, place in doc["placements"].items():
            for name in ("page", "block", "block_index", "layout", "position"):
                latest[f"placements.{key}.{name}"] = place.get(name)
            first[f"placements.{key}.first_seen"] = place["first_seen"]
            last[f"placements.{key}.last_seen"] = place["last_seen"]
            inc[f"placements.{key}.count"] = 1
        for key, variant in doc["variants"].items():
            latest[f"variants.{key}.field"] = variant["field"]
            latest[f"variants.{key}.value"] = variant["value"]
            first[f"variants.{key}.first_seen"] = variant["first_seen"]
            last[f"variants.{key}.last_seen"] = variant["last_seen"]
            inc[f"variants.{key}.count"] = variant["count"]
        return {
            "$set": {"article_id": doc["article_id"], "site": doc["site"], **latest},
            "$min": first,
            "$max": last,
            "$inc": inc,
            "$addToSet": {"urls": {"$each": doc["urls"]}},
            "$push": {"flushes": {"$each": [doc["flush_id"]], "$slice": -self.FLUSH_MEMORY}},
        }


class RejectSaver:
    """Rejects keyed by run, URL and reason: a replayed or retried reject is stored once."""

    kind = "reject"

    def save(self, db: Database, docs: list[dict[str, Any]]) -> SaveResult:
        ops = []
        for doc in docs:
            key = f"{doc.get('run_id')}:{short_hash(doc['url'], doc['reason'])}"
            doc.setdefault("seen_at", _now())
            ops.append(UpdateOne({"_id": key}, {"$setOnInsert": doc}, upsert=True))
        return _simple_result(db, schema.REJECTS, ops, docs)


class CrawlRunSaver:
    """Run records: later states of the same run overwrite earlier ones field by field."""

    kind = "crawl_run"

    def save(self, db: Database, docs: list[dict[str, Any]]) -> SaveResult:
        ops = [
            UpdateOne({"_id": d["_id"]}, {"$set": {k: v for k, v in d.items() if k != "_id"}}, upsert=True)
            for d in docs
        ]
        return _simple_result(db, schema.CRAWL_RUNS, ops, docs)


def _simple_result(db: Database, collection: str, ops: list[UpdateOne], docs: list[dict[str, Any]]) -> SaveResult:
    result = SaveResult()
    errors, _ = _bulk(db, collection, ops)
    for index, doc in enumerate(docs):
        error = errors.get(index)
        if error is None:
            result.written += 1
        elif error.get("code") == DUPLICATE_KEY:
            result.retry.append(doc)  # two upserts of one new _id at once: the second now updates
        else:
            result.rejected.append((doc, f"store: {error.get('errmsg', error)}"))
    return result


def default_savers(recorder: ChangeRecorder | None = None) -> Iterable[Saver]:
    """The savers of a writer; with a recorder, article and teaser writes also detect changes."""
    return (ArticleSaver(recorder), TeaserSaver(recorder), RejectSaver(), CrawlRunSaver(), RevisitSaver())
