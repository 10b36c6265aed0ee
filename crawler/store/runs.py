"""`crawl_runs` as the scheduler sees it: runs settled after their process ended, and runs that died unrecorded.

A crawl records itself (`crawler.runtime.extensions.crawl_runs.CrawlRunRecorder`): `running` at its start, its end state
at its end. A crawl killed in between (SIGKILL, out of memory, a crash) stays `running` until someone
who saw it end says so: the scheduler, which knows each child's pid and exit code, or the next crawl on the same
host, which finds the recorded pid gone (`settle_dead_runs`). A crawl that died before it could record anything
still gets a document, so every scheduled run is visible.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from crawler.store import schema

RUNNING = "running"
FAILED = "failed"


def find_run(db: Database, host: str, pid: int, since: datetime) -> dict[str, Any] | None:
    """The run document a crawl process wrote (its host and pid, started after `since`)."""
    return db[schema.CRAWL_RUNS].find_one(
        {"host": host, "pid": pid, "started_at": {"$gte": since}}, sort=[("started_at", -1)]
    )


def settle_run(db: Database, run: dict[str, Any] | None, outcome: dict[str, Any]) -> str:
    """Complete what the crawl could not: a run still `running` after its process ended gets the scheduler's
    verdict (`outcome["status"]`: `failed`, or `interrupted` when the scheduler itself stopped it); a run that
    recorded its end only gains the scheduler's facts (`exit_code`, `scheduled`). Without a document, one is
    written."""
    now = datetime.now(UTC)
    if run is None:
        doc = {
            "_id": f"{now:%Y%m%dT%H%M%SZ}-sched-{uuid.uuid4().hex[:8]}",
            "finished_at": now,
            "counts": {},
            **outcome,
        }
        doc.setdefault("status", FAILED)
        db[schema.CRAWL_RUNS].insert_one(doc)
        return doc["_id"]
    update: dict[str, Any] = {k: v for k, v in outcome.items() if k in ("exit_code", "scheduled", "log_file")}
    # Still `running` (killed, crashed), or `finished` by its own account but exit code 1 (it could not do what it
    # was asked: every start request failed): the scheduler's verdict stands.
    if run.get("status") == RUNNING or (outcome.get("exit_code") and outcome.get("status") == FAILED):
        update.update(status=outcome.get("status", FAILED), stop_reason=outcome.get("stop_reason"), finished_at=now)
        if outcome.get("log_tail"):
            update["log_tail"] = outcome["log_tail"]
    db[schema.CRAWL_RUNS].update_one({"_id": run["_id"]}, {"$set": update})
    return str(run["_id"])


def settle_dead_runs(db: Database, host: str) -> list[str]:
    """Runs of this host still `running` whose process is gone (a kill, a crash, or a scheduler killed with them)."""
    settled = []
    for run in db[schema.CRAWL_RUNS].find({"status": RUNNING, "host": host}, {"pid": 1}):
        pid = run.get("pid")
        if isinstance(pid, int) and not pid_alive(pid):
            result = db[schema.CRAWL_RUNS].update_one(
                {"_id": run["_id"], "status": RUNNING},
                {
                    "$set": {
                        "status": FAILED,
                        "stop_reason": "died (its process was gone when the scheduler or a later crawl looked)",
                        "finished_at": datetime.now(UTC),
                    }
                },
            )
            if result.modified_count:
                settled.append(str(run["_id"]))
    return settled


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
