"""The store under a database that goes away and comes back: order of spooled and new writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from bench.faults import CuttableProxy
from crawler.store.spool import Spool
from crawler.store.writer import BatchWriter


@pytest.fixture
def proxy(mongo_uri: str) -> Iterator[CuttableProxy]:
    cut = CuttableProxy(int(mongo_uri.split(":")[2].split("/")[0]))
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
