"""Follow the `changes` feed by `seq`: every change once, in order, across restarts of the follower.

Why `seq <= committed` and not just `seq > last`: several writers number changes at once. Writer A reserves
seq 1-5, writer B reserves 6-8 and inserts first; a follower that saw 6-8 and remembered 8 would never see
1-5. Each writer therefore publishes under a lease on the counter document (`counters`, `_id: "changes"`)
and moves its `committed` mark only after its changes are stored (`crawler.store.sequence`). Everything at or
below the mark is in the collection, so a follower that reads `last < seq <= committed` and remembers the
last seq it handled never skips a change. Numbers a failed write reserved stay unused: seq has gaps.

The checkpoint is saved after each handled batch (atomically: a temporary file, fsync, rename), so delivery
is at least once: a follower killed mid-batch handles that batch's first changes again. Key idempotent work
on the change's `_id`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pymongo.database import Database

from crawler.store import schema
from crawler.store.sequence import committed_seq

Handler = Callable[[Mapping[str, Any]], None]


def read_batch(db: Database, last: int, limit: int = 100) -> list[dict[str, Any]]:
    """Up to `limit` changes after `last`, in seq order, never past the committed mark (read first)."""
    upto = committed_seq(db)
    if upto <= last:
        return []
    query = {"seq": {"$gt": int(last), "$lte": upto}}
    return list(db[schema.CHANGES].find(query).sort("seq", 1).limit(limit))


class Checkpoint:
    """The last seq handled, in a small text file that survives restarts."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> int:
        try:
            return int(self.path.read_text(encoding="ascii").strip() or 0)
        except FileNotFoundError:
            return 0

    def save(self, seq: int) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="ascii") as fh:
            fh.write(f"{int(seq)}\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.path)


def follow(
    db: Database,
    checkpoint: Checkpoint,
    handle: Handler,
    *,
    batch: int = 100,
    poll_seconds: float = 5.0,
    once: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Hand every new change to `handle`, saving the checkpoint per batch; `once` stops when caught up.

    Returns the last seq handled. An exception from `handle` stops the loop with the checkpoint at the end of
    the previous batch, so the failed change comes again on the next start.
    """
    last = checkpoint.load()
    while True:
        changes = read_batch(db, last, batch)
        for change in changes:
            handle(change)
        if changes:
            last = int(changes[-1]["seq"])
            checkpoint.save(last)
            continue
        if once:
            return last
        sleep(poll_seconds)
