"""The `changes` feed's sequence numbers: strictly increasing, and never visible out of order.

Consumers follow the feed with `seq > last_seen` (MongoDB has no change streams here, and none are needed).
A plain counter is not enough with several writers: writer A reserves 1-5, writer B reserves 6-8 and inserts
first; a consumer that reads 6-8 and remembers 8 never sees 1-5. So a writer takes a short lease on the
counter document, reserves its block, inserts its changes and then moves the counter's `committed` mark
past them, all before the next writer can take the lease. Consumers read `seq <= committed` only
(`crawler.consumers.feed`, `crawler.store.recent`), so everything at or below the mark is already there. A writer
that dies holding the lease loses it after `LEASE_SECONDS`; changes it inserted become visible with the next
writer's mark, and the numbers it reserved but did not use are gaps (seq is increasing, not dense).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database

from crawler.store import schema

COUNTER_ID = "changes"
LEASE_SECONDS = 30.0
WAIT_SECONDS = 0.05


class SequenceBusy(RuntimeError):
    """Another writer held the feed's lease for longer than we were willing to wait."""


def ensure_counter(db: Database) -> None:
    db[schema.COUNTERS].update_one(
        {"_id": COUNTER_ID}, {"$setOnInsert": {"seq": 0, "committed": 0, "lease_until": None}}, upsert=True
    )


def committed_seq(db: Database) -> int:
    """The highest seq a consumer may read up to: every change at or below it is stored."""
    doc = db[schema.COUNTERS].find_one({"_id": COUNTER_ID}, {"committed": 1})
    return int((doc or {}).get("committed") or 0)


def publish(
    db: Database,
    count: int,
    insert: Callable[[int], Any],
    *,
    wait: float = 60.0,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Reserve `count` numbers under the lease, call `insert(first_seq)`, then commit; returns the first seq.

    `insert` must store the changes numbered `first_seq .. first_seq + count - 1` (or fewer: gaps are fine).
    If it raises, the lease is released without moving the mark past this block; the numbers stay unused.
    """
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    ensured = False
    while True:
        moment = now()
        doc = db[schema.COUNTERS].find_one_and_update(
            {"_id": COUNTER_ID, "$or": [{"lease_until": None}, {"lease_until": {"$lt": moment}}]},
            {
                "$set": {"lease_owner": owner, "lease_until": moment + timedelta(seconds=LEASE_SECONDS)},
                "$inc": {"seq": count},
            },
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None:
            break
        if not ensured:
            # Leased, or no counter yet (a new database): create it if missing and try again at once. Only here,
            # not before every block: the counter exists from the first block on, and the upsert was one round
            # trip in four per block of changes.
            ensure_counter(db)
            ensured = True
            continue
        if time.monotonic() > deadline:
            raise SequenceBusy(f"the changes feed stayed leased for {wait:.0f}s")
        time.sleep(WAIT_SECONDS)
    first = int(doc["seq"]) - count + 1
    try:
        insert(first)
    except BaseException:
        _release(db, owner, None)
        raise
    _release(db, owner, first + count - 1)
    return first


def _release(db: Database, owner: str, committed: int | None) -> None:
    update: dict[str, Any] = {"$set": {"lease_until": None, "lease_owner": None}}
    if committed is not None:
        update["$max"] = {"committed": committed}
    db[schema.COUNTERS].update_one({"_id": COUNTER_ID, "lease_owner": owner}, update)
