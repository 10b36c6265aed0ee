"""newsmon's wire fix for mongoeco (crawler/store/embedded/wire.py): pinned to the exact mongoeco source, and
cursor ids that go out as BSON longs and come back as longs, as MongoDB and its drivers do.

The wire test runs a real embedded server (a tmp data dir, a free port) and reads raw replies with pymongo;
tests/test_node_driver.py is the end-to-end check with MongoDB's Node.js driver.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import mongoeco
import pytest
from bson.int64 import Int64
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
from pymongo.database import Database

from crawler.store.embedded import wire as mongoeco_wire
from crawler.store.embedded.launcher import ensure_embedded_server, stop_embedded_server

LONG_ID = b"\x12id\x00"  # BSON element type 0x12 (int64) named "id"
INT_ID = b"\x10id\x00"  # type 0x10 (int32)


def test_wrapped_mongoeco_source_is_unchanged() -> None:
    """Fails when a mongoeco upgrade changes a function the wire fix wraps or relies on.

    Then: check whether mongoeco now sends cursor ids as longs itself (then drop crawler/store/embedded/wire.py),
    else review the change, bump SUPPORTED_VERSION and re-record the hashes (`python -m crawler.store.embedded.wire`).
    """
    assert mongoeco.__version__ == mongoeco_wire.SUPPORTED_VERSION
    assert mongoeco_wire.changed_sources() == []


def test_refuses_another_mongoeco_version(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from mongoeco.wire.cursors import WireCursorStore

    monkeypatch.setattr(mongoeco, "__version__", "4.12.0")
    stock = WireCursorStore.get_more
    with caplog.at_level(logging.WARNING, logger="newsmon.mongoeco_wire"):
        assert mongoeco_wire.apply() is False
    assert WireCursorStore.get_more is stock and not mongoeco_wire.is_applied()
    assert "NOT applied" in caplog.text


def test_refuses_changed_source(monkeypatch: pytest.MonkeyPatch) -> None:
    name = next(iter(mongoeco_wire.SOURCE_HASHES))
    monkeypatch.setitem(mongoeco_wire.SOURCE_HASHES, name, "0" * 16)
    assert mongoeco_wire.apply() is False and not mongoeco_wire.is_applied()


def test_ids_are_longs_while_applied_and_ints_when_reverted() -> None:
    from mongoeco.core.bson_scalars import BsonInt64
    from mongoeco.wire.cursors import WireCursorStore

    def first_batch(store: WireCursorStore) -> dict:
        result = {"cursor": {"firstBatch": [{"a": i} for i in range(5)], "ns": "db.c"}, "ok": 1.0}
        return store.materialize_command_result({"find": "c", "batchSize": 2}, result)

    assert mongoeco_wire.apply() is True
    try:
        store = WireCursorStore()
        cursor = first_batch(store)["cursor"]
        assert type(cursor["id"]) is Int64 and cursor["id"] == 1
        # the Node.js driver sends the id back as a long, which mongoeco decodes to its BsonInt64
        more = store.get_more({"getMore": BsonInt64(1), "collection": "c", "batchSize": 2}, db_name="db")
        assert [d["a"] for d in more["cursor"]["nextBatch"]] == [2, 3] and type(more["cursor"]["id"]) is Int64
        killed = store.kill_cursors({"killCursors": "c", "cursors": [BsonInt64(1)]}, db_name="db")
        assert killed["cursorsKilled"] == [1] and type(killed["cursorsKilled"][0]) is Int64
        last = store.get_more({"getMore": 1, "collection": "c"}, db_name="db")["cursor"]
        assert last["id"] == 0 and type(last["id"]) is Int64 and last["nextBatch"] == []
    finally:
        mongoeco_wire.revert()
    assert type(first_batch(WireCursorStore())["cursor"]["id"]) is int  # stock: an int, sent as int32


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    server = ensure_embedded_server(tmp_path)
    client: MongoClient = MongoClient(server.uri)
    try:
        yield client["newsmon_test"]
    finally:
        client.close()
        stop_embedded_server(tmp_path)


def test_the_server_sends_cursor_ids_as_longs_and_takes_them_back(db: Database, tmp_path: Path) -> None:
    assert json.loads((tmp_path / "server.json").read_text())["wire"] is True
    db.c.insert_many([{"_id": i} for i in range(7)])
    raw = db.codec_options.with_options(document_class=RawBSONDocument)
    first = db.command({"find": "c", "batchSize": 2, "sort": {"_id": 1}}, codec_options=raw)["cursor"]
    assert LONG_ID in first.raw and INT_ID not in first.raw
    cursor_id = first["id"]
    assert isinstance(cursor_id, Int64) and cursor_id != 0
    follow = db.command({"getMore": Int64(cursor_id), "collection": "c", "batchSize": 2}, codec_options=raw)
    assert LONG_ID in follow["cursor"].raw and [d["_id"] for d in follow["cursor"]["nextBatch"]] == [2, 3]
    killed = db.command({"killCursors": "c", "cursors": [Int64(cursor_id)]})
    assert killed["cursorsKilled"] == [cursor_id]
    done = db.command({"find": "c", "filter": {"_id": 1}}, codec_options=raw)["cursor"]
    assert LONG_ID in done.raw and done["id"] == 0  # an exhausted cursor's 0 is a long too
    assert [d["_id"] for d in db.c.find().sort("_id", 1).batch_size(3)] == list(range(7))
