"""The changes feed's sequence under concurrent writers: unique, increasing, never visible out of order."""

from __future__ import annotations

import threading

import pytest
from pymongo import MongoClient

from crawler.store import schema
from crawler.store.sequence import committed_seq, publish
from tests.support.commands import CommandNames


def test_concurrent_writers_never_let_a_follower_skip_a_change(mongo_uri, db):
    writers, blocks, size = 4, 15, 3
    done = threading.Event()
    seen: list[int] = []

    def write(n: int) -> None:
        client: MongoClient = MongoClient(mongo_uri)
        mine = client[db.name]
        for b in range(blocks):

            def insert(first: int, b: int = b) -> None:
                mine[schema.CHANGES].insert_many(
                    [{"_id": f"w{n}:b{b}:{k}", "seq": first + k} for k in range(size)], ordered=False
                )

            publish(mine, size, insert)
        client.close()

    def follow() -> None:
        last = 0
        while True:
            finished = done.is_set()
            mark = committed_seq(db)
            for doc in db[schema.CHANGES].find({"seq": {"$gt": last, "$lte": mark}}).sort("seq", 1):
                seen.append(doc["seq"])
                last = doc["seq"]
            if finished:
                return

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    follower = threading.Thread(target=follow)
    follower.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    follower.join()

    stored = sorted(d["seq"] for d in db[schema.CHANGES].find({}, {"seq": 1}))
    assert len(stored) == len(set(stored)) == writers * blocks * size
    assert seen == stored, "the follower saw every change exactly once, in order"
    assert committed_seq(db) == stored[-1]


def test_a_failed_insert_leaves_a_gap_and_releases_the_lease(db):
    def boom(first: int) -> None:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        publish(db, 5, boom)
    assert committed_seq(db) == 0
    first = publish(db, 2, lambda f: db[schema.CHANGES].insert_many([{"seq": f}, {"seq": f + 1}]))
    assert first == 6 and committed_seq(db) == 7


def test_a_block_takes_two_round_trips_once_the_counter_exists(mongo_uri, db):
    listener = CommandNames("findAndModify", "update")
    client: MongoClient = MongoClient(mongo_uri, event_listeners=[listener])
    try:
        mine = client[db.name]
        assert publish(mine, 2, lambda first: None) == 1  # a new database: the counter is created on the way
        assert listener.names == ["findAndModify", "update", "findAndModify", "update"]
        listener.names.clear()
        assert publish(mine, 1, lambda first: None) == 3
        assert listener.names == ["findAndModify", "update"], "take the lease, release it: no upsert of the counter"
        assert committed_seq(db) == 3
    finally:
        client.close()
