"""The store under a database that goes away and comes back: order of spooled and new writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import AutoReconnect

from crawler.store.spool import Spool
from crawler.store.writer import BatchWriter
from tests.support.faults import CuttableProxy


@pytest.fixture
def proxy(mongo_uri: str) -> Iterator[CuttableProxy]:
    cut = CuttableProxy(mongo_uri)
    yield cut
    cut.close()


def test_a_later_write_is_not_overwritten_by_an_older_spooled_one(proxy, db, tmp_path: Path):
    """A run's `running` document spooled in an outage must not replace its `finished` written after it."""
    client: MongoClient = MongoClient(proxy.uri, serverSelectionTimeoutMS=300, connectTimeoutMS=300)
    writer = BatchWriter(client[db.name], Spool(tmp_path / "spool"), retries=1, backoff=0.01, flush_seconds=0.05)
    writer.start()
    proxy.cut()
    writer.put("crawl_run", {"_id": "run-1", "status": "running", "pid": 1})
    writer.flush()
    assert writer.stats.spooled == 1
    proxy.heal()
    writer.put("crawl_run", {"_id": "run-1", "status": "finished"})
    writer.close(timeout=60)
    client.close()
    assert db.crawl_runs.find_one({"_id": "run-1"}) == {"_id": "run-1", "status": "finished", "pid": 1}
    assert Spool(tmp_path / "spool").files() == []


def test_what_waits_on_disk_is_written_at_close_when_the_database_is_back(db, tmp_path: Path, monkeypatch):
    """The first write after an outage can fail on a reset pooled connection: the newer batch then queues behind
    the spooled one; closing the writer writes both, in order, instead of leaving them for the next start."""
    writer = BatchWriter(db, Spool(tmp_path / "spool"), retries=1, backoff=0.01, flush_seconds=0.05)
    real_write, failures = writer._write, iter([True, True])

    def flaky(kind, docs):
        if next(failures, False):
            raise AutoReconnect("connection reset by peer")
        real_write(kind, docs)

    monkeypatch.setattr(writer, "_write", flaky)
    writer.start()
    writer.put("crawl_run", {"_id": "run-1", "status": "running", "pid": 1})
    writer.flush()  # the outage: spooled
    writer.put("crawl_run", {"_id": "run-1", "status": "finished"})
    writer.flush()  # the stale connection: the replay fails once, the newer batch goes behind it
    assert writer.stats.spooled == 2 and len(Spool(tmp_path / "spool").files()) == 2
    writer.close(timeout=60)
    assert db.crawl_runs.find_one({"_id": "run-1"}) == {"_id": "run-1", "status": "finished", "pid": 1}
    assert Spool(tmp_path / "spool").files() == [] and writer.stats.replayed == 2
