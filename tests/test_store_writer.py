"""The store path against a real server over TCP: batching, idempotency, versions, races, outages."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from crawler.model.teasers import TeaserBook
from crawler.store.connection import redact_text, redact_uri
from crawler.store.documents import teaser_doc
from crawler.store.savers import _inserted
from crawler.store.schema import ensure_indexes
from crawler.store.spool import Spool
from crawler.store.writer import BatchWriter

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def article(n: int, headline: str | None = None, **extra) -> dict:
    doc = {
        "url": f"https://www.merkur.de/welt/artikel-{91000000 + n}.html",
        "site": "merkur.de",
        "publisher_id": str(91000000 + n),
        "headline": headline or f"Schlagzeile {n}",
        "kicker": "Droht die Eskalation?" if n == 0 else None,
        "body": [{"kind": "paragraph", "text": f"Text {n}."}],
        "published": T0 + timedelta(minutes=n),
        "fetched_at": T0 + timedelta(hours=1),
        "run_id": "run-1",
    }
    doc.update(extra)
    return doc


def teaser(n: int, position: int, page: str = "https://www.merkur.de/", run: str = "r1") -> dict:
    """A run's teaser record for article n, as the teaser pipeline hands it to the store."""
    book = TeaserBook()
    book.observe(
        f"merkur.de:{91000000 + n}",
        {
            "url": f"https://www.merkur.de/welt/artikel-{91000000 + n}.html",
            "site": "merkur.de",
            "headline": f"Teaser {n}",
            "page_url": page,
            "position": position,
            "block": "list",
            "seen_at": T0,
        },
    )
    return teaser_doc(book.take()[0], f"{run}:1", run)


def run_writer(db: Database, tmp_path: Path, docs: list[tuple[str, dict]], **kwargs) -> BatchWriter:
    writer = BatchWriter(db, Spool(tmp_path / "spool"), flush_seconds=0.05, **kwargs)
    writer.start()
    for kind, doc in docs:
        writer.put(kind, dict(doc))
    writer.close(timeout=120)
    return writer


def test_articles_are_stored_once_with_a_first_version(db, tmp_path):
    writer = run_writer(db, tmp_path, [("article", article(n)) for n in range(25)], batch_size=10)
    assert db.articles.count_documents({}) == 25
    assert db.article_versions.count_documents({}) == 25
    doc = db.articles.find_one({"_id": "merkur.de:91000000"})
    assert doc["version"] == 1
    assert doc["kicker"] == "Droht die Eskalation?"
    assert doc["first_seen"] == T0 + timedelta(hours=1)
    assert doc["urls"] == ["https://www.merkur.de/welt/artikel-91000000.html"]
    assert db.article_versions.find_one({"_id": "merkur.de:91000000:v000001"})["headline"] == "Schlagzeile 0"
    assert writer.stats.counts["new_articles"] == 25
    assert writer.stats.batches == 3


def test_rewriting_unchanged_content_adds_nothing_and_an_edit_adds_a_version(db, tmp_path):
    run_writer(db, tmp_path, [("article", article(n)) for n in range(5)])
    later = T0 + timedelta(hours=3)
    again = run_writer(db, tmp_path, [("article", article(n, fetched_at=later)) for n in range(5)])
    assert again.stats.counts["unchanged"] == 5
    assert db.article_versions.count_documents({}) == 5
    assert db.articles.find_one({"_id": "merkur.de:91000001"})["last_fetched"] == later

    edited = article(1, headline="Droht die Eskalation?", fetched_at=later)
    run_writer(db, tmp_path, [("article", edited)])
    doc = db.articles.find_one({"_id": "merkur.de:91000001"})
    assert (doc["version"], doc["headline"]) == (2, "Droht die Eskalation?")
    history = [v["headline"] for v in db.article_versions.find({"article_id": doc["_id"]}).sort("version", 1)]
    assert history == ["Schlagzeile 1", "Droht die Eskalation?"]


def test_a_reverted_edit_is_a_new_version(db, tmp_path):
    run_writer(db, tmp_path, [("article", article(1))])
    run_writer(db, tmp_path, [("article", article(1, headline="B"))])
    run_writer(db, tmp_path, [("article", article(1))])
    assert [v["version"] for v in db.article_versions.find({"article_id": "merkur.de:91000001"})] == [1, 2, 3]


def test_two_fetches_of_one_article_in_one_batch_become_two_versions_in_order(db, tmp_path):
    run_writer(db, tmp_path, [("article", article(1)), ("article", article(1, headline="B"))])
    assert db.articles.find_one({"_id": "merkur.de:91000001"})["headline"] == "B"
    assert db.article_versions.count_documents({"article_id": "merkur.de:91000001"}) == 2


def test_concurrent_writers_never_duplicate(mongo_uri, db, tmp_path):
    """Four writers, each with its own connection, store the same articles and teasers at once."""
    docs = [("article", article(n)) for n in range(30)] + [("teaser", teaser(n, n + 1)) for n in range(30)]
    clients = [MongoClient(mongo_uri, tz_aware=True) for _ in range(4)]
    threads = [
        threading.Thread(target=run_writer, args=(c[db.name], tmp_path / str(i), docs), kwargs={"batch_size": 7})
        for i, c in enumerate(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    for c in clients:
        c.close()
    assert db.articles.count_documents({}) == 30
    assert db.article_versions.count_documents({}) == 30
    assert db.teasers.count_documents({}) == 30
    assert {d["version"] for d in db.articles.find({}, {"version": 1})} == {1}


def test_concurrent_different_edits_get_distinct_version_numbers(mongo_uri, db, tmp_path):
    run_writer(db, tmp_path, [("article", article(1))])
    clients = [MongoClient(mongo_uri, tz_aware=True) for _ in range(3)]
    threads = [
        threading.Thread(
            target=run_writer, args=(c[db.name], tmp_path / str(i), [("article", article(1, headline=f"E{i}"))])
        )
        for i, c in enumerate(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for c in clients:
        c.close()
    versions = list(db.article_versions.find({"article_id": "merkur.de:91000001"}).sort("version", 1))
    assert [v["version"] for v in versions] == [1, 2, 3, 4]
    assert sorted(v["headline"] for v in versions[1:]) == ["E0", "E1", "E2"]
    assert db.articles.find_one({"_id": "merkur.de:91000001"})["version"] == 4


def test_teaser_records_of_several_runs_update_one_document(db, tmp_path):
    docs = [("teaser", teaser(1, p, run=f"r{k}")) for k, p in enumerate((1, 4, 1))]
    docs.append(("teaser", teaser(1, 2, "https://www.merkur.de/welt/", run="r3")))
    run_writer(db, tmp_path, docs)
    run_writer(db, tmp_path / "replay", docs)  # the same records again (a replayed spool): no effect
    doc = db.teasers.find_one({"_id": "merkur.de:91000001"})
    assert db.teasers.count_documents({}) == 1
    assert doc["observations"] == 4 and doc["runs"] == 4
    assert sorted(p["count"] for p in doc["placements"].values()) == [1, 1, 2]


def test_rejects_and_runs_are_idempotent(db, tmp_path):
    reject = {"url": "https://www.merkur.de/x-1.html", "reason": "http 500", "site": "merkur.de", "run_id": "r1"}
    run = {"_id": "r1", "spider": "merkur", "status": "running", "started_at": T0}
    run_writer(db, tmp_path, [("reject", reject), ("reject", reject), ("crawl_run", run)])
    run_writer(db, tmp_path, [("reject", reject), ("crawl_run", {"_id": "r1", "status": "finished"})])
    assert db.rejects.count_documents({}) == 1
    assert db.crawl_runs.find_one({"_id": "r1"}) | {} == {**run, "status": "finished"}


def test_indexes_are_created_idempotently(db):
    ensure_indexes(db)
    ensure_indexes(db)
    assert {"seq"} <= set(db.changes.index_information())
    assert db.changes.index_information()["seq"]["unique"]


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_outage_keeps_items_on_disk_and_the_next_start_writes_them(db, tmp_path, caplog):
    """Lost 0, duplicated 0: a writer whose database is down spools; the next writer replays."""
    secret_uri = f"mongodb://newsmon:s3cr3t-pw@127.0.0.1:{_dead_port()}/?directConnection=true"
    dead: MongoClient = MongoClient(secret_uri, serverSelectionTimeoutMS=200, connectTimeoutMS=200)
    docs = [("article", article(n)) for n in range(12)] + [("teaser", teaser(n, n)) for n in range(5)]
    with caplog.at_level(logging.INFO):
        down = run_writer(dead[db.name], tmp_path, docs, uri=secret_uri, retries=2, backoff=0.01, batch_size=5)
    dead.close()
    assert down.stats.spooled == 17
    assert Spool(tmp_path / "spool").pending() == 17
    assert "kept 5 article document(s) on disk" in caplog.text
    assert "s3cr3t-pw" not in caplog.text

    caplog.clear()
    with caplog.at_level(logging.INFO):
        up = run_writer(db, tmp_path, [("article", article(99))])
    assert "Replaying 4 spooled batch(es)" in caplog.text
    assert up.stats.replayed == 17
    assert Spool(tmp_path / "spool").files() == []
    assert db.articles.count_documents({}) == 13
    assert db.article_versions.count_documents({}) == 13
    assert db.teasers.count_documents({}) == 5

    run_writer(db, tmp_path, docs)  # the same items once more: still no duplicate
    assert db.article_versions.count_documents({}) == 13


def test_spool_survives_a_torn_write(tmp_path):
    spool = Spool(tmp_path)
    spool.put("article", [article(1)])
    (tmp_path / ".article-torn.jsonl.tmp").write_text('{"half": ', encoding="utf-8")
    kinds = [(kind, docs[0]["published"]) for _, kind, docs in spool.batches()]
    assert kinds == [("article", T0 + timedelta(minutes=1))]


def test_uris_and_messages_are_redacted():
    uri = "mongodb://alice:pa%40ss@db.example:27017/news?authSource=admin&password=x"
    assert redact_uri(uri) == "mongodb://***@db.example:27017/news?authSource=admin&password=***"
    assert "pa%40ss" not in redact_text("auth failed for alice:pa%40ss", uri)
    assert "alice" not in redact_text("auth failed for alice", uri)
    assert redact_text("auth failed for alice. pa@ss was wrong", uri) == "auth failed for ***. *** was wrong"


def test_redaction_hides_whole_userinfo_and_leaves_the_same_letters_elsewhere():
    uri = "mongodb://u:s@127.0.0.1:1/?directConnection=true"
    message = "Connection refused: mongodb://u:s@127.0.0.1:1/ as user u (u:s); status: s"
    assert redact_text(message, uri) == "Connection refused: mongodb://***@127.0.0.1:1/ as user *** (***); status: ***"
    odd = "mongodb://bob:%21x@h/"  # a password that starts with a non-word character: no boundary needed there
    assert redact_text("got a!x from bob", odd) == "got a*** from ***"


def test_a_version_read_by_a_new_extractor_is_a_rebaseline_without_changes(db, tmp_path):
    from crawler.store.change_recorder import ChangeRecorder
    from crawler.store.savers import default_savers

    def write(doc: dict) -> None:
        run_writer(db, tmp_path, [("article", doc)], savers=default_savers(ChangeRecorder()))

    aid = "merkur.de:91000001"
    write(article(1, extractor="ippen/1"))
    first_changed = db.articles.find_one({"_id": aid})["last_changed"]
    upgraded = T0 + timedelta(hours=2)
    write(article(1, headline="Ukraine-Krieg Schlagzeile 1", extractor="ippen/2", fetched_at=upgraded))
    version = db.article_versions.find_one({"_id": f"{aid}:v000002"})
    assert version["rebaseline"] == {"from_extractor": "ippen/1", "to_extractor": "ippen/2"}
    assert db.changes.count_documents({}) == 0
    assert db.articles.find_one({"_id": aid})["last_changed"] == first_changed  # no edit happened

    # the same content read by yet another version: unchanged, and the stored extractor follows
    write(article(1, headline="Ukraine-Krieg Schlagzeile 1", extractor="ippen/3", fetched_at=upgraded))
    assert db.articles.find_one({"_id": aid})["extractor"] == "ippen/3"
    # so a real edit read by that version is an edit again, not an upgrade
    write(article(1, headline="Droht die Eskalation?", extractor="ippen/3", fetched_at=upgraded))
    (change,) = list(db.changes.find())
    assert (change["field"], change["version_from"], change["version_to"]) == ("headline", 2, 3)
    assert "rebaseline" not in db.article_versions.find_one({"_id": f"{aid}:v000003"})


def test_a_spooled_batch_is_written_only_to_its_own_destination(db, tmp_path):
    """Batches spooled for one database wait for it: a writer to another database leaves them on disk."""
    dead: MongoClient = MongoClient(
        f"mongodb://127.0.0.1:{_dead_port()}/?directConnection=true", serverSelectionTimeoutMS=200
    )
    away = BatchWriter(dead["desk"], Spool(tmp_path / "spool", "elsewhere:27017/desk"), retries=1, flush_seconds=0.05)
    away.start()
    away.put("article", article(1))
    away.close(timeout=60)
    dead.close()
    assert away.stats.spooled == 1

    here = BatchWriter(db, Spool(tmp_path / "spool", f"here/{db.name}"), flush_seconds=0.05)
    here.start()
    here.put("article", article(2))
    here.close(timeout=60)
    assert here.stats.replayed == 0 and db.articles.count_documents({}) == 1
    assert Spool(tmp_path / "spool", "elsewhere:27017/desk").pending() == 1

    back = BatchWriter(db, Spool(tmp_path / "spool", "elsewhere:27017/desk"), flush_seconds=0.05)
    back.start()
    back.close(timeout=60)
    assert back.stats.replayed == 1 and db.articles.count_documents({}) == 2
    assert Spool(tmp_path / "spool", "elsewhere:27017/desk").files() == []


def test_a_new_article_is_inserted_as_the_upsert_it_replaces_would_store_it(db):
    """New articles are inserts (the server skips compiling and applying an update); the stored document is the
    one the upsert stored, to the last field and array order."""
    update = {
        "$set": {"headline": "A", "version": 1, "last_fetched": T0, "etag": '"x"'},
        "$setOnInsert": {"first_seen": T0},
        "$addToSet": {"urls": {"$each": ["https://b.example/1", "https://a.example/1", "https://b.example/1"]}},
        "$max": {"hinted_modified": T0},
    }
    db.upserted.update_one({"_id": "merkur.de:1"}, update, upsert=True)
    db.inserted.insert_one(_inserted("merkur.de:1", update))
    assert db.inserted.find_one() == db.upserted.find_one()


@pytest.mark.parametrize(
    "update", [{"$inc": {"n": 1}}, {"$set": {"a.b": 1}}, {"$set": {"a": 1}, "$max": {"a": 2}}, {"$unset": {"a": ""}}]
)
def test_an_update_with_no_plain_insert_is_refused_not_guessed(update):
    with pytest.raises(ValueError):
        _inserted("merkur.de:1", update)


def test_a_new_article_another_writer_stored_meanwhile_is_compared_not_lost(db, tmp_path, monkeypatch):
    """The saver read no article, another writer stored it before the insert: the duplicate key sends the
    article round again, and it lands on that writer's version (same content: no second version, no reject)."""
    run_writer(db, tmp_path / "a", [("article", article(1))])
    original = db.articles.__class__.find
    stale = {"reads": 0}

    def stale_first_read(self, *args, **kwargs):
        if self.name == "articles" and not stale["reads"]:
            stale["reads"] += 1
            return original(self, {"_id": {"$in": []}}, *args[1:], **kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(db.articles.__class__, "find", stale_first_read)
    run_writer(db, tmp_path / "b", [("article", article(1, fetched_at=T0 + timedelta(hours=2)))])
    monkeypatch.undo()
    assert stale["reads"] == 1
    stored = db.articles.find_one({"_id": "merkur.de:91000001"})
    assert stored["version"] == 1 and stored["last_fetched"] == T0 + timedelta(hours=2)
    assert db.article_versions.count_documents({"article_id": "merkur.de:91000001"}) == 1
    assert db.rejects.count_documents({}) == 0
