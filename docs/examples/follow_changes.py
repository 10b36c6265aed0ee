"""Follow newsmon's `changes` feed: print every change once, in order, and pick up where it left off.

Needs only pymongo. Usage:

    python follow_changes.py --uri "$(newsmon db uri)" [--db newsmon]
                             [--state follow.state] [--once]

`newsmon db uri` prints the URI of the embedded database (with its credentials). The state file holds the last
seq handled; delete it to start from the beginning. See docs/consumers.md for why the loop reads up to `committed`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.database import Database


def committed(db: Database) -> int:
    """Every change with seq <= this is stored; a change above it may still be on its way."""
    counter = db.counters.find_one({"_id": "changes"}, {"committed": 1}) or {}
    return int(counter.get("committed") or 0)


def next_changes(db: Database, last: int, limit: int = 100) -> list[dict[str, Any]]:
    upto = committed(db)  # read the mark first, then the changes below it
    if upto <= last:
        return []
    return list(db.changes.find({"seq": {"$gt": last, "$lte": upto}}).sort("seq", 1).limit(limit))


def load(state: Path) -> int:
    return int(state.read_text().strip() or 0) if state.exists() else 0


def save(state: Path, seq: int) -> None:
    """Atomically: a crash leaves the old value or the new one, never half a number."""
    tmp = state.with_name(state.name + ".tmp")
    with tmp.open("w") as fh:
        fh.write(f"{seq}\n")
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(state)


def describe(change: dict[str, Any]) -> str:
    """One line: seq, article, field, class and the edit in git's word-diff notation."""
    parts = []
    for op in change.get("diff") or []:
        if op["op"] == "equal":
            parts.append(op["new"])
        else:
            parts.append((f"[-{op['old']}-]" if op["old"] else "") + (f"{{+{op['new']}+}}" if op["new"] else ""))
    return f"#{change['seq']} {change['article_id']} {change['field']} [{change['edit_class']}] {' '.join(parts)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", default=os.environ.get("MONGO_URI"), help="MongoDB URI (default: $MONGO_URI)")
    parser.add_argument("--db", default=os.environ.get("NEWSMON_MONGO_DB", "newsmon"), help="database name")
    parser.add_argument("--state", type=Path, default=Path("follow.state"), help="where the last seq is kept")
    parser.add_argument("--once", action="store_true", help="stop when caught up instead of polling")
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between polls when caught up")
    args = parser.parse_args()
    if not args.uri:
        parser.error("give --uri or set MONGO_URI (`newsmon db uri` prints the embedded database's URI)")

    client: MongoClient = MongoClient(args.uri, tz_aware=True)
    db = client[args.db]
    last = load(args.state)
    try:
        while True:
            batch = next_changes(db, last)
            for change in batch:
                print(describe(change), flush=True)  # your work here; make it idempotent on change["_id"]
            if batch:
                last = batch[-1]["seq"]
                save(args.state, last)  # after the work: at least once, never lost
            elif args.once:
                return 0
            else:
                time.sleep(args.poll)
    except KeyboardInterrupt:
        return 0
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
